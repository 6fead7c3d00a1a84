//! The CamillaDSP link: one task, a command connection and a levels connection.
//!
//! - The version is detected on every connect (v5 `{"command":…}` first; an `Invalid` answer
//!   means v4/v3), and everything after speaks that version's wire format.
//! - pupitre keeps its own truth (`camilladsp.md` §5: patches are not persisted, a `Reload`
//!   drops them): parameters pupitre wrote are re-applied on every (re)connect and checked every
//!   2 s, so a reload or a config switch is repaired; parameters it never wrote are read back.
//! - Writes come from the desk's outbox (one slot per parameter), at most one per parameter per
//!   20 ms, one request in flight at a time, so CamillaDSP's 10-slot config queue never fills.
//! - Levels: v5 `SubscribeVuLevels` at 10 Hz on its own connection (a subscribed connection
//!   accepts nothing else), v4/v3 `GetSignalLevelsSince` polled at 10 Hz.
//! - Hostile or broken replies (not JSON, wrong shapes, a stalled server) end the session with a
//!   log line and the link reconnects with backoff.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use super::features::{commands_for, read_command, value_from_json, Feature, MixState};
use super::filters::filter_param_kind;
use super::protocol::{
    decode, detect_version, encode, parse_version, reply_name, Command, Detect, Event, Incoming,
    Levels, Outcome, Reply, Version,
};
use crate::desk::{
    ChannelLevel, Db, DspStatus, LinkState, MeterFrame, MixerId, MixerLink, ParamId, Side, Value,
};

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Timers of the link.
#[derive(Clone, Copy, Debug)]
pub struct CamillaTiming {
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How long a request may wait for its reply before the session is given up.
    pub request_timeout: Duration,
    /// How often written parameters are checked (repairs a `Reload`).
    pub verify_every: Duration,
    /// At most one write per parameter per this long.
    pub min_interval: Duration,
    /// Levels per second.
    pub levels_hz: f64,
}

impl Default for CamillaTiming {
    fn default() -> Self {
        CamillaTiming {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            verify_every: Duration::from_secs(2),
            min_interval: Duration::from_millis(20),
            levels_hz: 10.0,
        }
    }
}

/// Where the server is.
#[derive(Clone, Debug)]
pub struct CamillaSettings {
    /// `ws://host:port`.
    pub url: String,
    /// Timers.
    pub timing: CamillaTiming,
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
pub(super) enum SessionEnd {
    #[error("stopped")]
    Stop,
    #[error("connection lost: {0}")]
    Lost(String),
    #[error("the desk has stopped")]
    DeskGone,
}

fn lost(e: impl std::fmt::Display) -> SessionEnd {
    SessionEnd::Lost(e.to_string())
}

const MAX_MESSAGE: usize = 4 << 20;

/// VU release: a muted channel's meter empties in about a second (at 300 ms it took ~3 s to
/// fall 45 dB, too slow for a desk; peak hold is the screen's job).
const VU_RELEASE_MS: f64 = 100.0;

/// How long the clip lamps stay lit after clipped samples were counted.
const CLIP_HOLD: Duration = Duration::from_secs(2);

pub(super) async fn connect(url: &str) -> Result<Ws, SessionEnd> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .map_err(lost)?;
    Ok(ws)
}

/// Send one request and wait for its reply (events and other replies in between are skipped).
async fn request(
    ws: &mut Ws,
    cmd: &Command,
    v: Version,
    wait: Duration,
) -> Result<Reply, SessionEnd> {
    ws.send(Message::Text(encode(cmd, v).into()))
        .await
        .map_err(lost)?;
    let want = reply_name(cmd);
    let read = async {
        loop {
            let Some(msg) = ws.next().await else {
                return Err(lost("closed by the server"));
            };
            let text = match msg.map_err(lost)? {
                Message::Text(t) => t.to_string(),
                Message::Close(_) => return Err(lost("closed by the server")),
                _ => continue,
            };
            match decode(&text, v) {
                Ok(Incoming::Reply(r)) if r.name == want => return Ok(r),
                Ok(Incoming::Invalid(e)) => {
                    return Err(lost(format!("server refused {want}: {e}")))
                }
                Ok(other) => debug!(?other, "skipped while waiting for {want}"),
                Err(e) => return Err(lost(format!("broken reply to {want}: {e}"))),
            }
        }
    };
    timeout(wait, read)
        .await
        .map_err(|_| lost(format!("no reply to {want} in {wait:?}")))?
}

/// [`request`], with CamillaDSP 3's missing commands done the long way: it has no
/// `GetConfigValue`/`SetConfigValue` (`camilladsp.md` §4), so the whole config is read as JSON,
/// edited at the pointer and sent back with `SetConfigJson`.
async fn ask(ws: &mut Ws, cmd: &Command, v: Version, wait: Duration) -> Result<Reply, SessionEnd> {
    if v != Version::V3 {
        return request(ws, cmd, v, wait).await;
    }
    match cmd {
        Command::GetConfigValue(pointer) => {
            let whole = request(ws, &Command::GetConfigJson, v, wait).await?;
            let value = whole
                .config_json()
                .and_then(|c| c.pointer(pointer).cloned());
            Ok(Reply {
                name: "GetConfigValue".into(),
                result: Outcome::Ok,
                value,
            })
        }
        Command::SetConfigValue { pointer, value } => {
            let whole = request(ws, &Command::GetConfigJson, v, wait).await?;
            let Some(mut config) = whole.config_json() else {
                return Ok(Reply {
                    name: "SetConfigValue".into(),
                    result: Outcome::Error {
                        kind: "NoConfig".into(),
                        message: Some("GetConfigJson gave no config".into()),
                    },
                    value: None,
                });
            };
            match config.pointer_mut(pointer) {
                Some(slot) => *slot = value.clone(),
                None => {
                    return Ok(Reply {
                        name: "SetConfigValue".into(),
                        result: Outcome::Error {
                            kind: "InvalidRequestError".into(),
                            message: Some(format!("no {pointer} in the active config")),
                        },
                        value: None,
                    })
                }
            }
            request(ws, &Command::SetConfigJson(config.to_string()), v, wait).await
        }
        other => request(ws, other, v, wait).await,
    }
}

/// Which version the server speaks (`camilladsp.md` §4 "Version detection"), and its version
/// string.
pub(super) async fn version(ws: &mut Ws, wait: Duration) -> Result<(Version, String), SessionEnd> {
    ws.send(Message::Text(
        encode(&Command::GetVersion, Version::V5).into(),
    ))
    .await
    .map_err(lost)?;
    let first = timeout(wait, ws.next())
        .await
        .map_err(|_| lost("no answer to GetVersion"))?
        .ok_or_else(|| lost("closed by the server"))?
        .map_err(lost)?;
    let text = first.into_text().map_err(lost)?.to_string();
    match detect_version(&text) {
        Detect::V5(s) => Ok((Version::V5, s)),
        Detect::AskV4 => {
            let reply = request(ws, &Command::GetVersion, Version::V4, wait).await?;
            let s = reply
                .value
                .as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let v = parse_version(&s)
                .ok_or_else(|| lost(format!("unknown CamillaDSP version {s:?}")))?;
            Ok((v, s))
        }
        other => Err(lost(format!("unexpected answer to GetVersion: {other:?}"))),
    }
}

fn db(x: f64) -> Db {
    if Levels::is_silence(x) {
        Db::NEG_INFINITY
    } else {
        Db::new_lossy(x)
    }
}

/// Until when the clip lamps stay lit after CamillaDSP's clipped-sample count rose.
type ClipUntil = std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>;

fn frame(levels: &Levels, seq: u64, clip: &ClipUntil) -> MeterFrame {
    let counted = clip
        .lock()
        .map(|u| u.is_some_and(|t| std::time::Instant::now() < t))
        .unwrap_or(false);
    let mut f = MeterFrame::empty(MixerId::Camilla);
    f.seq = seq;
    for (side, rms, peak) in [
        (Side::Capture, &levels.capture_rms, &levels.capture_peak),
        (Side::Playback, &levels.playback_rms, &levels.playback_peak),
    ] {
        for (i, r) in rms.iter().enumerate().take(256) {
            let p = peak.get(i).copied().unwrap_or(*r);
            f.channels.insert(
                (side, i as u8),
                // A peak above 0 dBFS, or clipped samples counted by CamillaDSP: it counts
                // them for the whole output, so a rise lights every playback channel's lamp.
                ChannelLevel {
                    rms: db(*r),
                    peak: db(p),
                    clipped: p > 0.0 || (counted && side == Side::Playback),
                },
            );
        }
    }
    f
}

/// The levels connection: subscribe (v5) or poll (v4/v3) until it fails or `stop`.
async fn levels(
    url: String,
    v: Version,
    hz: f64,
    link: MixerLink,
    clip: ClipUntil,
    stop: CancellationToken,
) {
    let Ok(mut ws) = connect(&url).await else {
        return;
    };
    let mut seq = 0u64;
    let period = Duration::from_secs_f64(1.0 / hz.max(0.1));
    if v == Version::V5 {
        let sub = Command::SubscribeVuLevels {
            max_rate: hz,
            attack: 10.0,
            release: VU_RELEASE_MS,
        };
        if ws
            .send(Message::Text(encode(&sub, v).into()))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => return,
                m = ws.next() => m,
            };
            let Some(Ok(Message::Text(t))) = msg else {
                return;
            };
            match decode(&t, v) {
                Ok(Incoming::Event(Event::VuLevels(l))) => {
                    seq += 1;
                    link.publish_meters(frame(&l, seq, &clip));
                }
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "broken levels event; reconnecting the levels");
                    return;
                }
            }
        }
    } else {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match request(
                &mut ws,
                &Command::GetSignalLevelsSince(period.as_secs_f64()),
                v,
                Duration::from_secs(2),
            )
            .await
            {
                Ok(r) => {
                    if let Some(l) = r.levels() {
                        seq += 1;
                        link.publish_meters(frame(&l, seq, &clip));
                    }
                }
                Err(_) => return,
            }
        }
    }
}

/// Run the link until `stop` is cancelled.
pub async fn run(settings: CamillaSettings, link: MixerLink, stop: CancellationToken) {
    let span = info_span!("camilla", url = %settings.url);
    async move {
        let mut client = Client {
            settings,
            link,
            written: HashSet::new(),
            mix: MixState::default(),
            pending: HashMap::new(),
            last_write: HashMap::new(),
            was_online: false,
            ever_online: false,
            clipped_seen: None,
            clip_until: ClipUntil::default(),
            filters: HashMap::new(),
            unusable: HashSet::new(),
        };
        let mut delay = client.settings.timing.backoff_min;
        let mut warned = false;
        loop {
            client.link.set_status(LinkState::Connecting, None);
            match client.session(&stop).await {
                SessionEnd::Stop | SessionEnd::DeskGone => break,
                SessionEnd::Lost(why) => {
                    if !warned {
                        if client.ever_online {
                            warn!(%why, "CamillaDSP link lost; reconnecting");
                        } else {
                            info!(%why, "cannot reach CamillaDSP yet; retrying");
                        }
                        warned = true;
                    } else {
                        debug!(%why, "still no CamillaDSP");
                    }
                    client.link.set_status(LinkState::Lost, None);
                    client
                        .link
                        .publish_meters(MeterFrame::empty(MixerId::Camilla));
                }
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(delay) => {}
            }
            // A session that got online starts the backoff (and the warning) afresh.
            if std::mem::take(&mut client.was_online) {
                delay = client.settings.timing.backoff_min;
                warned = false;
            } else {
                delay = (delay * 2).min(client.settings.timing.backoff_max);
            }
        }
        debug!("camilla link stopped");
    }
    .instrument(span)
    .await
}

struct Client {
    settings: CamillaSettings,
    link: MixerLink,
    /// Parameters pupitre has written: re-applied after restarts, checked against reloads.
    written: HashSet<ParamId>,
    /// Mutes from solos and the crossfader's gains, derived by pupitre.
    mix: MixState,
    /// Writes waiting for their parameter's interval.
    pending: HashMap<ParamId, Value>,
    last_write: HashMap<ParamId, Instant>,
    /// The current session reached online.
    was_online: bool,
    /// Some session reached online (a later failure is a loss, an earlier one is not).
    ever_online: bool,
    /// CamillaDSP's clipped-sample count at the last status poll.
    clipped_seen: Option<u64>,
    /// Clip lamps lit until then (shared with the levels task).
    clip_until: ClipUntil,
    /// The active config's filters by name: `filter/NAME/PARAM` takes its range from the type.
    filters: HashMap<String, serde_json::Value>,
    /// Filter parameters the active config cannot take (no such filter or parameter); warned
    /// about once, not written.
    unusable: HashSet<ParamId>,
}

impl Client {
    async fn session(&mut self, stop: &CancellationToken) -> SessionEnd {
        match self.session_inner(stop).await {
            Ok(()) => SessionEnd::Stop,
            Err(e) => e,
        }
    }

    async fn session_inner(&mut self, stop: &CancellationToken) -> Result<(), SessionEnd> {
        let t = self.settings.timing;
        let mut ws = connect(&self.settings.url).await?;
        let (v, version) = version(&mut ws, t.request_timeout).await?;
        info!(%version, "connected; re-applying pupitre's state");
        self.link
            .set_status(LinkState::Syncing, Some(format!("CamillaDSP {version}")));
        let levels_stop = stop.child_token();
        let levels_task = tokio::spawn(levels(
            self.settings.url.clone(),
            v,
            t.levels_hz,
            self.link.clone(),
            self.clip_until.clone(),
            levels_stop.clone(),
        ));
        let _guard = levels_stop.drop_guard();
        let started = Instant::now();
        let applied = self.resync(&mut ws, v).await?;
        info!(
            params = applied,
            ms = started.elapsed().as_millis(),
            "in sync"
        );
        self.link.set_status(LinkState::Online, None);
        let mut verify = tokio::time::interval(t.verify_every);
        verify.tick().await;
        let mut status = tokio::time::interval(Duration::from_secs(1));
        loop {
            let wake = self
                .next_pending()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                _ = stop.cancelled() => {
                    self.take_outbox();
                    self.flush(&mut ws, v, true).await?;
                    levels_task.abort();
                    return Ok(());
                }
                _ = self.link.outbox().ready() => {
                    self.take_outbox();
                    let reads = self.link.outbox().take_reads();
                    for p in reads {
                        self.read_back(&mut ws, v, &p).await?;
                    }
                }
                _ = verify.tick() => self.verify(&mut ws, v).await?,
                _ = status.tick() => self.poll_status(&mut ws, v, &version).await?,
                _ = sleep_until(wake) => {}
                msg = ws.next() => match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Err(lost("closed by the server")),
                    Some(Ok(_)) => {}
                },
            }
            self.flush(&mut ws, v, false).await?;
        }
    }

    fn take_outbox(&mut self) {
        for (p, value) in self.link.outbox().take() {
            // Replace the key too: it carries the kind the value is on.
            self.pending.remove(&p);
            self.pending.insert(p, value);
        }
    }

    fn next_pending(&self) -> Option<Instant> {
        self.pending
            .keys()
            .map(|p| {
                self.last_write
                    .get(p)
                    .map_or_else(Instant::now, |t| *t + self.settings.timing.min_interval)
            })
            .min()
    }

    /// Send pending writes whose interval has passed (all of them when `all`).
    async fn flush(&mut self, ws: &mut Ws, v: Version, all: bool) -> Result<(), SessionEnd> {
        let now = Instant::now();
        let due: Vec<ParamId> = self
            .pending
            .keys()
            .filter(|p| {
                all || self
                    .last_write
                    .get(*p)
                    .is_none_or(|t| now >= *t + self.settings.timing.min_interval)
            })
            .cloned()
            .collect();
        for p in due {
            if let Some(value) = self.pending.remove(&p) {
                self.apply(ws, v, &p, &value).await?;
                self.last_write.insert(p.clone(), now);
                self.written.insert(p);
            }
        }
        Ok(())
    }

    async fn apply(
        &mut self,
        ws: &mut Ws,
        v: Version,
        p: &ParamId,
        value: &Value,
    ) -> Result<(), SessionEnd> {
        if self.unusable.contains(p) {
            debug!(param = %p, "not written: the active config cannot take it");
            return Ok(());
        }
        for cmd in commands_for(p, value, &mut self.mix) {
            let reply = ask(ws, &cmd, v, self.settings.timing.request_timeout).await?;
            if let Outcome::Error { kind, message } = &reply.result {
                warn!(param = %p, %kind, message = message.as_deref().unwrap_or(""), "CamillaDSP refused a write");
            }
        }
        Ok(())
    }

    /// After a (re)connect: what pupitre wrote goes back; everything else is read.
    async fn resync(&mut self, ws: &mut Ws, v: Version) -> Result<usize, SessionEnd> {
        self.read_filters(ws, v).await?;
        self.describe_filters().await?;
        // Read after describing: filter values come back on their refined ranges.
        let known = self.known().await?;
        let mut n = 0;
        for (p, value) in &known {
            if let Some(f @ (Feature::Mute(_) | Feature::Solo(_))) = Feature::of(p) {
                self.mix
                    .solo
                    .set(&f, matches!(value, Value::Index(i) if *i != 0));
            }
        }
        for (p, value) in known {
            // Solo and the crossfader live only in pupitre: always pupitre's to apply.
            let pupitres = matches!(
                Feature::of(&p),
                Some(Feature::Solo(_) | Feature::Crossfader | Feature::CrossfaderCurve)
            );
            if self.written.contains(&p) || pupitres {
                self.apply(ws, v, &p, &value).await?;
            } else {
                self.read_back(ws, v, &p).await?;
            }
            n += 1;
        }
        // Derived values (solo mutes, crossfader gains), in full.
        for (pointer, value) in self.mix.derived() {
            let cmd = Command::SetConfigValue { pointer, value };
            ask(ws, &cmd, v, self.settings.timing.request_timeout).await?;
        }
        Ok(n)
    }

    /// The desk's parameters on CamillaDSP with their values (its ids carry the kinds).
    async fn known(&self) -> Result<Vec<(ParamId, Value)>, SessionEnd> {
        self.link
            .known_params()
            .await
            .map_err(|_| SessionEnd::DeskGone)
    }

    /// The active config's filter definitions; true when they changed (in type).
    async fn read_filters(&mut self, ws: &mut Ws, v: Version) -> Result<bool, SessionEnd> {
        let t = self.settings.timing.request_timeout;
        let reply = ask(ws, &Command::GetConfigJson, v, t).await?;
        let filters: HashMap<String, serde_json::Value> = reply
            .config_json()
            .and_then(|c| c.get("filters").and_then(|f| f.as_object().cloned()))
            .map(|m| m.into_iter().collect())
            .unwrap_or_default();
        // Only a change of type matters (pupitre's own writes change the values).
        let shape = |f: &HashMap<String, serde_json::Value>| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = f
                .iter()
                .map(|(name, def)| {
                    let p = def.get("parameters");
                    let field = |k: &str| p.and_then(|p| p.get(k)).cloned().unwrap_or_default();
                    (
                        name.clone(),
                        format!("{} {} {}", def["type"], field("type"), field("unit")),
                    )
                })
                .collect();
            v.sort();
            v
        };
        let changed = shape(&filters) != shape(&self.filters);
        self.filters = filters;
        Ok(changed)
    }

    /// Tell the desk the range of every known `filter/NAME/PARAM`, from the active config.
    async fn describe_filters(&mut self) -> Result<(), SessionEnd> {
        let known = self.known().await?;
        self.unusable.clear();
        for (p, _) in known {
            self.refine(&p).await?;
        }
        Ok(())
    }

    /// `p` with the kind its filter's type gives (told to the desk when it differs); other
    /// parameters as they are.
    async fn refine(&mut self, p: &ParamId) -> Result<ParamId, SessionEnd> {
        let Some(Feature::Filter { name, field }) = Feature::of(p) else {
            return Ok(p.clone());
        };
        let kind = match self.filters.get(&name) {
            None => Err(format!("the active config has no filter {name:?}")),
            Some(def) => filter_param_kind(def, &field),
        };
        match kind {
            Ok(kind) if kind == p.kind() => Ok(p.clone()),
            Ok(kind) => {
                let refined = p.with_kind(kind);
                debug!(param = %p, range = ?kind, "range from the filter's type");
                self.link
                    .describe(refined.clone())
                    .await
                    .map_err(|_| SessionEnd::DeskGone)?;
                Ok(refined)
            }
            Err(why) => {
                if self.unusable.insert(p.clone()) {
                    warn!(param = %p, %why, "this filter parameter cannot be driven");
                }
                Ok(p.clone())
            }
        }
    }

    async fn read_back(&mut self, ws: &mut Ws, v: Version, p: &ParamId) -> Result<(), SessionEnd> {
        let p = &self.refine(p).await?;
        let Some(cmd) = read_command(p) else {
            return Ok(());
        };
        if self.unusable.contains(p) {
            return Ok(());
        }
        let reply = ask(ws, &cmd, v, self.settings.timing.request_timeout).await?;
        if let Some(value) = reply.value.as_ref().and_then(|j| value_from_json(p, j)) {
            self.link
                .report_resync(p.clone(), value)
                .await
                .map_err(|_| SessionEnd::DeskGone)?;
        } else {
            debug!(param = %p, "no readable value (missing filter?)");
        }
        Ok(())
    }

    /// Check what pupitre wrote is still there; re-apply what a reload or config switch dropped.
    async fn verify(&mut self, ws: &mut Ws, v: Version) -> Result<(), SessionEnd> {
        // A config switch may have changed a filter's type, and so its range.
        if self.read_filters(ws, v).await? {
            info!("CamillaDSP's filters changed; reading their ranges again");
            self.describe_filters().await?;
        }
        let known = self.known().await?;
        let mut repaired = 0;
        // The desk's ids: they carry the kinds the values are on.
        for (p, want) in &known {
            // Mutes are checked through their derived form below.
            if !self.written.contains(p) || matches!(Feature::of(p), Some(Feature::Mute(_))) {
                continue;
            }
            let Some(cmd) = read_command(p) else {
                continue;
            };
            if self.unusable.contains(p) {
                continue;
            }
            let reply = ask(ws, &cmd, v, self.settings.timing.request_timeout).await?;
            let have = reply.value.as_ref().and_then(|j| value_from_json(p, j));
            if have.as_ref() != Some(want) && !self.pending.contains_key(p) {
                self.apply(ws, v, p, want).await?;
                repaired += 1;
            }
        }
        for (pointer, value) in self.mix.derived() {
            let t = self.settings.timing.request_timeout;
            let reply = ask(ws, &Command::GetConfigValue(pointer.clone()), v, t).await?;
            if reply.value.as_ref() != Some(&value) {
                ask(ws, &Command::SetConfigValue { pointer, value }, v, t).await?;
                repaired += 1;
            }
        }
        if repaired > 0 {
            info!(
                repaired,
                "CamillaDSP had lost pupitre's settings (reload or config switch); re-applied"
            );
        }
        Ok(())
    }

    async fn poll_status(
        &mut self,
        ws: &mut Ws,
        v: Version,
        version: &str,
    ) -> Result<(), SessionEnd> {
        let t = self.settings.timing.request_timeout;
        let state = ask(ws, &Command::GetState, v, t).await?;
        let load = ask(ws, &Command::GetProcessingLoad, v, t).await?;
        let clipped = ask(ws, &Command::GetClippedSamples, v, t).await?;
        let rate = ask(ws, &Command::GetCaptureRate, v, t).await?;
        let count = clipped.u64().unwrap_or(0);
        if self.clipped_seen.is_some_and(|before| count > before) {
            if let Ok(mut until) = self.clip_until.lock() {
                *until = Some(std::time::Instant::now() + CLIP_HOLD);
            }
        }
        self.clipped_seen = Some(count);
        let peer = format!(
            "CamillaDSP {version}, {}, load {:.1} %, {} Hz, {} clipped",
            state
                .state()
                .map_or("unknown state".into(), |s| format!("{s:?}")),
            load.f64().unwrap_or(0.0),
            rate.f64().unwrap_or(0.0) as u64,
            clipped.f64().unwrap_or(0.0) as u64,
        );
        self.link.set_status(LinkState::Online, Some(peer));
        self.link.set_dsp_status(DspStatus {
            state: state
                .state()
                .map_or_else(|| "unknown".into(), |s| format!("{s:?}")),
            load_percent: load.f64().unwrap_or(0.0),
            capture_rate_hz: rate.f64().unwrap_or(0.0) as u32,
            clipped_samples: count,
        });
        Ok(())
    }
}
