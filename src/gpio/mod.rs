//! The Raspberry Pi's GPIO header as a surface: quadrature rotary encoders, push buttons (short
//! and long presses) and lamps, declared in mapping files like MIDI controls.
//!
//! - `quadrature` and `button`: the decoding, as pure logic, tested on recorded pin sequences;
//! - `surface`: every pin of one mapping's layout, edges in, messages out;
//! - `wire`: how those messages reach the mapping engine (MIDI on a private encoding);
//! - `pins` (cargo feature `gpio`, Linux): the pins themselves, through rppal, with edge
//!   interrupts from the kernel's gpiochip device.

pub mod button;
#[cfg(feature = "gpio")]
mod pins;
pub mod quadrature;
pub mod surface;
pub mod wire;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::midi::MidiPort;
pub use quadrature::StepMode;

/// A pin's internal resistor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pull {
    /// Pulled up: the contact closes to ground (the usual wiring; no resistor needed).
    Up,
    /// Pulled down: the contact closes to 3.3 V.
    Down,
    /// None: an external resistor pulls the line up.
    Off,
}

/// An encoder's pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderPins {
    /// Contact A's BCM GPIO number.
    pub a: u8,
    /// Contact B's.
    pub b: u8,
    /// Transitions per detent.
    pub mode: StepMode,
    /// Both pins' resistor.
    pub pull: Pull,
}

/// A button's pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ButtonPin {
    /// BCM GPIO number.
    pub pin: u8,
    /// Its resistor.
    pub pull: Pull,
    /// How long a level must hold to count.
    pub debounce: Duration,
    /// How long a press must hold to be a long press.
    pub long_press: Duration,
}

/// Every pin one mapping uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpioLayout {
    /// Rotary encoders.
    pub encoders: Vec<EncoderPins>,
    /// Push buttons.
    pub buttons: Vec<ButtonPin>,
    /// Lamps (outputs), by BCM GPIO number.
    pub lamps: Vec<u8>,
}

impl GpioLayout {
    /// Every pin in use.
    pub fn pins(&self) -> Vec<u8> {
        let mut all: Vec<u8> = self
            .encoders
            .iter()
            .flat_map(|e| [e.a, e.b])
            .chain(self.buttons.iter().map(|b| b.pin))
            .chain(self.lamps.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Open the GPIO header for `layout` as a port the surface task reads like a MIDI device.
/// Without the `gpio` feature (or off a Pi), the port says why in the log and never connects.
pub fn open(layout: GpioLayout, stop: CancellationToken) -> MidiPort {
    let (port, device) = MidiPort::in_memory();
    #[cfg(feature = "gpio")]
    tokio::spawn(pins::run(layout, device, stop));
    #[cfg(not(feature = "gpio"))]
    tokio::spawn(async move {
        tracing::error!(
            pins = ?layout.pins(),
            "this build has no GPIO support; rebuild with --features gpio (Linux) to use the header"
        );
        // Holding the device keeps the port open (quietly) until the service stops.
        stop.cancelled().await;
        drop(device);
    });
    port
}

#[cfg(test)]
mod tests;
