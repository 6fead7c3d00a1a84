//! One incoming message → what the fake desk sends because of it. No I/O here: the server task
//! does the sending (and the packet loss).

use std::net::SocketAddr;

use rosc::{OscMessage, OscType};
use tokio::time::Instant;
use tracing::{debug, info};

use crate::desk::{ParamId, Value};
use crate::x32::codec;
use crate::x32::node;

use super::clients::{Bank, Registration, Subscribed};
use super::store::{from_wire, to_wire};
use super::State;

/// Server version, name, model and firmware in `/info` and `/xinfo` (§1.2).
const SERVER_VERSION: &str = "V2.07";
const SERVER_NAME: &str = "osc-server";
const DESK_NAME: &str = "pupitre fake X32";
const MODEL: &str = "X32";
const FIRMWARE: &str = "4.06";

/// Why a datagram goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// An answer to the sender.
    Reply,
    /// A change pushed to an `/xremote` client.
    Push,
    /// A meter update.
    Meter,
}

/// One datagram to send.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    pub(crate) to: SocketAddr,
    pub(crate) bytes: Vec<u8>,
    pub(crate) why: Why,
}

impl Out {
    fn new(to: SocketAddr, msg: &OscMessage, why: Why) -> Option<Out> {
        match codec::encode(msg) {
            Ok(bytes) => Some(Out { to, bytes, why }),
            Err(e) => {
                debug!(addr = %msg.addr, error = %e, "encode failed");
                None
            }
        }
    }
}

/// Handle one message from `from`.
pub(crate) fn message(
    state: &mut State,
    msg: &OscMessage,
    from: SocketAddr,
    now: Instant,
) -> Vec<Out> {
    let args = msg.args.as_slice();
    let mut out = Vec::new();
    match (msg.addr.as_str(), args) {
        ("/info" | "/xinfo" | "/status", []) => out.extend(info(state, &msg.addr, from)),
        ("/xremote", _) => xremote(state, from, now),
        ("/node", [OscType::String(path)]) => out.extend(node_read(state, path, from)),
        ("/", [OscType::String(line)]) => out.extend(node_write(state, msg, line, from, now)),
        ("/meters", [OscType::String(bank), rest @ ..]) => meters(state, bank, rest, from, now),
        ("/renew", rest) => renew(state, rest, from, now),
        (addr, []) => out.extend(get(state, addr, from)),
        (addr, args) => out.extend(set(state, addr, args, from, now)),
    }
    out
}

fn info(state: &State, addr: &str, from: SocketAddr) -> Option<Out> {
    let s = |v: &str| OscType::String(v.to_owned());
    let ip = state.ip.to_string();
    let args = match addr {
        "/info" => vec![s(SERVER_VERSION), s(SERVER_NAME), s(MODEL), s(FIRMWARE)],
        "/xinfo" => vec![s(&ip), s(DESK_NAME), s(MODEL), s(FIRMWARE)],
        _ => vec![s("active"), s(&ip), s(DESK_NAME)],
    };
    Out::new(from, &codec::message(addr, args), Why::Reply)
}

/// `/xremote`: 10 s of pushes, four slots, refused when full (§1.3). No reply.
fn xremote(state: &mut State, from: SocketAddr, now: Instant) {
    for gone in state.registry.expire(now) {
        info!(client = %gone, "xremote expired");
    }
    match state.registry.register(from, now) {
        Registration::Registered => info!(client = %from, "xremote registered"),
        Registration::Renewed => debug!(client = %from, "xremote renewed"),
        Registration::Refused => {
            info!(client = %from, slots = 4, "xremote refused: all slots live")
        }
    }
}

/// `/node ,s ch/01/mix` → `node ,s "/ch/01/mix ON +0.0 …\n"`, address without its slash (§1.5).
fn node_read(state: &State, path: &str, from: SocketAddr) -> Option<Out> {
    let line = match node::format_node(path, |id| state.store.get(id)) {
        Ok(line) => line,
        Err(e) => {
            debug!(%path, error = %e, "node read ignored");
            return None;
        }
    };
    let mut out = Out::new(
        from,
        &codec::message("/node", vec![OscType::String(line)]),
        Why::Reply,
    )?;
    // rosc writes `/node\0\0\0`; the desk writes `node\0\0\0\0` (same length).
    if out.bytes.starts_with(b"/node\0\0\0") {
        out.bytes[..8].copy_from_slice(b"node\0\0\0\0");
    }
    Some(out)
}

/// `/ ,s "ch/01/mix ON -5.0 …"`: apply each field, echo the `/` message to the sender, push
/// each changed parameter to the other `/xremote` clients (§1.5). A line that does not read
/// is ignored whole.
fn node_write(
    state: &mut State,
    msg: &OscMessage,
    line: &str,
    from: SocketAddr,
    now: Instant,
) -> Vec<Out> {
    let pairs = match node::parse_write(line) {
        Ok(p) => p,
        Err(e) => {
            debug!(%line, error = %e, "node write ignored");
            return Vec::new();
        }
    };
    let mut out: Vec<Out> = Out::new(from, msg, Why::Reply).into_iter().collect();
    for (id, value) in pairs {
        out.extend(apply(state, &id, value, Some(from), now));
    }
    out
}

/// `/meters ,s[i…] /meters/N …`: subscribe the sender for 10 s (§1.8).
fn meters(state: &mut State, bank: &str, rest: &[OscType], from: SocketAddr, now: Instant) {
    let ints: Option<Vec<i32>> = rest
        .iter()
        .map(|a| match a {
            OscType::Int(i) => Some(*i),
            _ => None,
        })
        .collect();
    let Some((bank, tf)) = ints.and_then(|ints| Bank::from_request(bank, &ints)) else {
        debug!(client = %from, %bank, "meter request ignored");
        return;
    };
    match state.subs.subscribe(from, bank, tf, now) {
        Subscribed::New => info!(
            client = %from,
            ?bank,
            time_factor = tf,
            live = state.subs.len(),
            "meters subscribed"
        ),
        Subscribed::Renewed => debug!(client = %from, ?bank, "meters renewed"),
        Subscribed::Refused => info!(client = %from, ?bank, "meters refused: table full"),
    }
}

/// `/renew [,s meters/N]`: renew the sender's meter subscriptions (the real desk's form; the
/// emulator ignores it, §1.4, §1.8). Both `meters/N` and `/meters/N` are accepted.
fn renew(state: &mut State, args: &[OscType], from: SocketAddr, now: Instant) {
    let bank = match args {
        [] => None,
        [OscType::String(s)] => Some(format!("/{}", s.trim_start_matches('/'))),
        _ => return,
    };
    let n = state.subs.renew(from, bank.as_deref(), now);
    debug!(client = %from, ?bank, renewed = n, "renew");
}

/// A get: the stored value, to the sender. Unknown addresses get no reply (§1.1).
fn get(state: &State, addr: &str, from: SocketAddr) -> Option<Out> {
    let Ok(id) = ParamId::x32(addr) else {
        debug!(%addr, "get of an unknown address ignored");
        return None;
    };
    let value = to_wire(&state.store.get(&id));
    Out::new(from, &codec::message(addr, vec![value]), Why::Reply)
}

/// A set: not answered; a change goes to every other `/xremote` client. A set on a node address
/// (`/ch/01/mix ,ifi…`) sets its children in order; strings there are ignored, as on the X32
/// (§1.1).
fn set(
    state: &mut State,
    addr: &str,
    args: &[OscType],
    from: SocketAddr,
    now: Instant,
) -> Vec<Out> {
    if let Ok(id) = ParamId::x32(addr) {
        let Some(value) = args.first().and_then(from_wire) else {
            debug!(%addr, ?args, "set with a wrong argument type dropped");
            return Vec::new();
        };
        return apply(state, &id, value, Some(from), now);
    }
    let Some(children) = node::children(addr) else {
        debug!(%addr, "set of an unknown address ignored");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (child, arg) in children.iter().zip(args) {
        let (Some(id), false) = (&child.id, matches!(arg, OscType::String(_))) else {
            continue;
        };
        if let Some(value) = from_wire(arg) {
            out.extend(apply(state, id, value, Some(from), now));
        }
    }
    out
}

/// Store a value; if it changed, push it to every live `/xremote` client except `except`
/// (the desk does not echo to the sender, §1.3; nothing is pushed for an unchanged value, §1.9).
pub(crate) fn apply(
    state: &mut State,
    id: &ParamId,
    value: Value,
    except: Option<SocketAddr>,
    now: Instant,
) -> Vec<Out> {
    if let Some(tap) = &state.tap {
        let _ = tap.send(super::Arrival {
            address: id.path().to_owned(),
            value: to_wire(&value),
            at: now.into_std(),
        });
    }
    let changed = match state.store.set(id, value) {
        Ok(Some(v)) => v,
        Ok(None) => {
            state.stats.sets_applied += 1;
            return Vec::new();
        }
        Err(()) => {
            debug!(param = %id, "set with a value the parameter does not take dropped");
            return Vec::new();
        }
    };
    state.stats.sets_applied += 1;
    let msg = codec::message(id.path(), vec![to_wire(&changed)]);
    state
        .registry
        .live(now)
        .filter(|c| Some(*c) != except)
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|c| Out::new(c, &msg, Why::Push))
        .collect()
}
