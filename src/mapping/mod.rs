//! Mapping files: how a controller's messages become desk intents and how desk changes become
//! its LEDs, motor faders and displays. Three forms, as in STYLE.md rule 5: the file as written
//! (serde), the checked model, and the compiled form the surface engine runs.

mod model;

pub use model::{
    Acceleration, ButtonMode, ByteOrder, Channel, Character, Encoding, Glue, Interval, Source,
    Takeover,
};
