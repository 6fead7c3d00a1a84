//! The latency probes over the real paths: the fake X32 on loopback (with and without packet
//! loss), the real CamillaDSP the tests start, and network MIDI with the test playing a
//! controller that answers a Device Inquiry (or echoes notes). Counts, structure and order are
//! asserted, never speeds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pupitre::camilla::processing_latency;
use pupitre::latency::{ProbePlan, ResamplerDelay, RoundTrips};
use pupitre::midi::{open_bound, LoopMethod, MidiPort, NetSettings, DEVICE_INQUIRY};
use pupitre::x32::fake::FakeScene;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::camilla::{dummy_config, CamillaServer};
use crate::support::{fake, steady, within, LOOPBACK};

fn plan(probes: u32, timeout_ms: u64) -> ProbePlan {
    ProbePlan {
        probes,
        interval: Duration::from_millis(1),
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// Answered times are the answered count, ordered percentiles come from them.
fn assert_consistent(r: &RoundTrips) {
    let s = r.summary();
    assert_eq!(s.sent, s.answered + s.lost);
    assert_eq!(r.times().len() as u32, s.answered);
    if let Some(p) = s.rtt {
        assert!(p.min <= p.p50 && p.p50 <= p.p95 && p.p95 <= p.p99 && p.p99 <= p.max);
        assert!(r.times().contains(&p.p50));
    } else {
        assert_eq!(s.answered, 0);
    }
}

#[tokio::test]
async fn x32_fake_answers_every_get() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let p = within(
        30.0,
        "50 probes",
        pupitre::x32::probe_latency(fake.local_addr(), &plan(50, 2000)),
    )
    .await
    .expect("a socket");
    assert_eq!(p.console.as_deref(), Some("X32 4.06"));
    let s = p.round_trips.summary();
    assert_eq!((s.sent, s.answered, s.lost, s.late), (50, 50, 0, 0));
    assert_consistent(&p.round_trips);
    // The fake saw /info and every get, on its own socket: nothing else.
    assert_eq!(fake.stats().received, 51);
}

#[tokio::test]
async fn x32_fake_with_packet_loss_counts_what_was_lost() {
    let fake = fake(FakeScene::Demo, steady(), 0.3).await;
    let p = within(
        60.0,
        "60 lossy probes",
        pupitre::x32::probe_latency(fake.local_addr(), &plan(60, 100)),
    )
    .await
    .expect("a socket");
    let s = p.round_trips.summary();
    assert_eq!(s.sent, 60);
    assert!(s.lost > 0, "30 % loss both ways lost nothing: {s:?}");
    assert!(s.answered > 0, "30 % loss both ways lost everything: {s:?}");
    assert_consistent(&p.round_trips);
    // Every datagram the fake dropped during the probes lost a probe (at most two drops were
    // of the /info asked first).
    let stats = fake.stats();
    let drops = stats.dropped_in + stats.dropped_out;
    assert!(drops > 0);
    assert!(
        u64::from(s.lost) >= drops.saturating_sub(2),
        "lost {} but the fake dropped {drops}",
        s.lost
    );
}

#[tokio::test]
async fn camilladsp_round_trips_and_the_latency_of_its_config() {
    let server = CamillaServer::start(&dummy_config());
    let p = within(
        30.0,
        "CamillaDSP probes",
        pupitre::camilla::probe_latency(&server.url(), &plan(50, 2000)),
    )
    .await
    .expect("CamillaDSP answers");
    assert!(p.version.starts_with("5."), "{}", p.version);
    let s = p.round_trips.summary();
    assert_eq!((s.sent, s.answered, s.lost), (50, 50, 0));
    assert_consistent(&p.round_trips);
    let processing = p.processing.expect("the dummy config has devices");
    // What the running CamillaDSP reports is what the shipped file says, through the formula.
    let file: serde_json::Value = yaml_serde::from_str(&dummy_config()).unwrap();
    assert_eq!(processing, processing_latency(&file).unwrap());
    assert_eq!(
        (
            processing.samplerate,
            processing.chunksize,
            processing.target_level
        ),
        (48_000, 1024, 1024)
    );
    assert!(processing.target_level_is_default);
    assert_eq!(processing.resampler, ResamplerDelay::None);
    assert_eq!(processing.samples(), 2048);
    assert!((processing.millis() - 2048.0 / 48.0).abs() < 1e-9);
    assert!(!p.buffer_level.readings.is_empty(), "{:?}", p.notes);
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[tokio::test]
async fn camilladsp_latency_follows_the_config_it_runs() {
    let config = dummy_config()
        .replace("samplerate: 48000", "samplerate: 44100")
        .replace("chunksize: 1024", "chunksize: 512\n  target_level: 256");
    let server = CamillaServer::start(&config);
    let p = within(
        30.0,
        "CamillaDSP probes",
        pupitre::camilla::probe_latency(&server.url(), &plan(5, 2000)),
    )
    .await
    .expect("CamillaDSP answers");
    let processing = p.processing.expect("a config with devices");
    assert_eq!(
        (
            processing.samplerate,
            processing.chunksize,
            processing.target_level
        ),
        (44_100, 512, 256)
    );
    assert!(!processing.target_level_is_default);
    // 512 + 256 = 768 samples at 44.1 kHz = 17.415 ms.
    assert_eq!(processing.samples(), 768);
    assert!((processing.millis() - 768.0 / 44.1).abs() < 1e-9);
}

#[tokio::test]
async fn camilladsp_not_there_is_an_error_naming_the_url() {
    let port = std::net::TcpListener::bind(LOOPBACK)
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}");
    let err = pupitre::camilla::probe_latency(&url, &plan(3, 200))
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&url), "{err}");
}

/// An X-Touch's Identity Reply: Behringer (00 20 32), family 0x58, model 0x14.
const IDENTITY: [u8; 17] = [
    0xF0, 0x7E, 0x00, 0x06, 0x02, 0x00, 0x20, 0x32, 0x58, 0x00, 0x14, 0x00, 0x01, 0x00, 0x02, 0x03,
    0xF7,
];

/// The test plays a network MIDI controller: answers a Device Inquiry with [`IDENTITY`] (but
/// ignores the first `ignore` of them), or echoes every datagram back when `echo`. Returns its
/// address, the inquiries it saw, and its task (aborted by the test).
async fn controller(ignore: usize, echo: bool) -> (SocketAddr, Arc<AtomicUsize>, JoinHandle<()>) {
    let device = UdpSocket::bind(LOOPBACK).await.unwrap();
    let addr = device.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = device.recv_from(&mut buf).await {
            let got = &buf[..n];
            if echo {
                let _ = device.send_to(got, from).await;
            } else if got
                .windows(DEVICE_INQUIRY.len())
                .any(|w| w == DEVICE_INQUIRY)
            {
                let before = counter.fetch_add(1, Ordering::SeqCst);
                if before >= ignore {
                    let _ = device.send_to(&IDENTITY, from).await;
                }
            }
        }
    });
    (addr, seen, task)
}

fn port_to(peer: SocketAddr, stop: &CancellationToken) -> MidiPort {
    let ours = std::net::UdpSocket::bind(LOOPBACK).unwrap();
    let settings = NetSettings::new(ours.local_addr().unwrap(), peer);
    open_bound(ours, settings, stop.clone()).expect("network MIDI port")
}

#[tokio::test]
async fn midi_loop_over_network_midi_times_identity_replies() {
    let (device, seen, task) = controller(0, false).await;
    let stop = CancellationToken::new();
    let mut port = port_to(device, &stop);
    let p = within(
        30.0,
        "50 inquiries",
        pupitre::midi::probe_latency(
            &mut port,
            LoopMethod::Identity,
            &plan(50, 2000),
            Duration::from_secs(2),
        ),
    )
    .await
    .expect("the port connects");
    stop.cancel();
    task.abort();
    assert!(p.device.starts_with("udp 127.0.0.1:"), "{}", p.device);
    let identity = p.identity.expect("an identity reply");
    assert_eq!(identity.manufacturer, vec![0x00, 0x20, 0x32]);
    assert_eq!((identity.family, identity.model), (0x58, 0x14));
    let s = p.round_trips.summary();
    assert_eq!((s.sent, s.answered, s.lost), (50, 50, 0));
    assert_consistent(&p.round_trips);
    assert_eq!(seen.load(Ordering::SeqCst), 50);
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[tokio::test]
async fn midi_loop_counts_unanswered_inquiries_as_lost() {
    let (device, seen, task) = controller(3, false).await;
    let stop = CancellationToken::new();
    let mut port = port_to(device, &stop);
    let p = within(
        30.0,
        "10 inquiries",
        pupitre::midi::probe_latency(
            &mut port,
            LoopMethod::Identity,
            &plan(10, 300),
            Duration::from_secs(2),
        ),
    )
    .await
    .expect("the port connects");
    stop.cancel();
    task.abort();
    let s = p.round_trips.summary();
    assert_eq!((s.sent, s.answered, s.lost), (10, 7, 3));
    assert_eq!(seen.load(Ordering::SeqCst), 10);
    assert_consistent(&p.round_trips);
}

#[tokio::test]
async fn midi_loop_with_a_note_echo() {
    let (device, _, task) = controller(0, true).await;
    let stop = CancellationToken::new();
    let mut port = port_to(device, &stop);
    let p = within(
        30.0,
        "30 echoes",
        pupitre::midi::probe_latency(
            &mut port,
            LoopMethod::NoteEcho,
            &plan(30, 2000),
            Duration::from_secs(2),
        ),
    )
    .await
    .expect("the port connects");
    stop.cancel();
    task.abort();
    assert_eq!(p.identity, None);
    let s = p.round_trips.summary();
    assert_eq!((s.sent, s.answered, s.lost, s.late), (30, 30, 0, 0));
    assert_consistent(&p.round_trips);
}
