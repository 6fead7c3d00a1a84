//! TOML files that people write (the service config, mapping files): byte spans turned into
//! `line:column`, `toml`'s own errors rewritten as sentences that name the key and its table,
//! and every problem in a file collected rather than stopping at the first.

mod describe;
mod error;

pub use describe::describe;
pub use error::{line_column, Diagnostic, Diagnostics, FileError, FileKind};

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
