//! The desk's memory against the fake X32 and the real CamillaDSP: a scene saved, everything
//! changed, the scene recalled, and a second pupitre reading both mixers back finds exactly the
//! saved values; the desk state saved and put back at start (CamillaDSP by default, the X32
//! only when asked); resets; the command line through the control socket.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pupitre::config::{CamillaConfig, Config, RestoreConfig, StateConfig};
use pupitre::desk::{
    DeskHandle, Intent, LinkState, MixerId, Normalized, Op, Origin, ParamId, ParamKind, Value,
};
use pupitre::service::Service;
use pupitre::state::{Command, Reply};
use pupitre::x32::fake::{FakeScene, FakeX32};
use tokio_util::sync::CancellationToken;

use crate::support::camilla::{dummy_config, CamillaServer};
use crate::support::*;

/// Fader positions on the X32's 1024-step grid.
const HALF: f64 = 512.0 / 1023.0;
const QUARTER: f64 = 256.0 / 1023.0;

fn config(
    fake: &FakeX32,
    camilla: &CamillaServer,
    state: Option<&Path>,
    restore_x32: bool,
) -> Config {
    let mut c = Config::demo(fake.local_addr());
    c.camilla = Some(CamillaConfig {
        url: camilla.url(),
        channels: 2,
        aux_faders: 2,
        config: None,
        crossfader: false,
        group_tone: true,
    });
    c.state = state.map_or(StateConfig::Nowhere, |d| StateConfig::Dir(d.to_owned()));
    c.restore = RestoreConfig {
        x32: restore_x32,
        camilla: true,
    };
    c
}

async fn start(config: &Config) -> (Service, DeskHandle) {
    let service = Service::start(config, CancellationToken::new()).expect("service starts");
    let desk = service.desk().clone();
    for mixer in [MixerId::X32, MixerId::Camilla] {
        within(8.0, "mixers online", async {
            desk.link_status(mixer)
                .wait_for(|s| s.state == LinkState::Online)
                .await
                .unwrap();
        })
        .await;
    }
    (service, desk)
}

/// Every X32 and CamillaDSP value on the desk.
async fn mixer_values(desk: &DeskHandle) -> Vec<(ParamId, Value)> {
    desk.snapshot()
        .await
        .unwrap()
        .into_iter()
        .filter(|(p, _)| matches!(p.mixer(), MixerId::X32 | MixerId::Camilla))
        .collect()
}

/// A value other than `v` for a parameter of `kind`, on its grid.
fn other(kind: ParamKind, v: &Value) -> Value {
    match v {
        Value::Level(n) => {
            let x = n.get();
            kind.from_normalized(Normalized::new_clamped(if x < 0.5 {
                x + 0.31
            } else {
                x - 0.31
            }))
        }
        Value::Index(i) => match kind {
            ParamKind::Choice { count } => Value::Index((i + 1) % count),
            _ => Value::Index(1 - i.min(&1)),
        },
        Value::Text(t) => Value::Text(format!("{}x", &t[..t.len().min(10)]).into()),
    }
}

async fn ask(service: &Service, command: Command) -> Reply {
    let reply = service.memory().ask(command, Origin::Cli).await.unwrap();
    assert!(reply.ok, "{}", reply.message);
    reply
}

/// The values a fresh pupitre (no saved state) reads back from both mixers.
async fn read_back(fake: &FakeX32, camilla: &CamillaServer) -> Vec<(ParamId, Value)> {
    let (service, desk) = start(&config(fake, camilla, None, false)).await;
    let values = mixer_values(&desk).await;
    service.shutdown(Duration::from_secs(2)).await;
    values
}

fn differences(a: &[(ParamId, Value)], b: &[(ParamId, Value)]) -> Vec<String> {
    let mut out = Vec::new();
    for ((pa, va), (pb, vb)) in a.iter().zip(b) {
        if pa != pb || va != vb {
            out.push(format!(
                "{pa} {} / {pb} {}",
                pa.kind().display(va),
                pb.kind().display(vb)
            ));
        }
    }
    if a.len() != b.len() {
        out.push(format!("{} values against {}", a.len(), b.len()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_scene_puts_both_mixers_back_exactly() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let camilla = CamillaServer::start(&dummy_config());
    let tmp = TempDir::new("scenes");
    let dir = tmp.0.clone();
    let cfg = config(&fake, &camilla, Some(&dir), false);
    let (service, desk) = start(&cfg).await;
    let saved = mixer_values(&desk).await;
    assert!(saved.len() > 150, "{}", saved.len());
    let r = ask(
        &service,
        Command::Save {
            slot: Some(1),
            name: "Before".into(),
            scope: vec![],
        },
    )
    .await;
    assert!(r.message.contains("as scene 1"), "{}", r.message);

    // Change every X32 and CamillaDSP parameter on the desk.
    for (p, v) in &saved {
        desk.send(Intent {
            param: p.clone(),
            op: Op::Set(other(p.kind(), v)),
            origin: Origin::Ui,
        })
        .await
        .unwrap();
    }
    let changed = mixer_values(&desk).await;
    let moved = differences(&saved, &changed).len();
    assert_eq!(moved, saved.len(), "every value moved");

    let r = ask(
        &service,
        Command::Recall {
            scene: "before".into(),
        },
    )
    .await;
    assert!(
        r.message.starts_with("recalled scene 1 \"Before\""),
        "{}",
        r.message
    );
    assert_eq!(
        differences(&saved, &mixer_values(&desk).await),
        Vec::<String>::new()
    );
    assert_eq!(
        desk.get(&param("pupitre:scene/current")).await.unwrap(),
        Some(Value::Index(1))
    );
    // A second pupitre reads both mixers back and finds the scene. (The links write paced and
    // confirm what they wrote, so on a busy machine the last writes may take a moment: read
    // again until they are all there.)
    let mut left = Vec::new();
    for _ in 0..10 {
        left = differences(&saved, &read_back(&fake, &camilla).await);
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(left, Vec::<String>::new());
    service.shutdown(Duration::from_secs(3)).await;

    // A controller's scene button: the desk's `scene/recall`, set back to 0 afterwards.
    let (service, desk) = start(&cfg).await;
    let fader = param("x32:/ch/01/mix/fader");
    set(&desk, &fader, 0.1, Origin::Ui).await;
    desk.send(Intent {
        param: param("pupitre:scene/recall"),
        op: Op::Set(Value::Index(1)),
        origin: Origin::Surface("xtouch".into()),
    })
    .await
    .unwrap();
    let before = saved
        .iter()
        .find(|(p, _)| *p == fader)
        .map(|(_, v)| v.clone());
    within(3.0, "recall from a controller", async {
        loop {
            let current = desk.get(&fader).await.unwrap();
            let trigger = desk.get(&param("pupitre:scene/recall")).await.unwrap();
            if current == before && trigger == Some(Value::Index(0)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    // Scoped scenes touch only their scope; a reset touches only what it names.
    let ch1 = saved
        .iter()
        .filter(|(p, _)| p.to_string().starts_with("x32:/ch/01/"))
        .count();
    assert!(ch1 >= 4, "{ch1}");
    let r = ask(
        &service,
        Command::Save {
            slot: None,
            name: "Ch 1".into(),
            scope: vec!["x32:/ch/01".into()],
        },
    )
    .await;
    assert!(r.message.contains("as scene 2"), "{}", r.message);
    assert!(
        r.message.starts_with(&format!("saved {ch1} values")),
        "{}",
        r.message
    );
    let r = ask(
        &service,
        Command::Reset {
            scope: vec!["x32:/ch/02".into()],
        },
    )
    .await;
    assert!(r.message.starts_with("reset x32:/ch/02:"), "{}", r.message);
    assert_eq!(
        desk.get(&param("x32:/ch/02/mix/fader")).await.unwrap(),
        Some(Value::Level(Normalized::MIN))
    );
    assert_eq!(
        desk.get(&param("x32:/ch/02/mix/on")).await.unwrap(),
        Some(Value::Index(1))
    );
    assert_eq!(
        desk.get(&fader).await.unwrap(),
        before,
        "channel 1 untouched"
    );
    let list = ask(&service, Command::List).await.scenes;
    assert_eq!(
        list.iter()
            .map(|s| (s.slot, s.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "Before"), (2, "Ch 1")]
    );
    service.shutdown(Duration::from_secs(2)).await;
    assert!(dir.join("scenes/scene-01.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_state_goes_back_to_camilladsp_and_to_the_x32_only_when_asked() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let camilla = CamillaServer::start(&dummy_config());
    let tmp = TempDir::new("restore");
    let dir = tmp.0.clone();
    let volume = param("camilla:main/volume");
    let fader = param("x32:/ch/02/mix/fader");
    let cfg = config(&fake, &camilla, Some(&dir), false);

    // A run sets both; the desk state is saved shortly after (and at the stop).
    let (service, desk) = start(&cfg).await;
    let minus12 = volume
        .kind()
        .from_db(pupitre::desk::Db::new_lossy(-12.0))
        .unwrap();
    desk.send(Intent {
        param: volume.clone(),
        op: Op::Set(minus12.clone()),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
    set(&desk, &fader, HALF, Origin::Ui).await;
    let state_file = dir.join("desk-state.json");
    within(7.0, "the desk state saved", async {
        while !std::fs::read_to_string(&state_file)
            .unwrap_or_default()
            .contains("\"camilla:main/volume\", \"position\"")
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;

    // While pupitre is off, someone turns CamillaDSP down and moves the X32's fader.
    let other_volume = volume
        .kind()
        .from_db(pupitre::desk::Db::new_lossy(-40.0))
        .unwrap();
    {
        let (service, desk) = start(&config(&fake, &camilla, None, false)).await;
        desk.send(Intent {
            param: volume.clone(),
            op: Op::Set(other_volume.clone()),
            origin: Origin::Ui,
        })
        .await
        .unwrap();
        service.shutdown(Duration::from_secs(2)).await;
    }
    assert!(fake.set_local("/ch/02/mix/fader", rosc::OscType::Float(QUARTER as f32)));

    // Next start: CamillaDSP gets its saved −12 dB back; the X32 keeps its 0.25.
    let (service, desk) = start(&cfg).await;
    within(10.0, "CamillaDSP restored", async {
        while desk.get(&volume).await.unwrap() != Some(minus12.clone()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        desk.get(&fader).await.unwrap(),
        Some(level(QUARTER)),
        "the X32 is the truth"
    );
    service.shutdown(Duration::from_secs(2)).await;
    let back = read_back(&fake, &camilla).await;
    assert_eq!(
        back.iter()
            .find(|(p, _)| *p == volume)
            .map(|(_, v)| v.clone()),
        Some(minus12)
    );

    // With restore_x32, the X32 gets the saved fader back too. (The run above saved the X32's
    // 0.25 when it read it back; put the 0.5 back in the file by saving it again.)
    let (service, desk) = start(&cfg).await;
    set(&desk, &fader, HALF, Origin::Ui).await;
    service.shutdown(Duration::from_secs(2)).await;
    assert!(fake.set_local("/ch/02/mix/fader", rosc::OscType::Float(QUARTER as f32)));
    let (service, _desk) = start(&config(&fake, &camilla, Some(&dir), true)).await;
    within(
        15.0,
        "the X32 restored",
        fake_holds(&fake, "/ch/02/mix/fader", HALF as f32),
    )
    .await;
    service.shutdown(Duration::from_secs(2)).await;

    // A run where CamillaDSP never comes online keeps its saved values in the file (the desk
    // only holds defaults for it), while the X32's are saved as read back.
    let mut camilla = camilla;
    let saved_volume = |text: &str| {
        text.lines()
            .find(|l| l.contains("\"camilla:main/volume\""))
            .map(str::to_owned)
    };
    let before =
        saved_volume(&std::fs::read_to_string(&state_file).unwrap()).expect("saved volume");
    assert!(before.contains("-12.0 dB"), "{before}");
    camilla.kill();
    let service = Service::start(&cfg, CancellationToken::new()).expect("service starts");
    let desk = service.desk().clone();
    within(5.0, "X32 online", async {
        desk.link_status(MixerId::X32)
            .wait_for(|s| s.state == LinkState::Online)
            .await
            .unwrap();
    })
    .await;
    set(&desk, &fader, QUARTER, Origin::Ui).await;
    service.shutdown(Duration::from_secs(2)).await;
    let text = std::fs::read_to_string(&state_file).unwrap();
    assert_eq!(saved_volume(&text), Some(before));
    let fader_line = text
        .lines()
        .find(|l| l.contains("\"x32:/ch/02/mix/fader\""))
        .unwrap();
    assert!(fader_line.contains(&format!("{QUARTER}")), "{fader_line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run the pupitre binary; its exit status, stdout and stderr.
async fn cli(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("pupitre runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir` with its bytes, to show that nothing changed.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_saves_and_recalls_through_the_running_desk_and_moves_scenes_between_files(
) {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let camilla = CamillaServer::start(&dummy_config());
    let tmp = TempDir::new("cli-scenes");
    let dir = tmp.0.clone();
    let state = dir.join("state");
    let s = state.to_str().unwrap();
    // Nothing runs yet: saving needs the desk, listing works on the files.
    let (ok, _, err) = cli(&["scene", "save", "Intro", "--state-dir", s]).await;
    assert!(!ok);
    assert!(
        err.contains("pupitre is not running with the state folder"),
        "{err}"
    );
    let (ok, out, _) = cli(&["scene", "list", "--state-dir", s]).await;
    assert!(ok);
    assert!(out.contains("no scenes yet"), "{out}");

    let (service, desk) = start(&config(&fake, &camilla, Some(&state), false)).await;
    let fader = param("x32:/ch/01/mix/fader");
    set(&desk, &fader, HALF, Origin::Ui).await;
    let (ok, out, err) = cli(&["scene", "save", "Intro", "--state-dir", s]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("saved ") && out.contains("as scene 1 \"Intro\""),
        "{out}"
    );
    let (ok, out, err) = cli(&[
        "scene",
        "save",
        "Mains",
        "--slot",
        "5",
        "--scope",
        "faders",
        "--scope",
        "x32:/main/st",
        "--state-dir",
        s,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("as scene 5 \"Mains\""), "{out}");
    set(&desk, &fader, QUARTER, Origin::Ui).await;
    let (ok, out, err) = cli(&["scene", "recall", "intro", "--state-dir", s]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("recalled scene 1 \"Intro\": 1 values changed"),
        "{out}"
    );
    assert_eq!(desk.get(&fader).await.unwrap(), Some(level(HALF)));
    within(
        3.0,
        "the X32 follows",
        fake_holds(&fake, "/ch/01/mix/fader", HALF as f32),
    )
    .await;
    let (ok, _, err) = cli(&["scene", "recall", "9", "--state-dir", s]).await;
    assert!(!ok);
    assert!(err.contains("no scene in slot 9"), "{err}");
    let (ok, out, _) = cli(&["reset", "x32:/ch/01", "--state-dir", s]).await;
    assert!(ok && out.starts_with("reset x32:/ch/01:"), "{out}");
    assert_eq!(desk.get(&fader).await.unwrap(), Some(level(0.0)));
    let (ok, out, _) = cli(&["scene", "list", "--state-dir", s]).await;
    assert!(ok);
    assert!(
        out.contains("   1  Intro") && out.contains("   5  Mains"),
        "{out}"
    );

    // Export from the running desk, in both syntaxes.
    let json = dir.join("show.json");
    let xml = dir.join("show.xml");
    for f in [&json, &xml] {
        let (ok, out, err) = cli(&["export", f.to_str().unwrap(), "--state-dir", s]).await;
        assert!(ok, "{err}");
        assert!(out.starts_with("exported 3 settings and 2 scenes"), "{out}");
    }
    service.shutdown(Duration::from_secs(2)).await;
    let json_text = std::fs::read_to_string(&json).unwrap();
    assert!(json_text.contains("\"name\": \"Intro\""), "{json_text}");

    // Into another state folder, without pupitre running: XML in, JSON out gives the same
    // bytes as the JSON exported from the desk.
    let other = dir.join("other");
    let o = other.to_str().unwrap();
    let (ok, out, err) = cli(&["import", xml.to_str().unwrap(), "--state-dir", o]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("imported 2 scenes and 3 settings"), "{out}");
    let again = dir.join("again.json");
    let (ok, _, err) = cli(&["export", again.to_str().unwrap(), "--state-dir", o]).await;
    assert!(ok, "{err}");
    assert_eq!(std::fs::read_to_string(&again).unwrap(), json_text);

    // A second import of the same scenes is refused without --replace, and changes nothing.
    let before = files(&other);
    let (ok, _, err) = cli(&["import", json.to_str().unwrap(), "--state-dir", o]).await;
    assert!(!ok);
    assert!(
        err.contains("these slots already hold scenes: 1 \"Intro\", 5 \"Mains\""),
        "{err}"
    );
    assert_eq!(files(&other), before);
    // A damaged file: its line and column, and nothing changes.
    let line = json_text
        .lines()
        .position(|l| l.contains("x32:/ch/01/mix/fader"))
        .unwrap()
        + 1;
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        json_text.replacen("x32:/ch/01/mix/fader", "x32:/ch/01/mix/fade", 1),
    )
    .unwrap();
    let (ok, _, err) = cli(&[
        "import",
        bad.to_str().unwrap(),
        "--replace",
        "--state-dir",
        o,
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains(&format!(
            "bad.json:{line}:9: unknown parameter \"x32:/ch/01/mix/fade\""
        )),
        "{err}"
    );
    assert_eq!(files(&other), before);
    let bad_xml = dir.join("bad.xml");
    std::fs::write(
        &bad_xml,
        std::fs::read_to_string(&xml)
            .unwrap()
            .replacen("index=\"1\"", "index=\"one\"", 1),
    )
    .unwrap();
    let (ok, _, err) = cli(&[
        "import",
        bad_xml.to_str().unwrap(),
        "--replace",
        "--state-dir",
        o,
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("bad.xml:") && err.contains("index=\"one\" is not a whole number"),
        "{err}"
    );
    assert_eq!(files(&other), before);
    let (ok, out, _) = cli(&["import", xml.to_str().unwrap(), "--check"]).await;
    assert!(
        ok && out.contains("3 settings and 2 scenes, all valid"),
        "{out}"
    );
    // Offline rename and delete.
    let (ok, out, _) = cli(&["scene", "rename", "Mains", "Mains only", "--state-dir", o]).await;
    assert!(ok && out.contains("is now \"Mains only\""), "{out}");
    let (ok, _, _) = cli(&["scene", "delete", "1", "--state-dir", o]).await;
    assert!(ok);
    let (_, out, _) = cli(&["scene", "list", "--state-dir", o]).await;
    assert!(
        !out.contains("Intro") && out.contains("Mains only"),
        "{out}"
    );
    let (ok, out, _) = cli(&["reset", "--list"]).await;
    assert!(
        ok && out.contains("CamillaDSP main and Aux volumes") && out.contains("-30 dB"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_is_offered_the_livestream_feeds_read_from_the_x32s_routing() {
    // The demo console sends matrix 1 "Livestream" to outputs 9-10, which reach the card.
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let service = Service::start(&Config::demo(fake.local_addr()), CancellationToken::new())
        .expect("service starts");
    let mut feeds = service.ui_memory().feeds;
    let lines = within(10.0, "the routing read", async {
        feeds.wait_for(|f| !f.is_empty()).await.unwrap().clone()
    })
    .await;
    let best = &lines[0];
    // Matrix 1 is the stabilizer's source choice 16.
    assert_eq!(best.source, 16, "{lines:?}");
    assert!(best.label.contains("Livestream"), "{best:?}");
    assert!(best.reasons.contains("card"), "{best:?}");
    service.shutdown(Duration::from_secs(2)).await;
}
