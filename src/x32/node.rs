//! Node text lines (`x32-osc.md` §1.5): the human-unit form the X32 uses in `/node` replies,
//! `/` writes and scene files, e.g. `/ch/01/mix ON -5.0 ON +0 OFF -oo`.
//!
//! - [`tokenize`] splits a line into a path (leading slash optional) and fields; a
//!   double-quoted field may hold spaces.
//! - [`children`] is the node schema: which parameters a node lists, in order.
//! - [`format_node`] writes a whole line from a value lookup; [`parse_write`] turns a write
//!   line (a partial list is fine, as on the console) into `(ParamId, Value)` pairs.
//!
//! Units per field: switches `ON`/`OFF`; fader and send levels in dB with a sign and one
//! decimal, `-oo` for −∞ (the law in [`crate::desk::law`]); pan a signed integer; names quoted;
//! colours by the console's names (`OFF RD GN … WHi`); other choices as integers.

use std::fmt::Write as _;
use std::sync::Arc;

use thiserror::Error;

use crate::desk::law;
use crate::desk::{Db, Normalized, ParamId, ParamKind, Value};

/// The X32's colour names, index 0–15 (`/…/config/color`).
pub const COLOURS: [&str; 16] = [
    "OFF", "RD", "GN", "YE", "BL", "MG", "CY", "WH", "OFFi", "RDi", "GNi", "YEi", "BLi", "MGi",
    "CYi", "WHi",
];

/// A node line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NodeError {
    /// Nothing but blanks.
    #[error("empty node line")]
    Empty,
    /// A `"` without its closing partner.
    #[error("unterminated quote in node line {line:?}")]
    Unterminated {
        /// The line as given.
        line: String,
    },
    /// The path is neither a node pupitre knows nor a single parameter.
    #[error(
        "unknown node {path:?} (nodes are ch|auxin|fxrtn|bus|mtx/NN/{{mix,config}}, \
         main/st|m/{{mix,config}}, dca/N and dca/N/config)"
    )]
    UnknownNode {
        /// The path as given.
        path: String,
    },
    /// More fields than the node has children.
    #[error("node {path:?} has {max} fields, got {got}")]
    TooManyFields {
        /// The node.
        path: String,
        /// How many children it has.
        max: usize,
        /// How many fields were given.
        got: usize,
    },
    /// One field does not read as its parameter's unit.
    #[error("{address}: cannot read {text:?} ({hint})")]
    BadField {
        /// The child parameter.
        address: String,
        /// The field as given.
        text: String,
        /// What it should look like.
        hint: &'static str,
    },
}

/// A tokenized node line: path without its leading slash, and the raw fields (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    /// E.g. `ch/01/mix`.
    pub path: String,
    /// E.g. `["ON", "-5.0", "ON", "+0", "OFF", "-oo"]`.
    pub fields: Vec<String>,
}

/// Split a node line into its path and fields. A field in double quotes may hold spaces.
pub fn tokenize(line: &str) -> Result<NodeLine, NodeError> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut token = String::new();
        if first == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                token.push(c);
            }
            if !closed {
                return Err(NodeError::Unterminated {
                    line: line.to_owned(),
                });
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        tokens.push(token);
    }
    let mut tokens = tokens.into_iter();
    let path = tokens.next().ok_or(NodeError::Empty)?;
    let path = path.strip_prefix('/').unwrap_or(&path).to_owned();
    if path.is_empty() {
        return Err(NodeError::Empty);
    }
    Ok(NodeLine {
        path,
        fields: tokens.collect(),
    })
}

/// How a child parameter is written in a node line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldUnit {
    /// `ON` / `OFF`.
    OnOff,
    /// dB with sign and one decimal, `-oo` for −∞.
    Db,
    /// Signed integer, `+0`, `-100`.
    Pan,
    /// Double-quoted text.
    Name,
    /// A colour name (`OFF`, `RD`, …, `WHi`).
    Colour,
    /// A plain integer (icons, sources, tap points).
    Integer,
    /// The raw 0.0–1.0 float with four decimals (kinds no node here lists).
    Raw,
}

/// One child of a node.
#[derive(Debug, Clone)]
pub struct NodeChild {
    /// Full address, e.g. `/ch/01/mix/fader`.
    pub address: String,
    /// Its kind.
    pub kind: ParamKind,
    /// Its id; `None` for a field the console lists but pupitre's grammar does not hold
    /// (`/dca/N/config/icon`): such a field is written as its default and ignored on writes.
    pub id: Option<ParamId>,
    /// How it is written.
    pub unit: FieldUnit,
}

/// The children a node lists, in order; `None` for a path that is not a known node.
pub fn children(path: &str) -> Option<Vec<NodeChild>> {
    const INPUT_MIX: &[&str] = &["on", "fader", "st", "pan", "mono", "mlevel"];
    const INPUT_CONFIG: &[&str] = &["name", "icon", "color", "source"];
    const CONFIG: &[&str] = &["name", "icon", "color"];
    const MTX_MIX: &[&str] = &["on", "fader"];
    const MAIN_ST_MIX: &[&str] = &["on", "fader", "pan"];
    let path = path.strip_prefix('/').unwrap_or(path);
    let segs: Vec<&str> = path.split('/').collect();
    let leaves: &[&str] = match segs.as_slice() {
        ["ch" | "auxin" | "fxrtn", _, "mix"] | ["bus", _, "mix"] => INPUT_MIX,
        ["ch" | "auxin" | "fxrtn", _, "config"] => INPUT_CONFIG,
        ["bus" | "mtx", _, "config"] | ["main", "st" | "m", "config"] | ["dca", _, "config"] => {
            CONFIG
        }
        ["mtx", _, "mix"] | ["main", "m", "mix"] | ["dca", _] => MTX_MIX,
        ["main", "st", "mix"] => MAIN_ST_MIX,
        _ => return None,
    };
    let out: Vec<NodeChild> = leaves
        .iter()
        .map(|leaf| child(&format!("/{path}/{leaf}")))
        .collect();
    // The strip number must be valid: at least one child is in the grammar.
    out.iter().any(|c| c.id.is_some()).then_some(out)
}

fn child(address: &str) -> NodeChild {
    match ParamId::x32(address) {
        Ok(id) => {
            let kind = id.kind();
            NodeChild {
                address: address.to_owned(),
                kind,
                unit: unit_of(address, kind),
                id: Some(id),
            }
        }
        Err(_) => {
            // Only `/dca/N/config/icon` gets here from the schema above (and invalid strip
            // numbers, which `children` then refuses as a whole).
            let kind = ParamKind::Choice { count: 75 };
            NodeChild {
                address: address.to_owned(),
                kind,
                unit: FieldUnit::Integer,
                id: None,
            }
        }
    }
}

fn unit_of(address: &str, kind: ParamKind) -> FieldUnit {
    match kind {
        ParamKind::Switch => FieldUnit::OnOff,
        ParamKind::Fader | ParamKind::SendLevel => FieldUnit::Db,
        ParamKind::Pan => FieldUnit::Pan,
        ParamKind::Name { .. } => FieldUnit::Name,
        ParamKind::Choice { .. } if address.ends_with("/color") => FieldUnit::Colour,
        ParamKind::Choice { .. } => FieldUnit::Integer,
        _ => FieldUnit::Raw,
    }
}

/// Write one field in its human unit.
pub fn format_field(unit: FieldUnit, kind: ParamKind, value: &Value) -> String {
    match (unit, value) {
        (FieldUnit::OnOff, Value::Index(i)) => (if *i == 0 { "OFF" } else { "ON" }).into(),
        (FieldUnit::Db, v) => match kind.db(v) {
            Some(db) if !db.is_silence() => {
                // Round first so 767/1023 (−0.0098 dB) reads `+0.0`, as on the console.
                let r = (db.get() * 10.0).round() / 10.0;
                format!("{:+.1}", if r == 0.0 { 0.0 } else { r })
            }
            _ => "-oo".into(),
        },
        (FieldUnit::Pan, Value::Level(n)) => {
            format!("{:+}", law::pan_value(n.get()).round() as i64)
        }
        (FieldUnit::Name, Value::Text(t)) => format!("\"{}\"", t.replace('"', "'")),
        (FieldUnit::Colour, Value::Index(i)) => COLOURS
            .get(*i as usize)
            .map_or_else(|| i.to_string(), |s| (*s).to_owned()),
        (_, Value::Index(i)) => i.to_string(),
        (_, Value::Level(n)) => format!("{:.4}", n.get()),
        (_, Value::Text(t)) => format!("\"{}\"", t.replace('"', "'")),
    }
}

/// Read one field back onto the parameter's grid.
pub fn parse_field(child: &NodeChild, text: &str) -> Result<Value, NodeError> {
    let bad = |hint: &'static str| NodeError::BadField {
        address: child.address.clone(),
        text: text.to_owned(),
        hint,
    };
    let kind = child.kind;
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
                let v: f64 = text.parse().map_err(|_| bad(HINT))?;
                Db::try_new(v).map_err(|_| bad(HINT))?
            };
            // The text has 0.1 dB resolution, finer than the grid only below −30 dB, so take
            // the grid position nearest the written dB: −5.0 lands on 639/1023 as on the
            // console (§1.5), and writing back what was read is a fixed point.
            let steps = kind.steps().unwrap_or(law::FADER_STEPS);
            let x = law::quantize_nearest(law::db_to_level(db.get()), steps);
            Value::Level(Normalized::new_clamped(x))
        }
        FieldUnit::Pan => {
            let p: i64 = text.parse().map_err(|_| bad("a whole number -100…+100"))?;
            Value::Level(Normalized::new_clamped(law::pan_from_value(p as f64)))
        }
        FieldUnit::Name => Value::Text(Arc::from(text)),
        FieldUnit::Colour => match COLOURS.iter().position(|c| *c == text) {
            Some(i) => Value::Index(i as u32),
            None => Value::Index(
                text.parse()
                    .map_err(|_| bad("a colour: OFF RD GN YE BL MG CY WH, or with i"))?,
            ),
        },
        FieldUnit::Integer => Value::Index(text.parse().map_err(|_| bad("a whole number"))?),
        FieldUnit::Raw => {
            let x: f64 = text.parse().map_err(|_| bad("a number 0.0…1.0"))?;
            Value::Level(Normalized::try_new(x).map_err(|_| bad("a number 0.0…1.0"))?)
        }
    };
    kind.conform(value).map_err(|_| bad("a value in range"))
}

/// The whole line for a node, ending in `\n`, e.g. `/ch/01/mix ON +0.0 ON +0 OFF -oo\n`.
/// `lookup` gives each child's current value; a child without an id is written as its default.
pub fn format_node(path: &str, lookup: impl Fn(&ParamId) -> Value) -> Result<String, NodeError> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let kids = children(path).ok_or_else(|| NodeError::UnknownNode {
        path: path.to_owned(),
    })?;
    let mut line = format!("/{path}");
    for c in &kids {
        let value = match &c.id {
            Some(id) => lookup(id),
            None => c.kind.default_value(),
        };
        let _ = write!(line, " {}", format_field(c.unit, c.kind, &value));
    }
    line.push('\n');
    Ok(line)
}

/// A node write line as the parameters it sets, in order. A partial list sets the first
/// children only. A single parameter's address with one field (`/ch/02/mix/fader -10`) sets
/// that parameter, in its human unit (the emulator's bug of storing −10.0 is not copied).
pub fn parse_write(line: &str) -> Result<Vec<(ParamId, Value)>, NodeError> {
    let NodeLine { path, fields } = tokenize(line)?;
    let kids = match children(&path) {
        Some(k) => k,
        None => match ParamId::x32(&format!("/{path}")) {
            Ok(id) => {
                let kind = id.kind();
                let address = id.path().to_owned();
                vec![NodeChild {
                    unit: unit_of(&address, kind),
                    address,
                    kind,
                    id: Some(id),
                }]
            }
            Err(_) => return Err(NodeError::UnknownNode { path }),
        },
    };
    if fields.len() > kids.len() {
        return Err(NodeError::TooManyFields {
            path,
            max: kids.len(),
            got: fields.len(),
        });
    }
    let mut out = Vec::with_capacity(fields.len());
    for (child, text) in kids.iter().zip(&fields) {
        let value = parse_field(child, text)?;
        if let Some(id) = &child.id {
            out.push((id.clone(), value));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn level(x: f64) -> Value {
        Value::Level(Normalized::new_clamped(x))
    }

    fn lookup_from(pairs: &[(&str, Value)]) -> impl Fn(&ParamId) -> Value {
        let map: HashMap<String, Value> = pairs
            .iter()
            .map(|(a, v)| ((*a).to_owned(), v.clone()))
            .collect();
        move |id: &ParamId| {
            map.get(id.path())
                .cloned()
                .unwrap_or_else(|| id.kind().from_normalized(Normalized::MIN))
        }
    }

    #[test]
    fn tokenizes_quoted_names_and_optional_slash() {
        let l = tokenize("/ch/01/config \"Deck A\" 0 OFF 0\n").unwrap();
        assert_eq!(l.path, "ch/01/config");
        assert_eq!(l.fields, vec!["Deck A", "0", "OFF", "0"]);
        let l = tokenize("ch/01/mix ON -5.0 ON +0 OFF -oo").unwrap();
        assert_eq!(l.path, "ch/01/mix");
        assert_eq!(l.fields.len(), 6);
        assert_eq!(tokenize("  \n"), Err(NodeError::Empty));
        assert!(matches!(
            tokenize("/ch/01/config \"Deck"),
            Err(NodeError::Unterminated { .. })
        ));
        assert_eq!(tokenize("/x \"\"").unwrap().fields, vec![""]);
    }

    #[test]
    fn formats_the_reference_lines() {
        // `node ,s '/ch/01/config "Deck A" 0 OFF 0\n'` (§1.5).
        let line = format_node(
            "ch/01/config",
            lookup_from(&[("/ch/01/config/name", Value::Text("Deck A".into()))]),
        )
        .unwrap();
        assert_eq!(line, "/ch/01/config \"Deck A\" 0 OFF 0\n");
        // `/ch/01/mix OFF +0.0 OFF -100 OFF -oo\n`: fader at 0 dB, pan at 0.0 (hard left).
        let line = format_node(
            "/ch/01/mix",
            lookup_from(&[("/ch/01/mix/fader", level(767.0 / 1023.0))]),
        )
        .unwrap();
        assert_eq!(line, "/ch/01/mix OFF +0.0 OFF -100 OFF -oo\n");
        let line = format_node(
            "dca/3",
            lookup_from(&[("/dca/3/on", Value::Index(1)), ("/dca/3/fader", level(0.0))]),
        )
        .unwrap();
        assert_eq!(line, "/dca/3 ON -oo\n");
        assert_eq!(
            format_node("dca/1/config", lookup_from(&[])).unwrap(),
            "/dca/1/config \"\" 0 OFF\n"
        );
        assert!(matches!(
            format_node("ch/33/mix", lookup_from(&[])),
            Err(NodeError::UnknownNode { .. })
        ));
        assert!(format_node("dca/01", lookup_from(&[])).is_err());
    }

    #[test]
    fn parses_the_reference_write() {
        // `/ ,s "ch/01/mix ON -5.0 ON +0 OFF -oo"`: −5.0 dB is 639/1023 = 0.624633.
        let pairs = parse_write("ch/01/mix ON -5.0 ON +0 OFF -oo").unwrap();
        let got: Vec<(&str, Value)> = pairs.iter().map(|(i, v)| (i.path(), v.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("/ch/01/mix/on", Value::Index(1)),
                ("/ch/01/mix/fader", level(639.0 / 1023.0)),
                ("/ch/01/mix/st", Value::Index(1)),
                ("/ch/01/mix/pan", level(0.5)),
                ("/ch/01/mix/mono", Value::Index(0)),
                ("/ch/01/mix/mlevel", level(0.0)),
            ]
        );
        assert!(((639.0f64 / 1023.0) as f32 - 0.624633).abs() < 1e-6);
    }

    #[test]
    fn partial_single_and_bad_writes() {
        let pairs = parse_write("/bus/01/config \"Stream\" 3 RDi").unwrap();
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[2].1, Value::Index(9));
        assert_eq!(parse_write("main/st/mix OFF").unwrap().len(), 1);
        let single = parse_write("/ch/02/mix/fader -10").unwrap();
        assert_eq!(single[0].0.path(), "/ch/02/mix/fader");
        // −10 dB is 0.5, half-way between 511/1023 and 512/1023; both read "-10.0".
        assert_eq!(single[0].1, level(512.0 / 1023.0));
        // The DCA icon is read and skipped.
        assert_eq!(parse_write("dca/2/config \"Drums\" 4 GN").unwrap().len(), 2);
        assert!(matches!(
            parse_write("ch/01/mix ON -5.0 ON +0 OFF -oo 7"),
            Err(NodeError::TooManyFields { max: 6, got: 7, .. })
        ));
        let e = parse_write("ch/01/mix MAYBE").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/ch/01/mix/on: cannot read \"MAYBE\" (ON or OFF)"
        );
        assert!(parse_write("ch/01/config \"x\" 0 PINK").is_err());
        assert!(parse_write("ch/01/config \"x\" 0 16").is_err());
        assert!(parse_write("ch/01/mix ON nan").is_err());
        assert!(matches!(
            parse_write("headamp/000 +0.0"),
            Err(NodeError::UnknownNode { .. })
        ));
    }

    #[test]
    fn every_schema_node_formats() {
        for path in [
            "ch/32/mix",
            "auxin/08/config",
            "fxrtn/01/mix",
            "bus/16/mix",
            "bus/01/config",
            "mtx/06/config",
            "mtx/01/mix",
            "main/st/config",
            "main/m/config",
            "main/st/mix",
            "main/m/mix",
            "dca/8",
            "dca/8/config",
        ] {
            let kids = children(path).unwrap();
            assert!(kids
                .iter()
                .all(|c| c.id.is_some() || c.address.ends_with("/icon")));
            let line = format_node(path, |id| id.kind().default_value()).unwrap();
            let back = parse_write(&line).unwrap();
            assert!(!back.is_empty(), "{path}");
        }
    }

    fn value_for(child: &NodeChild, seed: u32) -> Value {
        match child.kind {
            ParamKind::Name { .. } => Value::Text(format!("N {seed}").into()),
            ParamKind::Switch => Value::Index(seed % 2),
            ParamKind::Choice { count } => Value::Index(seed % count),
            k => k.from_normalized(Normalized::new_clamped(f64::from(seed % 1024) / 1023.0)),
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_line(s in ".{0,80}") {
            let _ = tokenize(&s);
            let _ = parse_write(&s);
            let _ = format_node(&s, |id| id.kind().default_value());
        }

        #[test]
        fn never_panics_on_plausible_lines(s in "/?(ch|bus|dca|main)/[0-9a-z]{1,2}(/mix|/config)? ([-+A-Za-z0-9.\"]{0,6} ){0,7}") {
            let _ = parse_write(&s);
        }

        #[test]
        fn fader_text_is_a_fixed_point(k in 0u32..=1023) {
            let child = &children("ch/01/mix").unwrap()[1];
            let text = format_field(child.unit, child.kind, &level(f64::from(k) / 1023.0));
            let back = parse_field(child, &text).unwrap();
            prop_assert_eq!(format_field(child.unit, child.kind, &back), text.clone());
            // Below −30 dB a grid step is wider than the text's 0.1 dB: exact round trip.
            if k < 256 {
                prop_assert_eq!(back, level(f64::from(k) / 1023.0));
            }
        }

        #[test]
        fn send_and_pan_round_trip_exactly(k in 0u32..=160, p in 0u32..=100) {
            let ch = children("ch/07/mix").unwrap();
            let (pan, mlevel) = (&ch[3], &ch[5]);
            let v = level(f64::from(k) / 160.0);
            let text = format_field(mlevel.unit, mlevel.kind, &v);
            prop_assert_eq!(parse_field(mlevel, &text).unwrap(), v);
            let v = level(f64::from(p) / 100.0);
            let text = format_field(pan.unit, pan.kind, &v);
            prop_assert_eq!(parse_field(pan, &text).unwrap(), v);
        }

        #[test]
        fn node_lines_round_trip(node in 0usize..6, seeds in proptest::collection::vec(0u32..5000, 6)) {
            let path = ["ch/03/mix", "ch/03/config", "bus/02/mix", "main/st/mix", "dca/4", "mtx/05/config"][node];
            let kids = children(path).unwrap();
            let values: HashMap<String, Value> = kids.iter().zip(&seeds)
                .map(|(c, s)| (c.address.clone(), value_for(c, *s))).collect();
            let line = format_node(path, |id| values[id.path()].clone()).unwrap();
            let back = parse_write(&line).unwrap();
            let again = format_node(path, |id| {
                back.iter().find(|(i, _)| i == id).map(|(_, v)| v.clone()).unwrap_or_else(|| id.kind().default_value())
            }).unwrap();
            prop_assert_eq!(again, line);
            for (id, v) in &back {
                if !matches!(id.kind(), ParamKind::Fader) {
                    prop_assert_eq!(v, &values[id.path()]);
                }
            }
        }
    }
}
