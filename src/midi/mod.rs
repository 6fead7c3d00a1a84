//! MIDI: the message codec, the ports every MIDI surface talks through (a device that may be
//! unplugged and replugged, found by name), network MIDI (raw MIDI bytes over UDP) and the
//! midir adapter for ALSA / CoreMIDI / WinMM devices.

pub mod codec;

pub use codec::{
    encode, parse_all, to_bytes, Channel, Midi14, Midi7, MidiMessage, MidiParser, MidiValueError,
    Realtime, SysEx, SystemCommon, MAX_SYSEX_LEN,
};
