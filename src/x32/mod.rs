//! The Behringer X32 over OSC/UDP: the codec and its quirks, node text lines, the client that
//! keeps a link to the desk, and the fake X32 used by the demo and the tests.

pub mod codec;
pub mod fake;
pub mod node;
