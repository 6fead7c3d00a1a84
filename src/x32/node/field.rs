//! One field of a node line: written in its human unit, read back onto the parameter's grid.

use std::sync::Arc;

use crate::desk::law;
use crate::desk::{Db, Normalized, ParamKind, Value};

use super::schema::{block_name, FieldUnit, NodeChild};
use super::NodeError;

/// Write one field in its human unit.
pub fn format_field(unit: FieldUnit, kind: ParamKind, value: &Value) -> String {
    match (unit, value) {
        (FieldUnit::OnOff, Value::Index(i)) => (if *i == 0 { "OFF" } else { "ON" }).into(),
        (FieldUnit::Db, v) => format_db(kind, v, 1),
        (FieldUnit::Pan, Value::Level(n)) => {
            format!("{:+}", law::pan_value(n.get()).round() as i64)
        }
        (FieldUnit::Name, Value::Text(t)) => format!("\"{}\"", t.replace('"', "'")),
        (FieldUnit::Names(names), Value::Index(i)) => names
            .get(*i as usize)
            .filter(|n| !n.is_empty())
            .map_or_else(|| i.to_string(), |s| (*s).to_owned()),
        (FieldUnit::Block(width), Value::Index(i)) => {
            block_name(width, *i).unwrap_or_else(|| i.to_string())
        }
        (FieldUnit::Bitmap(bits), Value::Index(i)) => {
            format!("%{:0width$b}", i, width = usize::from(bits))
        }
        (FieldUnit::Hz, Value::Level(n)) => {
            let hz = law::eq_freq_hz(n.get());
            // Four significant digits tell the grid's 3.5 % steps apart.
            if hz < 100.0 {
                format!("{hz:.2}")
            } else if hz < 1000.0 {
                format!("{hz:.1}")
            } else {
                format!("{hz:.0}")
            }
        }
        (FieldUnit::EqDb, Value::Level(n)) => format!("{:+.2}", law::eq_gain_db(n.get())),
        (FieldUnit::Q, Value::Level(n)) => format!("{:.2}", law::eq_q(n.get())),
        (_, Value::Index(i)) => i.to_string(),
        (_, Value::Level(n)) => format!("{:.4}", n.get()),
        (_, Value::Text(t)) => format!("\"{}\"", t.replace('"', "'")),
    }
}

/// A level in dB with `decimals` decimals (`-oo` for −∞). The console writes one; backups
/// write faders with two, which tells apart the 0.04 dB steps of the fader's top segment.
pub fn format_db(kind: ParamKind, value: &Value, decimals: usize) -> String {
    match kind.db(value) {
        Some(db) if !db.is_silence() => {
            // Round first so 767/1023 (−0.0098 dB) reads `+0.0`, as on the console.
            let scale = 10f64.powi(decimals as i32);
            let r = (db.get() * scale).round() / scale;
            format!("{:+.decimals$}", if r == 0.0 { 0.0 } else { r })
        }
        _ => "-oo".into(),
    }
}

/// `1k02` → 1020, `124.7` → 124.7.
fn read_hz(text: &str) -> Option<f64> {
    match text.split_once('k') {
        Some((whole, frac)) if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{whole}.{frac}")
                .parse::<f64>()
                .ok()
                .map(|k| k * 1000.0)
        }
        Some(_) => None,
        None => text.parse().ok(),
    }
    .filter(|hz: &f64| hz.is_finite())
}

/// Read one field back onto the parameter's grid.
pub fn parse_field(child: &NodeChild, text: &str) -> Result<Value, NodeError> {
    let bad = |hint: &'static str| NodeError::BadField {
        address: child.address.clone(),
        text: text.to_owned(),
        hint,
    };
    let kind = child.kind;
    let number = |hint: &'static str| -> Result<f64, NodeError> {
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(hint))
    };
    let on_grid = |x: f64| Value::Level(Normalized::new_clamped(x));
    let value = match child.unit {
        FieldUnit::OnOff => match text {
            "ON" | "1" => Value::Index(1),
            "OFF" | "0" => Value::Index(0),
            _ => return Err(bad("ON or OFF")),
        },
        FieldUnit::Db => {
            const HINT: &str = "dB like +0.0 or -5.0, or -oo";
            let db = if text == "-oo" {
                Db::NEG_INFINITY
            } else {
                Db::try_new(number(HINT)?).map_err(|_| bad(HINT))?
            };
            // The text has 0.1 dB resolution, finer than the grid only below −30 dB, so take
            // the grid position nearest the written dB: −5.0 lands on 639/1023 as on the
            // console (§1.5), and writing back what was read is a fixed point.
            let steps = kind.steps().unwrap_or(law::FADER_STEPS);
            on_grid(law::quantize_nearest(law::db_to_level(db.get()), steps))
        }
        FieldUnit::Pan => {
            let p: i64 = text.parse().map_err(|_| bad("a whole number -100…+100"))?;
            on_grid(law::pan_from_value(p as f64))
        }
        FieldUnit::Name => Value::Text(Arc::from(text)),
        FieldUnit::Names(names) => match names.iter().position(|n| !n.is_empty() && *n == text) {
            Some(i) => Value::Index(i as u32),
            None => Value::Index(text.parse().map_err(|_| bad(names_hint(names)))?),
        },
        FieldUnit::Block(width) => {
            let count = kind.steps().map_or(0, |s| s + 1);
            match (0..count).find(|&i| block_name(width, i).as_deref() == Some(text)) {
                Some(i) => Value::Index(i),
                None => Value::Index(
                    text.parse()
                        .map_err(|_| bad("a routing group such as AN1-8, CARD1-8, OUT9-16"))?,
                ),
            }
        }
        FieldUnit::Bitmap(_) => {
            let v = match text.strip_prefix('%') {
                Some(bits) => u32::from_str_radix(bits, 2).ok(),
                None => text.parse().ok(),
            };
            Value::Index(v.ok_or_else(|| bad("a bitmap such as %00000011"))?)
        }
        FieldUnit::Hz => {
            let hz = read_hz(text).ok_or_else(|| bad("Hz like 1000, 124.7 or 1k02"))?;
            on_grid(law::quantize_nearest(
                law::eq_freq_from_hz(hz),
                law::EQ_FREQ_STEPS,
            ))
        }
        FieldUnit::EqDb => on_grid(law::quantize_nearest(
            law::eq_gain_from_db(number("dB like +1.25")?),
            law::EQ_GAIN_STEPS,
        )),
        FieldUnit::Q => on_grid(law::quantize_nearest(
            law::eq_q_from_q(number("a Q like 2.00")?),
            law::EQ_Q_STEPS,
        )),
        FieldUnit::Integer => Value::Index(text.parse().map_err(|_| bad("a whole number"))?),
        FieldUnit::Raw => {
            let x = number("a number 0.0…1.0")?;
            Value::Level(Normalized::try_new(x).map_err(|_| bad("a number 0.0…1.0"))?)
        }
    };
    kind.conform(value).map_err(|_| bad("a value in range"))
}

fn names_hint(names: &[&str]) -> &'static str {
    match names.first() {
        Some(&"OFF") => "a colour: OFF RD GN YE BL MG CY WH, or with i",
        Some(&"LCut") => "an EQ type: LCut LShv PEQ VEQ HShv HCut",
        Some(&"REC") => "REC or PLAY",
        Some(_) if names.len() == 9 => "a tap: IN/LC, <-EQ, EQ->, PRE, POST (+M), or 0-8",
        Some(_) => "a tap: IN/LC, <-EQ, EQ->, PRE, POST, GRP",
        None => "a whole number",
    }
}
