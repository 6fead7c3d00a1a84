//! The GPIO header as a surface, end to end but for the pins: recorded pin edges go through the
//! header's decoders into the shipped `pi-encoders.toml` mapping, the real surface task, the
//! desk and the X32 link to the fake X32; the lamp follows the console.

use std::path::Path;
use std::time::{Duration, Instant};

use pupitre::gpio::surface::GpioSurface;
use pupitre::mapping::{Mapping, Transport};
use pupitre::midi::{parse_all, to_bytes, MemoryDevice, MidiPort};
use pupitre::surface::{self, SurfaceSpec};
use pupitre::x32::codec::message;
use pupitre::x32::fake::FakeScene;
use rosc::OscType;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// Play edges (pin, high) 2 ms apart through the header's decoders into the device.
async fn play(s: &mut GpioSurface, dev: &mut MemoryDevice, edges: &[(u8, bool)]) {
    for &(pin, high) in edges {
        for m in s.edge(pin, high, Instant::now()) {
            dev.send(&m).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Let debounce and long-press times pass, sending what settles.
async fn settle(s: &mut GpioSurface, dev: &mut MemoryDevice, for_ms: u64) {
    let end = Instant::now() + Duration::from_millis(for_ms);
    while Instant::now() < end {
        for m in s.poll(Instant::now()) {
            dev.send(&m).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The lamp levels in what the port sent during `ms`.
async fn lamps(s: &GpioSurface, dev: &mut MemoryDevice, ms: u64) -> Vec<(u8, bool)> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(ms), async {
        while let Some(bytes) = dev.recv().await {
            let messages: Vec<u8> = parse_all(&bytes).iter().flat_map(to_bytes).collect();
            out.extend(s.lamps(&messages));
        }
    })
    .await;
    out
}

/// Until the fake's fader at `address` is `steps` X32 fader steps (1/1023) from `from`.
async fn moved_by(fake: &pupitre::x32::fake::FakeX32, address: &str, from: f32, steps: f32) {
    loop {
        let now = float_of(fake.get(address)).unwrap();
        if ((now - from) * 1023.0 - steps).abs() < 0.01 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoders_buttons_and_a_lamp_on_the_header_drive_the_x32() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let rig = Rig::start(fake.local_addr());
    let desk = rig.desk();
    within(5.0, "x32 online", rig.online()).await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/pi-encoders.toml");
    let mapping = Mapping::load(&path).unwrap();
    let Transport::Gpio(layout) = mapping.device.transport.clone() else {
        panic!("a GPIO mapping")
    };
    desk.register(surface::Engine::params(&mapping))
        .await
        .unwrap();
    let (port, mut dev) = MidiPort::in_memory();
    let stop = CancellationToken::new();
    let spec = SurfaceSpec {
        name: "encoders".into(),
        mapping,
        path: None,
    };
    let task = tokio::spawn(surface::run(spec, port, desk.clone(), stop.clone()));
    // Pulled up: every pin reads high at rest.
    let mut header = GpioSurface::new(&layout, |_| true);
    dev.connect("GPIO header").await.unwrap();
    // The main is on in the demo scene: the mute lamp is dark.
    let first = lamps(&header, &mut dev, 300).await;
    assert_eq!(first.last(), Some(&(23, false)), "{first:?}");

    // Five clicks clockwise on encoder 1 (A on GPIO17 falls first), slowly: five fader steps.
    let before = float_of(fake.get("/main/st/mix/fader")).unwrap();
    let click = [(17, false), (27, false), (17, true), (27, true)];
    for _ in 0..5 {
        play(&mut header, &mut dev, &click).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    within(
        2.0,
        "five steps up",
        moved_by(&fake, "/main/st/mix/fader", before, 5.0),
    )
    .await;
    // Encoder 2 counter-clockwise with a bouncing contact: one step down on matrix 1.
    let mtx = float_of(fake.get("/mtx/01/mix/fader")).unwrap();
    play(
        &mut header,
        &mut dev,
        &[
            (6, false),
            (6, true),
            (6, false),
            (5, false),
            (6, true),
            (5, true),
        ],
    )
    .await;
    within(
        2.0,
        "one step down",
        moved_by(&fake, "/mtx/01/mix/fader", mtx, -1.0),
    )
    .await;

    // A short press on the push switch (with bounce) mutes the main, and the lamp lights.
    play(
        &mut header,
        &mut dev,
        &[(22, false), (22, true), (22, false)],
    )
    .await;
    settle(&mut header, &mut dev, 150).await;
    play(&mut header, &mut dev, &[(22, true)]).await;
    settle(&mut header, &mut dev, 50).await;
    within(2.0, "main muted", async {
        while fake.get("/main/st/mix/on") != Some(OscType::Int(0)) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let lit = lamps(&header, &mut dev, 300).await;
    assert!(lit.contains(&(23, true)), "{lit:?}");

    // A long press switches the leveler on, and the short-press mute does not fire with it.
    let enabled = param("pupitre:stabilizer/enabled");
    play(&mut header, &mut dev, &[(22, false)]).await;
    settle(&mut header, &mut dev, 700).await;
    play(&mut header, &mut dev, &[(22, true)]).await;
    settle(&mut header, &mut dev, 50).await;
    within(2.0, "the leveler switched on", async {
        while desk.get(&enabled).await.unwrap() != Some(pupitre::desk::Value::Index(1)) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(fake.get("/main/st/mix/on"), Some(OscType::Int(0)));

    // Someone unmutes at the console: the lamp goes dark.
    let other = OscPeer::bind().await;
    other
        .send(
            fake.local_addr(),
            message("/main/st/mix/on", vec![OscType::Int(1)]),
        )
        .await;
    let dark = lamps(&header, &mut dev, 600).await;
    assert!(dark.contains(&(23, false)), "{dark:?}");
    stop.cancel();
    let _ = task.await;
    rig.shutdown().await;
}
