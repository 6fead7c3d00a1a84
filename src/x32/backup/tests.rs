//! The backup document: sections, JSON round trips, malformed files with positions.

use std::path::Path;

use proptest::prelude::*;

use super::*;

fn sample() -> Backup {
    let mut nodes = BTreeMap::new();
    nodes.insert("/ch/01/config".to_owned(), "\"Deck A\" 0 OFF 0".to_owned());
    nodes.insert("/ch/01/mix".to_owned(), "ON -5.00 ON +0 OFF -oo".to_owned());
    nodes.insert(
        "/config/routing/CARD".to_owned(),
        "OUT9-16 OUT1-8 AN17-24 AN25-32".to_owned(),
    );
    Backup::new(
        ConsoleInfo {
            address: "127.0.0.1:10023".into(),
            name: "pupitre fake X32".into(),
            model: "X32".into(),
            firmware: "4.06".into(),
        },
        vec![Section::Channels, Section::Routing],
        nodes,
    )
}

fn load(text: &str) -> Result<Backup, BackupError> {
    Backup::from_json(text, Path::new("show.json"))
}

#[test]
fn sections_list_the_consoles_nodes() {
    let all = nodes_for(&Section::ALL);
    assert_eq!(all.len(), 1607);
    for path in &all {
        assert!(node::schema(path).is_some(), "{path}");
    }
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "no node twice");
    assert_eq!(
        Section::Channels.nodes()[..3],
        ["/ch/01/config", "/ch/01/grp", "/ch/01/mix"]
    );
    assert!(routing_nodes().contains(&"/main/st/mix/01".to_owned()));
    assert_eq!(
        Section::parse_list("buses, channels,buses").unwrap(),
        vec![Section::Channels, Section::Buses]
    );
    let e = Section::parse_list("channels,faders").unwrap_err();
    assert!(
        e.contains("\"faders\" is not a section; sections are channels"),
        "{e}"
    );
}

#[test]
fn json_round_trips_and_reads_like_a_scene() {
    let b = sample();
    let text = b.to_json();
    assert!(
        text.contains("\"format\": \"pupitre-x32-backup\""),
        "{text}"
    );
    assert!(text.contains("\"version\": 1"), "{text}");
    assert!(
        text.contains("\"/ch/01/mix\": \"ON -5.00 ON +0 OFF -oo\""),
        "{text}"
    );
    assert_eq!(load(&text).unwrap(), b);
    assert_eq!(
        b.nodes.line("/ch/01/config").as_deref(),
        Some("/ch/01/config \"Deck A\" 0 OFF 0")
    );
}

#[test]
fn malformed_files_name_line_column_and_what_was_expected() {
    let text = sample().to_json();
    let cases = [
        (
            text.replace("\"version\": 1", "\"version\": 2"),
            "newer than this pupitre",
        ),
        (
            text.replace("pupitre-x32-backup", "x32-scene"),
            "not a pupitre X32 backup",
        ),
        (
            text.replace("ON -5.00 ON", "ON loud ON"),
            "/ch/01/mix/fader: cannot read \"loud\"",
        ),
        (
            text.replace("/ch/01/mix", "/ch/33/mix"),
            "node /ch/33/mix: unknown node",
        ),
        (
            text.replace("\"sections\"", "\"sectoins\""),
            "unknown field `sectoins`",
        ),
        (
            text.replace("\"routing\"", "\"faders\""),
            "unknown variant `faders`",
        ),
        (
            text.replace("OUT9-16 OUT1-8", "OUT9-17 OUT1-8"),
            "a routing group such as AN1-8",
        ),
        (
            text.replace("\"/ch/01/mix\"", "\"ch/01/mix\""),
            "must start with '/'",
        ),
        (
            text.replace(
                "\"/ch/01/mix\": \"ON -5.00 ON +0 OFF -oo\",",
                "\"/ch/01/mix\": \"ON\", \"/ch/01/mix\": \"OFF\",",
            ),
            "node /ch/01/mix appears twice",
        ),
        (text[..text.len() / 2].to_owned(), "EOF while parsing"),
    ];
    for (bad, needle) in cases {
        let e = load(&bad).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("show.json:"), "{msg}");
        let BackupError::Malformed { line, column, .. } = e else {
            panic!("{msg}")
        };
        assert!(line >= 1 && column >= 1, "{msg}");
        assert!(msg.contains(needle), "{needle:?} not in {msg}");
    }
    // The line points at the bad node.
    let bad = text.replace("ON -5.00 ON", "ON loud ON");
    let e = load(&bad).unwrap_err();
    let BackupError::Malformed { line, .. } = e else {
        panic!()
    };
    assert!(
        bad.lines().nth(line - 1).unwrap().contains("/ch/01/mix"),
        "line {line}"
    );
}

#[test]
fn diff_lists_exactly_the_changed_parameters() {
    let backup = sample().nodes.0;
    let mut live = backup.clone();
    live.insert("/ch/01/mix".into(), "OFF +0.00 ON +0 OFF -oo".into());
    // Same values written differently are no change.
    live.insert(
        "/config/routing/CARD".into(),
        "21 20 AN17-24 AN25-32".into(),
    );
    let d = diff(&backup, &live);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "/ch/01/mix");
    let fields: Vec<(&str, &str, &str)> = d[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.live.as_str(), c.backup.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![("on", "OFF", "ON"), ("fader", "+0.00", "-5.00")]
    );
    assert_eq!(
        d[0].to_string(),
        "/ch/01/mix\n    on     OFF → ON\n    fader  +0.00 → -5.00\n"
    );
}

proptest! {
    #[test]
    fn loading_never_panics(s in ".{0,200}") {
        let _ = load(&s);
    }

    #[test]
    fn mutated_backups_load_or_say_where(i in 0usize..400, c in proptest::char::any()) {
        let text = sample().to_json();
        let mut chars: Vec<char> = text.chars().collect();
        let i = i % chars.len();
        chars[i] = c;
        let mutated: String = chars.into_iter().collect();
        match load(&mutated) {
            Ok(b) => prop_assert_eq!(b.nodes.0.len(), 3),
            Err(BackupError::Malformed { line, column, .. }) => {
                prop_assert!(line >= 1 && column >= 1);
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
