//! The state folder's files: atomic writes, the settings file's round trip and its errors.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::desk::{ParamId, Value};

fn p(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

#[test]
fn settings_round_trip_through_their_file() {
    let settings = Settings::from_desk(vec![
        (p("pupitre:ui/theme"), Value::Index(2)),
        (p("pupitre:ui/language"), Value::Index(1)),
        (p("pupitre:surface/xtouch/bank"), Value::Index(16)),
        // Not settings: left out.
        (p("pupitre:surface/xtouch/connected"), Value::Index(1)),
        (p("x32:/ch/01/mix/fader"), Value::Index(0)),
    ]);
    assert_eq!(settings.values.len(), 3);
    let text = settings.to_toml();
    assert!(text.contains("\"pupitre:ui/theme\" = 2\n"), "{text}");
    let back = Settings::parse(&text, Path::new("settings.toml")).unwrap();
    assert_eq!(back, settings);
    // Byte-stable: the same settings always write the same text.
    assert_eq!(back.to_toml(), text);
}

#[test]
fn a_bad_settings_file_names_the_line_and_column() {
    let path = Path::new("/var/lib/pupitre/settings.toml");
    let cases = [
        (
            "version = 1\n[values]\n\"pupitre:ui/theme\" = 7\n",
            "settings.toml:3:22: pupitre:ui/theme: 7 is past the last choice (2)",
        ),
        (
            "version = 1\n[values]\n\"x32:/ch/01/mix/fader\" = 0.5\n",
            "settings.toml:3:1: x32:/ch/01/mix/fader is not a setting pupitre saves",
        ),
        (
            "version = 1\n[values]\n\"pupitre:ui/colour\" = 1\n",
            "settings.toml:3:1: ",
        ),
        (
            "version = 9\n",
            "settings.toml:1:11: version = 9 is not one this pupitre reads",
        ),
        ("version = 1\n[values\n", "settings.toml:2:"),
    ];
    for (text, expected) in cases {
        let e = Settings::parse(text, path).unwrap_err().to_string();
        assert!(e.contains(expected), "{text:?}: {e}");
        assert!(e.starts_with("/var/lib/pupitre/settings.toml:"), "{e}");
    }
}

/// A desk-state document as the memory writes it, with `n` channel faders at `x`.
fn desk_state(n: u32, x: f64) -> String {
    let values: Vec<(ParamId, Value)> = (1..=n.min(32))
        .flat_map(|c| {
            ["mix/fader", "mix/03/level", "eq/2/g", "mix/pan"].map(|leaf| {
                (
                    p(&format!("x32:/ch/{c:02}/{leaf}")),
                    Value::Level(crate::desk::Normalized::new_clamped(x)),
                )
            })
        })
        .collect();
    let scene = Scene::capture(1, "Desk state", Scope::all(), &values);
    exchange::write(
        &exchange::Bundle {
            settings: vec![],
            scenes: vec![scene],
        },
        exchange::Format::Json,
    )
}

#[test]
fn a_write_interrupted_anywhere_leaves_the_previous_state_file_whole() {
    let dir = tempdir();
    let file = dir.join("desk-state.json");
    let old = desk_state(32, 0.25);
    let new = desk_state(32, 0.75);
    assert!(new.len() > 2 * 4096, "several chunks: {}", new.len());
    write_atomic(&file, old.as_bytes()).unwrap();
    // Every step the write goes through, found by a write that is not interrupted.
    let mut steps = Vec::new();
    write_atomic_watched(&dir.join("probe.json"), new.as_bytes(), |s| {
        steps.push(s);
        Ok(())
    })
    .unwrap();
    assert!(steps.len() >= 5, "{steps:?}");
    for (k, stop_at) in steps.iter().enumerate() {
        // Interrupted as by a power cut: the write stops at this step, nothing cleans up.
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write_atomic_watched(&file, new.as_bytes(), |s| {
                if s == *stop_at {
                    panic!("power cut at {s:?}");
                }
                Ok(())
            })
        }));
        assert!(crashed.is_err(), "step {k} was reached");
        let text = std::fs::read_to_string(&file).unwrap();
        let expected = if *stop_at == WriteStep::Renamed {
            &new
        } else {
            &old
        };
        assert_eq!(&text, expected, "interrupted at {stop_at:?}");
        // And the file reads as a desk state.
        let read = exchange::read(&text, exchange::Format::Json, &file).unwrap();
        assert_eq!(read.scenes[0].values.len(), 128);
        // An error (rather than a crash) at the same step cleans up after itself.
        write_atomic(&file, old.as_bytes()).unwrap();
        let failed = write_atomic_watched(&file, new.as_bytes(), |s| {
            if s == *stop_at && s != WriteStep::Renamed {
                Err(std::io::Error::other("disk full"))
            } else {
                Ok(())
            }
        });
        if *stop_at != WriteStep::Renamed {
            assert!(failed.is_err());
            assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
        }
        write_atomic(&file, old.as_bytes()).unwrap();
    }
    // The crashes left their temporary beside the file, never in its place; the next save
    // (same process, same temporary name) replaces it.
    write_atomic(&file, new.as_bytes()).unwrap();
    let strays: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(strays.len() <= 1, "{strays:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary() {
    let dir = tempdir();
    let file = dir.join("sub/settings.toml");
    write_atomic(&file, b"first").unwrap();
    write_atomic(&file, b"second").unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "second");
    let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("settings.toml")]);
    // A write that cannot happen (the target is a folder) leaves the old file and no temporary.
    std::fs::create_dir_all(dir.join("sub/blocked")).unwrap();
    assert!(write_atomic(&dir.join("sub/blocked"), b"x").is_err());
    let count = std::fs::read_dir(dir.join("sub")).unwrap().count();
    assert_eq!(count, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_broken_file_is_set_aside_not_overwritten() {
    let dir = tempdir();
    let file = dir.join("settings.toml");
    std::fs::write(&file, "version = [").unwrap();
    assert!(Settings::load(&file).is_err());
    let aside = set_aside(&file).unwrap();
    assert_eq!(std::fs::read_to_string(&aside).unwrap(), "version = [");
    assert_eq!(Settings::load(&file).unwrap(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_state_folder_is_systemds_then_xdgs() {
    let config = crate::config::StateConfig::Dir("/srv/pupitre".into());
    assert_eq!(
        StateDir::from_config(&config).unwrap().settings_file(),
        Path::new("/srv/pupitre/settings.toml")
    );
    assert_eq!(
        StateDir::new("/a").join("demo").path(),
        Path::new("/a/demo")
    );
    assert_eq!(
        StateDir::from_config(&crate::config::StateConfig::Nowhere),
        None
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pupitre-state-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

proptest! {
    /// Whatever the file holds, reading it returns settings or an error naming a place in it;
    /// it never panics.
    #[test]
    fn any_settings_text_is_read_or_refused_with_a_place(text in "\\PC{0,200}") {
        if let Err(e) = Settings::parse(&text, Path::new("s.toml")) {
            prop_assert!(e.to_string().starts_with("s.toml:"), "{}", e);
        }
    }

    /// Settings-shaped text with any numbers: never a panic, and what is accepted writes back
    /// the same.
    #[test]
    fn settings_shaped_text_round_trips(theme in -3i64..10, bank in -5i64..400, level in -1.0f64..2.0) {
        let text = format!(
            "version = 1\n[values]\n\"pupitre:ui/theme\" = {theme}\n\"pupitre:surface/a/bank\" = {bank}\n\"pupitre:ui/density\" = {level:?}\n"
        );
        if let Ok(s) = Settings::parse(&text, Path::new("s.toml")) {
            let again = Settings::parse(&s.to_toml(), Path::new("s.toml")).unwrap();
            prop_assert_eq!(again, s);
        }
    }
}
