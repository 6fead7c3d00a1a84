//! Scripted gestures, one per kind of control, each guessed and its snippet loaded as a
//! mapping; and arbitrary message streams that never panic and only ever give valid snippets.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::mapping::Mapping;

const MS: Duration = Duration::from_millis(1);

fn ch(n: u8) -> Channel {
    Channel::from_user(n).unwrap()
}

fn cc(channel: u8, controller: u8, value: u8) -> ShortMessage {
    ShortMessage::ControlChange {
        channel,
        controller,
        value,
    }
}

fn note_on(channel: u8, note: u8, velocity: u8) -> ShortMessage {
    ShortMessage::NoteOn {
        channel,
        note,
        velocity,
    }
}

/// Feeds `msgs` 20 ms apart, then lets the control settle; returns every guess, in order.
fn learn_all(learner: &mut Learner, t: &mut Instant, msgs: &[ShortMessage]) -> Vec<Learned> {
    let mut out = Vec::new();
    for m in msgs {
        *t += 20 * MS;
        out.extend(learner.poll(*t));
        out.extend(learner.feed(m, *t));
    }
    let settle = learner.deadline();
    if let Some(d) = settle {
        assert!(learner.poll(d - MS).is_none(), "settled early");
        *t = d;
        out.extend(learner.poll(*t));
    }
    assert!(learner.deadline().is_none());
    out
}

/// The one guess a gesture gives.
fn learn(msgs: &[ShortMessage]) -> Learned {
    let mut t = Instant::now();
    let mut all = learn_all(&mut Learner::default(), &mut t, msgs);
    assert_eq!(all.len(), 1, "{all:#?}");
    let learned = all.remove(0);
    assert_loads(&learned);
    learned
}

/// The snippet, under a `[device]` section, is a valid mapping with this one control.
fn assert_loads(learned: &Learned) {
    let text = format!(
        "[device]\nname = \"learned\"\ninput = \"x\"\n\n{}",
        snippet(learned)
    );
    match Mapping::parse(&text, Path::new("learned.toml")) {
        Ok(m) => {
            assert_eq!(m.controls.len(), 1);
            assert_eq!(m.controls[0].source, learned.source, "{text}");
            assert_eq!(m.controls[0].character, learned.character, "{text}");
        }
        Err(e) => panic!("{e}\n{text}"),
    }
}

#[test]
fn fader_sweep_is_a_range() {
    let sweep: Vec<ShortMessage> = (0..=127).step_by(8).map(|v| cc(0, 7, v)).collect();
    let l = learn(&sweep);
    assert_eq!(
        l.source,
        Source::Cc {
            channel: ch(1),
            cc: 7
        }
    );
    assert_eq!(l.character, Character::Range);
    assert!(l.note.contains("16 values from 0 to 120"), "{}", l.note);
    let s = snippet(&l);
    assert!(s.contains("source = { cc = 7, channel = 1 }"), "{s}");
    assert!(s.contains("character = \"range\""), "{s}");
    assert!(s.contains("# ← set the target"), "{s}");
    assert!(s.starts_with("# cc 7 on channel 1"), "{s}");
}

#[test]
fn slow_fader_near_the_middle_is_a_range_not_an_encoder() {
    let wiggle: Vec<ShortMessage> = [60, 61, 62, 63, 64, 65, 66, 65, 64, 63]
        .into_iter()
        .map(|v| cc(2, 20, v))
        .collect();
    assert_eq!(learn(&wiggle).character, Character::Range);
}

#[test]
fn cc_button_press_and_release() {
    let l = learn(&[cc(9, 80, 127), cc(9, 80, 0)]);
    assert_eq!(
        l.source,
        Source::Cc {
            channel: ch(10),
            cc: 80
        }
    );
    assert_eq!(l.character, Character::MomentaryButton);
    assert!(l.note.contains("press, release"), "{}", l.note);
    assert!(snippet(&l).contains("character = \"button\""));
}

#[test]
fn cc_that_sends_one_value_is_a_button() {
    let l = learn(&[cc(0, 90, 127)]);
    assert_eq!(l.character, Character::MomentaryButton);
    assert!(l.note.contains("press it once more"), "{}", l.note);
}

#[test]
fn two_separate_presses_sending_127_then_0_are_a_toggle_button() {
    let mut learner = Learner::default();
    let mut t = Instant::now();
    let first = learn_all(&mut learner, &mut t, &[cc(0, 90, 127)]);
    assert_eq!(first[0].character, Character::MomentaryButton);
    t += Duration::from_secs(1);
    let second = learn_all(&mut learner, &mut t, &[cc(0, 90, 0)]);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].character, Character::ToggleButton);
    assert!(second[0].note.contains("held longer"), "{}", second[0].note);
    assert_loads(&second[0]);
    // A single 0 after another control's press is not a toggle.
    let mut learner = Learner::default();
    learn_all(&mut learner, &mut t, &[cc(0, 91, 127)]);
    let other = learn_all(&mut learner, &mut t, &[cc(0, 90, 0)]);
    assert_eq!(other[0].character, Character::MomentaryButton);
}

#[test]
fn note_pad_is_a_button_and_a_late_release_is_not_learned_twice() {
    let l = learn(&[
        note_on(0, 36, 100),
        ShortMessage::NoteOff {
            channel: 0,
            note: 36,
            velocity: 0,
        },
    ]);
    assert_eq!(
        l.source,
        Source::Note {
            channel: ch(1),
            note: 36
        }
    );
    assert_eq!(l.character, Character::MomentaryButton);
    assert!(l.note.contains("pressed and released"), "{}", l.note);

    // Held past the settle time: the press is learned, the release alone is not.
    let mut learner = Learner::default();
    let mut t = Instant::now();
    let held = learn_all(&mut learner, &mut t, &[note_on(0, 36, 100)]);
    assert_eq!(held.len(), 1);
    assert!(held[0].note.contains("no release"), "{}", held[0].note);
    assert!(learn_all(&mut learner, &mut t, &[note_on(0, 36, 0)]).is_empty());
}

fn encoder(values: &[u8]) -> Learned {
    let msgs: Vec<ShortMessage> = values.iter().map(|v| cc(0, 16, *v)).collect();
    learn(&msgs)
}

#[test]
fn encoders_turned_both_ways_give_their_encoding() {
    let cases: [(&[u8], Encoding); 3] = [
        (
            &[1, 1, 1, 2, 1, 127, 127, 126, 127],
            Encoding::TwosComplement,
        ),
        (&[65, 65, 66, 65, 63, 63, 62, 63], Encoding::Offset64),
        (&[1, 1, 2, 1, 65, 65, 66, 65], Encoding::SignBit),
    ];
    for (values, encoding) in cases {
        let l = encoder(values);
        assert_eq!(l.character, Character::Relative(encoding), "{values:?}");
        assert!(l.note.contains("both ways"), "{}", l.note);
        assert!(!l.note.contains("ambiguous"), "{}", l.note);
    }
    let s = snippet(&encoder(&[1, 1, 65, 65]));
    assert!(s.contains("character = \"relative-sign-bit\""), "{s}");
}

#[test]
fn encoders_turned_one_way_say_when_they_are_ambiguous() {
    let l = encoder(&[127, 127, 127]);
    assert_eq!(l.character, Character::Relative(Encoding::TwosComplement));
    assert!(l.note.contains("one way only"), "{}", l.note);
    let l = encoder(&[63, 63, 63]);
    assert_eq!(l.character, Character::Relative(Encoding::Offset64));
    assert!(!l.note.contains("ambiguous"), "{}", l.note);

    let l = encoder(&[1, 1, 1, 1]);
    assert_eq!(l.character, Character::Relative(Encoding::TwosComplement));
    assert!(l.note.contains("ambiguous"), "{}", l.note);
    assert!(l.note.contains("sign bit"), "{}", l.note);
    let l = encoder(&[65, 65, 65]);
    assert_eq!(l.character, Character::Relative(Encoding::Offset64));
    assert!(l.note.contains("ambiguous"), "{}", l.note);
    assert!(l.note.contains("down in sign bit"), "{}", l.note);
}

fn pair(order: ByteOrder) -> Vec<ShortMessage> {
    let mut msgs = Vec::new();
    for v in (0..16384u16).step_by(1000) {
        let (msb, lsb) = (cc(0, 7, (v >> 7) as u8), cc(0, 39, (v & 0x7f) as u8));
        match order {
            ByteOrder::MsbFirst => msgs.extend([msb, lsb]),
            ByteOrder::LsbFirst => msgs.extend([lsb, msb]),
        }
    }
    msgs
}

#[test]
fn fourteen_bit_pairs_in_both_orders() {
    for order in [ByteOrder::MsbFirst, ByteOrder::LsbFirst] {
        let l = learn(&pair(order));
        assert_eq!(
            l.source,
            Source::Cc14 {
                channel: ch(1),
                msb: 7,
                order
            }
        );
        assert_eq!(l.character, Character::Range);
        let s = snippet(&l);
        assert_eq!(
            s.contains("lsb_first = true"),
            order == ByteOrder::LsbFirst,
            "{s}"
        );
        assert!(s.contains("cc14 = 7"), "{s}");
    }
}

#[test]
fn msb_first_pair_caught_with_lsb_only_updates_stays_msb_first() {
    let msgs = [
        cc(0, 39, 10),
        cc(0, 39, 20),
        cc(0, 7, 3),
        cc(0, 39, 0),
        cc(0, 39, 30),
        cc(0, 7, 4),
        cc(0, 39, 1),
    ];
    let l = learn(&msgs);
    assert!(matches!(
        l.source,
        Source::Cc14 {
            order: ByteOrder::MsbFirst,
            ..
        }
    ));
}

#[test]
fn a_lone_lsb_cc_is_a_plain_cc() {
    let msgs: Vec<ShortMessage> = (0..=127).step_by(16).map(|v| cc(0, 40, v)).collect();
    let l = learn(&msgs);
    assert_eq!(
        l.source,
        Source::Cc {
            channel: ch(1),
            cc: 40
        }
    );
}

#[test]
fn pitch_bend_is_a_fourteen_bit_range() {
    let msgs: Vec<ShortMessage> = (0..=16383u16)
        .step_by(2048)
        .map(|value| ShortMessage::PitchBend { channel: 3, value })
        .collect();
    let l = learn(&msgs);
    assert_eq!(l.source, Source::PitchBend { channel: ch(4) });
    assert_eq!(l.character, Character::Range);
    assert!(snippet(&l).contains("source = { pitch_bend = true, channel = 4 }"));
}

fn nrpn(number: u16, values: &[u16], fourteen: bool) -> Vec<ShortMessage> {
    let mut msgs = Vec::new();
    for v in values {
        msgs.push(cc(1, 99, (number >> 7) as u8));
        msgs.push(cc(1, 98, (number & 0x7f) as u8));
        if fourteen {
            msgs.push(cc(1, 6, (v >> 7) as u8));
            msgs.push(cc(1, 38, (v & 0x7f) as u8));
        } else {
            msgs.push(cc(1, 6, *v as u8));
        }
    }
    msgs
}

#[test]
fn nrpn_seven_and_fourteen_bit() {
    let l = learn(&nrpn(300, &[0, 20, 40, 60, 80, 100, 127], false));
    assert_eq!(
        l.source,
        Source::Nrpn {
            channel: ch(2),
            number: 300,
            fourteen_bit: false
        }
    );
    assert_eq!(l.character, Character::Range);
    assert!(snippet(&l).contains("source = { nrpn = 300, channel = 2 }"));

    let l = learn(&nrpn(1000, &[0, 4000, 8000, 12000, 16383], true));
    assert_eq!(
        l.source,
        Source::Nrpn {
            channel: ch(2),
            number: 1000,
            fourteen_bit: true
        }
    );
    assert_eq!(l.character, Character::Range);
    assert!(l.note.contains("5 values from 0 to 16383"), "{}", l.note);
    assert!(snippet(&l).contains("nrpn = 1000, fourteen_bit = true"));
}

#[test]
fn nrpn_selected_once_then_data_only_is_still_the_nrpn() {
    let mut msgs = nrpn(5, &[0], false);
    msgs.extend([cc(1, 6, 30), cc(1, 6, 60), cc(1, 6, 90)]);
    let l = learn(&msgs);
    assert!(matches!(l.source, Source::Nrpn { number: 5, .. }));
}

#[test]
fn rpn_data_entry_is_ignored() {
    let mut t = Instant::now();
    let msgs = [cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 2), cc(0, 38, 0)];
    assert!(learn_all(&mut Learner::default(), &mut t, &msgs).is_empty());
}

#[test]
fn another_control_finishes_the_first_at_once() {
    let mut learner = Learner::default();
    let t = Instant::now();
    assert!(learner.feed(&cc(0, 7, 10), t).is_none());
    assert!(learner.feed(&cc(0, 7, 20), t + MS).is_none());
    let first = learner.feed(&note_on(0, 60, 127), t + 2 * MS);
    assert!(matches!(
        first,
        Some(Learned {
            source: Source::Cc { cc: 7, .. },
            ..
        })
    ));
    let second = learner.finish();
    assert!(matches!(
        second,
        Some(Learned {
            source: Source::Note { note: 60, .. },
            ..
        })
    ));
}

#[test]
fn a_long_ride_gives_one_guess_at_the_message_limit() {
    let mut learner = Learner::default();
    let mut t = Instant::now();
    let mut guesses = Vec::new();
    for i in 0..(MAX_MESSAGES * 3) {
        t += 10 * MS;
        guesses.extend(learner.feed(&cc(0, 1, (i % 128) as u8), t));
        guesses.extend(learner.poll(t));
    }
    assert_eq!(guesses.len(), 1);
    assert!(learner.deadline().is_none());
    // Quiet for the settle time: the same control is learned again.
    t += SETTLE;
    assert!(learner.feed(&cc(0, 1, 5), t).is_none());
    assert!(learner.deadline().is_some());
}

#[test]
fn malformed_messages_are_ignored() {
    let mut learner = Learner::default();
    let t = Instant::now();
    assert!(learner.feed(&cc(16, 7, 1), t).is_none());
    assert!(learner.feed(&cc(0, 7, 200), t).is_none());
    assert!(learner
        .feed(
            &ShortMessage::PitchBend {
                channel: 0,
                value: 20000
            },
            t
        )
        .is_none());
    assert!(learner.deadline().is_none());
}

#[test]
fn program_change_is_a_button() {
    let l = learn(&[ShortMessage::ProgramChange {
        channel: 0,
        program: 3,
    }]);
    assert_eq!(l.source, Source::ProgramChange { channel: ch(1) });
}

fn any_message() -> impl Strategy<Value = ShortMessage> {
    // Mostly well-formed, on few channels and numbers so controls repeat and pair up; some
    // fields out of range.
    let channel = prop_oneof![9 => 0u8..3, 1 => any::<u8>()];
    let data = prop_oneof![9 => 0u8..128, 1 => any::<u8>()];
    let number = prop_oneof![
        4 => prop_oneof![Just(6u8), Just(38), Just(98), Just(99), Just(100), Just(101)],
        4 => 0u8..72,
        1 => any::<u8>()
    ];
    prop_oneof![
        (channel.clone(), data.clone(), data.clone()).prop_map(|(channel, note, velocity)| {
            ShortMessage::NoteOn {
                channel,
                note: note % 4,
                velocity,
            }
        }),
        (channel.clone(), data.clone()).prop_map(|(channel, note)| ShortMessage::NoteOff {
            channel,
            note: note % 4,
            velocity: 0,
        }),
        (channel.clone(), number, data.clone()).prop_map(|(channel, controller, value)| {
            ShortMessage::ControlChange {
                channel,
                controller,
                value,
            }
        }),
        (channel.clone(), data)
            .prop_map(|(channel, program)| ShortMessage::ProgramChange { channel, program }),
        (channel, any::<u16>())
            .prop_map(|(channel, value)| ShortMessage::PitchBend { channel, value }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_streams_never_panic_and_give_valid_snippets(
        msgs in prop::collection::vec((any_message(), 0u64..1500), 0..200)
    ) {
        let mut learner = Learner::default();
        let mut t = Instant::now();
        let mut guesses = Vec::new();
        for (m, gap) in &msgs {
            t += Duration::from_millis(*gap);
            guesses.extend(learner.poll(t));
            guesses.extend(learner.feed(m, t));
        }
        guesses.extend(learner.finish());
        for g in &guesses {
            assert_loads(g);
        }
    }
}
