//! MIDI: the message codec, the ports every MIDI surface talks through (a device that may be
//! unplugged and replugged, found by name), network MIDI (raw MIDI bytes over UDP) and the
//! midir adapter for system MIDI devices (ALSA, CoreMIDI, WinMM).

pub mod codec;
mod midir_port;
mod names;
mod net;
mod port;
mod probe;

pub use codec::{
    encode, parse_all, to_bytes, Channel, Midi14, Midi7, MidiMessage, MidiParser, MidiValueError,
    Realtime, SysEx, SystemCommon, MAX_SYSEX_LEN,
};
pub use midir_port::{list_ports, MidiError, PortList, POLL_EVERY, RETRY_NO_SYSTEM};
pub use names::{diff, NamePattern, PatternError, PortChange};
pub use net::{open_bound, pack, NetSettings, SilenceRule, MAX_DATAGRAM};
pub use port::{
    open, MemoryDevice, MidiPort, PortClosed, PortEvent, PortSpec, EVENT_CAPACITY, OUT_CAPACITY,
};
pub use probe::{
    probe_latency, IdentityReply, LoopMethod, MidiProbe, MidiProbeError, DEVICE_INQUIRY,
};
