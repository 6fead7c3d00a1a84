//! Mapping files: how a controller's messages become desk intents and how desk changes become
//! its LEDs, motor faders and displays. Three forms, as in STYLE.md rule 5: the file as written
//! (serde), the checked model, and the compiled form the surface engine runs.
//!
//! The pure processing steps live here too (STYLE.md rule 7): `source` turns MIDI messages into
//! control values, `glue` turns control values into desk operations and target values back
//! into feedback.

mod glue;
mod model;
mod source;

pub use glue::{
    feedback_value, GlueOutput, GlueState, ACCELERATION_WINDOW, NEW_MOVEMENT, PICKUP_TOLERANCE,
};
pub use model::{
    Acceleration, ButtonMode, ByteOrder, Channel, Character, Encoding, Glue, Interval, Source,
    Takeover,
};
pub use source::{interpret, ControlValue, RawValue, ShortMessage, SourceDecoder};
