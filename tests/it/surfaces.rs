//! Controllers end to end: network MIDI into the service built from real config and mapping
//! files, feedback back out, hotplug through an in-memory port, and hot reload of a mapping.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use pupitre::config::Config;
use pupitre::desk::{MixerId, Origin};
use pupitre::mapping::Mapping;
use pupitre::midi::{parse_all, to_bytes, MidiPort};
use pupitre::service::Service;
use pupitre::surface::{self, SurfaceSpec};
use pupitre::x32::codec::message;
use pupitre::x32::fake::FakeScene;
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// A fresh folder under the target dir, removed when dropped.
fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("mappings")
            .join(name),
    )
    .unwrap()
}

/// Every MIDI message in the datagrams that arrive during `dur`, as bytes.
async fn midi_in(socket: &UdpSocket, dur: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    let _ = tokio::time::timeout(dur, async {
        loop {
            let Ok((n, _)) = socket.recv_from(&mut buf).await else {
                return;
            };
            out.extend(parse_all(&buf[..n]).iter().map(to_bytes));
        }
    })
    .await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numark_over_network_midi_drives_the_x32_and_leds_follow_without_echo() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let deck = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let listen: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let dir = TempDir::new("numark");
    let mapping = shipped("numark-mixtrack-pro-3.toml").replace(
        "input = \"Mixtrack Pro 3\"",
        &format!(
            "network = {{ listen = \"{listen}\", peer = \"{}\" }}",
            deck.local_addr().unwrap()
        ),
    );
    std::fs::write(dir.path("mixtrack.toml"), mapping).unwrap();
    std::fs::write(
        dir.path("pupitre.toml"),
        format!(
            "[mixers.x32]\naddress = \"{}\"\nstrips = [\"ch/01-04\", \"bus/01-02\", \"main/st\"]\n\n\
             [[surfaces]]\nname = \"mixtrack\"\nmapping = \"mixtrack.toml\"\n\n\
             [state]\ndir = \"state\"\n",
            fake.local_addr()
        ),
    )
    .unwrap();
    let config = Config::load(&dir.path("pupitre.toml")).expect("config loads");
    let stop = CancellationToken::new();
    let service = Service::start(&config, stop.clone()).expect("service starts");
    let desk = service.desk().clone();
    within(
        5.0,
        "x32 online",
        wait_state(&desk, pupitre::desk::LinkState::Online),
    )
    .await;

    // On connect the whole feedback state arrives: deck 1's play LED is lit (channel 1 is on
    // in the demo scene), and it keeps coming as the read-back fills the desk.
    let first = midi_in(&deck, Duration::from_millis(600)).await;
    assert!(first.contains(&vec![0x91, 0x01, 0x7F]), "{first:02X?}");

    // Sweep deck 1's volume fader up: pickup until it crosses channel 1's fader, then follow.
    sweep_deck_1_volume(&deck, listen, &fake).await;
    // No echo to the fader that caused it.
    let after = midi_in(&deck, Duration::from_millis(400)).await;
    assert!(
        !after.iter().any(|m| m[..2] == [0xB1, 0x05]),
        "echo to the fader: {after:02X?}"
    );

    // Someone else switches channel 1 off on the console: the play LED goes dark.
    let other = OscPeer::bind().await;
    other
        .send(
            fake.local_addr(),
            message("/ch/01/mix/on", vec![OscType::Int(0)]),
        )
        .await;
    let leds = midi_in(&deck, Duration::from_millis(800)).await;
    assert!(leds.contains(&vec![0x91, 0x01, 0x00]), "{leds:02X?}");

    // A jog tick (two's complement) nudges bus 1 by one fader step.
    let before = float_of(fake.get("/bus/01/mix/fader")).unwrap();
    deck.send_to(&[0xB1, 0x11, 0x01], listen).await.unwrap();
    within(2.0, "jog step", async {
        loop {
            if float_of(fake.get("/bus/01/mix/fader")).is_some_and(|f| f > before) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

const MINI: &str = r#"
[device]
name = "mini"
input = "mem"
init = ["B0 7F 00"]

[banks]
strips = 8
channels = ["ch/01-16"]

[[control]]
name = "knob"
repeat = 8
source = { cc = 1, channel = 11 }
target = "strip:fader"
takeover = "off"

[[control]]
name = "mute"
repeat = 8
source = { note = 8, channel = 11 }
target = "strip:on"
invert = true
feedback = { on = 1, off = 0, note = 0, channel = 1 }

[[control]]
name = "bank right"
source = { note = 23, channel = 11 }
action = "bank-next"
"#;

async fn drain(dev: &mut pupitre::midi::MemoryDevice, dur: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(dur, async {
        while let Some(b) = dev.recv().await {
            out.extend(parse_all(&b).iter().map(to_bytes));
        }
    })
    .await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replug_resends_init_and_the_whole_feedback_state_and_banks_page() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "x32 online", rig.online()).await;
    let mapping = Mapping::parse(MINI, Path::new("mini.toml")).unwrap();
    let (port, mut dev) = MidiPort::in_memory();
    let stop = CancellationToken::new();
    let spec = SurfaceSpec {
        name: "mini".into(),
        mapping,
        path: None,
    };
    let task = tokio::spawn(surface::run(spec, port, desk.clone(), stop.clone()));

    let param = |s: &str| pupitre::desk::ParamId::parse(s).unwrap();
    let connected = param("pupitre:surface/mini/connected");
    let bank = param("pupitre:surface/mini/bank");
    let desk_holds = |p: pupitre::desk::ParamId, want: u32| {
        let desk = desk.clone();
        async move {
            while desk.get(&p).await.unwrap() != Some(pupitre::desk::Value::Index(want)) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    for round in 0..2 {
        dev.connect("mem").await.unwrap();
        // The desk (and the screen's status bar through it) knows the controller is there.
        within(
            1.0,
            "connected on the desk",
            desk_holds(connected.clone(), 1),
        )
        .await;
        let got = drain(&mut dev, Duration::from_millis(400)).await;
        assert_eq!(
            got.first(),
            Some(&vec![0xB0, 0x7F, 0x00]),
            "round {round}: init first: {got:02X?}"
        );
        let rings = got
            .iter()
            .filter(|m| m[0] == 0xBA && (1..=8).contains(&m[1]))
            .count();
        let leds = got.iter().filter(|m| m[0] == 0x90 && m[1] < 8).count();
        assert_eq!((rings, leds), (8, 8), "round {round}: {got:02X?}");
        dev.disconnect().await.unwrap();
        within(
            1.0,
            "unplugged on the desk",
            desk_holds(connected.clone(), 0),
        )
        .await;
    }

    dev.connect("mem").await.unwrap();
    drain(&mut dev, Duration::from_millis(300)).await;
    // Bank right: the knobs now show channels 9–16, the LEDs their mutes.
    dev.send(&[0x9A, 23, 0x7F]).await.unwrap();
    dev.send(&[0x8A, 23, 0x00]).await.unwrap();
    let paged = drain(&mut dev, Duration::from_millis(300)).await;
    let ch9 = float_of(fake.get("/ch/09/mix/fader")).unwrap();
    let ring = (f64::from(ch9) * 127.0).round() as u8;
    assert!(
        paged.contains(&vec![0xBA, 1, ring]),
        "ch 9 at {ch9}: {paged:02X?}"
    );
    let ch16_muted = fake.get("/ch/16/mix/on") == Some(OscType::Int(0));
    assert!(
        paged.contains(&vec![0x90, 7, u8::from(ch16_muted)]),
        "{paged:02X?}"
    );
    // Knob 1 now drives channel 9.
    dev.send(&[0xBA, 1, 127]).await.unwrap();
    within(
        2.0,
        "knob 1 on channel 9",
        fake_holds(&fake, "/ch/09/mix/fader", 1.0),
    )
    .await;
    // The bank is on the desk for the screen to follow…
    within(1.0, "the bank on the desk", desk_holds(bank.clone(), 8)).await;
    // …and the screen paging back moves the controller: its rings show channels 1–8 again,
    // and knob 2 drives channel 2.
    drain(&mut dev, Duration::from_millis(200)).await;
    desk.send(pupitre::desk::Intent {
        param: bank.clone(),
        op: pupitre::desk::Op::Set(pupitre::desk::Value::Index(0)),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
    let back = drain(&mut dev, Duration::from_millis(300)).await;
    let ch2 = float_of(fake.get("/ch/02/mix/fader")).unwrap();
    let ring = (f64::from(ch2) * 127.0).round() as u8;
    assert!(
        back.contains(&vec![0xBA, 2, ring]),
        "ch 2 at {ch2}: {back:02X?}"
    );
    dev.send(&[0xBA, 2, 0]).await.unwrap();
    within(
        2.0,
        "knob 2 on channel 2",
        fake_holds(&fake, "/ch/02/mix/fader", 0.0),
    )
    .await;
    stop.cancel();
    let _ = task.await;
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_edit_keeps_the_previous_mapping_and_a_good_one_applies() {
    let fake = fake(FakeScene::Blank, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "x32 online", rig.online()).await;
    let dir = TempDir::new("reload");
    let file = dir.path("mini.toml");
    std::fs::write(&file, MINI).unwrap();
    let spec = SurfaceSpec {
        name: "mini".into(),
        mapping: Mapping::load(&file).unwrap(),
        path: Some(file.clone()),
    };
    let (port, mut dev) = MidiPort::in_memory();
    let stop = CancellationToken::new();
    let task = tokio::spawn(surface::run(spec, port, desk.clone(), stop.clone()));
    dev.connect("mem").await.unwrap();
    let mut changes = desk.subscribe();

    let knob = |v: u8| [0xBA, 1, v];
    dev.send(&knob(64)).await.unwrap();
    within(
        2.0,
        "knob drives channel 1",
        fake_holds(
            &fake,
            "/ch/01/mix/fader",
            (64.0f64 / 127.0 * 1023.5).floor() as f32 / 1023.0,
        ),
    )
    .await;

    // A broken edit: the previous mapping keeps running.
    std::fs::write(
        &file,
        MINI.replace(
            "target = \"strip:fader\"",
            "target = \"x32:/ch/99/mix/fader\"",
        ),
    )
    .unwrap();
    tokio::time::sleep(surface::RELOAD_EVERY * 3).await;
    dev.send(&knob(127)).await.unwrap();
    within(
        2.0,
        "still channel 1 after a broken edit",
        fake_holds(&fake, "/ch/01/mix/fader", 1.0),
    )
    .await;

    // A good edit applies within a second: the knobs now drive the buses' sends… of bus 1.
    std::fs::write(
        &file,
        MINI.replace(
            "target = \"strip:fader\"",
            "target = \"x32:/bus/01/mix/fader\"",
        ),
    )
    .unwrap();
    tokio::time::sleep(surface::RELOAD_EVERY * 3).await;
    dev.send(&knob(127)).await.unwrap();
    within(
        2.0,
        "the edited mapping drives bus 1",
        fake_holds(&fake, "/bus/01/mix/fader", 1.0),
    )
    .await;
    let by_surface = std::iter::from_fn(|| changes.try_recv().ok())
        .filter(|c| c.origin == Origin::Surface("mini".into()))
        .count();
    assert!(by_surface >= 3);
    assert_eq!(
        desk.link_status(MixerId::X32).borrow().state,
        pupitre::desk::LinkState::Online
    );
    stop.cancel();
    let _ = task.await;
    rig.shutdown().await;
}
