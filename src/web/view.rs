//! What the pages show, kept once for every connected browser: one task follows the desk,
//! the meters, the stabilizer, the scenes and the journal, and broadcasts each update as a
//! ready-made text frame (written once, not once per phone). A page that joins gets the whole
//! picture ([`Hello`]) and the updates from that moment, atomically.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::protocol::{
    BankOut, Hello, JournalOut, SceneOut, ServerMessage, StabilizerOut, StripOut,
};
use crate::desk::{Change, DeskHandle, LinkState, MeterFrame, MixerId, ParamId, ParamKind, Value};
use crate::stabilizer::{Controls, StabilizerState, Status};
use crate::state::{JournalEntry, SceneSummary};
use crate::ui::strips::{self, UiStrip, Values};

/// Strip updates go out at most this often (50 a second).
const STRIP_TICK: Duration = Duration::from_millis(20);
/// Meters go out at most this often (20 a second).
pub const METER_TICK: Duration = Duration::from_millis(50);
/// The stabilizer goes out at most this often.
const STABILIZER_TICK: Duration = Duration::from_millis(200);
/// A clip stays lit this long.
const CLIP_HOLD: Duration = Duration::from_secs(2);
/// Journal lines a page gets.
const JOURNAL_LINES: usize = 20;
/// Updates a slow page may fall behind by before it is sent the whole picture again.
const UPDATES: usize = 512;

/// What the view follows.
pub struct ViewInputs {
    /// The desk.
    pub desk: DeskHandle,
    /// The strips in page order; the master last.
    pub strips: Vec<UiStrip>,
    /// Whether the last strip is the master.
    pub has_master: bool,
    /// The configured mixers.
    pub mixers: Vec<MixerId>,
    /// The stabilizer, when there is an X32 for it to ride.
    pub stabilizer: Option<watch::Receiver<StabilizerState>>,
    /// The journal's last entries.
    pub journal: watch::Receiver<Vec<JournalEntry>>,
    /// The saved scenes.
    pub scenes: watch::Receiver<Vec<SceneSummary>>,
}

/// A page joining: the whole picture and the updates after it.
pub struct Joined {
    /// Everything, with an empty device name (the session fills it in).
    pub hello: Hello,
    /// Text frames to forward.
    pub updates: broadcast::Receiver<Arc<str>>,
}

/// A handle on the view task.
#[derive(Clone)]
pub struct View {
    joins: mpsc::Sender<oneshot::Sender<Joined>>,
    strips: Arc<Vec<UiStrip>>,
}

impl View {
    /// Start following; the task ends with `stop` or the desk.
    pub fn start(inputs: ViewInputs, stop: CancellationToken) -> (View, impl Future<Output = ()>) {
        let (joins, rx) = mpsc::channel(16);
        let strips = Arc::new(inputs.strips.clone());
        (View { joins, strips }, run(inputs, rx, stop))
    }

    /// Join: `None` once the view has stopped.
    pub async fn join(&self) -> Option<Joined> {
        let (tx, rx) = oneshot::channel();
        self.joins.send(tx).await.ok()?;
        rx.await.ok()
    }

    /// The strips, in page order.
    pub fn strips(&self) -> &Arc<Vec<UiStrip>> {
        &self.strips
    }
}

/// Banks of at most 8 strips, each of one family (channels, buses, …); the master is not in
/// any (the page always shows it).
pub fn banks(strips: &[UiStrip], has_master: bool) -> Vec<BankOut> {
    let end = if has_master {
        strips.len().saturating_sub(1)
    } else {
        strips.len()
    };
    let family = |s: &UiStrip| -> String {
        s.kind
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim()
            .to_owned()
    };
    let number = |s: &UiStrip| -> Option<u32> {
        let digits: String = s
            .kind
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        digits.parse().ok()
    };
    let mut out: Vec<BankOut> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let flush = |current: &mut Vec<usize>, out: &mut Vec<BankOut>| {
        let (Some(&a), Some(&b)) = (current.first(), current.last()) else {
            return;
        };
        let label = match (number(&strips[a]), number(&strips[b])) {
            (Some(x), Some(y)) if a != b => format!("{} {x}–{y}", family(&strips[a])),
            _ if a == b => strips[a].kind.clone(),
            _ => format!("{} – {}", strips[a].kind, strips[b].kind),
        };
        out.push(BankOut {
            label,
            strips: std::mem::take(current),
        });
    };
    for i in 0..end {
        let same = current
            .last()
            .is_some_and(|&j| family(&strips[j]) == family(&strips[i]));
        if !current.is_empty() && (!same || current.len() == 8) {
            flush(&mut current, &mut out);
        }
        current.push(i);
    }
    flush(&mut current, &mut out);
    out
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// What of a strip never changes while running: its label, scale and buttons.
fn strip_static(s: &UiStrip, master: bool) -> StripOut {
    let kind = s.fader.kind();
    StripOut {
        kind: Some(s.kind.clone()),
        unity: Some(round3(strips::unity(kind))),
        marks: Some(
            strips::marks(kind)
                .into_iter()
                .map(|(at, label)| (round3(at), label))
                .collect(),
        ),
        mute: Some(s.mute.is_some()),
        solo: Some(s.solo.is_some()),
        meter: Some(s.meter != strips::MeterSource::None),
        master: Some(master),
        ..StripOut::default()
    }
}

/// What of a strip follows the desk: name, colour, fader, mute and solo.
fn strip_live(index: usize, s: &UiStrip, values: &Values) -> StripOut {
    StripOut {
        index,
        name: Some(values.name(s)),
        color: Some(hex(values.color(s))),
        fader: Some(round3(values.position(&s.fader))),
        db: Some(values.text(&s.fader)),
        muted: Some(values.muted(s)),
        soloed: Some(s.solo.as_ref().is_some_and(|p| values.on(p))),
        ..StripOut::default()
    }
}

/// One strip whole: its fixed parts and its live ones.
fn strip_out(fixed: &StripOut, live: &StripOut) -> StripOut {
    StripOut {
        kind: fixed.kind.clone(),
        unity: fixed.unity,
        marks: fixed.marks.clone(),
        mute: fixed.mute,
        solo: fixed.solo,
        meter: fixed.meter,
        master: fixed.master,
        ..live.clone()
    }
}

/// What changed from `before` to `now` (the live fields only).
fn strip_diff(before: &StripOut, now: &StripOut) -> Option<StripOut> {
    let pick = |a: &Option<_>, b: &Option<_>| if a == b { None } else { b.clone() };
    let d = StripOut {
        index: now.index,
        name: pick(&before.name, &now.name),
        color: pick(&before.color, &now.color),
        fader: if before.fader == now.fader {
            None
        } else {
            now.fader
        },
        db: pick(&before.db, &now.db),
        muted: if before.muted == now.muted {
            None
        } else {
            now.muted
        },
        soloed: if before.soloed == now.soloed {
            None
        } else {
            now.soloed
        },
        ..StripOut::default()
    };
    let empty = StripOut {
        index: now.index,
        ..StripOut::default()
    };
    (d != empty).then_some(d)
}

/// The stabilizer target's lowest, highest and step (LUFS), as the desk's grammar gives them.
pub(super) fn target_range() -> (f64, f64, f64) {
    match Controls::new().target.kind() {
        ParamKind::Gain {
            min_db,
            max_db,
            step_db,
        } => (min_db, max_db, step_db),
        // desk/param.rs makes the target a gain (a test reads it).
        other => unreachable!("the stabilizer target is a {other}"),
    }
}

fn stabilizer_out(st: &StabilizerState) -> StabilizerOut {
    let (min, max, step) = target_range();
    let status = match st.status {
        Status::Paused { resume_in_s } => format!("paused ({resume_in_s:.0} s)"),
        ref s => s.name().to_owned(),
    };
    StabilizerOut {
        on: st.enabled,
        target: st.settings.target_lufs,
        min,
        max,
        step,
        presets: crate::ui::Screen::presets(),
        loudness: st.momentary_lufs.map(|l| (l * 10.0).round() / 10.0),
        status,
        source: st.source.default_label(),
        gain_db: st
            .fader_db
            .zip(st.home_db)
            .map(|(f, h)| ((f - h) * 10.0).round() / 10.0),
    }
}

fn journal_out(entries: &[JournalEntry]) -> Vec<JournalOut> {
    let mut lines: Vec<JournalOut> = crate::ui::memory::journal_lines(entries)
        .into_iter()
        .take(JOURNAL_LINES)
        .map(|l| JournalOut {
            at: l.time,
            origin: l.who,
            what: l.what,
            change: l.change,
        })
        .collect();
    // journal_lines gives newest first; the page gets newest last.
    lines.reverse();
    lines
}

fn scenes_out(list: &[SceneSummary]) -> Vec<SceneOut> {
    list.iter()
        .map(|s| SceneOut {
            slot: s.slot,
            name: s.name.clone(),
        })
        .collect()
}

struct State {
    strips: Vec<UiStrip>,
    has_master: bool,
    by_param: HashMap<ParamId, Vec<usize>>,
    values: Values,
    /// Each strip's fixed parts, made once.
    fixed: Vec<StripOut>,
    /// Each strip's live parts as last sent.
    live: Vec<StripOut>,
    dirty: Vec<bool>,
    any_dirty: bool,
    clip_until: Vec<Option<Instant>>,
    last_meters: Option<(Vec<Option<f64>>, Vec<usize>)>,
    links: BTreeMap<&'static str, &'static str>,
    current_scene: u32,
    lang: &'static str,
    theme: &'static str,
}

impl State {
    fn hello(
        &self,
        stabilizer: Option<&watch::Receiver<StabilizerState>>,
        scenes: &[SceneSummary],
        journal: &[JournalEntry],
    ) -> Hello {
        Hello {
            device: String::new(),
            lang: self.lang,
            theme: self.theme,
            strips: self
                .fixed
                .iter()
                .zip(&self.live)
                .map(|(f, l)| strip_out(f, l))
                .collect(),
            banks: banks(&self.strips, self.has_master),
            stabilizer: stabilizer.map(|s| stabilizer_out(&s.borrow())),
            scenes: scenes_out(scenes),
            current_scene: self.current_scene,
            journal: journal_out(journal),
            links: self.links.clone(),
        }
    }

    fn whole(&mut self) {
        let last = self.strips.len().saturating_sub(1);
        self.fixed = self
            .strips
            .iter()
            .enumerate()
            .map(|(i, s)| strip_static(s, self.has_master && i == last))
            .collect();
        self.live = self
            .strips
            .iter()
            .enumerate()
            .map(|(i, s)| strip_live(i, s, &self.values))
            .collect();
        self.dirty.iter_mut().for_each(|d| *d = false);
        self.any_dirty = false;
    }

    /// Take a desk value; true when the look changed.
    fn apply(&mut self, param: &ParamId, value: &Value) -> bool {
        self.values.0.insert(param.clone(), value.clone());
        if let Some(strips) = self.by_param.get(param) {
            for &i in strips {
                self.dirty[i] = true;
                self.any_dirty = true;
            }
        }
        match (param.mixer(), param.path(), value) {
            (MixerId::Pupitre, "scene/current", Value::Index(i)) => {
                self.current_scene = *i;
                false
            }
            (MixerId::Pupitre, "ui/language", Value::Index(i)) => {
                self.lang = if *i == 1 { "fr" } else { "en" };
                true
            }
            (MixerId::Pupitre, "ui/theme", Value::Index(i)) => {
                self.theme = match i {
                    1 => "light",
                    2 => "contrast",
                    _ => "dark",
                };
                true
            }
            _ => false,
        }
    }

    fn strip_updates(&mut self) -> Vec<ServerMessage> {
        if !self.any_dirty {
            return Vec::new();
        }
        self.any_dirty = false;
        let mut out = Vec::new();
        for i in 0..self.strips.len() {
            if !std::mem::take(&mut self.dirty[i]) {
                continue;
            }
            let now = strip_live(i, &self.strips[i], &self.values);
            if let Some(d) = strip_diff(&self.live[i], &now) {
                out.push(ServerMessage::Strip(d));
            }
            self.live[i] = now;
        }
        out
    }

    fn meters(
        &mut self,
        x32: &MeterFrame,
        camilla: &MeterFrame,
        now: Instant,
    ) -> Option<ServerMessage> {
        let mut levels = Vec::with_capacity(self.strips.len());
        let mut clip = Vec::new();
        for (i, s) in self.strips.iter().enumerate() {
            if s.meter == strips::MeterSource::None {
                levels.push(None);
                continue;
            }
            let (db, clipped) = strips::meter_reading(s.meter, x32, camilla);
            let clipped = clipped || db.is_some_and(|d| d.get() >= 0.0);
            if clipped {
                self.clip_until[i] = Some(now + CLIP_HOLD);
            }
            if self.clip_until[i].is_some_and(|u| u > now) {
                clip.push(i);
            }
            levels.push(Some(db.map_or(0.0, |d| round3(strips::meter_position(d)))));
        }
        let frame = (levels, clip);
        if self.last_meters.as_ref() == Some(&frame) {
            return None;
        }
        self.last_meters = Some(frame.clone());
        Some(ServerMessage::Meters {
            levels: frame.0,
            clip: frame.1,
        })
    }
}

async fn run(
    inputs: ViewInputs,
    mut joins: mpsc::Receiver<oneshot::Sender<Joined>>,
    stop: CancellationToken,
) {
    let ViewInputs {
        desk,
        strips: list,
        has_master,
        mixers,
        mut stabilizer,
        mut journal,
        mut scenes,
    } = inputs;
    let mut by_param: HashMap<ParamId, Vec<usize>> = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        let mut params = vec![s.fader.clone()];
        params.extend(s.mute.iter().map(|(p, _)| p.clone()));
        params.extend(s.solo.iter().cloned());
        params.extend(s.name.iter().cloned());
        params.extend(s.color.iter().cloned());
        for p in params {
            by_param.entry(p).or_default().push(i);
        }
    }
    let mut changes = desk.subscribe();
    // Shown parameters the desk may not know yet (a headless service registers none).
    if desk
        .register(by_param.keys().cloned().collect())
        .await
        .is_err()
    {
        return;
    }
    let Ok(snapshot) = desk.snapshot().await else {
        return;
    };
    let n = list.len();
    let mut state = State {
        strips: list,
        has_master,
        by_param,
        values: Values::default(),
        fixed: Vec::new(),
        live: Vec::new(),
        dirty: vec![false; n],
        any_dirty: false,
        clip_until: vec![None; n],
        last_meters: None,
        links: BTreeMap::new(),
        current_scene: 0,
        lang: "en",
        theme: "dark",
    };
    for (p, v) in &snapshot {
        state.apply(p, v);
    }
    state.whole();
    // Each mixer's link state, forwarded into one queue (no future built per loop turn).
    let (link_tx, mut link_changes) = mpsc::channel::<(MixerId, LinkState)>(16);
    for m in &mixers {
        let mut rx = desk.link_status(*m);
        state
            .links
            .insert(m.as_str(), rx.borrow_and_update().state.as_str());
        let (tx, m, stop) = (link_tx.clone(), *m, stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    r = rx.changed() => {
                        let now = rx.borrow_and_update().state;
                        if r.is_err() || tx.send((m, now)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(link_tx);
    let x32_meters = desk.meters().subscribe(MixerId::X32);
    let camilla_meters = desk.meters().subscribe(MixerId::Camilla);
    let (updates, _) = broadcast::channel::<Arc<str>>(UPDATES);
    let send = |m: ServerMessage| {
        // No page connected is not an error.
        let _ = updates.send(Arc::from(m.to_text()));
    };
    let mut strip_tick = tokio::time::interval(STRIP_TICK);
    strip_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut meter_tick = tokio::time::interval(METER_TICK);
    meter_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stab_tick = tokio::time::interval(STABILIZER_TICK);
    stab_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stab_dirty = false;
    let mut last_stab: Option<StabilizerOut> = None;
    let mut links_changed = false;
    let (mut journal_open, mut scenes_open) = (true, true);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            join = joins.recv() => {
                let Some(reply) = join else { return };
                // Pending strip changes go out first, so the picture and the stream agree.
                for m in state.strip_updates() {
                    send(m);
                }
                let hello = state.hello(stabilizer.as_ref(), &scenes.borrow(), &journal.borrow());
                let _ = reply.send(Joined { hello, updates: updates.subscribe() });
                // The newcomer gets the meters at the next tick, even if they hold still.
                state.last_meters = None;
            }
            change = changes.recv() => match change {
                Ok(Change { param, value, .. }) => {
                    let before = state.current_scene;
                    if state.apply(&param, &value) {
                        send(ServerMessage::Look { lang: state.lang, theme: state.theme });
                    }
                    if state.current_scene != before {
                        send(ServerMessage::Scenes {
                            scenes: scenes_out(&scenes.borrow()),
                            current_scene: state.current_scene,
                        });
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    debug!(missed = n, "web view fell behind the desk; reading it whole");
                    let Ok(snapshot) = desk.snapshot().await else { return };
                    for (p, v) in &snapshot {
                        state.apply(p, v);
                    }
                    state.dirty.iter_mut().for_each(|d| *d = true);
                    state.any_dirty = true;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = strip_tick.tick() => {
                for m in state.strip_updates() {
                    send(m);
                }
                if links_changed {
                    links_changed = false;
                    send(ServerMessage::Links { links: state.links.clone() });
                }
            }
            _ = meter_tick.tick() => {
                if updates.receiver_count() == 0 {
                    continue;
                }
                let frame = {
                    let x = x32_meters.borrow();
                    let c = camilla_meters.borrow();
                    state.meters(&x, &c, Instant::now())
                };
                if let Some(m) = frame {
                    send(m);
                }
            }
            _ = stab_tick.tick(), if stab_dirty => {
                stab_dirty = false;
                if let Some(rx) = &stabilizer {
                    let now = stabilizer_out(&rx.borrow());
                    if last_stab.as_ref() != Some(&now) {
                        last_stab = Some(now.clone());
                        send(ServerMessage::Stabilizer(now));
                    }
                }
            }
            r = async {
                match stabilizer.as_mut() {
                    Some(rx) => rx.changed().await,
                    None => std::future::pending().await,
                }
            } => {
                if r.is_err() {
                    stabilizer = None;
                } else {
                    stab_dirty = true;
                }
            }
            r = journal.changed(), if journal_open => {
                if r.is_err() {
                    warn!("the journal stopped; the web pages keep its last lines");
                    journal_open = false;
                    continue;
                }
                send(ServerMessage::Journal { journal: journal_out(&journal.borrow_and_update()) });
            }
            r = scenes.changed(), if scenes_open => {
                if r.is_err() {
                    scenes_open = false;
                    continue;
                }
                send(ServerMessage::Scenes {
                    scenes: scenes_out(&scenes.borrow_and_update()),
                    current_scene: state.current_scene,
                });
            }
            Some((m, now)) = link_changes.recv() => {
                state.links.insert(m.as_str(), now.as_str());
                links_changed = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn banks_follow_families_eight_at_most_and_leave_the_master_out() {
        let c = Config::demo("127.0.0.1:10023".parse().unwrap());
        let (mut list, master) = strips::from_config(&c);
        list.extend(master);
        let b = banks(&list, true);
        let labels: Vec<_> = b.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(
            labels,
            ["CH 1–8", "CH 9–16", "BUS 1–8", "MTX 1–6", "DCA 1–8"]
        );
        let last = list.len() - 1;
        assert!(b.iter().all(|b| !b.strips.contains(&last)));
        assert_eq!(b.iter().map(|b| b.strips.len()).sum::<usize>(), last);
    }

    #[test]
    fn the_target_range_is_the_desks() {
        assert_eq!(target_range(), (-40.0, -5.0, 0.5));
    }

    #[test]
    fn a_strip_update_carries_what_changed_only() {
        let c = Config::demo("127.0.0.1:10023".parse().unwrap());
        let (list, _) = strips::from_config(&c);
        let s = &list[0];
        let mut values = Values::default();
        let before = strip_live(0, s, &values);
        values
            .0
            .insert(s.fader.clone(), strips::fader_value(&s.fader, 0.5));
        let after = strip_live(0, s, &values);
        let d = strip_diff(&before, &after).unwrap();
        assert_eq!(d.fader, Some(0.5));
        assert!(d.db.is_some());
        assert!(d.name.is_none() && d.muted.is_none() && d.kind.is_none());
        assert!(strip_diff(&after, &after).is_none());
    }
}
