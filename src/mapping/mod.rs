//! Mapping files: how a controller's messages become desk intents and how desk changes become
//! its LEDs, motor faders and displays. Three forms, as in STYLE.md rule 5: the file as written
//! (serde), the checked model, and the compiled form the surface engine runs.
//!
//! The pure processing steps live here too (STYLE.md rule 7): `source` turns MIDI messages into
//! control values, `glue` turns control values into desk operations and target values back
//! into feedback. `learn` guesses a control's source and character from its messages.

mod glue;
mod learn;
mod model;
mod source;

pub use glue::{
    feedback_value, GlueOutput, GlueState, ACCELERATION_WINDOW, NEW_MOVEMENT, PICKUP_TOLERANCE,
};
pub use learn::{snippet, Learned, Learner, MAX_MESSAGES, SETTLE};
pub use model::{
    Acceleration, Action, Banks, ButtonMode, ByteOrder, Channel, Character, Control, Device,
    Display, Encoding, Feedback, Glue, Interval, Mapping, Meter, MeterStrip, Motor, RingStyle,
    Source, StripParam, Takeover, Target, Transport,
};
pub use source::{interpret, ControlValue, RawValue, ShortMessage, SourceDecoder};

mod build;
mod file;

use std::path::Path;

use crate::tomlfile::{self, Diagnostics, FileError, FileKind};

impl Mapping {
    /// Read and check a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, FileError> {
        let text = tomlfile::read(path, FileKind::Mapping)?;
        Mapping::parse(&text, path)
    }

    /// Check mapping text; `path` names the file in messages. Every problem is reported.
    pub fn parse(text: &str, path: &Path) -> Result<Mapping, FileError> {
        let mut diags = Diagnostics::new(text);
        let mapping = tomlfile::from_str::<file::MappingFile>(text, &mut diags)
            .and_then(|f| build::build(f, &mut diags));
        match mapping {
            Some(m) if diags.is_empty() => Ok(m),
            _ => Err(FileError::invalid(
                path,
                FileKind::Mapping,
                diags.into_sorted(),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
