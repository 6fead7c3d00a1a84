//! What the stabilizer is told: target, mode, profile, bounds, and the windows and rates each
//! profile sets (`stabilizer.md` §5: the gated leveler's settings, slower and longer for music).

use std::fmt;
use std::str::FromStr;

/// One meter frame: the X32 sends `/meters` every 50 ms.
pub const FRAME_S: f64 = 0.05;

/// Loudness presets offered on the desk and the screen, LUFS.
pub const TARGET_PRESETS: [f64; 4] = [-14.0, -16.0, -18.0, -23.0];

/// How it steers (also `[stabilizer] mode` in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Gated, rate-limited leveler on input-referred energy loudness (the default).
    #[default]
    Leveler,
    /// The seed's classic PID on momentary loudness (the `pid` crate).
    Pid,
}

/// What the programme is (also `[stabilizer] profile` in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Speech: 3 s window, quick to follow a new speaker.
    Speech,
    /// Music: 5 s window, slow moves that keep the dynamics.
    Music,
    /// Speech or music, guessed from how often the programme dips (pauses between words);
    /// the default, since a livestream has both.
    #[default]
    Auto,
}

/// Whether the source meter is taken before or after the fader it rides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MeterPosition {
    /// After the fader: the meter follows the fader (the X32's bus and matrix meters, as far as
    /// the fake and most setups go).
    #[default]
    Post,
    /// Before the fader: the meter is the input itself.
    Pre,
}

macro_rules! named {
    ($ty:ty, $what:literal, $($variant:ident = $name:literal),+) => {
        impl $ty {
            /// Its name in config files, on the command line and in logs.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
            /// Every value, in menu order.
            pub const ALL: &[$ty] = &[$(Self::$variant),+];
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    other => Err(format!(
                        concat!("{:?} is not a ", $what, "; expected {}"),
                        other,
                        [$($name),+].join(", ")
                    )),
                }
            }
        }
    };
}

named!(Mode, "mode", Leveler = "leveler", Pid = "pid");
named!(
    Profile,
    "profile",
    Speech = "speech",
    Music = "music",
    Auto = "auto"
);
named!(MeterPosition, "meter position", Post = "post", Pre = "pre");

const MUSIC_BIAS: f64 = 1.5;

/// The windows and rates of the leveler. A profile sets them; the config may override each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tuning {
    /// Frames of gated energy in the loudness estimate (60 = 3 s, BS.1770 short-term).
    pub short_term_frames: usize,
    /// No move while the estimate is within ± half of this of the target.
    pub window_db: f64,
    /// Rise rate, dB/s.
    pub up_db_s: f64,
    /// Rise rate once more than 6 dB low for 1 s (a new, quieter speaker), dB/s.
    pub fast_up_db_s: f64,
    /// Fall rate, dB/s.
    pub down_db_s: f64,
    /// Fall rate while momentary loudness is more than `emergency_over_lu` above target, dB/s.
    pub emergency_db_s: f64,
    /// How far above target momentary loudness must be for an emergency cut, LU.
    pub emergency_over_lu: f64,
    /// The gate closes when the programme (at the home fader) is this far below target, LU.
    pub gate_below_target_lu: f64,
    /// After the gate reopens, rises wait this long (the estimate refills with programme), s.
    pub gate_hold_s: f64,
    /// While gated, a fader above home falls back at this rate (never rises), dB/s.
    pub home_return_db_s: f64,
    /// Smallest fader move written, dB.
    pub min_step_db: f64,
    /// Fader writes per minute, at most (a burst of 3 is allowed for an emergency cut).
    pub writes_per_min: f64,
    /// How much louder the unweighted meter reads this kind of programme than BS.1770, LU:
    /// the leveler aims that much above target. Music's bass reads 1.3–2.6 dB louder on an RMS
    /// meter than K-weighted (`stabilizer.md` §1); speech about 0.
    pub meter_bias_lu: f64,
}

impl Tuning {
    /// The tuning of a profile (`Auto` starts as speech and switches with the programme).
    pub fn of(profile: Profile) -> Tuning {
        match profile {
            Profile::Speech | Profile::Auto => Tuning {
                short_term_frames: 60,
                window_db: 2.0,
                up_db_s: 1.0,
                fast_up_db_s: 4.0,
                down_db_s: 6.0,
                emergency_db_s: 15.0,
                emergency_over_lu: 6.0,
                gate_below_target_lu: 20.0,
                gate_hold_s: 0.4,
                home_return_db_s: 0.5,
                min_step_db: 0.5,
                writes_per_min: 60.0,
                meter_bias_lu: 0.0,
            },
            Profile::Music => Tuning {
                short_term_frames: 100,
                window_db: 3.0,
                up_db_s: 0.5,
                fast_up_db_s: 2.0,
                down_db_s: 3.0,
                emergency_db_s: 15.0,
                emergency_over_lu: 6.0,
                gate_below_target_lu: 25.0,
                gate_hold_s: 1.0,
                home_return_db_s: 0.5,
                min_step_db: 0.5,
                writes_per_min: 60.0,
                meter_bias_lu: MUSIC_BIAS,
            },
        }
    }
}

/// Rate overrides from the config; `None` keeps the profile's value.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateOverrides {
    /// [`Tuning::up_db_s`].
    pub up_db_s: Option<f64>,
    /// [`Tuning::down_db_s`].
    pub down_db_s: Option<f64>,
    /// [`Tuning::emergency_db_s`].
    pub emergency_db_s: Option<f64>,
    /// [`Tuning::window_db`].
    pub window_db: Option<f64>,
}

impl RateOverrides {
    /// `t` with the overrides applied.
    pub fn apply(&self, mut t: Tuning) -> Tuning {
        if let Some(v) = self.up_db_s {
            t.up_db_s = v;
            t.fast_up_db_s = t.fast_up_db_s.max(v);
        }
        if let Some(v) = self.down_db_s {
            t.down_db_s = v;
        }
        if let Some(v) = self.emergency_db_s {
            t.emergency_db_s = v;
        }
        if let Some(v) = self.window_db {
            t.window_db = v;
        }
        t
    }
}

/// PID gains: `kp` in dB per LU, `ki` in dB per LU·s, `kd` in dB·s per LU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PidGains {
    /// Proportional gain.
    pub kp: f64,
    /// Integral gain, per second.
    pub ki: f64,
    /// Derivative gain, seconds.
    pub kd: f64,
}

impl Default for PidGains {
    /// The 400 ms-loudness PI a relay tune gives on speech with the Tyreus–Luyben rule, rounded.
    fn default() -> Self {
        PidGains {
            kp: 0.1,
            ki: 0.3,
            kd: 0.0,
        }
    }
}

/// Everything the controller needs to know.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Loudness to hold, LUFS.
    pub target_lufs: f64,
    /// How it steers.
    pub mode: Mode,
    /// What the programme is.
    pub profile: Profile,
    /// Largest gain above home, dB.
    pub max_boost_db: f64,
    /// Largest cut below home, dB.
    pub max_cut_db: f64,
    /// Whether the meter is before or after the fader (calibration measures it).
    pub meter_position: MeterPosition,
    /// Frames between a fader write and the meter showing it (calibration measures it; one
    /// frame of fader latency and one of meter latency by default).
    pub loop_delay_frames: usize,
    /// Config overrides of the profile's rates.
    pub rates: RateOverrides,
    /// Gains of the PID mode.
    pub pid: PidGains,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            target_lufs: -16.0,
            mode: Mode::Leveler,
            profile: Profile::Auto,
            // The X32 fader's top from a 0 dB home: a quiet talker needs +8 to +10 dB.
            max_boost_db: 10.0,
            max_cut_db: 12.0,
            meter_position: MeterPosition::Post,
            loop_delay_frames: 2,
            rates: RateOverrides::default(),
            pid: PidGains::default(),
        }
    }
}

impl Settings {
    /// The leveler's tuning for `profile` (the auto profile's current guess) with the overrides.
    pub fn tuning(&self, profile: Profile) -> Tuning {
        self.rates.apply(Tuning::of(profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_list_the_choices() {
        for m in Mode::ALL {
            assert_eq!(m.name().parse::<Mode>(), Ok(*m));
        }
        for p in Profile::ALL {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(*p));
        }
        assert_eq!(
            "loud".parse::<Profile>(),
            Err("\"loud\" is not a profile; expected speech, music, auto".into())
        );
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let t = RateOverrides {
            up_db_s: Some(4.0),
            ..Default::default()
        }
        .apply(Tuning::of(Profile::Speech));
        assert_eq!(t.up_db_s, 4.0);
        assert_eq!(t.fast_up_db_s, 4.0);
        assert_eq!(t.down_db_s, 6.0);
    }
}
