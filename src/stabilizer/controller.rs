//! The controller: one meter frame in, at most one fader write out. The same code rides the
//! live desk and the offline replay.
//!
//! The leveler (`stabilizer.md` §2 and §5):
//! - the programme's level is estimated *input-referred*: the meter minus the fader pupitre set
//!   (as it was when the meter was taken), so the estimate does not move when the fader does and
//!   it works with a pre-fader meter too;
//! - as energy: 400 ms momentary and a gated short-term window (3 s speech, 5 s music);
//! - a silence gate (programme at the home fader more than 20 LU under target) freezes the
//!   estimate; rises wait for the gate to have been open a while (hold); while gated the fader
//!   only ever returns *down* towards home;
//! - the fader moves towards `target − estimate` at separate up and down rates, with a faster
//!   up rate for a long deficit and an emergency cut when momentary loudness is far over;
//! - nothing moves while the estimate is inside the window; moves stop near the goal;
//! - writes are at least a minimum step apart and at most ~60 a minute (a token bucket with a
//!   burst of 3 for emergencies), on the X32's 1024-step fader grid;
//! - never outside [home − max cut, home + max boost].
//!
//! The classic PID (the seed's design, the `pid` crate) steers momentary loudness directly. The
//! crate has no dt and symmetric limits (`stabilizer.md` §3), so the integral gain is scaled by
//! the frame time and the output is an offset from home, clamped to the asymmetric bounds.

use std::collections::VecDeque;

use super::loudness::{db_gain, energy_db, EnergyWindow};
use super::tuning::{MeterPosition, Mode, Profile, Settings, Tuning, FRAME_S};
use crate::desk::law;

/// Momentary loudness: 8 frames, 400 ms.
const MOMENTARY_FRAMES: usize = 8;
/// Gated frames needed before the estimate is trusted (0.5 s of programme).
const MIN_ESTIMATE_FRAMES: usize = 10;
/// A move ends when this close to its goal, dB.
const SETTLE_DB: f64 = 0.25;
/// Deficit that counts as "a new, quieter source", dB, and for how long, s.
const FAST_UP_AFTER: (f64, f64) = (6.0, 1.0);
/// An emergency cut aims this far above target, LU.
const EMERGENCY_AIM_LU: f64 = 2.0;
/// Write burst allowed by the token bucket.
const WRITE_BURST: f64 = 3.0;
/// The PID writes any move of at least this much, dB.
const PID_MIN_STEP_DB: f64 = 0.25;
/// The PID never sees less than this, LUFS (silence would be −∞).
const PID_FLOOR: f64 = -70.0;
/// The auto profile looks at the last 10 s.
const AUTO_FRAMES: usize = 120;
/// A frame this far under the estimate is a dip (a pause between words).
const DIP_DB: f64 = 10.0;
/// Dip fractions above the first mean speech, below the second music (hysteresis).
const AUTO_SPEECH_ABOVE: f64 = 0.18;
const AUTO_MUSIC_BELOW: f64 = 0.12;

/// What the controller is doing, for the screen and the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Not enough programme heard yet to estimate its loudness.
    Listening,
    /// Inside the window: holding.
    Holding,
    /// Moving the fader towards the target.
    Riding,
    /// Cutting fast: momentary loudness far over target.
    Emergency,
    /// Silence or room noise: the estimate is frozen and the fader never rises.
    Gated,
}

impl Activity {
    /// A short word for logs and the screen.
    pub fn name(self) -> &'static str {
        match self {
            Activity::Listening => "listening",
            Activity::Holding => "holding",
            Activity::Riding => "riding",
            Activity::Emergency => "emergency cut",
            Activity::Gated => "gated",
        }
    }
}

/// A look at the controller after a frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// Momentary loudness of the output, LUFS (approximate: meter energy, not K-weighted).
    pub momentary_lufs: Option<f64>,
    /// The gated loudness estimate of the output at the current fader, LUFS.
    pub estimate_lufs: Option<f64>,
    /// The fader as last written (or adopted), dB.
    pub fader_db: f64,
    /// Where it found the fader (or where someone last put it), dB.
    pub home_db: f64,
    /// What it is doing.
    pub activity: Activity,
    /// The profile in use (the auto profile's guess).
    pub profile: Profile,
}

/// The fader dB the X32 holds after being sent `db`: its 1024-step grid.
pub fn fader_grid_db(db: f64) -> f64 {
    law::level_to_db(law::quantize_level(law::db_to_level(db), law::FADER_STEPS))
}

/// The grid position at or just above `db` (a bound is never crossed by rounding down).
fn fader_grid_at_least(db: f64) -> f64 {
    let q = fader_grid_db(db);
    if q >= db - 1e-9 {
        return q;
    }
    let steps = f64::from(law::FADER_STEPS);
    let k = (law::db_to_level(q) * steps).round();
    law::level_to_db(((k + 1.0) / steps).min(1.0))
}

/// The stabilizer's controller.
pub struct Controller {
    settings: Settings,
    tuning: Tuning,
    profile: Profile,
    home_db: f64,
    written_db: f64,
    planned_db: f64,
    /// The written fader at each recent frame, newest last: the meter shows an older one.
    history: VecDeque<f64>,
    momentary_in: EnergyWindow,
    momentary_out: EnergyWindow,
    short_in: EnergyWindow,
    active_s: f64,
    inactive_s: f64,
    low_s: f64,
    moving: bool,
    tokens: f64,
    activity: Activity,
    pid: pid::Pid<f64>,
    dips: VecDeque<bool>,
    frames: u64,
}

impl Controller {
    /// A controller that finds the fader at `fader_db` (its home).
    pub fn new(settings: Settings, fader_db: f64) -> Controller {
        let profile = match settings.profile {
            Profile::Auto => Profile::Speech,
            p => p,
        };
        let tuning = settings.tuning(profile);
        let mut c = Controller {
            settings,
            tuning,
            profile,
            home_db: fader_db,
            written_db: fader_db,
            planned_db: fader_db,
            history: VecDeque::new(),
            momentary_in: EnergyWindow::new(MOMENTARY_FRAMES),
            momentary_out: EnergyWindow::new(MOMENTARY_FRAMES),
            short_in: EnergyWindow::new(tuning.short_term_frames),
            active_s: 0.0,
            inactive_s: 0.0,
            low_s: 0.0,
            moving: false,
            tokens: WRITE_BURST,
            activity: Activity::Listening,
            pid: pid::Pid::new(settings.target_lufs, 1.0),
            dips: VecDeque::with_capacity(AUTO_FRAMES),
            frames: 0,
        };
        c.configure_pid();
        c
    }

    fn configure_pid(&mut self) {
        let s = &self.settings;
        let limit = s.max_boost_db.max(s.max_cut_db).max(0.1);
        let g = s.pid;
        self.pid = pid::Pid::new(s.target_lufs, limit);
        // The crate adds error·ki per call and takes the measurement's change per call for D.
        self.pid
            .p(g.kp, limit)
            .i(g.ki * FRAME_S, limit)
            .d(g.kd / FRAME_S, limit);
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Take new settings (target, profile, mode, bounds, calibration) without losing the
    /// estimate; the PID starts afresh if its gains or mode changed.
    pub fn set_settings(&mut self, settings: Settings) {
        let old = self.settings;
        self.settings = settings;
        if settings.profile != old.profile {
            self.profile = match settings.profile {
                Profile::Auto => self.profile,
                p => p,
            };
        }
        self.tuning = settings.tuning(self.profile);
        self.short_in.resize(self.tuning.short_term_frames);
        if old.pid != settings.pid
            || old.mode != settings.mode
            || old.target_lufs != settings.target_lufs
            || old.max_boost_db != settings.max_boost_db
            || old.max_cut_db != settings.max_cut_db
        {
            self.configure_pid();
        }
        self.moving = false;
        self.planned_db = self.planned_db.clamp(self.low(), self.high());
    }

    /// Someone else put the fader at `fader_db`: it becomes home and where the fader is.
    pub fn adopt(&mut self, fader_db: f64) {
        self.home_db = fader_db;
        self.written_db = fader_db;
        self.planned_db = fader_db;
        self.moving = false;
        self.low_s = 0.0;
        self.pid.reset_integral_term();
        self.history.clear();
    }

    fn low(&self) -> f64 {
        self.home_db - self.settings.max_cut_db
    }

    fn high(&self) -> f64 {
        (self.home_db + self.settings.max_boost_db).min(10.0)
    }

    /// The last reading.
    pub fn reading(&self) -> Reading {
        let fader_out = |m: Option<f64>| m.map(|m| m + self.written_db);
        Reading {
            momentary_lufs: fader_out(self.momentary_in.db()).filter(|x| x.is_finite()),
            estimate_lufs: if self.short_in.len() >= MIN_ESTIMATE_FRAMES {
                fader_out(self.short_in.db()).filter(|x| x.is_finite())
            } else {
                None
            },
            fader_db: self.written_db,
            home_db: self.home_db,
            activity: self.activity,
            profile: self.profile,
        }
    }

    /// Frames seen.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// One 50 ms meter frame: `meter` is the source's meter as a linear amplitude (1.0 =
    /// 0 dBFS), `None` when the frame was lost. Returns the fader dB to write, if any.
    pub fn frame(&mut self, meter: Option<f64>) -> Option<f64> {
        self.frames += 1;
        self.tokens = (self.tokens + self.tuning.writes_per_min / 60.0 * FRAME_S).min(WRITE_BURST);
        let fader_then = self.fader_at_meter();
        let write = match meter {
            Some(m) if m.is_finite() && m >= 0.0 => {
                let e = m * m;
                let e_in = match self.settings.meter_position {
                    MeterPosition::Post => e / db_gain(fader_then).powi(2).max(1e-12),
                    MeterPosition::Pre => e,
                };
                self.momentary_in.push(e_in);
                self.momentary_out.push(match self.settings.meter_position {
                    MeterPosition::Post => e,
                    MeterPosition::Pre => e * db_gain(self.written_db).powi(2),
                });
                match self.settings.mode {
                    Mode::Leveler => self.level(e_in),
                    Mode::Pid => self.classic(),
                }
            }
            // A lost frame: hold; the next one carries on.
            _ => None,
        };
        self.history.push_back(self.written_db);
        while self.history.len() > self.settings.loop_delay_frames.max(1) {
            self.history.pop_front();
        }
        write
    }

    /// The fader that was in effect when the current meter frame was taken.
    fn fader_at_meter(&self) -> f64 {
        // The history holds `loop_delay_frames` frames: its oldest is the one the meter shows.
        self.history.front().copied().unwrap_or(self.written_db)
    }

    fn level(&mut self, e_in: f64) -> Option<f64> {
        let t = self.tuning;
        let target = self.settings.target_lufs + t.meter_bias_lu;
        let m_in = self.momentary_in.db().unwrap_or(f64::NEG_INFINITY);
        // The gate looks at the programme as it would be at home, so riding cannot open it.
        let active = m_in + self.home_db > target - t.gate_below_target_lu;
        if active {
            self.short_in.push(e_in);
            self.active_s += FRAME_S;
            self.inactive_s = 0.0;
        } else {
            self.inactive_s += FRAME_S;
            self.active_s = 0.0;
        }
        self.auto_profile(e_in);
        let gated = self.inactive_s >= t.gate_hold_s;
        if gated {
            // Downward-only return to home; the estimate stays as it was.
            self.moving = false;
            self.low_s = 0.0;
            if self.planned_db > self.home_db {
                self.planned_db =
                    (self.planned_db - t.home_return_db_s * FRAME_S).max(self.home_db);
            }
            self.activity = Activity::Gated;
            return self.write(t.min_step_db, true);
        }
        let Some(s_in) = self
            .short_in
            .db()
            .filter(|s| s.is_finite() && self.short_in.len() >= MIN_ESTIMATE_FRAMES)
        else {
            self.activity = Activity::Listening;
            return None;
        };
        let (lo, hi) = (self.low(), self.high());
        let mut goal = (target - s_in).clamp(lo, hi);
        let mut down_rate = t.down_db_s;
        let over = m_in + self.written_db - target;
        let emergency = active && over > t.emergency_over_lu;
        if emergency {
            goal = goal.min((target + EMERGENCY_AIM_LU - m_in).clamp(lo, hi));
            down_rate = t.emergency_db_s;
        }
        let err = goal - self.planned_db;
        if err > FAST_UP_AFTER.0 {
            self.low_s += FRAME_S;
        } else {
            self.low_s = 0.0;
        }
        let estimate_off = (s_in + self.planned_db - target).abs();
        if emergency || estimate_off > t.window_db / 2.0 {
            self.moving = true;
        }
        if self.moving && err.abs() < SETTLE_DB {
            self.moving = false;
        }
        if self.moving {
            if err > 0.0 {
                // Rises only on programme, once the gate has been open for its hold.
                if active && self.active_s >= t.gate_hold_s {
                    let rate = if self.low_s >= FAST_UP_AFTER.1 {
                        t.fast_up_db_s
                    } else {
                        t.up_db_s
                    };
                    self.planned_db += err.min(rate * FRAME_S);
                }
            } else {
                self.planned_db -= (-err).min(down_rate * FRAME_S);
            }
            self.activity = if emergency {
                Activity::Emergency
            } else {
                Activity::Riding
            };
        } else {
            self.activity = Activity::Holding;
        }
        self.planned_db = self.planned_db.clamp(lo, hi);
        self.write(t.min_step_db, true)
    }

    fn classic(&mut self) -> Option<f64> {
        self.activity = Activity::Riding;
        let measured = self.momentary_out.db().unwrap_or(PID_FLOOR).max(PID_FLOOR);
        let out = self.pid.next_control_output(measured).output;
        self.planned_db = (self.home_db + out).clamp(self.low(), self.high());
        self.write(PID_MIN_STEP_DB, false)
    }

    /// Write the planned fader if it is a step away (and, when `limited`, a token is left).
    fn write(&mut self, min_step: f64, limited: bool) -> Option<f64> {
        let step = self.planned_db - self.written_db;
        // The last bit of a move to a bound or home is written even under the minimum step.
        // (The leveler's moves only: the PID writes whatever passes its minimum step.)
        let finishing =
            limited && !self.moving && step.abs() >= 0.05 && self.activity != Activity::Listening;
        if step.abs() < min_step && !finishing {
            return None;
        }
        if limited && self.tokens < 1.0 {
            return None;
        }
        let q = if self.planned_db <= self.low() + 1e-9 {
            fader_grid_at_least(self.low())
        } else {
            fader_grid_db(self.planned_db)
        };
        if (q - self.written_db).abs() < 1e-9 {
            return None;
        }
        if limited {
            self.tokens -= 1.0;
        }
        self.written_db = q;
        Some(q)
    }

    /// The auto profile: speech pauses between words, music mostly does not.
    fn auto_profile(&mut self, e_in: f64) {
        if self.settings.profile != Profile::Auto {
            return;
        }
        let Some(s_in) = self.short_in.db().filter(|s| s.is_finite()) else {
            return;
        };
        if self.dips.len() == AUTO_FRAMES {
            self.dips.pop_front();
        }
        self.dips.push_back(energy_db(e_in) < s_in - DIP_DB);
        if self.dips.len() < AUTO_FRAMES || !self.frames.is_multiple_of(20) {
            return;
        }
        let dips = self.dips.iter().filter(|d| **d).count() as f64 / AUTO_FRAMES as f64;
        let next = if dips > AUTO_SPEECH_ABOVE {
            Profile::Speech
        } else if dips < AUTO_MUSIC_BELOW {
            Profile::Music
        } else {
            self.profile
        };
        if next != self.profile {
            self.profile = next;
            self.tuning = self.settings.tuning(next);
            self.short_in.resize(self.tuning.short_term_frames);
        }
    }
}
