//! The memory panel: scenes (recall, save, update, delete), the journal's last entries, resets
//! and the likely stream feeds. The lists come from the tokio side on watch channels; presses
//! become memory commands (answered on the runtime) or desk intents (the stabilizer's source).

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use tokio::sync::watch;

use super::{DeskWindow, FeedRow, JournalRow, MemoryLogic, SceneRow};
use crate::desk::{Intent, Op, Origin, ParamId, Value};
use crate::state::{Command, EntryKind, JournalEntry, MemoryHandle, SceneSummary};

/// One journal line as the panel shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalLine {
    /// `14:03:07`.
    pub time: String,
    /// Who: `xtouch`, `screen`, `X32 console`, `scene Intro`.
    pub who: String,
    /// Which parameter.
    pub what: String,
    /// `-12.0 dB → -3.5 dB`.
    pub change: String,
}

/// A likely stream feed, best first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedLine {
    /// Its `pupitre:stabilizer/source` choice.
    pub source: u32,
    /// `Matrix 1`.
    pub label: String,
    /// Why: `LR + bus 5 → matrix 1 → card outputs 1-2`.
    pub reasons: String,
}

/// What the panel follows.
pub struct MemoryInputs {
    /// Scenes and resets; `None` shows an empty list.
    pub memory: Option<MemoryHandle>,
    /// The journal's last entries, newest last (`Service::journal`).
    pub journal: watch::Receiver<Vec<JournalEntry>>,
    /// The likely stream feeds.
    pub feeds: watch::Receiver<Vec<FeedLine>>,
}

/// What the panel's presses reach: the desk (the stabilizer's source), the memory (scenes,
/// resets), and the screen's current page (for "reset this page").
pub struct ScreenLink {
    /// Send an intent to the desk.
    pub send: Rc<dyn Fn(Intent)>,
    /// Ask the memory.
    pub ask: Rc<dyn Fn(Command)>,
    /// Scope patterns of the strips on the current page.
    pub page_scope: Rc<dyn Fn() -> Vec<String>>,
}

fn scene_rows(list: &[SceneSummary], current: u32) -> Vec<SceneRow> {
    list.iter()
        .map(|s| SceneRow {
            slot: s.slot as i32,
            name: s.name.as_str().into(),
            detail: format!(
                "{} · {} · {}",
                s.scope,
                s.values,
                s.saved.replace('T', " ").trim_end_matches('Z')
            )
            .into(),
            current: s.slot == current,
        })
        .collect()
}

/// Ask `memory` on the runtime; the answer goes to the panel's status line.
pub fn asker(
    app: &DeskWindow,
    memory: Option<MemoryHandle>,
    rt: &tokio::runtime::Handle,
) -> Rc<dyn Fn(Command)> {
    let rt = rt.clone();
    let weak = app.as_weak();
    Rc::new(move |command: Command| {
        let Some(memory) = memory.clone() else {
            if let Some(app) = weak.upgrade() {
                app.global::<MemoryLogic>()
                    .set_status("no state folder: scenes are off".into());
            }
            return;
        };
        let weak = weak.clone();
        rt.spawn(async move {
            let message = match memory.ask(command, Origin::Ui).await {
                Ok(r) => r.message,
                Err(e) => e.to_string(),
            };
            let _ = weak.upgrade_in_event_loop(move |app| {
                app.global::<MemoryLogic>().set_status(message.into());
            });
        });
    })
}

/// Wire the panel's presses.
pub fn connect(app: &DeskWindow, link: ScreenLink) {
    let logic = app.global::<MemoryLogic>();
    let ask = link.ask;
    {
        let ask = ask.clone();
        logic.on_recall(move |slot| {
            ask(Command::Recall {
                scene: slot.to_string(),
            })
        });
    }
    {
        let ask = ask.clone();
        logic.on_save_new(move || {
            ask(Command::Save {
                slot: None,
                name: String::new(),
                scope: Vec::new(),
            })
        });
    }
    {
        let ask = ask.clone();
        logic.on_overwrite(move |slot| {
            let scene = SCENES.with(|s| s.borrow().iter().find(|s| s.slot as i32 == slot).cloned());
            if let Some(s) = scene {
                ask(Command::Save {
                    slot: Some(s.slot),
                    name: s.name.clone(),
                    scope: s.scope.split(" + ").map(str::to_owned).collect(),
                });
            }
        });
    }
    {
        let ask = ask.clone();
        logic.on_delete(move |slot| {
            ask(Command::Delete {
                scene: slot.to_string(),
            })
        });
    }
    {
        let ask = ask.clone();
        let page = link.page_scope.clone();
        logic.on_reset(move |what| {
            let scope = match what.as_str() {
                "page" => page(),
                other => vec![other.to_owned()],
            };
            if !scope.is_empty() {
                ask(Command::Reset { scope });
            }
        });
    }
    {
        let send = link.send.clone();
        logic.on_use_feed(move |source| {
            if let (Ok(param), Ok(source)) =
                (ParamId::pupitre("stabilizer/source"), u32::try_from(source))
            {
                send(Intent {
                    param,
                    op: Op::Set(Value::Index(source)),
                    origin: Origin::Ui,
                });
            }
        });
    }
}

/// Follow the lists on the runtime and show them (until the window is gone).
pub fn follow_lists(app: &DeskWindow, inputs: MemoryInputs, rt: &tokio::runtime::Handle) {
    let scenes = inputs
        .memory
        .as_ref()
        .map(|m| m.scenes())
        .unwrap_or_else(|| watch::channel(Vec::new()).1);
    rt.spawn(follow(
        app.as_weak(),
        scenes,
        inputs.journal,
        inputs.feeds,
        inputs.memory.is_some(),
    ));
}

/// The journal's entries as the panel lists them: newest first, local time.
pub fn journal_lines(entries: &[JournalEntry]) -> Vec<JournalLine> {
    entries
        .iter()
        .rev()
        .map(|e| JournalLine {
            time: e
                .time
                .with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string(),
            who: e.origin.clone(),
            what: e.param.clone(),
            change: match e.kind {
                EntryKind::Change if e.count > 1 => {
                    format!("{} → {} (×{})", e.old, e.new, e.count)
                }
                EntryKind::Change => format!("{} → {}", e.old, e.new),
                EntryKind::Resync => format!("read back {}", e.count),
                EntryKind::Missed => format!("{} not recorded", e.count),
            },
        })
        .collect()
}

/// Show these lists now (the UI thread; tests and screenshots call it directly).
pub fn show(
    app: &DeskWindow,
    scenes: &[SceneSummary],
    journal: &[JournalLine],
    feeds: &[FeedLine],
) {
    set_scenes(app, scenes);
    set_journal(app, journal);
    set_feeds(app, feeds);
}

/// Push the lists to the window whenever one changes; the current scene and the stabilizer's
/// source come from the desk through [`set_current`]. Ends when the window is gone.
async fn follow(
    weak: slint::Weak<DeskWindow>,
    mut scenes: watch::Receiver<Vec<SceneSummary>>,
    mut journal: watch::Receiver<Vec<JournalEntry>>,
    mut feeds: watch::Receiver<Vec<FeedLine>>,
    has_memory: bool,
) {
    scenes.mark_changed();
    journal.mark_changed();
    feeds.mark_changed();
    // A list whose sender is gone keeps its last value; the others go on.
    let (mut with_scenes, mut with_journal, mut with_feeds) = (has_memory, true, true);
    while with_scenes || with_journal || with_feeds {
        let shown = tokio::select! {
            r = scenes.changed(), if with_scenes => {
                with_scenes = r.is_ok();
                let list = scenes.borrow_and_update().clone();
                weak.upgrade_in_event_loop(move |app| set_scenes(&app, &list))
            }
            r = journal.changed(), if with_journal => {
                with_journal = r.is_ok();
                let lines = journal_lines(&journal.borrow_and_update());
                weak.upgrade_in_event_loop(move |app| set_journal(&app, &lines))
            }
            r = feeds.changed(), if with_feeds => {
                with_feeds = r.is_ok();
                let list = feeds.borrow_and_update().clone();
                weak.upgrade_in_event_loop(move |app| set_feeds(&app, &list))
            }
        };
        if shown.is_err() {
            break;
        }
    }
}

thread_local! {
    /// The last scene recalled and the stabilizer's source, as the desk says (UI thread only).
    static CURRENT: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, u32::MAX)) };
    static SCENES: std::cell::RefCell<Vec<SceneSummary>> = const { std::cell::RefCell::new(Vec::new()) };
    static FEEDS: std::cell::RefCell<Vec<FeedLine>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn set_scenes(app: &DeskWindow, list: &[SceneSummary]) {
    SCENES.with(|s| *s.borrow_mut() = list.to_vec());
    let current = CURRENT.with(|c| c.get().0);
    app.global::<MemoryLogic>()
        .set_scenes(ModelRc::new(VecModel::from(scene_rows(list, current))));
}

fn set_journal(app: &DeskWindow, lines: &[JournalLine]) {
    let rows: Vec<JournalRow> = lines
        .iter()
        .map(|l| JournalRow {
            time: SharedString::from(l.time.as_str()),
            who: l.who.as_str().into(),
            what: l.what.as_str().into(),
            change: l.change.as_str().into(),
        })
        .collect();
    app.global::<MemoryLogic>()
        .set_journal(ModelRc::new(VecModel::from(rows)));
}

fn set_feeds(app: &DeskWindow, list: &[FeedLine]) {
    FEEDS.with(|f| *f.borrow_mut() = list.to_vec());
    let source = CURRENT.with(|c| c.get().1);
    let rows: Vec<FeedRow> = list
        .iter()
        .map(|f| FeedRow {
            source: f.source as i32,
            label: f.label.as_str().into(),
            reasons: f.reasons.as_str().into(),
            chosen: f.source == source,
        })
        .collect();
    app.global::<MemoryLogic>()
        .set_feeds(ModelRc::new(VecModel::from(rows)));
}

/// The desk's `pupitre:scene/current` or `stabilizer/source` changed: redraw the highlights.
pub fn follow_value(app: &DeskWindow, param: &ParamId, value: &Value) {
    let Value::Index(i) = value else { return };
    match param.path() {
        "scene/current" => {
            CURRENT.with(|c| c.set((*i, c.get().1)));
            let list = SCENES.with(|s| s.borrow().clone());
            set_scenes(app, &list);
        }
        "stabilizer/source" => {
            CURRENT.with(|c| c.set((c.get().0, *i)));
            let list = FEEDS.with(|f| f.borrow().clone());
            set_feeds(app, &list);
        }
        _ => {}
    }
}
