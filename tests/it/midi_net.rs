//! Network MIDI (raw MIDI bytes over UDP) end to end on 127.0.0.1: a test socket plays the
//! device, the port under test is what a surface would hold.

use std::time::Duration;

use pupitre::midi::{
    open, open_bound, parse_all, MidiMessage, MidiPort, NetSettings, PortEvent, PortSpec,
    MAX_DATAGRAM,
};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::support::{within, LOOPBACK};

/// A device socket and a port talking to it.
async fn rig(silence: Duration) -> (MidiPort, UdpSocket, CancellationToken) {
    let device = UdpSocket::bind(LOOPBACK).await.expect("device socket");
    let ours = std::net::UdpSocket::bind(LOOPBACK).expect("port socket");
    let mut settings = NetSettings::new(
        ours.local_addr().expect("bound"),
        device.local_addr().expect("bound"),
    );
    settings.silence = silence;
    let stop = CancellationToken::new();
    let mut port = open_bound(ours, settings, stop.clone()).expect("port opens");
    match within(2.0, "first Connected", port.recv()).await {
        Some(PortEvent::Connected { name }) => assert!(name.starts_with("udp 127.0.0.1:")),
        other => panic!("expected Connected, got {other:?}"),
    }
    (port, device, stop)
}

async fn next_message(port: &mut MidiPort) -> MidiMessage {
    match within(2.0, "a message", port.recv()).await {
        Some(PortEvent::Message { message, .. }) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn messages_both_ways_several_per_datagram() {
    let (mut port, device, stop) = rig(Duration::from_secs(60)).await;
    let ours = {
        // Learn the port's address from what it sends.
        port.send(vec![0x90, 60, 127, 0xB0, 7, 100])
            .expect("port open");
        let mut buf = [0u8; 2048];
        let (n, from) = within(2.0, "datagram", device.recv_from(&mut buf))
            .await
            .expect("recv");
        assert_eq!(&buf[..n], &[0x90, 60, 127, 0xB0, 7, 100]);
        from
    };

    // Three messages, running status and a clock in the middle, in one datagram.
    device
        .send_to(&[0xB0, 1, 64, 0xF8, 2, 65, 0xE0, 0, 0x40], ours)
        .await
        .expect("send");
    let got = [
        next_message(&mut port).await,
        next_message(&mut port).await,
        next_message(&mut port).await,
        next_message(&mut port).await,
    ];
    let names: Vec<String> = got.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "CC ch1 #1 = 64",
            "Clock",
            "CC ch1 #2 = 65",
            "Pitch bend ch1 8192"
        ]
    );
    stop.cancel();
    assert_eq!(within(2.0, "port ends", port.recv()).await, None);
}

#[tokio::test]
async fn garbage_is_dropped_without_harm() {
    let (mut port, device, stop) = rig(Duration::from_secs(60)).await;
    port.send(vec![0xF8]).expect("port open");
    let mut buf = [0u8; 64];
    let (_, ours) = within(2.0, "datagram", device.recv_from(&mut buf))
        .await
        .expect("recv");
    device
        .send_to(&[0x01, 0x02, 0xF4, 0x90, 0x7F], ours)
        .await
        .expect("send");
    device.send_to(&[], ours).await.expect("send");
    device.send_to(&[0xC3, 5], ours).await.expect("send");
    assert_eq!(next_message(&mut port).await.to_string(), "Program ch4 5");
    stop.cancel();
}

#[tokio::test]
async fn queued_output_is_coalesced_into_whole_message_datagrams() {
    let (port, device, stop) = rig(Duration::from_secs(60)).await;
    // Queued before the task runs again (single-threaded runtime): 500 CCs, 1500 bytes.
    for i in 0..500u32 {
        port.send(vec![0xB0, (i % 128) as u8, 1])
            .expect("port open");
    }
    let mut total = 0;
    let mut datagrams = 0;
    let mut buf = [0u8; 4096];
    while total < 1500 {
        let (n, _) = within(2.0, "datagrams", device.recv_from(&mut buf))
            .await
            .expect("recv");
        assert!(n <= MAX_DATAGRAM && n % 3 == 0, "{n} bytes");
        assert_eq!(parse_all(&buf[..n]).len(), n / 3);
        total += n;
        datagrams += 1;
    }
    assert_eq!(total, 1500);
    assert_eq!(datagrams, 2);
    assert_eq!(port.dropped_sends(), 0);
    stop.cancel();
}

#[tokio::test]
async fn speaking_after_silence_announces_the_connection_again() {
    // A zero silence window: every datagram counts as "after a silence".
    let (mut port, device, stop) = rig(Duration::ZERO).await;
    port.send(vec![0xF8]).expect("port open");
    let mut buf = [0u8; 64];
    let (_, ours) = within(2.0, "datagram", device.recv_from(&mut buf))
        .await
        .expect("recv");
    device.send_to(&[0x90, 60, 1], ours).await.expect("send");
    assert!(matches!(
        within(2.0, "Connected again", port.recv()).await,
        Some(PortEvent::Connected { .. })
    ));
    assert_eq!(
        next_message(&mut port).await.to_string(),
        "Note on ch1 60 vel 1"
    );
    stop.cancel();
}

#[tokio::test]
async fn open_binds_the_listen_address() {
    let device = UdpSocket::bind(LOOPBACK).await.expect("device socket");
    let listen = "127.0.0.1:0".parse().expect("address");
    let spec = PortSpec::Network(NetSettings::new(
        listen,
        device.local_addr().expect("bound"),
    ));
    let stop = CancellationToken::new();
    let mut port = open(spec, stop.clone());
    assert!(matches!(
        within(2.0, "Connected", port.recv()).await,
        Some(PortEvent::Connected { .. })
    ));
    stop.cancel();
    assert_eq!(within(2.0, "port ends", port.recv()).await, None);
}
