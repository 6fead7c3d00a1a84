//! The livestream level stabilizer: rides the fader of the bus or matrix that feeds the stream
//! so the stream holds a loudness target (`stabilizer.md`).
//!
//! - `tuning`: target, modes, profiles and their windows and rates;
//! - `loudness`: energy windows over meter frames;
//! - `controller`: the leveler and the classic PID, one meter frame in, a fader write out;
//! - `calibrate`: the step test that measures the loop delay and the meter position;
//! - `relay`: the relay auto-tune for the PID mode;
//! - `replay`: the same controller over a frame-level model of the X32, offline;
//! - `task`: the live rider on the desk, with its safety rules and controls.

mod calibrate;
mod controller;
mod loudness;
mod relay;
mod replay;
mod task;
mod tuning;

pub use calibrate::{Calibrated, Calibration, CalibrationError, Step as CalibrationStep, STEP_DB};
pub use controller::{fader_grid_db, Activity, Controller, Reading};
pub use loudness::{db_gain, energy_db, EnergyWindow};
pub use relay::{Relay, RelayResult, Rule};
pub use replay::{relay_tune, replay, Audio, MeterKind, Replay, ReplayOptions, TraceRow};
pub use task::{
    initial_state, run, source_index, source_strip, Controls, StabilizerSetup, StabilizerState,
    Status, METER_TIMEOUT,
};
pub use tuning::{
    MeterPosition, Mode, PidGains, Profile, RateOverrides, Settings, Tuning, FRAME_S,
    TARGET_PRESETS,
};

#[cfg(test)]
mod tests;
