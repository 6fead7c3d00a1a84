//! A paced request/reply link to the console on its own UDP socket: `/node` reads, plain
//! gets and `/` writes, with a bounded window of requests in flight (bulk `/node` overruns
//! Wi-Fi links, `x32-osc.md` §1.9), a timeout per request that grows with each retry, and
//! the console's `/` echo as the write's acknowledgement (§1.5).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use rosc::{OscMessage, OscType};
use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::desk::ParamKind;
use crate::x32::codec;
use crate::x32::node;

use super::{join_line, BackupError};

/// How hard to push the console.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Requests in flight at once.
    pub window: usize,
    /// The longest wait for an answer before asking again (doubled, tripled… on retries);
    /// once answers come, the wait follows their round trip, down to 25 ms.
    pub timeout: Duration,
    /// Asks after the first before giving up on a request.
    pub retries: u32,
}

impl Default for Pacing {
    /// 8 in flight, 300 ms, 5 retries: a full backup in seconds on a wired link, and through
    /// a lossy Wi-Fi without overrunning it.
    fn default() -> Self {
        Pacing {
            window: 8,
            timeout: Duration::from_millis(300),
            retries: 5,
        }
    }
}

/// The console as `/xinfo` describes it (§1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleInfo {
    /// Where it was reached (`host:port`).
    pub address: String,
    /// Its network name.
    pub name: String,
    /// `X32`, `M32`, `X32RACK`, …
    pub model: String,
    /// Its firmware.
    pub firmware: String,
}

/// What a read brought back.
#[derive(Debug, Clone, Default)]
pub struct ReadOutcome {
    /// Node path (with its slash) → fields as node text, faders with two decimals.
    pub nodes: BTreeMap<String, String>,
    /// Nodes that answered something pupitre cannot read, with why (left out of `nodes`).
    pub unreadable: Vec<String>,
}

/// One console, reached on a socket of its own (apart from the service's link, so replies
/// are never mixed up with `/xremote` pushes).
pub struct Console {
    socket: UdpSocket,
    peer: SocketAddr,
    address: String,
    pacing: Pacing,
}

/// One request: what identifies its answer, and its datagram.
struct Request {
    key: String,
    bytes: Vec<u8>,
}

impl Console {
    /// Resolve `address` (`host:port`, or a host alone for port 10023) and open a socket.
    pub async fn open(address: &str, pacing: Pacing) -> Result<Console, BackupError> {
        let with_port = if address.parse::<SocketAddr>().is_ok() || address.contains(':') {
            address.to_owned()
        } else {
            format!("{address}:{}", crate::x32::X32_PORT)
        };
        let peer = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| BackupError::Address {
                address: address.to_owned(),
                why: e.to_string(),
            })?
            .next()
            .ok_or_else(|| BackupError::Address {
                address: address.to_owned(),
                why: "no address found".into(),
            })?;
        let local: IpAddr = match peer.ip() {
            IpAddr::V4(ip) if ip.is_loopback() => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
            IpAddr::V6(ip) if ip.is_loopback() => Ipv6Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
        };
        let socket = UdpSocket::bind(SocketAddr::new(local, 0))
            .await
            .map_err(BackupError::Socket)?;
        let pacing = Pacing {
            window: pacing.window.max(1),
            ..pacing
        };
        Ok(Console {
            socket,
            peer,
            address: with_port,
            pacing,
        })
    }

    /// The console's address as resolved.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Ask `/xinfo`: who is there.
    pub async fn info(&self) -> Result<ConsoleInfo, BackupError> {
        let bytes = encode(&codec::request("/xinfo"));
        let (answers, _) = self
            .exchange(
                vec![Request {
                    key: "/xinfo".into(),
                    bytes,
                }],
                |m| (m.addr == "/xinfo").then(|| m.addr.clone()),
                &mut |_, _| {},
            )
            .await;
        let Some(msg) = answers.get("/xinfo") else {
            return Err(BackupError::NoConsole {
                address: self.address.clone(),
                tries: self.pacing.retries + 1,
            });
        };
        let text = |i: usize| match msg.args.get(i) {
            Some(OscType::String(s)) => s.clone(),
            _ => String::new(),
        };
        Ok(ConsoleInfo {
            address: self.address.clone(),
            name: text(1),
            model: text(2),
            firmware: text(3),
        })
    }

    /// Read these nodes (paths with or without their slash). Each answer is read against the
    /// node schema and kept in pupitre's form of the console's units; faders are then read
    /// with a plain get for their exact step. `progress(done, total)` follows along.
    pub async fn read_nodes(
        &self,
        paths: &[String],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ReadOutcome, BackupError> {
        let mut wanted: Vec<String> = paths
            .iter()
            .map(|p| format!("/{}", p.trim_start_matches('/')))
            .collect();
        wanted.dedup();
        let faders = |path: &str| -> Vec<(usize, String)> {
            node::schema(path)
                .map(|s| {
                    s.children
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.kind == ParamKind::Fader && c.id.is_some())
                        .map(|(i, c)| (i, c.address.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let fader_total: usize = wanted.iter().map(|p| faders(p).len()).sum();
        let total = wanted.len() + fader_total;
        let requests = wanted
            .iter()
            .map(|path| Request {
                key: path.clone(),
                bytes: encode(&codec::message(
                    "/node",
                    vec![OscType::String(path.trim_start_matches('/').to_owned())],
                )),
            })
            .collect();
        let (answers, mut missing) = self
            .exchange(requests, node_reply_key, &mut |done, _| {
                progress(done, total)
            })
            .await;
        let mut outcome = ReadOutcome::default();
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, msg) in answers {
            let Some(OscType::String(line)) = msg.args.first() else {
                continue;
            };
            match node::read_line(line) {
                Ok(read) => {
                    let texts = read
                        .schema
                        .children
                        .iter()
                        .zip(&read.values)
                        .map(|(c, v)| node::format_field(c.unit, c.kind, v))
                        .collect();
                    fields.insert(path, texts);
                }
                Err(e) => {
                    warn!(node = %path, error = %e, "answer left out of the backup");
                    outcome.unreadable.push(format!("{path}: {e}"));
                }
            }
        }
        // Phase two: the faders' exact steps.
        let mut gets = Vec::new();
        for (path, texts) in &fields {
            for (i, address) in faders(path) {
                if i < texts.len() {
                    gets.push(Request {
                        key: address.clone(),
                        bytes: encode(&codec::request(&address)),
                    });
                }
            }
        }
        let done_nodes = wanted.len();
        let (values, missing_gets) = self
            .exchange(
                gets,
                |m| (!m.args.is_empty() && m.addr != "/node").then(|| m.addr.clone()),
                &mut |done, _| progress(done_nodes + done, total),
            )
            .await;
        missing.extend(missing_gets);
        for (path, mut texts) in fields {
            for (i, address) in faders(&path) {
                let (Some(text), Some(msg)) = (texts.get_mut(i), values.get(&address)) else {
                    continue;
                };
                if let Some(v) = crate::x32::value_from_args(ParamKind::Fader, &msg.args) {
                    *text = node::format_db(ParamKind::Fader, &v, 2);
                }
            }
            outcome.nodes.insert(path, texts.join(" "));
        }
        progress(total, total);
        if !missing.is_empty() {
            missing.sort();
            return Err(BackupError::Unanswered {
                missing,
                total,
                tries: self.pacing.retries + 1,
            });
        }
        Ok(outcome)
    }

    /// Write node lines (`path fields`) with `/`, each acknowledged by the console's echo.
    pub async fn write_lines(
        &self,
        lines: &[String],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), BackupError> {
        let requests: Vec<Request> = lines
            .iter()
            .map(|line| {
                // The reference's form: the path without its slash (§1.5).
                let line = line.trim_start_matches('/').to_owned();
                Request {
                    bytes: encode(&codec::message("/", vec![OscType::String(line.clone())])),
                    key: line,
                }
            })
            .collect();
        let total = requests.len();
        let (_, missing) = self.exchange(requests, write_echo_key, progress).await;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(BackupError::Unanswered {
                missing,
                total,
                tries: self.pacing.retries + 1,
            })
        }
    }

    /// Send every request, at most `window` unanswered at once, until each is answered or has
    /// had all its tries. Returns the answers by key and the keys never answered.
    async fn exchange(
        &self,
        requests: Vec<Request>,
        key_of: impl Fn(&OscMessage) -> Option<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> (HashMap<String, OscMessage>, Vec<String>) {
        let total = requests.len();
        let mut queue: VecDeque<Request> = requests.into();
        // key → (request, deadline, tries so far, first sent)
        let mut in_flight: HashMap<String, (Request, Instant, u32, Instant)> = HashMap::new();
        let mut rtt = RoundTrip::new(self.pacing.timeout);
        let mut answers = HashMap::new();
        let mut missing = Vec::new();
        let mut buf = vec![0u8; 65_536];
        loop {
            while in_flight.len() < self.pacing.window {
                let Some(req) = queue.pop_front() else { break };
                if in_flight.contains_key(&req.key) || answers.contains_key(&req.key) {
                    continue;
                }
                self.send(&req.bytes).await;
                let now = Instant::now();
                in_flight.insert(req.key.clone(), (req, now + rtt.timeout(), 1, now));
            }
            let Some(next) = in_flight.values().map(|(_, d, _, _)| *d).min() else {
                break;
            };
            tokio::select! {
                r = self.socket.recv_from(&mut buf) => {
                    let (n, from) = match r {
                        Ok(x) => x,
                        Err(e) => {
                            debug!(error = %e, "recv failed");
                            continue;
                        }
                    };
                    if from != self.peer {
                        debug!(%from, "datagram from elsewhere dropped");
                        continue;
                    }
                    let Ok(msgs) = codec::decode(&buf[..n]) else {
                        debug!(len = n, "garbage dropped");
                        continue;
                    };
                    for msg in msgs {
                        let Some(key) = key_of(&msg) else { continue };
                        if let Some((_, _, tries, sent)) = in_flight.remove(&key) {
                            if tries == 1 {
                                rtt.sample(sent.elapsed());
                            }
                            answers.insert(key, msg);
                            progress(answers.len() + missing.len(), total);
                        }
                    }
                }
                _ = tokio::time::sleep_until(next) => {
                    let now = Instant::now();
                    let expired: Vec<String> = in_flight
                        .iter()
                        .filter(|(_, (_, d, _, _))| *d <= now)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for key in expired {
                        let Some((req, _, tries, sent)) = in_flight.remove(&key) else {
                            continue;
                        };
                        if tries > self.pacing.retries {
                            debug!(%key, tries, "no answer");
                            missing.push(key);
                            progress(answers.len() + missing.len(), total);
                            continue;
                        }
                        self.send(&req.bytes).await;
                        let deadline = now + rtt.timeout() * (tries + 1);
                        in_flight.insert(key, (req, deadline, tries + 1, sent));
                    }
                }
            }
        }
        (answers, missing)
    }

    async fn send(&self, bytes: &[u8]) {
        // A failed send is a lost datagram: the retry covers it.
        if let Err(e) = self.socket.send_to(bytes, self.peer).await {
            debug!(error = %e, "send failed");
        }
    }
}

/// The retry timeout, learnt from answers to first tries (Karn's rule: a retried request's
/// answer says nothing about the round trip), TCP-style: smoothed round trip plus four times
/// its spread, kept between [`MIN_TIMEOUT`] and the pacing's timeout (the first guess).
struct RoundTrip {
    ceiling: Duration,
    smoothed: Option<(f64, f64)>,
}

/// A retry never comes sooner than this: a busy console's answer may trail by a few ms.
const MIN_TIMEOUT: Duration = Duration::from_millis(25);

impl RoundTrip {
    fn new(ceiling: Duration) -> Self {
        RoundTrip {
            ceiling,
            smoothed: None,
        }
    }

    fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        self.smoothed = Some(match self.smoothed {
            None => (r, r / 2.0),
            Some((srtt, var)) => (
                0.875 * srtt + 0.125 * r,
                0.75 * var + 0.25 * (srtt - r).abs(),
            ),
        });
    }

    fn timeout(&self) -> Duration {
        match self.smoothed {
            None => self.ceiling,
            Some((srtt, var)) => Duration::from_secs_f64(srtt + 4.0 * var)
                .clamp(MIN_TIMEOUT.min(self.ceiling), self.ceiling),
        }
    }
}

fn encode(msg: &OscMessage) -> Vec<u8> {
    codec::encode(msg).unwrap_or_default()
}

/// A `/node` answer's key: its line's path, with a slash.
fn node_reply_key(msg: &OscMessage) -> Option<String> {
    match (msg.addr.as_str(), msg.args.first()) {
        ("/node", Some(OscType::String(line))) => {
            node::tokenize(line).ok().map(|l| format!("/{}", l.path))
        }
        _ => None,
    }
}

/// The console echoes a `/` write to its sender (§1.5): the line is the key.
fn write_echo_key(msg: &OscMessage) -> Option<String> {
    match (msg.addr.as_str(), msg.args.first()) {
        ("/", Some(OscType::String(line))) => Some(line.clone()),
        _ => None,
    }
}

/// The write line for a node: `path fields` without the path's slash.
pub(crate) fn write_line(path: &str, fields: &str) -> String {
    join_line(path.trim_start_matches('/'), fields)
}
