//! The touchscreen desk (Slint, software renderer): strips built from the config and the
//! mixers, a master section with the stabilizer panel, a status bar and settings, in English
//! and French.
//!
//! - `strips`: what is shown, as plain Rust (tested without a window);
//! - `screen`: the Slint models on the UI thread, one frame applied at a time;
//! - `live`: the tokio side: changes, meters and link states coalesced into ≤ 30 frames/s;
//! - `render`: headless PNG renders of the desk;
//! - `web_pair`: the panel that pairs a phone with the web remote.

#![allow(missing_docs)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

pub mod app;
pub mod banks;
pub mod live;
pub mod memory;
pub mod render;
pub mod screen;
pub mod shots;
pub mod strips;
pub mod web_pair;

pub use screen::{Frame, Look, Screen};
