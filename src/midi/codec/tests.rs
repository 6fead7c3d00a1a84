use super::*;
use proptest::prelude::*;

fn ch(c: u8) -> Channel {
    Channel::try_new(c).unwrap()
}
fn m7(v: u8) -> Midi7 {
    Midi7::try_new(v).unwrap()
}
fn cc(c: u8, n: u8, v: u8) -> MidiMessage {
    MidiMessage::ControlChange {
        channel: ch(c),
        controller: m7(n),
        value: m7(v),
    }
}
fn note_on(c: u8, n: u8, v: u8) -> MidiMessage {
    MidiMessage::NoteOn {
        channel: ch(c),
        note: m7(n),
        velocity: m7(v),
    }
}
fn sysex(b: &[u8]) -> MidiMessage {
    MidiMessage::SysEx(SysEx::try_new(b.to_vec()).unwrap())
}

fn one_of_each() -> Vec<MidiMessage> {
    vec![
        MidiMessage::NoteOff {
            channel: ch(0),
            note: m7(60),
            velocity: m7(0),
        },
        note_on(1, 60, 127),
        MidiMessage::PolyPressure {
            channel: ch(2),
            note: m7(61),
            pressure: m7(5),
        },
        cc(0, 7, 100),
        MidiMessage::ProgramChange {
            channel: ch(15),
            program: m7(3),
        },
        MidiMessage::ChannelPressure {
            channel: ch(4),
            pressure: m7(99),
        },
        MidiMessage::PitchBend {
            channel: ch(0),
            value: Midi14::CENTER,
        },
        sysex(&[0xF0, 0x00, 0x20, 0x32, 0x01, 0xF7]),
        MidiMessage::System(SystemCommon::TimeCodeQuarterFrame(m7(0x12))),
        MidiMessage::System(SystemCommon::SongPosition(Midi14::MAX)),
        MidiMessage::System(SystemCommon::SongSelect(m7(4))),
        MidiMessage::System(SystemCommon::TuneRequest),
        MidiMessage::Realtime(Realtime::CLOCK),
        MidiMessage::Realtime(Realtime::try_new(0xFD).unwrap()),
    ]
}

#[test]
fn every_kind_round_trips() {
    for msg in one_of_each() {
        let bytes = to_bytes(&msg);
        assert_eq!(
            parse_all(&bytes),
            vec![msg.clone()],
            "{msg} as {bytes:02X?}"
        );
    }
}

#[test]
fn encoded_bytes_are_the_wire_format() {
    assert_eq!(to_bytes(&cc(0, 7, 100)), [0xB0, 7, 100]);
    assert_eq!(to_bytes(&note_on(1, 60, 127)), [0x91, 60, 127]);
    let bend = MidiMessage::PitchBend {
        channel: ch(0),
        value: Midi14::try_new(0x2001).unwrap(),
    };
    assert_eq!(to_bytes(&bend), [0xE0, 0x01, 0x40]);
}

#[test]
fn display_is_readable() {
    assert_eq!(cc(0, 7, 100).to_string(), "CC ch1 #7 = 100");
    assert_eq!(note_on(1, 60, 127).to_string(), "Note on ch2 60 vel 127");
    let bend = MidiMessage::PitchBend {
        channel: ch(0),
        value: Midi14::CENTER,
    };
    assert_eq!(bend.to_string(), "Pitch bend ch1 8192");
    assert_eq!(
        sysex(&[0xF0, 0x00, 0x20, 0x32, 0xF7]).to_string(),
        "SysEx F0 00 20 32 F7 (5 bytes)"
    );
    let long: Vec<u8> = [0xF0].into_iter().chain(0..20).chain([0xF7]).collect();
    assert_eq!(
        sysex(&long).to_string(),
        "SysEx F0 00 01 02 03 04 05 06 … F7 (22 bytes)"
    );
    assert_eq!(MidiMessage::Realtime(Realtime::CLOCK).to_string(), "Clock");
}

#[test]
fn running_status() {
    let msgs = parse_all(&[0xB0, 7, 100, 7, 101, 8, 0]);
    assert_eq!(msgs, vec![cc(0, 7, 100), cc(0, 7, 101), cc(0, 8, 0)]);
    // Program change: one data byte per message.
    assert_eq!(parse_all(&[0xC1, 1, 2]).len(), 2);
}

#[test]
fn system_common_cancels_running_status() {
    let msgs = parse_all(&[0xB0, 7, 100, 0xF3, 2, 7, 101]);
    assert_eq!(
        msgs,
        vec![
            cc(0, 7, 100),
            MidiMessage::System(SystemCommon::SongSelect(m7(2)))
        ]
    );
    // ... and so does a SysEx.
    let msgs = parse_all(&[0x90, 60, 1, 0xF0, 1, 0xF7, 61, 1]);
    assert_eq!(msgs, vec![note_on(0, 60, 1), sysex(&[0xF0, 1, 0xF7])]);
}

#[test]
fn realtime_interleaved_anywhere() {
    let mut p = MidiParser::new();
    let mut out = Vec::new();
    p.push(&[0xB0, 0xF8, 7, 0xFE, 100, 0xF8, 8, 0xFA, 1], &mut out);
    let clock = MidiMessage::Realtime(Realtime::CLOCK);
    assert_eq!(
        out,
        vec![
            clock.clone(),
            MidiMessage::Realtime(Realtime::ACTIVE_SENSING),
            cc(0, 7, 100),
            clock.clone(),
            MidiMessage::Realtime(Realtime::START),
            cc(0, 8, 1),
        ]
    );
    out.clear();
    p.push(&[0xF0, 0x7E, 0xF8, 0x01, 0xF7], &mut out);
    assert_eq!(out, vec![clock, sysex(&[0xF0, 0x7E, 0x01, 0xF7])]);
    assert_eq!(p.dropped(), 0);
}

#[test]
fn sysex_split_across_pushes() {
    let mut p = MidiParser::new();
    let mut out = Vec::new();
    p.push(&[0xF0, 0x00], &mut out);
    p.push(&[0x20, 0x32], &mut out);
    assert!(out.is_empty());
    p.push(&[0x01, 0xF7, 0xB0, 1, 2], &mut out);
    assert_eq!(
        out,
        vec![sysex(&[0xF0, 0x00, 0x20, 0x32, 0x01, 0xF7]), cc(0, 1, 2)]
    );
}

#[test]
fn interrupted_sysex_is_dropped() {
    let mut p = MidiParser::new();
    let mut out = Vec::new();
    p.push(&[0xF0, 1, 2, 0xB0, 7, 1, 3, 0xF7], &mut out);
    // The fragment is dropped, the CC kept, and the data bytes after it are running status
    // data (3 is a lone byte, then F7 is a stray end marker).
    assert_eq!(out, vec![cc(0, 7, 1)]);
    assert_eq!(p.dropped(), 3);
    // A new F0 inside a SysEx drops the first one.
    assert_eq!(
        parse_all(&[0xF0, 1, 0xF0, 2, 0xF7]),
        vec![sysex(&[0xF0, 2, 0xF7])]
    );
}

#[test]
fn interrupted_message_is_dropped() {
    assert_eq!(parse_all(&[0x90, 60, 0xB0, 7, 1]), vec![cc(0, 7, 1)]);
    assert_eq!(parse_all(&[0xE0, 0x01, 0xF6]).len(), 1);
}

#[test]
fn stray_and_undefined_bytes_are_dropped() {
    let mut p = MidiParser::new();
    let mut out = Vec::new();
    p.push(&[1, 2, 3, 0xF7, 0xF4, 5, 0xF5, 0xB0, 1, 2], &mut out);
    assert_eq!(out, vec![cc(0, 1, 2)]);
    assert_eq!(p.dropped(), 7);
}

#[test]
fn truncated_input_yields_nothing_until_completed() {
    for bytes in [&[0xB0][..], &[0xB0, 7], &[0xF2, 1], &[0xF0, 1, 2], &[0xE0]] {
        assert!(parse_all(bytes).is_empty(), "{bytes:02X?}");
    }
}

#[test]
fn sysex_longer_than_the_cap_is_dropped() {
    let mut p = MidiParser::new();
    let mut out = Vec::new();
    p.push(&[0xF0], &mut out);
    p.push(&vec![0x11; MAX_SYSEX_LEN], &mut out);
    p.push(&[0xF7, 0xB0, 1, 2], &mut out);
    assert_eq!(out, vec![cc(0, 1, 2)]);
    // Exactly at the cap is kept.
    let mut at_cap = vec![0x11; MAX_SYSEX_LEN];
    at_cap[0] = 0xF0;
    at_cap[MAX_SYSEX_LEN - 1] = 0xF7;
    assert_eq!(parse_all(&at_cap), vec![sysex(&at_cap)]);
}

#[test]
fn checked_constructors_reject_out_of_range() {
    assert!(Channel::try_new(16).is_err());
    assert!(Midi7::try_new(128).is_err());
    assert!(Midi14::try_new(16384).is_err());
    assert!(Realtime::try_new(0xF7).is_err());
    assert!(SysEx::try_new(vec![0xF0]).is_err());
    assert!(SysEx::try_new(vec![0xF0, 0x80, 0xF7]).is_err());
    assert!(SysEx::try_new(vec![0x00, 0xF7]).is_err());
    assert!(SysEx::try_new(vec![0xF0, 0xF7]).is_ok());
}

fn arb_message() -> impl Strategy<Value = MidiMessage> {
    let c = (0u8..16).prop_map(ch);
    let v = || (0u8..128).prop_map(m7);
    let w = (0u16..0x4000).prop_map(|x| Midi14::try_new(x).unwrap());
    prop_oneof![
        (c.clone(), v(), v()).prop_map(|(channel, note, velocity)| MidiMessage::NoteOff {
            channel,
            note,
            velocity
        }),
        (c.clone(), v(), v()).prop_map(|(channel, note, velocity)| MidiMessage::NoteOn {
            channel,
            note,
            velocity
        }),
        (c.clone(), v(), v()).prop_map(|(channel, note, pressure)| {
            MidiMessage::PolyPressure {
                channel,
                note,
                pressure,
            }
        }),
        (c.clone(), v(), v()).prop_map(|(channel, controller, value)| {
            MidiMessage::ControlChange {
                channel,
                controller,
                value,
            }
        }),
        (c.clone(), v())
            .prop_map(|(channel, program)| MidiMessage::ProgramChange { channel, program }),
        (c.clone(), v())
            .prop_map(|(channel, pressure)| MidiMessage::ChannelPressure { channel, pressure }),
        (c, w.clone()).prop_map(|(channel, value)| MidiMessage::PitchBend { channel, value }),
        proptest::collection::vec(0u8..128, 0..40).prop_map(|body| {
            let bytes = [0xF0].into_iter().chain(body).chain([0xF7]).collect();
            MidiMessage::SysEx(SysEx::try_new(bytes).unwrap())
        }),
        v().prop_map(|x| MidiMessage::System(SystemCommon::TimeCodeQuarterFrame(x))),
        w.prop_map(|x| MidiMessage::System(SystemCommon::SongPosition(x))),
        v().prop_map(|x| MidiMessage::System(SystemCommon::SongSelect(x))),
        Just(MidiMessage::System(SystemCommon::TuneRequest)),
        (0xF8u8..=0xFF).prop_map(|b| MidiMessage::Realtime(Realtime::try_new(b).unwrap())),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)
    ) {
        let mut p = MidiParser::new();
        let mut out = Vec::new();
        for c in &chunks {
            p.push(c, &mut out);
        }
        // Whatever came out re-encodes to something that parses back the same.
        let mut bytes = Vec::new();
        for m in &out {
            encode(m, &mut bytes);
        }
        prop_assert_eq!(parse_all(&bytes), out);
    }

    #[test]
    fn messages_round_trip_in_any_chunking(
        msgs in proptest::collection::vec(arb_message(), 0..30),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut bytes = Vec::new();
        for m in &msgs {
            encode(m, &mut bytes);
        }
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut p = MidiParser::new();
        let mut out = Vec::new();
        let mut start = 0;
        for end in at.into_iter().chain([bytes.len()]) {
            p.push(&bytes[start..end], &mut out);
            start = end;
        }
        prop_assert_eq!(out, msgs);
        prop_assert_eq!(p.dropped(), 0);
    }
}
