//! The desk path under load: 10 000 intents/s for 10 s into the desk → X32 link → UDP on
//! loopback → the fake X32. Reports latency from intent to packet at the fake (p50/p99/max),
//! the write rate per parameter, whether anything queued up, peak RSS and CPU time.
//!
//! Run with `cargo bench --bench desk_path` (add `-- --seconds N --rate R` to change the load).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pupitre::config::Config;
use pupitre::desk::{Intent, LinkState, MixerId, Normalized, Op, Origin, ParamId, Strip};
use pupitre::service::Service;
use pupitre::x32::fake::{FakeOptions, FakeScene, FakeX32};
use rosc::OscType;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

#[path = "common/mod.rs"]
mod common;
use common::{arg, percentile, usage, Sends};

fn main() {
    let seconds = arg("--seconds", 10);
    let rate = arg("--rate", 10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(seconds, rate));
}

async fn run(seconds: u64, rate: u64) {
    let mut options = FakeOptions::new("127.0.0.1:0".parse().expect("loopback"));
    options.scene = FakeScene::Blank;
    let fake = FakeX32::start(options).await.expect("fake X32 on loopback");
    let mut tap = fake.tap();
    let stop = CancellationToken::new();
    let service = Service::start(&Config::demo(fake.local_addr()), stop.clone()).expect("service");
    let desk = service.desk().clone();
    desk.link_status(MixerId::X32)
        .wait_for(|s| s.state == LinkState::Online)
        .await
        .expect("link");

    // 50 faders: channels 1-32, buses 1-16, matrices 1-2.
    let params: Vec<ParamId> = (1..=32)
        .map(Strip::Channel)
        .chain((1..=16).map(Strip::Bus))
        .chain((1..=2).map(Strip::Matrix))
        .map(|s| s.fader())
        .collect();
    let index: HashMap<String, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path().to_owned(), i))
        .collect();

    // Packets at the fake, timestamped as they arrive.
    let collector = tokio::spawn(async move {
        // Touched up front so the RSS samples show the service, not this bookkeeping.
        let mut arrivals: Vec<(usize, u32, Instant)> = vec![(0, 0, Instant::now()); 200_000];
        arrivals.clear();
        let mut lagged = 0;
        loop {
            let ev = match tap.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    lagged += n;
                    continue;
                }
                Err(_) => break,
            };
            if let (Some(&i), OscType::Float(f)) = (index.get(&ev.address), &ev.value) {
                arrivals.push((i, (f64::from(*f) * 1023.0).round() as u32, ev.at));
            }
        }
        (arrivals, lagged)
    });

    let started = Instant::now();
    let per_tick = (rate / 1000).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = Sends::with_capacity((rate * seconds + 1000) as usize, (0usize, 0u32));
    let mut max_backlog = 0;
    let mut counters = vec![0u32; params.len()];
    let mut last_k = vec![0u32; params.len()];
    let mut total = 0u64;
    let (cpu0, rss0, _) = usage();
    let mut rss_samples = vec![rss0];
    let mut next_sample = started + Duration::from_secs(1);
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        for _ in 0..per_tick {
            let i = (total % params.len() as u64) as usize;
            counters[i] = counters[i].wrapping_add(7);
            // Walk the whole grid in steps of 7 (coprime with 1024): every value differs
            // from the previous ones for a long while.
            let k = counters[i] % 1024;
            last_k[i] = k;
            let at = Instant::now();
            sent.push((i, k), at);
            let intent = Intent {
                param: params[i].clone(),
                op: Op::Normalized(Normalized::new_clamped(f64::from(k) / 1023.0)),
                origin: Origin::Surface("bench".into()),
            };
            if desk.send(intent).await.is_err() {
                return;
            }
            total += 1;
        }
        max_backlog = max_backlog.max(desk.backlog());
        if Instant::now() >= next_sample {
            rss_samples.push(usage().1);
            next_sample += Duration::from_secs(1);
        }
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu1, _, hwm) = usage();
    let settled = params
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            matches!(fake.get(p.path()), Some(OscType::Float(f)) if (f64::from(f) * 1023.0).round() as u32 == last_k[*i])
        })
        .count();
    service.shutdown(Duration::from_secs(2)).await;
    drop(fake);
    let (arrivals, lagged) = collector.await.expect("collector");

    let keyed: Vec<((usize, u32), Instant)> =
        arrivals.iter().map(|(i, k, at)| ((*i, *k), *at)).collect();
    let latencies = sent.latencies(&keyed);
    // Writes per parameter per second, in one-second buckets.
    let mut buckets: HashMap<(usize, u64), u32> = HashMap::new();
    for (i, _, at) in &arrivals {
        *buckets
            .entry((*i, at.saturating_duration_since(started).as_secs()))
            .or_default() += 1;
    }
    let max_rate = buckets.values().copied().max().unwrap_or(0);

    println!(
        "desk path: {total} intents in {:.2} s = {:.0} intents/s over {} faders",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        params.len()
    );
    println!(
        "  writes at the fake: {} ({} matched to an intent)",
        arrivals.len(),
        latencies.len()
    );
    println!(
        "  latency intent → packet at the fake: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("  tap readings lost: {lagged}; most intents ever waiting for the desk: {max_backlog} (bound {})", pupitre::desk::INTENT_CAPACITY);
    println!("  highest write rate for one parameter: {max_rate} per second (limit 50)");
    println!(
        "  faders holding the last intent 0.5 s after the burst: {settled}/{}",
        params.len()
    );
    println!("  RSS each second (KiB): {rss_samples:?}");
    println!(
        "  peak RSS {:.1} MiB; CPU {:.2} s over {:.1} s ({:.0} % of one core)",
        hwm as f64 / 1024.0,
        cpu1 - cpu0,
        elapsed.as_secs_f64() + 0.5,
        (cpu1 - cpu0) / (elapsed.as_secs_f64() + 0.5) * 100.0
    );
}
