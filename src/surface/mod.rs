//! Surfaces: one task per controller that runs its mapping between the device and the desk.
//! MIDI in becomes intents; desk changes and meters become LEDs, motor faders, rings and
//! scribble strips, coalesced per address and rate-limited.

mod engine;
mod feedback;
mod task;

pub use engine::{Engine, Output, ECHO_WINDOW, METER_PERIOD, MOTOR_SQUELCH};
pub use feedback::Address;
pub use task::{run, short_message, SurfaceSpec, RELOAD_EVERY};

#[cfg(test)]
mod tests;
