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

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pupitre-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(fake: &FakeX32, camilla: &CamillaServer, state: Option<&Path>, restore_x32: bool) -> Config {
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
            kind.from_normalized(Normalized::new_clamped(if x < 0.5 { x + 0.31 } else { x - 0.31 }))
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
            out.push(format!("{pa} {} / {pb} {}", pa.kind().display(va), pb.kind().display(vb)));
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
    let dir = temp("scenes");
    let cfg = config(&fake, &camilla, Some(&dir), false);
    let (service, desk) = start(&cfg).await;
    let saved = mixer_values(&desk).await;
    assert!(saved.len() > 150, "{}", saved.len());
    let r = ask(&service, Command::Save { slot: Some(1), name: "Before".into(), scope: vec![] }).await;
    assert!(r.message.contains("as scene 1"), "{}", r.message);

    // Change every X32 and CamillaDSP parameter on the desk.
    for (p, v) in &saved {
        desk.send(Intent { param: p.clone(), op: Op::Set(other(p.kind(), v)), origin: Origin::Ui })
            .await
            .unwrap();
    }
    let changed = mixer_values(&desk).await;
    let moved = differences(&saved, &changed).len();
    assert_eq!(moved, saved.len(), "every value moved");

    let r = ask(&service, Command::Recall { scene: "before".into() }).await;
    assert!(r.message.starts_with("recalled scene 1 \"Before\""), "{}", r.message);
    assert_eq!(differences(&saved, &mixer_values(&desk).await), Vec::<String>::new());
    assert_eq!(
        desk.get(&param("pupitre:scene/current")).await.unwrap(),
        Some(Value::Index(1))
    );
    // The links flush their writes on stop; a second pupitre reads the mixers back.
    service.shutdown(Duration::from_secs(3)).await;
    let back = read_back(&fake, &camilla).await;
    assert_eq!(differences(&saved, &back), Vec::<String>::new());

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
    let before = saved.iter().find(|(p, _)| *p == fader).map(|(_, v)| v.clone());
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
    let ch1 = saved.iter().filter(|(p, _)| p.to_string().starts_with("x32:/ch/01/")).count();
    assert!(ch1 >= 4, "{ch1}");
    let r = ask(&service, Command::Save { slot: None, name: "Ch 1".into(), scope: vec!["x32:/ch/01".into()] }).await;
    assert!(r.message.contains("as scene 2"), "{}", r.message);
    assert!(r.message.starts_with(&format!("saved {ch1} values")), "{}", r.message);
    let r = ask(&service, Command::Reset { scope: vec!["x32:/ch/02".into()] }).await;
    assert!(r.message.starts_with("reset x32:/ch/02:"), "{}", r.message);
    assert_eq!(
        desk.get(&param("x32:/ch/02/mix/fader")).await.unwrap(),
        Some(Value::Level(Normalized::MIN))
    );
    assert_eq!(desk.get(&param("x32:/ch/02/mix/on")).await.unwrap(), Some(Value::Index(1)));
    assert_eq!(desk.get(&fader).await.unwrap(), before, "channel 1 untouched");
    let list = ask(&service, Command::List).await.scenes;
    assert_eq!(list.iter().map(|s| (s.slot, s.name.as_str())).collect::<Vec<_>>(), vec![(1, "Before"), (2, "Ch 1")]);
    service.shutdown(Duration::from_secs(2)).await;
    assert!(dir.join("scenes/scene-01.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_state_goes_back_to_camilladsp_and_to_the_x32_only_when_asked() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let camilla = CamillaServer::start(&dummy_config());
    let dir = temp("restore");
    let volume = param("camilla:main/volume");
    let fader = param("x32:/ch/02/mix/fader");
    let cfg = config(&fake, &camilla, Some(&dir), false);

    // A run sets both; the desk state is saved shortly after (and at the stop).
    let (service, desk) = start(&cfg).await;
    let minus12 = volume.kind().from_db(pupitre::desk::Db::new_lossy(-12.0)).unwrap();
    desk.send(Intent { param: volume.clone(), op: Op::Set(minus12.clone()), origin: Origin::Ui }).await.unwrap();
    set(&desk, &fader, HALF, Origin::Ui).await;
    let state_file = dir.join("desk-state.json");
    within(7.0, "the desk state saved", async {
        while !std::fs::read_to_string(&state_file).unwrap_or_default().contains("\"camilla:main/volume\", \"position\"") {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;

    // While pupitre is off, someone turns CamillaDSP down and moves the X32's fader.
    let other_volume = volume.kind().from_db(pupitre::desk::Db::new_lossy(-40.0)).unwrap();
    {
        let (service, desk) = start(&config(&fake, &camilla, None, false)).await;
        desk.send(Intent { param: volume.clone(), op: Op::Set(other_volume.clone()), origin: Origin::Ui }).await.unwrap();
        service.shutdown(Duration::from_secs(2)).await;
    }
    assert!(fake.set_local("/ch/02/mix/fader", rosc::OscType::Float(QUARTER as f32)));

    // Next start: CamillaDSP gets its saved −12 dB back; the X32 keeps its 0.25.
    let (service, desk) = start(&cfg).await;
    within(4.0, "CamillaDSP restored", async {
        while desk.get(&volume).await.unwrap() != Some(minus12.clone()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(desk.get(&fader).await.unwrap(), Some(level(QUARTER)), "the X32 is the truth");
    service.shutdown(Duration::from_secs(2)).await;
    let back = read_back(&fake, &camilla).await;
    assert_eq!(back.iter().find(|(p, _)| *p == volume).map(|(_, v)| v.clone()), Some(minus12));

    // With restore_x32, the X32 gets the saved fader back too. (The run above saved the X32's
    // 0.25 when it read it back; put the 0.5 back in the file by saving it again.)
    let (service, desk) = start(&cfg).await;
    set(&desk, &fader, HALF, Origin::Ui).await;
    service.shutdown(Duration::from_secs(2)).await;
    assert!(fake.set_local("/ch/02/mix/fader", rosc::OscType::Float(QUARTER as f32)));
    let (service, _desk) = start(&config(&fake, &camilla, Some(&dir), true)).await;
    within(4.0, "the X32 restored", fake_holds(&fake, "/ch/02/mix/fader", HALF as f32)).await;
    service.shutdown(Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
