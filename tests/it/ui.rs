//! The desk screen, headless: the Slint testing backend with the software renderer drives the
//! real widgets (drag a fader, press mute), changes from the desk move them, the language
//! switches live, and the desk is rendered to PNG at every size, theme and language.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use i_slint_backend_testing::{ElementHandle, ElementRoot, TestingBackend, TestingBackendOptions};
use pupitre::config::Config;
use pupitre::desk::{Intent, Normalized, Op, Origin, ParamId, ParamKind, Value};
use pupitre::ui::{strips, DeskWindow, Frame, Look, Screen};
use slint::{ComponentHandle, Model, PhysicalSize};

fn init() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("a fresh test thread");
}

type Sent = Rc<RefCell<Vec<Intent>>>;

fn screen(look: Look) -> (DeskWindow, Rc<RefCell<Screen>>, Sent) {
    init();
    let app = DeskWindow::new().expect("the desk window");
    let sent: Sent = Rc::default();
    let log = sent.clone();
    let config = Config::demo("127.0.0.1:10023".parse().unwrap());
    let screen = Screen::new(
        app.clone_strong(),
        strips::from_config(&config),
        look,
        Box::new(move |i| log.borrow_mut().push(i)),
    );
    app.window().set_size(PhysicalSize::new(1280, 720));
    app.show().unwrap();
    (app, screen, sent)
}

fn p(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

fn one(app: &DeskWindow, label: &str) -> ElementHandle {
    let all: Vec<_> = ElementHandle::find_by_accessible_label(app, label).collect();
    assert_eq!(all.len(), 1, "elements labelled {label:?}");
    all.into_iter().next().unwrap()
}

#[test]
fn dragging_a_fader_sends_the_intent_and_mute_is_a_press() {
    let (app, _screen, sent) = screen(Look::default());
    one(&app, "fader Ch 01").set_accessible_value("0.5");
    let last = sent.borrow().last().cloned().expect("an intent");
    assert_eq!(last.param, p("x32:/ch/01/mix/fader"));
    assert_eq!(last.origin, Origin::Ui);
    let want = ParamKind::Fader.from_normalized(Normalized::new_clamped(0.5));
    assert_eq!(last.op, Op::Set(want));
    // A real drag on the cap: up from where it is.
    let fader = one(&app, "fader Ch 02");
    let at = fader.absolute_position();
    let size = fader.size();
    let before = sent.borrow().len();
    fader.mock_drag(
        slint::LogicalPosition::new(at.x + size.width / 2.0 + 6.0, at.y + 10.0),
        slint::platform::PointerEventButton::Left,
    );
    assert!(sent.borrow().len() > before, "the drag moved the fader");
    one(&app, "mute Ch 03").invoke_accessible_default_action();
    let last = sent.borrow().last().cloned().unwrap();
    // The X32 mutes by switching "on" off; the default (unknown) reads as muted, so it unmutes.
    assert_eq!(last.param, p("x32:/ch/03/mix/on"));
}

#[test]
fn a_change_from_the_desk_moves_the_fader_and_lights_mute_and_solo() {
    let (app, screen, _sent) = screen(Look::default());
    let minus30 = ParamKind::Fader
        .from_db(pupitre::desk::Db::new_lossy(-30.0))
        .unwrap();
    let frame = Frame {
        values: vec![
            (p("x32:/ch/01/config/name"), Value::Text("Lead".into())),
            (p("x32:/ch/01/mix/fader"), minus30.clone()),
            (p("x32:/ch/01/mix/on"), Value::Index(0)),
            (p("x32:/-stat/solosw/01"), Value::Index(1)),
        ],
        ..Frame::default()
    };
    screen.borrow_mut().apply(frame, Instant::now());
    // −30 dB on the console's grid reads −30.1 dB.
    assert_eq!(
        one(&app, "fader Lead").accessible_value(),
        Some(ParamKind::Fader.display(&minus30).into())
    );
    assert_eq!(ParamKind::Fader.display(&minus30), "-30.1 dB");
    assert_eq!(one(&app, "mute Lead").accessible_checked(), Some(true));
    assert_eq!(one(&app, "solo Lead").accessible_checked(), Some(true));
    screen.borrow_mut().apply(
        Frame {
            values: vec![(p("x32:/ch/01/mix/on"), Value::Index(1))],
            ..Frame::default()
        },
        Instant::now(),
    );
    assert_eq!(one(&app, "mute Lead").accessible_checked(), Some(false));
}

#[test]
fn the_language_switches_live() {
    let (app, screen, sent) = screen(Look::default());
    let count = |label: &str| ElementHandle::find_by_accessible_label(&app, label).count();
    assert!(count("MUTE") > 0);
    assert_eq!(count("MUET"), 0);
    let mut look = screen.borrow().look().clone();
    look.language = "fr".into();
    screen.borrow_mut().set_look(look);
    assert!(count("MUET") > 0, "French labels");
    assert_eq!(count("MUTE"), 0);
    // Through the settings panel too: shown at once, and told to the desk, which keeps it.
    app.set_settings_open(true);
    one(&app, "language en").invoke_accessible_default_action();
    assert!(count("MUTE") > 0);
    assert_eq!(screen.borrow().look().language, "en");
    let last = sent.borrow().last().cloned().expect("an intent");
    assert_eq!(last.param, p("pupitre:ui/language"));
    assert_eq!(last.op, Op::Set(Value::Index(0)));
    one(&app, "theme light").invoke_accessible_default_action();
    let last = sent.borrow().last().cloned().expect("an intent");
    assert_eq!(last.param, p("pupitre:ui/theme"));
    assert_eq!(last.op, Op::Set(Value::Index(1)));
    // The desk's value (restored at start, or set from elsewhere) switches it too, without
    // being sent back.
    let before = sent.borrow().len();
    screen.borrow_mut().apply(
        Frame {
            values: vec![(p("pupitre:ui/language"), Value::Index(1))],
            ..Frame::default()
        },
        Instant::now(),
    );
    assert!(count("MUET") > 0);
    assert_eq!(sent.borrow().len(), before);
}

#[test]
fn the_pages_follow_the_controllers_bank_and_move_it() {
    use pupitre::config::FollowBank;
    use pupitre::desk::Strip;
    use pupitre::mapping::Banks;
    use pupitre::ui::banks::Controllers;
    let (app, screen, sent) = screen(Look::default());
    // 800 px: a few strips a page.
    app.window().set_size(PhysicalSize::new(800, 480));
    let xtouch = Banks {
        strips: 8,
        channels: [
            Strip::parse_range("ch/01-32").unwrap(),
            Strip::parse_range("bus/01-16").unwrap(),
        ]
        .concat(),
    };
    screen.borrow_mut().set_controllers(Controllers::new(
        &[("xtouch".into(), xtouch)],
        &FollowBank::Auto,
    ));
    let faders = |app: &DeskWindow| -> Vec<String> {
        app.root_element()
            .query_descendants()
            .match_accessible_role(i_slint_backend_testing::AccessibleRole::Slider)
            .find_all()
            .into_iter()
            .filter_map(|e| e.accessible_label().map(|l| l.to_string()))
            .filter(|l| l.starts_with("fader "))
            .collect()
    };
    assert!(faders(&app).contains(&"fader Ch 01".to_string()));
    // The X-Touch banks to bus 1 (position 32): the screen turns to the page showing it, and
    // marks the strips under the X-Touch's faders.
    screen.borrow_mut().apply(
        Frame {
            values: vec![
                (p("pupitre:surface/xtouch/bank"), Value::Index(32)),
                (p("pupitre:surface/xtouch/connected"), Value::Index(1)),
            ],
            ..Frame::default()
        },
        Instant::now(),
    );
    let shown = faders(&app);
    assert!(shown.contains(&"fader Bus 01".to_string()), "{shown:?}");
    assert!(!shown.contains(&"fader Ch 01".to_string()), "{shown:?}");
    let marked = one(&app, "strip Bus 01").accessible_description();
    assert_eq!(marked.as_deref(), Some("xtouch"));
    assert!(
        app.get_page_label().ends_with("· xtouch"),
        "{}",
        app.get_page_label()
    );
    let status = app.get_controllers();
    assert_eq!(status.row_count(), 1);
    let c = status.row_data(0).unwrap();
    assert!(c.connected);
    assert_eq!(c.on.as_str(), "Bus 01–Bus 08");
    // Paging on the screen moves the X-Touch to the new page's first strip it has.
    let before = sent.borrow().len();
    one(&app, "page previous").invoke_accessible_default_action();
    let moved: Vec<Intent> = sent.borrow()[before..].to_vec();
    let [bank] = moved.as_slice() else {
        panic!("{moved:?}")
    };
    assert_eq!(bank.param, p("pupitre:surface/xtouch/bank"));
    assert_eq!(bank.origin, Origin::Ui);
    let Op::Set(Value::Index(at)) = bank.op else {
        panic!("{bank:?}")
    };
    assert!(at < 32, "{at}");
    let first = faders(&app)[0].clone();
    assert_eq!(first, format!("fader Ch {:02}", at + 1));
}

#[test]
fn touch_targets_are_at_least_40_px_at_800_by_480() {
    let (app, _screen, _sent) = screen(Look::default());
    app.window().set_size(PhysicalSize::new(800, 480));
    for role in [
        i_slint_backend_testing::AccessibleRole::Checkbox,
        i_slint_backend_testing::AccessibleRole::Slider,
    ] {
        let all = app
            .root_element()
            .query_descendants()
            .match_accessible_role(role)
            .find_all();
        assert!(!all.is_empty());
        for e in all {
            let s = e.size();
            assert!(
                s.width >= 40.0 && s.height >= 40.0,
                "{:?} is {}×{}",
                e.accessible_label(),
                s.width,
                s.height
            );
        }
    }
}

/// A desk in a plausible state: names, colours, faders, meters and a stabilizer riding.
fn demo_frame() -> Frame {
    use pupitre::desk::{Db, MeterFrame, MixerId, Strip, StripLevel};
    let mut values = Vec::new();
    let names = [
        "Lead", "Guitar", "Bass", "Kick", "Snare", "Keys", "Choir L", "Choir R",
    ];
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        values.push((
            p(&format!("x32:/ch/{n:02}/config/name")),
            Value::Text((*name).into()),
        ));
        values.push((
            p(&format!("x32:/ch/{n:02}/config/color")),
            Value::Index((i % 7 + 1) as u32),
        ));
        values.push((
            p(&format!("x32:/ch/{n:02}/mix/fader")),
            ParamKind::Fader
                .from_db(Db::new_lossy(-(i as f64) * 2.5))
                .unwrap(),
        ));
        values.push((
            p(&format!("x32:/ch/{n:02}/mix/on")),
            Value::Index(u32::from(i != 3)),
        ));
    }
    values.push((p("x32:/-stat/solosw/02"), Value::Index(1)));
    values.push((
        p("x32:/main/st/mix/fader"),
        ParamKind::Fader.from_db(Db::ZERO).unwrap(),
    ));
    values.push((p("x32:/main/st/mix/on"), Value::Index(1)));
    values.push((p("pupitre:surface/mixtrack/connected"), Value::Index(1)));
    let mut x32 = MeterFrame::empty(MixerId::X32);
    for n in 1..=16u8 {
        let db = Db::new_lossy(-40.0 + f64::from(n) * 2.5);
        x32.levels.insert(Strip::Channel(n), StripLevel::mono(db));
    }
    x32.levels
        .insert(Strip::MainStereo, StripLevel::mono(Db::new_lossy(-12.0)));
    let stabilizer = {
        use pupitre::stabilizer::{Activity, Settings, StabilizerSetup, Status};
        let mut st = pupitre::stabilizer::initial_state(&StabilizerSetup {
            enabled: true,
            source: Strip::Matrix(1),
            settings: Settings::default(),
            resume_after: std::time::Duration::from_secs(10),
        });
        st.enabled = true;
        st.status = Status::Active(Activity::Holding);
        st.momentary_lufs = Some(-16.8);
        st.estimate_lufs = Some(-16.3);
        st.fader_db = Some(1.5);
        st.home_db = Some(0.0);
        st
    };
    Frame {
        values,
        x32: Some(x32),
        stabilizer: Some(stabilizer),
        links: vec![("X32".into(), pupitre::desk::LinkState::Online, None)],
        last: Some(("x32:/ch/01/mix/fader -2.5 dB".into(), "mixtrack".into())),
        ..Frame::default()
    }
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The window as it stands, at 800×480 and 1280×720 in English and French, to
/// `NAME-WxH-LANG.png` in the screenshots folder; then back to the default look and size.
fn shoot_sizes_and_languages(app: &DeskWindow, screen: &Rc<RefCell<Screen>>, name: &str) {
    let dir = shots_dir();
    for (w, h) in [(800, 480), (1280, 720)] {
        for lang in ["en", "fr"] {
            screen.borrow_mut().set_look(Look {
                language: lang.into(),
                theme: 0,
                density: 1,
            });
            app.window().set_size(PhysicalSize::new(w, h));
            let shot = app.window().take_snapshot().expect("a snapshot");
            pupitre::ui::render::write_png(
                &dir.join(format!("{name}-{w}x{h}-{lang}.png")),
                w,
                h,
                shot.as_bytes(),
            )
            .unwrap();
        }
    }
    screen.borrow_mut().set_look(Look::default());
    app.window().set_size(PhysicalSize::new(1280, 720));
}

#[test]
fn screenshots_at_every_size_theme_and_language() {
    let (app, screen, _sent) = screen(Look::default());
    // An X-Touch on channels 1–8, beside the demo's deck.
    let xtouch = pupitre::mapping::Banks {
        strips: 8,
        channels: pupitre::desk::Strip::parse_range("ch/01-32").unwrap(),
    };
    screen
        .borrow_mut()
        .set_controllers(pupitre::ui::banks::Controllers::new(
            &[("xtouch".into(), xtouch)],
            &pupitre::config::FollowBank::Auto,
        ));
    let mut frame = demo_frame();
    frame
        .values
        .push((p("pupitre:surface/xtouch/connected"), Value::Index(1)));
    screen.borrow_mut().apply(frame, Instant::now());
    let dir = shots_dir();
    let reference = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ui");
    let mut compared = 0;
    for (w, h) in [(800, 480), (1024, 600), (1280, 720), (1920, 1080)] {
        for (theme, theme_name) in [(0, "dark"), (1, "light")] {
            for lang in ["en", "fr"] {
                screen.borrow_mut().set_look(Look {
                    language: lang.into(),
                    theme,
                    density: 1,
                });
                app.window().set_size(PhysicalSize::new(w, h));
                let shot = app.window().take_snapshot().expect("a snapshot");
                assert_eq!((shot.width(), shot.height()), (w, h));
                let name = format!("desk-{w}x{h}-{theme_name}-{lang}.png");
                pupitre::ui::render::write_png(&dir.join(&name), w, h, shot.as_bytes()).unwrap();
                let want = reference.join(&name);
                if std::env::var_os("PUPITRE_UPDATE_UI_REFERENCES").is_some()
                    && (w, h) != (1920, 1080)
                    && theme == 0
                {
                    std::fs::copy(dir.join(&name), &want).unwrap();
                }
                if want.is_file() {
                    let diff = mean_difference(&want, shot.as_bytes());
                    assert!(
                        diff < 0.01,
                        "{name} differs from its reference by {:.1} %",
                        diff * 100.0
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 3, "references compared: {compared}");
}

/// Mean absolute difference per channel, 0–1.
fn mean_difference(reference: &std::path::Path, rgba: &[u8]) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(reference).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let want = &buf[..info.buffer_size()];
    assert_eq!(want.len(), rgba.len(), "{}: size", reference.display());
    let sum: u64 = want
        .iter()
        .zip(rgba)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    sum as f64 / (want.len() as f64 * 255.0)
}

#[test]
fn the_crossfader_and_the_leveler_profile_send_intents() {
    let (app, screen, sent) = screen(Look::default());
    screen
        .borrow_mut()
        .set_crossfader(Some(p("camilla:crossfader")));
    one(&app, "crossfader").set_accessible_value("0.25");
    let last = sent.borrow().last().cloned().unwrap();
    assert_eq!(last.param, p("camilla:crossfader"));
    assert_eq!(
        last.op,
        Op::Set(Value::Level(Normalized::new_clamped(0.25)))
    );
    one(&app, "profile 1").invoke_accessible_default_action();
    let last = sent.borrow().last().cloned().unwrap();
    assert_eq!(last.param, p("pupitre:stabilizer/profile"));
    assert_eq!(last.op, Op::Set(Value::Index(1)));
    one(&app, "target -18").invoke_accessible_default_action();
    let last = sent.borrow().last().cloned().unwrap();
    assert_eq!(last.param, p("pupitre:stabilizer/preset"));
    assert_eq!(last.op, Op::Set(Value::Index(2)));
}

/// Every text the screen shows has its French: each `@tr("…")` in the .slint files is a
/// msgid with a non-empty msgstr in `ui/lang/fr/LC_MESSAGES/pupitre.po`.
#[test]
fn the_french_translation_is_complete() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let po = std::fs::read_to_string(root.join("ui/lang/fr/LC_MESSAGES/pupitre.po")).unwrap();
    let translated: std::collections::HashSet<String> = po
        .split("\n\n")
        .filter_map(|entry| {
            let id = entry.lines().find_map(|l| l.strip_prefix("msgid \""))?;
            let text = entry.lines().find_map(|l| {
                l.strip_prefix("msgstr \"")
                    .or_else(|| l.strip_prefix("msgstr[0] \""))
            })?;
            (text.len() > 1).then(|| id.trim_end_matches('"').to_string())
        })
        .collect();
    let mut missing = Vec::new();
    let mut seen = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("ui"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "slint"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("@tr(\"") {
            let rest = &text[at + 5..];
            let mut end = 0;
            let bytes = rest.as_bytes();
            while end < bytes.len()
                && !(bytes[end] == b'"' && (end == 0 || bytes[end - 1] != b'\\'))
            {
                end += 1;
            }
            let id = &rest[..end];
            seen += 1;
            if !translated.contains(id) {
                missing.push(id.to_string());
            }
        }
    }
    assert!(seen > 40, "found only {seen} texts");
    assert!(missing.is_empty(), "no French for {missing:?}");
}

#[test]
fn the_memory_panel_recalls_saves_resets_and_picks_the_stream_feed() {
    use pupitre::state::{Command, SceneSummary};
    use pupitre::ui::memory::{self, FeedLine, JournalLine, ScreenLink};
    let (app, screen, sent) = screen(Look::default());
    let asked: Rc<RefCell<Vec<Command>>> = Rc::default();
    let log = asked.clone();
    let intents = sent.clone();
    let page = screen.clone();
    memory::connect(
        &app,
        ScreenLink {
            send: Rc::new(move |i| intents.borrow_mut().push(i)),
            ask: Rc::new(move |c| log.borrow_mut().push(c)),
            page_scope: Rc::new(move || page.borrow().page_scope()),
        },
    );
    let scene = |slot: u32, name: &str, scope: &str| SceneSummary {
        slot,
        name: name.into(),
        scope: scope.into(),
        saved: "2026-11-22T14:03:07Z".into(),
        values: 199,
    };
    memory::show(
        &app,
        &[
            scene(1, "Intro", "all"),
            scene(4, "Sermon", "faders + x32:/main/st"),
        ],
        &[JournalLine {
            time: "14:03:07".into(),
            who: "xtouch".into(),
            what: "x32:/ch/01/mix/fader".into(),
            change: "-12.0 dB → -3.5 dB (×14)".into(),
        }],
        &[
            FeedLine {
                source: 16,
                label: "Matrix 1".into(),
                reasons: "LR + bus 5 → matrix 1 → card outputs 1-2".into(),
            },
            FeedLine {
                source: 22,
                label: "Main LR".into(),
                reasons: "main LR → outputs 1-2 (analog)".into(),
            },
        ],
    );
    one(&app, "memory").invoke_accessible_default_action();
    one(&app, "recall 4").invoke_accessible_default_action();
    assert_eq!(
        asked.borrow().last(),
        Some(&Command::Recall { scene: "4".into() })
    );
    one(&app, "save scene").invoke_accessible_default_action();
    assert_eq!(
        asked.borrow().last(),
        Some(&Command::Save {
            slot: None,
            name: String::new(),
            scope: vec![]
        })
    );
    // Updating and deleting ask twice.
    let n = asked.borrow().len();
    one(&app, "update 4").invoke_accessible_default_action();
    assert_eq!(asked.borrow().len(), n, "armed, not done");
    one(&app, "update 4").invoke_accessible_default_action();
    assert_eq!(
        asked.borrow().last(),
        Some(&Command::Save {
            slot: Some(4),
            name: "Sermon".into(),
            scope: vec!["faders".into(), "x32:/main/st".into()]
        })
    );
    one(&app, "delete 1").invoke_accessible_default_action();
    one(&app, "delete 1").invoke_accessible_default_action();
    assert_eq!(
        asked.borrow().last(),
        Some(&Command::Delete { scene: "1".into() })
    );
    // The desk says scene 4 is the current one: its recall button is lit.
    screen.borrow_mut().apply(
        Frame {
            values: vec![(p("pupitre:scene/current"), Value::Index(4))],
            ..Frame::default()
        },
        Instant::now(),
    );
    assert_eq!(one(&app, "recall 4").accessible_checked(), Some(true));
    assert_eq!(one(&app, "recall 1").accessible_checked(), Some(false));
    let shoot = |name: &str| shoot_sizes_and_languages(&app, &screen, &format!("memory-{name}"));
    shoot("scenes");
    one(&app, "memory tab 1").invoke_accessible_default_action();
    shoot("journal");
    // Reset this page: the strips on it, after a second press.
    one(&app, "memory tab 2").invoke_accessible_default_action();
    shoot("reset");
    one(&app, "reset page").invoke_accessible_default_action();
    one(&app, "reset page").invoke_accessible_default_action();
    let Some(Command::Reset { scope }) = asked.borrow().last().cloned() else {
        panic!("a reset: {:?}", asked.borrow().last());
    };
    assert_eq!(
        scope.first().map(String::as_str),
        Some("x32:/ch/01"),
        "{scope:?}"
    );
    assert!(scope.len() >= 4, "{scope:?}");
    one(&app, "reset camilla").invoke_accessible_default_action();
    one(&app, "reset camilla").invoke_accessible_default_action();
    assert_eq!(
        asked.borrow().last(),
        Some(&Command::Reset {
            scope: vec!["camilla".into()]
        })
    );
    // The stream feeds: "Use" sets the leveler's source on the desk.
    one(&app, "memory tab 3").invoke_accessible_default_action();
    one(&app, "use feed 16").invoke_accessible_default_action();
    let last = sent.borrow().last().cloned().unwrap();
    assert_eq!(last.param, p("pupitre:stabilizer/source"));
    assert_eq!(last.op, Op::Set(Value::Index(16)));
    screen.borrow_mut().apply(
        Frame {
            values: vec![(p("pupitre:stabilizer/source"), Value::Index(16))],
            ..Frame::default()
        },
        Instant::now(),
    );
    assert_eq!(one(&app, "use feed 16").accessible_checked(), Some(true));
    shoot("feeds");
}

#[test]
fn the_phone_panel_shows_a_working_code_counts_down_and_forgets_after_asking_twice() {
    use pupitre::ui::{web_pair, WebPairLogic};
    use pupitre::web::WebHandle;
    use std::cell::Cell;
    use std::time::Duration;
    let (app, screen, _sent) = screen(Look::default());
    screen.borrow_mut().apply(demo_frame(), Instant::now());
    let count = |label: &str| ElementHandle::find_by_accessible_label(&app, label).count();
    web_pair::connect(&app, None);
    assert_eq!(count("phone"), 0, "no web remote, no Phone button");
    let web = WebHandle::detached(vec![
        "https://192.168.1.20:8032/".into(),
        "https://pupitre.local:8032/".into(),
    ]);
    // The countdown reads this clock; the test moves it.
    let clock = Rc::new(Cell::new(Instant::now()));
    let now = clock.clone();
    web_pair::connect_with_clock(&app, Some(web.clone()), Rc::new(move || now.get()));
    for device in ["Anna's phone", "Vestry iPad"] {
        let code = web.pair().code;
        web.redeem(&code, device)
            .unwrap()
            .expect("a fresh code works");
    }
    one(&app, "phone").invoke_accessible_default_action();
    assert!(app.get_pair_open());
    let logic = app.global::<WebPairLogic>();
    let shown = logic.get_code().to_string();
    let spaced_six_digits = |c: &str| {
        c.len() == 7
            && c.char_indices().all(|(i, ch)| {
                if i == 3 {
                    ch == ' '
                } else {
                    ch.is_ascii_digit()
                }
            })
    };
    assert!(spaced_six_digits(&shown), "{shown:?}");
    assert_eq!(
        one(&app, "pairing code").accessible_value().as_deref(),
        Some(shown.as_str())
    );
    assert_eq!(
        count("https://pupitre.local:8032/"),
        1,
        "the addresses are shown"
    );
    assert_eq!(count("forget Anna's phone"), 1);
    assert_eq!(count("forget Vestry iPad"), 1);
    // "New code" offers another (three tries: two random codes may be equal, 1 in a million).
    let mut fresh = shown.clone();
    for _ in 0..3 {
        one(&app, "new pairing code").invoke_accessible_default_action();
        fresh = logic.get_code().to_string();
        if fresh != shown {
            break;
        }
    }
    assert_ne!(fresh, shown);
    assert!(spaced_six_digits(&fresh), "{fresh:?}");
    // The code on the screen is one the web remote takes, once, typed as shown; at its next
    // tick the panel lists the new browser and offers a new code (the shown one is spent).
    let countdown = || {
        one(&app, "pairing countdown")
            .accessible_value()
            .unwrap_or_default()
            .to_string()
    };
    web.redeem(&fresh, "Choir laptop")
        .unwrap()
        .expect("the shown code works");
    assert!(
        web.redeem(&fresh, "Choir laptop").unwrap().is_none(),
        "once"
    );
    assert_eq!(count("forget Choir laptop"), 0);
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
    assert_eq!(logic.get_just_paired(), "Choir laptop");
    assert_eq!(count("forget Choir laptop"), 1);
    let renewed = logic.get_code().to_string();
    assert!(spaced_six_digits(&renewed), "{renewed:?}");
    // The countdown follows the clock at each tick.
    clock.set(Instant::now() + Duration::from_secs(48));
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
    // The code was made a moment before the clock was read: 4:12 left, or a second less.
    let left = countdown();
    assert!(
        left == "valid for 4:12" || left == "valid for 4:11",
        "{left:?}"
    );
    let shoot = |name: &str| shoot_sizes_and_languages(&app, &screen, name);
    shoot("web-pair");
    // Past its five minutes the panel says so and lights "New code".
    clock.set(clock.get() + Duration::from_secs(300));
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
    assert!(logic.get_expired());
    assert_eq!(countdown(), "This code has expired.");
    assert_eq!(
        one(&app, "new pairing code").accessible_checked(),
        Some(true)
    );
    shoot("web-pair-expired");
    clock.set(Instant::now());
    one(&app, "new pairing code").invoke_accessible_default_action();
    assert!(!logic.get_expired());
    assert!(countdown().starts_with("valid for "), "{}", countdown());
    // Forgetting asks twice, then the browser is unpaired and leaves the list.
    one(&app, "forget Anna's phone").invoke_accessible_default_action();
    assert_eq!(web.tokens().unwrap().len(), 3, "armed, not done");
    assert_eq!(
        one(&app, "forget Anna's phone").accessible_checked(),
        Some(true)
    );
    one(&app, "forget Anna's phone").invoke_accessible_default_action();
    let left: Vec<String> = web
        .tokens()
        .unwrap()
        .into_iter()
        .map(|r| r.device)
        .collect();
    assert_eq!(left, ["Vestry iPad", "Choir laptop"]);
    assert_eq!(count("forget Anna's phone"), 0);
    assert_eq!(logic.get_error(), "");
    // Opening Scenes closes it; the close button too.
    one(&app, "memory").invoke_accessible_default_action();
    assert!(!app.get_pair_open());
    one(&app, "phone").invoke_accessible_default_action();
    assert!(app.get_pair_open());
    one(&app, "close pairing").invoke_accessible_default_action();
    assert!(!app.get_pair_open());
}
