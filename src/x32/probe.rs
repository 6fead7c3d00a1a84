//! The control round trip to an X32: an OSC get and its answer, timed on a socket of its own
//! (the desk's link keeps its `/xremote` socket; pushes on it would blur the figures).
//!
//! Gets rotate over the 32 channel faders and an answer is matched by its address, so a reply
//! that comes after its probe was given up is counted *late* instead of being taken for the
//! next probe's answer (§1.1: a get is answered with the address and the value). A reply is
//! only mistaken if it arrives 32 probes later, which takes longer than any LAN holds a
//! datagram. Unanswered gets count as lost, never as long times.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use rosc::OscType;
use tokio::net::UdpSocket;
use tokio::time::{sleep_until, timeout_at, Instant};
use tracing::{debug, info};

use super::codec;
use crate::latency::{ProbePlan, RoundTrips};

/// What the probe times, for reports.
pub const PROBE_METHOD: &str = "OSC get /ch/NN/mix/fader";

/// Channels the gets rotate over.
const ROTATION: u32 = 32;

/// Longest datagram read: a fader answer is 28 bytes, `/info` about 52.
const RECV_BUFFER: usize = 2048;

/// What an X32 answered.
#[derive(Clone, Debug, PartialEq)]
pub struct X32Probe {
    /// Model and firmware from `/info` (`X32 4.06`), if it answered.
    pub console: Option<String>,
    /// The gets' round trips.
    pub round_trips: RoundTrips,
}

/// Time `plan.probes` gets to the console at `console`, one at a time.
///
/// Errors only when no socket can be opened; a console that does not answer gives a probe with
/// everything lost.
pub async fn probe_latency(console: SocketAddr, plan: &ProbePlan) -> std::io::Result<X32Probe> {
    let any: SocketAddr = if console.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any).await?;
    // Connected: datagrams from anyone else are not delivered to this socket.
    socket.connect(console).await?;
    let mut buf = vec![0u8; RECV_BUFFER];
    let name = describe(&socket, plan, &mut buf).await;
    info!(%console, console_model = name.as_deref().unwrap_or("?"), probes = plan.probes, "probing the X32");
    let mut round_trips = RoundTrips::new();
    for i in 0..plan.probes {
        let address = probe_address(i);
        let sent = Instant::now();
        if !send(&socket, &address).await {
            round_trips.lost();
        } else {
            let deadline = sent + plan.timeout;
            match answer(&socket, &address, deadline, &mut buf, &mut round_trips).await {
                Some(at) => round_trips.answered(at.saturating_duration_since(sent)),
                None => round_trips.lost(),
            }
        }
        sleep_until(sent + plan.interval).await;
    }
    Ok(X32Probe {
        console: name,
        round_trips,
    })
}

/// `/ch/01/mix/fader` … `/ch/32/mix/fader`, round and round.
fn probe_address(i: u32) -> String {
    format!("/ch/{:02}/mix/fader", i % ROTATION + 1)
}

fn is_probe_address(address: &str) -> bool {
    (0..ROTATION).any(|i| probe_address(i) == address)
}

/// Send a get; false when the socket refused (counted as lost).
async fn send(socket: &UdpSocket, address: &str) -> bool {
    let Ok(bytes) = codec::encode(&codec::request(address)) else {
        return false;
    };
    match socket.send(&bytes).await {
        Ok(_) => true,
        Err(e) => {
            debug!(error = %e, "send failed");
            false
        }
    }
}

/// Wait until `deadline` for the answer to `address`; when it came. Answers to earlier probes
/// are counted late; anything else is dropped.
async fn answer(
    socket: &UdpSocket,
    address: &str,
    deadline: Instant,
    buf: &mut [u8],
    round_trips: &mut RoundTrips,
) -> Option<Instant> {
    loop {
        let n = match timeout_at(deadline, socket.recv(buf)).await {
            Err(_elapsed) => return None,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                // An ICMP "port unreachable" from an earlier datagram: nobody is there (yet).
                debug!(error = %e, "recv failed");
                continue;
            }
        };
        let at = Instant::now();
        let messages = match codec::decode(&buf[..n]) {
            Ok(m) => m,
            Err(e) => {
                debug!(len = n, error = %e, "garbage dropped");
                continue;
            }
        };
        for msg in messages {
            if msg.addr == address {
                return Some(at);
            }
            if is_probe_address(&msg.addr) {
                round_trips.late();
            }
        }
    }
}

/// `/info` → "X32 4.06" (model and firmware, §1.2). Two tries: a lost datagram should not leave
/// the report without a name.
async fn describe(socket: &UdpSocket, plan: &ProbePlan, buf: &mut [u8]) -> Option<String> {
    for _ in 0..2 {
        if !send(socket, "/info").await {
            return None;
        }
        let deadline = Instant::now() + plan.timeout;
        while let Ok(Ok(n)) = timeout_at(deadline, socket.recv(buf)).await {
            let Ok(messages) = codec::decode(&buf[..n]) else {
                continue;
            };
            if let Some(m) = messages.iter().find(|m| m.addr == "/info") {
                let text: Vec<&str> = m
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        OscType::String(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect();
                return Some(match text.as_slice() {
                    [_server, _name, model, firmware, ..] => format!("{model} {firmware}"),
                    other => other.join(" "),
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gets_rotate_over_the_32_channel_faders() {
        assert_eq!(probe_address(0), "/ch/01/mix/fader");
        assert_eq!(probe_address(31), "/ch/32/mix/fader");
        assert_eq!(probe_address(32), "/ch/01/mix/fader");
        assert!(is_probe_address("/ch/17/mix/fader"));
        assert!(!is_probe_address("/ch/33/mix/fader"));
        assert!(!is_probe_address("/info"));
    }
}
