//! CamillaDSP over its websocket API: the protocol layer that speaks both the v5 and the v4/v3
//! wire formats (pure, no I/O), and recorded v4 answers for building mocks.

mod protocol;
pub mod testing;

pub use protocol::{
    decode, detect_version, encode, parse_version, reply_name, Command, Detect, Event, Incoming,
    Levels, Outcome, ProcessingState, ProtocolError, Reply, Version,
};
