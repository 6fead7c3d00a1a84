//! The engine's rules on scripted input, with time as an argument.

use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::desk::{Change, Normalized, Op, Origin, ParamId, Value};
use crate::mapping::{Mapping, ShortMessage};

const XTOUCH: &str = include_str!("../../mappings/behringer-x-touch-mcu.toml");
const MIXTRACK: &str = include_str!("../../mappings/numark-mixtrack-pro-3.toml");
const MS: Duration = Duration::from_millis(1);

fn engine(text: &str) -> Engine {
    let mapping = Mapping::parse(text, Path::new("m.toml")).unwrap();
    let ch1 = ParamId::parse("x32:/ch/01/mix/fader").unwrap();
    Engine::new(
        "xt",
        mapping,
        vec![(ch1, Value::Level(Normalized::new_clamped(0.5)))],
    )
}

fn change(param: &str, x: f64, origin: Origin) -> Change {
    Change {
        param: ParamId::parse(param).unwrap(),
        value: Value::Level(Normalized::new_clamped(x)),
        previous: Value::Level(Normalized::MIN),
        origin,
        seq: 1,
    }
}

fn pitch_bends(out: &[Vec<u8>]) -> Vec<&Vec<u8>> {
    out.iter().filter(|m| m[0] == 0xE0).collect()
}

#[test]
fn a_motor_fader_gets_no_echo_of_its_own_move_but_follows_others() {
    let t0 = Instant::now();
    let mut e = engine(XTOUCH);
    e.on_connected();
    e.due(t0);
    let out = e.on_input(
        ShortMessage::PitchBend {
            channel: 0,
            value: 12000,
        },
        t0,
    );
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param.to_string(), "x32:/ch/01/mix/fader");
    assert!(matches!(i.op, Op::Normalized(_)));
    assert_eq!(i.origin, Origin::Surface("xt".into()));
    // The desk applies it: no feedback to the fader that moved it.
    e.on_change(
        &change("x32:/ch/01/mix/fader", 0.73, Origin::Surface("xt".into())),
        t0 + 5 * MS,
    );
    assert!(pitch_bends(&e.due(t0 + 30 * MS)).is_empty());
    // Someone else moves it later: the motor follows.
    e.on_change(
        &change(
            "x32:/ch/01/mix/fader",
            0.25,
            Origin::Mixer(crate::desk::MixerId::X32),
        ),
        t0 + 300 * MS,
    );
    let out = e.due(t0 + 300 * MS);
    assert_eq!(
        pitch_bends(&out),
        vec![&vec![0xE0, 0x00, 0x20]],
        "{out:02X?}"
    );
    // The motor's own travel is not taken for a hand: input just after is ignored…
    assert!(e
        .on_input(
            ShortMessage::PitchBend {
                channel: 0,
                value: 4200
            },
            t0 + 320 * MS
        )
        .is_empty());
    // …but a hand after the squelch window is.
    assert_eq!(
        e.on_input(
            ShortMessage::PitchBend {
                channel: 0,
                value: 4200
            },
            t0 + 400 * MS
        )
        .len(),
        1
    );
}

#[test]
fn a_touched_fader_is_left_alone_and_put_right_on_release() {
    let t0 = Instant::now();
    let mut e = engine(XTOUCH);
    e.on_connected();
    e.due(t0);
    e.on_input(
        ShortMessage::NoteOn {
            channel: 0,
            note: 104,
            velocity: 127,
        },
        t0,
    );
    e.on_change(
        &change("x32:/ch/01/mix/fader", 0.9, Origin::Ui),
        t0 + 200 * MS,
    );
    assert!(pitch_bends(&e.due(t0 + 200 * MS)).is_empty());
    e.on_input(
        ShortMessage::NoteOn {
            channel: 0,
            note: 104,
            velocity: 0,
        },
        t0 + 400 * MS,
    );
    assert_eq!(pitch_bends(&e.due(t0 + 400 * MS)).len(), 1);
}

#[test]
fn leds_always_show_the_state_even_after_their_own_press() {
    let t0 = Instant::now();
    let mut e = engine(XTOUCH);
    e.on_connected();
    e.due(t0);
    // Mute 1 (note 0x10): a press toggles channel 1's on switch.
    let out = e.on_input(
        ShortMessage::NoteOn {
            channel: 0,
            note: 0x10,
            velocity: 127,
        },
        t0,
    );
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param.to_string(), "x32:/ch/01/mix/on");
    assert_eq!(i.op, Op::Toggle);
    let muted = Change {
        param: i.param.clone(),
        value: Value::Index(0),
        previous: Value::Index(1),
        origin: Origin::Surface("xt".into()),
        seq: 2,
    };
    e.on_change(&muted, t0 + 5 * MS);
    // Inverted: lit when muted.
    // Sent as soon as the address's rate limit allows (the connect resync used it at t0).
    assert!(e.due(t0 + 25 * MS).contains(&vec![0x90, 0x10, 0x7F]));
}

#[test]
fn feedback_is_coalesced_and_rate_limited_per_address() {
    let t0 = Instant::now();
    let mut e = engine(XTOUCH);
    e.on_connected();
    e.due(t0);
    let mut sent = Vec::new();
    for k in 0..100u32 {
        let now = t0 + MS * k;
        e.on_change(
            &change("x32:/ch/01/mix/fader", f64::from(k) / 100.0, Origin::Ui),
            now,
        );
        sent.extend(e.due(now));
    }
    sent.extend(e.due(t0 + MS * 200));
    let bends = pitch_bends(&sent);
    // 100 changes in 100 ms at 50 messages/s per address: about 5, the last one the last value.
    assert!((4..=7).contains(&bends.len()), "{}", bends.len());
    let fader1 = crate::mapping::Source::PitchBend {
        channel: crate::mapping::Channel::from_user(1).unwrap(),
    };
    assert_eq!(
        bends.last().unwrap(),
        &&super::feedback::value_message(&fader1, 0.99)
    );
}

#[test]
fn shift_layer_and_bank_buttons_retarget_controls() {
    let t0 = Instant::now();
    let mut e = engine(MIXTRACK);
    let jog = ShortMessage::ControlChange {
        channel: 1,
        controller: 0x11,
        value: 1,
    };
    let target = |out: Vec<Output>| match out.as_slice() {
        [Output::Intent(i)] => i.param.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(target(e.on_input(jog, t0)), "x32:/bus/01/mix/fader");
    e.on_input(
        ShortMessage::NoteOn {
            channel: 1,
            note: 0x0B,
            velocity: 127,
        },
        t0 + MS,
    );
    assert_eq!(e.layer(), Some("shift"));
    assert_eq!(
        target(e.on_input(jog, t0 + 100 * MS)),
        "x32:/main/st/mix/fader"
    );
    e.on_input(
        ShortMessage::NoteOff {
            channel: 1,
            note: 0x0B,
            velocity: 0,
        },
        t0 + 200 * MS,
    );
    assert_eq!(
        target(e.on_input(jog, t0 + 300 * MS)),
        "x32:/bus/01/mix/fader"
    );

    let mut x = engine(XTOUCH);
    let bank_right = ShortMessage::NoteOn {
        channel: 0,
        note: 0x2F,
        velocity: 127,
    };
    x.on_input(bank_right, t0);
    assert_eq!(x.bank_offset(), 8);
    let out = x.on_input(
        ShortMessage::PitchBend {
            channel: 0,
            value: 8192,
        },
        t0 + 500 * MS,
    );
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param.to_string(), "x32:/ch/09/mix/fader");
    // The last bank stops at the last page.
    for _ in 0..20 {
        x.on_input(bank_right, t0 + 600 * MS);
    }
    assert_eq!(x.bank_offset(), 64);
}

#[test]
fn the_bank_position_is_shared_through_the_desk() {
    let t0 = Instant::now();
    let mut x = engine(XTOUCH);
    let bank = ParamId::parse("pupitre:surface/xt/bank").unwrap();
    assert_eq!(Engine::bank_param("xt", x.mapping()), Some(bank.clone()));
    // A bank button tells the desk where the controller now stands.
    let out = x.on_input(
        ShortMessage::NoteOn {
            channel: 0,
            note: 0x2F,
            velocity: 127,
        },
        t0,
    );
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param, bank);
    assert_eq!(i.op, Op::Set(Value::Index(8)));
    assert_eq!(i.origin, Origin::Surface("xt".into()));
    // Its own echo changes nothing.
    let echo = |at: u32, origin: Origin| Change {
        param: bank.clone(),
        value: Value::Index(at),
        previous: Value::Index(0),
        origin,
        seq: 2,
    };
    assert!(x
        .on_change(&echo(8, Origin::Surface("xt".into())), t0)
        .is_empty());
    assert_eq!(x.bank_offset(), 8);
    // The screen pages to bus 1 (index 40 in this mapping's channels): the faders follow,
    // with the whole feedback state re-sent.
    x.on_connected();
    x.due(t0);
    assert!(x.on_change(&echo(40, Origin::Ui), t0 + 200 * MS).is_empty());
    assert_eq!(x.bank_offset(), 40);
    let resent = x.due(t0 + 300 * MS);
    let strip_faders = resent.iter().filter(|m| (0xE0..=0xE7).contains(&m[0]));
    assert_eq!(strip_faders.count(), 8, "{resent:?}");
    // The scribble strips name the new bank.
    assert!(resent
        .iter()
        .any(|m| m[0] == 0xF0 && m.windows(6).any(|w| w == b"Bus 01")));
    let out = x.on_input(
        ShortMessage::PitchBend {
            channel: 0,
            value: 0,
        },
        t0 + 500 * MS,
    );
    let targets: Vec<String> = out
        .iter()
        .map(|Output::Intent(i)| i.param.to_string())
        .collect();
    // A fader must pick up first or move the new target; either way it is bus 1's.
    assert!(
        targets.iter().all(|t| t == "x32:/bus/01/mix/fader"),
        "{targets:?}"
    );
    // Past the end: the controller stops at its last channel and says so.
    let out = x.on_change(&echo(200, Origin::Ui), t0 + 600 * MS);
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.op, Op::Set(Value::Index(69)));
    assert_eq!(x.bank_offset(), 69);
}

#[test]
fn a_bank_already_on_the_desk_is_where_a_controller_starts() {
    let mapping = Mapping::parse(XTOUCH, Path::new("m.toml")).unwrap();
    let bank = ParamId::parse("pupitre:surface/xt/bank").unwrap();
    let x = Engine::new("xt", mapping, vec![(bank, Value::Index(16))]);
    assert_eq!(x.bank_offset(), 16);
}

#[test]
fn the_stabilizer_button_toggles_the_desk_switch() {
    let text = r#"
[device]
name = "Pad"
input = "Pad"

[[control]]
name = "ride"
source = { note = 1 }
action = "stabilizer-toggle"
"#;
    let mut e = engine(text);
    let out = e.on_input(
        ShortMessage::NoteOn {
            channel: 0,
            note: 1,
            velocity: 127,
        },
        Instant::now(),
    );
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param.to_string(), "pupitre:stabilizer/enabled");
    assert_eq!(i.op, Op::Toggle);
}

#[test]
fn a_scene_button_asks_the_desk_to_recall_its_slot() {
    let text = r#"
[device]
name = "Pad"
input = "Pad"

[[control]]
name = "F3"
source = { note = 56 }
action = "scene:3"
"#;
    let mut e = engine(text);
    let press = |velocity| ShortMessage::NoteOn {
        channel: 0,
        note: 56,
        velocity,
    };
    let out = e.on_input(press(127), Instant::now());
    let [Output::Intent(i)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(i.param.to_string(), "pupitre:scene/recall");
    assert_eq!(i.op, Op::Set(Value::Index(3)));
    // The release does nothing.
    assert!(e.on_input(press(0), Instant::now()).is_empty());
    // Slots are 1–99.
    for bad in ["scene:0", "scene:100", "scene:x"] {
        let e = Mapping::parse(&text.replace("scene:3", bad), Path::new("m.toml")).unwrap_err();
        assert!(
            e.to_string()
                .contains("scene:N recalls the scene in slot N, 1 to 99"),
            "{e}"
        );
    }
}
