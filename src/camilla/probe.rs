//! CamillaDSP's latencies: the control round trip (a `GetState` and its reply, timed on a
//! websocket connection of its own), the audio latency its active config gives
//! ([`processing_latency`]), and its playback buffer level read several times.
//!
//! One connection answers in order, so a reply that comes after its request was given up is
//! skipped as *late* when it finally arrives instead of being taken for the next answer.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use thiserror::Error;
use tokio::time::{sleep, sleep_until, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, info};

use super::client::{connect, version, Ws};
use super::protocol::{decode, encode, reply_name, Command, Incoming, Reply, Version};
use crate::latency::{BufferLevel, ProbePlan, ProcessingLatency, ResamplerDelay, RoundTrips};

/// What the probe times, for reports.
pub const PROBE_METHOD: &str = "websocket GetState";

/// How long connecting and the version handshake may take, at least.
const CONNECT_PATIENCE: Duration = Duration::from_secs(2);
/// Buffer level readings taken after the round trips.
const BUFFER_READINGS: usize = 10;
/// Time between two buffer level readings: a few chunks apart, so they sample the cycle.
const BUFFER_READING_EVERY: Duration = Duration::from_millis(50);

/// What CamillaDSP answered.
#[derive(Clone, Debug, PartialEq)]
pub struct CamillaProbe {
    /// Its version string.
    pub version: String,
    /// The `GetState` round trips.
    pub round_trips: RoundTrips,
    /// The latency its active config gives audio, or why it cannot be told.
    pub processing: Result<ProcessingLatency, String>,
    /// Its playback buffer level, read [`BUFFER_READINGS`] times (empty if it would not say).
    pub buffer_level: BufferLevel,
    /// Anything the report should say (a command it lacks, a connection lost midway).
    pub notes: Vec<String>,
}

/// CamillaDSP could not be probed at all.
#[derive(Debug, Error)]
pub enum CamillaProbeError {
    /// No websocket connection, or no answer to `GetVersion`.
    #[error("cannot reach CamillaDSP at {url}: {why}")]
    Unreachable {
        /// Where it was looked for.
        url: String,
        /// What went wrong.
        why: String,
    },
}

/// The active config's `devices` cannot give a latency.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LatencyConfigError {
    /// CamillaDSP runs without a config.
    #[error("CamillaDSP has no active config")]
    NoConfig,
    /// A field is missing or not a positive whole number.
    #[error("the active config's devices.{field} is {found}, expected a positive whole number")]
    BadField {
        /// The field under `devices`.
        field: &'static str,
        /// What is there, as JSON (or "missing").
        found: String,
    },
}

/// Connect to `url`, time `plan.probes` `GetState` round trips, read the active config and the
/// buffer level.
pub async fn probe_latency(url: &str, plan: &ProbePlan) -> Result<CamillaProbe, CamillaProbeError> {
    let unreachable = |why: String| CamillaProbeError::Unreachable {
        url: url.to_owned(),
        why,
    };
    // A TCP connection and the version handshake may take longer than one round trip.
    let patience = plan.timeout.max(CONNECT_PATIENCE);
    let mut ws = timeout_at(Instant::now() + patience, connect(url))
        .await
        .map_err(|_| unreachable(format!("no connection within {patience:?}")))?
        .map_err(|e| unreachable(e.to_string()))?;
    let (v, version_text) = version(&mut ws, patience)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    info!(url, version = %version_text, probes = plan.probes, "probing CamillaDSP");
    let mut link = Link {
        ws,
        version: v,
        timeout: plan.timeout,
        stale: HashMap::new(),
    };
    let mut notes = Vec::new();
    let mut round_trips = RoundTrips::new();
    let mut gone = None;
    for i in 0..plan.probes {
        let sent = Instant::now();
        match link.exchange(&Command::GetState, &mut round_trips).await {
            Ok(Exchange::Answered(at, _)) => {
                round_trips.answered(at.saturating_duration_since(sent))
            }
            Ok(Exchange::TimedOut) => round_trips.lost(),
            Ok(Exchange::Refused(why)) => {
                gone = Some((i, format!("it refused GetState: {why}")));
                break;
            }
            Err(why) => {
                gone = Some((i, why));
                break;
            }
        }
        sleep_until(sent + plan.interval).await;
    }
    if let Some((i, why)) = gone {
        for _ in i..plan.probes {
            round_trips.lost();
        }
        notes.push(format!(
            "connection lost after {i} probes ({why}); the rest count as lost"
        ));
        return Ok(CamillaProbe {
            version: version_text,
            round_trips,
            processing: Err("the connection was lost before the config was read".into()),
            buffer_level: BufferLevel::default(),
            notes,
        });
    }
    let processing = match link.ask(&Command::GetConfigJson).await {
        Ok(Some(reply)) => match reply.config_json() {
            Some(config) => processing_latency(&config).map_err(|e| e.to_string()),
            None => Err("GetConfigJson gave no JSON config".into()),
        },
        Ok(None) => Err("no answer to GetConfigJson".into()),
        Err(why) => Err(format!("GetConfigJson failed: {why}")),
    };
    let mut buffer_level = BufferLevel::default();
    for _ in 0..BUFFER_READINGS {
        match link.ask(&Command::GetBufferLevel).await {
            Ok(Some(reply)) => match reply.u64().and_then(|l| u32::try_from(l).ok()) {
                Some(level) => buffer_level.readings.push(level),
                None => debug!(?reply, "GetBufferLevel gave no level"),
            },
            Ok(None) => {}
            Err(why) => {
                notes.push(format!("no buffer level: {why}"));
                break;
            }
        }
        sleep(BUFFER_READING_EVERY).await;
    }
    Ok(CamillaProbe {
        version: version_text,
        round_trips,
        processing,
        buffer_level,
        notes,
    })
}

/// One connection, in the version's wire format, with the count of replies still owed to
/// requests given up (by reply name).
struct Link {
    ws: Ws,
    version: Version,
    timeout: Duration,
    stale: HashMap<&'static str, u32>,
}

enum Exchange {
    /// The reply, and when it arrived.
    Answered(Instant, Reply),
    /// No reply in time: it is still owed and will be skipped when it comes.
    TimedOut,
    /// `Invalid`: the server does not know the command.
    Refused(String),
}

impl Link {
    /// Send `cmd` and wait for its reply. Err when the connection fails.
    async fn exchange(
        &mut self,
        cmd: &Command,
        round_trips: &mut RoundTrips,
    ) -> Result<Exchange, String> {
        let want = reply_name(cmd);
        let deadline = Instant::now() + self.timeout;
        self.ws
            .send(Message::Text(encode(cmd, self.version).into()))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let msg = match timeout_at(deadline, self.ws.next()).await {
                Err(_elapsed) => {
                    *self.stale.entry(want).or_default() += 1;
                    return Ok(Exchange::TimedOut);
                }
                Ok(None) => return Err("closed by the server".into()),
                Ok(Some(Err(e))) => return Err(e.to_string()),
                Ok(Some(Ok(msg))) => msg,
            };
            let at = Instant::now();
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => return Err("closed by the server".into()),
                _ => continue,
            };
            match decode(&text, self.version) {
                Ok(Incoming::Reply(reply)) => {
                    let owed = self.stale.get_mut(reply.name.as_str()).filter(|n| **n > 0);
                    if let Some(owed) = owed {
                        *owed -= 1;
                        round_trips.late();
                    } else if reply.name == want {
                        return Ok(Exchange::Answered(at, reply));
                    }
                }
                Ok(Incoming::Invalid(why)) => return Ok(Exchange::Refused(why)),
                Ok(Incoming::Event(_)) => {}
                Err(e) => debug!(error = %e, "unreadable text skipped"),
            }
        }
    }

    /// A request outside the timed round trips: its reply, `None` on a timeout, Err when the
    /// server refuses it or the connection fails.
    async fn ask(&mut self, cmd: &Command) -> Result<Option<Reply>, String> {
        let mut untimed = RoundTrips::new();
        match self.exchange(cmd, &mut untimed).await? {
            Exchange::Answered(_, reply) if reply.is_ok() => Ok(Some(reply)),
            Exchange::Answered(_, reply) => Err(format!("{:?}", reply.result)),
            Exchange::TimedOut => Ok(None),
            Exchange::Refused(why) => Err(format!(
                "this CamillaDSP does not know {}: {why}",
                reply_name(cmd)
            )),
        }
    }
}

/// The audio latency a CamillaDSP config gives, from its `devices` section (the JSON of
/// `GetConfigJson`), per the CamillaDSP README's "Devices" section:
///
/// - `chunksize`: "the entire chunk must be captured before processing", so a sample waits
///   up to a chunk for its chunk to fill, and the chunk's first sample a whole one;
/// - `target_level` ("defaults to the `chunksize` value"): "the number of samples that should
///   be left in the buffer of the playback device when the next chunk arrives", so each
///   processed sample then waits that long to be played;
/// - the resampler (null: none): rubato's `output_delay()` is `nbr_points · ratio / 2`
///   output frames, with `ratio = samplerate / capture_samplerate` and `nbr_points` the sinc
///   length for `AsyncSinc` (profiles VeryFast 64, Fast 128, Balanced 192, Accurate 256, from
///   the README's profile table) or the polynomial's points for `AsyncPoly` (Linear 2, Cubic 4,
///   Quintic 6, Septic 8); `Slip` "adds no delay"; `Synchronous` depends on the FFT sizes
///   rubato picks and is reported but not counted.
///
/// Total = chunksize + target_level + resampler delay, in samples at `samplerate`. The capture
/// chunk holds `chunksize · capture_samplerate / samplerate` capture samples, the same time.
/// Sound card and converter buffers come on top and are not in the config.
pub fn processing_latency(config: &Value) -> Result<ProcessingLatency, LatencyConfigError> {
    if config.is_null() {
        return Err(LatencyConfigError::NoConfig);
    }
    let devices = config.get("devices").unwrap_or(&Value::Null);
    let samplerate = positive(devices, "samplerate")?.ok_or_else(|| missing("samplerate"))?;
    let chunksize = positive(devices, "chunksize")?.ok_or_else(|| missing("chunksize"))?;
    let target = positive_or_zero(devices, "target_level")?;
    let capture_samplerate = positive(devices, "capture_samplerate")?.unwrap_or(samplerate);
    let ratio = f64::from(samplerate) / f64::from(capture_samplerate);
    let resampler = resampler_delay(devices.get("resampler").unwrap_or(&Value::Null), ratio);
    Ok(ProcessingLatency {
        samplerate,
        capture_samplerate,
        chunksize,
        target_level: target.unwrap_or(chunksize),
        target_level_is_default: target.is_none(),
        resampler,
    })
}

fn missing(field: &'static str) -> LatencyConfigError {
    LatencyConfigError::BadField {
        field,
        found: "missing".into(),
    }
}

/// `devices.<field>` as a whole number > 0; `None` when absent or null.
fn positive(devices: &Value, field: &'static str) -> Result<Option<u32>, LatencyConfigError> {
    match positive_or_zero(devices, field)? {
        Some(0) => Err(LatencyConfigError::BadField {
            field,
            found: "0".into(),
        }),
        other => Ok(other),
    }
}

/// `devices.<field>` as a whole number ≥ 0; `None` when absent or null.
fn positive_or_zero(
    devices: &Value,
    field: &'static str,
) -> Result<Option<u32>, LatencyConfigError> {
    match devices.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| LatencyConfigError::BadField {
                field,
                found: v.to_string(),
            }),
    }
}

/// The resampler's delay in output samples (see [`processing_latency`]).
fn resampler_delay(resampler: &Value, ratio: f64) -> ResamplerDelay {
    if resampler.is_null() {
        return ResamplerDelay::None;
    }
    let text = |key: &str| resampler.get(key).and_then(Value::as_str);
    let kind = text("type").unwrap_or("unknown");
    let delay = |points: u64| (points as f64 * ratio / 2.0).floor() as u32;
    let known = |name: String, points: u64| ResamplerDelay::Known {
        kind: name,
        samples: delay(points),
    };
    match kind {
        "AsyncSinc" => {
            if let Some(profile) = text("profile") {
                let sinc_len = match profile {
                    "VeryFast" => 64,
                    "Fast" => 128,
                    "Balanced" => 192,
                    "Accurate" => 256,
                    _ => {
                        return ResamplerDelay::Unknown {
                            kind: format!("AsyncSinc {profile}"),
                        }
                    }
                };
                known(format!("AsyncSinc {profile}"), sinc_len)
            } else {
                match resampler.get("sinc_len").and_then(Value::as_u64) {
                    Some(len) => known(format!("AsyncSinc sinc_len {len}"), len),
                    None => ResamplerDelay::Unknown {
                        kind: "AsyncSinc".into(),
                    },
                }
            }
        }
        "AsyncPoly" => {
            let interpolation = text("interpolation").unwrap_or("?");
            let points = match interpolation {
                "Linear" => 2,
                "Cubic" => 4,
                "Quintic" => 6,
                "Septic" => 8,
                _ => {
                    return ResamplerDelay::Unknown {
                        kind: format!("AsyncPoly {interpolation}"),
                    }
                }
            };
            known(format!("AsyncPoly {interpolation}"), points)
        }
        "Slip" => ResamplerDelay::Known {
            kind: "Slip".into(),
            samples: 0,
        },
        other => ResamplerDelay::Unknown {
            kind: other.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_shipped_dummy_config_by_hand() {
        // examples/camilladsp/dummy.yml: 48 kHz, chunks of 1024, no target_level, no
        // resampler → 1024 + 1024 = 2048 samples = 42.667 ms.
        let config = json!({"devices": {"samplerate": 48000, "chunksize": 1024,
            "capture": {"type": "Dummy"}, "playback": {"type": "Dummy"}}});
        let p = processing_latency(&config).unwrap();
        assert_eq!(
            (p.chunksize, p.target_level, p.samplerate),
            (1024, 1024, 48000)
        );
        assert!(p.target_level_is_default);
        assert_eq!(p.resampler, ResamplerDelay::None);
        assert_eq!(p.samples(), 2048);
        assert!((p.millis() - 42.666_666).abs() < 1e-3, "{}", p.millis());
    }

    #[test]
    fn the_readme_example_with_a_balanced_resampler_by_hand() {
        // The README's devices example: 96 kHz, chunksize 2048, target_level 500, capture at
        // 44.1 kHz through AsyncSinc Balanced (sinc_len 192). Ratio 96000/44100 = 2.17687;
        // 192 · 2.17687 / 2 = 208.98 → 208 samples. Total 2048 + 500 + 208 = 2756 samples,
        // 2756 / 96 = 28.708 ms.
        let config = json!({"devices": {"samplerate": 96000, "chunksize": 2048,
            "target_level": 500, "capture_samplerate": 44100,
            "resampler": {"type": "AsyncSinc", "profile": "Balanced"}}});
        let p = processing_latency(&config).unwrap();
        assert!(!p.target_level_is_default);
        assert_eq!(
            p.resampler,
            ResamplerDelay::Known {
                kind: "AsyncSinc Balanced".into(),
                samples: 208
            }
        );
        assert_eq!(p.samples(), 2756);
        assert!((p.millis() - 28.708_333).abs() < 1e-3, "{}", p.millis());
    }

    #[test]
    fn a_pi_at_44k1_with_a_poly_resampler_for_drift_by_hand() {
        // 44.1 kHz, chunks of 256, target_level 128, AsyncPoly Cubic at ratio 1 (rate
        // matching only): 4 · 1 / 2 = 2. Total 256 + 128 + 2 = 386 samples = 8.753 ms.
        let config = json!({"devices": {"samplerate": 44100, "chunksize": 256,
            "target_level": 128, "capture_samplerate": null,
            "resampler": {"type": "AsyncPoly", "interpolation": "Cubic"}}});
        let p = processing_latency(&config).unwrap();
        assert_eq!(p.capture_samplerate, 44100);
        assert_eq!(p.samples(), 386);
        assert!((p.millis() - 8.752_834).abs() < 1e-3, "{}", p.millis());
    }

    #[test]
    fn other_resamplers() {
        let at = |r: Value| {
            processing_latency(&json!({"devices": {"samplerate": 48000, "chunksize": 1024,
                "resampler": r}}))
            .unwrap()
            .resampler
        };
        assert_eq!(
            at(json!({"type": "Slip"})),
            ResamplerDelay::Known {
                kind: "Slip".into(),
                samples: 0
            }
        );
        assert_eq!(
            at(json!({"type": "AsyncSinc", "sinc_len": 128, "oversampling_factor": 256})),
            ResamplerDelay::Known {
                kind: "AsyncSinc sinc_len 128".into(),
                samples: 64
            }
        );
        assert_eq!(
            at(json!({"type": "Synchronous"})),
            ResamplerDelay::Unknown {
                kind: "Synchronous".into()
            }
        );
        assert!(matches!(
            at(json!({"type": "AsyncPoly", "interpolation": "Nearest"})),
            ResamplerDelay::Unknown { .. }
        ));
    }

    #[test]
    fn unusable_configs_say_which_field() {
        assert_eq!(
            processing_latency(&Value::Null),
            Err(LatencyConfigError::NoConfig)
        );
        let err = processing_latency(&json!({"devices": {"samplerate": 48000}})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the active config's devices.chunksize is missing, expected a positive whole number"
        );
        let err = processing_latency(&json!({"devices": {"samplerate": 0, "chunksize": 64}}))
            .unwrap_err();
        assert!(err.to_string().contains("devices.samplerate is 0"), "{err}");
        let err = processing_latency(
            &json!({"devices": {"samplerate": 48000, "chunksize": 64, "target_level": -5}}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("devices.target_level is -5"),
            "{err}"
        );
        // A target level of 0 is allowed (tiny-latency setups): only the chunk remains.
        let p = processing_latency(
            &json!({"devices": {"samplerate": 48000, "chunksize": 64, "target_level": 0}}),
        )
        .unwrap();
        assert_eq!(p.samples(), 64);
    }

    proptest! {
        #[test]
        fn any_json_gives_a_latency_or_an_error(
            samplerate in proptest::option::of(-10i64..400_000),
            chunksize in proptest::option::of(-10i64..70_000),
            target in proptest::option::of(-10i64..300_000),
            capture in proptest::option::of(-10i64..400_000),
            kind in "(AsyncSinc|AsyncPoly|Slip|Synchronous|[a-z]{0,5})",
            detail in "(VeryFast|Fast|Balanced|Accurate|Linear|Cubic|Quintic|Septic|[a-z]{0,4})",
        ) {
            let config = json!({"devices": {"samplerate": samplerate, "chunksize": chunksize,
                "target_level": target, "capture_samplerate": capture,
                "resampler": {"type": kind, "profile": detail, "interpolation": detail}}});
            if let Ok(p) = processing_latency(&config) {
                prop_assert!(p.samplerate > 0 && p.chunksize > 0 && p.capture_samplerate > 0);
                prop_assert!(p.samples() >= u64::from(p.chunksize) + u64::from(p.target_level));
                prop_assert!(p.millis().is_finite() && p.millis() > 0.0);
            }
        }
    }
}
