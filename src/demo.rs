//! `pupitre demo`: the fake X32 in-process, the service pointed at it, a scripted Numark
//! Mixtrack Pro 3 speaking network MIDI through the shipped mapping, somebody moving things at
//! the console, and a readable summary in the log every few seconds.

use std::net::SocketAddr;
use std::time::Duration;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::Config;
use crate::desk::{law, Change, DeskHandle, MixerId, Origin, Strip};
use crate::mapping::Mapping;
use crate::midi::{parse_all, MidiMessage};
use crate::service::Service;
use crate::surface::SurfaceSpec;
use crate::x32::fake::{FakeOptions, FakeX32};

/// The shipped Mixtrack mapping; the demo swaps its MIDI port for network MIDI on loopback.
const MIXTRACK: &str = include_str!("../mappings/numark-mixtrack-pro-3.toml");

/// Options of the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where the fake X32 listens.
    pub bind: SocketAddr,
    /// Packet loss the fake applies both ways.
    pub loss: f64,
    /// Seconds between summaries.
    pub summary_every: Duration,
    /// Stop after this long (for scripted runs); `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
}

/// Run the demo until `stop` is cancelled.
pub async fn run(options: DemoOptions, stop: CancellationToken) -> Result<()> {
    let mut fake_options = FakeOptions::new(options.bind);
    fake_options.loss = options.loss;
    let fake = FakeX32::start(fake_options)
        .await
        .with_context(|| format!("cannot start the fake X32 on {}", options.bind))?;
    let addr = fake.local_addr();

    let deck = UdpSocket::bind("127.0.0.1:0")
        .await
        .context("cannot open the demo deck's socket")?;
    let deck_addr = deck.local_addr()?;
    let listen = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .context("cannot find a free port for the demo deck")?;
    let text = MIXTRACK.replace(
        "input = \"Mixtrack Pro 3\"",
        &format!("network = {{ listen = \"{listen}\", peer = \"{deck_addr}\" }}"),
    );
    let mapping = Mapping::parse(&text, Path::new("mappings/numark-mixtrack-pro-3.toml"))
        .map_err(|e| anyhow!("{e}"))?;
    let spec = SurfaceSpec {
        name: "mixtrack".into(),
        mapping,
        path: None,
    };
    let config = Config::demo(addr);
    let service = Service::start_with(&config, stop.clone(), vec![spec])?;
    let desk = service.desk().clone();

    if let Some(d) = options.duration {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            stop.cancel();
        });
    }
    tokio::spawn(engineer_at_the_console(fake, stop.clone()));
    tokio::spawn(scripted_deck(deck, listen, stop.clone()));
    summarize(desk, options.summary_every, stop.clone()).await;
    service.shutdown(Duration::from_secs(2)).await;
    Ok(())
}

/// Somebody at the console rides the lead vocal and switches channel 2 on and off: the changes
/// reach pupitre through `/xremote`, and the deck's LEDs follow.
async fn engineer_at_the_console(fake: FakeX32, stop: CancellationToken) {
    let mut n = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(7)) => {}
        }
        n += 1;
        if n % 2 == 1 {
            let db = if n % 4 == 1 { -3.0 } else { 0.0 };
            let f = law::quantize_level(law::db_to_level(db), law::FADER_STEPS);
            fake.set_local("/ch/01/mix/fader", OscType::Float(f as f32));
        } else {
            let on = i32::from(n % 4 == 0);
            fake.set_local("/ch/02/mix/on", OscType::Int(on));
        }
    }
    drop(fake);
}

/// A Numark Mixtrack Pro 3, scripted: its jog wheel trims the stream bus (bus 1) in bursts of
/// ticks, and it reports the LEDs pupitre lights on it.
async fn scripted_deck(deck: UdpSocket, pupitre: std::net::SocketAddr, stop: CancellationToken) {
    let mut leds: HashMap<(u8, u8), u8> = HashMap::new();
    let mut buf = vec![0u8; 2048];
    // Every 3 s: under network MIDI's 5 s silence rule, which would announce a replug.
    let mut tick = tokio::time::interval(Duration::from_secs(3));
    tick.tick().await;
    let mut n = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {
                n += 1;
                // Four ticks up, four up, four down, four down… (two's complement: 7F is −1).
                let step = if (n / 2) % 2 == 0 { 0x01 } else { 0x7F };
                for _ in 0..4 {
                    let _ = deck.send_to(&[0xB1, 0x11, step], pupitre).await;
                }
            }
            r = deck.recv_from(&mut buf) => {
                let Ok((len, _)) = r else { continue };
                for m in parse_all(&buf[..len]) {
                    if let MidiMessage::NoteOn { channel, note, velocity } = m {
                        let (deck_no, name) = match (channel.get(), note.get()) {
                            (1, 1) => (1, "play"),
                            (2, 1) => (2, "play"),
                            (1, 3) => (1, "cue"),
                            (2, 3) => (2, "cue"),
                            (1, 2) => (1, "sync"),
                            (2, 2) => (2, "sync"),
                            _ => continue,
                        };
                        let v = velocity.get();
                        if leds.insert((channel.get(), note.get()), v) != Some(v) {
                            info!(deck = deck_no, led = name, lit = v > 0, "mixtrack LED");
                        }
                    }
                }
            }
        }
    }
}

/// Log changes as they happen, and a summary of links and levels every `every`.
async fn summarize(desk: DeskHandle, every: Duration, stop: CancellationToken) {
    let mut changes = desk.subscribe();
    let meters = desk.meters().subscribe(MixerId::X32);
    let status = desk.link_status(MixerId::X32);
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let mut counted = 0u64;
    let mut resynced = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            r = changes.recv() => match r {
                Ok(c) => {
                    counted += 1;
                    // A read-back is hundreds of changes at once: counted, not listed.
                    if matches!(c.origin, Origin::Resync(_)) {
                        resynced += 1;
                    } else {
                        log_change(&c);
                    }
                }
                Err(RecvError::Lagged(n)) => warn!(skipped = n, "summary fell behind"),
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                let s = status.borrow().clone();
                let frame = meters.borrow().clone();
                let level = |strip: Strip| {
                    frame.level(strip).map_or("-".to_string(), |d| d.to_string())
                };
                info!(
                    x32 = %s.state,
                    peer = s.peer.as_deref().unwrap_or("-"),
                    main_lr = %level(Strip::MainStereo),
                    bus_01 = %level(Strip::Bus(1)),
                    mtx_01 = %level(Strip::Matrix(1)),
                    ch_01 = %level(Strip::Channel(1)),
                    changes = counted,
                    read_back = resynced,
                    "summary"
                );
                counted = 0;
                resynced = 0;
            }
        }
    }
}

fn log_change(c: &Change) {
    let kind = c.param.kind();
    info!(
        param = %c.param,
        from = %kind.display(&c.previous),
        to = %kind.display(&c.value),
        origin = %c.origin,
        "change"
    );
}
