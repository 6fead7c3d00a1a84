//! The action journal from the real service on the fake X32: changes from the screen, from the
//! console's own surface (another OSC client), from a controller over network MIDI and from
//! the stabilizer land in `journal.jsonl` with their origins and old → new values in the
//! parameter's unit; the read-back at connect is one summary; `pupitre journal` reads it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use pupitre::config::Config;
use pupitre::desk::{DeskHandle, Intent, LinkState, Op, Origin, ParamId, Value};
use pupitre::service::Service;
use pupitre::stabilizer::Status;
use pupitre::state::{read_journal, EntryKind, JournalEntry, JournalFilter};
use pupitre::x32::codec::message;
use pupitre::x32::fake::{FakeScene, Programme};
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// A fresh folder, removed when dropped.
/// The desk's value of `param`, as the journal shows it.
async fn shown(desk: &DeskHandle, param: &ParamId) -> String {
    let v = desk.get(param).await.unwrap().expect("a known parameter");
    param.kind().display(&v)
}

/// Wait until the desk broadcasts a change of `param` from `origin`.
async fn change_from(
    changes: &mut tokio::sync::broadcast::Receiver<pupitre::desk::Change>,
    param: &ParamId,
    origin: &Origin,
) {
    loop {
        let c = changes.recv().await.unwrap();
        if &c.param == param && &c.origin == origin {
            return;
        }
    }
}

fn find<'a>(entries: &'a [JournalEntry], origin: &str, param: &str) -> Vec<&'a JournalEntry> {
    entries
        .iter()
        .filter(|e| e.origin == origin && e.param == param)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_origin_lands_in_the_journal_with_old_and_new_values() {
    // A −14 dBFS programme against a −5 LUFS target: switched on, the stabilizer rides up.
    let fake = fake(
        FakeScene::Demo,
        Programme::Steady(pupitre::desk::Db::new_lossy(-14.0)),
        0.0,
    )
    .await;
    let deck = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let listen: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let dir = TempDir::new("journal");
    let mapping = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/numark-mixtrack-pro-3.toml"),
    )
    .unwrap()
    .replace(
        "input = \"Mixtrack Pro 3\"",
        &format!(
            "network = {{ listen = \"{listen}\", peer = \"{}\" }}",
            deck.local_addr().unwrap()
        ),
    );
    std::fs::write(dir.0.join("mixtrack.toml"), mapping).unwrap();
    std::fs::write(
        dir.0.join("pupitre.toml"),
        format!(
            "[mixers.x32]\naddress = \"{}\"\nstrips = [\"ch/01-04\", \"bus/01-02\", \"main/st\"]\n\n\
             [[surfaces]]\nname = \"mixtrack\"\nmapping = \"mixtrack.toml\"\n\n\
             [stabilizer]\nsource = \"mtx/01\"\ntarget_lufs = -5.0\nmax_boost_db = 4.0\n\n\
             [state]\ndir = \"state\"\n",
            fake.local_addr()
        ),
    )
    .unwrap();
    let mut config = Config::load(&dir.0.join("pupitre.toml")).expect("config loads");
    config.stabilizer.rates.up_db_s = Some(6.0);
    let state = dir.0.join("state");
    let service = Service::start(&config, CancellationToken::new()).expect("service starts");
    let desk = service.desk().clone();
    let mut recent = service.journal();
    let mut changes = desk.subscribe();
    within(5.0, "x32 online", wait_state(&desk, LinkState::Online)).await;

    // The screen moves channel 2.
    let ch2 = param("x32:/ch/02/mix/fader");
    let ch2_before = shown(&desk, &ch2).await;
    set(&desk, &ch2, 0.25, Origin::Ui).await;
    let ch2_after = shown(&desk, &ch2).await;
    assert_ne!(ch2_before, ch2_after);

    // Someone at the console (another OSC client) moves channel 3.
    let ch3 = param("x32:/ch/03/mix/fader");
    let ch3_before = shown(&desk, &ch3).await;
    let console = OscPeer::bind().await;
    console
        .send(
            fake.local_addr(),
            message("/ch/03/mix/fader", vec![OscType::Float(0.25)]),
        )
        .await;
    let from_console = Origin::Mixer(pupitre::desk::MixerId::X32);
    within(
        2.0,
        "the console's move reaches the desk",
        change_from(&mut changes, &ch3, &from_console),
    )
    .await;
    let ch3_after = shown(&desk, &ch3).await;

    // Deck 1's volume fader swept to the top drives channel 1 (after pickup).
    let ch1 = param("x32:/ch/01/mix/fader");
    let ch1_before = shown(&desk, &ch1).await;
    sweep_deck_1_volume(&deck, listen, &fake).await;

    // The screen switches the stabilizer on; it rides the matrix up.
    let enabled = param("pupitre:stabilizer/enabled");
    desk.send(Intent {
        param: enabled.clone(),
        op: Op::Set(Value::Index(1)),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
    let mut stabilizer = service.stabilizer();
    within(8.0, "the stabilizer writes", async {
        stabilizer
            .wait_for(|s| matches!(s.status, Status::Active(_)) && s.writes >= 2)
            .await
            .unwrap();
    })
    .await;

    // The screen's feed got entries as they closed (the read-back summary at least).
    within(3.0, "the screen's feed", async {
        recent
            .wait_for(|v| v.iter().any(|e| e.kind == EntryKind::Resync))
            .await
            .unwrap();
    })
    .await;
    // A clean stop writes what is still folding (the stabilizer's ride, the deck's sweep).
    service.shutdown(Duration::from_secs(2)).await;
    let entries = read_journal(&state, &JournalFilter::default()).unwrap();
    let all = || format!("{entries:#?}");

    let summary: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Resync)
        .collect();
    assert!(!summary.is_empty(), "{}", all());
    assert!(summary
        .iter()
        .all(|e| e.origin == "resync:x32" && e.param == "x32:*"));
    assert!(summary[0].count > 16, "{:?}", summary[0]);

    let ui = find(&entries, "ui", "x32:/ch/02/mix/fader");
    assert_eq!(ui.len(), 1, "{}", all());
    assert_eq!(
        (ui[0].old.as_str(), ui[0].new.as_str()),
        (ch2_before.as_str(), ch2_after.as_str())
    );
    assert_eq!(
        ui[0].new_raw,
        Some(pupitre::state::RawValue::Level(255.0 / 1023.0))
    );

    let console = find(&entries, "mixer:x32", "x32:/ch/03/mix/fader");
    assert_eq!(console.len(), 1, "{}", all());
    assert_eq!(
        (console[0].old.as_str(), console[0].new.as_str()),
        (ch3_before.as_str(), ch3_after.as_str())
    );

    let deck_moves = find(&entries, "surface:mixtrack", "x32:/ch/01/mix/fader");
    assert!(!deck_moves.is_empty(), "{}", all());
    assert_eq!(deck_moves[0].old, ch1_before);
    assert_eq!(deck_moves.last().unwrap().new, "+10.0 dB");
    let folded: u64 = deck_moves.iter().map(|e| e.count).sum();
    assert!(
        folded > deck_moves.len() as u64,
        "a sweep folds: {deck_moves:?}"
    );
    let plugged = find(
        &entries,
        "surface:mixtrack",
        "pupitre:surface/mixtrack/connected",
    );
    assert_eq!(
        plugged.first().map(|e| e.new.as_str()),
        Some("ON"),
        "{}",
        all()
    );

    let switched = find(&entries, "ui", "pupitre:stabilizer/enabled");
    assert_eq!(switched.len(), 1, "{}", all());
    assert_eq!(
        (switched[0].old.as_str(), switched[0].new.as_str()),
        ("OFF", "ON")
    );
    let rides = find(&entries, "stabilizer", "x32:/mtx/01/mix/fader");
    assert!(!rides.is_empty(), "{}", all());
    assert!(
        rides.iter().all(|e| e.old != e.new || e.count > 1),
        "{rides:?}"
    );
    // One entry per second of quiet or minute of riding, not one per move.
    let moves = stabilizer.borrow().writes;
    assert!(
        (rides.len() as u64) < moves.max(2),
        "{} entries for {moves} moves",
        rides.len()
    );

    // Times are in order, and every line of the file was read.
    assert!(entries.windows(2).all(|w| w[0].time <= w[1].time));
    let text = std::fs::read_to_string(state.join("journal.jsonl")).unwrap();
    assert_eq!(text.lines().count(), entries.len());

    // `pupitre journal` reads the same file.
    let out = Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(["journal", "--state-dir"])
        .arg(&state)
        .args([
            "--origin",
            "surface:mixtrack",
            "--param",
            "x32:/ch/*/mix/fader",
            "--last",
            "1",
        ])
        .env("TZ", "UTC")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(printed.lines().count(), 1, "{printed}");
    let last = deck_moves.last().unwrap();
    assert!(
        printed.starts_with(&last.time.format("%Y-%m-%d %H:%M:%S%.3f  ").to_string()),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "surface:mixtrack  x32:/ch/01/mix/fader    {} → +10.0 dB",
            last.old
        )),
        "{printed}"
    );
}
