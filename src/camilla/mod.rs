//! CamillaDSP over its websocket API: the protocol layer that speaks both the v5 and the v4/v3
//! wire formats (pure, no I/O), mixer features as commands (pure), the link task that keeps
//! CamillaDSP in step with the desk, and recorded v4 answers for building mocks.

pub mod check;
mod client;
mod features;
mod filters;
mod probe;
mod protocol;
pub mod testing;

pub use client::{run, CamillaSettings, CamillaTiming};
pub use features::{
    commands_for, pointer, read_command, value_from_json, Curve, Feature, MixState, SoloState,
    FADER_RANGE_DB, GAIN_RANGE_DB, TONE_RANGE_DB,
};
pub use filters::filter_param_kind;
pub use probe::{
    probe_latency, processing_latency, CamillaProbe, CamillaProbeError, LatencyConfigError,
    PROBE_METHOD,
};
pub use protocol::{
    decode, detect_version, encode, parse_version, reply_name, Command, Detect, Event, Incoming,
    Levels, Outcome, ProcessingState, ProtocolError, Reply, Version,
};
