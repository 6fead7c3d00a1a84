//! The CamillaDSP websocket protocol in both wire formats, as text in and text out, with no I/O
//! (`camilladsp.md` §4). Its quirks live here:
//!
//! - **v5** requests are objects `{"command":Name, ...named fields}`; replies are
//!   `{"reply":Name,"result":"Ok"|ErrorKind,"value"?,"message"?}`;
//! - **v4 and v3** requests are a bare string `"Name"` or `{Name: arg}` with a positional argument
//!   (`{"SetFaderVolume":[1,-6.0]}`, `{"SetConfigValue":["/ptr",v]}`); replies are
//!   `{Name:{"result":..,"value"?}}`, and an error with a message is a one-key object,
//!   `{"result":{"ConfigValidationError":"msg"}}`;
//! - input the server does not understand is answered `{"reply":"Invalid","error":..}` (v5) or
//!   `{"Invalid":{"error":..}}` (v4) and the connection stays open; that is how [`detect_version`]
//!   tells them apart;
//! - `GetConfigJson`'s value is a JSON *string* holding the config: [`Reply::config_json`] parses
//!   it a second time (`"null"` when CamillaDSP started without a config);
//! - silence is −200 dBFS in v5 and −1000 in v4; levels are kept as sent and
//!   [`Levels::is_silence`] reads both;
//! - v3 has no `PatchConfig`, `GetConfigValue` or `SetConfigValue`, and only v5 streams events
//!   ([`Command::supported_by`]); v4 applies `SetConfigValue` asynchronously, so read-after-write
//!   may see the old value: keep the state yourself.
//!
//! Hand-written on `serde_json` rather than on `camilladsp-schema`: that crate needs Rust 1.90
//! (we build with 1.85), pulls audio and YAML crates (`audioadapter`, `waveadapter`,
//! `yaml_serde`, `parking_lot`) and is a pinned beta, while the v4 side has to be hand-written
//! anyway, so one small layer serves both formats.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use thiserror::Error;

/// The longest excerpt of offending text an error carries, in characters.
const EXCERPT_CHARS: usize = 120;

/// Levels at or below this are "no signal": v5 sends −200 dBFS, v4 −1000.
const SILENCE_DB: f64 = -199.0;

/// Which wire format and command set a CamillaDSP speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// 5.x: object requests, `reply` replies, event streams.
    V5,
    /// 4.x: string or one-key requests, one-key replies, config values and patches.
    V4,
    /// 2.x and 3.x: the v4 wire format without `PatchConfig`/`GetConfigValue`/`SetConfigValue`.
    V3,
}

impl Version {
    /// Whether `PatchConfig`, `GetConfigValue` and `SetConfigValue` exist (v4 and later).
    pub fn has_config_values(self) -> bool {
        !matches!(self, Version::V3)
    }

    /// Whether subscriptions (`SubscribeVuLevels`, events) exist (v5 only).
    pub fn has_streaming(self) -> bool {
        matches!(self, Version::V5)
    }
}

/// What pupitre sends to CamillaDSP.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// The server version, e.g. `"5.0.0-beta.1"`.
    GetVersion,
    /// The processing state ([`ProcessingState`]).
    GetState,
    /// Why processing last stopped (`"None"` while running).
    GetStopReason,
    /// DSP load in percent.
    GetProcessingLoad,
    /// Samples clipped since start.
    GetClippedSamples,
    /// Measured capture sample rate in Hz.
    GetCaptureRate,
    /// Samples in the playback device's buffer now (what `target_level` aims at).
    GetBufferLevel,
    /// Main fader volume in dB.
    GetVolume,
    /// Set the Main fader volume in dB.
    SetVolume(f64),
    /// Main fader mute.
    GetMute,
    /// Set the Main fader mute.
    SetMute(bool),
    /// Volume and mute of all five faders (Main, Aux1–Aux4).
    GetFaders,
    /// Set one fader's volume (0 = Main, 1–4 = Aux1–Aux4).
    SetFaderVolume {
        /// Fader index.
        fader: u8,
        /// Volume in dB.
        db: f64,
    },
    /// Set one fader's mute.
    SetFaderMute {
        /// Fader index.
        fader: u8,
        /// Muted or not.
        mute: bool,
    },
    /// RMS and peak levels over the last chunk.
    GetSignalLevels,
    /// RMS and peak levels over the given number of seconds (the v4 way to meter).
    GetSignalLevelsSince(f64),
    /// The active config as a JSON string.
    GetConfigJson,
    /// Replace the config with this JSON text.
    SetConfigJson(String),
    /// One config value by JSON pointer (v4+).
    GetConfigValue(String),
    /// Set one config value by JSON pointer (v4+).
    SetConfigValue {
        /// JSON pointer, e.g. `/filters/Bass/parameters/gain`.
        pointer: String,
        /// The new value.
        value: Value,
    },
    /// Merge this object into the config, RFC 7386 (v4+): lists are replaced whole.
    PatchConfig(Value),
    /// Stream smoothed VU levels on this connection (v5 only).
    SubscribeVuLevels {
        /// Most events per second.
        max_rate: f64,
        /// Attack time in ms.
        attack: f64,
        /// Release time in ms.
        release: f64,
    },
    /// End a subscription; the only command a streaming connection accepts.
    StopSubscription,
    /// Re-read the config file (patches are dropped).
    Reload,
}

impl Command {
    /// Whether a server of this version knows the command; others are answered `Invalid`.
    pub fn supported_by(&self, v: Version) -> bool {
        match self {
            Command::GetConfigValue(_)
            | Command::SetConfigValue { .. }
            | Command::PatchConfig(_) => v.has_config_values(),
            Command::SubscribeVuLevels { .. } | Command::StopSubscription => v.has_streaming(),
            _ => true,
        }
    }
}

/// The request text for `cmd` in the wire format of `v`.
///
/// Non-finite numbers are sent as `null` (JSON has no NaN), which the server rejects. Commands
/// the version lacks ([`Command::supported_by`]) are encoded in its format all the same.
pub fn encode(cmd: &Command, v: Version) -> String {
    let (name, args) = parts(cmd);
    match v {
        Version::V5 => {
            let mut out = format!("{{\"command\":\"{name}\"");
            for (key, text) in args.named {
                out.push_str(&format!(",\"{key}\":{text}"));
            }
            out.push('}');
            out
        }
        Version::V4 | Version::V3 => match args.positional {
            None => format!("\"{name}\""),
            Some(arg) => format!("{{\"{name}\":{arg}}}"),
        },
    }
}

/// The reply name a command's answer carries (`"SetFaderVolume"`, …): for matching replies to
/// requests. It is also the command name in both formats.
pub fn reply_name(cmd: &Command) -> &'static str {
    parts(cmd).0
}

/// A command's arguments as JSON texts: v5 names each field, v4 takes one positional value.
struct Args {
    named: Vec<(&'static str, String)>,
    positional: Option<String>,
}

impl Args {
    fn none() -> Self {
        Args {
            named: Vec::new(),
            positional: None,
        }
    }

    /// The common case: v5 `"value": x`, v4 `{Name: x}`.
    fn value(text: String) -> Self {
        Args {
            named: vec![("value", text.clone())],
            positional: Some(text),
        }
    }
}

fn num(x: f64) -> String {
    Value::from(x).to_string()
}

fn text(s: &str) -> String {
    Value::from(s).to_string()
}

fn parts(cmd: &Command) -> (&'static str, Args) {
    match cmd {
        Command::GetVersion => ("GetVersion", Args::none()),
        Command::GetState => ("GetState", Args::none()),
        Command::GetStopReason => ("GetStopReason", Args::none()),
        Command::GetProcessingLoad => ("GetProcessingLoad", Args::none()),
        Command::GetClippedSamples => ("GetClippedSamples", Args::none()),
        Command::GetCaptureRate => ("GetCaptureRate", Args::none()),
        Command::GetBufferLevel => ("GetBufferLevel", Args::none()),
        Command::GetVolume => ("GetVolume", Args::none()),
        Command::SetVolume(db) => ("SetVolume", Args::value(num(*db))),
        Command::GetMute => ("GetMute", Args::none()),
        Command::SetMute(mute) => ("SetMute", Args::value(mute.to_string())),
        Command::GetFaders => ("GetFaders", Args::none()),
        Command::SetFaderVolume { fader, db } => ("SetFaderVolume", fader_args(*fader, num(*db))),
        Command::SetFaderMute { fader, mute } => {
            ("SetFaderMute", fader_args(*fader, mute.to_string()))
        }
        Command::GetSignalLevels => ("GetSignalLevels", Args::none()),
        Command::GetSignalLevelsSince(s) => ("GetSignalLevelsSince", Args::value(num(*s))),
        Command::GetConfigJson => ("GetConfigJson", Args::none()),
        Command::SetConfigJson(json) => ("SetConfigJson", Args::value(text(json))),
        Command::GetConfigValue(pointer) => ("GetConfigValue", Args::value(text(pointer))),
        Command::SetConfigValue { pointer, value } => (
            "SetConfigValue",
            Args {
                named: vec![("pointer", text(pointer)), ("value", value.to_string())],
                positional: Some(format!("[{},{value}]", text(pointer))),
            },
        ),
        Command::PatchConfig(patch) => ("PatchConfig", Args::value(patch.to_string())),
        Command::SubscribeVuLevels {
            max_rate,
            attack,
            release,
        } => (
            "SubscribeVuLevels",
            Args::value(format!(
                "{{\"max_rate\":{},\"attack\":{},\"release\":{}}}",
                num(*max_rate),
                num(*attack),
                num(*release)
            )),
        ),
        Command::StopSubscription => ("StopSubscription", Args::none()),
        Command::Reload => ("Reload", Args::none()),
    }
}

/// v5 `"fader": n, "value": x`; v4 `[n, x]`.
fn fader_args(fader: u8, value: String) -> Args {
    Args {
        positional: Some(format!("[{fader},{value}]")),
        named: vec![("fader", fader.to_string()), ("value", value)],
    }
}

/// Text from CamillaDSP that is not a reply, event or `Invalid` in the expected format.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// Not JSON at all (truncated, empty, nested too deeply, a number out of range).
    #[error("not JSON: `{0}`")]
    NotJson(String),
    /// JSON, but not shaped like a reply: what was expected, then an excerpt of the text.
    #[error("unexpected reply shape: {0}")]
    UnexpectedShape(String),
}

/// At most [`EXCERPT_CHARS`] characters of `text`, cut on a character boundary.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(EXCERPT_CHARS - 1).collect();
        out.push('…');
        out
    }
}

fn shape(expected: &str, text: &str) -> ProtocolError {
    ProtocolError::UnexpectedShape(format!("expected {expected} in `{}`", excerpt(text)))
}

/// One message from CamillaDSP.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// The answer to a request (or a reply name this layer does not know, kept as is).
    Reply(Reply),
    /// A streamed event (v5 subscriptions).
    Event(Event),
    /// The server did not understand a request; its error text.
    Invalid(String),
}

/// A streamed event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `VuLevelsEvent`, after `SubscribeVuLevels`.
    VuLevels(Levels),
    /// `StateEvent`, after `SubscribeState`.
    State {
        /// The new state.
        state: ProcessingState,
        /// As sent (`"None"`, `"Done"`, `"CaptureError: …"`); absent while not inactive.
        stop_reason: Option<String>,
    },
}

/// Whether a request succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `"result":"Ok"`.
    Ok,
    /// Any other result.
    Error {
        /// The error name: `ConfigValidationError`, `InvalidFaderError`,
        /// `RateLimitExceededError`, …
        kind: String,
        /// Its message, when the server gave one.
        message: Option<String>,
    },
}

/// The answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The reply name, equal to the command name ([`reply_name`]).
    pub name: String,
    /// Success or the error.
    pub result: Outcome,
    /// The value, untyped; read it with the typed accessors.
    pub value: Option<Value>,
}

impl Reply {
    /// Whether the result is `Ok`.
    pub fn is_ok(&self) -> bool {
        self.result == Outcome::Ok
    }

    /// A number (volume, load, levels-since seconds…).
    pub fn f64(&self) -> Option<f64> {
        self.value.as_ref()?.as_f64()
    }

    /// A non-negative integer (capture rate, clipped samples).
    pub fn u64(&self) -> Option<u64> {
        self.value.as_ref()?.as_u64()
    }

    /// A boolean (mute).
    pub fn bool(&self) -> Option<bool> {
        self.value.as_ref()?.as_bool()
    }

    /// A string (version, stop reason, config title).
    pub fn str(&self) -> Option<&str> {
        self.value.as_ref()?.as_str()
    }

    /// `GetState`'s value.
    pub fn state(&self) -> Option<ProcessingState> {
        self.str()?.parse().ok()
    }

    /// `GetStopReason`'s value as text: `"None"`, `"Done"`, or `"CaptureError: msg"` for the
    /// one-key object form.
    pub fn stop_reason(&self) -> Option<String> {
        stop_reason_text(self.value.as_ref()?)
    }

    /// `GetSignalLevels*`'s value.
    pub fn levels(&self) -> Option<Levels> {
        Levels::from_value(self.value.as_ref()?)
    }

    /// A fader and its volume, `[1,-7.5]` (`GetFaderVolume`, `AdjustFaderVolume`).
    pub fn fader_pair(&self) -> Option<(u8, f64)> {
        let (fader, v) = self.pair()?;
        Some((fader, v.as_f64()?))
    }

    /// A fader and its mute, `[2,true]` (`SetFaderMute`, `GetFaderMute`, `ToggleFaderMute`).
    pub fn fader_mute_pair(&self) -> Option<(u8, bool)> {
        let (fader, v) = self.pair()?;
        Some((fader, v.as_bool()?))
    }

    fn pair(&self) -> Option<(u8, &Value)> {
        match self.value.as_ref()?.as_array()?.as_slice() {
            [fader, v] => Some((u8::try_from(fader.as_u64()?).ok()?, v)),
            _ => None,
        }
    }

    /// `GetFaders`: `(volume dB, mute)` for Main, Aux1–Aux4 in order.
    pub fn faders(&self) -> Option<Vec<(f64, bool)>> {
        self.value
            .as_ref()?
            .as_array()?
            .iter()
            .map(|f| Some((f.get("volume")?.as_f64()?, f.get("mute")?.as_bool()?)))
            .collect()
    }

    /// `GetConfigJson`'s value, a JSON string, parsed a second time. `Some(Value::Null)` means
    /// CamillaDSP has no config.
    pub fn config_json(&self) -> Option<Value> {
        serde_json::from_str(self.str()?).ok()
    }
}

/// The processing state, by its wire name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessingState {
    /// Processing audio.
    Running,
    /// Paused because the input is silent.
    Paused,
    /// Stopped, devices closed, waiting for a config.
    Inactive,
    /// Opening devices.
    Starting,
    /// The capture device gives no data.
    Stalled,
}

impl ProcessingState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingState::Running => "Running",
            ProcessingState::Paused => "Paused",
            ProcessingState::Inactive => "Inactive",
            ProcessingState::Starting => "Starting",
            ProcessingState::Stalled => "Stalled",
        }
    }
}

impl fmt::Display for ProcessingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProcessingState {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, ProtocolError> {
        Ok(match s {
            "Running" => ProcessingState::Running,
            "Paused" => ProcessingState::Paused,
            "Inactive" => ProcessingState::Inactive,
            "Starting" => ProcessingState::Starting,
            "Stalled" => ProcessingState::Stalled,
            _ => return Err(shape("a processing state", s)),
        })
    }
}

/// Signal levels per channel in dBFS, silence floors left as sent (see [`Levels::is_silence`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Levels {
    /// Capture RMS per channel.
    pub capture_rms: Vec<f64>,
    /// Capture peak per channel.
    pub capture_peak: Vec<f64>,
    /// Playback RMS per channel.
    pub playback_rms: Vec<f64>,
    /// Playback peak per channel.
    pub playback_peak: Vec<f64>,
}

impl Levels {
    /// Whether a level means "no signal": v5 sends −200 dBFS, v4 −1000; anything at or below
    /// −199 counts.
    pub fn is_silence(db: f64) -> bool {
        db <= SILENCE_DB
    }

    /// The four lists from a `GetSignalLevels` value or a `VuLevelsEvent`; `None` if one is
    /// missing or holds a non-number.
    pub fn from_value(v: &Value) -> Option<Levels> {
        let list = |key: &str| -> Option<Vec<f64>> {
            v.get(key)?.as_array()?.iter().map(Value::as_f64).collect()
        };
        Some(Levels {
            capture_rms: list("capture_rms")?,
            capture_peak: list("capture_peak")?,
            playback_rms: list("playback_rms")?,
            playback_peak: list("playback_peak")?,
        })
    }
}

/// `"None"` as is; the one-key form `{"CaptureError":"msg"}` as `"CaptureError: msg"`.
fn stop_reason_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) if o.len() == 1 => {
            let (kind, detail) = o.iter().next()?;
            Some(format!("{kind}: {}", message_text(detail)))
        }
        _ => None,
    }
}

/// A message or error text: a string as is, anything else as its JSON.
fn message_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One message from a server speaking `v`.
///
/// Unknown reply names are kept as a [`Reply`]; a value of the wrong type is kept too, and the
/// typed accessor returns `None`. Only text that is not a reply at all is an error.
pub fn decode(text: &str, v: Version) -> Result<Incoming, ProtocolError> {
    let json: Value =
        serde_json::from_str(text).map_err(|_| ProtocolError::NotJson(excerpt(text)))?;
    let Value::Object(map) = json else {
        return Err(shape("a JSON object", text));
    };
    match v {
        Version::V5 => decode_v5(map, text),
        Version::V4 | Version::V3 => decode_v4(map, text),
    }
}

/// `{"reply":Name,"result":..,"value"?,"message"?}` or `{"reply":"Invalid","error":..}`.
fn decode_v5(mut map: Map<String, Value>, text: &str) -> Result<Incoming, ProtocolError> {
    let name = match map.remove("reply") {
        Some(Value::String(name)) => name,
        _ => return Err(shape("a string \"reply\"", text)),
    };
    if name == "Invalid" {
        let error = map.get("error").map(message_text).unwrap_or_default();
        return Ok(Incoming::Invalid(error));
    }
    let result = match map.get("result") {
        Some(Value::String(kind)) if kind == "Ok" => Outcome::Ok,
        Some(Value::String(kind)) => Outcome::Error {
            kind: kind.clone(),
            message: map.get("message").map(message_text),
        },
        Some(result @ Value::Object(_)) => v4_error(result, text)?,
        _ => return Err(shape("a \"result\"", text)),
    };
    reply_or_event(name, result, map.remove("value"), text)
}

/// `{Name:{"result":..,"value"?}}` or `{"Invalid":{"error":..}}`.
fn decode_v4(map: Map<String, Value>, text: &str) -> Result<Incoming, ProtocolError> {
    let mut entries = map.into_iter();
    let (Some((name, body)), None) = (entries.next(), entries.next()) else {
        return Err(shape("an object with one key", text));
    };
    if name == "Invalid" {
        let error = match &body {
            Value::Object(o) => o.get("error").map(message_text).unwrap_or_default(),
            other => message_text(other),
        };
        return Ok(Incoming::Invalid(error));
    }
    let Value::Object(mut body) = body else {
        return Err(shape("{Name:{\"result\":..}}", text));
    };
    let result = match body.get("result") {
        Some(Value::String(kind)) if kind == "Ok" => Outcome::Ok,
        Some(Value::String(kind)) => Outcome::Error {
            kind: kind.clone(),
            message: None,
        },
        Some(result @ Value::Object(_)) => v4_error(result, text)?,
        _ => return Err(shape("a \"result\"", text)),
    };
    reply_or_event(name, result, body.remove("value"), text)
}

/// The v4 error with a message: `{"ConfigValidationError":"msg"}`.
fn v4_error(result: &Value, text: &str) -> Result<Outcome, ProtocolError> {
    match result
        .as_object()
        .map(|o| o.iter().collect::<Vec<_>>())
        .as_deref()
    {
        Some([(kind, message)]) => Ok(Outcome::Error {
            kind: (*kind).clone(),
            message: Some(message_text(message)),
        }),
        _ => Err(shape("a one-key error \"result\"", text)),
    }
}

fn reply_or_event(
    name: String,
    result: Outcome,
    value: Option<Value>,
    text: &str,
) -> Result<Incoming, ProtocolError> {
    if result == Outcome::Ok {
        match name.as_str() {
            "VuLevelsEvent" => {
                let levels = value.as_ref().and_then(Levels::from_value);
                let levels = levels.ok_or_else(|| shape("four level lists", text))?;
                return Ok(Incoming::Event(Event::VuLevels(levels)));
            }
            "StateEvent" => return state_event(value.as_ref(), text).map(Incoming::Event),
            _ => {}
        }
    }
    Ok(Incoming::Reply(Reply {
        name,
        result,
        value,
    }))
}

/// `{"state":"Inactive","stop_reason":"None"}`, `stop_reason` optional.
fn state_event(value: Option<&Value>, text: &str) -> Result<Event, ProtocolError> {
    let state = value
        .and_then(|v| v.get("state"))
        .and_then(Value::as_str)
        .ok_or_else(|| shape("a \"state\"", text))?
        .parse()?;
    let stop_reason = value
        .and_then(|v| v.get("stop_reason"))
        .and_then(stop_reason_text);
    Ok(Event::State { state, stop_reason })
}

/// What the answer to a v5 `{"command":"GetVersion"}` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detect {
    /// A v5 server, with its version string.
    V5(String),
    /// `{"Invalid":..}`: v4 or older. Resend `"GetVersion"` in the v4 format, decode the
    /// answer with [`Version::V4`] and pass [`Reply::str`] to [`parse_version`].
    AskV4,
    /// Neither: an excerpt of the text.
    Unrecognized(String),
}

/// Tell v5 from older servers by their answer to `{"command":"GetVersion"}` (`camilladsp.md`
/// §4 "Version detection"): a `reply` key means v5, `{"Invalid":..}` means v4 or older.
pub fn detect_version(first_reply_to_v5_getversion: &str) -> Detect {
    let text = first_reply_to_v5_getversion;
    match decode(text, Version::V5) {
        Ok(Incoming::Reply(reply)) if reply.name == "GetVersion" && reply.is_ok() => {
            match reply.str() {
                Some(version) => Detect::V5(version.to_owned()),
                None => Detect::Unrecognized(excerpt(text)),
            }
        }
        _ => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(o)) if o.contains_key("Invalid") => Detect::AskV4,
            _ => Detect::Unrecognized(excerpt(text)),
        },
    }
}

/// The wire format and command set of a version string: 5 and later → V5, 4 → V4, 2 and 3 →
/// V3 (same wire format, same missing commands); older or unreadable → `None`.
pub fn parse_version(version: &str) -> Option<Version> {
    let major: u32 = version.trim().split(['.', '-']).next()?.parse().ok()?;
    match major {
        5.. => Some(Version::V5),
        4 => Some(Version::V4),
        2 | 3 => Some(Version::V3),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
