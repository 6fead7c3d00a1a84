//! Relay auto-tune for the PID mode (Åström & Hägglund, Automatica 20(5), 1984): the fader is
//! switched ±d around home whenever momentary loudness crosses the target; the loudness then
//! oscillates with amplitude a and period Tu, the ultimate gain is Ku = 4d/(πa), and a rule turns
//! (Ku, Tu) into gains. `stabilizer.md` §3 warns the result is mostly set by the loop delay and
//! the window, not the programme; it is here because users asked for it and as a baseline.

use super::loudness::EnergyWindow;
use super::tuning::{PidGains, FRAME_S};

/// Hysteresis around the target before the relay switches, LU.
const HYSTERESIS_LU: f64 = 0.5;
/// Switches to wait out before measuring (the first half-cycles are not periodic yet).
const SETTLE_SWITCHES: usize = 2;

/// A tuning rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Ziegler–Nichols PI: Kp = 0.45 Ku, Ti = Tu / 1.2.
    ZieglerNichols,
    /// Tyreus–Luyben PI: Kp = Ku / 3.2, Ti = 2.2 Tu (gentler than Ziegler–Nichols).
    TyreusLuyben,
    /// Åström–Hägglund phase-margin PID (45°, Ti = 4 Td): Kp = Ku cos 45°, ωu·Td = (1 + √2) / 2.
    AstromHagglund,
}

impl Rule {
    /// Every rule, in the order they are printed.
    pub const ALL: [Rule; 3] = [
        Rule::AstromHagglund,
        Rule::ZieglerNichols,
        Rule::TyreusLuyben,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ZieglerNichols => "ziegler-nichols",
            Rule::TyreusLuyben => "tyreus-luyben",
            Rule::AstromHagglund => "astrom-hagglund",
        }
    }

    /// The gains for an ultimate gain `ku` (dB/LU) and period `tu` (s).
    pub fn gains(self, ku: f64, tu: f64) -> PidGains {
        match self {
            Rule::ZieglerNichols => {
                let kp = 0.45 * ku;
                PidGains {
                    kp,
                    ki: kp / (tu / 1.2),
                    kd: 0.0,
                }
            }
            Rule::TyreusLuyben => {
                let kp = ku / 3.2;
                PidGains {
                    kp,
                    ki: kp / (2.2 * tu),
                    kd: 0.0,
                }
            }
            Rule::AstromHagglund => {
                let phase = std::f64::consts::FRAC_PI_4;
                let kp = ku * phase.cos();
                let omega = 2.0 * std::f64::consts::PI / tu;
                let td = (phase.tan() + (phase.tan().powi(2) + 1.0).sqrt()) / 2.0 / omega;
                PidGains {
                    kp,
                    ki: kp / (4.0 * td),
                    kd: kp * td,
                }
            }
        }
    }
}

/// What a relay experiment measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelayResult {
    /// Ultimate gain, dB of fader per LU.
    pub ku: f64,
    /// Oscillation period, s.
    pub tu_s: f64,
    /// Oscillation amplitude of momentary loudness, LU.
    pub amplitude_lu: f64,
    /// Full cycles measured.
    pub cycles: usize,
}

/// The relay experiment, fed meter frames like the controller (post-fader meter).
pub struct Relay {
    target: f64,
    home_db: f64,
    d_db: f64,
    momentary: EnergyWindow,
    high: bool,
    frames: u64,
    switches: Vec<u64>,
    extreme: f64,
    /// Peak-to-peak half-cycle extremes after settling.
    extremes: Vec<f64>,
}

impl Relay {
    /// A relay of ±`d_db` around `home_db`, switching on `target` LUFS.
    pub fn new(target: f64, home_db: f64, d_db: f64) -> Relay {
        Relay {
            target,
            home_db,
            d_db,
            momentary: EnergyWindow::new(8),
            high: true,
            frames: 0,
            switches: Vec::new(),
            extreme: f64::NAN,
            extremes: Vec::new(),
        }
    }

    /// The fader to start from.
    pub fn start_db(&self) -> f64 {
        self.home_db + self.d_db
    }

    /// One meter frame (linear amplitude, `None` when lost); the fader to write, if it switches.
    pub fn frame(&mut self, meter: Option<f64>) -> Option<f64> {
        self.frames += 1;
        let m = meter.filter(|m| m.is_finite() && *m >= 0.0)?;
        self.momentary.push(m * m);
        let level = self.momentary.db().filter(|x| x.is_finite())?;
        self.extreme = if self.extreme.is_nan() {
            level
        } else if self.high {
            self.extreme.max(level)
        } else {
            self.extreme.min(level)
        };
        let switch = if self.high {
            level > self.target + HYSTERESIS_LU
        } else {
            level < self.target - HYSTERESIS_LU
        };
        if !switch {
            return None;
        }
        self.switches.push(self.frames);
        if self.switches.len() > SETTLE_SWITCHES {
            self.extremes.push(self.extreme);
        }
        self.extreme = level;
        self.high = !self.high;
        Some(if self.high {
            self.home_db + self.d_db
        } else {
            self.home_db - self.d_db
        })
    }

    /// The measurement once at least two full cycles have been seen after settling.
    pub fn result(&self) -> Option<RelayResult> {
        let s = self.switches.get(SETTLE_SWITCHES..)?;
        let cycles = (s.len().saturating_sub(1)) / 2;
        if cycles < 2 {
            return None;
        }
        let period_frames = (s[cycles * 2] - s[0]) as f64 / cycles as f64;
        let pairs = self.extremes.len() / 2;
        let amplitude = (0..pairs)
            .map(|i| (self.extremes[2 * i] - self.extremes[2 * i + 1]).abs() / 2.0)
            .sum::<f64>()
            / pairs.max(1) as f64;
        if amplitude <= 0.0 {
            return None;
        }
        Some(RelayResult {
            ku: 4.0 * self.d_db / (std::f64::consts::PI * amplitude),
            tu_s: period_frames * FRAME_S,
            amplitude_lu: amplitude,
            cycles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stabilizer::loudness::db_gain;

    #[test]
    fn rules_follow_their_formulas() {
        let zn = Rule::ZieglerNichols.gains(2.0, 1.2);
        assert!((zn.kp - 0.9).abs() < 1e-12 && (zn.ki - 0.9).abs() < 1e-12);
        let tl = Rule::TyreusLuyben.gains(3.2, 1.0);
        assert!((tl.kp - 1.0).abs() < 1e-12 && (tl.ki - 1.0 / 2.2).abs() < 1e-12);
        let ah = Rule::AstromHagglund.gains(1.0, 1.0);
        assert!((ah.kp - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
        // Td = 1.2071 / (2π) s, Ti = 4 Td.
        let td = ah.kd / ah.kp;
        assert!((td - 0.19212).abs() < 1e-4, "{td}");
        assert!((ah.kp / ah.ki - 4.0 * td).abs() < 1e-9);
    }

    #[test]
    fn a_steady_tone_through_a_delayed_fader_oscillates_measurably() {
        // Plant: a −20 dBFS tone, fader applied two frames late (one of fader, one of meter).
        let mut relay = Relay::new(-18.0, 0.0, 3.0);
        let mut faders = std::collections::VecDeque::from(vec![relay.start_db(); 2]);
        for _ in 0..400 {
            let applied = faders.pop_front().unwrap();
            let meter = db_gain(-20.0 + applied);
            let now = relay.frame(Some(meter)).unwrap_or(*faders.back().unwrap());
            faders.push_back(now);
        }
        let r = relay.result().expect("a result");
        assert!(r.cycles >= 2);
        // The momentary window smooths the ±3 dB swing, but it stays visible.
        assert!(r.amplitude_lu > 0.5 && r.amplitude_lu < 3.5, "{r:?}");
        assert!(r.tu_s > 0.2 && r.tu_s < 3.0, "{r:?}");
    }
}
