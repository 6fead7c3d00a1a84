//! MIDI learn: watch the messages of one control, guess its source and character, and write a
//! `[[control]]` block for a mapping file.
//!
//! After ReaLearn's `MidiScanner` (`controllers.md` §1 "Learn"), with a longer wait because a
//! person is moving the control, not a script:
//!
//! - messages are grouped by control: channel plus note, CC, pitch bend or NRPN number. CC n and
//!   CC n+32 (n < 32) are one control (a 14-bit pair), and CC 99/98 select + CC 6/38 data entry
//!   are one NRPN control;
//! - a control is done when it has been quiet for the settle time ([`SETTLE`]), when another
//!   control speaks, or after [`MAX_MESSAGES`]. A control cut off by the count is then ignored
//!   until it has been quiet for the settle time, so one long fader ride gives one snippet;
//! - the guess: a note is a button; a CC that sends one value, or a value then 0, is a button;
//!   a CC whose values repeat (or jump between "up" and "down" codes) and read as small
//!   increments in some encoder encoding is a relative encoder; anything else is a range. A CC
//!   pair is a 14-bit range (which half came first decides `lsb_first`), pitch bend is a 14-bit
//!   range, an NRPN is 14-bit when CC 38 came.
//!
//! Limits, by design (the guess says why in [`Learned::note`]):
//! - a toggle button is only told from a momentary one over two separate presses: a CC that
//!   sent a single value > 0, then (after settling) a single 0, is a `toggle-button`. A momentary
//!   CC button held longer than the settle time looks the same, and says so;
//! - an encoder turned one way only can be ambiguous (1 is "up" in two's complement and sign
//!   bit alike; 65 is "up" in offset-64 and "down" in sign bit): turn it both ways;
//! - an encoder turned fast with no repeated values reads as a range: turn encoders slowly;
//! - on a channel where CC 99/98 selected an NRPN, CC 6/38 are NRPN data, not plain CCs; CC
//!   101/100 (RPN select) make CC 6/38 RPN data, which is ignored (mappings have no RPNs).
//!
//! Pure (STYLE.md rule 7): time is an argument, no I/O. The `learn` module at the crate root
//! runs it on a MIDI port.

use std::time::{Duration, Instant};

use super::model::{ByteOrder, Channel, Character, Encoding, Source};
use super::source::{well_formed, wire_channel, ShortMessage};

/// Quiet time after which a control is considered done.
pub const SETTLE: Duration = Duration::from_millis(600);
/// Messages after which a control is done even if it keeps moving.
pub const MAX_MESSAGES: usize = 64;
/// Largest increment (in clicks) an encoder is believed to send in one message.
const MAX_INCREMENT: i32 = 15;

/// The guess for one control.
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    /// Where its messages come from.
    pub source: Source,
    /// How its values should be read.
    pub character: Character,
    /// Why the guess is what it is, for a person (one or more sentences).
    pub note: String,
}

/// The address of a control: what groups messages into one control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Note {
        channel: Channel,
        note: u8,
    },
    /// `base` is the CC for CC ≥ 64, else `cc % 32` (so a 14-bit pair shares it).
    Cc {
        channel: Channel,
        base: u8,
    },
    PitchBend {
        channel: Channel,
    },
    Program {
        channel: Channel,
    },
    Nrpn {
        channel: Channel,
        number: u16,
    },
}

/// One message of a control, as far as the guess needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// Velocity; 0 is a release (note off or velocity 0).
    Note(u8),
    Cc {
        cc: u8,
        value: u8,
    },
    PitchBend(u16),
    Program(u8),
    /// Data entry MSB (CC 6) for the selected NRPN.
    NrpnMsb(u8),
    /// Data entry LSB (CC 38).
    NrpnLsb(u8),
}

/// NRPN selection on one channel (CC 99/98), kept across controls: devices may select once.
#[derive(Clone, Copy, Debug, Default)]
struct Selection {
    msb: Option<u8>,
    lsb: Option<u8>,
    /// CC 101/100 selected an RPN: data entry is not an NRPN's.
    rpn: bool,
}

impl Selection {
    fn number(&self) -> Option<u16> {
        Some((u16::from(self.msb?) << 7) | u16::from(self.lsb?))
    }
}

/// What a message meant to the learner.
enum Read {
    /// A message of a control.
    Control(Key, Event),
    /// NRPN (or RPN) selection on this channel: part of a control, but carries no value.
    Select(Channel),
    /// RPN data entry or a malformed message.
    Ignored,
}

#[derive(Clone, Debug)]
struct Capture {
    key: Key,
    events: Vec<Event>,
    last: Instant,
}

/// Watches messages and says what each control is once it settles. Feed it every message with
/// its arrival time ([`Learner::feed`]); call [`Learner::poll`] at [`Learner::deadline`].
#[derive(Clone, Debug)]
pub struct Learner {
    settle: Duration,
    selection: [Selection; 16],
    capture: Option<Capture>,
    /// A control cut off at [`MAX_MESSAGES`] and the time of its last message: ignored until
    /// quiet for the settle time.
    muted: Option<(Key, Instant)>,
    /// The last 7-bit CC that settled after a single message, and its value: a next single
    /// message of the opposite kind (0 after > 0, or > 0 after 0) means a toggle button.
    last_single: Option<(Key, u8)>,
}

impl Default for Learner {
    fn default() -> Self {
        Learner::new(SETTLE)
    }
}

impl Learner {
    /// A learner that considers a control done after `settle` without its messages.
    pub fn new(settle: Duration) -> Learner {
        Learner {
            settle,
            selection: [Selection::default(); 16],
            capture: None,
            muted: None,
            last_single: None,
        }
    }

    /// One message, arrived at `now`. Returns the previous control's guess when this message
    /// comes from another control, or this control's when it reached [`MAX_MESSAGES`].
    pub fn feed(&mut self, msg: &ShortMessage, now: Instant) -> Option<Learned> {
        let (key, event) = match self.read(msg) {
            Read::Control(key, event) => (key, event),
            Read::Select(channel) => {
                // Selection belongs to the NRPN being moved: keep it from settling.
                if let Some(c) = &mut self.capture {
                    if matches!(c.key, Key::Nrpn { channel: ch, .. } if ch == channel) {
                        c.last = now;
                    }
                }
                return None;
            }
            Read::Ignored => return None,
        };
        if let Some((muted, last)) = self.muted {
            if muted == key {
                if now.saturating_duration_since(last) < self.settle {
                    self.muted = Some((muted, now));
                    return None;
                }
                self.muted = None;
            }
        }
        let mut done = None;
        match &mut self.capture {
            Some(c) if c.key == key => {
                c.events.push(event);
                c.last = now;
            }
            _ => {
                done = self.finish();
                self.capture = Some(Capture {
                    key,
                    events: vec![event],
                    last: now,
                });
            }
        }
        let full = self
            .capture
            .as_ref()
            .is_some_and(|c| c.events.len() >= MAX_MESSAGES);
        if full {
            self.muted = Some((key, now));
            // A fresh capture has one event, so `done` is empty whenever this one is full.
            return done.or_else(|| self.finish());
        }
        done
    }

    /// The guess for the control being watched, if it has been quiet for the settle time.
    pub fn poll(&mut self, now: Instant) -> Option<Learned> {
        let quiet = self
            .capture
            .as_ref()
            .is_some_and(|c| now.saturating_duration_since(c.last) >= self.settle);
        if quiet {
            self.finish()
        } else {
            None
        }
    }

    /// When [`Learner::poll`] should be called next; `None` when nothing is being watched.
    pub fn deadline(&self) -> Option<Instant> {
        self.capture.as_ref().map(|c| c.last + self.settle)
    }

    /// The guess for the control being watched, now (e.g. when learning stops).
    pub fn finish(&mut self) -> Option<Learned> {
        let capture = self.capture.take()?;
        let single = match (capture.key, capture.events.as_slice()) {
            (Key::Cc { .. }, [Event::Cc { value, .. }]) => Some((capture.key, *value)),
            _ => None,
        };
        let previous = self.last_single.take();
        let learned = guess(&capture, previous);
        self.last_single = single;
        learned
    }

    fn read(&mut self, msg: &ShortMessage) -> Read {
        if !well_formed(msg) {
            return Read::Ignored;
        }
        let Some(channel) = Channel::from_wire(wire_channel(msg)) else {
            return Read::Ignored;
        };
        let (key, event) = match *msg {
            ShortMessage::NoteOn { note, velocity, .. } => {
                (Key::Note { channel, note }, Event::Note(velocity))
            }
            ShortMessage::NoteOff { note, .. } => (Key::Note { channel, note }, Event::Note(0)),
            ShortMessage::ProgramChange { program, .. } => {
                (Key::Program { channel }, Event::Program(program))
            }
            ShortMessage::PitchBend { value, .. } => {
                (Key::PitchBend { channel }, Event::PitchBend(value))
            }
            ShortMessage::ControlChange {
                controller, value, ..
            } => return self.control_change(channel, controller, value),
        };
        Read::Control(key, event)
    }

    fn control_change(&mut self, channel: Channel, cc: u8, value: u8) -> Read {
        let sel = &mut self.selection[usize::from(channel.wire())];
        match cc {
            99 => {
                *sel = Selection {
                    msb: Some(value),
                    lsb: sel.lsb,
                    rpn: false,
                };
                return Read::Select(channel);
            }
            98 => {
                *sel = Selection {
                    msb: sel.msb,
                    lsb: Some(value),
                    rpn: false,
                };
                return Read::Select(channel);
            }
            101 | 100 => {
                *sel = Selection {
                    rpn: true,
                    ..Selection::default()
                };
                return Read::Select(channel);
            }
            6 | 38 if sel.rpn => return Read::Ignored,
            6 | 38 => {
                if let Some(number) = sel.number() {
                    let event = if cc == 6 {
                        Event::NrpnMsb(value)
                    } else {
                        Event::NrpnLsb(value)
                    };
                    return Read::Control(Key::Nrpn { channel, number }, event);
                }
            }
            _ => {}
        }
        let base = if cc < 64 { cc % 32 } else { cc };
        Read::Control(Key::Cc { channel, base }, Event::Cc { cc, value })
    }
}

/// The guess for a finished capture; `None` for a capture that is only a note's release (the
/// press was learned already, or the pad was pressed before learning started).
fn guess(c: &Capture, previous: Option<(Key, u8)>) -> Option<Learned> {
    match c.key {
        Key::Note { channel, note } => guess_note(channel, note, &c.events),
        Key::Program { channel } => Some(Learned {
            source: Source::ProgramChange { channel },
            character: Character::MomentaryButton,
            note: format!(
                "program change on channel {}: the program number is the value; read as a button",
                user(channel)
            ),
        }),
        Key::PitchBend { channel } => {
            let values: Vec<u16> = c
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::PitchBend(v) => Some(*v),
                    _ => None,
                })
                .collect();
            Some(Learned {
                source: Source::PitchBend { channel },
                character: Character::Range,
                note: format!(
                    "pitch bend on channel {}, {}: a 14-bit fader (MCU style)",
                    user(channel),
                    spread(&values)
                ),
            })
        }
        Key::Nrpn { channel, number } => Some(guess_nrpn(channel, number, &c.events)),
        Key::Cc { channel, base } => Some(guess_cc(channel, base, &c.events, previous, c.key)),
    }
}

fn guess_note(channel: Channel, note: u8, events: &[Event]) -> Option<Learned> {
    let velocities: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::Note(v) => Some(*v),
            _ => None,
        })
        .collect();
    if velocities.iter().all(|v| *v == 0) {
        return None;
    }
    let released = velocities.contains(&0);
    let how = if released {
        "pressed and released"
    } else {
        "pressed (no release seen: held, or it sends no note off)"
    };
    Some(Learned {
        source: Source::Note { channel, note },
        character: Character::MomentaryButton,
        note: format!("note {note} on channel {}, {how}: a button", user(channel)),
    })
}

fn guess_nrpn(channel: Channel, number: u16, events: &[Event]) -> Learned {
    let fourteen_bit = events.iter().any(|e| matches!(e, Event::NrpnLsb(_)));
    let source = Source::Nrpn {
        channel,
        number,
        fourteen_bit,
    };
    let at = format!("NRPN {number} on channel {}", user(channel));
    if fourteen_bit {
        // CC 38 completes the value (the decoder's rule).
        let values = fourteen_bit_values(events, false, |e| match e {
            Event::NrpnMsb(v) => Some(Half::Msb(*v)),
            Event::NrpnLsb(v) => Some(Half::Lsb(*v)),
            _ => None,
        });
        let (character, why) = absolute(&values);
        return Learned {
            source,
            character,
            note: format!("{at} with CC 38 (14-bit data), {why}"),
        };
    }
    let values: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::NrpnMsb(v) => Some(*v),
            _ => None,
        })
        .collect();
    let (character, why) = seven_bit(&values);
    Learned {
        source,
        character,
        note: format!("{at}, 7-bit data (no CC 38), {why}"),
    }
}

fn guess_cc(
    channel: Channel,
    base: u8,
    events: &[Event],
    previous: Option<(Key, u8)>,
    key: Key,
) -> Learned {
    let halves: Vec<(bool, u8)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Cc { cc, value } => Some((*cc == base, *value)),
            _ => None,
        })
        .collect();
    let has_msb = halves.iter().any(|(m, _)| *m);
    let has_lsb = halves.iter().any(|(m, _)| !*m);
    if base < 32 && has_msb && has_lsb {
        return guess_cc14(channel, base, events, &halves);
    }
    let cc = if has_msb { base } else { base + 32 };
    let values: Vec<u8> = halves.iter().map(|(_, v)| *v).collect();
    let at = format!("cc {cc} on channel {}", user(channel));
    if let ([now], Some((k, before))) = (values.as_slice(), previous) {
        if k == key && (*now == 0) != (before == 0) {
            return Learned {
                source: Source::Cc { channel, cc },
                character: Character::ToggleButton,
                note: format!(
                    "{at} sent {before} on one press and {now} on the next: a button that \
                     toggles itself and sends its state. A momentary button held longer than \
                     {} ms looks the same: then use character = \"button\"",
                    SETTLE.as_millis()
                ),
            };
        }
    }
    let (character, why) = seven_bit(&values);
    Learned {
        source: Source::Cc { channel, cc },
        character,
        note: format!("{at} {why}"),
    }
}

fn guess_cc14(channel: Channel, msb: u8, events: &[Event], halves: &[(bool, u8)]) -> Learned {
    // The first half seen is sent first, unless LSBs repeat without an MSB between them: an
    // MSB-first device that only resends the LSB when the MSB is unchanged (the MIDI spec
    // allows it) and was caught mid-move.
    let lsb_runs = halves.windows(2).any(|w| !w[0].0 && !w[1].0);
    let lsb_first = halves.first().is_some_and(|(m, _)| !*m) && !lsb_runs;
    let order = if lsb_first {
        ByteOrder::LsbFirst
    } else {
        ByteOrder::MsbFirst
    };
    let values = fourteen_bit_values(events, lsb_first, |e| match e {
        Event::Cc { cc, value } if *cc == msb => Some(Half::Msb(*value)),
        Event::Cc { value, .. } => Some(Half::Lsb(*value)),
        _ => None,
    });
    let (character, why) = absolute(&values);
    let first = if lsb_first {
        "LSB first (lsb_first = true)"
    } else {
        "MSB first"
    };
    Learned {
        source: Source::Cc14 {
            channel,
            msb,
            order,
        },
        character,
        note: format!(
            "cc {msb} and cc {} on channel {} came as a pair, {first}: a 14-bit control, {why}",
            msb + 32,
            user(channel)
        ),
    }
}

enum Half {
    Msb(u8),
    Lsb(u8),
}

/// 14-bit values from interleaved halves, as the decoder reads them: each half updates its
/// part, and a value is complete when the second half (`on_msb`: the MSB) arrives.
fn fourteen_bit_values(
    events: &[Event],
    on_msb: bool,
    half: impl Fn(&Event) -> Option<Half>,
) -> Vec<u16> {
    let (mut msb, mut lsb) = (None, None);
    let mut out = Vec::new();
    for e in events {
        let second = match half(e) {
            Some(Half::Msb(v)) => {
                msb = Some(v);
                on_msb
            }
            Some(Half::Lsb(v)) => {
                lsb = Some(v);
                !on_msb
            }
            None => continue,
        };
        if let (true, Some(m), Some(l)) = (second, msb, lsb) {
            out.push((u16::from(m) << 7) | u16::from(l));
        }
    }
    out
}

/// A button if the values look like presses, else a range (14-bit sources cannot be encoders).
fn absolute(values: &[u16]) -> (Character, String) {
    match button(values) {
        Some(why) => (Character::MomentaryButton, why),
        None => (
            Character::Range,
            format!("{}: a fader or knob", spread(values)),
        ),
    }
}

/// The guess for 7-bit values: button, relative encoder, or range.
fn seven_bit(values: &[u8]) -> (Character, String) {
    let wide: Vec<u16> = values.iter().map(|v| u16::from(*v)).collect();
    if let Some((encoding, why)) = relative(values) {
        return (Character::Relative(encoding), why);
    }
    match button(&wide) {
        Some(why) => (Character::MomentaryButton, why),
        None => (
            Character::Range,
            format!("{}: a fader or knob", spread(&wide)),
        ),
    }
}

/// Whether values look like button presses: one value, the same value again and again, or one
/// value > 0 alternating with 0.
fn button(values: &[u16]) -> Option<String> {
    let (&first, rest) = values.split_first()?;
    if rest.is_empty() {
        return Some(if first == 0 {
            "sent only 0: a button seen on its release".to_owned()
        } else {
            format!(
                "sent one value ({first}): a button. If it sends 0 on its next press, it \
                 is a toggle button: press it once more to tell"
            )
        });
    }
    if values.iter().all(|v| *v == first) {
        return Some(format!(
            "sent {first} {} times: a button that repeats its value",
            values.len()
        ));
    }
    let on: Vec<u16> = values.iter().copied().filter(|v| *v > 0).collect();
    let alternates = values.windows(2).all(|w| (w[0] == 0) != (w[1] == 0));
    let one_on = on.windows(2).all(|w| w[0] == w[1]);
    if alternates && one_on {
        let v = on.first().copied().unwrap_or(0);
        return Some(format!("sent {v} then 0 (press, release): a button"));
    }
    None
}

/// The increment a 7-bit value means in an encoding, as [`super::interpret`] reads it.
fn increment(encoding: Encoding, v: u8) -> i32 {
    let v = i32::from(v);
    match encoding {
        Encoding::TwosComplement => {
            if v < 64 {
                v
            } else {
                v - 128
            }
        }
        Encoding::Offset64 => v - 64,
        Encoding::SignBit => {
            if v <= 64 {
                v
            } else {
                64 - v
            }
        }
    }
}

const ENCODINGS: [Encoding; 3] = [
    Encoding::TwosComplement,
    Encoding::Offset64,
    Encoding::SignBit,
];

/// An encoder if every value is a small increment in some encoding and the values repeat (at
/// most half of them distinct: an encoder turned slowly sends the same codes again and again) or jump between "up" and "down"
/// codes far apart (a fader never jumps from 1 to 127). Among the encodings that fit, one seen
/// turning both ways wins; when only one direction was seen the first candidate in
/// [`ENCODINGS`] order is taken and the note says so.
fn relative(values: &[u8]) -> Option<(Encoding, String)> {
    if values.len() < 2 || values.contains(&0) {
        return None;
    }
    // An encoder never sends "no change" (64 in offset 64): a fader crossing the middle does.
    let fits = |e: Encoding| {
        values
            .iter()
            .all(|v| (1..=MAX_INCREMENT).contains(&increment(e, *v).abs()))
    };
    let candidates: Vec<Encoding> = ENCODINGS.into_iter().filter(|e| fits(*e)).collect();
    let mut distinct = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let repeats = distinct.len() * 2 <= values.len();
    let jumps = values.windows(2).any(|w| w[0].abs_diff(w[1]) > 32);
    if candidates.is_empty() || !(repeats || jumps) {
        return None;
    }
    let both_ways = |e: Encoding| {
        let inc: Vec<i32> = values.iter().map(|v| increment(e, *v)).collect();
        inc.iter().any(|i| *i > 0) && inc.iter().any(|i| *i < 0)
    };
    let (lo, hi) = (values.iter().min()?, values.iter().max()?);
    let seen = format!("{} values within {lo}..={hi}", values.len());
    if let Some(&e) = candidates.iter().find(|e| both_ways(**e)) {
        return Some((
            e,
            format!(
                "sent {seen}, read as turns both ways in {}: a relative encoder",
                encoding_name(e)
            ),
        ));
    }
    let chosen = candidates[0];
    let dir = |e: Encoding| {
        if increment(e, values[0]) > 0 {
            "up"
        } else {
            "down"
        }
    };
    let why = if candidates.len() == 1 {
        format!(
            "sent {seen}, read as turns {} in {}: a relative encoder (turned one way only)",
            dir(chosen),
            encoding_name(chosen)
        )
    } else {
        let others: Vec<String> = candidates[1..]
            .iter()
            .map(|e| format!("{} in {}", dir(*e), encoding_name(*e)))
            .collect();
        format!(
            "sent {seen}: a relative encoder, but ambiguous: {} in {}, or {}. Guessed {}; \
             turn it both ways to tell",
            dir(chosen),
            encoding_name(chosen),
            others.join(", or "),
            encoding_name(chosen)
        )
    };
    Some((chosen, why))
}

fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::TwosComplement => "two's complement",
        Encoding::Offset64 => "offset 64",
        Encoding::SignBit => "sign bit",
    }
}

/// "17 values from 0 to 127".
fn spread(values: &[u16]) -> String {
    match (values.iter().min(), values.iter().max()) {
        (Some(lo), Some(hi)) if values.len() > 1 => {
            format!("{} values from {lo} to {hi}", values.len())
        }
        (Some(v), _) => format!("one value ({v})"),
        _ => "no complete value".to_owned(),
    }
}

/// The 1–16 channel number users write.
fn user(channel: Channel) -> u8 {
    channel.wire() + 1
}

/// A ready-to-paste `[[control]]` block for a mapping file: the guess as a comment, the source
/// and character, and a placeholder target to replace.
pub fn snippet(learned: &Learned) -> String {
    let ch = user(learned.source.channel());
    let (name, source) = match learned.source {
        Source::Note { note, .. } => (format!("note {note}"), format!("note = {note}")),
        Source::Cc { cc, .. } => (format!("cc {cc}"), format!("cc = {cc}")),
        Source::Cc14 { msb, order, .. } => (
            format!("cc14 {msb}"),
            match order {
                ByteOrder::MsbFirst => format!("cc14 = {msb}"),
                ByteOrder::LsbFirst => format!("cc14 = {msb}, lsb_first = true"),
            },
        ),
        Source::PitchBend { .. } => ("pitch bend".to_owned(), "pitch_bend = true".to_owned()),
        Source::Nrpn {
            number,
            fourteen_bit,
            ..
        } => (
            format!("nrpn {number}"),
            if fourteen_bit {
                format!("nrpn = {number}, fourteen_bit = true")
            } else {
                format!("nrpn = {number}")
            },
        ),
        Source::ProgramChange { .. } => (
            "program change".to_owned(),
            "program_change = true".to_owned(),
        ),
    };
    let character = match learned.character {
        Character::Range => "range",
        Character::MomentaryButton => "button",
        Character::ToggleButton => "toggle-button",
        Character::Relative(Encoding::TwosComplement) => "relative-twos-complement",
        Character::Relative(Encoding::Offset64) => "relative-offset64",
        Character::Relative(Encoding::SignBit) => "relative-sign-bit",
    };
    let mut out = String::new();
    for line in learned.note.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "[[control]]\n\
         name = \"{name} ch {ch}\"\n\
         source = {{ {source}, channel = {ch} }}\n\
         character = \"{character}\"\n\
         target = \"x32:/ch/01/mix/fader\"   # ← set the target\n"
    ));
    out
}

#[cfg(test)]
mod tests;
