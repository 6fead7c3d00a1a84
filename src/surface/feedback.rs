//! Feedback bytes, as pure functions: what a controller is sent to show a value, a name or a
//! level. Byte layouts from `shared/reference/controllers.md` §2–3.

use crate::desk::Db;
use crate::mapping::{Channel, RingStyle, Source};

/// Where a feedback message goes; the coalescing key (one pending message per address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// A note (LED, or a value as velocity).
    Note(u8, u8),
    /// A CC (LED, ring, knob value, VU meter).
    Cc(u8, u8),
    /// A 14-bit CC pair, by MSB.
    Cc14(u8, u8),
    /// Pitch bend (motor fader).
    PitchBend(u8),
    /// An NRPN.
    Nrpn(u8, u16),
    /// Program change.
    Program(u8),
    /// MCU channel-pressure meter of one strip.
    McuMeter(u8, u8),
    /// One line of an MCU LCD.
    Lcd(u8, u8),
    /// X-Touch strip colours.
    Colors,
}

/// The address a source's own messages come from (feedback "auto" and LEDs go back there).
pub fn address_of(source: &Source) -> Address {
    match *source {
        Source::Note { channel, note } => Address::Note(channel.wire(), note),
        Source::Cc { channel, cc } => Address::Cc(channel.wire(), cc),
        Source::Cc14 { channel, msb, .. } => Address::Cc14(channel.wire(), msb),
        Source::PitchBend { channel } => Address::PitchBend(channel.wire()),
        Source::Nrpn {
            channel, number, ..
        } => Address::Nrpn(channel.wire(), number),
        Source::ProgramChange { channel } => Address::Program(channel.wire()),
    }
}

fn scale(x: f64, max: u16) -> u16 {
    (x.clamp(0.0, 1.0) * f64::from(max)).round() as u16
}

/// A value (0–1) sent back on a source's own message kind.
pub fn value_message(source: &Source, x: f64) -> Vec<u8> {
    match *source {
        Source::Note { channel, note } => vec![0x90 | channel.wire(), note, scale(x, 127) as u8],
        Source::Cc { channel, cc } => vec![0xB0 | channel.wire(), cc, scale(x, 127) as u8],
        Source::Cc14 { channel, msb, .. } => {
            let v = scale(x, 16383);
            let s = 0xB0 | channel.wire();
            vec![s, msb, (v >> 7) as u8, s, msb + 32, (v & 0x7F) as u8]
        }
        Source::PitchBend { channel } => {
            let v = scale(x, 16383);
            vec![0xE0 | channel.wire(), (v & 0x7F) as u8, (v >> 7) as u8]
        }
        Source::Nrpn {
            channel,
            number,
            fourteen_bit,
        } => {
            let s = 0xB0 | channel.wire();
            let mut out = vec![s, 99, (number >> 7) as u8, s, 98, (number & 0x7F) as u8];
            if fourteen_bit {
                let v = scale(x, 16383);
                out.extend([s, 6, (v >> 7) as u8, s, 38, (v & 0x7F) as u8]);
            } else {
                out.extend([s, 6, scale(x, 127) as u8]);
            }
            out
        }
        Source::ProgramChange { channel } => vec![0xC0 | channel.wire(), scale(x, 127) as u8],
    }
}

/// A raw 7-bit value (LED state, table entry) at a note or CC address.
pub fn raw_message(at: &Source, value: u8) -> Vec<u8> {
    let v = value & 0x7F;
    match *at {
        Source::Note { channel, note } => vec![0x90 | channel.wire(), note, v],
        Source::Cc { channel, cc } => vec![0xB0 | channel.wire(), cc, v],
        Source::Cc14 { channel, msb, .. } => vec![0xB0 | channel.wire(), msb, v],
        Source::PitchBend { channel } => vec![0xE0 | channel.wire(), 0, v],
        Source::Nrpn { channel, .. } | Source::ProgramChange { channel } => {
            vec![0xC0 | channel.wire(), v]
        }
    }
}

/// An MCU V-pot ring: CC value `0 c m m p p p p` with position 1–11 and the style in `mm`.
pub fn ring_message(channel: Channel, cc: u8, style: RingStyle, x: f64) -> Vec<u8> {
    let mode: u8 = match style {
        RingStyle::Dot => 0,
        RingStyle::BoostCut => 1,
        RingStyle::Wrap => 2,
        RingStyle::Spread => 3,
    };
    let position = 1 + (x.clamp(0.0, 1.0) * 10.0).round() as u8;
    vec![0xB0 | channel.wire(), cc, (mode << 4) | position]
}

/// One full MCU LCD line: 7 characters per strip (`F0 00 00 66 <model> 12 <offset> … F7`).
pub fn lcd_line(model: u8, line: u8, names: &[String]) -> Vec<u8> {
    let offset = if line == 2 { 56 } else { 0 };
    let mut out = vec![0xF0, 0x00, 0x00, 0x66, model, 0x12, offset];
    for name in names.iter().take(8) {
        let mut cell: Vec<u8> = name
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c as u8
                } else {
                    b'?'
                }
            })
            .take(7)
            .collect();
        cell.resize(7, b' ');
        out.extend(cell);
    }
    out.push(0xF7);
    out
}

/// X-Touch scribble-strip colours (`F0 00 00 66 14 72 <8 colours> F7`) from X32 colour
/// indices (0 OFF, 1 RD, 2 GN, 3 YE, 4 BL, 5 MG, 6 CY, 7 WH, 8–15 the same inverted). An X32
/// strip without colour shows white rather than an unreadable black strip.
pub fn xtouch_colors(x32_colors: &[u32]) -> Vec<u8> {
    let mut out = vec![0xF0, 0x00, 0x00, 0x66, 0x14, 0x72];
    for k in 0..8 {
        let c = x32_colors.get(k).copied().unwrap_or(0) % 8;
        out.push(if c == 0 { 7 } else { c as u8 });
    }
    out.push(0xF7);
    out
}

/// MCU meter: channel pressure `strip << 4 | level`, level 0–12 linear in dB from −60 to 0 dBFS.
pub fn mcu_meter(channel: Channel, strip: u8, level: Option<Db>) -> Vec<u8> {
    let l = match level {
        Some(db) if !db.is_silence() => {
            ((db.get() + 60.0) / 60.0 * 12.0).round().clamp(0.0, 12.0) as u8
        }
        _ => 0,
    };
    vec![0xD0 | channel.wire(), ((strip & 0x07) << 4) | l]
}

/// A CC VU meter: 0 at `floor_db`, `max` at 0 dBFS, linear in dB.
pub fn cc_meter(channel: Channel, cc: u8, max: u8, floor_db: f64, level: Option<Db>) -> Vec<u8> {
    let v = match level {
        Some(db) if !db.is_silence() => {
            ((db.get() - floor_db) / -floor_db).clamp(0.0, 1.0) * f64::from(max)
        }
        _ => 0.0,
    };
    vec![0xB0 | channel.wire(), cc, v.round() as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::ByteOrder;

    fn ch(n: u8) -> Channel {
        Channel::from_user(n).unwrap()
    }

    #[test]
    fn motor_fader_and_knob_values() {
        // MCU fader 3 at the top: E2 7F 7F (LSB first).
        assert_eq!(
            value_message(&Source::PitchBend { channel: ch(3) }, 1.0),
            vec![0xE2, 0x7F, 0x7F]
        );
        assert_eq!(
            value_message(&Source::PitchBend { channel: ch(1) }, 0.5),
            vec![0xE0, 0x00, 0x40]
        );
        assert_eq!(
            value_message(
                &Source::Cc {
                    channel: ch(11),
                    cc: 1
                },
                1.0
            ),
            vec![0xBA, 1, 127]
        );
        assert_eq!(
            value_message(
                &Source::Cc14 {
                    channel: ch(2),
                    msb: 24,
                    order: ByteOrder::MsbFirst
                },
                1.0
            ),
            vec![0xB1, 24, 127, 0xB1, 56, 127]
        );
    }

    #[test]
    fn leds_rings_lcd_colours_meters() {
        assert_eq!(
            raw_message(
                &Source::Note {
                    channel: ch(1),
                    note: 16
                },
                127
            ),
            vec![0x90, 16, 127]
        );
        // Boost/cut ring centred: mode 1, position 6.
        assert_eq!(
            ring_message(ch(1), 48, RingStyle::BoostCut, 0.5),
            vec![0xB0, 48, 0x16]
        );
        let lcd = lcd_line(0x14, 1, &["Vox 1".into(), "Guitarist".into()]);
        assert_eq!(&lcd[..7], &[0xF0, 0, 0, 0x66, 0x14, 0x12, 0]);
        assert_eq!(&lcd[7..21], b"Vox 1  Guitari");
        assert_eq!(lcd.last(), Some(&0xF7));
        assert_eq!(
            xtouch_colors(&[1, 0, 9]),
            vec![0xF0, 0, 0, 0x66, 0x14, 0x72, 1, 7, 1, 7, 7, 7, 7, 7, 0xF7]
        );
        assert_eq!(mcu_meter(ch(1), 2, Some(Db::ZERO)), vec![0xD0, 0x2C]);
        assert_eq!(
            mcu_meter(ch(1), 2, Some(Db::NEG_INFINITY)),
            vec![0xD0, 0x20]
        );
        assert_eq!(
            cc_meter(ch(1), 2, 82, -48.0, Some(Db::try_new(-24.0).unwrap())),
            vec![0xB0, 2, 41]
        );
    }
}
