//! Mapping files: every shipped file loads with the shape its controller has, every broken
//! fixture fails with exactly its expected text, and no input makes the checker panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::desk::Strip;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(name: &str) -> Mapping {
    let path = root().join("mappings").join(name);
    match Mapping::load(&path) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    }
}

fn ch(n: u8) -> Channel {
    Channel::from_user(n).unwrap()
}

#[test]
fn every_shipped_mapping_loads() {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("mappings")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            if let Err(e) = Mapping::load(&path) {
                panic!("{e}");
            }
            count += 1;
        }
    }
    assert!(count >= 4, "{count} shipped mappings");
}

#[test]
fn x_touch_has_eight_motor_faders_with_touch_rings_and_banks() {
    let m = shipped("behringer-x-touch-mcu.toml");
    let banks = m.banks.as_ref().unwrap();
    assert_eq!(banks.strips, 8);
    assert_eq!(banks.channels[0], Strip::Channel(1));
    let faders: Vec<&Control> = m
        .controls
        .iter()
        .filter(|c| c.name.starts_with("fader "))
        .collect();
    assert_eq!(faders.len(), 8);
    for (k, f) in faders.iter().enumerate() {
        assert_eq!(
            f.source,
            Source::PitchBend {
                channel: ch(k as u8 + 1)
            }
        );
        assert_eq!(
            f.target,
            Target::Strip {
                index: k as u8,
                param: StripParam::Fader
            }
        );
        assert_eq!(
            f.motor.unwrap().touch,
            Some(Source::Note {
                channel: ch(1),
                note: 104 + k as u8
            })
        );
        assert_eq!(f.glue.takeover, Takeover::Off);
    }
    let pot = m.controls.iter().find(|c| c.name == "v-pot 8").unwrap();
    assert_eq!(pot.character, Character::Relative(Encoding::SignBit));
    assert_eq!(
        pot.feedback,
        Feedback::Ring {
            channel: ch(1),
            cc: 55,
            style: RingStyle::BoostCut
        }
    );
    let mute = m.controls.iter().find(|c| c.name == "mute 1").unwrap();
    assert!(mute.glue.invert);
    assert_eq!(
        mute.feedback,
        Feedback::Led {
            on: 127,
            off: 0,
            at: None
        }
    );
    assert!(m.displays.contains(&Display::McuLcd {
        model: 0x14,
        line: 1,
        strips: 8
    }));
    assert_eq!(
        m.meters,
        vec![Meter::Mcu {
            channel: ch(1),
            strips: 8
        }]
    );
}

#[test]
fn x_touch_mini_lights_leds_at_their_own_address() {
    let m = shipped("behringer-x-touch-mini.toml");
    assert_eq!(m.device.init, vec![vec![0xB0, 0x7F, 0x00]]);
    let b3 = m
        .controls
        .iter()
        .find(|c| c.name == "A top button 3")
        .unwrap();
    assert_eq!(
        b3.source,
        Source::Note {
            channel: ch(11),
            note: 10
        }
    );
    assert_eq!(
        b3.feedback,
        Feedback::Led {
            on: 1,
            off: 0,
            at: Some(Source::Note {
                channel: ch(1),
                note: 2
            })
        }
    );
}

#[test]
fn mixtrack_has_14_bit_pitch_layers_and_vu_meters() {
    let m = shipped("numark-mixtrack-pro-3.toml");
    let pitch = m
        .controls
        .iter()
        .find(|c| c.name == "deck 1 pitch → stream send")
        .unwrap();
    assert_eq!(
        pitch.source,
        Source::Cc14 {
            channel: ch(2),
            msb: 24,
            order: ByteOrder::MsbFirst
        }
    );
    let jogs: Vec<&Control> = m
        .controls
        .iter()
        .filter(|c| {
            c.source
                == Source::Cc {
                    channel: ch(2),
                    cc: 17,
                }
        })
        .collect();
    assert_eq!(jogs.len(), 2, "the jog has a base and a shift mapping");
    assert_eq!(jogs[1].layer.as_deref(), Some("shift"));
    assert!(m
        .controls
        .iter()
        .any(|c| c.target == Target::Action(Action::Layer("shift".into()))));
    assert!(matches!(
        m.meters[0],
        Meter::Cc {
            cc: 2,
            max: 82,
            strip: MeterStrip::Fixed(Strip::Channel(1)),
            ..
        }
    ));
}

#[test]
fn broken_fixtures_fail_with_their_expected_text() {
    let dir = root().join("tests/fixtures/mapping");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let rel = Path::new("tests/fixtures/mapping").join(path.file_name().unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        match Mapping::parse(&text, &rel) {
            Ok(_) => panic!("{} loaded", rel.display()),
            Err(e) => assert_eq!(e.to_string(), expected.trim_end(), "{}", rel.display()),
        }
        n += 1;
    }
    assert!(n >= 6);
}

#[test]
fn network_transport_and_defaults() {
    let text = r#"
        [device]
        name = "net deck"
        network = { listen = "127.0.0.1:21928", peer = "127.0.0.1:21929" }
        [[control]]
        source = { note = 5 }
        target = "x32:/ch/05/mix/on"
        [[control]]
        source = { nrpn = 300, fourteen_bit = true, channel = 4 }
        target = "x32:/ch/05/mix/fader"
    "#;
    let m = Mapping::parse(text, Path::new("net.toml")).unwrap();
    assert_eq!(
        m.device.transport,
        Transport::Network {
            listen: "127.0.0.1:21928".parse().unwrap(),
            peer: "127.0.0.1:21929".parse().unwrap()
        }
    );
    assert_eq!(m.device.feedback_rate, 50);
    assert_eq!(m.controls[0].character, Character::MomentaryButton);
    assert_eq!(m.controls[0].glue.button, ButtonMode::Toggle);
    assert_eq!(m.controls[0].name, "control on line 5");
    assert_eq!(m.controls[1].source.max_value(), 16383);
    assert_eq!(m.controls[1].feedback, Feedback::Auto);
}

#[test]
fn same_source_on_different_layers_is_fine_but_not_twice_on_one() {
    let base = r#"
        [device]
        name = "d"
        input = "d"
        [[control]]
        source = { cc = 1 }
        target = "x32:/ch/01/mix/fader"
        [[control]]
        source = { cc = 1 }
        layer = "shift"
        target = "x32:/ch/02/mix/fader"
    "#;
    assert!(Mapping::parse(base, Path::new("m.toml")).is_ok());
    let clash = base.replace("layer = \"shift\"", "");
    let e = Mapping::parse(&clash, Path::new("m.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cc 1 on channel 1 is used by both"), "{e}");
    // A motor fader's touch note claims its note too.
    let touch = r#"
        [device]
        name = "d"
        input = "d"
        [[control]]
        source = { pitch_bend = true }
        target = "x32:/ch/01/mix/fader"
        motor = { touch_note = 104 }
        [[control]]
        source = { note = 104 }
        target = "x32:/ch/01/mix/on"
    "#;
    assert!(Mapping::parse(touch, Path::new("m.toml")).is_err());
}

proptest! {
    #[test]
    fn parse_never_panics(text in ".{0,300}") {
        let _ = Mapping::parse(&text, Path::new("x.toml"));
    }

    #[test]
    fn mutated_gpio_files_never_panic(pos in 0usize..2000, byte in 32u8..127, cut in proptest::bool::ANY) {
        parse_mutated("pi-encoders.toml", pos, byte, cut);
    }

    /// Any numbers in a gpio source: a mapping, or errors with their place; never a panic.
    #[test]
    fn any_gpio_numbers_are_checked(a in -5i64..40, b in -5i64..40, steps in -1i64..6, pin in -2i64..35, long in -10i64..20_000) {
        let text = format!(
            "[device]\nname = \"p\"\ngpio = true\n[[control]]\nsource = {{ gpio = \"encoder\", a = {a}, b = {b}, steps_per_detent = {steps} }}\ntarget = \"x32:/ch/01/mix/fader\"\n\
             [[control]]\nsource = {{ gpio = \"button\", pin = {pin}, long_press_ms = {long} }}\ntarget = \"x32:/ch/01/mix/on\"\n"
        );
        if let Err(e) = Mapping::parse(&text, Path::new("x.toml")) {
            prop_assert!(e.to_string().starts_with("x.toml:"), "{}", e);
        }
    }

    #[test]
    fn mutated_shipped_files_never_panic(pos in 0usize..4000, byte in 32u8..127, cut in proptest::bool::ANY) {
        parse_mutated("behringer-x-touch-mcu.toml", pos, byte, cut);
    }
}

/// A shipped mapping with one byte changed at `pos` (or cut there), parsed.
fn parse_mutated(file: &str, pos: usize, byte: u8, cut: bool) {
    let text = std::fs::read_to_string(root().join("mappings").join(file)).unwrap();
    let mut bytes = text.into_bytes();
    let p = pos % bytes.len();
    if cut {
        bytes.truncate(p)
    } else {
        bytes[p] = byte
    }
    if let Ok(t) = String::from_utf8(bytes) {
        let _ = Mapping::parse(&t, Path::new("x.toml"));
    }
}

#[test]
fn pi_encoders_compile_to_a_pin_layout_and_private_sources() {
    use crate::gpio::{ButtonPin, EncoderPins, GpioLayout, Pull, StepMode};
    use std::time::Duration;
    let m = shipped("pi-encoders.toml");
    let Transport::Gpio(layout) = &m.device.transport else {
        panic!("{:?}", m.device.transport)
    };
    assert_eq!(
        *layout,
        GpioLayout {
            encoders: vec![
                EncoderPins {
                    a: 5,
                    b: 6,
                    mode: StepMode::Full,
                    pull: Pull::Up
                },
                EncoderPins {
                    a: 17,
                    b: 27,
                    mode: StepMode::Full,
                    pull: Pull::Up
                },
            ],
            buttons: vec![ButtonPin {
                pin: 22,
                pull: Pull::Up,
                debounce: Duration::from_millis(10),
                long_press: Duration::from_millis(600),
            }],
            lamps: vec![23],
        }
    );
    let by_name = |n: &str| m.controls.iter().find(|c| c.name == n).unwrap();
    let volume = by_name("main volume");
    assert_eq!(
        volume.source,
        Source::Cc {
            channel: ch(1),
            cc: 17
        }
    );
    assert_eq!(
        volume.character,
        Character::Relative(Encoding::TwosComplement)
    );
    assert_eq!(volume.feedback, Feedback::None);
    // Short presses on channel 3, long presses on channel 4, the lamp on channel 5.
    assert_eq!(
        by_name("main mute").source,
        Source::Note {
            channel: ch(3),
            note: 22
        }
    );
    assert_eq!(
        by_name("leveler on/off").source,
        Source::Note {
            channel: ch(4),
            note: 22
        }
    );
    let lamp = by_name("mute lamp");
    assert_eq!(
        lamp.source,
        Source::Note {
            channel: ch(5),
            note: 23
        }
    );
    assert_eq!(
        lamp.feedback,
        Feedback::Led {
            on: 127,
            off: 0,
            at: None
        }
    );
}

#[test]
fn gpio_and_midi_do_not_mix() {
    let errors = |text: &str| match Mapping::parse(text, Path::new("m.toml")) {
        Ok(_) => panic!("loaded: {text}"),
        Err(e) => e.to_string(),
    };
    let midi = "[device]\nname = \"d\"\ninput = \"x\"\n";
    assert_eq!(
        errors(&format!("{midi}[[control]]\nsource = {{ gpio = \"button\", pin = 4 }}\ntarget = \"x32:/ch/01/mix/on\"\n")),
        "m.toml:5:10: gpio sources need the device to be the GPIO header: [device] gpio = true"
    );
    assert_eq!(
        errors(&format!("{midi}[[control]]\nsource = {{ note = 4, pin = 4 }}\ntarget = \"x32:/ch/01/mix/on\"\n")),
        "m.toml:5:10: a, b, pin, steps_per_detent, pull, long_press_ms and debounce_ms are for gpio sources"
    );
    assert_eq!(
        errors("[device]\nname = \"d\"\ngpio = true\ninput = \"x\"\n"),
        "m.toml:3:8: a device is the GPIO header (gpio = true) or a MIDI device (input, network), not both"
    );
    let gpio = "[device]\nname = \"d\"\ngpio = true\n";
    assert_eq!(
        errors(&format!("{gpio}[[control]]\nsource = {{ gpio = \"button\", pin = 4 }}\ntarget = \"x32:/ch/01/mix/on\"\nfeedback = \"auto\"\n")),
        "m.toml:7:12: GPIO encoders and buttons have no light of their own; add a control with \
         source = { gpio = \"led\", pin = N } for a lamp"
    );
    // One encoder in two layers is fine; the same pins set up two ways is not.
    let twice = format!(
        "{gpio}[[control]]\nsource = {{ gpio = \"encoder\", a = 1, b = 2 }}\ntarget = \"x32:/ch/01/mix/fader\"\n\
         [[control]]\nsource = {{ gpio = \"encoder\", a = 1, b = 2 }}\ntarget = \"x32:/ch/02/mix/fader\"\nlayer = \"shift\"\n"
    );
    assert!(Mapping::parse(&twice, Path::new("m.toml")).is_ok());
    assert_eq!(
        errors(&format!(
            "{gpio}[[control]]\nsource = {{ gpio = \"encoder\", a = 1, b = 2 }}\ntarget = \"x32:/ch/01/mix/fader\"\n\
             [[control]]\nsource = {{ gpio = \"encoder\", a = 1, b = 2, steps_per_detent = 2 }}\ntarget = \"x32:/ch/02/mix/fader\"\nlayer = \"shift\"\n"
        )),
        "m.toml:7:1: GPIO 1 is set up differently on line 4 (pins, pull, steps, debounce and long_press_ms must agree)"
    );
    // The same encoder twice in one layer names the encoder, not its private MIDI address.
    assert_eq!(
        errors(&format!(
            "{gpio}[[control]]\nname = \"a\"\nsource = {{ gpio = \"encoder\", a = 1, b = 2 }}\ntarget = \"x32:/ch/01/mix/fader\"\n\
             [[control]]\nname = \"b\"\nsource = {{ gpio = \"encoder\", a = 1, b = 2 }}\ntarget = \"x32:/ch/02/mix/fader\"\n"
        )),
        "m.toml:8:1: the encoder on GPIO 1 is used by both \"a\" (line 4) and \"b\" in the base layer"
    );
}
