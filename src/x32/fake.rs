//! A fake X32 on UDP, for `pupitre fake-x32`, `pupitre demo` and the integration tests. It
//! behaves like the real desk as `shared/reference/x32-osc.md` describes it, not like a stub:
//!
//! - `/info`, `/xinfo`, `/status` with the argument shapes of §1.2;
//! - a parameter store for everything [`ParamId::x32`] accepts; a get is answered with the
//!   stored value, a set is *not* answered, is snapped to the grid like the console (§1.7) and
//!   pushed to every `/xremote` client except the sender (§1.3), and only if it changed (§1.9);
//!   unknown addresses get no reply at all (§1.1);
//! - `/xremote`: 10 s, four slots, a full table refuses newcomers until a slot expires (§1.3);
//! - `/node` replies with the slash-less `node` address, `/` writes are applied and echoed (§1.5);
//! - `/meters/0`, `/2` and `/6 <id>` computed from a signal model through the faders (§1.8);
//! - packet loss on every datagram in and out, from a seeded RNG.
//!
//! The state sits behind one `std::sync::Mutex`, never held across an `.await`: the public
//! API must read and write the store synchronously ([`FakeX32::get`], [`FakeX32::set_local`])
//! and the store must outlive [`FakeX32::stop`]. The task computes what to send under the lock
//! and sends after releasing it.

mod clients;
mod handle;
mod signal;
mod store;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, Instrument};

use crate::desk::{Db, ParamId};
use crate::x32::codec;

use clients::{Registry, Subscriptions, METER_PERIOD};
use handle::{Out, Why};
use store::Store;

/// Bytes read per datagram; longer ones are cut, as on the desk (the emulator reads 512).
const RECV_BUFFER: usize = 2048;

/// How to start a fake X32.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// Where to listen (the real desk uses port 10023; tests use `127.0.0.1:0`).
    pub bind: SocketAddr,
    /// Probability 0.0–1.0 of dropping each datagram, in and out.
    pub loss: f64,
    /// The state it starts with.
    pub scene: FakeScene,
    /// What the inputs carry, for the meters.
    pub programme: Programme,
    /// Seeds the programme and the packet loss.
    pub seed: u64,
}

impl FakeOptions {
    /// No loss, the demo scene, a live programme, seed 1.
    pub fn new(bind: SocketAddr) -> Self {
        FakeOptions {
            bind,
            loss: 0.0,
            scene: FakeScene::Demo,
            programme: Programme::Live,
            seed: 1,
        }
    }
}

/// The state a fake X32 starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeScene {
    /// Like the emulator: everything 0 (faders −∞, switches off, pan −100), names empty.
    Blank,
    /// A plausible live show: named, coloured channels near 0 dB, buses, a livestream matrix.
    Demo,
}

/// What each input carries, before its fader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Programme {
    /// Speech- or music-like levels, deterministic from the seed.
    Live,
    /// A constant tone at this level on every input (for tests).
    Steady(Db),
}

/// Counters since the fake was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// Datagrams read from the socket (including those then dropped).
    pub received: u64,
    /// Datagrams written to the socket.
    pub sent: u64,
    /// Incoming datagrams dropped by the loss model.
    pub dropped_in: u64,
    /// Outgoing datagrams dropped by the loss model.
    pub dropped_out: u64,
    /// Sets accepted (changed or not), from the network or [`FakeX32::set_local`].
    pub sets_applied: u64,
    /// Changes pushed to `/xremote` clients (counted before the loss model).
    pub pushes_sent: u64,
}

/// Everything the task and the handle share.
pub(crate) struct State {
    store: Store,
    registry: Registry,
    subs: Subscriptions,
    rng: SmallRng,
    loss: f64,
    programme: Programme,
    seed: u64,
    /// Zero of model time for the programme.
    started: Instant,
    /// The IP shown in `/xinfo` and `/status`.
    ip: IpAddr,
    /// The bound socket while running, so [`FakeX32::set_local`] can push.
    socket: Option<Arc<UdpSocket>>,
    stats: FakeStats,
    /// Every set as it arrives, for benchmarks; `None` until [`FakeX32::tap`] is called.
    tap: Option<broadcast::Sender<Arrival>>,
}

/// A set as it arrived at the fake, timestamped on receipt: what the desk-path benchmark
/// measures latency against.
#[derive(Clone, Debug)]
pub struct Arrival {
    /// The OSC address set.
    pub address: String,
    /// The value as received (before the store quantizes it).
    pub value: OscType,
    /// When its datagram was received.
    pub at: std::time::Instant,
}

impl State {
    /// Apply the loss model to outgoing datagrams and count them.
    fn keep_outgoing(&mut self, out: Vec<Out>) -> Vec<Out> {
        let mut kept = Vec::with_capacity(out.len());
        for o in out {
            if o.why == Why::Push {
                self.stats.pushes_sent += 1;
            }
            if self.lost() {
                self.stats.dropped_out += 1;
            } else {
                kept.push(o);
            }
        }
        kept
    }

    fn lost(&mut self) -> bool {
        self.loss > 0.0 && self.rng.random::<f64>() < self.loss
    }

    /// One datagram from `from`.
    fn datagram(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) -> Vec<Out> {
        self.stats.received += 1;
        if self.lost() {
            self.stats.dropped_in += 1;
            return Vec::new();
        }
        let msgs = match codec::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                debug!(client = %from, len = bytes.len(), error = %e, "garbage dropped");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for msg in &msgs {
            out.extend(handle::message(self, msg, from, now));
        }
        self.keep_outgoing(out)
    }

    /// The 50 ms tick: expire clients, send the meter updates that are due.
    fn tick(&mut self, now: Instant) -> Vec<Out> {
        for gone in self.registry.expire(now) {
            info!(client = %gone, "xremote expired");
        }
        for gone in self.subs.expire(now) {
            info!(client = %gone.addr, bank = ?gone.bank, "meters expired");
        }
        let due = self.subs.due(now);
        if due.is_empty() {
            return Vec::new();
        }
        let t = now.saturating_duration_since(self.started).as_secs_f64();
        let levels = signal::levels(self.programme, self.seed, t, &self.store);
        let out = due
            .into_iter()
            .filter_map(|(to, bank)| {
                let blob = codec::encode_meter_blob(&signal::bank(&levels, bank));
                let msg = codec::message(bank.address(), vec![OscType::Blob(blob)]);
                codec::encode(&msg).ok().map(|bytes| Out {
                    to,
                    bytes,
                    why: Why::Meter,
                })
            })
            .collect();
        self.keep_outgoing(out)
    }
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count_sent(&self) {
        self.lock().stats.sent += 1;
    }
}

/// A running (or stopped) fake X32. Dropping it stops its task.
pub struct FakeX32 {
    shared: Arc<Shared>,
    addr: SocketAddr,
    running: Option<(CancellationToken, JoinHandle<()>)>,
}

impl FakeX32 {
    /// Bind the socket and start serving.
    pub async fn start(options: FakeOptions) -> std::io::Result<FakeX32> {
        let state = State {
            store: Store::new(options.scene),
            registry: Registry::default(),
            subs: Subscriptions::default(),
            rng: SmallRng::seed_from_u64(options.seed),
            loss: clamp_loss(options.loss),
            programme: options.programme,
            seed: options.seed,
            started: Instant::now(),
            tap: None,
            ip: options.bind.ip(),
            socket: None,
            stats: FakeStats::default(),
        };
        let mut fake = FakeX32 {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
            }),
            addr: options.bind,
            running: None,
        };
        fake.bind(options.bind).await?;
        Ok(fake)
    }

    async fn bind(&mut self, at: SocketAddr) -> std::io::Result<()> {
        let socket = Arc::new(UdpSocket::bind(at).await?);
        self.addr = socket.local_addr()?;
        {
            let mut state = self.shared.lock();
            state.socket = Some(socket.clone());
            state.registry = Registry::default();
            state.subs = Subscriptions::default();
        }
        let cancel = CancellationToken::new();
        let span = info_span!("fake_x32", addr = %self.addr);
        let task = tokio::spawn(run(socket, self.shared.clone(), cancel.clone()).instrument(span));
        info!(addr = %self.addr, "fake X32 listening");
        self.running = Some((cancel, task));
        Ok(())
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving and release the port; the store survives.
    pub async fn stop(&mut self) {
        if let Some((cancel, task)) = self.running.take() {
            cancel.cancel();
            let _ = task.await;
        }
        let mut state = self.shared.lock();
        state.socket = None;
        state.registry = Registry::default();
        state.subs = Subscriptions::default();
    }

    /// Stop and bind the same address again with the same store. `/xremote` registrations and
    /// meter subscriptions are gone, as after a reboot.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop().await;
        self.bind(self.addr).await
    }

    /// The stored wire value (`f`, `i` or `s`); `None` for an address outside the grammar.
    pub fn get(&self, address: &str) -> Option<OscType> {
        let id = ParamId::x32(address).ok()?;
        Some(store::to_wire(&self.shared.lock().store.get(&id)))
    }

    /// Someone moved it on the console's own surface: store it (on the grid) and push a change
    /// to every `/xremote` client. False if the address or the value's type does not fit.
    pub fn set_local(&self, address: &str, value: OscType) -> bool {
        let (Ok(id), Some(value)) = (ParamId::x32(address), store::from_wire(&value)) else {
            return false;
        };
        let mut state = self.shared.lock();
        if id.kind().conform(value.clone()).is_err() {
            return false;
        }
        let out = handle::apply(&mut state, &id, value, None, Instant::now());
        let out = state.keep_outgoing(out);
        if let Some(socket) = state.socket.clone() {
            for o in out {
                // A non-blocking send: this is a sync fn; loopback UDP does not block.
                match socket.try_send_to(&o.bytes, o.to) {
                    Ok(_) => state.stats.sent += 1,
                    Err(e) => debug!(client = %o.to, error = %e, "push failed"),
                }
            }
        }
        true
    }

    /// Follow every set as it arrives (a lagging reader loses the oldest ones).
    pub fn tap(&self) -> broadcast::Receiver<Arrival> {
        let mut state = self.shared.lock();
        match &state.tap {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(4096);
                state.tap = Some(tx);
                rx
            }
        }
    }

    /// Change the drop probability (clamped to 0.0–1.0).
    pub fn set_loss(&self, loss: f64) {
        self.shared.lock().loss = clamp_loss(loss);
    }

    /// The counters.
    pub fn stats(&self) -> FakeStats {
        self.shared.lock().stats
    }
}

impl Drop for FakeX32 {
    fn drop(&mut self) {
        if let Some((cancel, task)) = self.running.take() {
            cancel.cancel();
            task.abort();
        }
        self.shared.lock().socket = None;
    }
}

fn clamp_loss(loss: f64) -> f64 {
    if loss.is_nan() {
        0.0
    } else {
        loss.clamp(0.0, 1.0)
    }
}

/// The server task: datagrams in, replies and pushes out, meters on a 50 ms tick.
async fn run(socket: Arc<UdpSocket>, shared: Arc<Shared>, cancel: CancellationToken) {
    let mut buf = vec![0u8; RECV_BUFFER];
    let mut tick = tokio::time::interval(METER_PERIOD);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        let out = tokio::select! {
            _ = cancel.cancelled() => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => shared.lock().datagram(&buf[..n], from, Instant::now()),
                Err(e) => {
                    // E.g. an ICMP port-unreachable from a client that went away.
                    debug!(error = %e, "recv failed");
                    continue;
                }
            },
            _ = tick.tick() => shared.lock().tick(Instant::now()),
        };
        for o in out {
            match socket.send_to(&o.bytes, o.to).await {
                Ok(_) => shared.count_sent(),
                Err(e) => debug!(client = %o.to, error = %e, "send failed"),
            }
        }
    }
    debug!("fake X32 task stopped");
}
