//! `pupitre stabilizer replay|tune`: the stabilizer offline, over a WAV file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use pupitre::stabilizer::{
    relay_tune, replay, Audio, MeterKind, MeterPosition, Mode, Profile, ReplayOptions, Rule,
    Settings, FRAME_S,
};

#[derive(Debug, Subcommand)]
pub enum StabilizerCommand {
    /// Replay a programme through the stabilizer over a model of the X32.
    ///
    /// The exact controller that rides the live desk runs over 50 ms meter frames of (input ×
    /// fader gain), with one frame of meter latency, one of fader latency, the fader law on its
    /// 1024 steps and optional frame loss. Writes trace.csv (time_s,meter_dbfs,fader_db,written,
    /// one row per frame) and, with --output, what the stream would hear. Same input and flags
    /// give the same trace.
    Replay {
        #[command(flatten)]
        common: Common,
        /// Where to write the per-frame trace (CSV).
        #[arg(long, value_name = "FILE")]
        trace: PathBuf,
        /// Where to write the input with the fader applied (32-bit float WAV).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// How it steers.
        #[arg(long, default_value = "leveler", value_parser = parse::<Mode>)]
        mode: Mode,
        /// What the programme is (sets the leveler's windows and rates).
        #[arg(long, default_value = "auto", value_parser = parse::<Profile>)]
        profile: Profile,
        /// Fraction of meter frames lost, 0 to 1.
        #[arg(long, default_value_t = 0.0, value_name = "P")]
        loss: f64,
        /// Seed of the frame-loss generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// PID gains for --mode pid (dB per LU, per LU·s, LU·s).
        #[arg(long, value_name = "KP,KI,KD", value_parser = parse_gains)]
        pid: Option<(f64, f64, f64)>,
    },
    /// Relay auto-tune for the PID mode, over a programme.
    ///
    /// Switches the fader ±d dB around home whenever momentary loudness crosses the target
    /// (Åström–Hägglund relay), measures the ultimate gain and period, and prints the gains of
    /// the Åström–Hägglund, Ziegler–Nichols and Tyreus–Luyben rules as [stabilizer] lines.
    Tune {
        #[command(flatten)]
        common: Common,
        /// Relay amplitude, dB.
        #[arg(long, default_value_t = 3.0, value_name = "DB")]
        relay_db: f64,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// The programme (WAV, any rate, any channels).
    #[arg(long, value_name = "FILE.wav")]
    input: PathBuf,
    /// Loudness to hold, LUFS.
    #[arg(long, default_value_t = -16.0, value_name = "LUFS", allow_negative_numbers = true)]
    target: f64,
    /// What the meter measures per frame.
    #[arg(long, default_value = "rms", value_parser = parse::<MeterKind>)]
    meter: MeterKind,
    /// Whether the meter is taken after (post) or before (pre) the fader.
    #[arg(long, default_value = "post", value_parser = parse::<MeterPosition>)]
    meter_position: MeterPosition,
    /// Where the fader starts (home), dB.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "DB",
        allow_negative_numbers = true
    )]
    home: f64,
    /// Largest gain above home, dB.
    #[arg(long, default_value_t = 10.0, value_name = "DB")]
    max_boost: f64,
    /// Largest cut below home, dB.
    #[arg(long, default_value_t = 12.0, value_name = "DB")]
    max_cut: f64,
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

fn parse_gains(s: &str) -> Result<(f64, f64, f64), String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?}: expected three numbers KP,KI,KD such as 0.1,0.3,0"))?;
    match v.as_slice() {
        [kp, ki, kd] if v.iter().all(|g| (0.0..=20.0).contains(g)) => Ok((*kp, *ki, *kd)),
        _ => Err(format!(
            "{s:?}: expected three gains from 0 to 20, KP,KI,KD"
        )),
    }
}

impl Common {
    fn options(&self) -> Result<(Audio, ReplayOptions)> {
        anyhow::ensure!(
            (-40.0..=-5.0).contains(&self.target),
            "--target {} is outside -40 to -5 LUFS",
            self.target
        );
        let audio = Audio::read_wav(&self.input).map_err(anyhow::Error::msg)?;
        let options = ReplayOptions {
            settings: Settings {
                target_lufs: self.target,
                meter_position: self.meter_position,
                max_boost_db: self.max_boost,
                max_cut_db: self.max_cut,
                ..Settings::default()
            },
            meter: self.meter,
            home_db: self.home,
            ..ReplayOptions::default()
        };
        Ok((audio, options))
    }
}

pub fn run(cmd: StabilizerCommand) -> Result<()> {
    match cmd {
        StabilizerCommand::Replay {
            common,
            trace,
            output,
            mode,
            profile,
            loss,
            seed,
            pid,
        } => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&loss),
                "--loss {loss} is outside 0 to 1"
            );
            let (audio, mut options) = common.options()?;
            options.settings.mode = mode;
            options.settings.profile = profile;
            options.loss = loss;
            options.seed = seed;
            if let Some((kp, ki, kd)) = pid {
                options.settings.pid = pupitre::stabilizer::PidGains { kp, ki, kd };
            }
            let r = replay(&audio, &options);
            let file = std::fs::File::create(&trace)
                .with_context(|| format!("cannot write {}", trace.display()))?;
            let mut w = std::io::BufWriter::new(file);
            r.write_trace(&mut w)
                .and_then(|()| std::io::Write::flush(&mut w))
                .with_context(|| format!("cannot write {}", trace.display()))?;
            if let Some(out) = &output {
                r.output.write_wav(out).map_err(anyhow::Error::msg)?;
            }
            let minutes = r.trace.len() as f64 * FRAME_S / 60.0;
            let (lo, hi) = r.trace.iter().fold((f64::MAX, f64::MIN), |(lo, hi), t| {
                (lo.min(t.fader_db), hi.max(t.fader_db))
            });
            println!(
                "{}: {:.1} min, {} frames; {mode} ({profile}) to {} LUFS; {} writes ({:.1}/min); \
                 fader {lo:.1} to {hi:.1} dB; trace in {}{}",
                common.input.display(),
                minutes,
                r.trace.len(),
                common.target,
                r.writes(),
                r.writes() as f64 / minutes.max(1e-9),
                trace.display(),
                output
                    .map(|o| format!(", audio in {}", o.display()))
                    .unwrap_or_default()
            );
        }
        StabilizerCommand::Tune { common, relay_db } => {
            anyhow::ensure!(
                (0.5..=12.0).contains(&relay_db),
                "--relay-db {relay_db} is outside 0.5 to 12 dB"
            );
            let (audio, options) = common.options()?;
            let Some(r) = relay_tune(&audio, &options, relay_db) else {
                anyhow::bail!(
                    "no steady oscillation: the programme never crossed {} LUFS often enough \
                     (try a longer or louder programme, or a larger --relay-db)",
                    common.target
                );
            };
            println!(
                "relay ±{relay_db} dB: Ku = {:.3} dB/LU, Tu = {:.2} s, amplitude {:.2} LU over {} cycles",
                r.ku, r.tu_s, r.amplitude_lu, r.cycles
            );
            for rule in Rule::ALL {
                let g = rule.gains(r.ku, r.tu_s);
                println!(
                    "{:>16}: kp = {:.3}, ki = {:.3}, kd = {:.3}",
                    rule.name(),
                    g.kp,
                    g.ki,
                    g.kd
                );
            }
            println!("put the chosen line's kp, ki and kd in [stabilizer] with mode = \"pid\"");
        }
    }
    Ok(())
}
