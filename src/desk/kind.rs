//! Parameter kinds: what a parameter's values are, the grid they snap to, and how they convert
//! between the normalized travel surfaces speak and the mixer's own units.

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

use super::law;
use super::units::{Db, Normalized};

/// One parameter value as the desk stores it, already on its kind's grid.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A continuous control (fader, send, EQ, pan, gain), on its grid.
    Level(Normalized),
    /// A switch (0 = off, 1 = on) or one entry of an enumeration.
    Index(u32),
    /// A name shown on scribble strips and the screen.
    Text(Arc<str>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Level(n) => write!(f, "{n}"),
            Value::Index(i) => write!(f, "#{i}"),
            Value::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// How an intent wants to change a value.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// An absolute value in the kind's own representation.
    Set(Value),
    /// An absolute position along the travel (faders, knobs, touch).
    Normalized(Normalized),
    /// Move by whole grid steps (encoders, +/- buttons); negative goes down.
    Steps(i32),
    /// Flip a switch; for other kinds, jump between the ends of the travel.
    Toggle,
}

/// Why a value does not fit a parameter.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValueError {
    /// The value's shape does not match the kind (text for a fader, …).
    #[error("a {kind} takes {expected}, not {got}")]
    WrongShape {
        /// The parameter kind.
        kind: ParamKind,
        /// What it takes.
        expected: &'static str,
        /// What it got.
        got: String,
    },
    /// An enumeration index past the end.
    #[error("{index} is past the last choice ({last})")]
    NoSuchChoice {
        /// The index asked for.
        index: u32,
        /// The last valid index.
        last: u32,
    },
}

/// What a parameter is. The grid and laws are the X32's (`x32-osc.md` §1.7) except [`Self::Gain`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// X32 fader: 4-segment law, −∞…+10 dB, 1024 steps.
    Fader,
    /// X32 send / mono level: the fader law on 161 steps.
    SendLevel,
    /// On/off (on X32 `mix/on`, 1 means *not* muted).
    Switch,
    /// X32 pan −100…+100 in steps of 2.
    Pan,
    /// X32 EQ frequency, 20 Hz–20 kHz log, 201 steps.
    EqFreq,
    /// X32 EQ gain, −15…+15 dB in 0.25 dB.
    EqGain,
    /// X32 EQ Q, 10…0.3 log, 72 steps.
    EqQ,
    /// One of `count` named choices (colours, EQ types, tap points).
    Choice {
        /// How many choices there are.
        count: u32,
    },
    /// A name of at most `max_len` characters.
    Name {
        /// Longest accepted name; longer ones are cut.
        max_len: usize,
    },
    /// A position along a travel, shown in percent (a crossfader: 0 % all A, 100 % all B).
    Fraction {
        /// Grid steps across the travel.
        steps: u32,
    },
    /// A gain in dB on a linear range (CamillaDSP volumes, bass, treble).
    Gain {
        /// Bottom of the range.
        min_db: f64,
        /// Top of the range.
        max_db: f64,
        /// Grid step.
        step_db: f64,
    },
    /// Any other number on a linear range, in `unit` (a delay in ms, a shelf slope, an
    /// order): the ranges CamillaDSP filter parameters take.
    Number {
        /// Bottom of the range.
        min: f64,
        /// Top of the range.
        max: f64,
        /// Grid step.
        step: f64,
        /// Shown after the number (`ms`, `oct`, `dB/oct`, or empty).
        unit: &'static str,
    },
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ParamKind::Fader => "fader",
            ParamKind::SendLevel => "send level",
            ParamKind::Switch => "switch",
            ParamKind::Pan => "pan",
            ParamKind::EqFreq => "EQ frequency",
            ParamKind::EqGain => "EQ gain",
            ParamKind::EqQ => "EQ Q",
            ParamKind::Choice { .. } => "choice",
            ParamKind::Name { .. } => "name",
            ParamKind::Fraction { .. } => "position",
            ParamKind::Gain { .. } => "gain",
            ParamKind::Number { .. } => "number",
        };
        f.write_str(name)
    }
}

impl ParamKind {
    /// Grid steps across the travel, for [`Op::Steps`]; `None` for names.
    pub fn steps(&self) -> Option<u32> {
        match *self {
            ParamKind::Fader => Some(law::FADER_STEPS),
            ParamKind::SendLevel => Some(law::SEND_STEPS),
            ParamKind::Switch => Some(1),
            ParamKind::Pan => Some(law::PAN_STEPS),
            ParamKind::EqFreq => Some(law::EQ_FREQ_STEPS),
            ParamKind::EqGain => Some(law::EQ_GAIN_STEPS),
            ParamKind::EqQ => Some(law::EQ_Q_STEPS),
            ParamKind::Choice { count } => Some(count.saturating_sub(1).max(1)),
            ParamKind::Name { .. } => None,
            ParamKind::Fraction { steps } => Some(steps.max(1)),
            ParamKind::Gain {
                min_db,
                max_db,
                step_db,
            } => Some((((max_db - min_db) / step_db).round() as u32).max(1)),
            ParamKind::Number { min, max, step, .. } => {
                Some((((max - min) / step).round() as u32).max(1))
            }
        }
    }

    /// The value a parameter has before anything is known about it.
    pub fn default_value(&self) -> Value {
        match *self {
            ParamKind::Fader | ParamKind::SendLevel => Value::Level(Normalized::MIN),
            ParamKind::Pan | ParamKind::EqGain | ParamKind::Fraction { .. } => {
                Value::Level(Normalized::new_clamped(0.5))
            }
            ParamKind::EqFreq | ParamKind::EqQ => Value::Level(Normalized::new_clamped(0.5)),
            ParamKind::Switch | ParamKind::Choice { .. } => Value::Index(0),
            ParamKind::Name { .. } => Value::Text(Arc::from("")),
            ParamKind::Gain { min_db, max_db, .. } => {
                let unity = if min_db < 0.0 && max_db > 0.0 {
                    -min_db / (max_db - min_db)
                } else {
                    0.0
                };
                self.from_normalized(Normalized::new_clamped(unity))
            }
            ParamKind::Number { min, .. } => self
                .from_native(min)
                .unwrap_or(Value::Level(Normalized::MIN)),
        }
    }

    /// Snap a continuous position onto the kind's grid.
    fn snap(&self, x: f64) -> f64 {
        match *self {
            ParamKind::Fader => law::quantize_level(x, law::FADER_STEPS),
            ParamKind::SendLevel => law::quantize_level(x, law::SEND_STEPS),
            _ => match self.steps() {
                Some(steps) => law::quantize_nearest(x, steps),
                None => x,
            },
        }
    }

    /// The value at a position along the travel.
    pub fn from_normalized(&self, n: Normalized) -> Value {
        match *self {
            ParamKind::Switch => Value::Index(u32::from(n.get() >= 0.5)),
            ParamKind::Choice { count } => {
                let last = count.saturating_sub(1);
                Value::Index(((n.get() * f64::from(last)).round() as u32).min(last))
            }
            ParamKind::Name { .. } => Value::Text(Arc::from("")),
            _ => Value::Level(Normalized::new_clamped(self.snap(n.get()))),
        }
    }

    /// Where a value sits along the travel (for motor faders, LEDs, the screen).
    pub fn normalized(&self, v: &Value) -> Normalized {
        match (self, v) {
            (_, Value::Level(n)) => *n,
            (ParamKind::Choice { count }, Value::Index(i)) => {
                let last = count.saturating_sub(1).max(1);
                Normalized::new_clamped(f64::from(*i) / f64::from(last))
            }
            (_, Value::Index(i)) => Normalized::new_clamped(f64::from(*i)),
            (_, Value::Text(_)) => Normalized::MIN,
        }
    }

    /// Check a value against the kind and put it on the grid (clamping, cutting long names).
    pub fn conform(&self, v: Value) -> Result<Value, ValueError> {
        match (self, v) {
            (ParamKind::Name { max_len }, Value::Text(t)) => {
                if t.chars().count() > *max_len {
                    Ok(Value::Text(
                        t.chars().take(*max_len).collect::<String>().into(),
                    ))
                } else {
                    Ok(Value::Text(t))
                }
            }
            (ParamKind::Switch, Value::Index(i)) => Ok(Value::Index(u32::from(i != 0))),
            (ParamKind::Choice { count }, Value::Index(i)) => {
                if i < *count {
                    Ok(Value::Index(i))
                } else {
                    Err(ValueError::NoSuchChoice {
                        index: i,
                        last: count.saturating_sub(1),
                    })
                }
            }
            (ParamKind::Switch | ParamKind::Choice { .. }, Value::Level(n)) => {
                Ok(self.from_normalized(n))
            }
            (ParamKind::Name { .. }, other) => Err(self.wrong_shape("text", &other)),
            (_, Value::Level(n)) => Ok(self.from_normalized(n)),
            (_, other) => Err(self.wrong_shape("a level", &other)),
        }
    }

    fn wrong_shape(&self, expected: &'static str, got: &Value) -> ValueError {
        ValueError::WrongShape {
            kind: *self,
            expected,
            got: got.to_string(),
        }
    }

    /// The value an operation leads to from `current`.
    pub fn apply(&self, op: &Op, current: &Value) -> Result<Value, ValueError> {
        match op {
            Op::Set(v) => self.conform(v.clone()),
            Op::Normalized(n) => match self {
                ParamKind::Name { .. } => Err(self.wrong_shape("text", &Value::Level(*n))),
                _ => Ok(self.from_normalized(*n)),
            },
            Op::Steps(k) => {
                let Some(steps) = self.steps() else {
                    return Err(self.wrong_shape("text", &Value::Index(0)));
                };
                if let (ParamKind::Choice { count }, Value::Index(i)) = (self, current) {
                    let last = i64::from(count.saturating_sub(1));
                    let next = (i64::from(*i) + i64::from(*k)).clamp(0, last);
                    return Ok(Value::Index(next as u32));
                }
                let x = self.normalized(current).get() + f64::from(*k) / f64::from(steps);
                // A step must move at least one grid position even on the floor-rounded
                // fader grid, so aim for the middle of the next cell.
                let nudge = 0.25 / f64::from(steps) * f64::from(k.signum());
                Ok(self.from_normalized(Normalized::new_clamped(x + nudge)))
            }
            Op::Toggle => match (self, current) {
                (ParamKind::Name { .. }, _) => Err(self.wrong_shape("text", current)),
                (_, Value::Index(i)) if matches!(self, ParamKind::Switch) => {
                    Ok(Value::Index(u32::from(*i == 0)))
                }
                _ => {
                    let n = self.normalized(current).get();
                    Ok(self.from_normalized(Normalized::new_clamped(if n > 0.0 {
                        0.0
                    } else {
                        1.0
                    })))
                }
            },
        }
    }

    /// A level kind's value in dB (faders, sends, EQ gain, gains); `None` for other kinds.
    pub fn db(&self, v: &Value) -> Option<Db> {
        let x = match v {
            Value::Level(n) => n.get(),
            _ => return None,
        };
        match *self {
            ParamKind::Fader | ParamKind::SendLevel => Some(Db::new_lossy(law::level_to_db(x))),
            ParamKind::EqGain => Some(Db::new_lossy(law::eq_gain_db(x))),
            ParamKind::Gain { min_db, max_db, .. } => {
                Some(Db::new_lossy(min_db + (max_db - min_db) * x))
            }
            _ => None,
        }
    }

    /// The value for a gain in dB, on the grid; `None` for kinds that are not levels.
    pub fn from_db(&self, db: Db) -> Option<Value> {
        let x = match *self {
            ParamKind::Fader | ParamKind::SendLevel => law::db_to_level(db.get()),
            ParamKind::EqGain => law::eq_gain_from_db(db.get()),
            ParamKind::Gain { min_db, max_db, .. } => {
                if db.is_silence() {
                    0.0
                } else {
                    (db.get() - min_db) / (max_db - min_db)
                }
            }
            _ => return None,
        };
        Some(self.from_normalized(Normalized::new_clamped(x)))
    }

    /// A level's value in the mixer's own unit: dB for gains, Hz for EQ frequencies, the Q
    /// for EQ Qs, the number for [`Self::Number`], 0/1 for switches; `None` for the rest and
    /// for an X32 fader at −∞.
    pub fn native(&self, v: &Value) -> Option<f64> {
        match (self, v) {
            (ParamKind::Switch, Value::Index(i)) => Some(f64::from(u32::from(*i != 0))),
            (ParamKind::EqFreq, Value::Level(n)) => Some(law::eq_freq_hz(n.get())),
            (ParamKind::EqQ, Value::Level(n)) => Some(law::eq_q(n.get())),
            (ParamKind::Number { min, max, .. }, Value::Level(n)) => {
                Some(min + (max - min) * n.get())
            }
            _ => self.db(v).map(Db::get).filter(|x| x.is_finite()),
        }
    }

    /// The value for a number in the mixer's own unit ([`Self::native`]), clamped onto the
    /// range and the grid; `None` for kinds without one or for a number that is not finite.
    pub fn from_native(&self, x: f64) -> Option<Value> {
        if !x.is_finite() {
            return None;
        }
        let position = match *self {
            ParamKind::Switch => return Some(Value::Index(u32::from(x != 0.0))),
            ParamKind::EqFreq => law::eq_freq_from_hz(x),
            ParamKind::EqQ => law::eq_q_from_q(x),
            ParamKind::Number { min, max, .. } => (x - min) / (max - min),
            _ => return self.from_db(Db::new_lossy(x)),
        };
        Some(self.from_normalized(Normalized::new_clamped(position)))
    }

    /// The value as a person reads it: `-5.0 dB`, `ON`, `1k02 Hz`, `L30`.
    pub fn display(&self, v: &Value) -> String {
        if let Some(db) = self.db(v) {
            return db.to_string();
        }
        match (self, v) {
            (ParamKind::Switch, Value::Index(i)) => (if *i == 0 { "OFF" } else { "ON" }).into(),
            (ParamKind::Pan, Value::Level(n)) => {
                let p = law::pan_value(n.get()).round() as i64;
                match p {
                    0 => "C".into(),
                    p if p < 0 => format!("L{}", -p),
                    p => format!("R{p}"),
                }
            }
            (ParamKind::EqFreq, Value::Level(n)) => {
                let hz = law::eq_freq_hz(n.get());
                if hz >= 1000.0 {
                    format!("{:.2}k Hz", hz / 1000.0)
                } else {
                    format!("{hz:.0} Hz")
                }
            }
            (ParamKind::EqQ, Value::Level(n)) => format!("Q {:.2}", law::eq_q(n.get())),
            (ParamKind::Fraction { .. }, Value::Level(n)) => format!("{:.0} %", n.get() * 100.0),
            (ParamKind::Number { step, unit, .. }, Value::Level(_)) => {
                let x = self.native(v).unwrap_or(0.0);
                let decimals = if *step >= 1.0 {
                    0
                } else {
                    (-step.log10()).ceil() as usize
                };
                format!("{x:.decimals$} {unit}").trim_end().to_string()
            }
            (_, other) => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn level(x: f64) -> Value {
        Value::Level(Normalized::new_clamped(x))
    }

    #[test]
    fn fader_set_snaps_to_the_console_grid() {
        let v = ParamKind::Fader.conform(level(0.75)).unwrap();
        assert_eq!(v, level(767.0 / 1023.0));
        assert_eq!(ParamKind::Fader.display(&v), "+0.0 dB");
        assert_eq!(ParamKind::Fader.display(&level(0.0)), "-inf dB");
    }

    #[test]
    fn one_step_moves_one_grid_position_both_ways() {
        let kind = ParamKind::Fader;
        let zero = kind.conform(level(0.75)).unwrap();
        assert_eq!(
            kind.apply(&Op::Steps(1), &zero).unwrap(),
            level(768.0 / 1023.0)
        );
        assert_eq!(
            kind.apply(&Op::Steps(-1), &zero).unwrap(),
            level(766.0 / 1023.0)
        );
        let send = ParamKind::SendLevel;
        let s = send.conform(level(0.5)).unwrap();
        assert_eq!(send.apply(&Op::Steps(3), &s).unwrap(), level(83.0 / 160.0));
    }

    #[test]
    fn switches_and_choices() {
        assert_eq!(
            ParamKind::Switch.apply(&Op::Toggle, &Value::Index(0)),
            Ok(Value::Index(1))
        );
        assert_eq!(
            ParamKind::Switch.conform(Value::Index(7)),
            Ok(Value::Index(1))
        );
        let colour = ParamKind::Choice { count: 16 };
        assert!(colour.conform(Value::Index(16)).is_err());
        assert_eq!(
            colour.apply(&Op::Steps(20), &Value::Index(3)),
            Ok(Value::Index(15))
        );
    }

    #[test]
    fn names_are_cut_and_never_take_levels() {
        let name = ParamKind::Name { max_len: 12 };
        let long = Value::Text(Arc::from("Lead vocal microphone"));
        assert_eq!(
            name.conform(long),
            Ok(Value::Text(Arc::from("Lead vocal m")))
        );
        assert!(name.conform(level(0.3)).is_err());
        assert!(ParamKind::Fader
            .conform(Value::Text(Arc::from("x")))
            .is_err());
    }

    #[test]
    fn gain_kind_round_trips_db() {
        let bass = ParamKind::Gain {
            min_db: -12.0,
            max_db: 12.0,
            step_db: 0.5,
        };
        let v = bass.from_db(Db::try_new(3.3).unwrap()).unwrap();
        assert_eq!(bass.db(&v), Some(Db::try_new(3.5).unwrap()));
        assert_eq!(bass.db(&bass.default_value()), Some(Db::ZERO));
    }

    proptest! {
        #[test]
        fn conform_is_idempotent(x in 0.0f64..=1.0) {
            for kind in [ParamKind::Fader, ParamKind::SendLevel, ParamKind::Pan, ParamKind::EqFreq,
                         ParamKind::EqGain, ParamKind::EqQ] {
                let once = kind.conform(level(x)).unwrap();
                prop_assert_eq!(kind.conform(once.clone()).unwrap(), once);
            }
        }
    }
}
