use std::path::Path;

use proptest::prelude::*;

use super::*;

fn id(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

fn sample() -> Bundle {
    Bundle {
        settings: vec![
            (id("pupitre:ui/theme"), SavedValue::Index(1)),
            (id("pupitre:surface/xtouch/bank"), SavedValue::Index(16)),
        ],
        scenes: vec![
            Scene {
                slot: 2,
                name: "Sermon <quiet> & \"soft\"".into(),
                scope: Scope::new(&["eq", "x32:/ch/01"]).unwrap(),
                saved: "2026-11-22T10:00:00Z".into(),
                values: vec![
                    (
                        id("x32:/ch/01/mix/fader"),
                        SavedValue::Position(767.0 / 1023.0),
                    ),
                    (
                        id("x32:/ch/01/config/name"),
                        SavedValue::Text("Pastor \"J\" <1>".into()),
                    ),
                    (id("x32:/ch/01/mix/on"), SavedValue::Index(1)),
                    (id("camilla:filter/peq1/gain"), SavedValue::Native(-3.5)),
                    (id("camilla:ch/0/bass"), SavedValue::Position(0.5)),
                ],
            },
            Scene {
                slot: 1,
                name: "Empty".into(),
                scope: Scope::all(),
                saved: String::new(),
                values: vec![],
            },
        ],
    }
}

fn read_str(text: &str, format: Format) -> Result<Bundle, FileError> {
    read(text, format, Path::new("show.json"))
}

#[test]
fn json_and_xml_round_trips_are_byte_stable() {
    for format in [Format::Json, Format::Xml] {
        let first = write(&sample(), format);
        let back = read_str(&first, format).unwrap();
        let mut expected = sample();
        expected.normalize();
        assert_eq!(back, expected, "{format:?}");
        assert_eq!(write(&back, format), first, "{format:?}");
    }
    // Across the two syntaxes too.
    let json = write(&sample(), Format::Json);
    let via_xml = read_str(
        &write(&read_str(&json, Format::Json).unwrap(), Format::Xml),
        Format::Xml,
    )
    .unwrap();
    assert_eq!(write(&via_xml, Format::Json), json);
}

#[test]
fn the_documents_read_as_documented() {
    let json = write(&sample(), Format::Json);
    assert!(
        json.starts_with("{\n  \"format\": \"pupitre-desk\",\n  \"version\": 1,\n"),
        "{json}"
    );
    assert!(json.contains(r#"{"param": "x32:/ch/01/mix/fader", "position": 0.7497556207233627, "shown": "+0.0 dB"}"#), "{json}");
    assert!(json.contains(r#""scope": ["eq", "x32:/ch/01"]"#), "{json}");
    let xml = write(&sample(), Format::Xml);
    assert!(
        xml.contains(r#"<value param="camilla:filter/peq1/gain" native="-3.5""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"name="Sermon &lt;quiet&gt; &amp; &quot;soft&quot;""#),
        "{xml}"
    );
}

fn first_problem(text: &str, format: Format) -> String {
    match read_str(text, format) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_json_names_the_line_and_column() {
    let good = write(&sample(), Format::Json);
    // An unknown parameter on the fader's line.
    let line = good
        .lines()
        .position(|l| l.contains("x32:/ch/01/mix/fader"))
        .unwrap()
        + 1;
    let bad = good.replace("x32:/ch/01/mix/fader", "x32:/ch/33/mix/fader");
    let e = first_problem(&bad, Format::Json);
    assert!(e.starts_with(&format!("show.json:{line}:")), "{e}");
    assert!(e.contains("channels are 01–32"), "{e}");
    // A position past the end of the travel.
    let e = first_problem(
        &good.replace("\"position\": 0.5", "\"position\": 1.5"),
        Format::Json,
    );
    assert!(e.contains("position 1.5 is not within 0…1"), "{e}");
    // Two values for one parameter.
    let e = first_problem(
        &good.replace(
            "\"index\": 1, \"shown\": \"ON\"",
            "\"index\": 1, \"position\": 0.1",
        ),
        Format::Json,
    );
    assert!(e.contains("exactly one of"), "{e}");
    let e = first_problem(
        &good.replace("\"version\": 1", "\"version\": 7"),
        Format::Json,
    );
    assert!(e.starts_with("show.json:3:"), "{e}");
    assert!(e.contains("version 7"), "{e}");
    let e = first_problem(&good.replace("\"slot\": 1,", "\"slot\": 2,"), Format::Json);
    assert!(e.contains("slot 2 holds two scenes"), "{e}");
    let e = first_problem(
        "{\"format\": \"pupitre-desk\", \"version\": 1, \"scenes\": [",
        Format::Json,
    );
    assert!(e.starts_with("show.json:1:"), "{e}");
    let e = first_problem(
        &good.replace("\"slot\": 2", "\"slot\": 2, \"colour\": 3"),
        Format::Json,
    );
    assert!(e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn malformed_xml_names_the_line_and_column_of_every_problem() {
    let good = write(&sample(), Format::Xml);
    let line = good
        .lines()
        .position(|l| l.contains("x32:/ch/01/mix/fader"))
        .unwrap()
        + 1;
    let bad = good
        .replace("x32:/ch/01/mix/fader", "x32:/ch/33/mix/fader")
        .replace("index=\"16\"", "index=\"-2\"");
    let e = first_problem(&bad, Format::Xml);
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(
        e.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("show.json:{line}:7: ")),
        "{e}"
    );
    assert!(e.contains("index=\"-2\" is not a whole number"), "{e}");
    let e = first_problem(&good.replace("</scenes>", ""), Format::Xml);
    assert!(
        e.contains("not well-formed XML") || e.contains("ends before"),
        "{e}"
    );
    let e = first_problem(
        &good.replace("<settings>", "<settings><colour/>"),
        Format::Xml,
    );
    assert!(e.contains("unexpected <colour>; expected <value>"), "{e}");
    let e = first_problem(
        &good.replace("version=\"1\">", "version=\"2\">"),
        Format::Xml,
    );
    assert!(e.starts_with("show.json:2:1: version 2"), "{e}");
    let e = first_problem(&good.replace("slot=\"2\"", "slot=\"100\""), Format::Xml);
    assert!(e.contains("scene slot 100 is not within 1…99"), "{e}");
    let e = first_problem(&good.replace("<scope pattern=\"eq\"/>", ""), Format::Xml);
    assert!(e.contains("is outside its scope"), "{e}");
}

fn saved_value() -> impl Strategy<Value = (ParamId, SavedValue)> {
    prop_oneof![
        (1u32..=32, 0u32..=1023).prop_map(|(c, k)| (
            id(&format!("x32:/ch/{c:02}/mix/fader")),
            SavedValue::Position(f64::from(k) / 1023.0)
        )),
        (1u32..=16, 0u32..=1).prop_map(|(b, on)| (
            id(&format!("x32:/bus/{b:02}/mix/on")),
            SavedValue::Index(on)
        )),
        (1u32..=8, "[ -~éà<>&\"']{0,12}").prop_map(|(c, name)| (
            id(&format!("x32:/auxin/{c:02}/config/name")),
            SavedValue::Text(name.into())
        )),
        (0u32..=7, -100.0f64..20.0).prop_map(|(c, db)| (
            id(&format!("camilla:filter/f{c}/gain")),
            SavedValue::Native(db)
        )),
    ]
}

fn bundle() -> impl Strategy<Value = Bundle> {
    let scene = (
        1u32..=99,
        "[A-Za-z0-9 <&é]{1,20}",
        proptest::collection::vec(saved_value(), 0..12),
    );
    (proptest::collection::vec(scene, 0..4), 0u32..3).prop_map(|(scenes, theme)| {
        let mut used = std::collections::HashSet::new();
        let scenes = scenes
            .into_iter()
            .filter(|(slot, _, _)| used.insert(*slot))
            .map(|(slot, name, mut values)| {
                values.sort_by(|a, b| a.0.cmp(&b.0));
                values.dedup_by(|a, b| a.0 == b.0);
                Scene {
                    slot,
                    name: name.trim().to_owned().chars().chain("x".chars()).collect(),
                    scope: Scope::all(),
                    saved: "2026-01-01T00:00:00Z".into(),
                    values,
                }
            })
            .collect();
        Bundle {
            settings: vec![(id("pupitre:ui/theme"), SavedValue::Index(theme))],
            scenes,
        }
    })
}

proptest! {
    #[test]
    fn any_bundle_round_trips_in_both_syntaxes(b in bundle()) {
        for format in [Format::Json, Format::Xml] {
            let text = write(&b, format);
            let back = read_str(&text, format).unwrap();
            prop_assert_eq!(write(&back, format), text);
        }
    }

    #[test]
    fn reading_never_panics(s in ".{0,200}") {
        let _ = read_str(&s, Format::Json);
        let _ = read_str(&s, Format::Xml);
    }

    #[test]
    fn reading_a_damaged_document_never_panics(cut in 0usize..2000, junk in "[<>\"{}\\[\\],:/a-z0-9 ]{0,6}") {
        for format in [Format::Json, Format::Xml] {
            let text = write(&sample(), format);
            let at = cut.min(text.len());
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let damaged = format!("{}{junk}{}", &text[..at], &text[at..]);
            let _ = read_str(&damaged, format);
        }
    }
}
