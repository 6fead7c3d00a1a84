//! A controller under load: network MIDI datagrams → surface → desk → X32 link → UDP → the
//! fake X32, with the X32's meters streaming (and fed to the surface) all along. Reports the
//! latency from a datagram sent to the OSC packet arriving at the fake (p50/p99/max) at 100
//! and at 10 000 events/s, CPU time, RSS over time and the desk's intent backlog.
//!
//! Run with `cargo bench --bench surface_path`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pupitre::config::{Config, SurfaceConfig};
use pupitre::desk::{LinkState, MixerId};
use pupitre::service::Service;
use pupitre::x32::fake::{FakeOptions, FakeX32};
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

#[path = "common/mod.rs"]
mod common;
use common::{percentile, usage, Sends};

const CONTROLS: u8 = 16;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for (rate, seconds) in [(100u64, 5u64), (10_000, 10)] {
            run(rate, seconds).await;
        }
    });
}

/// The fader float a 7-bit CC value lands on (range control, full travel, fader grid).
fn fader_of(v: u8) -> f32 {
    let x = f64::from(v) / 127.0;
    ((x * 1023.5).floor() / 1023.0) as f32
}

async fn run(rate: u64, seconds: u64) {
    let fake = FakeX32::start(FakeOptions::new("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("fake");
    let mut tap = fake.tap();
    let deck = UdpSocket::bind("127.0.0.1:0").await.expect("deck socket");
    let listen = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("free port");
    let dir = std::env::temp_dir().join(format!("pupitre-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut mapping = format!(
        "[device]\nname = \"bench deck\"\nnetwork = {{ listen = \"{listen}\", peer = \"{}\" }}\n",
        deck.local_addr().expect("addr")
    );
    for k in 1..=CONTROLS {
        mapping += &format!(
            "\n[[control]]\nsource = {{ cc = {k} }}\ntarget = \"x32:/ch/{k:02}/mix/fader\"\ntakeover = \"off\"\n"
        );
    }
    let mapping_path = dir.join("bench.toml");
    std::fs::write(&mapping_path, mapping).expect("mapping file");
    let mut config = Config::demo(fake.local_addr());
    config.surfaces.push(SurfaceConfig {
        name: "bench".into(),
        mapping: mapping_path,
        enabled: true,
    });
    let stop = CancellationToken::new();
    let service = Service::start(&config, stop.clone()).expect("service");
    let desk = service.desk().clone();
    desk.link_status(MixerId::X32)
        .wait_for(|s| s.state == LinkState::Online)
        .await
        .expect("link");
    // Let the surface's connect resync and the meter stream settle.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let by_float: HashMap<u32, u8> = (0..=127u8).map(|v| (fader_of(v).to_bits(), v)).collect();
    let collector = tokio::spawn(async move {
        let mut arrivals: Vec<(u8, u8, Instant)> = vec![(0, 0, Instant::now()); 400_000];
        arrivals.clear();
        while let Ok(ev) = tap.recv().await {
            let Some(k) = ev
                .address
                .strip_prefix("/ch/")
                .and_then(|r| r.get(..2))
                .and_then(|n| n.parse::<u8>().ok())
            else {
                continue;
            };
            if let OscType::Float(f) = ev.value {
                if let Some(&v) = by_float.get(&f.to_bits()) {
                    arrivals.push((k, v, ev.at));
                }
            }
        }
        arrivals
    });

    let mut sent = Sends::with_capacity((rate * seconds + 1000) as usize, (0u8, 0u8));
    let mut value = [0u8; CONTROLS as usize + 1];
    let (cpu0, rss0, _) = usage();
    let mut rss = vec![rss0];
    let mut max_backlog = 0;
    let per_tick = (rate / 1000).max(1);
    let period = if rate >= 1000 {
        Duration::from_millis(1)
    } else {
        Duration::from_secs(1) / rate as u32
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut next_sample = started + Duration::from_secs(1);
    let mut events = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        for _ in 0..per_tick {
            let k = (events % u64::from(CONTROLS)) as u8 + 1;
            // Step 37 (coprime with 128) so each control's successive values differ.
            value[k as usize] = (value[k as usize] + 37) % 128;
            let v = value[k as usize];
            sent.push((k, v), Instant::now());
            let _ = deck.send_to(&[0xB0, k, v], listen).await;
            events += 1;
        }
        max_backlog = max_backlog.max(desk.backlog());
        if Instant::now() >= next_sample {
            rss.push(usage().1);
            next_sample += Duration::from_secs(1);
        }
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu1, _, hwm) = usage();
    let settled = (1..=CONTROLS)
        .filter(|&k| {
            fake.get(&format!("/ch/{k:02}/mix/fader"))
                == Some(OscType::Float(fader_of(value[k as usize])))
        })
        .count();
    service.shutdown(Duration::from_secs(2)).await;
    drop(fake);
    let arrivals = collector.await.expect("collector");
    let _ = std::fs::remove_dir_all(&dir);

    let arrivals: Vec<((u8, u8), Instant)> = arrivals
        .into_iter()
        .map(|(k, v, at)| ((k, v), at))
        .collect();
    let latencies = sent.latencies(&arrivals);
    println!("surface path at {rate} events/s: {events} CC messages in {:.1} s over {CONTROLS} controls, X32 meters streaming", elapsed.as_secs_f64());
    println!("  writes at the fake: {}", latencies.len());
    println!(
        "  latency datagram → OSC at the fake: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("  most intents waiting for the desk: {max_backlog}; faders holding the last value: {settled}/{CONTROLS}");
    println!(
        "  RSS each second (KiB): {rss:?}; peak {:.1} MiB",
        hwm as f64 / 1024.0
    );
    println!(
        "  CPU {:.2} s over {:.1} s ({:.0} % of one core, fake X32 included)",
        cpu1 - cpu0,
        elapsed.as_secs_f64() + 0.5,
        (cpu1 - cpu0) / (elapsed.as_secs_f64() + 0.5) * 100.0
    );
}
