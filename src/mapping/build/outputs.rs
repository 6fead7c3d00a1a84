//! Checks of what a mapping sends back: a control's feedback, displays and meters.

use toml::Spanned;

use super::super::file::{DisplayFile, FeedbackFile, MeterFile, RingFile, StripRef};
use super::super::model::{
    Banks, Channel, Display, Feedback, Meter, MeterStrip, RingStyle, Source,
};
use super::{channel, int, MCU_MODEL};
use crate::desk::Strip;
use crate::tomlfile::Diagnostics;

pub(super) fn feedback(
    f: Option<&Spanned<FeedbackFile>>,
    source: Option<Source>,
    is_button: bool,
    is_action: bool,
    d: &mut Diagnostics,
) -> Option<Feedback> {
    let Some(f) = f else {
        return Some(if is_action {
            Feedback::None
        } else if is_button {
            Feedback::Led {
                on: 127,
                off: 0,
                at: None,
            }
        } else {
            Feedback::Auto
        });
    };
    let span = f.span();
    match f.get_ref() {
        FeedbackFile::Keyword(k) if k == "auto" => Some(Feedback::Auto),
        FeedbackFile::Keyword(k) if k == "none" => Some(Feedback::None),
        FeedbackFile::Keyword(k) => {
            d.at(span, format!("unknown feedback {k:?}; expected \"auto\", \"none\", {{ on = 127, off = 0 }}, {{ values = [...] }} or {{ ring = \"dot\", cc = 48 }}"));
            None
        }
        FeedbackFile::Table(t) => {
            let seven = |v: &Spanned<i64>, key: &str, d: &mut Diagnostics| {
                int(v, 0..128, key, d).map(|x| x as u8)
            };
            match (&t.on, &t.off, &t.values, &t.ring) {
                (Some(on), off, None, None) => {
                    let on = seven(on, "on", d);
                    let off = off.as_ref().map_or(Some(0), |o| seven(o, "off", d));
                    let ch = match &t.channel {
                        Some(c) => channel(Some(c), d),
                        None => source
                            .map(|s| s.channel())
                            .or_else(|| Channel::from_user(1)),
                    };
                    let at = match (&t.note, &t.cc, ch) {
                        (None, None, _) => None,
                        (Some(_), Some(c), _) => {
                            d.at(c.span(), "an LED listens on a note or a CC, not both");
                            return None;
                        }
                        (Some(n), None, Some(channel)) => Some(Source::Note {
                            channel,
                            note: seven(n, "note", d)?,
                        }),
                        (None, Some(c), Some(channel)) => Some(Source::Cc {
                            channel,
                            cc: seven(c, "cc", d)?,
                        }),
                        _ => return None,
                    };
                    Some(Feedback::Led {
                        on: on?,
                        off: off?,
                        at,
                    })
                }
                (None, None, Some(values), None) => {
                    if values.get_ref().is_empty() {
                        d.at(values.span(), "values needs at least one entry");
                        return None;
                    }
                    let mut out = Vec::new();
                    for &v in values.get_ref() {
                        if (0..128).contains(&v) {
                            out.push(v as u8);
                        } else {
                            d.at(
                                values.span(),
                                format!("values has {v}; MIDI values are 0 to 127"),
                            );
                            return None;
                        }
                    }
                    Some(Feedback::Table(out))
                }
                (None, None, None, Some(style)) => {
                    let Some(cc) = &t.cc else {
                        d.at(span, "a ring needs cc = N (MCU rings are CC 48–55)");
                        return None;
                    };
                    let cc = seven(cc, "cc", d)?;
                    let channel = match &t.channel {
                        Some(c) => channel(Some(c), d)?,
                        None => source
                            .map(|s| s.channel())
                            .or_else(|| Channel::from_user(1))?,
                    };
                    let style = match style {
                        RingFile::Dot => RingStyle::Dot,
                        RingFile::BoostCut => RingStyle::BoostCut,
                        RingFile::Wrap => RingStyle::Wrap,
                        RingFile::Spread => RingStyle::Spread,
                    };
                    Some(Feedback::Ring { channel, cc, style })
                }
                _ => {
                    d.at(span, "feedback is one of { on = 127, off = 0 }, { values = [...] } or { ring = \"dot\", cc = 48 }");
                    None
                }
            }
        }
    }
}

pub(super) fn display(
    x: Spanned<DisplayFile>,
    strips_default: u8,
    d: &mut Diagnostics,
) -> Option<Display> {
    let x = x.into_inner();
    let strips = match &x.strips {
        None => Some(strips_default.min(8)),
        Some(s) => int(s, 1..9, "strips", d).map(|n| n as u8),
    };
    match x.kind.get_ref().as_str() {
        "mcu-lcd" => {
            let line = x
                .line
                .as_ref()
                .map_or(Some(1), |l| int(l, 1..3, "line", d))?;
            let model = x.model.as_ref().map_or(Some(i64::from(MCU_MODEL)), |m| {
                int(m, 0x14..0x18, "model", d)
            })?;
            Some(Display::McuLcd {
                model: model as u8,
                line: line as u8,
                strips: strips?,
            })
        }
        "xtouch-colors" => Some(Display::XTouchColors { strips: strips? }),
        other => {
            d.at(
                x.kind.span(),
                format!(
                    "unknown display kind {other:?}; expected \"mcu-lcd\" or \"xtouch-colors\""
                ),
            );
            None
        }
    }
}

pub(super) fn meter(
    m: Spanned<MeterFile>,
    banks: Option<&Banks>,
    d: &mut Diagnostics,
) -> Option<Meter> {
    let span = m.span();
    let m = m.into_inner();
    let channel = channel(m.channel.as_ref(), d)?;
    match m.kind.get_ref().as_str() {
        "mcu" => {
            let strips = match &m.strips {
                None => banks.map_or(8, |b| b.strips.min(8)),
                Some(s) => int(s, 1..9, "strips", d)? as u8,
            };
            Some(Meter::Mcu { channel, strips })
        }
        "cc" => {
            let Some(cc) = &m.cc else {
                d.at(span, "a cc meter needs cc = N");
                return None;
            };
            let cc = int(cc, 0..128, "cc", d)? as u8;
            let strip = match m.strip.as_ref() {
                None => {
                    d.at(span, "a cc meter needs strip = \"ch/01\" (a fixed strip) or strip = 1 (a bank position)");
                    return None;
                }
                Some(s) => match s.get_ref() {
                    StripRef::Name(n) => match Strip::parse_range(n) {
                        Ok(v) if v.len() == 1 => MeterStrip::Fixed(v[0]),
                        Ok(_) => {
                            d.at(
                                s.span(),
                                format!("strip {n:?} is a range; a meter shows one strip"),
                            );
                            return None;
                        }
                        Err(e) => {
                            d.at(s.span(), format!("bad strip {n:?}: {e}"));
                            return None;
                        }
                    },
                    StripRef::Position(p) => {
                        let strips = banks.map_or(0, |b| i64::from(b.strips));
                        if !(1..=strips).contains(p) {
                            d.at(s.span(), format!("strip = {p} is not a bank position; [banks] has {strips} strips"));
                            return None;
                        }
                        MeterStrip::Bank(*p as u8 - 1)
                    }
                },
            };
            let max = m
                .max
                .as_ref()
                .map_or(Some(127), |x| int(x, 1..128, "max", d))? as u8;
            let floor_db = match &m.floor_db {
                None => -48.0,
                Some(f) if (-90.0..=-6.0).contains(f.get_ref()) => *f.get_ref(),
                Some(f) => {
                    d.at(
                        f.span(),
                        format!(
                            "floor_db = {} is out of range; expected -90.0 to -6.0 dBFS",
                            f.get_ref()
                        ),
                    );
                    return None;
                }
            };
            Some(Meter::Cc {
                channel,
                cc,
                strip,
                max,
                floor_db,
            })
        }
        other => {
            d.at(
                m.kind.span(),
                format!("unknown meter kind {other:?}; expected \"mcu\" or \"cc\""),
            );
            None
        }
    }
}
