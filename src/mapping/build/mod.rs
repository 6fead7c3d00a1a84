//! Checks a mapping file and builds the [`Mapping`] model: every problem is recorded with its
//! place (`Diagnostics`), so a file with five mistakes gets five lines, not one.

use std::collections::HashMap;
use std::net::SocketAddr;

use toml::Spanned;

use super::file::{
    BanksFile, ButtonFile, CharacterFile, ControlFile, DeviceFile, MappingFile, SourceFile,
    TakeoverFile,
};
use super::model::{
    Acceleration, Action, Banks, ButtonMode, ByteOrder, Channel, Character, Control, Device,
    Encoding, Feedback, Glue, Interval, Mapping, Motor, Source, StripParam, Takeover, Target,
    Transport,
};
use crate::desk::{Normalized, ParamId, Strip};
use crate::tomlfile::Diagnostics;

mod gpio;
mod outputs;

use gpio::{GpioKind, GpioSources};
use outputs::{display, feedback, meter};

/// Feedback messages per control per second unless the file says otherwise.
pub const DEFAULT_FEEDBACK_RATE: u32 = 50;
/// The MCU model byte of a Mackie Control / X-Touch main unit (`controllers.md` §3).
pub const MCU_MODEL: u8 = 0x14;

/// An integer that must fit `range` (the shared check, under the name this room uses).
pub(super) use crate::tomlfile::int_in as int;

pub(super) fn channel(v: Option<&Spanned<i64>>, d: &mut Diagnostics) -> Option<Channel> {
    match v {
        None => Channel::from_user(1),
        Some(c) => int(c, 1..17, "channel", d).and_then(|n| Channel::from_user(n as u8)),
    }
}

pub(super) fn build(file: MappingFile, d: &mut Diagnostics) -> Option<Mapping> {
    let mut device = device(file.device, d);
    let banks = file.banks.and_then(|b| banks(b, d));
    let mut gpio = device
        .as_ref()
        .is_some_and(|dev| matches!(dev.transport, Transport::Gpio(_)))
        .then(GpioSources::default);
    let mut controls = Vec::new();
    for c in file.controls {
        controls.extend(control(c, banks.as_ref(), gpio.as_mut(), d));
    }
    let is_gpio = gpio.is_some();
    if let (Some(g), Some(dev)) = (gpio, device.as_mut()) {
        dev.transport = Transport::Gpio(g.finish());
    }
    check_overlaps(&controls, is_gpio, d);
    let strips_default = banks.as_ref().map_or(8, |b| b.strips);
    let displays = file
        .displays
        .into_iter()
        .filter_map(|x| display(x, strips_default, d))
        .collect();
    let meters = file
        .meters
        .into_iter()
        .filter_map(|m| meter(m, banks.as_ref(), d))
        .collect();
    Some(Mapping {
        device: device?,
        banks,
        controls,
        displays,
        meters,
    })
}

fn device(dev: Spanned<DeviceFile>, d: &mut Diagnostics) -> Option<Device> {
    let span = dev.span();
    let dev = dev.into_inner();
    let gpio = dev.gpio.as_ref().filter(|g| *g.get_ref());
    if let Some(g) = dev.gpio.as_ref().filter(|g| !*g.get_ref()) {
        d.at(
            g.span(),
            "gpio = false says nothing; leave it out, or set input or network",
        );
    }
    if let Some(g) = gpio {
        if dev.input.is_some() || dev.output.is_some() || dev.network.is_some() {
            d.at(
                g.span(),
                "a device is the GPIO header (gpio = true) or a MIDI device (input, network), \
                 not both",
            );
            return None;
        }
        if let Some(first) = dev.init.first() {
            d.at(
                first.span(),
                "init messages are for MIDI devices; the GPIO header has none",
            );
        }
        return Some(Device {
            name: dev.name,
            transport: Transport::Gpio(crate::gpio::GpioLayout::default()),
            init: Vec::new(),
            feedback_rate: DEFAULT_FEEDBACK_RATE,
        });
    }
    let transport = match (&dev.input, &dev.network) {
        (Some(_), Some(n)) => {
            d.at(
                n.span(),
                "a device is reached either by MIDI port (input/output) or by network, not both",
            );
            None
        }
        (None, None) => {
            d.at(
                span,
                "the device needs input = \"port name\" (a MIDI port), network = { listen = \
                 \"127.0.0.1:21928\", peer = \"127.0.0.1:21929\" } or gpio = true (the Pi's header)",
            );
            None
        }
        (Some(input), None) => {
            let pattern = |s: &Spanned<String>, d: &mut Diagnostics| {
                if s.get_ref().trim().is_empty() {
                    d.at(s.span(), "a port name pattern cannot be empty");
                }
                s.get_ref().clone()
            };
            let input_name = pattern(input, d);
            let output = dev
                .output
                .as_ref()
                .map_or_else(|| input_name.clone(), |o| pattern(o, d));
            Some(Transport::Port {
                input: input_name,
                output,
            })
        }
        (None, Some(n)) => {
            if let Some(o) = &dev.output {
                d.at(
                    o.span(),
                    "output is for MIDI ports; a network device sends to peer",
                );
            }
            let n = n.get_ref();
            let addr = |s: &Spanned<String>, key: &str, d: &mut Diagnostics| {
                s.get_ref().parse::<SocketAddr>().map_err(|_| {
                    d.at(
                        s.span(),
                        format!(
                            "{key} = {:?} is not an address; expected ip:port, e.g. \"127.0.0.1:21928\"",
                            s.get_ref()
                        ),
                    )
                })
            };
            match (addr(&n.listen, "listen", d), addr(&n.peer, "peer", d)) {
                (Ok(listen), Ok(peer)) => Some(Transport::Network { listen, peer }),
                _ => None,
            }
        }
    };
    let init = dev.init.iter().filter_map(|m| hex_message(m, d)).collect();
    let feedback_rate = dev
        .feedback_rate
        .as_ref()
        .map_or(Some(i64::from(DEFAULT_FEEDBACK_RATE)), |r| {
            int(r, 1..1001, "feedback_rate", d)
        })? as u32;
    Some(Device {
        name: dev.name,
        transport: transport?,
        init,
        feedback_rate,
    })
}

/// `"B0 7F 00"` or `"F0 00 20 32 F7"`: one complete MIDI message in hex.
fn hex_message(s: &Spanned<String>, d: &mut Diagnostics) -> Option<Vec<u8>> {
    let text = s.get_ref();
    let bytes: Result<Vec<u8>, _> = text
        .split_whitespace()
        .map(|t| u8::from_str_radix(t, 16))
        .collect();
    let problem = match &bytes {
        Err(_) => Some("is not hex bytes"),
        Ok(b) if b.is_empty() => Some("is empty"),
        Ok(b) if b[0] < 0x80 => Some("must start with a status byte (80–FF)"),
        Ok(b) if b[0] == 0xF0 && b.last() != Some(&0xF7) => {
            Some("is a SysEx that does not end in F7")
        }
        Ok(b) if b[0] != 0xF0 && b[1..].iter().any(|&x| x >= 0x80) => {
            Some("has a data byte of 80 or more")
        }
        Ok(b) if b[0] != 0xF0 && b.len() != message_length(b[0]) => Some(
            "has the wrong number of bytes for its status (note and CC messages have 3, \
             program change 2)",
        ),
        Ok(_) => None,
    };
    match problem {
        Some(p) => {
            d.at(
                s.span(),
                format!("init message {text:?} {p}; write bytes in hex like \"B0 7F 00\""),
            );
            None
        }
        None => bytes.ok(),
    }
}

/// Bytes in a MIDI message with this status byte (SysEx excluded).
fn message_length(status: u8) -> usize {
    match status {
        0x80..=0xBF | 0xE0..=0xEF | 0xF2 => 3,
        0xC0..=0xDF | 0xF1 | 0xF3 => 2,
        _ => 1,
    }
}

fn banks(b: Spanned<BanksFile>, d: &mut Diagnostics) -> Option<Banks> {
    let b = b.into_inner();
    let strips = int(&b.strips, 1..33, "strips", d);
    let mut channels = Vec::new();
    for c in &b.channels {
        match Strip::parse_range(c.get_ref()) {
            Ok(s) => channels.extend(s),
            Err(e) => d.at(c.span(), format!("bad strip {:?}: {e}", c.get_ref())),
        }
    }
    if b.channels.is_empty() {
        d.at(
            b.strips.span(),
            "banks need channels = [\"ch/01-32\", …] to page across",
        );
    }
    Some(Banks {
        strips: strips? as u8,
        channels,
    })
}

fn source(s: &Spanned<SourceFile>, d: &mut Diagnostics) -> Option<Source> {
    let span = s.span();
    let f = s.get_ref();
    let channel = channel(f.channel.as_ref(), d)?;
    let kinds = [
        f.note.is_some(),
        f.cc.is_some(),
        f.cc14.is_some(),
        f.pitch_bend,
        f.nrpn.is_some(),
        f.program_change,
    ]
    .iter()
    .filter(|&&k| k)
    .count();
    if kinds != 1 {
        d.at(
            span,
            "a source names exactly one of note = N, cc = N, cc14 = N, pitch_bend = true, \
             nrpn = N or program_change = true",
        );
        return None;
    }
    if f.lsb_first && f.cc14.is_none() {
        d.at(span.clone(), "lsb_first applies only to cc14 sources");
    }
    if f.fourteen_bit && f.nrpn.is_none() {
        d.at(
            span,
            "fourteen_bit applies only to nrpn sources (cc14 and pitch_bend are 14-bit already)",
        );
    }
    if let Some(n) = &f.note {
        return Some(Source::Note {
            channel,
            note: int(n, 0..128, "note", d)? as u8,
        });
    }
    if let Some(n) = &f.cc {
        return Some(Source::Cc {
            channel,
            cc: int(n, 0..128, "cc", d)? as u8,
        });
    }
    if let Some(n) = &f.cc14 {
        let order = if f.lsb_first {
            ByteOrder::LsbFirst
        } else {
            ByteOrder::MsbFirst
        };
        return Some(Source::Cc14 {
            channel,
            msb: int(n, 0..32, "cc14 (the MSB controller)", d)? as u8,
            order,
        });
    }
    if let Some(n) = &f.nrpn {
        return Some(Source::Nrpn {
            channel,
            number: int(n, 0..16384, "nrpn", d)? as u16,
            fourteen_bit: f.fourteen_bit,
        });
    }
    if f.pitch_bend {
        return Some(Source::PitchBend { channel });
    }
    Some(Source::ProgramChange { channel })
}

/// The `k`-th repetition of a source: numbers go up by `k` (channels, for pitch bend and
/// program change); `None` if that leaves the range.
fn shifted(s: Source, k: u8) -> Option<Source> {
    let up = |n: u8, max: u8| n.checked_add(k).filter(|&m| m <= max);
    Some(match s {
        Source::Note { channel, note } => Source::Note {
            channel,
            note: up(note, 127)?,
        },
        Source::Cc { channel, cc } => Source::Cc {
            channel,
            cc: up(cc, 127)?,
        },
        Source::Cc14 {
            channel,
            msb,
            order,
        } => Source::Cc14 {
            channel,
            msb: up(msb, 31)?,
            order,
        },
        Source::Nrpn {
            channel,
            number,
            fourteen_bit,
        } => Source::Nrpn {
            channel,
            number: number.checked_add(u16::from(k)).filter(|&n| n < 16384)?,
            fourteen_bit,
        },
        Source::PitchBend { channel } => Source::PitchBend {
            channel: Channel::from_wire(up(channel.wire(), 15)?)?,
        },
        Source::ProgramChange { channel } => Source::ProgramChange {
            channel: Channel::from_wire(up(channel.wire(), 15)?)?,
        },
    })
}

fn range(v: Option<&Spanned<Vec<f64>>>, key: &str, d: &mut Diagnostics) -> Option<Interval> {
    let Some(v) = v else {
        return Some(Interval::FULL);
    };
    let ok = match v.get_ref().as_slice() {
        [a, b] if (0.0..=1.0).contains(a) && (0.0..=1.0).contains(b) => {
            Interval::new(Normalized::new_clamped(*a), Normalized::new_clamped(*b))
        }
        _ => None,
    };
    if ok.is_none() {
        d.at(
            v.span(),
            format!(
                "{key} = {:?} is impossible; expected [min, max] with 0.0 ≤ min < max ≤ 1.0 \
                 (use invert = true to turn it upside down)",
                v.get_ref()
            ),
        );
    }
    ok
}

fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn action(s: &Spanned<String>, d: &mut Diagnostics) -> Option<Action> {
    let a = match s.get_ref().as_str() {
        "bank-next" => Action::BankNext,
        "bank-prev" => Action::BankPrev,
        "strip-next" => Action::StripNext,
        "strip-prev" => Action::StripPrev,
        "stabilizer-toggle" => Action::StabilizerToggle,
        other => match (other.strip_prefix("layer:"), other.strip_prefix("scene:")) {
            (Some(l), _) if name_ok(l) => Action::Layer(l.to_owned()),
            (_, Some(n)) => match n.parse::<u32>() {
                Ok(slot @ 1..=crate::desk::SCENE_SLOTS) => Action::SceneRecall(slot),
                _ => {
                    d.at(
                        s.span(),
                        format!(
                            "{other:?}: scene:N recalls the scene in slot N, 1 to {}",
                            crate::desk::SCENE_SLOTS
                        ),
                    );
                    return None;
                }
            },
            _ => {
                d.at(
                    s.span(),
                    format!(
                        "unknown action {other:?}; expected bank-next, bank-prev, strip-next, \
                         strip-prev, stabilizer-toggle, scene:N (recall scene N) or layer:NAME \
                         (lowercase letters, digits, - and _)"
                    ),
                );
                return None;
            }
        },
    };
    Some(a)
}

fn control(
    c: Spanned<ControlFile>,
    banks: Option<&Banks>,
    gpio: Option<&mut GpioSources>,
    d: &mut Diagnostics,
) -> Vec<Control> {
    let span = c.span();
    let line = d.line_of(span.start);
    let f = c.into_inner();
    let repeat = f
        .repeat
        .as_ref()
        .map_or(Some(1), |r| int(r, 1..33, "repeat", d));
    let first_strip = f
        .strip
        .as_ref()
        .map_or(Some(1), |s| int(s, 1..33, "strip", d));
    let gpio_keys = {
        let s = f.source.get_ref();
        s.a.is_some()
            || s.b.is_some()
            || s.pin.is_some()
            || s.steps_per_detent.is_some()
            || s.pull.is_some()
            || s.long_press_ms.is_some()
            || s.debounce_ms.is_some()
    };
    let (source, gpio_kind) = match (gpio, f.source.get_ref().gpio.is_some()) {
        (Some(g), true) => match g.source(&f.source, line, d) {
            Some((s, k)) => (Some(s), Some(k)),
            None => (None, None),
        },
        (Some(_), false) => {
            d.at(
                f.source.span(),
                "this device is the GPIO header: sources are { gpio = \"encoder\", a = 17, \
                 b = 27 }, { gpio = \"button\", pin = 22 }, { gpio = \"long-press\", pin = 22 } \
                 or { gpio = \"led\", pin = 23 }",
            );
            (None, None)
        }
        (None, true) => {
            d.at(
                f.source.span(),
                "gpio sources need the device to be the GPIO header: [device] gpio = true",
            );
            (None, None)
        }
        (None, false) => {
            if gpio_keys {
                d.at(
                    f.source.span(),
                    "a, b, pin, steps_per_detent, pull, long_press_ms and debounce_ms are for \
                     gpio sources",
                );
            }
            (source(&f.source, d), None)
        }
    };
    if let Some(kind) = gpio_kind {
        if let Some(c) = &f.character {
            d.at(
                c.span(),
                "a gpio source's character follows from what it is; leave character out",
            );
        }
        if let Some(fb) = &f.feedback {
            d.at(
                fb.span(),
                "GPIO encoders and buttons have no light of their own; add a control with \
                 source = { gpio = \"led\", pin = N } for a lamp",
            );
        }
        if repeat.is_some_and(|r| r > 1) {
            d.at(
                span.clone(),
                "repeat does not apply to gpio sources; write one control per encoder or button",
            );
        }
        if let Some(m) = &f.motor {
            d.at(m.span(), "motor applies to motor faders, not GPIO");
        }
        if kind == GpioKind::Led && f.action.is_some() {
            d.at(
                span.clone(),
                "an LED shows a target's state; give it target = \"…\", not an action",
            );
        }
    }
    let character = match f.character.as_ref().map(|c| *c.get_ref()) {
        _ if gpio_kind == Some(GpioKind::Encoder) => Character::Relative(Encoding::TwosComplement),
        _ if gpio_kind.is_some() => Character::MomentaryButton,
        Some(CharacterFile::Range) => Character::Range,
        Some(CharacterFile::Button) => Character::MomentaryButton,
        Some(CharacterFile::ToggleButton) => Character::ToggleButton,
        Some(CharacterFile::RelativeTwosComplement) => {
            Character::Relative(Encoding::TwosComplement)
        }
        Some(CharacterFile::RelativeOffset64) => Character::Relative(Encoding::Offset64),
        Some(CharacterFile::RelativeSignBit) => Character::Relative(Encoding::SignBit),
        None => match source {
            Some(Source::Note { .. } | Source::ProgramChange { .. }) => Character::MomentaryButton,
            _ => Character::Range,
        },
    };
    if let (Some(ch), Some(src)) = (&f.character, source) {
        let is_14 = src.max_value() > 127;
        if is_14
            && matches!(
                *ch.get_ref(),
                CharacterFile::RelativeTwosComplement
                    | CharacterFile::RelativeOffset64
                    | CharacterFile::RelativeSignBit
            )
        {
            d.at(
                ch.span(),
                "relative encoders send 7-bit CCs; a 14-bit source is a range",
            );
        }
    }
    // What the control drives.
    let target = match (&f.target, &f.action) {
        (Some(_), Some(a)) => {
            d.at(a.span(), "a control has a target or an action, not both");
            None
        }
        (None, None) => {
            d.at(span.clone(), "a control needs target = \"x32:/ch/01/mix/fader\" (or \"strip:fader\" with [banks]) or action = \"bank-next\"");
            None
        }
        (None, Some(a)) => action(a, d).map(TargetTemplate::Action),
        (Some(t), None) => target(t, banks, d),
    };
    let layer = f.layer.as_ref().and_then(|l| {
        if name_ok(l.get_ref()) {
            Some(l.get_ref().clone())
        } else {
            d.at(
                l.span(),
                format!(
                    "layer {:?} must be lowercase letters, digits, - and _",
                    l.get_ref()
                ),
            );
            None
        }
    });
    let source_range = range(f.source_range.as_ref(), "source_range", d);
    let target_range = range(f.target_range.as_ref(), "target_range", d);
    let step = f
        .step
        .as_ref()
        .map_or(Some(1), |s| int(s, 1..1024, "step", d));
    let acceleration = match &f.acceleration {
        None => Some(Acceleration::Off),
        Some(a) => int(a, 1..65, "acceleration", d).map(|n| {
            if n == 1 {
                Acceleration::Off
            } else {
                Acceleration::On {
                    max_factor: n as u8,
                }
            }
        }),
    };
    let is_button = matches!(
        character,
        Character::MomentaryButton | Character::ToggleButton
    );
    let feedback = match gpio_kind {
        Some(GpioKind::Led) => Some(Feedback::Led {
            on: 127,
            off: 0,
            at: None,
        }),
        Some(_) => Some(Feedback::None),
        None => feedback(
            f.feedback.as_ref(),
            source,
            is_button,
            matches!(target, Some(TargetTemplate::Action(_))),
            d,
        ),
    };
    let motor = f.motor.as_ref().and_then(|m| {
        if character != Character::Range {
            d.at(m.span(), "motor applies to faders (character = \"range\")");
        }
        let m = m.get_ref();
        let ch = match &m.touch_channel {
            None => source.map(|s| s.channel()),
            Some(c) => channel(Some(c), d),
        };
        match (&m.touch_note, ch) {
            (None, _) => Some(Motor { touch: None }),
            (Some(n), Some(channel)) => int(n, 0..128, "touch_note", d).map(|n| Motor {
                touch: Some(Source::Note {
                    channel,
                    note: n as u8,
                }),
            }),
            _ => None,
        }
    });
    let (
        Some(repeat),
        Some(first_strip),
        Some(source),
        Some(target),
        Some(source_range),
        Some(target_range),
        Some(step),
        Some(acceleration),
        Some(feedback),
    ) = (
        repeat,
        first_strip,
        source,
        target,
        source_range,
        target_range,
        step,
        acceleration,
        feedback,
    )
    else {
        return Vec::new();
    };
    if f.motor.is_some() && motor.is_none() {
        return Vec::new();
    }
    let glue = Glue {
        source: source_range,
        target: target_range,
        invert: f.invert,
        step: step as u32,
        acceleration,
        takeover: match f.takeover {
            None | Some(TakeoverFile::Pickup) => Takeover::Pickup,
            Some(TakeoverFile::Off) => Takeover::Off,
            Some(TakeoverFile::PickupTolerant) => Takeover::PickupTolerant,
            Some(TakeoverFile::CatchUp) => Takeover::CatchUp,
            Some(TakeoverFile::Parallel) => Takeover::Parallel,
        },
        button: match f.button {
            None | Some(ButtonFile::Toggle) => ButtonMode::Toggle,
            Some(ButtonFile::Momentary) => ButtonMode::Momentary,
            Some(ButtonFile::OnPress) => ButtonMode::OnPress,
            Some(ButtonFile::OnRelease) => ButtonMode::OnRelease,
        },
    };
    let base_name = f
        .name
        .clone()
        .unwrap_or_else(|| format!("control on line {line}"));
    let mut out = Vec::new();
    for k in 0..repeat as u8 {
        let name = if repeat > 1 {
            format!("{base_name} {}", k + 1)
        } else {
            base_name.clone()
        };
        let Some(src) = shifted(source, k) else {
            d.at(
                f.source.span(),
                format!(
                    "repeat = {repeat} takes this source past its range at repetition {}",
                    k + 1
                ),
            );
            return Vec::new();
        };
        let strip_index = first_strip as u8 - 1 + k;
        let target = match &target {
            TargetTemplate::Fixed(p) => Target::Param(p.clone()),
            TargetTemplate::Action(a) => Target::Action(a.clone()),
            TargetTemplate::Strip(param) => {
                let strips = banks.map_or(0, |b| b.strips);
                if strip_index >= strips {
                    d.at(
                        span.clone(),
                        format!(
                            "strip {} is past the {strips} strips [banks] declares",
                            strip_index + 1
                        ),
                    );
                    return Vec::new();
                }
                Target::Strip {
                    index: strip_index,
                    param: *param,
                }
            }
        };
        let feedback = match &feedback {
            Feedback::Ring { channel, cc, style } => match cc.checked_add(k).filter(|&c| c < 128) {
                Some(cc) => Feedback::Ring {
                    channel: *channel,
                    cc,
                    style: *style,
                },
                None => {
                    d.at(span.clone(), "repeat takes the ring CC past 127");
                    return Vec::new();
                }
            },
            Feedback::Led {
                on,
                off,
                at: Some(at),
            } => match shifted(*at, k) {
                Some(at) => Feedback::Led {
                    on: *on,
                    off: *off,
                    at: Some(at),
                },
                None => {
                    d.at(span.clone(), "repeat takes the LED address past 127");
                    return Vec::new();
                }
            },
            other => other.clone(),
        };
        let motor = match motor {
            Some(Motor { touch: Some(t) }) => match shifted(t, k) {
                Some(t) => Some(Motor { touch: Some(t) }),
                None => {
                    d.at(span.clone(), "repeat takes the touch note past 127");
                    return Vec::new();
                }
            },
            m => m,
        };
        out.push(Control {
            name,
            source: src,
            character,
            target,
            layer: layer.clone(),
            glue,
            feedback,
            motor,
            line,
        });
    }
    out
}

/// A target before `repeat` binds the strip position.
enum TargetTemplate {
    Fixed(ParamId),
    Strip(StripParam),
    Action(Action),
}

fn target(
    t: &Spanned<String>,
    banks: Option<&Banks>,
    d: &mut Diagnostics,
) -> Option<TargetTemplate> {
    let text = t.get_ref();
    if let Some(p) = text.strip_prefix("strip:") {
        let param = match p {
            "fader" => StripParam::Fader,
            "on" => StripParam::On,
            "pan" => StripParam::Pan,
            "solo" => StripParam::Solo,
            "st" => StripParam::MainAssign,
            _ => {
                d.at(t.span(), format!("unknown strip parameter {p:?}; expected strip:fader, strip:on, strip:pan, strip:solo or strip:st"));
                return None;
            }
        };
        if banks.is_none() {
            d.at(
                t.span(),
                format!(
                    "target {text:?} pages through [banks], but the file has no [banks] section"
                ),
            );
            return None;
        }
        return Some(TargetTemplate::Strip(param));
    }
    match ParamId::parse(text) {
        Ok(p) => Some(TargetTemplate::Fixed(p)),
        Err(e) => {
            d.at(t.span(), format!("unknown target {text:?}: {}", e.reason));
            None
        }
    }
}

/// A short key for a source's wire address, for overlap checks: 14-bit CCs claim both halves.
fn claims(s: &Source) -> Vec<(u8, &'static str, u16)> {
    match *s {
        Source::Note { channel, note } => vec![(channel.wire(), "note", u16::from(note))],
        Source::Cc { channel, cc } => vec![(channel.wire(), "cc", u16::from(cc))],
        Source::Cc14 { channel, msb, .. } => {
            vec![
                (channel.wire(), "cc", u16::from(msb)),
                (channel.wire(), "cc", u16::from(msb) + 32),
            ]
        }
        Source::PitchBend { channel } => vec![(channel.wire(), "pitch bend", 0)],
        Source::Nrpn {
            channel, number, ..
        } => vec![(channel.wire(), "nrpn", number)],
        Source::ProgramChange { channel } => vec![(channel.wire(), "program change", 0)],
    }
}

fn check_overlaps(controls: &[Control], is_gpio: bool, d: &mut Diagnostics) {
    let mut seen: HashMap<(Option<String>, u8, &str, u16), &Control> = HashMap::new();
    for c in controls {
        let touch = c.motor.and_then(|m| m.touch);
        for src in std::iter::once(&c.source).chain(touch.as_ref()) {
            for (ch, kind, n) in claims(src) {
                let key = (c.layer.clone(), ch, kind, n);
                if let Some(first) = seen.get(&key) {
                    if first.name != c.name || first.line != c.line {
                        let gpio = if is_gpio { gpio::describe(src) } else { None };
                        let what = if let Some(g) = gpio {
                            g
                        } else if kind == "pitch bend" || kind == "program change" {
                            format!("{kind} on channel {}", ch + 1)
                        } else {
                            format!("{kind} {n} on channel {}", ch + 1)
                        };
                        let layer = c
                            .layer
                            .as_deref()
                            .map_or("the base layer".to_string(), |l| format!("layer {l:?}"));
                        d.at_line(
                            c.line,
                            format!(
                                "{what} is used by both {:?} (line {}) and {:?} in {layer}",
                                first.name, first.line, c.name
                            ),
                        );
                    }
                } else {
                    seen.insert(key, c);
                }
            }
        }
    }
}
