//! Loudness from 50 ms meter frames, as energy: frames are averaged as squared amplitudes and
//! turned into dB only at the end. Averaging dB values runs 2–3 LU loud (`stabilizer.md` §1).

use std::collections::VecDeque;

/// A sliding mean of frame energies.
#[derive(Clone, Debug)]
pub struct EnergyWindow {
    frames: VecDeque<f64>,
    len: usize,
    sum: f64,
    pushes: u32,
}

impl EnergyWindow {
    /// A window of `len` frames (8 = 400 ms momentary, 60 = 3 s short-term).
    pub fn new(len: usize) -> Self {
        EnergyWindow {
            frames: VecDeque::with_capacity(len.max(1)),
            len: len.max(1),
            sum: 0.0,
            pushes: 0,
        }
    }

    /// Add a frame's energy (amplitude squared), dropping the oldest past the window.
    pub fn push(&mut self, energy: f64) {
        let energy = if energy.is_finite() {
            energy.max(0.0)
        } else {
            0.0
        };
        if self.frames.len() == self.len {
            if let Some(old) = self.frames.pop_front() {
                self.sum -= old;
            }
        }
        self.frames.push_back(energy);
        self.sum += energy;
        // Sum afresh now and then so rounding from the subtractions never builds up.
        self.pushes = self.pushes.wrapping_add(1);
        if self.pushes.is_multiple_of(4096) {
            self.sum = self.frames.iter().sum();
        }
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Resize (a profile change); the newest frames are kept.
    pub fn resize(&mut self, len: usize) {
        self.len = len.max(1);
        while self.frames.len() > self.len {
            if let Some(old) = self.frames.pop_front() {
                self.sum -= old;
            }
        }
        self.sum = self.frames.iter().sum();
    }

    /// Mean energy in dB (−∞ for silence), `None` when empty.
    pub fn db(&self) -> Option<f64> {
        if self.frames.is_empty() {
            return None;
        }
        Some(energy_db(self.sum.max(0.0) / self.frames.len() as f64))
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.frames.clear();
        self.sum = 0.0;
    }
}

/// dB of a mean energy; silence is −∞.
pub fn energy_db(e: f64) -> f64 {
    if e > 0.0 {
        10.0 * e.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Amplitude gain of a dB value.
pub fn db_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn energy_not_decibels_is_averaged() {
        let mut w = EnergyWindow::new(4);
        // Two frames at 0 dBFS, two silent: mean energy 0.5 → −3.01 dB (a dB average says −∞).
        for a in [1.0f64, 0.0, 1.0, 0.0] {
            w.push(a * a);
        }
        assert!((w.db().unwrap() + 3.0103).abs() < 1e-3);
        w.push(0.0);
        w.push(0.0);
        w.push(0.0);
        w.push(0.0);
        assert_eq!(w.db(), Some(f64::NEG_INFINITY));
        assert_eq!(EnergyWindow::new(3).db(), None);
    }

    proptest! {
        #[test]
        fn the_running_sum_matches_a_fresh_sum(xs in proptest::collection::vec(0.0f64..8.0, 1..300), len in 1usize..70) {
            let mut w = EnergyWindow::new(len);
            for x in &xs {
                w.push(x * x);
            }
            let tail: Vec<f64> = xs.iter().rev().take(len).map(|x| x * x).collect();
            let want = energy_db(tail.iter().sum::<f64>() / tail.len() as f64);
            let got = w.db().unwrap();
            prop_assert!((got - want).abs() < 1e-6 || (got.is_infinite() && want.is_infinite()));
        }
    }
}
