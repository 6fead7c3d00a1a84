//! From MIDI channel messages to raw source values, and from raw values to control values.
//!
//! [`SourceDecoder`] is the stateful half: one per input device, built from the sources the
//! device's mappings declare, so it knows which CCs are halves of a 14-bit pair (and which half
//! comes first, `controllers.md` §5 item 9) and on which channels CC 6/38/98/99 speak NRPN.
//! [`interpret`] is the stateless half: a raw value read through the control's [`Character`].
//!
//! Pure (STYLE.md rule 7): no I/O, no clock. The midi room converts its own message type into
//! [`ShortMessage`] and feeds it here.

use std::collections::HashMap;

use crate::desk::Normalized;

use super::model::{ByteOrder, Channel, Character, Encoding, Source};

/// A channel message as the decoder needs it (the midi room's `MidiMessage` converts into this).
/// Channels are the 0–15 wire form; data bytes are 7-bit, pitch bend 14-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShortMessage {
    /// Note on; velocity 0 means note off.
    NoteOn {
        /// Channel 0–15.
        channel: u8,
        /// Note 0–127.
        note: u8,
        /// Velocity 0–127.
        velocity: u8,
    },
    /// Note off (its velocity is ignored).
    NoteOff {
        /// Channel 0–15.
        channel: u8,
        /// Note 0–127.
        note: u8,
        /// Release velocity 0–127.
        velocity: u8,
    },
    /// Control change.
    ControlChange {
        /// Channel 0–15.
        channel: u8,
        /// Controller 0–127.
        controller: u8,
        /// Value 0–127.
        value: u8,
    },
    /// Program change.
    ProgramChange {
        /// Channel 0–15.
        channel: u8,
        /// Program 0–127.
        program: u8,
    },
    /// Pitch bend, 0–16383 (8192 = centre).
    PitchBend {
        /// Channel 0–15.
        channel: u8,
        /// Value 0–16383.
        value: u16,
    },
}

/// A source's value as it arrived: `value` in `0..=max`, `max` 127 or 16383.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawValue {
    /// The value, `0..=max`.
    pub value: u16,
    /// The largest value this source sends.
    pub max: u16,
}

impl RawValue {
    const fn seven(value: u8) -> RawValue {
        RawValue {
            value: value as u16,
            max: 127,
        }
    }

    const fn fourteen(msb: u8, lsb: u8) -> RawValue {
        RawValue {
            value: ((msb as u16) << 7) | lsb as u16,
            max: 16383,
        }
    }
}

/// What a control did, as the glue reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ControlValue {
    /// A position along the control's travel (faders, knobs, toggle-button states).
    Absolute(Normalized),
    /// Encoder increments; negative turns down. Never 0 (dropped in [`interpret`]).
    Relative(i32),
    /// A button went down.
    Press,
    /// A button came up.
    Release,
}

/// Reads a raw value through the control's character (`controllers.md` §1).
///
/// - `Range` → `Absolute(value / max)`.
/// - `MomentaryButton` → `Press` if the value is above 0, else `Release`.
/// - `ToggleButton` → `Absolute(1.0)` if above 0, else `Absolute(0.0)`: the button's own state.
/// - `Relative(encoding)` → the increments, as [`Encoding`] documents them; 0 increments give
///   `None` (ReaLearn drops them early, `ControlResult::Consumed`). On a 14-bit source the same
///   rules apply with 8192 in place of 64 and 16384 in place of 128.
pub fn interpret(character: Character, raw: RawValue) -> Option<ControlValue> {
    let RawValue { value, max } = raw;
    match character {
        Character::Range => {
            let v = if max == 0 {
                0.0
            } else {
                f64::from(value) / f64::from(max)
            };
            Some(ControlValue::Absolute(Normalized::new_clamped(v)))
        }
        Character::MomentaryButton => Some(if value > 0 {
            ControlValue::Press
        } else {
            ControlValue::Release
        }),
        Character::ToggleButton => Some(ControlValue::Absolute(if value > 0 {
            Normalized::MAX
        } else {
            Normalized::MIN
        })),
        Character::Relative(encoding) => {
            let n = increments(encoding, value.min(max), max);
            (n != 0).then_some(ControlValue::Relative(n))
        }
    }
}

/// Increments in `encoding` for a value on a `0..=max` scale (`m = max + 1`, `h = m / 2`:
/// 128 and 64 for 7-bit sources).
fn increments(encoding: Encoding, value: u16, max: u16) -> i32 {
    let v = i32::from(value);
    let m = i32::from(max) + 1;
    let h = m / 2;
    match encoding {
        // 1..=63 = +v, 64..=127 = −(128 − v).
        Encoding::TwosComplement => {
            if v < h {
                v
            } else {
                v - m
            }
        }
        // 65.. = +(v − 64), ..=63 = −(64 − v), 64 = 0.
        Encoding::Offset64 => v - h,
        // 1..=64 = +v, 65..=127 = −(v − 64).
        Encoding::SignBit => {
            if v <= h {
                v
            } else {
                h - v
            }
        }
    }
}

/// Which half of a declared 14-bit pair a CC is.
#[derive(Clone, Copy, Debug)]
struct Half {
    /// Index into `SourceDecoder::pairs`.
    pair: usize,
    /// The MSB (CC n) rather than the LSB (CC n + 32).
    is_msb: bool,
}

/// A declared 14-bit CC pair and its first half, waiting for the second.
#[derive(Clone, Copy, Debug)]
struct Pair {
    /// The declared source, returned as is.
    source: Source,
    order: ByteOrder,
    /// The last first half (MSB for `MsbFirst`, LSB for `LsbFirst`). Kept after completion, so
    /// a device that only resends the second half when the first is unchanged (the MIDI spec
    /// allows LSB-only updates) still decodes.
    first: Option<u8>,
}

/// Whether a parameter number was declared as 7-bit, 14-bit, or both.
#[derive(Clone, Copy, Debug, Default)]
struct NrpnWidths {
    seven: bool,
    fourteen: bool,
}

/// NRPN parsing on one channel where an NRPN source is declared.
#[derive(Clone, Debug, Default)]
struct NrpnChannel {
    declared: HashMap<u16, NrpnWidths>,
    /// CC 99. Kept across data entries: devices may select once and send many values.
    number_msb: Option<u8>,
    /// CC 98.
    number_lsb: Option<u8>,
    /// CC 6 for the selected number, waiting for CC 38 (14-bit NRPNs).
    data_msb: Option<u8>,
    /// CC 101/100 selected an RPN: data entry is not ours until CC 99/98 come again.
    rpn: bool,
}

impl NrpnChannel {
    fn selected(&self) -> Option<u16> {
        if self.rpn {
            return None;
        }
        Some((u16::from(self.number_msb?) << 7) | u16::from(self.number_lsb?))
    }

    /// Handles CC 6, 38, 98, 99, 100, 101; other CCs return `None` (not consumed).
    fn feed(&mut self, channel: Channel, cc: u8, value: u8) -> Option<Vec<(Source, RawValue)>> {
        let mut out = Vec::new();
        match cc {
            99 => self.select(Some(value), self.number_lsb),
            98 => self.select(self.number_msb, Some(value)),
            101 | 100 => {
                self.rpn = true;
                self.data_msb = None;
            }
            6 => {
                self.data_msb = Some(value);
                if let Some(number) = self.selected() {
                    if self.declared.get(&number).is_some_and(|w| w.seven) {
                        let source = Source::Nrpn {
                            channel,
                            number,
                            fourteen_bit: false,
                        };
                        out.push((source, RawValue::seven(value)));
                    }
                }
            }
            38 => {
                if let (Some(number), Some(msb)) = (self.selected(), self.data_msb) {
                    if self.declared.get(&number).is_some_and(|w| w.fourteen) {
                        let source = Source::Nrpn {
                            channel,
                            number,
                            fourteen_bit: true,
                        };
                        out.push((source, RawValue::fourteen(msb, value)));
                    }
                }
            }
            _ => return None,
        }
        Some(out)
    }

    fn select(&mut self, msb: Option<u8>, lsb: Option<u8>) {
        self.number_msb = msb;
        self.number_lsb = lsb;
        self.data_msb = None;
        self.rpn = false;
    }
}

/// Turns one device's messages into `(source, raw value)` pairs. Stateful (14-bit halves, NRPN
/// selection), pure.
///
/// Notes, 7-bit CCs, pitch bend and program changes are decoded whether declared or not (so
/// MIDI learn can see them; the caller looks the source up and ignores unknown ones). 14-bit
/// CC pairs and NRPNs exist only where declared: elsewhere their CCs are plain 7-bit CCs. On an
/// NRPN channel CC 6/38/98/99/100/101 belong to the parameter-number parser, even if a 14-bit
/// pair on CC 6 is declared too.
///
/// A message with a field out of its wire range (channel > 15, data > 127, pitch bend > 16383)
/// is malformed and decodes to nothing.
#[derive(Clone, Debug, Default)]
pub struct SourceDecoder {
    /// `(channel, cc)` → which half of which pair.
    halves: HashMap<(u8, u8), Half>,
    pairs: Vec<Pair>,
    /// Per wire channel; `Some` where an NRPN source is declared.
    nrpn: [Option<NrpnChannel>; 16],
}

impl SourceDecoder {
    /// A decoder for the sources a device's mappings declare. If the same 14-bit pair is declared
    /// twice with different byte orders, the first declaration wins.
    pub fn new(sources: &[Source]) -> SourceDecoder {
        let mut decoder = SourceDecoder::default();
        for source in sources {
            match *source {
                Source::Cc14 {
                    channel,
                    msb,
                    order,
                } if msb < 32 => {
                    let ch = channel.wire();
                    if decoder.halves.contains_key(&(ch, msb)) {
                        continue;
                    }
                    let pair = decoder.pairs.len();
                    decoder.pairs.push(Pair {
                        source: *source,
                        order,
                        first: None,
                    });
                    let msb_half = Half { pair, is_msb: true };
                    let lsb_half = Half {
                        pair,
                        is_msb: false,
                    };
                    decoder.halves.insert((ch, msb), msb_half);
                    decoder.halves.insert((ch, msb + 32), lsb_half);
                }
                Source::Nrpn {
                    channel,
                    number,
                    fourteen_bit,
                } => {
                    let nrpn = decoder.nrpn[usize::from(channel.wire())].get_or_insert_default();
                    let widths = nrpn.declared.entry(number).or_default();
                    if fourteen_bit {
                        widths.fourteen = true;
                    } else {
                        widths.seven = true;
                    }
                }
                _ => {}
            }
        }
        decoder
    }

    /// Decodes one message. Most give zero or one value; the `Vec` keeps the door open for
    /// messages that complete several sources.
    pub fn feed(&mut self, msg: &ShortMessage) -> Vec<(Source, RawValue)> {
        if !well_formed(msg) {
            return Vec::new();
        }
        let Some(channel) = Channel::from_wire(wire_channel(msg)) else {
            return Vec::new();
        };
        match *msg {
            ShortMessage::NoteOn { note, velocity, .. } => {
                vec![(Source::Note { channel, note }, RawValue::seven(velocity))]
            }
            ShortMessage::NoteOff { note, .. } => {
                vec![(Source::Note { channel, note }, RawValue::seven(0))]
            }
            ShortMessage::ProgramChange { program, .. } => {
                vec![(Source::ProgramChange { channel }, RawValue::seven(program))]
            }
            ShortMessage::PitchBend { value, .. } => vec![(
                Source::PitchBend { channel },
                RawValue { value, max: 16383 },
            )],
            ShortMessage::ControlChange {
                controller, value, ..
            } => self.control_change(channel, controller, value),
        }
    }

    fn control_change(&mut self, channel: Channel, cc: u8, value: u8) -> Vec<(Source, RawValue)> {
        let ch = channel.wire();
        if let Some(nrpn) = &mut self.nrpn[usize::from(ch)] {
            if let Some(out) = nrpn.feed(channel, cc, value) {
                return out;
            }
        }
        let Some(&Half { pair, is_msb }) = self.halves.get(&(ch, cc)) else {
            return vec![(Source::Cc { channel, cc }, RawValue::seven(value))];
        };
        let pair = &mut self.pairs[pair];
        let is_first = match pair.order {
            ByteOrder::MsbFirst => is_msb,
            ByteOrder::LsbFirst => !is_msb,
        };
        if is_first {
            pair.first = Some(value);
            return Vec::new();
        }
        match pair.first {
            Some(first) => {
                let (msb, lsb) = if is_msb {
                    (value, first)
                } else {
                    (first, value)
                };
                vec![(pair.source, RawValue::fourteen(msb, lsb))]
            }
            None => Vec::new(),
        }
    }
}

pub(super) fn wire_channel(msg: &ShortMessage) -> u8 {
    match *msg {
        ShortMessage::NoteOn { channel, .. }
        | ShortMessage::NoteOff { channel, .. }
        | ShortMessage::ControlChange { channel, .. }
        | ShortMessage::ProgramChange { channel, .. }
        | ShortMessage::PitchBend { channel, .. } => channel,
    }
}

/// Every field in its wire range (channel < 16, data < 128, pitch bend ≤ 16383).
pub(super) fn well_formed(msg: &ShortMessage) -> bool {
    let seven = |b: u8| b < 128;
    wire_channel(msg) < 16
        && match *msg {
            ShortMessage::NoteOn { note, velocity, .. }
            | ShortMessage::NoteOff { note, velocity, .. } => seven(note) && seven(velocity),
            ShortMessage::ControlChange {
                controller, value, ..
            } => seven(controller) && seven(value),
            ShortMessage::ProgramChange { program, .. } => seven(program),
            ShortMessage::PitchBend { value, .. } => value <= 16383,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ch(n: u8) -> Channel {
        Channel::from_wire(n).unwrap()
    }

    fn cc(channel: u8, controller: u8, value: u8) -> ShortMessage {
        ShortMessage::ControlChange {
            channel,
            controller,
            value,
        }
    }

    fn seven(value: u16) -> RawValue {
        RawValue { value, max: 127 }
    }

    fn fourteen(value: u16) -> RawValue {
        RawValue { value, max: 16383 }
    }

    #[test]
    fn note_on_gives_velocity_and_note_off_or_velocity_zero_gives_zero() {
        let mut d = SourceDecoder::new(&[]);
        let note = Source::Note {
            channel: ch(2),
            note: 60,
        };
        let on = ShortMessage::NoteOn {
            channel: 2,
            note: 60,
            velocity: 100,
        };
        assert_eq!(d.feed(&on), vec![(note, seven(100))]);
        let off = ShortMessage::NoteOff {
            channel: 2,
            note: 60,
            velocity: 64,
        };
        assert_eq!(d.feed(&off), vec![(note, seven(0))]);
        let on0 = ShortMessage::NoteOn {
            channel: 2,
            note: 60,
            velocity: 0,
        };
        assert_eq!(d.feed(&on0), vec![(note, seven(0))]);
    }

    #[test]
    fn plain_cc_program_change_and_pitch_bend() {
        let mut d = SourceDecoder::new(&[]);
        let src = Source::Cc {
            channel: ch(0),
            cc: 7,
        };
        assert_eq!(d.feed(&cc(0, 7, 99)), vec![(src, seven(99))]);
        let pc = ShortMessage::ProgramChange {
            channel: 15,
            program: 5,
        };
        let pc_src = Source::ProgramChange { channel: ch(15) };
        assert_eq!(d.feed(&pc), vec![(pc_src, seven(5))]);
        let pb = ShortMessage::PitchBend {
            channel: 1,
            value: 16383,
        };
        let pb_src = Source::PitchBend { channel: ch(1) };
        assert_eq!(d.feed(&pb), vec![(pb_src, fourteen(16383))]);
    }

    #[test]
    fn malformed_messages_decode_to_nothing() {
        let mut d = SourceDecoder::new(&[]);
        assert!(d.feed(&cc(16, 7, 1)).is_empty());
        assert!(d.feed(&cc(0, 128, 1)).is_empty());
        assert!(d.feed(&cc(0, 7, 200)).is_empty());
        let pb = ShortMessage::PitchBend {
            channel: 0,
            value: 16384,
        };
        assert!(d.feed(&pb).is_empty());
    }

    fn cc14(order: ByteOrder) -> Source {
        Source::Cc14 {
            channel: ch(0),
            msb: 7,
            order,
        }
    }

    #[test]
    fn fourteen_bit_msb_first_completes_on_lsb() {
        let src = cc14(ByteOrder::MsbFirst);
        let mut d = SourceDecoder::new(&[src]);
        assert!(d.feed(&cc(0, 7, 0x40)).is_empty());
        assert_eq!(d.feed(&cc(0, 39, 0x01)), vec![(src, fourteen(0x2001))]);
        // The stored MSB stays: an LSB-only update (fine move) completes again.
        assert_eq!(d.feed(&cc(0, 39, 0x02)), vec![(src, fourteen(0x2002))]);
        // Same CC numbers on another channel are plain CCs.
        let other = Source::Cc {
            channel: ch(1),
            cc: 7,
        };
        assert_eq!(d.feed(&cc(1, 7, 5)), vec![(other, seven(5))]);
    }

    #[test]
    fn fourteen_bit_lsb_completes_nothing_before_any_msb() {
        let mut d = SourceDecoder::new(&[cc14(ByteOrder::MsbFirst)]);
        assert!(d.feed(&cc(0, 39, 0x01)).is_empty());
    }

    #[test]
    fn fourteen_bit_msb_first_repeated_msb_replaces_the_stored_one() {
        let src = cc14(ByteOrder::MsbFirst);
        let mut d = SourceDecoder::new(&[src]);
        assert!(d.feed(&cc(0, 7, 0x10)).is_empty());
        assert!(d.feed(&cc(0, 7, 0x7F)).is_empty());
        assert_eq!(d.feed(&cc(0, 39, 0x7F)), vec![(src, fourteen(16383))]);
    }

    /// `controllers.md` §5 item 9 (helgobox#76): some devices send the LSB first.
    #[test]
    fn fourteen_bit_lsb_first_completes_on_msb_and_repeated_lsb_replaces() {
        let src = cc14(ByteOrder::LsbFirst);
        let mut d = SourceDecoder::new(&[src]);
        assert!(d.feed(&cc(0, 39, 0x11)).is_empty());
        assert!(d.feed(&cc(0, 39, 0x22)).is_empty());
        assert_eq!(d.feed(&cc(0, 7, 0x01)), vec![(src, fourteen(0x80 | 0x22))]);
        assert!(d.feed(&cc(0, 39, 0x00)).is_empty());
        assert_eq!(d.feed(&cc(0, 7, 0x00)), vec![(src, fourteen(0))]);
    }

    fn nrpn(channel: u8, number: u16, fourteen_bit: bool) -> Source {
        Source::Nrpn {
            channel: ch(channel),
            number,
            fourteen_bit,
        }
    }

    /// Selects NRPN `number` on `channel`: CC 99 then CC 98.
    fn select(d: &mut SourceDecoder, channel: u8, number: u16) {
        assert!(d.feed(&cc(channel, 99, (number >> 7) as u8)).is_empty());
        assert!(d.feed(&cc(channel, 98, (number & 0x7F) as u8)).is_empty());
    }

    #[test]
    fn nrpn_seven_bit_completes_on_data_msb() {
        let src = nrpn(3, 0x0101, false);
        let mut d = SourceDecoder::new(&[src]);
        select(&mut d, 3, 0x0101);
        assert_eq!(d.feed(&cc(3, 6, 42)), vec![(src, seven(42))]);
        // Selection persists: further data entries need no reselect.
        assert_eq!(d.feed(&cc(3, 6, 43)), vec![(src, seven(43))]);
        // An undeclared number on the same channel gives nothing.
        select(&mut d, 3, 5);
        assert!(d.feed(&cc(3, 6, 1)).is_empty());
    }

    #[test]
    fn nrpn_fourteen_bit_completes_on_data_lsb_after_msb() {
        let src = nrpn(0, 300, true);
        let mut d = SourceDecoder::new(&[src]);
        select(&mut d, 0, 300);
        assert!(d.feed(&cc(0, 38, 9)).is_empty(), "no LSB without an MSB");
        assert!(d.feed(&cc(0, 6, 0x7F)).is_empty());
        assert_eq!(d.feed(&cc(0, 38, 0x7F)), vec![(src, fourteen(16383))]);
        // Selecting again forgets the data MSB.
        select(&mut d, 0, 300);
        assert!(d.feed(&cc(0, 38, 1)).is_empty());
    }

    #[test]
    fn nrpn_only_on_its_channel_elsewhere_plain_ccs() {
        let src = nrpn(0, 1, false);
        let mut d = SourceDecoder::new(&[src]);
        let plain = |cc: u8, v: u8| (Source::Cc { channel: ch(1), cc }, seven(u16::from(v)));
        assert_eq!(d.feed(&cc(1, 99, 0)), vec![plain(99, 0)]);
        assert_eq!(d.feed(&cc(1, 98, 1)), vec![plain(98, 1)]);
        assert_eq!(d.feed(&cc(1, 6, 9)), vec![plain(6, 9)]);
        assert_eq!(d.feed(&cc(1, 38, 9)), vec![plain(38, 9)]);
        // On channel 0, the same CCs are consumed by the NRPN parser.
        select(&mut d, 0, 1);
        assert_eq!(d.feed(&cc(0, 6, 9)), vec![(src, seven(9))]);
        // Other CCs on the NRPN channel stay plain.
        let vol = Source::Cc {
            channel: ch(0),
            cc: 7,
        };
        assert_eq!(d.feed(&cc(0, 7, 3)), vec![(vol, seven(3))]);
    }

    #[test]
    fn rpn_select_deselects_nrpn() {
        let src = nrpn(0, 0, false);
        let mut d = SourceDecoder::new(&[src]);
        select(&mut d, 0, 0);
        assert!(d.feed(&cc(0, 101, 0)).is_empty());
        assert!(d.feed(&cc(0, 100, 0)).is_empty());
        assert!(
            d.feed(&cc(0, 6, 2)).is_empty(),
            "pitch-bend range RPN, not ours"
        );
        select(&mut d, 0, 0);
        assert_eq!(d.feed(&cc(0, 6, 2)), vec![(src, seven(2))]);
    }

    fn rel(encoding: Encoding, value: u16) -> Option<ControlValue> {
        interpret(Character::Relative(encoding), seven(value))
    }

    #[test]
    fn twos_complement_edges() {
        let e = Encoding::TwosComplement;
        assert_eq!(rel(e, 0), None);
        assert_eq!(rel(e, 1), Some(ControlValue::Relative(1)));
        assert_eq!(rel(e, 63), Some(ControlValue::Relative(63)));
        assert_eq!(rel(e, 64), Some(ControlValue::Relative(-64)));
        assert_eq!(rel(e, 65), Some(ControlValue::Relative(-63)));
        assert_eq!(rel(e, 127), Some(ControlValue::Relative(-1)));
    }

    #[test]
    fn offset64_edges() {
        let e = Encoding::Offset64;
        assert_eq!(rel(e, 1), Some(ControlValue::Relative(-63)));
        assert_eq!(rel(e, 63), Some(ControlValue::Relative(-1)));
        assert_eq!(rel(e, 64), None);
        assert_eq!(rel(e, 65), Some(ControlValue::Relative(1)));
        assert_eq!(rel(e, 127), Some(ControlValue::Relative(63)));
    }

    #[test]
    fn sign_bit_edges() {
        let e = Encoding::SignBit;
        assert_eq!(rel(e, 0), None);
        assert_eq!(rel(e, 1), Some(ControlValue::Relative(1)));
        assert_eq!(rel(e, 63), Some(ControlValue::Relative(63)));
        assert_eq!(rel(e, 64), Some(ControlValue::Relative(64)));
        assert_eq!(rel(e, 65), Some(ControlValue::Relative(-1)));
        assert_eq!(rel(e, 127), Some(ControlValue::Relative(-63)));
    }

    #[test]
    fn range_buttons_and_toggles() {
        let abs = |v: f64| Some(ControlValue::Absolute(Normalized::try_new(v).unwrap()));
        assert_eq!(interpret(Character::Range, seven(127)), abs(1.0));
        assert_eq!(interpret(Character::Range, seven(0)), abs(0.0));
        assert_eq!(
            interpret(Character::Range, fourteen(8192)),
            abs(8192.0 / 16383.0)
        );
        let mom = Character::MomentaryButton;
        assert_eq!(interpret(mom, seven(1)), Some(ControlValue::Press));
        assert_eq!(interpret(mom, seven(0)), Some(ControlValue::Release));
        let tog = Character::ToggleButton;
        assert_eq!(interpret(tog, seven(127)), abs(1.0));
        assert_eq!(interpret(tog, seven(0)), abs(0.0));
    }

    fn any_message() -> impl Strategy<Value = ShortMessage> {
        // Mostly in range, sometimes not, on few channels and CCs so pairs and NRPNs complete.
        let chan = prop_oneof![8 => 0u8..3, 1 => any::<u8>()];
        let byte = prop_oneof![8 => 0u8..128, 1 => any::<u8>()];
        let ccs = prop_oneof![
            Just(6u8),
            Just(38),
            Just(98),
            Just(99),
            Just(100),
            Just(101),
            Just(7),
            Just(39),
            Just(1),
            Just(33),
            any::<u8>()
        ];
        prop_oneof![
            (chan.clone(), ccs, byte.clone()).prop_map(|(c, n, v)| cc(c, n, v)),
            (chan.clone(), byte.clone(), byte.clone()).prop_map(|(channel, note, velocity)| {
                ShortMessage::NoteOn {
                    channel,
                    note,
                    velocity,
                }
            }),
            (chan.clone(), byte.clone(), byte.clone()).prop_map(|(channel, note, velocity)| {
                ShortMessage::NoteOff {
                    channel,
                    note,
                    velocity,
                }
            }),
            (chan.clone(), byte)
                .prop_map(|(channel, program)| ShortMessage::ProgramChange { channel, program }),
            (chan, any::<u16>())
                .prop_map(|(channel, value)| ShortMessage::PitchBend { channel, value }),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_sequences_never_panic_and_stay_in_range(
            msgs in proptest::collection::vec(any_message(), 0..200)
        ) {
            let declared = [
                cc14(ByteOrder::MsbFirst),
                Source::Cc14 { channel: ch(1), msb: 1, order: ByteOrder::LsbFirst },
                nrpn(0, 0x80, true),
                nrpn(0, 0x80, false),
                nrpn(2, 1, true),
            ];
            let mut d = SourceDecoder::new(&declared);
            for msg in &msgs {
                for (source, raw) in d.feed(msg) {
                    prop_assert!(raw.value <= raw.max);
                    prop_assert!(raw.max == 127 || raw.max == 16383);
                    prop_assert_eq!(raw.max, source.max_value());
                    if matches!(source, Source::Cc14 { .. } | Source::Nrpn { .. }) {
                        prop_assert!(declared.contains(&source));
                    }
                    for character in [
                        Character::Range,
                        Character::MomentaryButton,
                        Character::ToggleButton,
                        Character::Relative(Encoding::TwosComplement),
                        Character::Relative(Encoding::Offset64),
                        Character::Relative(Encoding::SignBit),
                    ] {
                        if let Some(ControlValue::Absolute(v)) = interpret(character, raw) {
                            prop_assert!((0.0..=1.0).contains(&v.get()));
                        }
                    }
                }
            }
        }
    }
}
