//! Calibration on the live desk: a short, small step down on the fader (3 dB for at most a
//! second) tells whether the meter follows the fader (post-fader) and how many frames it takes
//! (the loop delay), so the leveler refers the meter to the right fader value.

use super::loudness::energy_db;
use super::tuning::MeterPosition;

/// The step, dB: small enough to pass unnoticed on a stream, large enough to see in a meter.
pub const STEP_DB: f64 = 3.0;
/// Frames of baseline before the step.
const BASELINE_FRAMES: usize = 10;
/// The meter must be this steady over the baseline, dB (a tone or pink noise is; speech is not).
const MAX_SPREAD_DB: f64 = 1.5;
/// Quieter than this is no signal, dBFS.
const SIGNAL_FLOOR_DB: f64 = -60.0;
/// Frames to wait for the meter to follow before calling it pre-fader (1 s).
const WAIT_FRAMES: u32 = 20;

/// What calibration measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calibrated {
    /// Whether the meter follows the fader.
    pub meter_position: MeterPosition,
    /// Frames from a fader write to the meter showing it (post-fader meters only; 2 for pre).
    pub loop_delay_frames: usize,
}

/// Why calibration gave up (the fader is back where it was).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// The source is silent.
    #[error("no signal on the source (below {SIGNAL_FLOOR_DB} dBFS); play programme, a tone or pink noise")]
    NoSignal,
    /// The source moves too much to see a 3 dB step.
    #[error("the source is too unsteady ({0:.1} dB over 0.5 s); calibrate on a steady tone or pink noise")]
    Unsteady(f64),
}

/// What to do after a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Keep feeding frames.
    Continue,
    /// Write this fader value (dB), then keep feeding frames.
    Write(f64),
    /// Finished: write the first value (the fader as found), and use the result.
    Done(f64, Result<Calibrated, CalibrationError>),
}

enum Phase {
    Baseline(Vec<f64>),
    Stepped { baseline_db: f64, frames: u32 },
}

/// A calibration in progress.
pub struct Calibration {
    fader_db: f64,
    phase: Phase,
}

impl Calibration {
    /// Start with the fader at `fader_db`.
    pub fn new(fader_db: f64) -> Calibration {
        Calibration {
            fader_db,
            phase: Phase::Baseline(Vec::with_capacity(BASELINE_FRAMES)),
        }
    }

    /// One meter frame (linear amplitude, `None` when lost).
    pub fn frame(&mut self, meter: Option<f64>) -> Step {
        let level = meter.filter(|m| m.is_finite()).map(|m| energy_db(m * m));
        match &mut self.phase {
            Phase::Baseline(seen) => {
                let Some(db) = level else {
                    return Step::Continue;
                };
                if db < SIGNAL_FLOOR_DB {
                    return Step::Done(self.fader_db, Err(CalibrationError::NoSignal));
                }
                seen.push(db);
                if seen.len() < BASELINE_FRAMES {
                    return Step::Continue;
                }
                let max = seen.iter().copied().fold(f64::MIN, f64::max);
                let min = seen.iter().copied().fold(f64::MAX, f64::min);
                if max - min > MAX_SPREAD_DB {
                    return Step::Done(self.fader_db, Err(CalibrationError::Unsteady(max - min)));
                }
                let baseline_db = seen.iter().sum::<f64>() / seen.len() as f64;
                self.phase = Phase::Stepped {
                    baseline_db,
                    frames: 0,
                };
                Step::Write(self.fader_db - STEP_DB)
            }
            Phase::Stepped {
                baseline_db,
                frames,
            } => {
                *frames += 1;
                if level.is_some_and(|db| db < *baseline_db - STEP_DB / 2.0) {
                    return Step::Done(
                        self.fader_db,
                        Ok(Calibrated {
                            meter_position: MeterPosition::Post,
                            loop_delay_frames: *frames as usize,
                        }),
                    );
                }
                if *frames >= WAIT_FRAMES {
                    return Step::Done(
                        self.fader_db,
                        Ok(Calibrated {
                            meter_position: MeterPosition::Pre,
                            loop_delay_frames: 2,
                        }),
                    );
                }
                Step::Continue
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stabilizer::loudness::db_gain;

    /// A steady −20 dBFS tone through a fader that shows in the meter `delay` frames after the
    /// write (or never, pre-fader).
    fn run(delay: usize, post: bool) -> Result<Calibrated, CalibrationError> {
        let mut cal = Calibration::new(0.0);
        // The fader after each frame; frame j's meter shows the one after frame j − delay.
        let mut written = vec![0.0];
        for j in 1..100usize {
            let shown = written[j.saturating_sub(delay)];
            let meter = db_gain(-20.0 + if post { shown } else { 0.0 });
            let fader = *written.last().unwrap();
            match cal.frame(Some(meter)) {
                Step::Continue => written.push(fader),
                Step::Write(db) => written.push(db),
                Step::Done(back, r) => {
                    assert_eq!(back, 0.0);
                    return r;
                }
            }
        }
        panic!("calibration never finished");
    }

    #[test]
    fn it_measures_the_loop_delay_and_the_meter_position() {
        for delay in 1..=4 {
            assert_eq!(
                run(delay, true),
                Ok(Calibrated {
                    meter_position: MeterPosition::Post,
                    loop_delay_frames: delay
                })
            );
        }
        assert_eq!(run(2, false).unwrap().meter_position, MeterPosition::Pre);
    }

    #[test]
    fn silence_and_speech_are_refused() {
        let mut cal = Calibration::new(-3.0);
        assert_eq!(
            cal.frame(Some(0.0)),
            Step::Done(-3.0, Err(CalibrationError::NoSignal))
        );
        let mut cal = Calibration::new(0.0);
        let mut last = Step::Continue;
        for i in 0..10 {
            last = cal.frame(Some(db_gain(if i % 2 == 0 { -20.0 } else { -26.0 })));
        }
        assert!(matches!(
            last,
            Step::Done(_, Err(CalibrationError::Unsteady(_)))
        ));
    }
}
