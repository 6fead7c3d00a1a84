//! The validated model of a mapping: every value here has been checked, so the compiled form
//! and the glue never re-check. Built from the file form (`file.rs`) and turned into the
//! compiled form the surface engine runs.

use std::fmt;

use crate::desk::Normalized;

/// A MIDI channel. Users write 1–16; stored 0–15 as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channel(u8);

impl Channel {
    /// From the 1–16 form users write.
    pub fn from_user(n: u8) -> Option<Channel> {
        (1..=16).contains(&n).then(|| Channel(n - 1))
    }

    /// From the 0–15 wire form.
    pub fn from_wire(n: u8) -> Option<Channel> {
        (n < 16).then_some(Channel(n))
    }

    /// The 0–15 wire form.
    pub fn wire(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ch{}", self.0 + 1)
    }
}

/// Which half of a 14-bit CC pair a device sends first (`controllers.md` §5, issue 9: some
/// send the LSB first). The value is complete when the second half arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// MSB (CC n) then LSB (CC n+32): the MIDI spec's order.
    #[default]
    MsbFirst,
    /// LSB (CC n+32) then MSB (CC n).
    LsbFirst,
}

/// Where a control's messages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Note on/off (velocity 0 counts as off).
    Note {
        /// MIDI channel.
        channel: Channel,
        /// Note number 0–127.
        note: u8,
    },
    /// A 7-bit control change.
    Cc {
        /// MIDI channel.
        channel: Channel,
        /// Controller 0–127.
        cc: u8,
    },
    /// A 14-bit control change: MSB on `msb` (0–31), LSB on `msb + 32`.
    Cc14 {
        /// MIDI channel.
        channel: Channel,
        /// The MSB controller, 0–31.
        msb: u8,
        /// Which half arrives first.
        order: ByteOrder,
    },
    /// Pitch bend, 14 bits (MCU motor faders).
    PitchBend {
        /// MIDI channel.
        channel: Channel,
    },
    /// A non-registered parameter number (CC 99/98 select, CC 6/38 data entry).
    Nrpn {
        /// MIDI channel.
        channel: Channel,
        /// Parameter number 0–16383.
        number: u16,
        /// Whether data entry carries an LSB (CC 38) too.
        fourteen_bit: bool,
    },
    /// Program change (any program; the program number is the value).
    ProgramChange {
        /// MIDI channel.
        channel: Channel,
    },
}

impl Source {
    /// The largest raw value the source sends (127 or 16383).
    pub fn max_value(&self) -> u16 {
        match self {
            Source::Cc14 { .. } | Source::PitchBend { .. } => 16383,
            Source::Nrpn {
                fourteen_bit: true, ..
            } => 16383,
            _ => 127,
        }
    }

    /// The channel it listens on.
    pub fn channel(&self) -> Channel {
        match *self {
            Source::Note { channel, .. }
            | Source::Cc { channel, .. }
            | Source::Cc14 { channel, .. }
            | Source::PitchBend { channel }
            | Source::Nrpn { channel, .. }
            | Source::ProgramChange { channel } => channel,
        }
    }
}

/// How a relative encoder writes its increments (`controllers.md` §1, ReaLearn `discrete.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Relative 1, two's complement: 1..=63 = +n, 64..=127 = −(128−v) (Numark jog wheels).
    TwosComplement,
    /// Relative 2, offset 64: 65.. = +(v−64), ..=63 = −(64−v), 64 = no change.
    Offset64,
    /// Relative 3, sign bit: 1..=64 = +v, 65..=127 = −(v−64) (MCU V-pots).
    SignBit,
}

/// How a control's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Character {
    /// A fader or knob: each value is a position.
    Range,
    /// A button that sends "on" while held and "off" on release.
    MomentaryButton,
    /// A button that toggles itself and sends its state (on, then off on the next press).
    ToggleButton,
    /// An endless encoder sending increments.
    Relative(Encoding),
}

/// A part of a 0–1 travel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    min: Normalized,
    max: Normalized,
}

impl Interval {
    /// The whole travel.
    pub const FULL: Interval = Interval {
        min: Normalized::MIN,
        max: Normalized::MAX,
    };

    /// `min` below `max`; `None` if the interval is empty or reversed (reversal is `invert`).
    pub fn new(min: Normalized, max: Normalized) -> Option<Interval> {
        (min < max).then_some(Interval { min, max })
    }

    /// Bottom of the interval.
    pub fn min(&self) -> Normalized {
        self.min
    }

    /// Top of the interval.
    pub fn max(&self) -> Normalized {
        self.max
    }

    /// `max − min`.
    pub fn span(&self) -> f64 {
        self.max.get() - self.min.get()
    }
}

/// What happens when a control that is not motorized disagrees with its target (the target
/// moved elsewhere: the console, the screen, another controller). A new movement starts after
/// 100 ms without input (ReaLearn's `CONTROL_MOVE_TIMEOUT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Takeover {
    /// The target jumps to the control.
    Off,
    /// Nothing happens until the control crosses the target's value; then it follows.
    #[default]
    Pickup,
    /// As `Pickup`, but a target this control set last is followed at once.
    PickupTolerant,
    /// The target moves in the control's direction, proportionally to the room left, so both
    /// meet at the end of the travel ("value scaling").
    CatchUp,
    /// The target moves by the same amount as the control (relative), clamped at the ends.
    Parallel,
}

/// What a button press does to its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ButtonMode {
    /// On (target max) while held, off (target min) on release.
    Momentary,
    /// Each press flips the target between its min and max.
    #[default]
    Toggle,
    /// Only the press sets the target (to max); the release does nothing.
    OnPress,
    /// Only the release sets the target (to max); the press does nothing.
    OnRelease,
}

/// Encoder acceleration: increments that come quickly are multiplied, up to `max_factor`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Acceleration {
    /// Each increment is one step.
    #[default]
    Off,
    /// Fast turns multiply the step count, up to this factor.
    On {
        /// The largest multiplier (e.g. 8).
        max_factor: u8,
    },
}

/// How a control's value becomes a target value: ranges, direction, steps, takeover, buttons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glue {
    /// The part of the control's travel in use (e.g. a worn fader that never reaches the top).
    pub source: Interval,
    /// The part of the target's travel the control reaches.
    pub target: Interval,
    /// Upside down: the control's top is the target's bottom.
    pub invert: bool,
    /// For encoders and +/- buttons: target grid steps per increment (≥ 1).
    pub step: u32,
    /// Encoder acceleration.
    pub acceleration: Acceleration,
    /// Takeover for absolute controls that have no motor.
    pub takeover: Takeover,
    /// What a button does.
    pub button: ButtonMode,
}

impl Default for Glue {
    fn default() -> Self {
        Glue {
            source: Interval::FULL,
            target: Interval::FULL,
            invert: false,
            step: 1,
            acceleration: Acceleration::Off,
            takeover: Takeover::Pickup,
            button: ButtonMode::Toggle,
        }
    }
}

/// How the controller is reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    /// A MIDI port pair, matched by name (case-insensitive substring, or a glob with `*`).
    Port {
        /// Input port name pattern.
        input: String,
        /// Output port name pattern.
        output: String,
    },
    /// Raw MIDI bytes over UDP (ipMIDI-style).
    Network {
        /// Local address to receive on.
        listen: std::net::SocketAddr,
        /// Where the device (or its bridge) listens.
        peer: std::net::SocketAddr,
    },
    /// The Raspberry Pi's GPIO header: these encoders, buttons and LEDs.
    Gpio(crate::gpio::GpioLayout),
}

/// The device section.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// What the controller is called, for logs.
    pub name: String,
    /// How it is reached.
    pub transport: Transport,
    /// Raw messages sent on every (re)connect, before the feedback state (e.g. a mode switch).
    pub init: Vec<Vec<u8>>,
    /// Most feedback messages per control per second.
    pub feedback_rate: u32,
}

/// Paging: the controller's strips show `strips` consecutive entries of `channels` at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Banks {
    /// How many strips the controller has.
    pub strips: u8,
    /// What the strips page across, in order.
    pub channels: Vec<crate::desk::Strip>,
}

/// A parameter of "the strip this control is on", resolved through the current bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StripParam {
    /// The strip's fader.
    Fader,
    /// Its on switch (1 = not muted; mute buttons use `invert`).
    On,
    /// Its pan.
    Pan,
    /// Its solo switch.
    Solo,
    /// Its main LR assignment (`mix/st`).
    MainAssign,
}

/// What moving a control changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One fixed desk parameter.
    Param(crate::desk::ParamId),
    /// A parameter of the bank strip at this 0-based position on the controller.
    Strip {
        /// Strip position on the controller, from 0.
        index: u8,
        /// Which of its parameters.
        param: StripParam,
    },
    /// A desk action.
    Action(Action),
}

/// Desk actions a button can trigger.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Page the strips forward by one bank.
    BankNext,
    /// Page the strips back by one bank.
    BankPrev,
    /// Shift the strips forward by one channel.
    StripNext,
    /// Shift the strips back by one channel.
    StripPrev,
    /// Switch the level stabilizer on or off.
    StabilizerToggle,
    /// Recall the scene in this slot (1–99).
    SceneRecall(u32),
    /// Hold to activate a layer (e.g. shift).
    Layer(String),
}

/// MCU V-pot ring styles (`controllers.md` §3: the `mm` bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RingStyle {
    /// One LED at the position.
    Dot,
    /// From the centre to the position (pan, EQ gain).
    BoostCut,
    /// From the left to the position (levels).
    Wrap,
    /// Spreading out from the centre (width, Q).
    Spread,
}

/// What the controller shows for a control's target.
#[derive(Clone, Debug, PartialEq)]
pub enum Feedback {
    /// Nothing.
    None,
    /// The source message, carrying the value (motor faders, knob LEDs, note velocity).
    Auto,
    /// An LED: `on` when the target (after glue) is past halfway, else `off`.
    Led {
        /// Value sent for on.
        on: u8,
        /// Value sent for off.
        off: u8,
        /// Where the LED listens, when not at the button's own address (a note or a CC).
        at: Option<Source>,
    },
    /// A value along the travel picked from a table (first entry at the bottom).
    Table(Vec<u8>),
    /// An MCU V-pot LED ring on CC `cc`.
    Ring {
        /// MIDI channel.
        channel: Channel,
        /// Ring CC (0x30–0x37 on an MCU).
        cc: u8,
        /// Ring style.
        style: RingStyle,
    },
}

/// A motor fader: its echo suppression and touch sensing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Motor {
    /// The touch note (MCU 0x68–0x70), if the fader senses touch.
    pub touch: Option<Source>,
}

/// One control after `repeat` has been expanded.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    /// Name for logs and errors.
    pub name: String,
    /// Where its messages come from.
    pub source: Source,
    /// How its values are read.
    pub character: Character,
    /// What it changes.
    pub target: Target,
    /// Active only while this layer is held (`None`: the base layer).
    pub layer: Option<String>,
    /// How values become target values.
    pub glue: Glue,
    /// What is sent back.
    pub feedback: Feedback,
    /// Set for motor faders.
    pub motor: Option<Motor>,
    /// 1-based line of the control in its file, for messages at run time.
    pub line: usize,
}

/// Scribble strips and colours.
#[derive(Clone, Debug, PartialEq)]
pub enum Display {
    /// MCU LCD (2 × 56 characters, 7 per strip): the bank strips' names on `line` (1 or 2).
    McuLcd {
        /// The MCU model byte (0x14 X-Touch / MCU, 0x15 extender).
        model: u8,
        /// 1 or 2.
        line: u8,
        /// How many strips.
        strips: u8,
    },
    /// X-Touch scribble-strip colours (one SysEx for all strips) from the strips' colours.
    XTouchColors {
        /// How many strips.
        strips: u8,
    },
}

/// Where a meter shows a level.
#[derive(Clone, Debug, PartialEq)]
pub enum Meter {
    /// MCU channel pressure: `strip << 4 | level` with level 0–12, for the bank strips.
    Mcu {
        /// MIDI channel.
        channel: Channel,
        /// How many strips.
        strips: u8,
    },
    /// A CC whose value rises with the level of one strip (Numark VU meters).
    Cc {
        /// MIDI channel.
        channel: Channel,
        /// The CC.
        cc: u8,
        /// What is metered: a fixed strip, or a bank position.
        strip: MeterStrip,
        /// The value at 0 dBFS.
        max: u8,
        /// The level shown as 0, in dBFS (e.g. −48).
        floor_db: f64,
    },
}

/// A fixed strip, or the bank strip at a position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MeterStrip {
    /// Always this strip.
    Fixed(crate::desk::Strip),
    /// The bank strip at this 0-based position.
    Bank(u8),
}

/// A whole mapping file, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// The device section.
    pub device: Device,
    /// Paging, if the controller has strips.
    pub banks: Option<Banks>,
    /// Every control, `repeat` expanded.
    pub controls: Vec<Control>,
    /// Displays.
    pub displays: Vec<Display>,
    /// Meters.
    pub meters: Vec<Meter>,
}
