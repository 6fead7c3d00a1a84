//! pupitre against the real CamillaDSP 5.0.0-beta.1 (Dummy devices, 127.0.0.1):
//! - command round trip (`GetVolume`, encoded and decoded by pupitre's protocol layer), p50/p99;
//! - CPU of pupitre's levels pipeline at 10 Hz for 8 channels, over 10 s;
//! - time from an intent (channel gain 0 ↔ −12 dB) to the change visible in `GetSignalLevels`.
//!
//! Needs the CamillaDSP that `scripts/dev test` builds ($CAMILLADSP_BIN or ~/.cache/…).
//! Run with `cargo bench --bench camilla_path`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pupitre::camilla::{decode, encode, Command as Cdsp, Incoming, Version};
use pupitre::config::{CamillaConfig, Config};
use pupitre::desk::{Db, Intent, LinkState, MixerId, Op, Origin, ParamId};
use pupitre::service::Service;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

#[path = "common/mod.rs"]
mod common;
use common::{percentile, usage};

const CHANNELS: usize = 8;

struct Server(Child, std::path::PathBuf);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn config_yaml() -> String {
    let mut y = format!(
        "devices:\n  samplerate: 48000\n  chunksize: 1024\n  capture: {{type: Dummy, channels: {CHANNELS}, signal: {{type: Sine, freq: 220, level: -12}}}}\n  playback: {{type: Dummy, channels: {CHANNELS}, format: S32_LE}}\nfilters:\n"
    );
    for c in 0..CHANNELS {
        y += &format!("  ch{c}_gain: {{type: Gain, parameters: {{gain: 0.0, mute: false}}}}\n");
    }
    y += "pipeline:\n";
    for c in 0..CHANNELS {
        y += &format!("  - {{type: Filter, channels: [{c}], names: [ch{c}_gain]}}\n");
    }
    y
}

fn start_server() -> Option<(Server, u16)> {
    let bin = std::env::var_os("CAMILLADSP_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| {
                std::path::PathBuf::from(h).join(".cache/camilladsp-5.0.0-beta.1/bin/camilladsp")
            })
        })?;
    if !bin.exists() {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("pupitre-bench-cdsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let cfg = dir.join("bench.yml");
    std::fs::write(&cfg, config_yaml()).ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new(bin)
        .args(["-w", "-a", "127.0.0.1", "-p", &port.to_string()])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((Server(child, dir), port))
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ask(ws: &mut Ws, cmd: &Cdsp) -> Option<pupitre::camilla::Reply> {
    ws.send(Message::Text(encode(cmd, Version::V5).into()))
        .await
        .ok()?;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            if let Ok(Incoming::Reply(r)) = decode(&t, Version::V5) {
                return Some(r);
            }
        }
    }
    None
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let Some((_server, port)) = start_server() else {
            eprintln!("no CamillaDSP: run `scripts/dev test` once (it builds CamillaDSP into ~/.cache)");
            std::process::exit(1);
        };
        let url = format!("ws://127.0.0.1:{port}");
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.expect("connect");

        // 1. Round trips.
        let mut rtt = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            ask(&mut ws, &Cdsp::GetVolume).await.expect("reply");
            rtt.push(t.elapsed());
        }
        rtt.sort();
        println!(
            "camilla: GetVolume round trip over 2000: p50 {:.3} ms, p99 {:.3} ms",
            percentile(&rtt, 0.5).as_secs_f64() * 1e3,
            percentile(&rtt, 0.99).as_secs_f64() * 1e3
        );

        // 2. The service with the link and 8 channels of levels at 10 Hz, for 10 s.
        let mut config = Config::demo("127.0.0.1:9".parse().expect("addr"));
        config.x32 = None;
        config.camilla = Some(CamillaConfig { url: url.clone(), channels: CHANNELS as u8, aux_faders: 0, config: None, crossfader: false, group_tone: false });
        let service = Service::start(&config, CancellationToken::new()).expect("service");
        let desk = service.desk().clone();
        desk.link_status(MixerId::Camilla).wait_for(|s| s.state == LinkState::Online).await.expect("online");
        let mut meters = desk.meters().subscribe(MixerId::Camilla);
        let (cpu0, _, _) = usage();
        let t0 = Instant::now();
        let mut frames = 0u32;
        while t0.elapsed() < Duration::from_secs(10) {
            if tokio::time::timeout(Duration::from_secs(1), meters.changed()).await.is_ok() {
                frames += 1;
                let n = meters.borrow_and_update().channels.len();
                assert_eq!(n, CHANNELS * 2, "capture and playback per channel");
            }
        }
        let (cpu1, rss, hwm) = usage();
        println!(
            "camilla: levels pipeline, {CHANNELS} channels: {frames} frames in 10 s ({:.1} Hz); pupitre CPU {:.2} s = {:.2} % of one core; RSS {:.1} MiB (peak {:.1})",
            f64::from(frames) / 10.0,
            cpu1 - cpu0,
            (cpu1 - cpu0) / 10.0 * 100.0,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );

        // 3. Intent → level change visible in GetSignalLevels.
        let gain = ParamId::camilla("ch/0/gain").expect("param");
        let level = |r: &pupitre::camilla::Reply| r.levels().and_then(|l| l.playback_rms.first().copied());
        let base = level(&ask(&mut ws, &Cdsp::GetSignalLevels).await.expect("levels")).expect("rms");
        let mut seen = Vec::new();
        for k in 0..20 {
            let low = k % 2 == 0;
            let value = gain.kind().from_db(Db::try_new(if low { -12.0 } else { 0.0 }).expect("db")).expect("value");
            let t = Instant::now();
            desk.send(Intent { param: gain.clone(), op: Op::Set(value), origin: Origin::Surface("bench".into()) }).await.expect("desk");
            loop {
                let l = level(&ask(&mut ws, &Cdsp::GetSignalLevels).await.expect("levels")).unwrap_or(base);
                if (low && l < base - 6.0) || (!low && l > base - 6.0) {
                    break;
                }
            }
            seen.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen.sort();
        println!(
            "camilla: intent → change visible in GetSignalLevels, 20 changes: p50 {:.1} ms, p99 {:.1} ms",
            percentile(&seen, 0.5).as_secs_f64() * 1e3,
            percentile(&seen, 0.99).as_secs_f64() * 1e3
        );
        service.shutdown(Duration::from_secs(2)).await;
    });
}
