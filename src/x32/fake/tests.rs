//! The fake X32 over real UDP on 127.0.0.1, plus the whole message pipeline with injected time.

use std::net::SocketAddr;
use std::time::Duration;

use rosc::{OscMessage, OscType};
use tokio::net::UdpSocket;
use tokio::time::{timeout, Instant};

use super::*;
use crate::desk::Db;
use crate::x32::codec::{self, message, request};

const WAIT: Duration = Duration::from_millis(1000);
/// How long to wait before concluding that nothing comes (only where ordering cannot prove it).
const QUIET: Duration = Duration::from_millis(200);

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn start(scene: FakeScene, programme: Programme) -> FakeX32 {
    let mut o = FakeOptions::new(local());
    o.scene = scene;
    o.programme = programme;
    FakeX32::start(o).await.unwrap()
}

async fn blank() -> FakeX32 {
    start(FakeScene::Blank, Programme::Live).await
}

async fn client() -> UdpSocket {
    UdpSocket::bind(local()).await.unwrap()
}

async fn send(sock: &UdpSocket, fake: &FakeX32, msg: OscMessage) {
    let bytes = codec::encode(&msg).unwrap();
    sock.send_to(&bytes, fake.local_addr()).await.unwrap();
}

async fn recv_bytes(sock: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let (n, _) = timeout(WAIT, sock.recv_from(&mut buf)).await.ok()?.ok()?;
    buf.truncate(n);
    Some(buf)
}

async fn recv(sock: &UdpSocket) -> OscMessage {
    let bytes = recv_bytes(sock).await.expect("a reply in time");
    codec::decode(&bytes).unwrap().remove(0)
}

/// Proves nothing was queued for `sock`: a get sent now must be the first thing it receives
/// (loopback UDP from one socket keeps its order, and the fake handles datagrams in order).
async fn assert_nothing_queued(sock: &UdpSocket, fake: &FakeX32) {
    send(sock, fake, request("/main/m/mix/on")).await;
    assert_eq!(recv(sock).await.addr, "/main/m/mix/on");
}

fn float(addr: &str, f: f32) -> OscMessage {
    message(addr, vec![OscType::Float(f)])
}

#[tokio::test]
async fn info_xinfo_status_have_the_desk_shapes() {
    let fake = blank().await;
    let a = client().await;
    let s = |v: &str| OscType::String(v.into());
    send(&a, &fake, request("/info")).await;
    assert_eq!(
        recv(&a).await.args,
        vec![s("V2.07"), s("osc-server"), s("X32"), s("4.06")]
    );
    send(&a, &fake, request("/xinfo")).await;
    assert_eq!(
        recv(&a).await.args,
        vec![s("127.0.0.1"), s("pupitre fake X32"), s("X32"), s("4.06")]
    );
    // The type-tag-less form of §1.1.
    a.send_to(b"/status\0", fake.local_addr()).await.unwrap();
    assert_eq!(
        recv(&a).await.args,
        vec![s("active"), s("127.0.0.1"), s("pupitre fake X32")]
    );
}

#[tokio::test]
async fn set_is_quantized_not_answered_and_get_returns_it() {
    let fake = blank().await;
    let a = client().await;
    send(&a, &fake, float("/ch/01/mix/fader", 0.75)).await;
    send(&a, &fake, request("/ch/01/mix/fader")).await;
    let reply = recv(&a).await;
    assert_eq!(reply.addr, "/ch/01/mix/fader");
    let expected = (767.0f64 / 1023.0) as f32;
    assert_eq!(reply.args, vec![OscType::Float(expected)]);
    assert!((expected - 0.749756).abs() < 1e-6);
    assert_eq!(fake.get("/ch/01/mix/fader"), Some(OscType::Float(expected)));
    send(&a, &fake, request("/ch/05/config/name")).await;
    assert_eq!(recv(&a).await.args, vec![OscType::String(String::new())]);
    send(&a, &fake, request("/ch/05/mix/on")).await;
    assert_eq!(recv(&a).await.args, vec![OscType::Int(0)]);
    assert_eq!(fake.get("/ch/33/mix/fader"), None);
    assert_eq!(fake.stats().sets_applied, 1);
}

#[tokio::test]
async fn unknown_addresses_garbage_and_wrong_types_get_nothing() {
    let fake = blank().await;
    let a = client().await;
    a.send_to(b"\xff\x00garbage", fake.local_addr())
        .await
        .unwrap();
    send(&a, &fake, request("/ch/33/mix/fader")).await;
    send(&a, &fake, request("/dca/01/fader")).await;
    send(
        &a,
        &fake,
        message("/ch/01/mix/fader", vec![OscType::String("loud".into())]),
    )
    .await;
    send(&a, &fake, message("/ch/01/mix/on", vec![OscType::Int(-3)])).await;
    assert_nothing_queued(&a, &fake).await;
    assert_eq!(fake.get("/ch/01/mix/fader"), Some(OscType::Float(0.0)));
    assert_eq!(fake.get("/ch/01/mix/on"), Some(OscType::Int(0)));
}

#[tokio::test]
async fn xremote_fans_out_without_echo_to_the_sender() {
    let fake = blank().await;
    let (a, b) = (client().await, client().await);
    send(&a, &fake, request("/xremote")).await;
    send(&b, &fake, request("/xremote")).await;
    assert_nothing_queued(&b, &fake).await; // B is registered once this returns.
    send(&a, &fake, float("/ch/02/mix/fader", 0.5)).await;
    let push = recv(&b).await;
    assert_eq!(push.addr, "/ch/02/mix/fader");
    assert_eq!(push.args, vec![OscType::Float((511.0f64 / 1023.0) as f32)]);
    assert_nothing_queued(&a, &fake).await;
    // The same value again changes nothing, so nothing is pushed (§1.9).
    send(&a, &fake, float("/ch/02/mix/fader", 0.5)).await;
    assert_nothing_queued(&a, &fake).await;
    assert_nothing_queued(&b, &fake).await;
    // A local move reaches every client, the sender of nothing included.
    assert!(fake.set_local("/ch/02/config/name", OscType::String("Vox".into())));
    for sock in [&a, &b] {
        let m = recv(sock).await;
        assert_eq!(m.addr, "/ch/02/config/name");
        assert_eq!(m.args, vec![OscType::String("Vox".into())]);
    }
    assert!(!fake.set_local("/ch/02/config/nom", OscType::Int(1)));
    assert!(!fake.set_local("/ch/02/mix/fader", OscType::String("x".into())));
    assert_eq!(fake.stats().pushes_sent, 3);
}

#[tokio::test]
async fn a_fifth_client_is_refused_while_four_slots_are_live() {
    let fake = blank().await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        let c = client().await;
        send(&c, &fake, request("/xremote")).await;
        assert_nothing_queued(&c, &fake).await;
        clients.push(c);
    }
    let writer = client().await;
    send(
        &writer,
        &fake,
        message("/ch/03/mix/on", vec![OscType::Int(1)]),
    )
    .await;
    for c in &clients[..4] {
        assert_eq!(recv(c).await.addr, "/ch/03/mix/on");
    }
    assert_nothing_queued(&clients[4], &fake).await;
}

#[tokio::test]
async fn node_reply_address_has_no_slash() {
    let fake = start(FakeScene::Demo, Programme::Live).await;
    let a = client().await;
    send(
        &a,
        &fake,
        message("/node", vec![OscType::String("ch/01/config".into())]),
    )
    .await;
    let bytes = recv_bytes(&a).await.unwrap();
    assert_eq!(&bytes[..8], b"node\0\0\0\0");
    let msg = codec::decode(&bytes).unwrap().remove(0);
    assert_eq!(
        msg.args,
        vec![OscType::String("/ch/01/config \"Vox 1\" 1 YE 1\n".into())]
    );
    send(
        &a,
        &fake,
        message("/node", vec![OscType::String("/ch/01/mix".into())]),
    )
    .await;
    let msg = codec::decode(&recv_bytes(&a).await.unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(
        msg.args,
        vec![OscType::String("/ch/01/mix ON +0.0 ON +0 OFF -oo\n".into())]
    );
    // An unknown node: no reply.
    send(
        &a,
        &fake,
        message("/node", vec![OscType::String("ch/40/mix".into())]),
    )
    .await;
    assert_nothing_queued(&a, &fake).await;
}

/// `/node` and `/` on the backup's nodes: EQ, dynamics, sends, outputs, routing blocks.
#[tokio::test]
async fn backup_nodes_are_held_and_answered_like_the_desk() {
    let fake = start(FakeScene::Demo, Programme::Live).await;
    let a = client().await;
    let node = |path: &str| message("/node", vec![OscType::String(path.into())]);
    for (path, reply) in [
        // The demo's livestream: matrix 1 on outputs 9-10, outputs 9-16 on card 1-8.
        ("outputs/main/09", "/outputs/main/09 20 POST OFF\n"),
        (
            "config/routing/CARD",
            "/config/routing/CARD OUT9-16 OUT1-8 AN17-24 AN25-32\n",
        ),
        (
            "config/routing/OUT",
            "/config/routing/OUT OUT1-4 OUT9-12 OUT5-8 OUT13-16\n",
        ),
        ("bus/01/mix/01", "/bus/01/mix/01 ON +0.0 +0 POST\n"),
        ("ch/01/dyn", "/ch/01/dyn OFF\n"),
        (
            "config/routing/routswitch",
            "/config/routing/routswitch REC\n",
        ),
    ] {
        send(&a, &fake, node(path)).await;
        assert_eq!(
            recv(&a).await.args,
            vec![OscType::String(reply.into())],
            "{path}"
        );
    }
    // Writes with the console's trailing fields: the kept ones are stored, the rest skipped.
    for line in [
        "ch/02/dyn ON COMP PEAK LOG -20.0 3.0 1 0.00 10 10.0 100 POST 0 100 OFF",
        "ch/02/eq/3 HShv 8k00 +4.50 0.70",
        "outputs/aes/01 21 PRE",
        "config/routing/AES50A CARD1-8 OUT1-8 OUT9-16 P161-8 AUX/CR UOUT1-8",
    ] {
        let write = message("/", vec![OscType::String(line.into())]);
        send(&a, &fake, write.clone()).await;
        assert_eq!(recv(&a).await, write, "echo of {line}");
    }
    assert_eq!(fake.get("/ch/02/dyn/on"), Some(OscType::Int(1)));
    assert_eq!(fake.get("/ch/02/eq/3/type"), Some(OscType::Int(4)));
    assert_eq!(fake.get("/outputs/aes/01/src"), Some(OscType::Int(21)));
    assert_eq!(fake.get("/outputs/aes/01/pos"), Some(OscType::Int(6)));
    assert_eq!(
        fake.get("/config/routing/AES50A/41-48"),
        Some(OscType::Int(26))
    );
    // Snapped to the grid, as the console does (§1.5): 8 kHz is not a step, 7871 Hz is.
    send(&a, &fake, node("ch/02/eq/3")).await;
    assert_eq!(
        recv(&a).await.args,
        vec![OscType::String("/ch/02/eq/3 HShv 7871 +4.50 0.69\n".into())]
    );
}

#[tokio::test]
async fn node_write_applies_echoes_and_pushes_the_changes() {
    let fake = blank().await;
    let (a, b) = (client().await, client().await);
    send(&b, &fake, request("/xremote")).await;
    assert_nothing_queued(&b, &fake).await;
    let write = message(
        "/",
        vec![OscType::String("ch/01/mix ON -5.0 ON +0 OFF -oo".into())],
    );
    send(&a, &fake, write.clone()).await;
    assert_eq!(recv(&a).await, write);
    let fader = OscType::Float((639.0f64 / 1023.0) as f32);
    // Blank: on, fader, st and pan change; mono and mlevel stay 0 and are not pushed.
    let expected = [
        ("/ch/01/mix/on", OscType::Int(1)),
        ("/ch/01/mix/fader", fader.clone()),
        ("/ch/01/mix/st", OscType::Int(1)),
        ("/ch/01/mix/pan", OscType::Float(0.5)),
    ];
    for (addr, value) in expected {
        let m = recv(&b).await;
        assert_eq!((m.addr.as_str(), &m.args[0]), (addr, &value));
    }
    assert_nothing_queued(&b, &fake).await;
    assert_eq!(fake.get("/ch/01/mix/fader"), Some(fader));
    // A line that does not read is ignored whole, without echo.
    send(
        &a,
        &fake,
        message("/", vec![OscType::String("ch/01/mix OFF loud".into())]),
    )
    .await;
    assert_nothing_queued(&a, &fake).await;
    assert_eq!(fake.get("/ch/01/mix/on"), Some(OscType::Int(1)));
}

/// The meter value of bus 1 in dB from the next `/meters/2` blob.
async fn bus1_db(sock: &UdpSocket) -> f64 {
    loop {
        let m = recv(sock).await;
        if m.addr != "/meters/2" {
            continue;
        }
        let Some(OscType::Blob(blob)) = m.args.first() else {
            panic!("no blob")
        };
        let v = codec::decode_meter_blob(blob).unwrap();
        assert_eq!(v.len(), 49);
        return Db::from_amplitude(f64::from(v[0])).get();
    }
}

#[tokio::test]
async fn a_bus_fader_move_of_minus_ten_db_moves_its_meter_by_minus_ten_db() {
    let fake = start(FakeScene::Demo, Programme::Steady(Db::new_lossy(-20.0))).await;
    let a = client().await;
    send(&a, &fake, codec::meters_request(2, &[], 1)).await;
    let before = bus1_db(&a).await;
    assert!(before > -40.0 && before < 0.0, "{before}");
    assert!(fake.set_local("/bus/01/mix/fader", OscType::Float(0.5)));
    // Blobs already in flight may still carry the old value.
    let mut after = before;
    for _ in 0..10 {
        after = bus1_db(&a).await;
        if (after - before).abs() > 1.0 {
            break;
        }
    }
    assert!((after - before + 10.0).abs() < 0.1, "{before} → {after} dB");
    // Bank 6 for bus 1 (id 48): pre-fader unchanged, post-fader the same as bank 2.
    send(&a, &fake, codec::meters_request(6, &[48], 1)).await;
    loop {
        let m = recv(&a).await;
        if m.addr == "/meters/6" {
            let Some(OscType::Blob(blob)) = m.args.first() else {
                panic!("no blob")
            };
            let v = codec::decode_meter_blob(blob).unwrap();
            assert_eq!(v.len(), 4);
            assert!((Db::from_amplitude(f64::from(v[3])).get() - after).abs() < 0.01);
            break;
        }
    }
    send(&a, &fake, codec::meters_request(0, &[], 1)).await;
    loop {
        let m = recv(&a).await;
        if let (true, Some(OscType::Blob(blob))) = (m.addr == "/meters/0", m.args.first()) {
            let v = codec::decode_meter_blob(blob).unwrap();
            assert_eq!(v.len(), 70);
            assert!((Db::from_amplitude(f64::from(v[0])).get() + 20.0).abs() < 1e-3);
            break;
        }
    }
}

#[tokio::test]
async fn stop_and_restart_keep_the_store_and_forget_the_clients() {
    let mut fake = blank().await;
    let addr = fake.local_addr();
    let a = client().await;
    send(&a, &fake, request("/xremote")).await;
    send(&a, &fake, message("/ch/04/mix/on", vec![OscType::Int(1)])).await;
    assert_nothing_queued(&a, &fake).await;
    fake.stop().await;
    assert_eq!(fake.get("/ch/04/mix/on"), Some(OscType::Int(1)));
    // The port is free while stopped.
    drop(UdpSocket::bind(addr).await.unwrap());
    fake.restart().await.unwrap();
    assert_eq!(fake.local_addr(), addr);
    send(&a, &fake, request("/ch/04/mix/on")).await;
    assert_eq!(recv(&a).await.args, vec![OscType::Int(1)]);
    // A's registration died with the reboot: a local move reaches nobody.
    assert!(fake.set_local("/ch/04/mix/on", OscType::Int(0)));
    assert_nothing_queued(&a, &fake).await;
    drop(fake);
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn loss_one_drops_everything() {
    let mut o = FakeOptions::new(local());
    o.loss = 1.0;
    let fake = FakeX32::start(o).await.unwrap();
    let a = client().await;
    send(&a, &fake, request("/info")).await;
    let mut buf = [0u8; 512];
    assert!(timeout(QUIET, a.recv_from(&mut buf)).await.is_err());
    let s = fake.stats();
    assert_eq!((s.received, s.dropped_in, s.sent), (1, 1, 0));
    fake.set_loss(0.0);
    send(&a, &fake, request("/info")).await;
    assert_eq!(recv(&a).await.addr, "/info");
    assert_eq!(fake.stats().sent, 1);
}

/// The pipeline without sockets: time is an input, so expiry is exact.
fn state() -> State {
    State {
        store: Store::new(FakeScene::Blank),
        registry: Registry::default(),
        subs: Subscriptions::default(),
        rng: SmallRng::seed_from_u64(1),
        loss: 0.0,
        programme: Programme::Steady(Db::ZERO),
        seed: 1,
        started: Instant::now(),
        ip: [127, 0, 0, 1].into(),
        socket: None,
        stats: FakeStats::default(),
        tap: None,
    }
}

fn bytes(msg: OscMessage) -> Vec<u8> {
    codec::encode(&msg).unwrap()
}

#[test]
fn xremote_expires_after_ten_seconds() {
    let (a, b) = (
        SocketAddr::from(([127, 0, 0, 1], 1000)),
        SocketAddr::from(([127, 0, 0, 1], 1001)),
    );
    let mut s = state();
    let t0 = Instant::now();
    assert!(s.datagram(&bytes(request("/xremote")), b, t0).is_empty());
    let set = |v: i32| bytes(message("/ch/01/mix/on", vec![OscType::Int(v)]));
    let out = s.datagram(&set(1), a, t0 + Duration::from_millis(9_900));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].to, b);
    let out = s.datagram(&set(0), a, t0 + Duration::from_secs(10));
    assert!(out.is_empty(), "expired at 10 s");
    assert!(s.tick(t0 + Duration::from_secs(10)).is_empty());
}

#[test]
fn meters_expire_after_ten_seconds_unless_renewed() {
    let a = SocketAddr::from(([127, 0, 0, 1], 1000));
    let mut s = state();
    let t0 = Instant::now();
    let req = bytes(codec::meters_request(2, &[], 4));
    s.datagram(&req, a, t0);
    assert_eq!(s.tick(t0).len(), 1);
    assert_eq!(s.tick(t0 + Duration::from_millis(150)).len(), 0);
    assert_eq!(s.tick(t0 + Duration::from_millis(200)).len(), 1);
    s.datagram(&bytes(request("/renew")), a, t0 + Duration::from_secs(9));
    assert_eq!(s.tick(t0 + Duration::from_millis(18_900)).len(), 1);
    assert!(s.tick(t0 + Duration::from_secs(19)).is_empty());
    // Banks the fake does not serve, and the slash-less form, are ignored.
    s.datagram(&bytes(codec::meters_request(1, &[], 1)), a, t0);
    let bad = bytes(message("/meters", vec![OscType::String("meters/2".into())]));
    s.datagram(&bad, a, t0 + Duration::from_secs(20));
    assert!(s.tick(t0 + Duration::from_secs(20)).is_empty());
}

#[test]
fn node_address_multi_argument_set() {
    let a = SocketAddr::from(([127, 0, 0, 1], 1000));
    let mut s = state();
    let t0 = Instant::now();
    let msg = message(
        "/ch/06/mix",
        vec![OscType::Int(1), OscType::Float(0.75), OscType::Int(1)],
    );
    s.datagram(&bytes(msg), a, t0);
    let id = |p: &str| ParamId::x32(p).unwrap();
    assert_eq!(
        store::to_wire(&s.store.get(&id("/ch/06/mix/fader"))),
        OscType::Float((767.0f64 / 1023.0) as f32)
    );
    assert_eq!(
        store::to_wire(&s.store.get(&id("/ch/06/mix/st"))),
        OscType::Int(1)
    );
}
