//! Turns `toml`'s own errors (syntax, wrong types, unknown or missing keys) into sentences that
//! name the key and its table. serde's wording ("invalid type: integer `5`, expected a string")
//! names neither, so the file is parsed again into a spanned tree and the error's span looked up
//! in it to find which key it belongs to and what was really written there.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// The place and the sentence for one `toml` error.
pub fn describe(text: &str, err: &toml::de::Error) -> (Range<usize>, String) {
    let span = err.span().unwrap_or(0..0);
    let message = err.message();
    let nodes = match DeTable::parse(text) {
        Ok(root) => {
            let mut nodes = Vec::new();
            walk_table(root.get_ref(), &mut Vec::new(), &mut nodes);
            nodes
        }
        // The text itself is not TOML: nothing to look up.
        Err(_) => return (span.clone(), syntax(text, &span, message)),
    };
    let sentence = if let Some(rest) = message.strip_prefix("unknown field `") {
        unknown_key(&nodes, &span, rest)
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        // A key missing from the document itself comes with an empty span at 0 (or one over
        // the whole text).
        let whole = span.start == 0 && (span.end == 0 || span.end >= text.trim_end().len());
        match by_value(&nodes, &span).filter(|_| !whole) {
            Some(n) => format!("missing key \"{key}\" in {}", table_name(&n.path)),
            None => format!("missing key \"{key}\" at the top level"),
        }
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.rsplit_once(", expected ").map_or("", |(_, e)| e);
        wrong_type(&nodes, &span, expected)
    } else if message == "wanted string or table" {
        wrong_type(&nodes, &span, "a string")
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let node = by_value(&nodes, &span);
        let raw = source_text(text, &span);
        match (node, rest.rsplit_once(", expected ")) {
            (Some(n), Some((_, "u16"))) => {
                format!(
                    "{} = {raw} is out of range; expected 0 to 65535",
                    key_name(&n.path)
                )
            }
            (Some(n), _) => format!(
                "{} = {raw} is not valid: {}",
                key_name(&n.path),
                unquote(rest)
            ),
            (None, _) => unquote(message),
        }
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let key = by_value(&nodes, &span).map_or_else(|| "value".into(), |n| key_name(&n.path));
        format!("unknown {key} \"{value}\"; {}", expected_list(expected))
    } else {
        unquote(message)
    };
    (span, sentence)
}

/// A syntax error: the first one stops the parser, so it is the only one reported.
fn syntax(text: &str, span: &Range<usize>, message: &str) -> String {
    if message == "duplicate key" {
        let before = text.get(..span.start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = text
            .get(line_start..)
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .trim();
        if line.starts_with('[') {
            return format!("{line} appears twice; merge the two tables into one");
        }
        return format!(
            "key \"{}\" is set twice in the same table; keep one",
            source_text(text, span)
        );
    }
    format!("syntax error: {}", unquote(message))
}

fn unknown_key(nodes: &[Node], span: &Range<usize>, rest: &str) -> String {
    let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
    let place = nodes
        .iter()
        .filter(|n| n.key_span == *span)
        .max_by_key(|n| n.path.len())
        .map_or_else(
            || "in this table".to_owned(),
            |n| match n.path.split_last() {
                Some((_, [])) | None => "at the top level".to_owned(),
                Some((_, parent)) => format!("in {}", table_name(parent)),
            },
        );
    let expected = expected_list(expected);
    if expected.is_empty() {
        format!("unknown key \"{key}\" {place}")
    } else {
        format!("unknown key \"{key}\" {place}; {expected}")
    }
}

fn wrong_type(nodes: &[Node], span: &Range<usize>, expected: &str) -> String {
    let expected = match expected {
        "a string" | "string or table" => "a string".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "f64" | "f32" => "a number".to_owned(),
        "u16" => "a whole number from 0 to 65535".to_owned(),
        "a sequence" => "an array".to_owned(),
        e if e.starts_with("struct ") || e == "a map" => "a table".to_owned(),
        e => unquote(e),
    };
    match by_value(nodes, span) {
        Some(n) => format!(
            "expected {expected} for {}, found {}",
            value_name(&n.path),
            with_article(n.kind)
        ),
        None => format!("expected {expected}"),
    }
}

/// "expected one of `a`, `b`" → "expected one of a, b"; "expected `a`" → "expected a".
fn expected_list(serde_tail: &str) -> String {
    let names: Vec<&str> = serde_tail.split('`').skip(1).step_by(2).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("expected {one}"),
        many => format!("expected one of {}", many.join(", ")),
    }
}

/// serde and toml quote with backticks; messages quote with `"` (or `'` around a `"`).
fn unquote(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| match (i % 2, part.contains('"')) {
            (0, _) => part.to_owned(),
            (_, false) => format!("\"{part}\""),
            (_, true) => format!("'{part}'"),
        })
        .collect()
}

fn source_text<'t>(text: &'t str, span: &Range<usize>) -> &'t str {
    text.get(span.clone()).unwrap_or("").trim()
}

fn with_article(kind: &str) -> String {
    match kind {
        "integer" | "array" => format!("an {kind}"),
        "datetime" => "a date".to_owned(),
        k => format!("a {k}"),
    }
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index,
}

/// One key or array entry of the file, with where its key and value are written.
struct Node {
    path: Vec<Seg>,
    key_span: Range<usize>,
    value_span: Range<usize>,
    kind: &'static str,
}

fn walk_table(table: &DeTable<'_>, path: &mut Vec<Seg>, out: &mut Vec<Node>) {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        walk_value(key.span(), value, path, out);
        path.pop();
    }
}

fn walk_value(
    key_span: Range<usize>,
    value: &toml::Spanned<DeValue<'_>>,
    path: &mut Vec<Seg>,
    out: &mut Vec<Node>,
) {
    out.push(Node {
        path: path.clone(),
        key_span: key_span.clone(),
        value_span: value.span(),
        kind: value.get_ref().type_str(),
    });
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, path, out),
        DeValue::Array(items) => {
            for item in items.iter() {
                path.push(Seg::Index);
                walk_value(key_span.clone(), item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The value written exactly at `span` (the deepest one, as implicit tables share spans), else
/// the smallest one around it.
fn by_value<'n>(nodes: &'n [Node], span: &Range<usize>) -> Option<&'n Node> {
    nodes
        .iter()
        .filter(|n| n.value_span == *span)
        .max_by_key(|n| n.path.len())
        .or_else(|| {
            nodes
                .iter()
                .filter(|n| n.value_span.start <= span.start && span.end <= n.value_span.end)
                .min_by_key(|n| n.value_span.len())
        })
}

/// `[mixers.x32]`, `[[surfaces]]`, or "the top level".
fn table_name(path: &[Seg]) -> String {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index => None,
        })
        .collect();
    match path.last() {
        None => "the top level".to_owned(),
        Some(Seg::Index) => format!("[[{}]]", keys.join(".")),
        Some(Seg::Key(_)) => format!("[{}]", keys.join(".")),
    }
}

/// The key a value was written under, bare: `address`.
fn key_name(path: &[Seg]) -> String {
    path.iter()
        .rev()
        .find_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index => None,
        })
        .unwrap_or_else(|| "value".to_owned())
}

/// `"address"`, or `each entry of "strips"`.
fn value_name(path: &[Seg]) -> String {
    match path.last() {
        Some(Seg::Index) => format!("each entry of \"{}\"", key_name(path)),
        _ => format!("\"{}\"", key_name(path)),
    }
}
