//! pupitre: physical controls and a touchscreen turned into a mixing desk for a Behringer X32
//! and CamillaDSP. See `shared/DESIGN.md` for the architecture: surfaces → desk → mixers, with
//! changes broadcast back for feedback and meters on their own latest-value channels.

#![warn(missing_docs)]

pub mod camilla;
pub mod config;
pub mod control;
pub mod demo;
pub mod desk;
pub mod gpio;
pub mod latency;
pub mod learn;
pub mod mapping;
pub mod midi;
pub mod notify;
pub mod service;
pub mod stabilizer;
pub mod state;
pub mod surface;
pub mod tomlfile;
pub mod ui;
pub mod web;
pub mod x32;
