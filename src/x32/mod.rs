//! The Behringer X32 over OSC/UDP: the codec and its quirks, node text lines, the client that
//! keeps a link between the console and the desk, backups and restores over `/node`, routing
//! analysis, and the fake X32 used by the demo and tests.

pub mod backup;
mod client;
pub mod codec;
pub mod fake;
mod meters;
pub mod node;
mod probe;
pub mod routing;
mod sync;

pub use client::{osc_arg, run, value_from_args, LinkTiming, X32Settings, X32_PORT};
pub use meters::{apply_bank, BankShapeError, BANK0_LEN, BANK2_LEN};
pub use probe::{probe_latency, X32Probe, PROBE_METHOD};
pub use sync::{Action, Readback, Verdict, WriteTiming, WriteTracker};
