//! The X32 link against the fake X32 over real UDP on 127.0.0.1.

use std::collections::HashMap;
use std::time::Duration;

use pupitre::desk::{law, LinkState, MixerId, Origin, ParamKind, Strip, Value};
use pupitre::x32::codec::{message, request};
use pupitre::x32::fake::FakeScene;
use rand::{Rng, SeedableRng};
use rosc::OscType;
use tokio::time::Instant;

use crate::support::*;

fn fader_f32(x: f64) -> f32 {
    match ParamKind::Fader.from_normalized(pupitre::desk::Normalized::new_clamped(x)) {
        Value::Level(n) => n.get() as f32,
        other => panic!("a fader value is a level, not {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_write_and_two_way_sync_without_echo() {
    let fake = fake(FakeScene::Blank, steady(), 0.0).await;
    let addr = fake.local_addr();
    let observer = OscPeer::bind().await;
    observer.send(addr, request("/xremote")).await;

    let rig = Rig::start(addr);
    let desk = rig.desk();
    within(5.0, "link online", rig.online()).await;
    let peer = desk.link_status(MixerId::X32).borrow().peer.clone();
    assert!(
        peer.unwrap_or_default().contains("X32"),
        "the /xinfo handshake names the model"
    );

    // A desk write reaches the fake's store with the exact quantized float: 0.75 → 767/1023.
    let ch1 = param("x32:/ch/01/mix/fader");
    set(&desk, &ch1, 0.75, Origin::Ui).await;
    within(
        2.0,
        "write reaches the fake",
        fake_holds(&fake, "/ch/01/mix/fader", 0.749_755_6),
    )
    .await;
    assert_eq!(
        float_of(fake.get("/ch/01/mix/fader")),
        Some((767.0f64 / 1023.0) as f32)
    );

    // Another remote moves channel 2: the desk hears it as a Change from the mixer.
    let mut changes = desk.subscribe();
    let other = OscPeer::bind().await;
    other
        .send(addr, message("/ch/02/mix/fader", vec![OscType::Float(0.5)]))
        .await;
    let ch2 = param("x32:/ch/02/mix/fader");
    let change = within(2.0, "change from another client reaches the desk", async {
        loop {
            let c = changes.recv().await.unwrap();
            if c.param == ch2 {
                return c;
            }
        }
    })
    .await;
    assert_eq!(change.origin, Origin::Mixer(MixerId::X32));
    assert_eq!(change.value, level(511.0 / 1023.0));

    // No echo loop: no further change on the desk, exactly one push of each fader to a third
    // remote, and a quiet link carries only its keep-alives.
    let pushes = observer.collect(Duration::from_millis(1000)).await;
    let count = |a: &str| pushes.iter().filter(|m| m.addr == a).count();
    assert_eq!(count("/ch/01/mix/fader"), 1, "{pushes:?}");
    assert_eq!(count("/ch/02/mix/fader"), 1, "{pushes:?}");
    assert!(
        changes.try_recv().is_err(),
        "the desk saw more changes: an echo"
    );
    // The service also reads the console's routing once after connecting (about 225 node
    // reads, for the stream feeds); once that is done, a second carries only keep-alives.
    let mut quiet = u64::MAX;
    for _ in 0..10 {
        let from = fake.stats().received;
        tokio::time::sleep(Duration::from_secs(1)).await;
        quiet = fake.stats().received - from;
        if quiet <= 8 {
            break;
        }
    }
    assert!(quiet <= 8, "{quiet} datagrams in a quiet second");
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_of_three_seconds_reconnects_resyncs_and_applies_the_last_intent() {
    let mut fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "link online", rig.online()).await;

    fake.stop().await;
    // Written while the console is away: must land once it is back.
    let ch3 = param("x32:/ch/03/mix/fader");
    set(&desk, &ch3, 0.2, Origin::Ui).await;
    set(&desk, &ch3, 0.25, Origin::Ui).await;
    // Changed on the console while we could not hear it: must be read back.
    assert!(fake.set_local("/ch/04/mix/fader", OscType::Float(0.5)));
    tokio::time::sleep(Duration::from_secs(3)).await;

    fake.restart().await.expect("restarts on the same port");
    let back = Instant::now();
    let mut status = desk.link_status(MixerId::X32);
    within(
        3.0,
        "resynced within 3 s of the console coming back",
        async {
            status
                .wait_for(|s| s.state == LinkState::Online && s.since > back.into_std())
                .await
                .unwrap();
        },
    )
    .await;
    let resynced = back.elapsed();
    assert_eq!(
        desk.get(&param("x32:/ch/04/mix/fader")).await.unwrap(),
        Some(level(511.0 / 1023.0)),
        "the readback brought the console's change into the desk"
    );
    within(
        3.0,
        "the write made while it was down is applied",
        fake_holds(&fake, "/ch/03/mix/fader", fader_f32(0.25)),
    )
    .await;
    eprintln!(
        "resynced {resynced:?} after restart; write applied {:?} after",
        back.elapsed()
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_loss_both_ways_final_state_is_the_last_intent() {
    let fake = fake(FakeScene::Blank, steady(), 0.1).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(10.0, "link online despite loss", rig.online()).await;

    let params: Vec<_> = (1..=16).map(|n| Strip::Channel(n).fader()).collect();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    let mut last = HashMap::new();
    for i in 0..1000 {
        let p = &params[i % params.len()];
        let x: f64 = rng.random_range(0.0..=1.0);
        set(&desk, p, x, Origin::Surface("burst".into())).await;
        last.insert(p.path().to_owned(), fader_f32(x));
    }
    within(
        15.0,
        "every fader on the fake equals the last intent",
        async {
            loop {
                if last.iter().all(|(a, f)| float_of(fake.get(a)) == Some(*f)) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    )
    .await;
    let stats = fake.stats();
    assert!(
        stats.dropped_in > 0 && stats.dropped_out > 0,
        "loss was applied: {stats:?}"
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_meter_follows_the_fader_law() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "link online", rig.online()).await;
    let mut meters = desk.meters().subscribe(MixerId::X32);
    let bus = Strip::Bus(1);

    let before = within(3.0, "bus 1 meter", async {
        loop {
            meters.changed().await.unwrap();
            if let Some(db) = meters.borrow_and_update().level(bus) {
                if !db.is_silence() {
                    return db.get();
                }
            }
        }
    })
    .await;
    let f0 = float_of(fake.get("/bus/01/mix/fader")).expect("bus fader is a float");
    set(&desk, &bus.fader(), 0.5, Origin::Ui).await;
    let expected = law::level_to_db(0.5) - law::level_to_db(f64::from(f0));
    let after = within(3.0, "bus 1 meter after the move", async {
        loop {
            meters.changed().await.unwrap();
            if let Some(db) = meters.borrow_and_update().level(bus) {
                if (db.get() - before).abs() > 1.0 {
                    return db.get();
                }
            }
        }
    })
    .await;
    let moved = after - before;
    assert!(
        (moved - expected).abs() <= 0.5,
        "meter moved {moved:.2} dB, the law says {expected:.2} dB"
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_the_console_is_dropped_and_the_link_lives_on() {
    // A raw socket plays the X32: it answers /xinfo and gets, and also sends garbage.
    let console = OscPeer::bind().await;
    let rig = Rig::start(console.addr());
    let desk = rig.desk();
    let (first, client) = within(5.0, "client probes", console.recv()).await;
    assert_eq!(first.addr, "/xinfo");
    let info = || {
        message(
            "/xinfo",
            ["127.0.0.1", "raw", "X32", "4.06"]
                .map(|s| OscType::String(s.into()))
                .to_vec(),
        )
    };
    console.send(client, info()).await;
    let garbage: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff; 3],
        b"/ch/01/mix/fader\0\0\0\0,f\0\0".to_vec(), // float announced, none sent
        b"node\0\0\0\0,s\0\0".to_vec(),
        pupitre::x32::codec::encode(&message(
            "/meters/2",
            vec![OscType::Blob(vec![200, 0, 0, 0, 1])],
        ))
        .unwrap(),
        pupitre::x32::codec::encode(&message(
            "/meters/0",
            vec![OscType::Blob(pupitre::x32::codec::encode_meter_blob(
                &[1.0; 12],
            ))],
        ))
        .unwrap(),
        pupitre::x32::codec::encode(&message(
            "/ch/01/mix/fader",
            vec![OscType::String("loud".into())],
        ))
        .unwrap(),
        pupitre::x32::codec::encode(&message("/ch/01/mix/fader", vec![OscType::Float(f32::NAN)]))
            .unwrap(),
        pupitre::x32::codec::encode(&message("/ch/99/mix/fader", vec![OscType::Float(0.5)]))
            .unwrap(),
    ];
    let mut changes = desk.subscribe();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut sent_garbage = false;
    while Instant::now() < deadline {
        let Ok((msg, _)) = tokio::time::timeout(Duration::from_millis(50), console.recv()).await
        else {
            continue;
        };
        if msg.addr == "/xinfo" {
            console.send(client, info()).await;
        } else if msg.args.is_empty() {
            if let Ok(p) = pupitre::desk::ParamId::x32(&msg.addr) {
                let arg = pupitre::x32::osc_arg(&p.kind().default_value());
                console.send(client, message(&msg.addr, vec![arg])).await;
            }
        }
        if !sent_garbage {
            for g in &garbage {
                console.send_raw(client, g).await;
            }
            sent_garbage = true;
        }
    }
    // After all that, a real change still gets through.
    console
        .send(
            client,
            message("/ch/05/mix/fader", vec![OscType::Float(0.5)]),
        )
        .await;
    let ch5 = param("x32:/ch/05/mix/fader");
    within(2.0, "a valid change after garbage", async {
        loop {
            let c = changes.recv().await.unwrap();
            if c.param == ch5 {
                assert_eq!(c.value, level(511.0 / 1023.0));
                return;
            }
        }
    })
    .await;
    assert_ne!(
        desk.get(&param("x32:/ch/01/mix/fader")).await.unwrap(),
        Some(level(0.5))
    );
    assert_ne!(
        desk.link_status(MixerId::X32).borrow().state,
        LinkState::Lost
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_pending_writes() {
    let fake = fake(FakeScene::Blank, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "link online", rig.online()).await;
    let p = param("x32:/main/st/mix/fader");
    // Two writes inside the 20 ms window: the second is held back by the rate limit…
    set(&desk, &p, 0.3, Origin::Ui).await;
    set(&desk, &p, 0.6, Origin::Ui).await;
    tokio::time::sleep(Duration::from_millis(2)).await;
    // …and is still sent when the service stops.
    rig.shutdown().await;
    within(
        1.0,
        "last write flushed at shutdown",
        fake_holds(&fake, "/main/st/mix/fader", fader_f32(0.6)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_registered_later_is_read_back_from_the_console() {
    let fake = fake(FakeScene::Blank, steady(), 0.0).await;
    assert!(fake.set_local("/ch/20/eq/1/g", OscType::Float(0.75)));
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "link online", rig.online()).await;
    let eq = param("x32:/ch/20/eq/1/g");
    assert_eq!(desk.get(&eq).await.unwrap(), None, "not known before");
    desk.register(vec![eq.clone()]).await.unwrap();
    within(2.0, "read back after registering", async {
        loop {
            if desk.get(&eq).await.unwrap() == Some(level(0.75)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    rig.shutdown().await;
}
