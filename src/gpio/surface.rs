//! The GPIO header as one surface, as pure logic: pin edges in, the MIDI messages of
//! [`super::wire`] out (encoder steps, presses); pupitre's lamp messages in, pin levels out.

use std::collections::HashMap;
use std::time::Instant;

use super::button::{Button, ButtonEvent};
use super::quadrature::Quadrature;
use super::wire::{self, Press};
use super::{GpioLayout, Pull};

/// The decoders of every input on the header.
#[derive(Debug)]
pub struct GpioSurface {
    encoders: Vec<(u8, u8, Quadrature)>,
    buttons: Vec<(u8, Pull, Button)>,
    levels: HashMap<u8, bool>,
    lamps: Vec<u8>,
}

/// Whether a contact is closed at this level: pulled up, closing pulls it low.
fn closed(pull: Pull, high: bool) -> bool {
    match pull {
        Pull::Up | Pull::Off => !high,
        Pull::Down => high,
    }
}

impl GpioSurface {
    /// Decoders for `layout`, starting from the pins' levels now (`level(pin)`: high).
    pub fn new(layout: &GpioLayout, level: impl Fn(u8) -> bool) -> GpioSurface {
        let mut levels = HashMap::new();
        let encoders = layout
            .encoders
            .iter()
            .map(|e| {
                let (a, b) = (level(e.a), level(e.b));
                levels.insert(e.a, a);
                levels.insert(e.b, b);
                (e.a, e.b, Quadrature::new(e.mode, a, b))
            })
            .collect();
        let buttons = layout
            .buttons
            .iter()
            .map(|b| {
                let high = level(b.pin);
                levels.insert(b.pin, high);
                (
                    b.pin,
                    b.pull,
                    Button::new(closed(b.pull, high), b.debounce, b.long_press),
                )
            })
            .collect();
        GpioSurface {
            encoders,
            buttons,
            levels,
            lamps: layout.lamps.clone(),
        }
    }

    /// Pin `pin` went `high` (or low) at `at`: the messages this makes.
    pub fn edge(&mut self, pin: u8, high: bool, at: Instant) -> Vec<[u8; 3]> {
        let mut out = self.poll(at);
        self.levels.insert(pin, high);
        for (a, b, q) in &mut self.encoders {
            if pin == *a || pin == *b {
                let la = self.levels.get(a).copied().unwrap_or(true);
                let lb = self.levels.get(b).copied().unwrap_or(true);
                let step = q.update(la, lb);
                if step != 0 {
                    out.push(wire::encoder_step(*a, step));
                }
            }
        }
        for (p, pull, button) in &mut self.buttons {
            if *p == pin {
                let events = button.edge(closed(*pull, high), at);
                out.extend(events.into_iter().flat_map(|e| messages(*p, e)));
            }
        }
        out
    }

    /// What has settled by `now` (debounced presses, long presses).
    pub fn poll(&mut self, now: Instant) -> Vec<[u8; 3]> {
        let mut out = Vec::new();
        for (p, _, button) in &mut self.buttons {
            out.extend(button.poll(now).into_iter().flat_map(|e| messages(*p, e)));
        }
        out
    }

    /// When to call [`GpioSurface::poll`] next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.buttons
            .iter()
            .filter_map(|(_, _, b)| b.next_deadline())
            .min()
    }

    /// The lamp levels pupitre's feedback asks for, as (pin, lit); other messages and pins
    /// that are not lamps are ignored.
    pub fn lamps(&self, feedback: &[u8]) -> Vec<(u8, bool)> {
        crate::midi::parse_all(feedback)
            .iter()
            .map(crate::midi::to_bytes)
            .filter_map(|m| wire::lamp(&m))
            .filter(|(pin, _)| self.lamps.contains(pin))
            .collect()
    }
}

fn messages(pin: u8, event: ButtonEvent) -> Vec<[u8; 3]> {
    match event {
        ButtonEvent::Pressed => vec![wire::button(Press::Any, pin, true)],
        ButtonEvent::LongPress => vec![wire::button(Press::Long, pin, true)],
        ButtonEvent::Released { long: false } => vec![
            wire::button(Press::Any, pin, false),
            wire::button(Press::Short, pin, true),
            wire::button(Press::Short, pin, false),
        ],
        ButtonEvent::Released { long: true } => vec![
            wire::button(Press::Any, pin, false),
            wire::button(Press::Long, pin, false),
        ],
    }
}
