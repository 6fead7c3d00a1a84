//! Helpers: a fake X32 on an ephemeral loopback port, the service pointed at it, and a second
//! OSC client playing "another remote" or the console's own surface.

#![allow(dead_code)]

pub mod browser;
pub mod camilla;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use pupitre::config::Config;
use pupitre::desk::{
    Db, DeskHandle, Intent, LinkState, MixerId, Normalized, Op, Origin, ParamId, Value,
};
use pupitre::service::Service;
use pupitre::x32::codec;
use pupitre::x32::fake::{FakeOptions, FakeScene, FakeX32, Programme};
use rosc::{OscMessage, OscType};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

pub const LOOPBACK: &str = "127.0.0.1:0";

/// A folder for one test under the system's temporary folder, emptied at the start and removed
/// when dropped (even when the test fails).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("pupitre-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, f: &str) -> std::path::PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sweep a Mixtrack deck 1 volume fader (CC 5 on channel 2) from the bottom to the top over
/// network MIDI, as a hand would, and wait until the X32's channel 1 fader it drives is at the top.
pub async fn sweep_deck_1_volume(deck: &UdpSocket, listen: SocketAddr, fake: &FakeX32) {
    for v in (0..=127u8).step_by(3).chain([127]) {
        deck.send_to(&[0xB1, 0x05, v], listen).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    within(
        3.0,
        "the fader reaches the X32",
        fake_holds(fake, "/ch/01/mix/fader", 1.0),
    )
    .await;
}

/// A loopback UDP port nobody uses right now.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test with `what` if `fut` takes longer than `secs`.
pub async fn within<T>(secs: f64, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs_f64(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {secs} s: {what}"),
    }
}

pub async fn fake(scene: FakeScene, programme: Programme, loss: f64) -> FakeX32 {
    let mut o = FakeOptions::new(LOOPBACK.parse().unwrap());
    o.scene = scene;
    o.programme = programme;
    o.loss = loss;
    o.seed = 7;
    FakeX32::start(o)
        .await
        .expect("fake X32 starts on loopback")
}

pub fn steady() -> Programme {
    Programme::Steady(Db::try_new(-20.0).unwrap())
}

/// The service, pointed at the fake, with the demo config's strips.
pub struct Rig {
    pub service: Option<Service>,
    pub stop: CancellationToken,
}

impl Rig {
    pub fn start(fake_addr: SocketAddr) -> Rig {
        let stop = CancellationToken::new();
        let service =
            Service::start(&Config::demo(fake_addr), stop.clone()).expect("service starts");
        Rig {
            service: Some(service),
            stop,
        }
    }

    pub fn desk(&self) -> DeskHandle {
        self.service.as_ref().expect("running").desk().clone()
    }

    pub async fn online(&self) {
        wait_state(&self.desk(), LinkState::Online).await
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.service.take() {
            s.shutdown(Duration::from_secs(2)).await;
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn wait_state(desk: &DeskHandle, state: LinkState) {
    let mut rx = desk.link_status(MixerId::X32);
    rx.wait_for(|s| s.state == state)
        .await
        .expect("link status channel open");
}

pub fn param(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

pub fn level(x: f64) -> Value {
    Value::Level(Normalized::new_clamped(x))
}

pub async fn set(desk: &DeskHandle, p: &ParamId, x: f64, origin: Origin) {
    desk.send(Intent {
        param: p.clone(),
        op: Op::Normalized(Normalized::new_clamped(x)),
        origin,
    })
    .await
    .expect("desk running");
}

pub fn float_of(v: Option<OscType>) -> Option<f32> {
    match v {
        Some(OscType::Float(f)) => Some(f),
        _ => None,
    }
}

/// Poll the fake's store until `address` holds `f`.
pub async fn fake_holds(fake: &FakeX32, address: &str, f: f32) {
    loop {
        if float_of(fake.get(address)) == Some(f) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Another OSC client: a second remote, or something playing the X32.
pub struct OscPeer {
    pub socket: UdpSocket,
}

impl OscPeer {
    pub async fn bind() -> OscPeer {
        OscPeer {
            socket: UdpSocket::bind(LOOPBACK).await.unwrap(),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    pub async fn send(&self, to: SocketAddr, msg: OscMessage) {
        let bytes = codec::encode(&msg).unwrap();
        self.socket.send_to(&bytes, to).await.unwrap();
    }

    pub async fn send_raw(&self, to: SocketAddr, bytes: &[u8]) {
        self.socket.send_to(bytes, to).await.unwrap();
    }

    /// Next decodable message, with its sender.
    pub async fn recv(&self) -> (OscMessage, SocketAddr) {
        let mut buf = vec![0u8; 4096];
        loop {
            let (n, from) = self.socket.recv_from(&mut buf).await.unwrap();
            if let Ok(mut msgs) = codec::decode(&buf[..n]) {
                if !msgs.is_empty() {
                    return (msgs.remove(0), from);
                }
            }
        }
    }

    /// Every message received for `dur`.
    pub async fn collect(&self, dur: Duration) -> Vec<OscMessage> {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(dur, async {
            loop {
                out.push(self.recv().await.0);
            }
        })
        .await;
        out
    }
}
