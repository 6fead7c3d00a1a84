//! GPIO sources in a mapping file: `source = { gpio = "encoder", a = 17, b = 27 }`,
//! `{ gpio = "button", pin = 22 }`, `{ gpio = "long-press", pin = 22 }`, `{ gpio = "led",
//! pin = 23 }`. Each compiles to the private MIDI address `gpio::wire` gives it, and the pins
//! are collected into the device's [`GpioLayout`] (one role per pin, checked here).

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::super::file::SourceFile;
use super::super::model::{Channel, Source};
use super::int;
use crate::gpio::button::{DEFAULT_DEBOUNCE, DEFAULT_LONG_PRESS};
use crate::gpio::wire::{self, Press};
use crate::gpio::{ButtonPin, EncoderPins, GpioLayout, Pull, StepMode};
use crate::tomlfile::Diagnostics;

/// BCM GPIO numbers on the 40-pin header.
const HEADER_PINS: Range<i64> = 0..28;

/// What a GPIO control is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GpioKind {
    Encoder,
    Button,
    Led,
}

/// A pin's role, and the line that gave it.
#[derive(Clone, Debug)]
enum Role {
    Encoder(EncoderPins),
    Button(ButtonPin),
    Led,
}

impl Role {
    fn name(&self) -> &'static str {
        match self {
            Role::Encoder(_) => "an encoder",
            Role::Button(_) => "a button",
            Role::Led => "an LED",
        }
    }
}

/// The pins a mapping file uses so far.
#[derive(Default)]
pub(super) struct GpioSources {
    pins: BTreeMap<u8, (Role, usize)>,
}

fn wire_source(channel: u8, number: u8, note: bool) -> Option<Source> {
    let channel = Channel::from_wire(channel)?;
    Some(if note {
        Source::Note {
            channel,
            note: number,
        }
    } else {
        Source::Cc {
            channel,
            cc: number,
        }
    })
}

impl GpioSources {
    /// Check a gpio source at `line`, claim its pins, and give its private address.
    pub(super) fn source(
        &mut self,
        s: &Spanned<SourceFile>,
        line: usize,
        d: &mut Diagnostics,
    ) -> Option<(Source, GpioKind)> {
        let span = s.span();
        let f = s.get_ref();
        let kind = f.gpio.as_ref()?;
        let midi_keys = f.note.is_some()
            || f.cc.is_some()
            || f.cc14.is_some()
            || f.nrpn.is_some()
            || f.channel.is_some()
            || f.pitch_bend
            || f.program_change;
        if midi_keys {
            d.at(
                span.clone(),
                "a gpio source takes no MIDI keys (note, cc, channel…); it names pins",
            );
            return None;
        }
        let pin = |v: &Option<Spanned<i64>>, key: &str, d: &mut Diagnostics| match v {
            Some(v) => int(v, HEADER_PINS, key, d).map(|p| p as u8),
            None => {
                d.at(
                    span.clone(),
                    format!("this gpio source needs {key} = N, a BCM GPIO number (0–27)"),
                );
                None
            }
        };
        let pull = match &f.pull {
            None => Some(Pull::Up),
            Some(p) => match p.get_ref().as_str() {
                "up" => Some(Pull::Up),
                "down" => Some(Pull::Down),
                "off" => Some(Pull::Off),
                other => {
                    d.at(
                        p.span(),
                        format!("pull = {other:?}; expected \"up\" (to ground, the usual wiring), \"down\" or \"off\""),
                    );
                    None
                }
            },
        };
        let not_for = |v: bool, key: &str, what: &str, d: &mut Diagnostics| {
            if v {
                d.at(span.clone(), format!("{key} does not apply to {what}"));
            }
        };
        match kind.get_ref().as_str() {
            "encoder" => {
                not_for(f.pin.is_some(), "pin", "an encoder (it has a and b)", d);
                not_for(f.long_press_ms.is_some(), "long_press_ms", "an encoder", d);
                not_for(
                    f.debounce_ms.is_some(),
                    "debounce_ms",
                    "an encoder (its decoding rides out bounce)",
                    d,
                );
                let a = pin(&f.a, "a", d);
                let b = pin(&f.b, "b", d);
                let mode = match &f.steps_per_detent {
                    None => Some(StepMode::Full),
                    Some(n) => {
                        let m = u8::try_from(*n.get_ref())
                            .ok()
                            .and_then(StepMode::from_transitions);
                        if m.is_none() {
                            d.at(
                                n.span(),
                                format!(
                                    "steps_per_detent = {} is not a quadrature encoder's; expected 4 (one full cycle a click, most encoders), 2 or 1",
                                    n.get_ref()
                                ),
                            );
                        }
                        m
                    }
                };
                let (a, b, mode, pull) = (a?, b?, mode?, pull?);
                if a == b {
                    d.at(
                        span,
                        format!("a and b are both GPIO {a}; an encoder uses two pins"),
                    );
                    return None;
                }
                let pins = EncoderPins { a, b, mode, pull };
                self.claim(a, Role::Encoder(pins.clone()), line, d)?;
                self.claim(b, Role::Encoder(pins), line, d)?;
                Some((
                    wire_source(wire::ENCODER_CHANNEL, a, false)?,
                    GpioKind::Encoder,
                ))
            }
            k @ ("button" | "long-press") => {
                not_for(
                    f.a.is_some() || f.b.is_some(),
                    "a and b",
                    "a button (it has pin)",
                    d,
                );
                not_for(
                    f.steps_per_detent.is_some(),
                    "steps_per_detent",
                    "a button",
                    d,
                );
                let p = pin(&f.pin, "pin", d)?;
                let ms = |v: &Option<Spanned<i64>>,
                          key: &str,
                          range: Range<i64>,
                          d: &mut Diagnostics| match v {
                    None => Some(None),
                    Some(v) => int(v, range, key, d).map(|x| Some(Duration::from_millis(x as u64))),
                };
                let long = ms(&f.long_press_ms, "long_press_ms", 100..10_001, d)?;
                let debounce = ms(&f.debounce_ms, "debounce_ms", 1..101, d)?;
                let press = match (k, long) {
                    ("long-press", _) => Press::Long,
                    (_, Some(_)) => Press::Short,
                    _ => Press::Any,
                };
                let button = ButtonPin {
                    pin: p,
                    pull: pull?,
                    debounce: debounce.unwrap_or(DEFAULT_DEBOUNCE),
                    long_press: long.unwrap_or(DEFAULT_LONG_PRESS),
                };
                self.claim(p, Role::Button(button), line, d)?;
                Some((
                    wire_source(wire::press_channel(press), p, true)?,
                    GpioKind::Button,
                ))
            }
            "led" => {
                not_for(
                    f.a.is_some() || f.b.is_some(),
                    "a and b",
                    "an LED (it has pin)",
                    d,
                );
                not_for(
                    f.pull.is_some()
                        || f.steps_per_detent.is_some()
                        || f.long_press_ms.is_some()
                        || f.debounce_ms.is_some(),
                    "pull, steps_per_detent, long_press_ms and debounce_ms",
                    "an LED (an output)",
                    d,
                );
                let p = pin(&f.pin, "pin", d)?;
                self.claim(p, Role::Led, line, d)?;
                Some((wire_source(wire::LAMP_CHANNEL, p, true)?, GpioKind::Led))
            }
            other => {
                d.at(
                    kind.span(),
                    format!("gpio = {other:?}; expected \"encoder\", \"button\", \"long-press\" or \"led\""),
                );
                None
            }
        }
    }

    /// Give `pin` its role; the same role twice is fine when it agrees (two controls on one
    /// encoder in different layers, a button's short and long presses).
    fn claim(&mut self, pin: u8, role: Role, line: usize, d: &mut Diagnostics) -> Option<()> {
        let Some((held, first)) = self.pins.get(&pin) else {
            self.pins.insert(pin, (role, line));
            return Some(());
        };
        let agrees = match (held, &role) {
            (Role::Encoder(x), Role::Encoder(y)) => x == y,
            (Role::Button(x), Role::Button(y)) => x == y,
            (Role::Led, Role::Led) => true,
            _ => false,
        };
        if agrees {
            return Some(());
        }
        let why = if std::mem::discriminant(held) == std::mem::discriminant(&role) {
            format!(
                "GPIO {pin} is set up differently on line {first} (pins, pull, steps, debounce \
                 and long_press_ms must agree)"
            )
        } else {
            format!(
                "GPIO {pin} is {} here but {} on line {first}; a pin has one role",
                role.name(),
                held.name()
            )
        };
        d.at_line(line, why);
        None
    }

    /// The layout of every pin claimed.
    pub(super) fn finish(self) -> GpioLayout {
        let mut layout = GpioLayout::default();
        for (pin, (role, _)) in self.pins {
            match role {
                // Listed once, at contact A.
                Role::Encoder(e) if e.a == pin => layout.encoders.push(e),
                Role::Encoder(_) => {}
                Role::Button(b) => layout.buttons.push(b),
                Role::Led => layout.lamps.push(pin),
            }
        }
        layout
    }
}

/// How a GPIO device's source reads in a message: "the encoder on GPIO 17".
pub(super) fn describe(source: &Source) -> Option<String> {
    let (channel, n) = match *source {
        Source::Note { channel, note } => (channel.wire(), note),
        Source::Cc { channel, cc } => (channel.wire(), cc),
        _ => return None,
    };
    Some(match channel {
        wire::ENCODER_CHANNEL => format!("the encoder on GPIO {n}"),
        wire::PRESS_CHANNEL => format!("the button on GPIO {n}"),
        wire::SHORT_PRESS_CHANNEL => format!("short presses on GPIO {n}"),
        wire::LONG_PRESS_CHANNEL => format!("long presses on GPIO {n}"),
        _ => format!("the LED on GPIO {n}"),
    })
}
