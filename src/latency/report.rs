//! The report of a `pupitre latency` run: one row per link, CamillaDSP's processing latency
//! below, as a table for people ([`fmt::Display`]) or JSON for scripts ([`LatencyReport::to_json`]).

use std::fmt;

use serde::{Serialize, Serializer};

use super::stats::{as_millis, ProbePlan, RttSummary};

/// What kind of link a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    /// A Behringer X32 over OSC/UDP.
    X32,
    /// CamillaDSP over its websocket.
    Camilla,
    /// A MIDI controller (system port or network MIDI).
    Midi,
}

/// One measured (or skipped, or failed) link.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkReport {
    /// `x32`, `camilla`, or the surface's name.
    pub name: String,
    /// What it is.
    pub kind: LinkKind,
    /// Where it was reached: an address, a URL, a port pattern.
    pub target: String,
    /// What was timed, e.g. `OSC get /ch/NN/mix/fader`.
    pub method: String,
    /// What came of it.
    #[serde(flatten)]
    pub outcome: LinkOutcome,
}

/// What came of probing a link.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum LinkOutcome {
    /// Probes were sent (some may be lost).
    Measured(Measured),
    /// The link could not be probed at all (no connection, no such port).
    Failed {
        /// Why, in a sentence.
        error: String,
    },
    /// Not probed, on purpose.
    Skipped {
        /// Why, in a sentence.
        reason: String,
    },
}

/// The figures of a link that answered (or at least was reachable).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// What answered, as it describes itself (`X32 4.06`, `CamillaDSP 5.0.0-beta.1`, an
    /// identity reply), when it did.
    pub peer: Option<String>,
    /// Counts and percentiles.
    #[serde(flatten)]
    pub rtt: RttSummary,
    /// CamillaDSP only: the latency its config gives audio.
    pub processing: Option<ProcessingLatency>,
    /// CamillaDSP only: its playback buffer level, read several times.
    pub buffer_level: Option<BufferLevel>,
    /// Anything a reader should know (a command the server lacks, a hint when all was lost).
    pub notes: Vec<String>,
}

/// Audio latency from a DSP's chunked processing: a whole chunk is captured before it is
/// processed, and the playback buffer holds `target_level` samples when the chunk lands, so
/// every sample leaves `chunksize + target_level` samples (plus the resampler's delay) after
/// it came in. Sound card and converter buffers come on top.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessingLatency {
    /// Processing and playback rate, Hz.
    pub samplerate: u32,
    /// Capture rate, Hz (equal to `samplerate` without resampling).
    pub capture_samplerate: u32,
    /// Samples per chunk, at `samplerate`.
    pub chunksize: u32,
    /// Samples left in the playback buffer when a chunk arrives.
    pub target_level: u32,
    /// Whether `target_level` was absent from the config and is the default (the chunk size).
    pub target_level_is_default: bool,
    /// What the resampler adds.
    pub resampler: ResamplerDelay,
}

/// The delay a resampler adds, in samples at the processing rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResamplerDelay {
    /// No resampler configured.
    None,
    /// This many samples, for this resampler.
    Known {
        /// The resampler as configured, e.g. `AsyncSinc Balanced`.
        kind: String,
        /// Its delay.
        samples: u32,
    },
    /// A resampler whose delay is not computed here; the total leaves it out.
    Unknown {
        /// The resampler as configured.
        kind: String,
    },
}

impl ResamplerDelay {
    /// The delay counted in the total (0 when none or unknown).
    pub fn samples(&self) -> u32 {
        match self {
            ResamplerDelay::Known { samples, .. } => *samples,
            ResamplerDelay::None | ResamplerDelay::Unknown { .. } => 0,
        }
    }
}

impl fmt::Display for ResamplerDelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResamplerDelay::None => f.write_str("no resampler"),
            ResamplerDelay::Known { kind, samples } => write!(f, "{kind} resampler {samples}"),
            ResamplerDelay::Unknown { kind } => write!(f, "{kind} resampler (not counted)"),
        }
    }
}

impl ProcessingLatency {
    /// Chunk + target level + resampler, in samples at `samplerate`.
    pub fn samples(&self) -> u64 {
        u64::from(self.chunksize)
            + u64::from(self.target_level)
            + u64::from(self.resampler.samples())
    }

    /// [`ProcessingLatency::samples`] in milliseconds.
    pub fn millis(&self) -> f64 {
        self.samples_to_millis(self.samples() as f64)
    }

    /// The latency with the playback buffer at `level` samples instead of the target: what the
    /// audio goes through now, from a measured buffer level.
    pub fn millis_at_level(&self, level: f64) -> f64 {
        let samples =
            f64::from(self.chunksize) + level.max(0.0) + f64::from(self.resampler.samples());
        self.samples_to_millis(samples)
    }

    fn samples_to_millis(&self, samples: f64) -> f64 {
        if self.samplerate == 0 {
            return 0.0;
        }
        samples * 1000.0 / f64::from(self.samplerate)
    }
}

impl Serialize for ProcessingLatency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            samplerate: u32,
            capture_samplerate: u32,
            chunksize: u32,
            target_level: u32,
            target_level_is_default: bool,
            resampler: Option<&'a str>,
            resampler_samples: Option<u32>,
            total_samples: u64,
            total_ms: f64,
        }
        let (resampler, resampler_samples) = match &self.resampler {
            ResamplerDelay::None => (None, Some(0)),
            ResamplerDelay::Known { kind, samples } => (Some(kind.as_str()), Some(*samples)),
            ResamplerDelay::Unknown { kind } => (Some(kind.as_str()), None),
        };
        View {
            samplerate: self.samplerate,
            capture_samplerate: self.capture_samplerate,
            chunksize: self.chunksize,
            target_level: self.target_level,
            target_level_is_default: self.target_level_is_default,
            resampler,
            resampler_samples,
            total_samples: self.samples(),
            total_ms: round_micros(self.millis()),
        }
        .serialize(s)
    }
}

/// Playback buffer levels read one after the other, in samples.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BufferLevel {
    /// The readings, in the order read.
    pub readings: Vec<u32>,
}

impl BufferLevel {
    /// Lowest reading.
    pub fn min(&self) -> Option<u32> {
        self.readings.iter().copied().min()
    }

    /// Highest reading.
    pub fn max(&self) -> Option<u32> {
        self.readings.iter().copied().max()
    }

    /// Mean reading.
    pub fn mean(&self) -> Option<f64> {
        if self.readings.is_empty() {
            return None;
        }
        let sum: f64 = self.readings.iter().map(|&r| f64::from(r)).sum();
        Some(sum / self.readings.len() as f64)
    }
}

/// Every link of one run, with the plan they were probed by.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyReport {
    /// How each link was probed.
    pub plan: ProbePlan,
    /// One entry per link, in the order probed.
    pub links: Vec<LinkReport>,
}

impl LatencyReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Whether any link could not be probed or lost every probe.
    pub fn any_unreachable(&self) -> bool {
        self.links.iter().any(|l| match &l.outcome {
            LinkOutcome::Failed { .. } => true,
            LinkOutcome::Measured(m) => m.rtt.answered == 0,
            LinkOutcome::Skipped { .. } => false,
        })
    }
}

fn round_micros(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}

fn ms(d: std::time::Duration) -> String {
    format!("{:.3}", as_millis(d))
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = &self.plan;
        writeln!(
            f,
            "round trips: {} probes per link, one every {} ms at most, lost after {} ms",
            plan.probes,
            as_millis(plan.interval),
            as_millis(plan.timeout)
        )?;
        writeln!(f)?;
        let name_w = self
            .links
            .iter()
            .map(|l| l.name.chars().count())
            .chain([4])
            .max()
            .unwrap_or(4);
        let method_w = self
            .links
            .iter()
            .map(|l| l.method.chars().count())
            .chain([6])
            .max()
            .unwrap_or(6);
        writeln!(
            f,
            "{:<name_w$}  {:<method_w$}  {:>5} {:>5}  {:>8} {:>8} {:>8} {:>8} {:>8}",
            "link", "method", "sent", "lost", "min ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
        )?;
        for link in &self.links {
            write!(f, "{:<name_w$}  {:<method_w$}  ", link.name, link.method)?;
            match &link.outcome {
                LinkOutcome::Measured(m) => {
                    write!(f, "{:>5} {:>5}  ", m.rtt.sent, m.rtt.lost)?;
                    match &m.rtt.rtt {
                        Some(p) => writeln!(
                            f,
                            "{:>8} {:>8} {:>8} {:>8} {:>8}",
                            ms(p.min),
                            ms(p.p50),
                            ms(p.p95),
                            ms(p.p99),
                            ms(p.max)
                        )?,
                        None => writeln!(f, "no answer")?,
                    }
                }
                LinkOutcome::Failed { error } => writeln!(f, "failed: {error}")?,
                LinkOutcome::Skipped { reason } => writeln!(f, "skipped: {reason}")?,
            }
        }
        for link in &self.links {
            let LinkOutcome::Measured(m) = &link.outcome else {
                continue;
            };
            let peer = m.peer.as_deref().unwrap_or("no self-description");
            writeln!(f)?;
            writeln!(f, "{} ({}): {peer}", link.name, link.target)?;
            if m.rtt.late > 0 {
                writeln!(
                    f,
                    "  {} answers came after their probe was counted lost",
                    m.rtt.late
                )?;
            }
            if let Some(p) = &m.processing {
                let default = if p.target_level_is_default {
                    " (default: the chunk size)"
                } else {
                    ""
                };
                writeln!(
                    f,
                    "  processing latency: chunk {} + target level {}{default} + {} = {} samples \
                     at {} Hz = {:.2} ms",
                    p.chunksize,
                    p.target_level,
                    p.resampler,
                    p.samples(),
                    p.samplerate,
                    p.millis()
                )?;
                if p.capture_samplerate != p.samplerate {
                    writeln!(f, "  capture at {} Hz", p.capture_samplerate)?;
                }
            }
            if let Some(b) = &m.buffer_level {
                if let (Some(min), Some(mean), Some(max)) = (b.min(), b.mean(), b.max()) {
                    write!(
                        f,
                        "  playback buffer level ({} readings): min {min}, mean {mean:.0}, max \
                         {max} samples",
                        b.readings.len()
                    )?;
                    match &m.processing {
                        Some(p) => writeln!(
                            f,
                            "; with it, audio takes {:.2} ms now",
                            p.millis_at_level(mean)
                        )?,
                        None => writeln!(f)?,
                    }
                }
            }
            for note in &m.notes {
                writeln!(f, "  {note}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::latency::RoundTrips;

    fn processing() -> ProcessingLatency {
        ProcessingLatency {
            samplerate: 48_000,
            capture_samplerate: 48_000,
            chunksize: 1024,
            target_level: 1024,
            target_level_is_default: true,
            resampler: ResamplerDelay::None,
        }
    }

    fn report() -> LatencyReport {
        let mut x32 = RoundTrips::new();
        for us in [120, 100, 140] {
            x32.answered(Duration::from_micros(us));
        }
        x32.lost();
        let mut camilla = RoundTrips::new();
        camilla.answered(Duration::from_micros(400));
        LatencyReport {
            plan: ProbePlan::new(4),
            links: vec![
                LinkReport {
                    name: "x32".into(),
                    kind: LinkKind::X32,
                    target: "127.0.0.1:10023".into(),
                    method: "OSC get /ch/NN/mix/fader".into(),
                    outcome: LinkOutcome::Measured(Measured {
                        peer: Some("X32 4.06".into()),
                        rtt: x32.summary(),
                        processing: None,
                        buffer_level: None,
                        notes: vec![],
                    }),
                },
                LinkReport {
                    name: "camilla".into(),
                    kind: LinkKind::Camilla,
                    target: "ws://127.0.0.1:1234".into(),
                    method: "GetState".into(),
                    outcome: LinkOutcome::Measured(Measured {
                        peer: Some("CamillaDSP 5.0.0-beta.1".into()),
                        rtt: camilla.summary(),
                        processing: Some(processing()),
                        buffer_level: Some(BufferLevel {
                            readings: vec![1000, 1100],
                        }),
                        notes: vec![],
                    }),
                },
                LinkReport {
                    name: "knobs".into(),
                    kind: LinkKind::Midi,
                    target: "GPIO".into(),
                    method: "-".into(),
                    outcome: LinkOutcome::Skipped {
                        reason: "a GPIO surface has no MIDI output".into(),
                    },
                },
            ],
        }
    }

    #[test]
    fn processing_latency_adds_chunk_target_and_resampler() {
        let p = processing();
        assert_eq!(p.samples(), 2048);
        assert!((p.millis() - 2048.0 / 48.0).abs() < 1e-9);
        assert!((p.millis_at_level(0.0) - 1024.0 / 48.0).abs() < 1e-9);
        let with = ProcessingLatency {
            resampler: ResamplerDelay::Known {
                kind: "AsyncPoly Cubic".into(),
                samples: 2,
            },
            ..processing()
        };
        assert_eq!(with.samples(), 2050);
        let unknown = ProcessingLatency {
            resampler: ResamplerDelay::Unknown {
                kind: "Synchronous".into(),
            },
            ..processing()
        };
        assert_eq!(unknown.samples(), 2048);
    }

    #[test]
    fn table_has_a_row_per_link_and_the_dsp_figures() {
        let text = report().to_string();
        let rows: Vec<&str> = text.lines().collect();
        assert!(rows[2].starts_with("link "), "{text}");
        assert!(rows[3].starts_with("x32 "), "{text}");
        assert!(rows[3].contains("0.120"), "p50 of 100/120/140 µs: {text}");
        assert!(rows[3].contains("    4     1  "), "sent 4, lost 1: {text}");
        assert!(rows[5].contains("skipped: a GPIO surface"), "{text}");
        assert!(
            text.contains("chunk 1024 + target level 1024 (default: the chunk size) + no resampler = 2048 samples at 48000 Hz = 42.67 ms"),
            "{text}"
        );
        assert!(text.contains("min 1000, mean 1050, max 1100"), "{text}");
    }

    #[test]
    fn json_has_status_counts_and_totals() {
        let json: serde_json::Value = serde_json::from_str(&report().to_json()).unwrap();
        let links = json["links"].as_array().unwrap();
        assert_eq!(links.len(), 3);
        assert_eq!(links[0]["status"], "measured");
        assert_eq!(links[0]["kind"], "x32");
        assert_eq!(links[0]["answered"], 3);
        assert_eq!(links[0]["lost"], 1);
        assert_eq!(links[0]["rtt_ms"]["p50"], 0.12);
        assert_eq!(links[1]["processing"]["total_samples"], 2048);
        assert_eq!(links[1]["processing"]["resampler_samples"], 0);
        assert_eq!(links[1]["buffer_level"]["readings"][1], 1100);
        assert_eq!(links[2]["status"], "skipped");
        assert_eq!(json["plan"]["probes"], 4);
    }

    #[test]
    fn unreachable_means_failed_or_all_lost() {
        let mut r = report();
        assert!(!r.any_unreachable());
        let mut all_lost = RoundTrips::new();
        all_lost.lost();
        r.links[0].outcome = LinkOutcome::Measured(Measured {
            peer: None,
            rtt: all_lost.summary(),
            processing: None,
            buffer_level: None,
            notes: vec![],
        });
        assert!(r.any_unreachable());
        assert!(r.to_string().contains("no answer"));
    }
}
