//! The X32's value laws: how its 0.0–1.0 wire floats map to dB, Hz, Q and pan, and the grids
//! they snap to. Facts from `shared/reference/x32-osc.md` §1.7; each is pinned by a test below.

/// Steps on the fader grid (1024 positions, k/1023).
pub const FADER_STEPS: u32 = 1023;
/// Steps on the send-level grid (161 positions, k/160).
pub const SEND_STEPS: u32 = 160;
/// Steps on the EQ frequency grid (201 positions).
pub const EQ_FREQ_STEPS: u32 = 200;
/// Steps on the EQ gain grid (121 positions of 0.25 dB).
pub const EQ_GAIN_STEPS: u32 = 120;
/// Steps on the EQ Q grid (72 positions).
pub const EQ_Q_STEPS: u32 = 71;
/// Steps on the pan grid (101 positions of 2 %).
pub const PAN_STEPS: u32 = 100;

/// Fader float → dB on the 4-segment law; 0.0 is −∞.
pub fn level_to_db(f: f64) -> f64 {
    let f = f.clamp(0.0, 1.0);
    if f <= 0.0 {
        f64::NEG_INFINITY
    } else if f >= 0.5 {
        40.0 * f - 30.0
    } else if f >= 0.25 {
        80.0 * f - 50.0
    } else if f >= 0.0625 {
        160.0 * f - 70.0
    } else {
        480.0 * f - 90.0
    }
}

/// dB → fader float on the 4-segment law, unquantized; −∞ (or anything ≤ −90) is 0.0.
pub fn db_to_level(db: f64) -> f64 {
    let f = if db.is_nan() || db <= -90.0 {
        0.0
    } else if db < -60.0 {
        (db + 90.0) / 480.0
    } else if db < -30.0 {
        (db + 70.0) / 160.0
    } else if db < -10.0 {
        (db + 50.0) / 80.0
    } else {
        (db + 30.0) / 40.0
    };
    f.clamp(0.0, 1.0)
}

/// Snap a level float to a grid of `steps` the way the console does: `floor(f·(steps+½))/steps`.
/// This puts 0 dB (0.75) on 767/1023 = 0.749756, not on 0.75.
pub fn quantize_level(f: f64, steps: u32) -> f64 {
    let s = f64::from(steps);
    let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
    ((f * (s + 0.5)).floor() / s).clamp(0.0, 1.0)
}

/// Snap a linear/log-parameter float to the nearest of `steps` intervals.
pub fn quantize_nearest(f: f64, steps: u32) -> f64 {
    let s = f64::from(steps);
    let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
    ((f * s).round() / s).clamp(0.0, 1.0)
}

/// EQ frequency: `Hz = 20·1000^x`.
pub fn eq_freq_hz(x: f64) -> f64 {
    20.0 * 1000f64.powf(x.clamp(0.0, 1.0))
}

/// Inverse of [`eq_freq_hz`], unquantized.
pub fn eq_freq_from_hz(hz: f64) -> f64 {
    if hz.is_nan() || hz <= 20.0 {
        0.0
    } else {
        ((hz / 20.0).ln() / 1000f64.ln()).clamp(0.0, 1.0)
    }
}

/// EQ gain: `dB = 30x − 15`.
pub fn eq_gain_db(x: f64) -> f64 {
    30.0 * x.clamp(0.0, 1.0) - 15.0
}

/// Inverse of [`eq_gain_db`], unquantized.
pub fn eq_gain_from_db(db: f64) -> f64 {
    if db.is_nan() {
        0.5
    } else {
        ((db + 15.0) / 30.0).clamp(0.0, 1.0)
    }
}

/// EQ Q: `q = 10·0.03^x` (10 at the bottom, 0.3 at the top).
pub fn eq_q(x: f64) -> f64 {
    10.0 * 0.03f64.powf(x.clamp(0.0, 1.0))
}

/// Inverse of [`eq_q`], unquantized.
pub fn eq_q_from_q(q: f64) -> f64 {
    if q.is_nan() || q >= 10.0 {
        0.0
    } else if q <= 0.3 {
        1.0
    } else {
        ((q / 10.0).ln() / 0.03f64.ln()).clamp(0.0, 1.0)
    }
}

/// Pan: `pan = 200x − 100` (−100 full left, +100 full right).
pub fn pan_value(x: f64) -> f64 {
    200.0 * x.clamp(0.0, 1.0) - 100.0
}

/// Inverse of [`pan_value`], unquantized.
pub fn pan_from_value(p: f64) -> f64 {
    if p.is_nan() {
        0.5
    } else {
        ((p + 100.0) / 200.0).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fader(db: f64) -> f64 {
        quantize_level(db_to_level(db), FADER_STEPS)
    }

    #[test]
    fn zero_db_is_767_over_1023_not_three_quarters() {
        assert_eq!(fader(0.0), 767.0 / 1023.0);
        assert!((fader(0.0) - 0.749756).abs() < 1e-6);
    }

    #[test]
    fn fader_table_from_the_reference() {
        assert_eq!(fader(10.0), 1.0);
        assert_eq!(fader(f64::NEG_INFINITY), 0.0);
        // The doc's example float for +3 dB is 0.8250 (844/1023 = 0.82502).
        assert!((fader(3.0) - 0.8250).abs() < 1e-4);
        // The emulator converted −5.0 dB to 0.624633 = 639/1023.
        assert_eq!(fader(-5.0), 639.0 / 1023.0);
        // Segment boundaries.
        assert_eq!(level_to_db(0.5), -10.0);
        assert_eq!(level_to_db(0.25), -30.0);
        assert_eq!(level_to_db(0.0625), -60.0);
        assert_eq!(level_to_db(0.0), f64::NEG_INFINITY);
        assert_eq!(level_to_db(1.0), 10.0);
    }

    #[test]
    fn send_levels_sit_on_k_over_160() {
        let f = quantize_level(db_to_level(0.0), SEND_STEPS);
        assert_eq!(f, 120.0 / 160.0);
        assert_eq!(level_to_db(f), 0.0);
        // The emulator's own rule: int(f·160.5)/160.
        assert_eq!(
            quantize_level(0.3, SEND_STEPS),
            (0.3f64 * 160.5).floor() / 160.0
        );
    }

    #[test]
    fn eq_laws_from_the_reference() {
        assert_eq!(eq_freq_hz(0.0), 20.0);
        assert!((eq_freq_hz(1.0) - 20000.0).abs() < 1e-6);
        // 0.57 is displayed "1k02" (1025.7 Hz).
        assert!((eq_freq_hz(0.57) - 1025.7).abs() < 0.1);
        assert_eq!(eq_gain_db(0.5), 0.0);
        assert_eq!(eq_gain_db(1.0), 15.0);
        assert_eq!(
            quantize_nearest(eq_gain_from_db(3.2), EQ_GAIN_STEPS),
            73.0 / 120.0
        );
        assert!((eq_gain_db(73.0 / 120.0) - 3.25).abs() < 1e-9);
        assert_eq!(eq_q(0.0), 10.0);
        assert!((eq_q(1.0) - 0.3).abs() < 1e-12);
        assert_eq!(pan_value(0.5), 0.0);
        assert_eq!(pan_value(0.0), -100.0);
        assert_eq!(quantize_nearest(pan_from_value(31.0), PAN_STEPS), 0.66);
    }

    proptest! {
        #[test]
        fn fader_quantization_is_a_fixed_point(k in 0u32..=1023) {
            let f = f64::from(k) / 1023.0;
            prop_assert_eq!(quantize_level(f, FADER_STEPS), f);
        }

        #[test]
        fn db_level_round_trip(db in -89.9f64..10.0) {
            let back = level_to_db(db_to_level(db));
            prop_assert!((back - db).abs() < 1e-9);
        }

        #[test]
        fn laws_never_leave_the_range(x in proptest::num::f64::ANY) {
            let q = quantize_level(x, FADER_STEPS);
            prop_assert!((0.0..=1.0).contains(&q));
            prop_assert!((0.0..=1.0).contains(&quantize_nearest(x, PAN_STEPS)));
            prop_assert!((0.0..=1.0).contains(&db_to_level(x)));
            prop_assert!((0.0..=1.0).contains(&eq_freq_from_hz(x)));
            prop_assert!((0.0..=1.0).contains(&eq_q_from_q(x)));
        }
    }
}
