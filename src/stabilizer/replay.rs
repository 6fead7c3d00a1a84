//! Offline replay: the controller that rides the live desk, run over a frame-level model of the
//! X32 (`stabilizer.md` §5):
//! - 50 ms meter frames of (input × fader gain), as linear RMS or peak (the louder channel);
//! - one frame of fader latency (a write decided in frame n applies from frame n + 1) and one of
//!   meter latency (frame n's meter reaches the controller at the end of frame n + 1);
//! - the fader law quantized to 1024 steps (the controller writes on that grid);
//! - optional meter-frame loss, from a seeded generator, so a replay is deterministic.

use std::io::Write;
use std::path::Path;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::controller::Controller;
use super::loudness::db_gain;
use super::relay::{Relay, RelayResult};
use super::tuning::{MeterPosition, Settings, FRAME_S};

/// What the meter measures over a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MeterKind {
    /// Root mean square.
    #[default]
    Rms,
    /// Largest absolute sample.
    Peak,
}

impl std::str::FromStr for MeterKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rms" => Ok(MeterKind::Rms),
            "peak" => Ok(MeterKind::Peak),
            other => Err(format!("{other:?} is not a meter; expected rms or peak")),
        }
    }
}

/// Audio in memory: interleaved samples, 1.0 = 0 dBFS.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    /// Samples per second.
    pub rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// The samples.
    pub samples: Vec<f32>,
}

impl Audio {
    /// Samples in one 50 ms frame, per channel.
    pub fn frame_len(&self) -> usize {
        ((f64::from(self.rate) * FRAME_S).round() as usize).max(1)
    }

    /// Whole or partial frames in the audio.
    pub fn frames(&self) -> usize {
        let per = self.frame_len() * usize::from(self.channels.max(1));
        self.samples.len().div_ceil(per)
    }

    fn frame(&self, n: usize) -> &[f32] {
        let per = self.frame_len() * usize::from(self.channels.max(1));
        let start = (n * per).min(self.samples.len());
        &self.samples[start..((n + 1) * per).min(self.samples.len())]
    }

    /// Read a WAV file (integer or float samples).
    pub fn read_wav(path: &Path) -> Result<Audio, String> {
        let what = |e: hound::Error| format!("{}: not a readable WAV file: {e}", path.display());
        let mut reader = hound::WavReader::open(path).map_err(what)?;
        let spec = reader.spec();
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(format!("{}: WAV with no channels or rate", path.display()));
        }
        let samples = match spec.sample_format {
            hound::SampleFormat::Float => reader
                .samples::<f32>()
                .collect::<Result<Vec<_>, _>>()
                .map_err(what)?,
            hound::SampleFormat::Int => {
                let scale = 2f32.powi(i32::from(spec.bits_per_sample.clamp(1, 32)) - 1);
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|s| s as f32 / scale))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(what)?
            }
        };
        Ok(Audio {
            rate: spec.sample_rate,
            channels: spec.channels,
            samples,
        })
    }

    /// Write a 32-bit float WAV file.
    pub fn write_wav(&self, path: &Path) -> Result<(), String> {
        let spec = hound::WavSpec {
            channels: self.channels,
            sample_rate: self.rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let what = |e: hound::Error| format!("{}: cannot write WAV: {e}", path.display());
        let mut w = hound::WavWriter::create(path, spec).map_err(what)?;
        for s in &self.samples {
            w.write_sample(*s).map_err(what)?;
        }
        w.finalize().map_err(what)
    }
}

/// How to replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayOptions {
    /// The controller's settings (mode, profile, target, bounds, meter position).
    pub settings: Settings,
    /// What the meter measures.
    pub meter: MeterKind,
    /// Fraction of meter frames lost, 0–1.
    pub loss: f64,
    /// Seed of the loss generator.
    pub seed: u64,
    /// The fader where the stabilizer finds it, dB.
    pub home_db: f64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            settings: Settings::default(),
            meter: MeterKind::Rms,
            loss: 0.0,
            seed: 1,
            home_db: 0.0,
        }
    }
}

/// One frame of a replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    /// Start of the frame, s.
    pub time_s: f64,
    /// The meter for this frame, dBFS (−∞ for silence).
    pub meter_dbfs: f64,
    /// The fader applied to this frame's audio, dB.
    pub fader_db: f64,
    /// A fader write was sent during this frame.
    pub written: bool,
}

/// A replay's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// One row per frame.
    pub trace: Vec<TraceRow>,
    /// The input with the fader applied: what the stream hears.
    pub output: Audio,
}

impl Replay {
    /// `time_s,meter_dbfs,fader_db,written`, one row per frame.
    pub fn write_trace(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "time_s,meter_dbfs,fader_db,written")?;
        for r in &self.trace {
            writeln!(
                out,
                "{:.2},{:.2},{:.2},{}",
                r.time_s,
                r.meter_dbfs,
                r.fader_db,
                u8::from(r.written)
            )?;
        }
        Ok(())
    }

    /// Fader writes sent.
    pub fn writes(&self) -> usize {
        self.trace.iter().filter(|r| r.written).count()
    }
}

fn meter_of(frame: &[f32], channels: u16, kind: MeterKind, gain: f64) -> f64 {
    let ch = usize::from(channels.max(1));
    let mut loudest: f64 = 0.0;
    for c in 0..ch {
        let samples = frame.iter().skip(c).step_by(ch).map(|s| f64::from(*s));
        let level = match kind {
            MeterKind::Rms => {
                let (sum, n) = samples.fold((0.0, 0usize), |(s, n), x| (s + x * x, n + 1));
                if n == 0 {
                    0.0
                } else {
                    (sum / n as f64).sqrt()
                }
            }
            MeterKind::Peak => samples.fold(0.0, |m: f64, x| m.max(x.abs())),
        };
        loudest = loudest.max(level);
    }
    loudest * gain
}

/// Something that rides the fader on meter frames: the controller, or the relay experiment.
trait Rider {
    fn frame(&mut self, meter: Option<f64>) -> Option<f64>;
}

impl Rider for Controller {
    fn frame(&mut self, meter: Option<f64>) -> Option<f64> {
        Controller::frame(self, meter)
    }
}

impl Rider for Relay {
    fn frame(&mut self, meter: Option<f64>) -> Option<f64> {
        Relay::frame(self, meter)
    }
}

fn run(audio: &Audio, o: &ReplayOptions, start_db: f64, rider: &mut dyn Rider) -> Replay {
    let mut rng = SmallRng::seed_from_u64(o.seed);
    let frames = audio.frames();
    let mut trace = Vec::with_capacity(frames);
    let mut output = audio.clone();
    let per = audio.frame_len() * usize::from(audio.channels.max(1));
    // The fader applied to the current frame, and the one the X32 holds for the next.
    let mut applied = start_db;
    let mut held = start_db;
    // The meter of the previous frame, delivered at the end of this one.
    let mut pending_meter: Option<f64> = None;
    for n in 0..frames {
        let gain = db_gain(applied);
        let frame = audio.frame(n);
        let meter_gain = match o.settings.meter_position {
            MeterPosition::Post => gain,
            MeterPosition::Pre => 1.0,
        };
        let meter = meter_of(frame, audio.channels, o.meter, meter_gain);
        let start = n * per;
        for s in &mut output.samples[start..start + frame.len()] {
            *s = (f64::from(*s) * gain) as f32;
        }
        let delivered = pending_meter.take().filter(|_| {
            // Draw for every frame so the loss pattern does not depend on the rider.
            let lost = rng.random::<f64>() < o.loss;
            !lost
        });
        let write = if n == 0 { None } else { rider.frame(delivered) };
        if let Some(db) = write {
            held = db;
        }
        trace.push(TraceRow {
            time_s: n as f64 * FRAME_S,
            meter_dbfs: 20.0 * meter.log10(),
            fader_db: applied,
            written: write.is_some(),
        });
        pending_meter = Some(meter);
        applied = held;
    }
    Replay { trace, output }
}

/// Replay `audio` through the stabilizer.
pub fn replay(audio: &Audio, options: &ReplayOptions) -> Replay {
    let mut controller = Controller::new(options.settings, options.home_db);
    run(audio, options, options.home_db, &mut controller)
}

/// Run the relay experiment over `audio` (±`d_db` around home, switching on the target).
pub fn relay_tune(audio: &Audio, options: &ReplayOptions, d_db: f64) -> Option<RelayResult> {
    let mut relay = Relay::new(options.settings.target_lufs, options.home_db, d_db);
    let start = relay.start_db();
    run(audio, options, start, &mut relay);
    relay.result()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, secs: f64, dbfs: f64) -> Vec<f32> {
        let a = db_gain(dbfs) * std::f64::consts::SQRT_2;
        (0..(f64::from(rate) * secs) as usize)
            .map(|i| {
                (a * (i as f64 * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin()) as f32
            })
            .collect()
    }

    #[test]
    fn the_model_delays_meter_and_fader_by_a_frame_each() {
        let audio = Audio {
            rate: 8000,
            channels: 1,
            samples: tone(8000, 5.0, -20.0),
        };
        let r = replay(&audio, &ReplayOptions::default());
        assert_eq!(r.trace.len(), 100);
        assert!(
            (r.trace[10].meter_dbfs + 20.0).abs() < 0.1,
            "{:?}",
            r.trace[10]
        );
        // −20 dBFS against −16: the leveler raises the fader; each write shows one frame later.
        let first = r.trace.iter().position(|t| t.written).expect("a write");
        assert_eq!(r.trace[first].fader_db, 0.0);
        assert!(r.trace[first + 1].fader_db > 0.0);
    }
}
