//! Node text lines (`x32-osc.md` §1.5): the human-unit form the X32 uses in `/node` replies,
//! `/` writes and scene files, e.g. `/ch/01/mix ON -5.0 ON +0 OFF -oo`.
//!
//! - [`tokenize`] splits a line into a path (leading slash optional) and fields; a
//!   double-quoted field may hold spaces.
//! - [`schema`] is the node schema: which parameters a node lists, in order; a single
//!   parameter's address is a node of one field.
//! - [`format_node`] writes a whole line from a value lookup; [`read_line`] reads a line's
//!   fields as values (a partial list is fine, as on the console, and the trailing fields the
//!   console lists after the ones pupitre keeps are skipped); [`parse_write`] turns it into
//!   `(ParamId, Value)` pairs.
//!
//! Units per field: switches `ON`/`OFF`; fader and send levels in dB with a sign and one
//! decimal, `-oo` for −∞ (the law in [`crate::desk::law`]); pan a signed integer; names quoted;
//! EQ in Hz, dB and Q; enumerations by the console's names (colours, EQ types, taps, routing
//! groups) where the doc gives them, else as integers; bitmaps as `%0101`.

mod field;
mod schema;

use std::fmt::Write as _;

use thiserror::Error;

use crate::desk::{ParamId, Value};

pub use field::{format_db, format_field, parse_field};
pub use schema::{
    block_group, block_name, schema, BlockWidth, FieldUnit, NodeChild, Schema, SignalGroup,
    COLOURS, EQ_TYPES, OUTPUT_TAPS, ROUTE_SWITCH, SEND_TAPS,
};

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
        "unknown node {path:?} (nodes are ch|auxin|fxrtn|bus|mtx/NN/{{mix,config,eq,dyn,grp}}, \
         …/mix/NN, …/eq/N, main/st|m/…, dca/N, dca/N/config, outputs/…/NN, config/mute, \
         config/routing/BLOCK, config/userrout/out, or one parameter's address)"
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

/// The children a node lists, in order; `None` for a path that is not a known node.
pub fn children(path: &str) -> Option<Vec<NodeChild>> {
    schema(path).map(|s| s.children)
}

/// The whole line for a node, ending in `\n`, e.g. `/ch/01/mix ON +0.0 ON +0 OFF -oo\n`.
/// `lookup` gives each child's current value; a child without an id is written as its default.
pub fn format_node(path: &str, lookup: impl Fn(&ParamId) -> Value) -> Result<String, NodeError> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let node = schema(path).ok_or_else(|| NodeError::UnknownNode {
        path: path.to_owned(),
    })?;
    let mut line = format!("/{path}");
    for c in &node.children {
        let value = match &c.id {
            Some(id) => lookup(id),
            None => c.kind.default_value(),
        };
        let _ = write!(line, " {}", format_field(c.unit, c.kind, &value));
    }
    line.push('\n');
    Ok(line)
}

/// A node line read against its schema: the fields pupitre keeps, each with its value.
#[derive(Debug, Clone)]
pub struct ReadLine {
    /// The node's schema.
    pub schema: Schema,
    /// The leading fields given, as values (a partial list has fewer than the children).
    pub values: Vec<Value>,
    /// The fields' text as given, one per value.
    pub texts: Vec<String>,
    /// How many trailing fields of an open node were skipped.
    pub skipped: usize,
}

/// Read a node line: a partial list sets the first children only; an open node's extra
/// trailing fields are skipped; a single parameter's address takes one field in its human
/// unit (`/ch/02/mix/fader -10`; the emulator's bug of storing −10.0 is not copied).
pub fn read_line(line: &str) -> Result<ReadLine, NodeError> {
    let NodeLine { path, mut fields } = tokenize(line)?;
    let schema = schema(&path).ok_or(NodeError::UnknownNode { path: path.clone() })?;
    let max = schema.children.len();
    let mut skipped = 0;
    if fields.len() > max {
        if !schema.open {
            return Err(NodeError::TooManyFields {
                path,
                max,
                got: fields.len(),
            });
        }
        skipped = fields.len() - max;
        fields.truncate(max);
    }
    let values = schema
        .children
        .iter()
        .zip(&fields)
        .map(|(child, text)| parse_field(child, text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReadLine {
        schema,
        values,
        texts: fields,
        skipped,
    })
}

/// A node write line as the parameters it sets, in order (see [`read_line`]); fields the
/// grammar does not hold (a DCA's icon) are read and skipped.
pub fn parse_write(line: &str) -> Result<Vec<(ParamId, Value)>, NodeError> {
    let read = read_line(line)?;
    Ok(read
        .schema
        .children
        .into_iter()
        .zip(read.values)
        .filter_map(|(child, value)| child.id.map(|id| (id, value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::{Normalized, ParamKind};
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
            "ch/01/mix/16",
            "bus/16/mix/06",
            "main/m/mix/01",
            "ch/32/eq",
            "ch/32/eq/4",
            "bus/01/eq/6",
            "main/st/eq/1",
            "ch/01/dyn",
            "ch/01/gate",
            "mtx/06/dyn",
            "auxin/08/grp",
            "outputs/main/16",
            "outputs/aux/06",
            "outputs/p16/16",
            "outputs/aes/02",
            "outputs/rec/01",
            "config/mute",
            "config/routing/IN",
            "config/routing/PLAY",
            "config/routing/AES50A",
            "config/routing/AES50B",
            "config/routing/CARD",
            "config/routing/OUT",
            "config/routing/routswitch",
            "config/userrout/out",
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

    #[test]
    fn backup_nodes_read_the_consoles_lines() {
        // §1.5's replies, verbatim.
        let out = read_line("/outputs/main/01 0 IN/LC OFF\n").unwrap();
        assert_eq!(
            out.values,
            vec![Value::Index(0), Value::Index(0), Value::Index(0)]
        );
        let route = read_line("/config/routing/OUT AN1-4 AN1-4 AN5-8 AN5-8\n").unwrap();
        assert_eq!(route.values, vec![Value::Index(0); 4]);
        let card = read_line("/config/routing/CARD OUT1-8 OUT9-16 CARD1-8 UOUT41-48").unwrap();
        assert_eq!(
            card.values,
            vec![
                Value::Index(20),
                Value::Index(21),
                Value::Index(16),
                Value::Index(31)
            ]
        );
        assert_eq!(
            format_node("config/routing/CARD", |id| card.values[card
                .schema
                .children
                .iter()
                .position(|c| c.id.as_ref() == Some(id))
                .unwrap()]
            .clone())
            .unwrap(),
            "/config/routing/CARD OUT1-8 OUT9-16 CARD1-8 UOUT41-48\n"
        );
        // Dynamics: the console lists a dozen fields; pupitre keeps "on" and skips the rest.
        let dynamics =
            read_line("/ch/01/dyn ON COMP PEAK LOG -20.0 3.0 1 0.00 10 10.0 100 POST 0 100 OFF")
                .unwrap();
        assert_eq!(dynamics.values, vec![Value::Index(1)]);
        assert_eq!(dynamics.skipped, 14);
        assert_eq!(parse_write("ch/01/gate OFF").unwrap().len(), 1);
        // A send's trailing pan-follow field is skipped too; an even send has on and level.
        let send = parse_write("/ch/03/mix/01 ON -6.0 -20 PRE 0").unwrap();
        assert_eq!(
            send[3],
            (ParamId::x32("/ch/03/mix/01/type").unwrap(), Value::Index(3))
        );
        assert_eq!(parse_write("/bus/02/mix/06 ON +0.0").unwrap().len(), 2);
        let eq = parse_write("/ch/01/eq/2 PEQ 1k02 -3.25 2.00").unwrap();
        assert_eq!(eq[0].1, Value::Index(2));
        let hz = format_field(FieldUnit::Hz, ParamKind::EqFreq, &eq[1].1);
        assert!(hz.starts_with("10"), "{hz}");
        assert_eq!(
            format_field(FieldUnit::EqDb, ParamKind::EqGain, &eq[2].1),
            "-3.25"
        );
        let grp = parse_write("/ch/07/grp %00000101 %000010").unwrap();
        assert_eq!(grp[0].1, Value::Index(5));
        assert_eq!(grp[1].1, Value::Index(2));
        assert_eq!(
            format_node("ch/07/grp", |id| if id.path().ends_with("dca") {
                Value::Index(5)
            } else {
                Value::Index(2)
            })
            .unwrap(),
            "/ch/07/grp %00000101 %000010\n"
        );
        // A single parameter as a node.
        assert_eq!(
            format_node("config/routing/routswitch", |_| Value::Index(1)).unwrap(),
            "/config/routing/routswitch PLAY\n"
        );
        assert_eq!(
            format_node("/ch/01/mix/fader", |_| level(767.0 / 1023.0)).unwrap(),
            "/ch/01/mix/fader +0.0\n"
        );
        // Closed nodes still refuse extra fields; bad names say what is expected.
        assert!(matches!(
            read_line("/config/mute ON ON ON ON ON ON ON"),
            Err(NodeError::TooManyFields { max: 6, got: 7, .. })
        ));
        let e = read_line("/config/routing/CARD OUT1-9").unwrap_err();
        assert!(e.to_string().contains("AN1-8"), "{e}");
        assert!(read_line("/outputs/main/01 77").is_err());
        assert!(read_line("/ch/01/eq/1 PEQ 1kk 0 1").is_err());
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
        fn eq_fields_are_exact_round_trips(f in 0u32..=200, g in 0u32..=120, q in 0u32..=71) {
            let band = children("ch/01/eq/1").unwrap();
            for (child, v) in band[1..].iter().zip([
                level(f64::from(f) / 200.0),
                level(f64::from(g) / 120.0),
                level(f64::from(q) / 71.0),
            ]) {
                let text = format_field(child.unit, child.kind, &v);
                prop_assert_eq!(parse_field(child, &text).unwrap(), v, "{}", text);
            }
        }

        #[test]
        fn fine_fader_text_is_exact(k in 0u32..=1023) {
            let child = &children("ch/01/mix").unwrap()[1];
            let v = level(f64::from(k) / 1023.0);
            let text = format_db(child.kind, &v, 2);
            prop_assert_eq!(parse_field(child, &text).unwrap(), v);
        }

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
        fn node_lines_round_trip(node in 0usize..14, seeds in proptest::collection::vec(0u32..5000, 48)) {
            let path = ["ch/03/mix", "ch/03/config", "bus/02/mix", "main/st/mix", "dca/4", "mtx/05/config",
                "ch/03/mix/05", "bus/04/mix/03", "ch/09/eq/2", "bus/09/grp", "outputs/main/07",
                "config/routing/OUT", "config/routing/AES50B", "config/userrout/out"][node];
            let kids = children(path).unwrap();
            let values: HashMap<String, Value> = kids.iter().zip(seeds.iter().cycle())
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
