//! Integration tests: one binary, a module per capability. Everything runs on 127.0.0.1 with
//! ephemeral ports; servers are started and stopped by the tests themselves.

mod backup;
mod camilla;
mod cli;
mod gpio;
mod journal;
mod latency;
mod learn;
#[cfg(unix)]
mod lifecycle;
mod memory;
mod midi_net;
mod stabilizer;
mod state;
mod support;
mod surfaces;
mod ui;
mod web;
mod web_browser;
mod x32_link;
