//! TOML files that people write (the service config, mapping files): byte spans turned into
//! `line:column`, `toml`'s own errors rewritten as sentences that name the key and its table,
//! and every problem in a file collected rather than stopping at the first.

mod describe;
mod error;

pub use describe::describe;
pub use error::{line_column, Diagnostic, Diagnostics, FileError, FileKind};

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

/// Read a file people write, or say which file could not be read and why.
pub fn read(path: &Path, kind: FileKind) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| FileError::read(path, kind, e))
}

/// An integer that must fit `range`; records `key = value is out of range; expected a to b`
/// at its place otherwise.
pub fn int_in(v: &Spanned<i64>, range: Range<i64>, key: &str, d: &mut Diagnostics) -> Option<i64> {
    let x = *v.get_ref();
    if range.contains(&x) {
        Some(x)
    } else {
        d.at(
            v.span(),
            format!(
                "{key} = {x} is out of range; expected {} to {}",
                range.start,
                range.end - 1
            ),
        );
        None
    }
}

/// Deserialize `text`, or record `toml`'s (first) error as a sentence in `diags`.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, diags: &mut Diagnostics) -> Option<T> {
    match toml::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let (span, message) = describe(text, &e);
            diags.at(span, message);
            None
        }
    }
}
