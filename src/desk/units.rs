//! Units as types: a fader's travel is not a gain in dB, and neither is ever NaN.

use std::fmt;

use thiserror::Error;

/// A value that cannot become a unit.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum UnitError {
    /// NaN reached a unit constructor.
    #[error("not a number")]
    NotANumber,
    /// A normalized value outside 0.0–1.0.
    #[error("{0} is outside 0.0–1.0")]
    OutOfRange(f64),
}

/// Position along a control's travel, 0.0 (bottom) to 1.0 (top): what surfaces speak.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Normalized(f64);

impl Normalized {
    /// The bottom of the travel.
    pub const MIN: Normalized = Normalized(0.0);
    /// The top of the travel.
    pub const MAX: Normalized = Normalized(1.0);

    /// For input from outside: refuses NaN and values off the travel.
    pub fn try_new(v: f64) -> Result<Self, UnitError> {
        if v.is_nan() {
            Err(UnitError::NotANumber)
        } else if !(0.0..=1.0).contains(&v) {
            Err(UnitError::OutOfRange(v))
        } else {
            Ok(Normalized(v))
        }
    }

    /// For arithmetic: clamps to the travel; NaN becomes 0.0.
    pub fn new_clamped(v: f64) -> Self {
        if v.is_nan() {
            Normalized(0.0)
        } else {
            Normalized(v.clamp(0.0, 1.0))
        }
    }

    /// The raw position.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.4}", self.0)
    }
}

/// A gain or a level in dB. Never NaN; silence is [`Db::NEG_INFINITY`].
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Db(f64);

impl Db {
    /// Silence, or a fader at the bottom.
    pub const NEG_INFINITY: Db = Db(f64::NEG_INFINITY);
    /// Unity gain / full scale.
    pub const ZERO: Db = Db(0.0);

    /// Refuses NaN.
    pub fn try_new(v: f64) -> Result<Self, UnitError> {
        if v.is_nan() {
            Err(UnitError::NotANumber)
        } else {
            Ok(Db(v))
        }
    }

    /// NaN becomes silence.
    pub fn new_lossy(v: f64) -> Self {
        if v.is_nan() {
            Db::NEG_INFINITY
        } else {
            Db(v)
        }
    }

    /// From a linear amplitude (1.0 = 0 dB); zero, negative or NaN amplitudes are silence.
    pub fn from_amplitude(a: f64) -> Self {
        if a > 0.0 {
            Db(20.0 * a.log10())
        } else {
            Db::NEG_INFINITY
        }
    }

    /// As a linear amplitude (0 dB = 1.0, silence = 0.0).
    pub fn amplitude(self) -> f64 {
        if self.0 == f64::NEG_INFINITY {
            0.0
        } else {
            10f64.powf(self.0 / 20.0)
        }
    }

    /// The raw value in dB.
    pub fn get(self) -> f64 {
        self.0
    }

    /// True for silence.
    pub fn is_silence(self) -> bool {
        self.0 == f64::NEG_INFINITY
    }
}

impl fmt::Display for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_silence() {
            write!(f, "-inf dB")
        } else {
            // Round first so that 767/1023 (−0.0098 dB) reads "+0.0 dB", as on the console.
            let r = (self.0 * 10.0).round() / 10.0;
            write!(f, "{:+.1} dB", if r == 0.0 { 0.0 } else { r })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_refuses_nan_and_off_travel() {
        assert_eq!(Normalized::try_new(f64::NAN), Err(UnitError::NotANumber));
        assert_eq!(Normalized::try_new(1.5), Err(UnitError::OutOfRange(1.5)));
        assert_eq!(Normalized::new_clamped(-3.0).get(), 0.0);
        assert_eq!(Normalized::new_clamped(f64::NAN).get(), 0.0);
    }

    #[test]
    fn db_amplitude_round_trip() {
        assert!((Db::from_amplitude(0.5).get() + 6.0206).abs() < 1e-3);
        assert!(Db::from_amplitude(0.0).is_silence());
        assert_eq!(Db::NEG_INFINITY.amplitude(), 0.0);
        assert!((Db::try_new(-6.0206).unwrap().amplitude() - 0.5).abs() < 1e-4);
    }
}
