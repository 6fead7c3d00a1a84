//! Network MIDI: raw MIDI bytes over UDP, ipMIDI-style, one peer per port.
//!
//! - A datagram holds one or more whole MIDI messages; incoming ones go through one
//!   [`MidiParser`] for the peer, so running status across datagrams is accepted.
//! - Datagrams are accepted from the peer's IP address on any port (a device may send from
//!   another port than the one it listens on); others are dropped.
//! - [`PortEvent::Connected`] once bound, and again when a datagram arrives after
//!   [`NetSettings::silence`] without one ([`SilenceRule`]): the device was probably
//!   power-cycled and has lost its LEDs and faders, so the surface resends everything.
//! - A receive error means the socket failed: [`PortEvent::Disconnected`], then rebind with
//!   backoff.
//! - Outgoing bytes are re-parsed into messages and packed, whole, into as few datagrams of at
//!   most [`MAX_DATAGRAM`] bytes as possible ([`pack`]); a SysEx longer than that goes alone.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, trace, warn, Instrument};

use super::codec::{encode, MidiMessage, MidiParser};
use super::port::{channel, MidiPort, PortEvent, PortLink};

/// Largest datagram sent, in bytes (under a 1500-byte Ethernet MTU with IP/UDP headers).
pub const MAX_DATAGRAM: usize = 1400;

/// Where to listen and whom to talk to.
#[derive(Clone, Debug)]
pub struct NetSettings {
    /// Local address to bind, e.g. `127.0.0.1:21928`.
    pub listen: SocketAddr,
    /// The device's address; outgoing datagrams go there.
    pub peer: SocketAddr,
    /// Silence from the peer after which its next datagram re-announces the connection.
    pub silence: Duration,
    /// First rebind delay after a socket failure.
    pub backoff_min: Duration,
    /// Longest rebind delay.
    pub backoff_max: Duration,
}

impl NetSettings {
    /// Default timers: 5 s of silence means a power cycle; rebind from 100 ms up to 5 s.
    pub fn new(listen: SocketAddr, peer: SocketAddr) -> Self {
        NetSettings {
            listen,
            peer,
            silence: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// Decides when a datagram means the peer came back: after `window` of silence.
#[derive(Clone, Debug)]
pub struct SilenceRule {
    window: Duration,
    /// Last datagram, or the bind time before the first one.
    last: Instant,
}

impl SilenceRule {
    /// Start counting at `now` (the bind time: a peer silent since then was maybe off while
    /// the first feedback went out).
    pub fn new(window: Duration, now: Instant) -> Self {
        SilenceRule { window, last: now }
    }

    /// A datagram arrived at `now`: whether to announce the connection again.
    pub fn datagram(&mut self, now: Instant) -> bool {
        let gap = now.saturating_duration_since(self.last);
        self.last = now;
        gap >= self.window
    }
}

/// Pack whole messages into as few datagrams of at most `max` bytes as possible, in order.
/// A message longer than `max` (a big SysEx) goes in a datagram of its own.
pub fn pack(messages: &[MidiMessage], max: usize) -> Vec<Vec<u8>> {
    let mut datagrams = Vec::new();
    let mut current = Vec::new();
    let mut one = Vec::new();
    for m in messages {
        one.clear();
        encode(m, &mut one);
        if !current.is_empty() && current.len() + one.len() > max {
            datagrams.push(std::mem::take(&mut current));
        }
        current.extend_from_slice(&one);
    }
    if !current.is_empty() {
        datagrams.push(current);
    }
    datagrams
}

/// Open a network port on an already bound socket (tests bind `127.0.0.1:0` and need the port
/// before the task starts). `settings.listen` is replaced by the socket's address, so a
/// rebind after a failure reuses it. Must be called inside a tokio runtime.
pub fn open_bound(
    socket: std::net::UdpSocket,
    mut settings: NetSettings,
    stop: CancellationToken,
) -> std::io::Result<MidiPort> {
    socket.set_nonblocking(true)?;
    settings.listen = socket.local_addr()?;
    let socket = UdpSocket::from_std(socket)?;
    let (port, link) = channel();
    spawn(settings, Some(socket), link, stop);
    Ok(port)
}

/// Start the port task.
pub(crate) fn spawn(
    settings: NetSettings,
    socket: Option<UdpSocket>,
    link: PortLink,
    stop: CancellationToken,
) {
    let name = format!("udp {} ⇄ {}", settings.listen, settings.peer);
    let span = info_span!("midi", port = %name);
    tokio::spawn(run(settings, socket, link, stop).instrument(span));
}

/// Why a bound socket's loop ended.
enum End {
    /// Stop token, or the surface dropped its port: the task ends.
    Stop,
    /// The socket failed: rebind.
    Failed,
}

async fn run(
    mut settings: NetSettings,
    mut socket: Option<UdpSocket>,
    mut link: PortLink,
    stop: CancellationToken,
) {
    let mut delay = settings.backoff_min;
    let mut warned = false;
    loop {
        let bound = match socket.take() {
            Some(s) => Ok(s),
            None => UdpSocket::bind(settings.listen).await,
        };
        match bound {
            Ok(s) => {
                delay = settings.backoff_min;
                warned = false;
                if let Ok(local) = s.local_addr() {
                    settings.listen = local;
                }
                info!(listen = %settings.listen, peer = %settings.peer, "network MIDI bound");
                match serve(&s, &settings, &mut link, &stop).await {
                    End::Stop => return,
                    End::Failed => {
                        if link.events.send(PortEvent::Disconnected).await.is_err() {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                if !warned {
                    warn!(listen = %settings.listen, error = %e, "cannot bind network MIDI; retrying");
                    warned = true;
                }
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(settings.backoff_max);
    }
}

/// Run one bound socket until stop or failure.
async fn serve(
    socket: &UdpSocket,
    settings: &NetSettings,
    link: &mut PortLink,
    stop: &CancellationToken,
) -> End {
    let name = format!("udp {} ⇄ {}", settings.listen, settings.peer);
    if link
        .events
        .send(PortEvent::Connected { name: name.clone() })
        .await
        .is_err()
    {
        return End::Stop;
    }
    let mut silence = SilenceRule::new(settings.silence, Instant::now());
    let mut input = MidiParser::new();
    let mut output = MidiParser::new();
    let mut buf = vec![0u8; 65536];
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return End::Stop,
            r = socket.recv_from(&mut buf) => {
                let (n, from) = match r {
                    Ok(x) => x,
                    // Windows reports an ICMP "port unreachable" for an earlier send this way:
                    // the device is off, the socket is fine.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                        debug!(error = %e, "peer unreachable");
                        continue;
                    }
                    Err(e) => {
                        warn!(error = %e, "network MIDI socket failed");
                        return End::Failed;
                    }
                };
                if from.ip() != settings.peer.ip() {
                    debug!(%from, "datagram from a stranger dropped");
                    continue;
                }
                let now = Instant::now();
                if silence.datagram(now) {
                    info!(%from, "peer speaks after a silence: announcing the connection again");
                    if link.events.send(PortEvent::Connected { name: name.clone() }).await.is_err() {
                        return End::Stop;
                    }
                }
                messages.clear();
                let before = input.dropped();
                input.push(buf.get(..n).unwrap_or_default(), &mut messages);
                if input.dropped() > before {
                    debug!(dropped = input.dropped() - before, "unparsable bytes dropped");
                }
                for message in messages.drain(..) {
                    trace!(%message, "in");
                    if link.events.send(PortEvent::Message { message, at: now }).await.is_err() {
                        return End::Stop;
                    }
                }
            }
            chunk = link.out.recv() => {
                let Some(chunk) = chunk else { return End::Stop };
                messages.clear();
                output.push(&chunk, &mut messages);
                // Coalesce whatever else is already queued.
                while let Ok(more) = link.out.try_recv() {
                    output.push(&more, &mut messages);
                }
                for datagram in pack(&messages, MAX_DATAGRAM) {
                    if let Err(e) = socket.send_to(&datagram, settings.peer).await {
                        debug!(error = %e, bytes = datagram.len(), "datagram not sent");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::codec::parse_all;

    #[test]
    fn silence_rule() {
        let t0 = Instant::now();
        let s = Duration::from_secs(5);
        let mut rule = SilenceRule::new(s, t0);
        assert!(!rule.datagram(t0 + Duration::from_secs(1)));
        assert!(!rule.datagram(t0 + Duration::from_secs(5)));
        assert!(rule.datagram(t0 + Duration::from_secs(10)));
        assert!(!rule.datagram(t0 + Duration::from_millis(10_100)));
        // A peer silent since the bind is announced again when it finally speaks.
        let mut rule = SilenceRule::new(s, t0);
        assert!(rule.datagram(t0 + Duration::from_secs(7)));
    }

    #[test]
    fn pack_keeps_messages_whole() {
        let cc = parse_all(&[0xB0, 1, 2]).remove(0);
        let many = vec![cc.clone(); 1000];
        let datagrams = pack(&many, MAX_DATAGRAM);
        assert_eq!(datagrams.len(), 3);
        assert!(datagrams
            .iter()
            .all(|d| d.len() <= MAX_DATAGRAM && d.len() % 3 == 0));
        assert_eq!(datagrams.iter().map(Vec::len).sum::<usize>(), 3000);

        let mut big = vec![0xF0];
        big.extend(std::iter::repeat_n(0x11, 2000));
        big.push(0xF7);
        let big = parse_all(&big).remove(0);
        let d = pack(&[cc.clone(), big, cc], 1400);
        assert_eq!(d.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 2002, 3]);
        assert!(pack(&[], 1400).is_empty());
    }
}
