//! MIDI 1.0 byte streams ↔ [`MidiMessage`]s.
//!
//! Written here rather than taken from a crate: of `wmidi`, `midi-msg`, `helgoboss-midi` and
//! `midly`, only `midly::stream::MidiStream` parses a byte *stream*, and it holds system-common
//! messages back until the next status byte, keeps them as running status and reports a SysEx
//! cut short by another status byte as complete.
//!
//! Stream rules ([`MidiParser`]):
//! - running status: data bytes after a complete channel message repeat its status; a
//!   system-common or SysEx status cancels it;
//! - realtime bytes (`F8`–`FF`) may appear anywhere, even inside a SysEx or between the data
//!   bytes of a message, and do not disturb it;
//! - a status byte that interrupts an unfinished message or SysEx drops the fragment, as do
//!   stray data bytes with no status and the undefined `F4`/`F5`;
//! - a SysEx longer than [`MAX_SYSEX_LEN`] is dropped whole.
//!
//! [`encode`] always writes full messages (no running status): devices and network peers are
//! happiest that way.

use std::fmt;

use thiserror::Error;

/// Longest SysEx kept, `F0` and `F7` included; longer ones are dropped.
pub const MAX_SYSEX_LEN: usize = 64 * 1024;

/// A value out of the range of a MIDI field.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MidiValueError {
    /// Channels are 0–15 internally (shown 1–16).
    #[error("MIDI channel {0} out of range (0–15 internally, shown as 1–16)")]
    Channel(u8),
    /// 7-bit values are 0–127.
    #[error("7-bit MIDI value {0} out of range (0–127)")]
    Midi7(u8),
    /// 14-bit values are 0–16383.
    #[error("14-bit MIDI value {0} out of range (0–16383)")]
    Midi14(u16),
    /// Realtime status bytes are F8–FF.
    #[error("{0:#04X} is not a realtime status byte (F8–FF)")]
    Realtime(u8),
    /// A SysEx must be `F0`, 7-bit data, `F7`, and at most [`MAX_SYSEX_LEN`] bytes.
    #[error("not a SysEx message: {0}")]
    SysEx(&'static str),
}

/// A MIDI channel, 0–15 (displayed 1–16, as on devices and in mapping files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel(u8);

impl Channel {
    /// A channel from its 0-based number.
    pub fn try_new(v: u8) -> Result<Self, MidiValueError> {
        if v < 16 {
            Ok(Channel(v))
        } else {
            Err(MidiValueError::Channel(v))
        }
    }
    /// The low nibble of a status byte.
    fn from_status(status: u8) -> Self {
        Channel(status & 0x0F)
    }
    /// 0-based number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ch{}", self.0 + 1)
    }
}

/// A 7-bit data value, 0–127 (note, velocity, controller number, CC value…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Midi7(u8);

impl Midi7 {
    /// The largest value, 127.
    pub const MAX: Midi7 = Midi7(127);
    /// A value that must already be in range.
    pub fn try_new(v: u8) -> Result<Self, MidiValueError> {
        if v < 0x80 {
            Ok(Midi7(v))
        } else {
            Err(MidiValueError::Midi7(v))
        }
    }
    /// The low seven bits of `v` (for data bytes, which the parser knows are < 0x80).
    fn masked(v: u8) -> Self {
        Midi7(v & 0x7F)
    }
    /// The value.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Midi7 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A 14-bit value, 0–16383 (pitch bend, centre 8192; song position).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Midi14(u16);

impl Midi14 {
    /// The largest value, 16383.
    pub const MAX: Midi14 = Midi14(0x3FFF);
    /// Pitch bend at rest.
    pub const CENTER: Midi14 = Midi14(0x2000);
    /// A value that must already be in range.
    pub fn try_new(v: u16) -> Result<Self, MidiValueError> {
        if v <= 0x3FFF {
            Ok(Midi14(v))
        } else {
            Err(MidiValueError::Midi14(v))
        }
    }
    /// From the two 7-bit halves as sent on the wire (LSB first).
    pub fn from_lsb_msb(lsb: Midi7, msb: Midi7) -> Self {
        Midi14(u16::from(msb.0) << 7 | u16::from(lsb.0))
    }
    /// The two 7-bit halves, LSB first.
    pub fn lsb_msb(self) -> (u8, u8) {
        ((self.0 & 0x7F) as u8, (self.0 >> 7) as u8)
    }
    /// The value.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Midi14 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A whole System Exclusive message, `F0` … `F7` inclusive, 7-bit data in between.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SysEx(Vec<u8>);

impl SysEx {
    /// Check and wrap a complete SysEx.
    pub fn try_new(bytes: Vec<u8>) -> Result<Self, MidiValueError> {
        let (Some(&0xF0), Some(&0xF7)) = (bytes.first(), bytes.last()) else {
            return Err(MidiValueError::SysEx(
                "it must start with F0 and end with F7",
            ));
        };
        if bytes.len() < 2 {
            // A lone F0 is both first and last byte.
            return Err(MidiValueError::SysEx(
                "it must start with F0 and end with F7",
            ));
        }
        if bytes.len() > MAX_SYSEX_LEN {
            return Err(MidiValueError::SysEx("longer than 64 KiB"));
        }
        if bytes[1..bytes.len() - 1].iter().any(|&b| b >= 0x80) {
            return Err(MidiValueError::SysEx("a byte between F0 and F7 is ≥ 0x80"));
        }
        Ok(SysEx(bytes))
    }
    /// The bytes, `F0` and `F7` included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for SysEx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short ones in full; long ones as their first bytes (the manufacturer and model) … F7.
        const SHOWN: usize = 8;
        f.write_str("SysEx")?;
        let n = self.0.len();
        let head = if n <= SHOWN + 1 { n } else { SHOWN };
        for b in &self.0[..head] {
            write!(f, " {b:02X}")?;
        }
        if head < n {
            f.write_str(" … F7")?;
        }
        write!(f, " ({n} bytes)")
    }
}

/// A realtime status byte, `F8`–`FF`: clock, start, continue, stop, active sensing, reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Realtime(u8);

impl Realtime {
    /// Timing clock, 24 per quarter note.
    pub const CLOCK: Realtime = Realtime(0xF8);
    /// Start.
    pub const START: Realtime = Realtime(0xFA);
    /// Continue.
    pub const CONTINUE: Realtime = Realtime(0xFB);
    /// Stop.
    pub const STOP: Realtime = Realtime(0xFC);
    /// Active sensing, sent about every 300 ms by some devices.
    pub const ACTIVE_SENSING: Realtime = Realtime(0xFE);
    /// System reset.
    pub const RESET: Realtime = Realtime(0xFF);
    /// A realtime status byte (F8–FF).
    pub fn try_new(b: u8) -> Result<Self, MidiValueError> {
        if b >= 0xF8 {
            Ok(Realtime(b))
        } else {
            Err(MidiValueError::Realtime(b))
        }
    }
    /// The byte.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Realtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0xF8 => f.write_str("Clock"),
            0xFA => f.write_str("Start"),
            0xFB => f.write_str("Continue"),
            0xFC => f.write_str("Stop"),
            0xFE => f.write_str("Active sensing"),
            0xFF => f.write_str("Reset"),
            b => write!(f, "Realtime {b:02X}"),
        }
    }
}

/// System-common messages other than SysEx.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemCommon {
    /// `F1`: MIDI time code quarter frame (piece number in the high nibble).
    TimeCodeQuarterFrame(Midi7),
    /// `F2`: song position in sixteenths.
    SongPosition(Midi14),
    /// `F3`: song select.
    SongSelect(Midi7),
    /// `F6`: tune request.
    TuneRequest,
}

/// One MIDI 1.0 message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MidiMessage {
    /// `8n`: note released.
    NoteOff {
        /// Channel.
        channel: Channel,
        /// Note number.
        note: Midi7,
        /// Release velocity.
        velocity: Midi7,
    },
    /// `9n`: note pressed (velocity 0 is kept as is: many devices mean "off").
    NoteOn {
        /// Channel.
        channel: Channel,
        /// Note number.
        note: Midi7,
        /// Velocity.
        velocity: Midi7,
    },
    /// `An`: polyphonic key pressure.
    PolyPressure {
        /// Channel.
        channel: Channel,
        /// Note number.
        note: Midi7,
        /// Pressure.
        pressure: Midi7,
    },
    /// `Bn`: control change (channel mode messages 120–127 included).
    ControlChange {
        /// Channel.
        channel: Channel,
        /// Controller number.
        controller: Midi7,
        /// Value.
        value: Midi7,
    },
    /// `Cn`: program change.
    ProgramChange {
        /// Channel.
        channel: Channel,
        /// Program number.
        program: Midi7,
    },
    /// `Dn`: channel pressure (aftertouch).
    ChannelPressure {
        /// Channel.
        channel: Channel,
        /// Pressure.
        pressure: Midi7,
    },
    /// `En`: pitch bend, 0–16383, centre 8192.
    PitchBend {
        /// Channel.
        channel: Channel,
        /// Position.
        value: Midi14,
    },
    /// `F0` … `F7`.
    SysEx(SysEx),
    /// `F1`, `F2`, `F3`, `F6`.
    System(SystemCommon),
    /// `F8`–`FF`.
    Realtime(Realtime),
}

impl fmt::Display for MidiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MidiMessage as M;
        match self {
            M::NoteOff {
                channel,
                note,
                velocity,
            } => write!(f, "Note off {channel} {note} vel {velocity}"),
            M::NoteOn {
                channel,
                note,
                velocity,
            } => write!(f, "Note on {channel} {note} vel {velocity}"),
            M::PolyPressure {
                channel,
                note,
                pressure,
            } => write!(f, "Poly pressure {channel} {note} = {pressure}"),
            M::ControlChange {
                channel,
                controller,
                value,
            } => write!(f, "CC {channel} #{controller} = {value}"),
            M::ProgramChange { channel, program } => write!(f, "Program {channel} {program}"),
            M::ChannelPressure { channel, pressure } => {
                write!(f, "Channel pressure {channel} {pressure}")
            }
            M::PitchBend { channel, value } => write!(f, "Pitch bend {channel} {value}"),
            M::SysEx(s) => s.fmt(f),
            M::System(SystemCommon::TimeCodeQuarterFrame(v)) => {
                write!(f, "MTC quarter frame {:02X}", v.get())
            }
            M::System(SystemCommon::SongPosition(v)) => write!(f, "Song position {v}"),
            M::System(SystemCommon::SongSelect(v)) => write!(f, "Song select {v}"),
            M::System(SystemCommon::TuneRequest) => f.write_str("Tune request"),
            M::Realtime(r) => r.fmt(f),
        }
    }
}

/// Data bytes that follow a status byte, or `None` for a status the parser drops (`F4`, `F5`).
fn data_len(status: u8) -> Option<usize> {
    match status {
        0x80..=0xBF | 0xE0..=0xEF | 0xF2 => Some(2),
        0xC0..=0xDF | 0xF1 | 0xF3 => Some(1),
        0xF6 => Some(0),
        _ => None,
    }
}

/// Build the message for a status and its data bytes (all < 0x80, `data.len() == data_len`).
fn build(status: u8, data: &[u8]) -> Option<MidiMessage> {
    let d = |i: usize| data.get(i).copied().map(Midi7::masked);
    let channel = Channel::from_status(status);
    Some(match status & 0xF0 {
        0x80 => MidiMessage::NoteOff {
            channel,
            note: d(0)?,
            velocity: d(1)?,
        },
        0x90 => MidiMessage::NoteOn {
            channel,
            note: d(0)?,
            velocity: d(1)?,
        },
        0xA0 => MidiMessage::PolyPressure {
            channel,
            note: d(0)?,
            pressure: d(1)?,
        },
        0xB0 => MidiMessage::ControlChange {
            channel,
            controller: d(0)?,
            value: d(1)?,
        },
        0xC0 => MidiMessage::ProgramChange {
            channel,
            program: d(0)?,
        },
        0xD0 => MidiMessage::ChannelPressure {
            channel,
            pressure: d(0)?,
        },
        0xE0 => MidiMessage::PitchBend {
            channel,
            value: Midi14::from_lsb_msb(d(0)?, d(1)?),
        },
        _ => MidiMessage::System(match status {
            0xF1 => SystemCommon::TimeCodeQuarterFrame(d(0)?),
            0xF2 => SystemCommon::SongPosition(Midi14::from_lsb_msb(d(0)?, d(1)?)),
            0xF3 => SystemCommon::SongSelect(d(0)?),
            0xF6 => SystemCommon::TuneRequest,
            _ => return None,
        }),
    })
}

/// Where the parser is inside the stream.
#[derive(Clone, Debug, Default)]
enum State {
    /// No status: data bytes are stray.
    #[default]
    Idle,
    /// Collecting the data bytes of `status`; `len` of them so far. A channel status stays here
    /// after its message completes (running status).
    Message {
        status: u8,
        data: [u8; 2],
        len: usize,
    },
    /// Inside a SysEx; the bytes so far, `F0` included.
    SysEx(Vec<u8>),
    /// Inside a SysEx that grew past [`MAX_SYSEX_LEN`]: discard until it ends.
    SysExTooLong,
}

/// A stateful MIDI 1.0 stream parser: feed it bytes in any chunking, get whole messages.
#[derive(Clone, Debug, Default)]
pub struct MidiParser {
    state: State,
    /// Fragments and stray bytes thrown away, for logs.
    dropped: u64,
}

impl MidiParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many fragments and stray bytes were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Parse `bytes`, appending every message they complete to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<MidiMessage>) {
        for &b in bytes {
            self.byte(b, out);
        }
    }

    fn byte(&mut self, b: u8, out: &mut Vec<MidiMessage>) {
        match b {
            0xF8..=0xFF => out.push(MidiMessage::Realtime(Realtime(b))),
            0x00..=0x7F => self.data(b, out),
            0xF7 => self.end_of_sysex(out),
            _ => self.status(b, out),
        }
    }

    fn data(&mut self, b: u8, out: &mut Vec<MidiMessage>) {
        match &mut self.state {
            State::Idle => self.dropped += 1,
            State::SysExTooLong => {}
            State::SysEx(buf) => {
                // Keep room for the closing F7.
                if buf.len() + 1 < MAX_SYSEX_LEN {
                    buf.push(b);
                } else {
                    self.state = State::SysExTooLong;
                    self.dropped += 1;
                }
            }
            State::Message { status, data, len } => {
                let Some(need) = data_len(*status) else {
                    self.state = State::Idle;
                    self.dropped += 1;
                    return;
                };
                if let Some(slot) = data.get_mut(*len) {
                    *slot = b;
                }
                *len += 1;
                if *len >= need {
                    let (status, data) = (*status, *data);
                    if let Some(msg) = build(status, &data[..need]) {
                        out.push(msg);
                    }
                    self.state = if status < 0xF0 {
                        State::Message {
                            status,
                            data: [0; 2],
                            len: 0,
                        }
                    } else {
                        State::Idle
                    };
                }
            }
        }
    }

    fn end_of_sysex(&mut self, out: &mut Vec<MidiMessage>) {
        match std::mem::take(&mut self.state) {
            State::SysEx(mut buf) => {
                buf.push(0xF7);
                out.push(MidiMessage::SysEx(SysEx(buf)));
            }
            State::SysExTooLong => {}
            other => {
                self.drop_unfinished(&other);
                self.dropped += 1;
            }
        }
    }

    fn status(&mut self, b: u8, out: &mut Vec<MidiMessage>) {
        let previous = std::mem::take(&mut self.state);
        self.drop_unfinished(&previous);
        self.state = match (b, data_len(b)) {
            (0xF0, _) => State::SysEx(vec![0xF0]),
            (_, Some(0)) => {
                if let Some(msg) = build(b, &[]) {
                    out.push(msg);
                }
                State::Idle
            }
            (_, Some(_)) => State::Message {
                status: b,
                data: [0; 2],
                len: 0,
            },
            (_, None) => {
                self.dropped += 1;
                State::Idle
            }
        };
    }

    /// Count a message or SysEx that a status byte cut short.
    fn drop_unfinished(&mut self, state: &State) {
        match state {
            State::Message { len, .. } if *len > 0 => self.dropped += 1,
            State::SysEx(_) | State::SysExTooLong => self.dropped += 1,
            _ => {}
        }
    }
}

/// Append the full bytes of `msg` to `out` (never running status).
pub fn encode(msg: &MidiMessage, out: &mut Vec<u8>) {
    use MidiMessage as M;
    let ch = |c: &Channel| c.0;
    match msg {
        M::NoteOff {
            channel,
            note,
            velocity,
        } => out.extend_from_slice(&[0x80 | ch(channel), note.0, velocity.0]),
        M::NoteOn {
            channel,
            note,
            velocity,
        } => out.extend_from_slice(&[0x90 | ch(channel), note.0, velocity.0]),
        M::PolyPressure {
            channel,
            note,
            pressure,
        } => out.extend_from_slice(&[0xA0 | ch(channel), note.0, pressure.0]),
        M::ControlChange {
            channel,
            controller,
            value,
        } => out.extend_from_slice(&[0xB0 | ch(channel), controller.0, value.0]),
        M::ProgramChange { channel, program } => {
            out.extend_from_slice(&[0xC0 | ch(channel), program.0])
        }
        M::ChannelPressure { channel, pressure } => {
            out.extend_from_slice(&[0xD0 | ch(channel), pressure.0])
        }
        M::PitchBend { channel, value } => {
            let (lsb, msb) = value.lsb_msb();
            out.extend_from_slice(&[0xE0 | ch(channel), lsb, msb]);
        }
        M::SysEx(s) => out.extend_from_slice(&s.0),
        M::System(SystemCommon::TimeCodeQuarterFrame(v)) => out.extend_from_slice(&[0xF1, v.0]),
        M::System(SystemCommon::SongPosition(v)) => {
            let (lsb, msb) = v.lsb_msb();
            out.extend_from_slice(&[0xF2, lsb, msb]);
        }
        M::System(SystemCommon::SongSelect(v)) => out.extend_from_slice(&[0xF3, v.0]),
        M::System(SystemCommon::TuneRequest) => out.push(0xF6),
        M::Realtime(r) => out.push(r.0),
    }
}

/// The full bytes of `msg`.
pub fn to_bytes(msg: &MidiMessage) -> Vec<u8> {
    let mut out = Vec::with_capacity(3);
    encode(msg, &mut out);
    out
}

/// Every message in `bytes`, parsed from a clean state (for tests, logs and one-shot input).
pub fn parse_all(bytes: &[u8]) -> Vec<MidiMessage> {
    let mut out = Vec::new();
    MidiParser::new().push(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests;
