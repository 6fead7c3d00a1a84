//! The web remote's cost and speed: `pupitre run` in its own process (so its CPU and memory are
//! its own) on the demo desk against the fake X32 on loopback, with 5 paired phones on
//! websockets receiving meters at 20 a second; and the time from a phone's fader message to
//! the OSC packet at the fake X32.
//!
//! Run with `cargo bench --bench web` (add `-- --seconds N --moves N`).

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pupitre::x32::fake::{FakeOptions, FakeScene, FakeX32};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

#[path = "common/mod.rs"]
mod common;
use common::{arg, percentile};

const PHONES: usize = 5;

fn main() {
    let seconds = arg("--seconds", 20);
    let moves = arg("--moves", 300) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(Duration::from_secs(seconds), moves));
}

fn usage_of(pid: u32) -> (f64, u64, u64) {
    common::usage_of(&pid.to_string())
}

async fn post_login(addr: SocketAddr, code: &str, device: &str) -> String {
    let body = format!("code={code}&device={device}");
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    let cookie = raw
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: pupitre="))
        .expect("paired");
    cookie[..64].to_owned()
}

async fn pair(bin: &str, state: &std::path::Path, addr: SocketAddr, device: &str) -> String {
    let out = Command::new(bin)
        .args(["web", "pair", "--json", "--state-dir"])
        .arg(state)
        .output()
        .expect("pupitre web pair");
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a code");
    post_login(addr, reply["code"].as_str().expect("code"), device).await
}

type Page =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(addr: SocketAddr, token: &str) -> Page {
    let mut request = format!("ws://{addr}/ws")
        .into_client_request()
        .expect("url");
    let h = request.headers_mut();
    h.insert(
        "Cookie",
        HeaderValue::from_str(&format!("pupitre={token}")).expect("cookie"),
    );
    h.insert(
        "Origin",
        HeaderValue::from_str(&format!("http://{addr}")).expect("origin"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket")
        .0
}

async fn run(window: Duration, moves: usize) {
    let bin = env!("CARGO_BIN_EXE_pupitre");
    let mut options = FakeOptions::new("127.0.0.1:0".parse().expect("addr"));
    options.scene = FakeScene::Demo;
    let fake = FakeX32::start(options).await.expect("fake X32");
    let dir = std::env::temp_dir().join(format!("pupitre-bench-web-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let web_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{web_port}").parse().expect("addr");
    let config = dir.join("pupitre.toml");
    std::fs::write(
        &config,
        format!(
            "[mixers.x32]\naddress = \"{}\"\nstrips = [\"ch/01-16\", \"bus/01-08\", \"mtx/01-06\", \"main/st\", \"dca/1-8\"]\n\n[web]\nenabled = true\nlisten = \"{addr}\"\n\n[state]\ndir = \"{}\"\n\n[log]\nlevel = \"warn\"\n",
            fake.local_addr(),
            dir.join("state").display()
        ),
    )
    .expect("config");
    let mut child = Command::new(bin)
        .args(["run", "--headless", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("pupitre run");
    let pid = child.id();
    // Up, online and reading meters.
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "the web remote did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let state = dir.join("state");

    // Idle: the service alone, no page open.
    let (c0, _, _) = usage_of(pid);
    let t0 = Instant::now();
    tokio::time::sleep(window / 2).await;
    let (c1, rss_idle, _) = usage_of(pid);
    let idle_cpu = (c1 - c0) / t0.elapsed().as_secs_f64() * 100.0;

    // Five phones, each counting its messages.
    let mut tokens = Vec::new();
    for i in 0..PHONES {
        tokens.push(pair(bin, &state, addr, &format!("phone-{i}")).await);
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let mut readers = Vec::new();
    for token in &tokens {
        let mut page = open(addr, token).await;
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let (mut meters, mut bytes, mut other) = (0u64, 0u64, 0u64);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    m = page.next() => match m {
                        Some(Ok(Message::Text(t))) => {
                            bytes += t.len() as u64;
                            if t.starts_with("{\"type\":\"meters\"") { meters += 1 } else { other += 1 }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
            }
            (meters, bytes, other)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (c2, _, _) = usage_of(pid);
    let t2 = Instant::now();
    tokio::time::sleep(window).await;
    let (c3, rss_phones, hwm) = usage_of(pid);
    let span = t2.elapsed().as_secs_f64();
    let phones_cpu = (c3 - c2) / span * 100.0;
    stop.cancel();
    let mut meter_rates = Vec::new();
    let mut byte_rates = Vec::new();
    for r in readers {
        let (meters, bytes, _) = r.await.expect("reader");
        meter_rates.push(meters as f64 / (span + 1.0));
        byte_rates.push(bytes as f64 / (span + 1.0) / 1024.0);
    }

    // Latency: a phone's fader message → the OSC packet at the fake X32.
    let mut tap = fake.tap();
    let mut page = open(addr, &tokens[0]).await;
    let mut latencies = Vec::with_capacity(moves);
    for i in 0..moves {
        // Alternate between two grid positions so every message is a change.
        let pos = if i % 2 == 0 {
            300.0 / 1023.0
        } else {
            700.0 / 1023.0
        };
        let text = format!("{{\"type\":\"fader\",\"index\":0,\"pos\":{pos}}}");
        let sent = Instant::now();
        page.send(Message::Text(text.into())).await.expect("send");
        let arrived = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match tap.recv().await {
                    Ok(a) if a.address == "/ch/01/mix/fader" => return a.at,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => panic!("tap closed"),
                }
            }
        })
        .await;
        match arrived {
            Ok(at) => latencies.push(at.saturating_duration_since(sent)),
            Err(_) => eprintln!("move {i}: no packet within 2 s"),
        }
        // Drain what the page was sent meanwhile.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1), page.next()).await {}
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "web remote, `pupitre run` (release) on the demo desk (39 strips) against the fake X32"
    );
    println!(
        "  service CPU, no page open:           {idle_cpu:.2} % of one core   RSS {:.1} MiB",
        rss_idle as f64 / 1024.0
    );
    println!(
        "  service CPU, {PHONES} phones at 20 Hz:      {phones_cpu:.2} % of one core   RSS {:.1} MiB (peak {:.1} MiB)",
        rss_phones as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "  meters per phone:                    {:.1}–{:.1} /s   traffic {:.1}–{:.1} KiB/s per phone",
        meter_rates.iter().cloned().fold(f64::INFINITY, f64::min),
        meter_rates.iter().cloned().fold(0.0, f64::max),
        byte_rates.iter().cloned().fold(f64::INFINITY, f64::min),
        byte_rates.iter().cloned().fold(0.0, f64::max),
    );
    println!(
        "  fader message → OSC at the X32 ({} of {moves}): p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
}
