//! How GPIO controls reach the mapping engine: as MIDI messages on a private encoding, so an
//! encoder on the header gets the same glue (steps, acceleration, takeover), targets, layers
//! and feedback as a knob on a controller. The mapping file never shows this encoding: it says
//! `source = { gpio = "encoder", a = 17, b = 27 }`, and `mapping/build` compiles that to the
//! sources below; the GPIO surface produces and reads the same messages.
//!
//! | control                      | message                                    |
//! |------------------------------|--------------------------------------------|
//! | encoder with contact A on p  | CC p on channel 1, relative two's complement (1 = +1, 127 = −1) |
//! | button on p, as pressed      | note p on channel 2 (on at press, off at release) |
//! | button on p, short presses   | note p on channel 3 (on and off at a release before the long-press time) |
//! | button on p, long presses    | note p on channel 4 (on at the long-press time, off at release) |
//! | lamp on p                    | note p on channel 5, from pupitre: velocity > 0 lights it |

/// Encoders' channel (wire value).
pub const ENCODER_CHANNEL: u8 = 0;
/// Buttons as pressed.
pub const PRESS_CHANNEL: u8 = 1;
/// Short presses.
pub const SHORT_PRESS_CHANNEL: u8 = 2;
/// Long presses.
pub const LONG_PRESS_CHANNEL: u8 = 3;
/// Lamps.
pub const LAMP_CHANNEL: u8 = 4;

/// What a button control listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Press {
    /// Every press and release, at once.
    Any,
    /// Presses released before the long-press time (reported at the release).
    Short,
    /// Presses held for the long-press time.
    Long,
}

/// The MIDI channel (wire value, 0–15) a kind of button message uses.
pub fn press_channel(press: Press) -> u8 {
    match press {
        Press::Any => PRESS_CHANNEL,
        Press::Short => SHORT_PRESS_CHANNEL,
        Press::Long => LONG_PRESS_CHANNEL,
    }
}

/// An encoder's step as a message.
pub fn encoder_step(a: u8, step: i32) -> [u8; 3] {
    let value = if step >= 0 { 1 } else { 127 };
    [0xB0 | ENCODER_CHANNEL, a & 0x7F, value]
}

/// A button message on one of the button channels.
pub fn button(press: Press, pin: u8, down: bool) -> [u8; 3] {
    let ch = press_channel(press);
    if down {
        [0x90 | ch, pin & 0x7F, 127]
    } else {
        [0x80 | ch, pin & 0x7F, 0]
    }
}

/// A lamp command in pupitre's feedback: which pin, lit or not. `None` for anything else.
pub fn lamp(message: &[u8]) -> Option<(u8, bool)> {
    match *message {
        [status, pin, velocity] if status == 0x90 | LAMP_CHANNEL => Some((pin, velocity > 0)),
        [status, pin, _] if status == 0x80 | LAMP_CHANNEL => Some((pin, false)),
        _ => None,
    }
}
