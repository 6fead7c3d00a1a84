//! One open page: the picture and its updates out, the page's moves in as intents with origin
//! `web:<device>`. A message that does not read, is too long or names nothing closes this
//! socket only; the desk never sees it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use super::protocol::{parse_client, ClientMessage, Refusal, ServerMessage};
use super::view::View;
use super::WebHandle;
use crate::desk::{Db, DeskHandle, Intent, Op, Origin, ParamId, TrySendError, Value, SCENE_SLOTS};
use crate::stabilizer::Controls;
use crate::ui::strips;

/// How often an open page's token is checked again (an edit of the token file by hand).
const RECHECK: Duration = Duration::from_secs(5);
/// Messages a page may send per second (two fingers dragging at 60 frames a second, and room).
const MAX_RATE: u32 = 250;

/// Close codes (RFC 6455 §7.4.1).
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const UNSUPPORTED: u16 = 1003;
    pub const INVALID: u16 = 1007;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
}

/// What a session needs.
pub(super) struct SessionContext {
    pub device: String,
    pub token_id: String,
    pub peer: SocketAddr,
    pub web: WebHandle,
    pub desk: DeskHandle,
    pub view: View,
    pub stop: CancellationToken,
    pub pages: Arc<AtomicUsize>,
}

/// Decrements the open-page count however the session ends.
struct PageSlot(Arc<AtomicUsize>);

impl Drop for PageSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why a session ends.
enum End {
    Closed,
    Close(u16, String),
}

/// Serve one page until it closes, is unpaired, misbehaves, or the service stops.
pub(super) async fn run(socket: WebSocket, cx: SessionContext) {
    let span = info_span!("web", device = %cx.device, peer = %cx.peer);
    async move {
        let _slot = PageSlot(cx.pages.clone());
        info!("page connected");
        let end = serve(socket, &cx).await;
        match end {
            Ok(End::Closed) => info!("page closed"),
            Ok(End::Close(code, why)) => info!(code, "page disconnected: {why}"),
            Err(e) => debug!(error = %e, "page connection ended"),
        }
    }
    .instrument(span)
    .await
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.chars().take(120).collect::<String>()),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn send(socket: &mut WebSocket, m: &ServerMessage) -> Result<(), axum::Error> {
    socket
        .send(Message::Text(Utf8Bytes::from(m.to_text())))
        .await
}

async fn join(
    socket: &mut WebSocket,
    cx: &SessionContext,
) -> Result<Option<broadcast::Receiver<Arc<str>>>, axum::Error> {
    let Some(joined) = cx.view.join().await else {
        return Ok(None);
    };
    let mut hello = joined.hello;
    hello.device = cx.device.clone();
    send(socket, &ServerMessage::Hello(hello)).await?;
    Ok(Some(joined.updates))
}

async fn serve(mut socket: WebSocket, cx: &SessionContext) -> Result<End, axum::Error> {
    let Some(mut updates) = join(&mut socket, cx).await? else {
        close_with(&mut socket, close::GOING_AWAY, "the desk is stopping").await;
        return Ok(End::Close(close::GOING_AWAY, "the desk is stopping".into()));
    };
    let mut revoked = cx.web.shared.revoked.subscribe();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.reset();
    let origin = Origin::Web(Arc::from(cx.device.as_str()));
    let mut window = (Instant::now(), 0u32);
    loop {
        let end = tokio::select! {
            _ = cx.stop.cancelled() => Some((close::GOING_AWAY, "the desk is stopping".to_string())),
            update = updates.recv() => match update {
                Ok(text) => {
                    socket.send(Message::Text(Utf8Bytes::from(&*text))).await?;
                    None
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    debug!(missed = n, "page fell behind; sending the whole picture again");
                    match join(&mut socket, cx).await? {
                        Some(u) => { updates = u; None }
                        None => Some((close::GOING_AWAY, "the desk is stopping".to_string())),
                    }
                }
                Err(broadcast::error::RecvError::Closed) => {
                    Some((close::GOING_AWAY, "the desk is stopping".to_string()))
                }
            },
            id = revoked.recv() => match id {
                Ok(id) if id == cx.token_id => Some((close::POLICY, "this browser was unpaired".to_string())),
                _ => None,
            },
            _ = recheck.tick() => {
                if super::lock(&cx.web.shared.tokens).holds(&cx.token_id) {
                    None
                } else {
                    Some((close::POLICY, "this browser is no longer paired".to_string()))
                }
            }
            incoming = socket.recv() => match incoming {
                None => return Ok(End::Closed),
                Some(Err(e)) => {
                    // tungstenite refuses a message over the limit before reading it whole.
                    let why = e.to_string();
                    if why.contains("too long") || why.contains("Space limit") || why.contains("size") {
                        warn!("oversized message; closing this page: {why}");
                        Some((close::TOO_BIG, format!("message over {} bytes", super::protocol::MAX_CLIENT_MESSAGE)))
                    } else {
                        return Err(e);
                    }
                }
                Some(Ok(Message::Close(_))) => return Ok(End::Closed),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
                Some(Ok(Message::Binary(_))) => {
                    warn!("binary message; closing this page");
                    Some((close::UNSUPPORTED, "text messages only".to_string()))
                }
                Some(Ok(Message::Text(text))) => {
                    let now = Instant::now();
                    if now.duration_since(window.0) >= Duration::from_secs(1) {
                        window = (now, 0);
                    }
                    window.1 += 1;
                    if window.1 > MAX_RATE {
                        warn!(limit = MAX_RATE, "too many messages a second; closing this page");
                        Some((close::POLICY, format!("over {MAX_RATE} messages a second")))
                    } else {
                        match handle(&text, cx, &origin).await {
                            Ok(Some(reply)) => { send(&mut socket, &reply).await?; None }
                            Ok(None) => None,
                            Err((code, why)) => {
                                warn!("{why}; closing this page");
                                Some((code, why))
                            }
                        }
                    }
                }
            },
        };
        if let Some((code, why)) = end {
            close_with(&mut socket, code, &why).await;
            return Ok(End::Close(code, why));
        }
    }
}

fn id(s: &str) -> ParamId {
    match ParamId::parse(s) {
        Ok(p) => p,
        // Only called with ids spelt out in this file.
        Err(e) => unreachable!("{e}"),
    }
}

/// Act on one message: an optional reply, or why the socket closes.
async fn handle(
    text: &str,
    cx: &SessionContext,
    origin: &Origin,
) -> Result<Option<ServerMessage>, (u16, String)> {
    let message = parse_client(text).map_err(|r| match r {
        Refusal::TooLong(_) => (close::TOO_BIG, r.to_string()),
        Refusal::Unreadable(_) => (close::INVALID, r.to_string()),
    })?;
    let strips = cx.view.strips();
    let strip = |index: usize| {
        strips
            .get(index)
            .ok_or_else(|| (close::POLICY, format!("there is no strip {index}")))
    };
    let intent = |param: ParamId, value: Value| Intent {
        param,
        op: Op::Set(value),
        origin: origin.clone(),
    };
    let gone = || (close::GOING_AWAY, "the desk is stopping".to_string());
    match message {
        ClientMessage::Ping => return Ok(Some(ServerMessage::Pong)),
        ClientMessage::Fader { index, pos } => {
            let s = strip(index)?;
            if !pos.is_finite() {
                return Err((close::INVALID, "a fader position is a number".into()));
            }
            let value = strips::fader_value(&s.fader, pos.clamp(0.0, 1.0) as f32);
            match cx.desk.try_send(intent(s.fader.clone(), value)) {
                Ok(()) => {}
                // The next position supersedes this one.
                Err(TrySendError::Busy(_)) => debug!("desk busy; fader position dropped"),
                Err(TrySendError::Gone(_)) => return Err(gone()),
            }
        }
        ClientMessage::Mute { index, on } => {
            let s = strip(index)?;
            let Some((param, inverted)) = s.mute.clone() else {
                return Err((close::POLICY, format!("strip {index} has no mute")));
            };
            let switch_on = if inverted { !on } else { on };
            cx.desk
                .send(intent(param, Value::Index(u32::from(switch_on))))
                .await
                .map_err(|_| gone())?;
        }
        ClientMessage::Solo { index, on } => {
            let s = strip(index)?;
            let Some(param) = s.solo.clone() else {
                return Err((close::POLICY, format!("strip {index} has no solo")));
            };
            cx.desk
                .send(intent(param, Value::Index(u32::from(on))))
                .await
                .map_err(|_| gone())?;
        }
        ClientMessage::Stabilizer { on } => {
            let controls = Controls::new();
            return set_stabilizer(cx, intent(controls.enabled, Value::Index(u32::from(on)))).await;
        }
        ClientMessage::Target { lufs } => {
            if !lufs.is_finite() {
                return Err((close::INVALID, "a target is a number".into()));
            }
            let controls = Controls::new();
            let kind = controls.target.kind();
            let (lowest, highest, _) = super::view::target_range();
            let Some(value) = kind.from_db(Db::new_lossy(lufs.clamp(lowest, highest))) else {
                return Err((close::INVALID, "a target is in LUFS".into()));
            };
            return set_stabilizer(cx, intent(controls.target, value)).await;
        }
        ClientMessage::Scene { slot } => {
            if !(1..=SCENE_SLOTS).contains(&slot) {
                return Err((
                    close::POLICY,
                    format!("there is no scene slot {slot} (1–{SCENE_SLOTS})"),
                ));
            }
            cx.desk
                .send(intent(id("pupitre:scene/recall"), Value::Index(slot)))
                .await
                .map_err(|_| gone())?;
        }
    }
    Ok(None)
}

/// A stabilizer control, when the desk has one (it rides an X32 fader; without an X32 the page
/// is told so rather than closed).
async fn set_stabilizer(
    cx: &SessionContext,
    intent: Intent,
) -> Result<Option<ServerMessage>, (u16, String)> {
    let gone = || (close::GOING_AWAY, "the desk is stopping".to_string());
    if cx
        .desk
        .get(&intent.param)
        .await
        .map_err(|_| gone())?
        .is_none()
    {
        return Ok(Some(ServerMessage::Notice {
            message: "the stabilizer needs an X32 to ride; none is configured".into(),
        }));
    }
    cx.desk.send(intent).await.map_err(|_| gone())?;
    Ok(None)
}
