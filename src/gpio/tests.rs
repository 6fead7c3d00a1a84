//! The header as a surface on recorded pin sequences: what reaches the mapping engine.

use std::time::{Duration, Instant};

use super::surface::GpioSurface;
use super::wire;
use super::*;

fn layout() -> GpioLayout {
    GpioLayout {
        encoders: vec![EncoderPins {
            a: 17,
            b: 27,
            mode: StepMode::Full,
            pull: Pull::Up,
        }],
        buttons: vec![ButtonPin {
            pin: 22,
            pull: Pull::Up,
            debounce: Duration::from_millis(10),
            long_press: Duration::from_millis(600),
        }],
        lamps: vec![23],
    }
}

#[test]
fn encoder_clicks_become_relative_steps_on_contact_as_cc() {
    let t0 = Instant::now();
    // Pulled up: everything reads high at rest.
    let mut s = GpioSurface::new(&layout(), |_| true);
    // One click clockwise (A falls first), one counter-clockwise.
    let cw = [(17, false), (27, false), (17, true), (27, true)];
    let ccw = [(27, false), (17, false), (27, true), (17, true)];
    let mut out = Vec::new();
    for (i, (pin, high)) in cw.iter().chain(&ccw).enumerate() {
        out.extend(s.edge(*pin, *high, t0 + Duration::from_millis(i as u64)));
    }
    assert_eq!(out, vec![[0xB0, 17, 1], [0xB0, 17, 127]]);
}

#[test]
fn a_button_gives_presses_short_presses_and_long_presses() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut s = GpioSurface::new(&layout(), |_| true);
    // A short press, with bounce: closes (low) at 0, bounces, opens at 200.
    let mut out = Vec::new();
    for (at, high) in [(0, false), (2, true), (3, false), (200, true)] {
        out.extend(s.edge(22, high, ms(at)));
    }
    out.extend(s.poll(ms(260)));
    assert_eq!(
        out,
        vec![
            wire::button(wire::Press::Any, 22, true),
            wire::button(wire::Press::Any, 22, false),
            wire::button(wire::Press::Short, 22, true),
            wire::button(wire::Press::Short, 22, false),
        ]
    );
    // A long press: held 1 s.
    let mut out = s.edge(22, false, ms(1000));
    let mut now = 1000;
    while let Some(t) = s.next_deadline() {
        now = t.duration_since(t0).as_millis() as u64;
        out.extend(s.poll(t));
    }
    assert_eq!(
        now, 1600,
        "the long press is due 600 ms after the press settles"
    );
    out.extend(s.edge(22, true, ms(2000)));
    out.extend(s.poll(ms(2020)));
    assert_eq!(
        out,
        vec![
            wire::button(wire::Press::Any, 22, true),
            wire::button(wire::Press::Long, 22, true),
            wire::button(wire::Press::Any, 22, false),
            wire::button(wire::Press::Long, 22, false),
        ]
    );
}

#[test]
fn lamp_feedback_lights_only_lamp_pins() {
    let s = GpioSurface::new(&layout(), |_| true);
    let feedback = [0x94, 23, 127, 0x94, 22, 127, 0x84, 23, 0, 0x90, 23, 127];
    assert_eq!(s.lamps(&feedback), vec![(23, true), (23, false)]);
    assert!(s.lamps(&[0xF8, 0xFE]).is_empty());
}

#[test]
fn the_layout_lists_its_pins_once() {
    assert_eq!(layout().pins(), vec![17, 22, 23, 27]);
}
