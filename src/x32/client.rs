//! The X32 link task: one UDP socket to the console, owned by one task.
//!
//! - Handshake with `/xinfo`, then `/xremote` renewed every 4 s (it expires after ~10 s,
//!   `x32-osc.md` §1.3) and `/xinfo` every second as a liveness probe.
//! - The link is declared lost after 5 s of silence and probed again with backoff (100 ms
//!   doubling to 1 s). A console that answers again after a shorter silence (2 s or more) may
//!   have rebooted: its `/xremote` registration and meter subscriptions are gone, so both are
//!   renewed and everything is read back, exactly as on a first connect.
//! - On every (re)connect each parameter the desk knows is read back with a per-path get (the
//!   console's `/node` text rounds faders to 0.1 dB, which is not exact).
//! - Writes come from the desk's outbox (coalesced per parameter), go out at most once per
//!   parameter per 20 ms, and are read back until the console confirms them ([`super::sync`]).
//! - Values the console pushes that we did not cause become desk changes with origin `Mixer`.
//! - Meters: `/meters/0` and `/meters/2` requested and renewed every 8 s (they last 10 s).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rosc::{OscMessage, OscType};
use tokio::net::UdpSocket;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, field, info, info_span, trace, warn, Instrument, Span};

use super::codec;
use super::meters::apply_bank;
use super::sync::{Action, Readback, Verdict, WriteTiming, WriteTracker};
use crate::desk::{
    LinkState, MeterFrame, MixerId, MixerLink, Normalized, ParamId, ParamKind, Strip, StripLevel,
    Value,
};

/// The X32's OSC port.
pub const X32_PORT: u16 = 10023;

/// Timers of the link; the defaults follow `x32-osc.md` §4.
#[derive(Clone, Copy, Debug)]
pub struct LinkTiming {
    /// `/xinfo` liveness probe interval while connected.
    pub ping_every: Duration,
    /// `/xremote` renewal (must stay well under its 10 s life).
    pub xremote_every: Duration,
    /// Silence after which the link is declared lost.
    pub lost_after: Duration,
    /// Silence after which an answer is treated as a reconnection (renew and read back).
    pub gap_resync: Duration,
    /// First reconnect probe delay.
    pub backoff_min: Duration,
    /// Longest reconnect probe delay.
    pub backoff_max: Duration,
    /// Meter subscription renewal (they last 10 s).
    pub meters_renew: Duration,
    /// Write pacing and verification.
    pub writes: WriteTiming,
}

impl Default for LinkTiming {
    fn default() -> Self {
        LinkTiming {
            ping_every: Duration::from_secs(1),
            xremote_every: Duration::from_secs(4),
            lost_after: Duration::from_secs(5),
            gap_resync: Duration::from_secs(2),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            meters_renew: Duration::from_secs(8),
            writes: WriteTiming::default(),
        }
    }
}

/// Where and how to reach the console.
#[derive(Clone, Debug)]
pub struct X32Settings {
    /// `host:port`.
    pub address: String,
    /// Local UDP port; 0 lets the system choose.
    pub local_port: u16,
    /// Whether to subscribe to meters.
    pub meters: bool,
    /// Timers.
    pub timing: LinkTiming,
}

impl X32Settings {
    /// Default timing for a console at `address`.
    pub fn new(address: impl Into<String>) -> Self {
        X32Settings {
            address: address.into(),
            local_port: 0,
            meters: true,
            timing: LinkTiming::default(),
        }
    }
}

/// Run the link until `stop` is cancelled; pending writes are sent once more before returning.
pub async fn run(settings: X32Settings, link: MixerLink, stop: CancellationToken) {
    let span = info_span!("x32", addr = %settings.address, model = field::Empty);
    async move {
        let Some(socket) = open_socket(&settings, &link, &stop).await else {
            return;
        };
        let mut client = Client::new(settings, link, socket);
        client.run(stop).await;
    }
    .instrument(span)
    .await
}

async fn open_socket(
    settings: &X32Settings,
    link: &MixerLink,
    stop: &CancellationToken,
) -> Option<UdpSocket> {
    let mut delay = settings.timing.backoff_min;
    let mut warned = false;
    loop {
        match try_open(settings).await {
            Ok(s) => return Some(s),
            Err(e) => {
                if !warned {
                    warn!(error = %e, "cannot open the X32 link yet; retrying");
                    warned = true;
                }
                link.set_status(LinkState::Connecting, None);
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(settings.timing.backoff_max * 5);
    }
}

async fn try_open(settings: &X32Settings) -> std::io::Result<UdpSocket> {
    let peer: SocketAddr = tokio::net::lookup_host(&settings.address)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other("the name resolved to no address"))?;
    let local: SocketAddr = if peer.is_ipv4() {
        ([0, 0, 0, 0], settings.local_port).into()
    } else {
        ([0u16; 8], settings.local_port).into()
    };
    let socket = UdpSocket::bind(local).await?;
    // Connected: the kernel drops datagrams from anyone but the console.
    socket.connect(peer).await?;
    debug!(%peer, local = ?socket.local_addr().ok(), "socket open");
    Ok(socket)
}

enum Event {
    Stop,
    Datagram(std::io::Result<usize>),
    Writes,
    Timer,
}

struct Client {
    settings: X32Settings,
    link: MixerLink,
    socket: UdpSocket,
    state: LinkState,
    tracker: WriteTracker,
    readback: Readback,
    last_heard: Instant,
    next_probe: Instant,
    backoff: Duration,
    next_ping: Instant,
    next_xremote: Instant,
    next_meters: Instant,
    announced: bool,
    levels: BTreeMap<Strip, StripLevel>,
    meter_seq: u64,
    garbage: u64,
    sent: u64,
}

impl Client {
    fn new(settings: X32Settings, link: MixerLink, socket: UdpSocket) -> Self {
        let now = Instant::now();
        let tracker = WriteTracker::new(settings.timing.writes);
        let backoff = settings.timing.backoff_min;
        Client {
            settings,
            link,
            socket,
            state: LinkState::Connecting,
            tracker,
            readback: Readback::idle(now),
            last_heard: now,
            next_probe: now,
            backoff,
            next_ping: now,
            next_xremote: now,
            next_meters: now,
            announced: false,
            levels: BTreeMap::new(),
            meter_seq: 0,
            garbage: 0,
            sent: 0,
        }
    }

    fn connected(&self) -> bool {
        matches!(self.state, LinkState::Syncing | LinkState::Online)
    }

    async fn run(&mut self, stop: CancellationToken) {
        self.link.set_status(LinkState::Connecting, None);
        let mut buf = vec![0u8; 8192];
        loop {
            let wake = self.next_wake();
            let event = tokio::select! {
                biased;
                _ = stop.cancelled() => Event::Stop,
                r = self.socket.recv(&mut buf) => Event::Datagram(r),
                _ = self.link.outbox().ready() => Event::Writes,
                _ = sleep_until(wake) => Event::Timer,
            };
            match event {
                Event::Stop => break,
                Event::Datagram(Ok(n)) => self.on_datagram(&buf[..n]).await,
                // On a connected socket, an ICMP "port unreachable" shows up here.
                Event::Datagram(Err(e)) => trace!(error = %e, "receive failed"),
                Event::Writes => {
                    for (param, value) in self.link.outbox().take() {
                        self.tracker.want(param, value);
                    }
                    let reads = self.link.outbox().take_reads();
                    // Not connected: the next (re)connect reads everything anyway.
                    if !reads.is_empty() && self.connected() {
                        debug!(params = reads.len(), "reading back newly known parameters");
                        self.readback.extend(reads, Instant::now());
                    }
                }
                Event::Timer => {}
            }
            self.tick(Instant::now()).await;
        }
        for (param, value) in self.link.outbox().take() {
            self.tracker.want(param, value);
        }
        let last = self.tracker.flush();
        if !last.is_empty() {
            info!(
                writes = last.len(),
                "sending pending writes before stopping"
            );
        }
        for action in last {
            self.perform(action).await;
        }
        debug!(sent = self.sent, "x32 link stopped");
    }

    fn next_wake(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(1);
        if !self.connected() {
            return self.next_probe.min(far);
        }
        let mut wake = self
            .next_ping
            .min(self.next_xremote)
            .min(self.last_heard + self.settings.timing.lost_after)
            .min(far);
        if self.settings.meters {
            wake = wake.min(self.next_meters);
        }
        if let Some(t) = self.tracker.next_deadline() {
            wake = wake.min(t);
        }
        if let Some(t) = self.readback.next_deadline() {
            wake = wake.min(t);
        }
        wake
    }

    async fn tick(&mut self, now: Instant) {
        if !self.connected() {
            if now >= self.next_probe {
                self.send(codec::request("/xinfo")).await;
                self.next_probe = now + self.backoff;
                self.backoff = (self.backoff * 2).min(self.settings.timing.backoff_max);
            }
            return;
        }
        let t = self.settings.timing;
        if now.duration_since(self.last_heard) >= t.lost_after {
            self.lose(now);
            return;
        }
        if now >= self.next_ping {
            self.send(codec::request("/xinfo")).await;
            self.next_ping = now + t.ping_every;
        }
        if now >= self.next_xremote {
            self.send(codec::request("/xremote")).await;
            self.next_xremote = now + t.xremote_every;
        }
        if self.settings.meters && now >= self.next_meters {
            self.subscribe_meters().await;
            self.next_meters = now + t.meters_renew;
        }
        for param in self.readback.poll(now) {
            self.send(codec::request(param.path())).await;
        }
        if self.state == LinkState::Syncing && !self.readback.in_progress() {
            let (count, started, missing) = self.readback.summary();
            let ms = now.duration_since(started).as_millis();
            if missing > 0 {
                warn!(
                    params = count,
                    missing, ms, "read back, some parameters never answered"
                );
            } else {
                info!(params = count, ms, "in sync");
            }
            self.state = LinkState::Online;
            self.link.set_status(LinkState::Online, None);
        }
        for action in self.tracker.poll(now) {
            self.perform(action).await;
        }
    }

    fn lose(&mut self, now: Instant) {
        warn!(
            silent_s = now.duration_since(self.last_heard).as_secs_f32(),
            unconfirmed_writes = self.tracker.pending(),
            "X32 stopped answering; reconnecting"
        );
        self.state = LinkState::Lost;
        self.link.set_status(LinkState::Lost, None);
        self.tracker.link_lost();
        self.readback = Readback::idle(now);
        self.backoff = self.settings.timing.backoff_min;
        self.next_probe = now;
        self.announced = false;
        self.levels.clear();
        self.publish_meters();
    }

    /// First answer after connecting, or after a silence long enough for a reboot.
    async fn resync(&mut self, now: Instant) {
        let t = self.settings.timing;
        self.send(codec::request("/xremote")).await;
        self.next_xremote = now + t.xremote_every;
        self.next_ping = now + t.ping_every;
        if self.settings.meters {
            self.subscribe_meters().await;
            self.next_meters = now + t.meters_renew;
        }
        self.tracker.link_lost();
        match self.link.known_params().await {
            Ok(known) => self.readback.start(known.into_iter().map(|(p, _)| p), now),
            Err(_) => debug!("desk gone; nothing to read back"),
        }
        self.state = LinkState::Syncing;
        self.link.set_status(LinkState::Syncing, None);
    }

    async fn subscribe_meters(&mut self) {
        self.send(codec::meters_request(0, &[], 1)).await;
        self.send(codec::meters_request(2, &[], 1)).await;
    }

    async fn perform(&mut self, action: Action) {
        match action {
            Action::Write(param, value) => {
                let msg = codec::message(param.path(), vec![osc_arg(&value)]);
                self.send(msg).await;
            }
            Action::Get(param) => self.send(codec::request(param.path())).await,
        }
    }

    async fn send(&mut self, msg: OscMessage) {
        let bytes = match codec::encode(&msg) {
            Ok(b) => b,
            Err(e) => {
                warn!(addr = %msg.addr, error = %e, "cannot encode");
                return;
            }
        };
        match self.socket.send(&bytes).await {
            Ok(_) => self.sent += 1,
            Err(e) => trace!(error = %e, addr = %msg.addr, "send failed"),
        }
    }

    async fn on_datagram(&mut self, bytes: &[u8]) {
        let msgs = match codec::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.garbage(format_args!("{e}"), bytes.len());
                return;
            }
        };
        let now = Instant::now();
        let silent = now.duration_since(self.last_heard);
        self.last_heard = now;
        if !self.connected() {
            info!("X32 answered; reading back the desk");
            self.resync(now).await;
        } else if silent >= self.settings.timing.gap_resync {
            info!(
                silent_s = silent.as_secs_f32(),
                "X32 answered again after a silence; renewing and reading back"
            );
            self.resync(now).await;
        }
        for msg in msgs {
            self.on_message(msg).await;
        }
    }

    fn garbage(&mut self, what: std::fmt::Arguments<'_>, len: usize) {
        self.garbage += 1;
        // 1st, 10th, 100th…: a flood of garbage must not flood the journal.
        if self
            .garbage
            .to_string()
            .trim_start_matches('1')
            .chars()
            .all(|c| c == '0')
        {
            warn!(
                len,
                count = self.garbage,
                "dropped a packet that is not X32 OSC: {what}"
            );
        } else {
            debug!(
                len,
                count = self.garbage,
                "dropped a packet that is not X32 OSC: {what}"
            );
        }
    }

    async fn on_message(&mut self, msg: OscMessage) {
        match msg.addr.as_str() {
            "/xinfo" => self.on_xinfo(&msg.args),
            "/meters/0" | "/meters/2" => self.on_meters(&msg),
            "/info" | "/status" | "/node" | "/xremote" => trace!(addr = %msg.addr, "ignored"),
            addr => {
                let Ok(param) = ParamId::x32(addr) else {
                    trace!(addr, "not a parameter pupitre follows");
                    return;
                };
                let Some(value) = value_from_args(param.kind(), &msg.args) else {
                    debug!(%param, args = ?msg.args, "value of the wrong type; dropped");
                    return;
                };
                self.on_value(param, value).await;
            }
        }
    }

    async fn on_value(&mut self, param: ParamId, value: Value) {
        let solicited = self.readback.on_value(&param);
        match self.tracker.on_value(&param, &value, solicited) {
            Verdict::Report => {
                let told = if solicited {
                    self.link.report_resync(param, value).await
                } else {
                    debug!(%param, value = %param.kind().display(&value), "changed on the X32");
                    self.link.report(param, value).await
                };
                if told.is_err() {
                    trace!("desk gone");
                }
            }
            Verdict::GaveUp => {
                warn!(%param, value = %param.kind().display(&value), "the X32 keeps another value; adopting it");
                let _ = self.link.report(param, value).await;
            }
            Verdict::Confirmed | Verdict::Stale => {}
        }
    }

    fn on_xinfo(&mut self, args: &[OscType]) {
        if self.announced {
            return;
        }
        let s = |i: usize| match args.get(i) {
            Some(OscType::String(s)) => s.as_str(),
            _ => "?",
        };
        let peer = format!("{} {} \"{}\" ({})", s(2), s(3), s(1), s(0));
        Span::current().record("model", s(2));
        info!(
            model = s(2),
            firmware = s(3),
            name = s(1),
            ip = s(0),
            "connected"
        );
        self.link.set_status(self.state, Some(peer));
        self.announced = true;
    }

    fn on_meters(&mut self, msg: &OscMessage) {
        let bank = if msg.addr.ends_with('0') { 0 } else { 2 };
        let Some(OscType::Blob(blob)) = msg.args.first() else {
            self.garbage(format_args!("{} without a blob", msg.addr), 0);
            return;
        };
        let floats = match codec::decode_meter_blob(blob) {
            Ok(f) => f,
            Err(e) => {
                self.garbage(format_args!("{e}"), blob.len());
                return;
            }
        };
        if let Err(e) = apply_bank(bank, &floats, &mut self.levels) {
            self.garbage(format_args!("{e}"), blob.len());
            return;
        }
        self.publish_meters();
    }

    fn publish_meters(&mut self) {
        self.meter_seq += 1;
        self.link.publish_meters(MeterFrame {
            mixer: MixerId::X32,
            seq: self.meter_seq,
            at: std::time::Instant::now(),
            levels: self.levels.clone(),
            channels: Default::default(),
        });
    }
}

/// A desk value as the console's OSC argument.
pub fn osc_arg(value: &Value) -> OscType {
    match value {
        Value::Level(n) => OscType::Float(n.get() as f32),
        Value::Index(i) => OscType::Int(i32::try_from(*i).unwrap_or(i32::MAX)),
        Value::Text(t) => OscType::String(t.to_string()),
    }
}

/// The console's OSC argument as a desk value of `kind`, on its grid; `None` if it does not fit.
pub fn value_from_args(kind: ParamKind, args: &[OscType]) -> Option<Value> {
    let raw = match (kind, args.first()?) {
        (ParamKind::Name { .. }, OscType::String(s)) => Value::Text(s.as_str().into()),
        (ParamKind::Switch | ParamKind::Choice { .. }, OscType::Int(i)) => {
            Value::Index(u32::try_from(*i).ok()?)
        }
        (ParamKind::Name { .. } | ParamKind::Switch | ParamKind::Choice { .. }, _) => return None,
        (_, OscType::Float(f)) if f.is_finite() => {
            Value::Level(Normalized::new_clamped(f64::from(*f)))
        }
        _ => return None,
    };
    kind.conform(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_arg() -> impl Strategy<Value = OscType> {
        prop_oneof![
            any::<f32>().prop_map(OscType::Float),
            any::<i32>().prop_map(OscType::Int),
            ".{0,40}".prop_map(OscType::String),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(OscType::Blob),
        ]
    }

    proptest! {
        /// Whatever the console sends for whatever parameter, the value is refused or on the grid.
        #[test]
        fn any_argument_is_refused_or_conformed(
            path in prop::sample::select(vec![
                "/ch/01/mix/fader", "/ch/01/mix/on", "/ch/01/config/name", "/ch/01/mix/pan",
                "/bus/01/mix/01/type", "/ch/01/eq/1/q", "/ch/01/mix/02/level",
            ]),
            args in proptest::collection::vec(any_arg(), 0..3),
        ) {
            let kind = ParamId::x32(path).unwrap().kind();
            if let Some(v) = value_from_args(kind, &args) {
                prop_assert_eq!(kind.conform(v.clone()).unwrap(), v);
            }
        }
    }

    #[test]
    fn args_convert_both_ways_on_the_grid() {
        let fader = ParamKind::Fader;
        let v = value_from_args(fader, &[OscType::Float(0.75)]).unwrap();
        assert_eq!(v, Value::Level(Normalized::new_clamped(767.0 / 1023.0)));
        assert_eq!(osc_arg(&v), OscType::Float((767.0f64 / 1023.0) as f32));
        // The f32 on the wire comes back to exactly the same grid point.
        assert_eq!(value_from_args(fader, &[osc_arg(&v)]), Some(v));
        assert_eq!(value_from_args(fader, &[OscType::Float(f32::NAN)]), None);
        assert_eq!(value_from_args(fader, &[OscType::Int(1)]), None);
        assert_eq!(
            value_from_args(ParamKind::Switch, &[OscType::Int(-1)]),
            None
        );
        assert_eq!(value_from_args(ParamKind::Switch, &[]), None);
        assert_eq!(
            value_from_args(
                ParamKind::Name { max_len: 12 },
                &[OscType::String("Vox".into())]
            ),
            Some(Value::Text("Vox".into()))
        );
    }
}
