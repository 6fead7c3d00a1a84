//! The desk's memory on a full-size X32 desk (about 2 000 parameters: every channel's fader,
//! mute, pan, name, colour, EQ and sends, and every bus): how long saving a scene takes, how
//! long a recall takes until the fake X32 on loopback holds every value, and the size and speed
//! of the JSON and XML documents.
//!
//! Run with `cargo bench --bench memory` (add `-- --rounds N`).

use std::time::{Duration, Instant};

use pupitre::config::{Config, StateConfig};
use pupitre::desk::{Intent, LinkState, MixerId, Normalized, Op, Origin, ParamId, Value};
use pupitre::service::Service;
use pupitre::state::exchange::{self, Bundle, Format};
use pupitre::state::{Command, SavedValue, Scene, Scope};
use pupitre::x32::fake::{FakeOptions, FakeScene, FakeX32};
use rosc::OscType;
use tokio_util::sync::CancellationToken;

#[path = "common/mod.rs"]
mod common;
use common::{arg, percentile, usage};

fn main() {
    let rounds = arg("--rounds", 10) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(rounds.max(1)));
}

/// Every channel's and bus's main controls, EQ and sends.
fn full_desk() -> Vec<ParamId> {
    let mut out = Vec::new();
    for c in 1..=32 {
        let ch = format!("/ch/{c:02}");
        for leaf in [
            "mix/fader",
            "mix/on",
            "mix/pan",
            "config/name",
            "config/color",
            "eq/on",
        ] {
            out.push(format!("{ch}/{leaf}"));
        }
        for band in 1..=4 {
            for leaf in ["type", "f", "g", "q"] {
                out.push(format!("{ch}/eq/{band}/{leaf}"));
            }
        }
        for send in 1..=16 {
            out.push(format!("{ch}/mix/{send:02}/level"));
            out.push(format!("{ch}/mix/{send:02}/on"));
        }
    }
    for b in 1..=16 {
        for leaf in ["mix/fader", "mix/on", "mix/pan", "config/name"] {
            out.push(format!("/bus/{b:02}/{leaf}"));
        }
    }
    out.iter().filter_map(|a| ParamId::x32(a).ok()).collect()
}

fn moved(p: &ParamId, v: &Value, round: usize) -> Value {
    let k = p.kind();
    match v {
        Value::Level(n) => k.from_normalized(Normalized::new_clamped(
            (n.get() + 0.17 + round as f64 * 0.01) % 1.0,
        )),
        Value::Index(i) => match k {
            pupitre::desk::ParamKind::Choice { count } => Value::Index((i + 1) % count),
            _ => Value::Index(1 - (*i).min(1)),
        },
        Value::Text(_) => Value::Text(format!("R{round}").into()),
    }
}

async fn run(rounds: usize) {
    let mut options = FakeOptions::new("127.0.0.1:0".parse().expect("loopback"));
    options.scene = FakeScene::Blank;
    let fake = FakeX32::start(options).await.expect("fake X32 on loopback");
    let dir = std::env::temp_dir().join(format!("pupitre-bench-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::demo(fake.local_addr());
    config.state = StateConfig::Dir(dir.clone());
    let stop = CancellationToken::new();
    let service = Service::start(&config, stop.clone()).expect("service");
    let desk = service.desk().clone();
    desk.register(full_desk()).await.expect("desk");
    desk.link_status(MixerId::X32)
        .wait_for(|s| s.state == LinkState::Online)
        .await
        .expect("link");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let params: Vec<(ParamId, Value)> = desk
        .snapshot()
        .await
        .expect("desk")
        .into_iter()
        .filter(|(p, _)| p.mixer() == MixerId::X32)
        .collect();
    println!("desk: {} X32 parameters", params.len());

    let (mut saves, mut recalls, mut converged) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let t = Instant::now();
        let reply = service
            .memory()
            .ask(
                Command::Save {
                    slot: Some(1),
                    name: "Bench".into(),
                    scope: vec!["x32".into()],
                },
                Origin::Cli,
            )
            .await
            .expect("memory");
        saves.push(t.elapsed());
        assert!(reply.ok, "{}", reply.message);
        let saved = desk.snapshot().await.expect("desk");
        // Move everything, let it reach the fake.
        for (p, v) in &saved {
            if p.mixer() == MixerId::X32 {
                let _ = desk
                    .send(Intent {
                        param: p.clone(),
                        op: Op::Set(moved(p, v, round)),
                        origin: Origin::Ui,
                    })
                    .await;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t = Instant::now();
        let reply = service
            .memory()
            .ask(Command::Recall { scene: "1".into() }, Origin::Cli)
            .await
            .expect("memory");
        recalls.push(t.elapsed());
        assert!(reply.ok, "{}", reply.message);
        // Until the console holds every value of the scene.
        let wanted: Vec<(String, OscType)> = saved
            .iter()
            .filter(|(p, _)| p.mixer() == MixerId::X32)
            .map(|(p, v)| (p.path().to_owned(), pupitre::x32::osc_arg(v)))
            .collect();
        loop {
            let missing = wanted
                .iter()
                .filter(|(a, v)| fake.get(a).as_ref() != Some(v))
                .count();
            if missing == 0 {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                println!("recall {round}: {missing} values never reached the fake");
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        converged.push(t.elapsed());
    }
    let report = |name: &str, mut v: Vec<Duration>| {
        v.sort();
        println!(
            "{name:<34} p50 {:>8.1} ms   max {:>8.1} ms",
            percentile(&v, 0.5).as_secs_f64() * 1e3,
            percentile(&v, 1.0).as_secs_f64() * 1e3
        );
    };
    report("save (snapshot, capture, file)", saves);
    report("recall (values into the desk)", recalls);
    report("recall until the X32 holds them", converged);

    // The documents: one scene of the whole desk, written and read.
    let scene = Scene::capture(1, "Bench", Scope::all(), &params);
    let values = scene.values.len();
    let bundle = Bundle {
        settings: vec![(
            ParamId::pupitre("ui/theme").expect("id"),
            SavedValue::Index(1),
        )],
        scenes: vec![scene],
    };
    for format in [Format::Json, Format::Xml] {
        let t = Instant::now();
        let text = exchange::write(&bundle, format);
        let write = t.elapsed();
        let t = Instant::now();
        let back = exchange::read(&text, format, std::path::Path::new("bench")).expect("reads");
        let read = t.elapsed();
        assert_eq!(back.scenes[0].values.len(), values);
        println!(
            "{format:?} document: {values} values, {:.0} KiB ({:.0} bytes a value), written in {:.1} ms, read and checked in {:.1} ms",
            text.len() as f64 / 1024.0,
            text.len() as f64 / values as f64,
            write.as_secs_f64() * 1e3,
            read.as_secs_f64() * 1e3
        );
    }
    let (cpu, rss, hwm) = usage();
    println!("process: {cpu:.1} s CPU, RSS {rss} KiB, peak {hwm} KiB");
    stop.cancel();
    service.shutdown(Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
