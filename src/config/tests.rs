//! Config tests: broken fixtures against their expected text, the example file, defaults, and
//! a fuzz test that parsing never panics.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Messages with the checkout's location removed, so expectations hold on any machine.
fn normalised(err: &ConfigError) -> String {
    let prefix = format!("{}/", manifest_dir().display());
    err.to_string().replace(&prefix, "")
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("pupitre.toml"))
}

fn errors(text: &str) -> String {
    match parse(text) {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_fixtures_give_their_expected_errors() {
    let dir = manifest_dir().join("tests/fixtures/config");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let actual = match Config::load(&path) {
            Ok(c) => format!("loaded without error: {c:?}"),
            Err(e) => normalised(&e),
        };
        if actual.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{}\n--- expected\n{}\n--- actual\n{actual}",
                path.display(),
                expected.trim_end()
            ));
        }
        checked += 1;
    }
    assert!(
        checked >= 6,
        "only {checked} fixtures found in {}",
        dir.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_example_file_loads_with_the_defaults() {
    let config = Config::load(&manifest_dir().join("pupitre.example.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let x32 = config.x32.as_ref().expect("the example configures an X32");
    assert_eq!(x32.address, "192.168.1.62:10023");
    assert_eq!(x32.local_port, 0);
    assert!(x32.meters);
    // The example spells out the default strips; leaving them out must give the same.
    let bare = parse("[mixers.x32]\naddress = \"192.168.1.62\"\n").unwrap();
    assert_eq!(bare.x32.as_ref().unwrap().strips, x32.strips);
    assert_eq!(bare, config);
    assert_eq!(config.stabilizer, StabilizerConfig::default());
    assert_eq!(config.ui, UiConfig::default());
    assert_eq!(config.log, LogConfig::default());
    assert!(config.camilla.is_none());
    assert!(config.surfaces.is_empty());
}

#[test]
fn a_missing_file_names_the_path_and_the_way_out() {
    let path = manifest_dir().join("tests/fixtures/config/no-such-file.toml");
    let err = Config::load(&path).unwrap_err();
    assert!(err.io_error().is_some());
    let text = normalised(&err);
    assert!(
        text.starts_with("tests/fixtures/config/no-such-file.toml: cannot read the config file: "),
        "{text}"
    );
    assert!(
        text.ends_with(
            "copy pupitre.example.toml to tests/fixtures/config/no-such-file.toml and edit it"
        ),
        "{text}"
    );
}

#[test]
fn a_full_file_gives_the_model() {
    let dir = manifest_dir().join("tests/fixtures/config");
    let text = r#"
[mixers.x32]
address = "x32.local:10024"
local_port = 10500
meters = false
strips = ["dca/1-2", "main/st", "dca/2", "ch/03"]
readback = "mixer"

[mixers.camilla]
url = "wss://pi.local:1234/"

[[surfaces]]
name = "xtouch"
mapping = "mappings/xtouch.toml"
enabled = false

[stabilizer]
enabled = true
source = "bus/12"
target_lufs = -23
profile = "music"
mode = "pid"
max_boost_db = 0
max_cut_db = 40
resume_after_s = 30
meter_position = "pre"
loop_delay_ms = 150
up_db_per_s = 2
down_db_per_s = 8
emergency_db_per_s = 20
window_db = 1.5
kp = 0.2
ki = 0.5
kd = 0.05

[ui]
language = "fr"
theme = "high-contrast"
density = "large"
follow_bank = "none"
headless = true

[state]
dir = "state"

[log]
level = "debug"
"#;
    let config = Config::parse(text, &dir.join("pupitre.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config,
        Config {
            x32: Some(X32Config {
                address: "x32.local:10024".into(),
                local_port: 10500,
                meters: false,
                strips: vec![
                    Strip::Dca(1),
                    Strip::Dca(2),
                    Strip::MainStereo,
                    Strip::Channel(3)
                ],
            }),
            camilla: Some(CamillaConfig {
                url: "wss://pi.local:1234/".into(),
                channels: 2,
                aux_faders: 0,
                config: None,
                crossfader: false,
                group_tone: false,
            }),
            surfaces: vec![SurfaceConfig {
                name: "xtouch".into(),
                mapping: dir.join("mappings/xtouch.toml"),
                enabled: false,
            }],
            stabilizer: StabilizerConfig {
                enabled: true,
                source: Strip::Bus(12),
                target_lufs: -23.0,
                profile: Profile::Music,
                mode: StabilizerMode::Pid,
                max_boost_db: 0.0,
                max_cut_db: 40.0,
                resume_after_s: 30.0,
                meter_position: crate::stabilizer::MeterPosition::Pre,
                loop_delay_ms: 150.0,
                rates: crate::stabilizer::RateOverrides {
                    up_db_s: Some(2.0),
                    down_db_s: Some(8.0),
                    emergency_db_s: Some(20.0),
                    window_db: Some(1.5),
                },
                pid: crate::stabilizer::PidGains {
                    kp: 0.2,
                    ki: 0.5,
                    kd: 0.05,
                },
            },
            ui: UiConfig {
                language: Language::Fr,
                theme: Theme::HighContrast,
                density: Density::Large,
                follow_bank: FollowBank::None,
                headless: true,
            },
            state: StateConfig::Dir(dir.join("state")),
            restore: RestoreConfig {
                x32: false,
                camilla: true
            },
            web: None,
            log: LogConfig {
                level: LogLevel::Debug
            },
        }
    );
    assert_eq!(config.log.filter(), "warn,pupitre=debug");
}

#[test]
fn camilla_alone_is_enough() {
    let config = parse("[mixers.camilla]\nurl = \"ws://127.0.0.1:1234\"\n").unwrap();
    assert!(config.x32.is_none());
    // Main volume and mute, then gain, mute, solo, bass and treble of the 2 default channels.
    let params: Vec<String> = config.params().iter().map(|p| p.to_string()).collect();
    assert_eq!(params.len(), 2 + 2 * 5, "{params:?}");
    assert!(params.contains(&"camilla:ch/1/treble".to_string()));
    let more =
        parse("[mixers.camilla]\nurl = \"ws://127.0.0.1:1234\"\nchannels = 4\naux_faders = 2\n")
            .unwrap();
    assert_eq!(more.params().len(), 2 + 2 * 2 + 4 * 5);
    let bad =
        parse("[mixers.camilla]\nurl = \"ws://127.0.0.1:1234\"\naux_faders = 5\n").unwrap_err();
    assert!(
        bad.to_string()
            .contains("aux_faders = 5 is out of range; expected 0 to 4"),
        "{bad}"
    );
}

#[test]
fn type_errors_name_the_key_and_what_was_found() {
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\nlocal_port = 70000\n"),
        "pupitre.toml:3:14: local_port = 70000 is out of range; expected 0 to 65535"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\nstrips = [1]\n"),
        "pupitre.toml:3:11: expected a string for each entry of \"strips\", found an integer"
    );
    assert_eq!(
        errors("mixers = 3\n"),
        "pupitre.toml:1:10: expected a table for \"mixers\", found an integer"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\n[stabilizer]\nprofile = 3\n"),
        "pupitre.toml:4:11: expected a string for \"profile\", found an integer"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\n[stabilizer]\nmax_cut_db = \"12\"\n"),
        "pupitre.toml:4:14: expected a number for \"max_cut_db\", found a string"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\n[[surfaces]]\nname = \"a\"\n"),
        "pupitre.toml:3:1: missing key \"mapping\" in [[surfaces]]"
    );
    assert_eq!(
        errors("[mixers.x33]\naddress = \"a\"\n"),
        "pupitre.toml:1:9: unknown key \"x33\" in [mixers]; expected one of x32, camilla"
    );
    assert_eq!(
        errors("mixer.x32.address = \"a\"\n"),
        "pupitre.toml:1:1: unknown key \"mixer\" at the top level; expected one of mixers, \
         surfaces, stabilizer, ui, state, web, log"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\nreadback = \"desk\"\n"),
        "pupitre.toml:3:12: unknown readback \"desk\"; expected mixer"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\n[stabilizer]\ntarget_lufs = nan\n"),
        "pupitre.toml:4:15: target_lufs = NaN is out of range; expected -40.0 to -5.0 LUFS"
    );
}

#[test]
fn semantic_errors() {
    assert_eq!(
        errors("[mixers.camilla]\nurl = \"ws://\"\n[stabilizer]\nenabled = true\n"),
        "pupitre.toml:2:7: url = \"ws://\" has no host; e.g. \"ws://127.0.0.1:1234\"\n\
         pupitre.toml:4:11: the stabilizer rides an X32 fader, but no [mixers.x32] is \
         configured; add one or set enabled = false"
    );
    assert_eq!(
        errors("[mixers]\n"),
        "pupitre.toml:1:1: no mixer configured; add [mixers.x32] with an address, or \
         [mixers.camilla] with a url (see pupitre.example.toml)"
    );
    assert_eq!(
        errors("[mixers.x32]\naddress = \"a\"\n[stabilizer]\nsource = \"bus/01-04\"\n"),
        "pupitre.toml:4:10: source = \"bus/01-04\" names 4 strips; the stabilizer rides one \
         bus, matrix or main: bus/NN, mtx/NN, main/st or main/m"
    );
    assert_eq!(
        errors(
            "[mixers.x32]\naddress = \"a\"\n[ui]\nfollow_bank = \"xtouch\"\n[state]\ndir = \"\"\n"
        ),
        "pupitre.toml:4:15: follow_bank = \"xtouch\" is not an enabled surface; expected \
         \"auto\", \"none\" or a surface name (no enabled [[surfaces]])\n\
         pupitre.toml:6:7: dir is empty; expected a folder like \"/var/lib/pupitre\" (or leave \
         it out)"
    );
}

#[test]
fn the_config_gives_the_screen_settings_their_first_values() {
    let config = parse(
        "[mixers.x32]\naddress = \"a\"\n[ui]\nlanguage = \"fr\"\ntheme = \"light\"\ndensity = \"compact\"\n",
    )
    .unwrap();
    let values: Vec<(String, Value)> = config
        .initial_values()
        .into_iter()
        .map(|(p, v)| (p.to_string(), v))
        .collect();
    assert_eq!(
        values,
        vec![
            ("pupitre:ui/language".to_string(), Value::Index(1)),
            ("pupitre:ui/theme".to_string(), Value::Index(1)),
            ("pupitre:ui/density".to_string(), Value::Index(0)),
        ]
    );
}

#[test]
fn demo_config_and_its_params() {
    let config = Config::demo("127.0.0.1:10023".parse().unwrap());
    let x32 = config.x32.as_ref().unwrap();
    assert_eq!(x32.address, "127.0.0.1:10023");
    assert!(x32.meters);
    assert_eq!(x32.strips.len(), 16 + 8 + 6 + 1 + 8);
    assert!(config.ui.headless);
    assert!(!config.stabilizer.enabled);
    assert_eq!(config.stabilizer.source, Strip::Matrix(1));
    let params = config.params();
    // Channels, buses and main have a pan; matrices and DCAs do not.
    assert_eq!(params.len(), (16 + 8 + 1) * 5 + (6 + 8) * 4);
    let unique: std::collections::HashSet<_> = params.iter().collect();
    assert_eq!(unique.len(), params.len());
    assert!(params.contains(&ParamId::parse("x32:/dca/8/fader").unwrap()));
}

#[test]
fn the_stabilizer_source_fader_is_known_even_off_screen() {
    let config = parse(
        "[mixers.x32]\naddress = \"a\"\nstrips = [\"ch/01\"]\n[stabilizer]\nsource = \"main/m\"\n",
    )
    .unwrap();
    let params = config.params();
    assert_eq!(params.len(), 5 + 1);
    assert_eq!(params.last().unwrap().to_string(), "x32:/main/m/mix/fader");
}

#[test]
fn syntax_errors_read_well() {
    assert_eq!(
        errors("x = \"abc\n"),
        "pupitre.toml:1:9: syntax error: invalid basic string, expected '\"'"
    );
    assert_eq!(
        errors("a = [1,\n"),
        "pupitre.toml:1:8: syntax error: unclosed array, expected \"]\""
    );
    assert_eq!(
        errors("a.b = 1\na = 2\n"),
        "pupitre.toml:2:1: key \"a\" is set twice in the same table; keep one"
    );
}

#[test]
fn log_filters() {
    let filter = |level| LogConfig { level }.filter();
    assert_eq!(filter(LogLevel::Error), "error");
    assert_eq!(filter(LogLevel::Warn), "warn");
    assert_eq!(filter(LogLevel::Info), "warn,pupitre=info");
    assert_eq!(filter(LogLevel::Trace), "warn,pupitre=trace");
}

/// Applies edits (insert, delete or replace one character) at positions chosen by `Index`.
fn mutate(text: &str, edits: &[(prop::sample::Index, u8, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, op, c) in edits {
        let i = at.index(chars.len() + 1);
        match op % 3 {
            0 => chars.insert(i, *c),
            1 if i < chars.len() => {
                chars.remove(i);
            }
            _ if i < chars.len() => chars[i] = *c,
            _ => chars.push(*c),
        }
    }
    chars.into_iter().collect()
}

fn toml_ish_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '[', ']', '=', '"', '\'', '\n', '#', ',', '.', '{', '}', '-', ' ', '0', '1', 'a', 'x',
            '_', '/', ':', 'é'
        ]),
        any::<char>(),
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_toml_like_text(text in "[\\[\\]=\"'\n#,.{}a-z0-9_/: -]{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_a_mutated_example(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), toml_ish_char()), 1..12)
    ) {
        let example = include_str!("../../pupitre.example.toml");
        let text = mutate(example, &edits);
        if let Err(e) = parse(&text) {
            // Every problem is placed inside the text.
            let lines = text.split('\n').count();
            for d in e.diagnostics() {
                prop_assert!(d.line >= 1 && d.line <= lines, "{e}");
                prop_assert!(d.column >= 1, "{e}");
            }
            prop_assert!(!e.diagnostics().is_empty());
        }
    }
}
