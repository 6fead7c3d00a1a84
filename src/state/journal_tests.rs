//! The journal: folding, read-back summaries, rotation, torn lines, filters and following.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use tokio::time::Instant;

use super::journal::{keep_journal_sized, Folder, RotatingFile};
use super::*;
use crate::desk::{
    Change, Desk, Intent, MixerId, Normalized, Op, Origin, ParamId, ParamKind, Value,
};
use crate::midi::NamePattern;

fn p(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

fn level(x: f64) -> Value {
    Value::Level(Normalized::new_clamped(x))
}

fn xtouch() -> Origin {
    Origin::Surface(Arc::from("xtouch"))
}

fn change(param: &str, previous: Value, value: Value, origin: Origin, seq: u64) -> Change {
    Change {
        param: p(param),
        value,
        previous,
        origin,
        seq,
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_795_000_000_000 + ms).unwrap()
}

/// A fresh folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "pupitre-journal-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entry(ms: i64, origin: &str, param: &str) -> JournalEntry {
    JournalEntry {
        time: at(ms),
        seq: ms as u64,
        origin: origin.into(),
        param: param.into(),
        old: "-inf dB".into(),
        new: "+0.0 dB".into(),
        old_raw: Some(RawValue::Level(0.0)),
        new_raw: Some(RawValue::Level(0.75)),
        count: 1,
        ms: 0,
        kind: EntryKind::Change,
    }
}

#[test]
fn a_fader_ride_folds_into_one_entry_with_the_first_old_and_the_last_new() {
    let mut folder = Folder::default();
    let mut out = Vec::new();
    let t0 = Instant::now();
    let fader = "x32:/ch/01/mix/fader";
    let kind = p(fader).kind();
    let values: Vec<f64> = (0..=14).map(|i| 0.3 + 0.03 * f64::from(i)).collect();
    for (i, w) in values.windows(2).enumerate() {
        let c = change(fader, level(w[0]), level(w[1]), xtouch(), i as u64 + 1);
        let t = t0 + Duration::from_millis(100 * i as u64);
        folder.push(&c, t, at(100 * i as i64), &mut out);
    }
    assert!(out.is_empty(), "nothing closes while the ride goes on");
    let last = t0 + Duration::from_millis(1300);
    assert_eq!(folder.due(), Some(last + FOLD_GAP));
    folder.close_due(last + Duration::from_millis(999), &mut out);
    assert!(out.is_empty());
    folder.close_due(last + FOLD_GAP, &mut out);
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!(e.count, 14);
    assert_eq!(e.origin, "surface:xtouch");
    assert_eq!(e.param, fader);
    assert_eq!(e.old, kind.display(&level(0.3)));
    assert_eq!(e.new, kind.display(&level(values[14])));
    assert_eq!(e.old_raw, Some(RawValue::Level(0.3)));
    assert_eq!(e.seq, 14);
    assert_eq!(e.time, at(1300));
    assert_eq!(e.ms, 1300);
    assert_eq!(folder.due(), None);
    assert!(e.describe().ends_with("  (×14)"), "{}", e.describe());
    assert!(e.describe().contains(" → "), "{}", e.describe());
}

#[test]
fn folding_is_per_parameter_and_origin_with_a_gap_and_a_span() {
    let mut folder = Folder::default();
    let mut out = Vec::new();
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let (a, b) = ("x32:/ch/01/mix/fader", "x32:/ch/02/mix/fader");
    // Two hands on two faders, interleaved, and the screen on the first: three entries.
    for i in 0..6u64 {
        let x = 0.1 * i as f64;
        folder.push(
            &change(a, level(x), level(x + 0.1), xtouch(), 3 * i + 1),
            ms(50 * i),
            at(0),
            &mut out,
        );
        folder.push(
            &change(b, level(x), level(x + 0.1), xtouch(), 3 * i + 2),
            ms(50 * i),
            at(0),
            &mut out,
        );
        folder.push(
            &change(a, level(x), level(x + 0.1), Origin::Ui, 3 * i + 3),
            ms(50 * i),
            at(0),
            &mut out,
        );
    }
    folder.close_all(&mut out);
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|e| e.count == 6));

    // A pause of a second starts a new entry.
    out.clear();
    folder.push(
        &change(a, level(0.1), level(0.2), xtouch(), 1),
        ms(0),
        at(0),
        &mut out,
    );
    folder.push(
        &change(a, level(0.2), level(0.3), xtouch(), 2),
        ms(1000),
        at(1000),
        &mut out,
    );
    assert_eq!(
        out.len(),
        1,
        "the first closes when the second comes after the gap"
    );
    assert_eq!(
        out[0].new_raw,
        Some(RawValue::Level(Normalized::new_clamped(0.2).get()))
    );

    // The stabilizer riding non-stop: one entry per FOLD_SPAN, not one for the evening.
    out.clear();
    let mut folder = Folder::default();
    let fader = "x32:/mtx/01/mix/fader";
    let steps = 3 * FOLD_SPAN.as_millis() as u64 / 200;
    for i in 0..steps {
        let c = change(fader, level(0.5), level(0.51), Origin::Stabilizer, i + 1);
        folder.push(&c, ms(200 * i), at(200 * i as i64), &mut out);
    }
    folder.close_all(&mut out);
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(out.iter().map(|e| e.count).sum::<u64>(), steps);
    assert!(out.iter().all(|e| e.origin == "stabilizer"));
}

#[test]
fn a_controller_plugged_and_unplugged_is_never_folded() {
    let mut folder = Folder::default();
    let mut out = Vec::new();
    let t0 = Instant::now();
    let connected = "pupitre:surface/xtouch/connected";
    folder.push(
        &change(connected, Value::Index(0), Value::Index(1), xtouch(), 1),
        t0,
        at(0),
        &mut out,
    );
    folder.push(
        &change(connected, Value::Index(1), Value::Index(0), xtouch(), 2),
        t0,
        at(1),
        &mut out,
    );
    assert_eq!(out.len(), 2, "written at once, one each");
    assert_eq!((out[0].old.as_str(), out[0].new.as_str()), ("OFF", "ON"));
    assert_eq!((out[1].old.as_str(), out[1].new.as_str()), ("ON", "OFF"));
    assert_eq!(folder.due(), None);
}

#[test]
fn a_read_back_is_one_summary_and_a_small_one_is_kept_line_by_line() {
    let mut folder = Folder::default();
    let mut out = Vec::new();
    let t0 = Instant::now();
    for i in 0..1234u64 {
        let param = format!("x32:/ch/{:02}/mix/fader", i % 32 + 1);
        let c = change(
            &param,
            level(0.0),
            level(0.5),
            Origin::Resync(MixerId::X32),
            i + 1,
        );
        folder.push(&c, t0 + Duration::from_micros(100 * i), at(0), &mut out);
    }
    folder.close_all(&mut out);
    assert_eq!(out.len(), 1);
    let s = &out[0];
    assert_eq!((s.kind, s.count, s.seq), (EntryKind::Resync, 1234, 1234));
    assert_eq!(
        (s.origin.as_str(), s.param.as_str()),
        ("resync:x32", "x32:*")
    );
    assert_eq!(
        s.describe(),
        "resync:x32      read back 1234 changed parameters"
    );

    // After an outage, three values changed on the console: each has its line.
    out.clear();
    let later = t0 + Duration::from_secs(10);
    for (i, ch) in ["01", "04", "07"].iter().enumerate() {
        let c = change(
            &format!("x32:/ch/{ch}/mix/on"),
            Value::Index(1),
            Value::Index(0),
            Origin::Resync(MixerId::X32),
            2000 + i as u64,
        );
        folder.push(&c, later, at(10_000), &mut out);
    }
    assert!(out.is_empty());
    folder.close_due(later + FOLD_GAP, &mut out);
    assert_eq!(out.len(), 3);
    assert!(out
        .iter()
        .all(|e| e.origin == "resync:x32" && e.kind == EntryKind::Change));
    assert_eq!(out[1].param, "x32:/ch/04/mix/on");
    assert_eq!((out[1].old.as_str(), out[1].new.as_str()), ("ON", "OFF"));
}

#[test]
fn entries_round_trip_through_their_line() {
    let kinds = [
        ("x32:/ch/01/mix/fader", level(0.25), level(0.75)),
        ("x32:/ch/01/mix/on", Value::Index(1), Value::Index(0)),
        ("x32:/ch/01/mix/pan", level(0.0), level(1.0)),
        (
            "x32:/ch/01/config/name",
            Value::Text("Vox".into()),
            Value::Text("Lead \"1\"".into()),
        ),
    ];
    for (param, old, new) in kinds {
        let e = JournalEntry::of_change(
            &change(param, old, new, Origin::Scene("Sunday".into()), 9),
            at(412),
        );
        let line = e.to_line();
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        assert!(line.contains("\"time\":\"2026-11-18T"), "{line}");
        let back: JournalEntry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e, "{line}");
    }
    // A level at the ends keeps its decimal point, so it reads back as a level.
    let e = JournalEntry::of_change(
        &change("x32:/ch/01/mix/pan", level(0.0), level(1.0), Origin::Cli, 1),
        at(0),
    );
    assert!(e.to_line().contains("\"new_raw\":1.0"), "{}", e.to_line());
    // Unknown fields (a newer pupitre's) are ignored; missing optional ones take defaults.
    let minimal = r#"{"time":"2026-11-22T14:03:07.412+01:00","seq":3,"origin":"ui","param":"x32:/ch/01/mix/on","future":[1,2]}"#;
    let e: JournalEntry = serde_json::from_str(minimal).unwrap();
    assert_eq!(e.count, 1);
    assert_eq!(format_time(&e.time), "2026-11-22T13:03:07.412Z");
}

fn lines(entries: &[JournalEntry]) -> String {
    entries.iter().map(JournalEntry::to_line).collect()
}

#[test]
fn rotation_keeps_five_files_and_reads_back_in_order() {
    let dir = TempDir::new("rotate");
    let mut file = RotatingFile::new(dir.0.clone(), 2_000, KEEP_ROTATED);
    let mut written = Vec::new();
    for i in 0..200 {
        let e = entry(i, "ui", "x32:/ch/01/mix/fader");
        file.append(e.to_line().as_bytes()).unwrap();
        written.push(e);
    }
    let files = journal_files(&dir.0).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "journal.5.jsonl",
            "journal.4.jsonl",
            "journal.3.jsonl",
            "journal.2.jsonl",
            "journal.1.jsonl",
            "journal.jsonl"
        ]
    );
    for f in &files[..5] {
        let size = std::fs::metadata(f).unwrap().len();
        assert!(
            (2_000..2_400).contains(&size),
            "{} holds {size} bytes",
            f.display()
        );
    }
    let read = read_journal_detailed(&dir.0, &JournalFilter::default()).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    // The oldest were deleted; what is left is the newest, whole and in order.
    let n = read.entries.len();
    assert!((50..200).contains(&n), "{n}");
    assert_eq!(read.entries, written[200 - n..]);
}

#[test]
fn torn_and_broken_lines_are_skipped_with_their_place_and_the_rest_is_read() {
    let dir = TempDir::new("torn");
    let good: Vec<_> = (0..4)
        .map(|i| entry(i, "ui", "x32:/ch/01/mix/fader"))
        .collect();
    let mut text = lines(&good[..2]);
    text.push_str("{\"time\":\"yesterday\",\"seq\":1}\n");
    text.push_str(&lines(&good[2..]));
    let torn = good[0].to_line();
    text.push_str(&torn[..torn.len() / 2]);
    std::fs::write(dir.0.join(JOURNAL_FILE), &text).unwrap();

    let read = read_journal_detailed(&dir.0, &JournalFilter::default()).unwrap();
    assert_eq!(read.entries, good);
    assert_eq!(read.problems.len(), 2, "{:?}", read.problems);
    let file = dir.0.join(JOURNAL_FILE).display().to_string();
    assert!(
        read.problems[0].starts_with(&format!("{file}:3:")),
        "{}",
        read.problems[0]
    );
    assert!(
        read.problems[0].contains("\"yesterday\" is not RFC 3339"),
        "{}",
        read.problems[0]
    );
    assert!(
        read.problems[1].starts_with(&format!("{file}:6:")),
        "{}",
        read.problems[1]
    );
    assert!(
        read.problems[1].contains("torn last line"),
        "{}",
        read.problems[1]
    );

    // The next run starts on a fresh line: its first entry is not glued to the torn one.
    let mut file = RotatingFile::new(dir.0.clone(), ROTATE_AT, KEEP_ROTATED);
    let next = entry(10, "cli", "x32:/ch/02/mix/fader");
    file.append(next.to_line().as_bytes()).unwrap();
    let read = read_journal_detailed(&dir.0, &JournalFilter::default()).unwrap();
    assert_eq!(read.entries.last(), Some(&next));
    assert_eq!(read.problems.len(), 2);
}

#[test]
fn filters_by_time_origin_parameter_and_count() {
    let all = vec![
        entry(0, "surface:xtouch", "x32:/ch/01/mix/fader"),
        entry(1000, "surface:xtouch2", "x32:/ch/02/mix/fader"),
        entry(2000, "ui", "x32:/ch/01/mix/on"),
        entry(3000, "mixer:x32", "x32:/bus/01/mix/fader"),
        entry(4000, "scene:Sunday mass", "x32:/ch/03/mix/fader"),
        entry(5000, "stabilizer", "x32:/mtx/01/mix/fader"),
    ];
    let run = |f: JournalFilter| -> Vec<i64> {
        all.iter()
            .filter(|e| f.matches(e))
            .map(|e| e.seq as i64)
            .collect()
    };
    let origins = |o: &[&str]| JournalFilter {
        origins: o.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    assert_eq!(run(origins(&["surface"])), [0, 1000]);
    assert_eq!(run(origins(&["surface:xtouch"])), [0], "not xtouch2");
    assert_eq!(run(origins(&["Surface:XTOUCH2"])), [1000]);
    assert_eq!(
        run(origins(&["surf"])),
        Vec::<i64>::new(),
        "whole words only"
    );
    assert_eq!(run(origins(&["mixer", "scene"])), [3000, 4000]);
    assert_eq!(run(origins(&["scene:"])), [4000]);
    let params = |g: &str| JournalFilter {
        params: vec![NamePattern::new(g).unwrap()],
        ..Default::default()
    };
    assert_eq!(run(params("x32:/ch/*/mix/fader")), [0, 1000, 4000]);
    assert_eq!(run(params("*/mix/fader")), [0, 1000, 3000, 4000, 5000]);
    assert_eq!(
        run(params("mix/on")),
        [2000],
        "without a star: a part of the id"
    );
    let window = JournalFilter {
        since: Some(at(1000)),
        until: Some(at(3000)),
        ..Default::default()
    };
    assert_eq!(run(window), [1000, 2000, 3000]);

    let dir = TempDir::new("filter");
    std::fs::write(dir.0.join(JOURNAL_FILE), lines(&all)).unwrap();
    let f = JournalFilter {
        params: vec![NamePattern::new("*/fader").unwrap()],
        last: Some(2),
        ..Default::default()
    };
    let got: Vec<u64> = read_journal(&dir.0, &f)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(got, [4000, 5000], "the last two of those that pass");
    assert!(read_journal(&dir.0.join("none"), &f).unwrap().is_empty());
}

#[test]
fn when_takes_durations_ago_and_times() {
    let now = at(0);
    assert_eq!(
        parse_when("10m", now).unwrap(),
        now - chrono::TimeDelta::minutes(10)
    );
    assert_eq!(
        parse_when(" 2h ", now).unwrap(),
        now - chrono::TimeDelta::hours(2)
    );
    assert_eq!(
        parse_when("1d", now).unwrap(),
        now - chrono::TimeDelta::days(1)
    );
    assert_eq!(
        parse_when("1h30m", now).unwrap(),
        now - chrono::TimeDelta::minutes(90)
    );
    assert_eq!(
        parse_when("2026-11-22T14:03:07.412Z", now).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 22, 14, 3, 7).unwrap()
            + chrono::TimeDelta::milliseconds(412)
    );
    assert_eq!(
        parse_when("2026-11-22T15:00:00+01:00", now).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap()
    );
    // Local forms: whatever the zone, a day is a day and an hour an hour.
    let day = parse_when("2026-11-22", now).unwrap();
    let later = parse_when("2026-11-22 14:30", now).unwrap();
    assert_eq!(later - day, chrono::TimeDelta::minutes(14 * 60 + 30));
    assert!(parse_when("14:30", now).is_ok());
    for bad in ["", "soon", "10 parsecs", "2026-13-01", "-5m", "25:00"] {
        let e = parse_when(bad, now).unwrap_err();
        assert!(e.to_string().contains("10m, 2h, 1d"), "{bad:?}: {e}");
    }
    assert!(matches!(
        parse_when("100000000000y", now),
        Err(WhenError::TooFarBack(_))
    ));
}

proptest! {
    #[test]
    fn when_never_panics_and_durations_count_back(text in "\\PC{0,24}", n in 0u32..1_000_000, unit in 0usize..4) {
        let now = at(0);
        let _ = parse_when(&text, now);
        let (suffix, seconds) = [("s", 1i64), ("m", 60), ("h", 3600), ("d", 86_400)][unit];
        let got = parse_when(&format!("{n}{suffix}"), now).unwrap();
        prop_assert_eq!(got, now - chrono::TimeDelta::seconds(i64::from(n) * seconds));
    }

    #[test]
    fn rfc3339_times_read_back_exactly(ms in 0i64..4_102_444_800_000) {
        let t = Utc.timestamp_millis_opt(ms).unwrap();
        prop_assert_eq!(parse_when(&format_time(&t), at(0)).unwrap(), t);
    }

    #[test]
    fn any_bytes_read_without_panic_and_good_lines_survive_garbage(
        garbage in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6),
        tail in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut bytes = Vec::new();
        let mut good = Vec::new();
        for (i, g) in garbage.iter().enumerate() {
            let e = entry(i as i64, "ui", "x32:/ch/01/mix/fader");
            bytes.extend_from_slice(e.to_line().as_bytes());
            good.push(e);
            // Garbage on a line of its own (it may itself hold newlines and whole junk lines).
            bytes.extend(g.iter().copied());
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&tail);
        let mut out = Vec::new();
        let mut problems = Vec::new();
        parse_lines(&bytes, Path::new("journal.jsonl"), 1, &mut out, &mut problems);
        // Every good line is back, in order; garbage that happens to parse may add entries.
        let mut it = out.iter();
        for e in &good {
            prop_assert!(it.any(|o| o == e), "{:?} lost", e);
        }
        for p in &problems {
            prop_assert!(p.starts_with("journal.jsonl:"), "{}", p);
        }
    }
}

#[test]
fn a_follower_sees_new_entries_across_a_rotation() {
    let dir = TempDir::new("follow");
    let mut file = RotatingFile::new(dir.0.clone(), 600, KEEP_ROTATED);
    let first = entry(0, "ui", "x32:/ch/01/mix/fader");
    file.append(first.to_line().as_bytes()).unwrap();
    let read = read_journal_detailed(&dir.0, &JournalFilter::default()).unwrap();
    assert_eq!(read.entries, [first]);
    let mut tail = JournalTail::new(&dir.0, read.end);
    let mut problems = Vec::new();
    assert!(tail.poll(&mut problems).is_empty(), "nothing new yet");

    // Enough to rotate once while the follower sleeps; then a line half-written at the end.
    let more: Vec<_> = (1..7)
        .map(|i| entry(i, "surface:xtouch", "x32:/ch/02/mix/fader"))
        .collect();
    for e in &more[..4] {
        file.append(e.to_line().as_bytes()).unwrap();
    }
    assert!(dir.0.join("journal.1.jsonl").exists());
    assert_eq!(tail.poll(&mut problems), more[..4]);
    assert!(problems.is_empty(), "{problems:?}");
    let line = more[4].to_line();
    let (head, rest) = line.split_at(30);
    let append = |text: &str| {
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.0.join(JOURNAL_FILE))
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .unwrap()
    };
    append(head);
    assert!(tail.poll(&mut problems).is_empty(), "half a line waits");
    append(rest);
    assert_eq!(tail.poll(&mut problems), [more[4].clone()]);
    assert!(problems.is_empty(), "{problems:?}");
}

/// Move a fader through `positions`, each a change, and wait until the desk applied them.
async fn fader_moves(
    desk: &crate::desk::DeskHandle,
    param: &ParamId,
    positions: impl IntoIterator<Item = f64>,
    origin: Origin,
) {
    for x in positions {
        desk.send(Intent {
            param: param.clone(),
            op: Op::Normalized(Normalized::new_clamped(x)),
            origin: origin.clone(),
        })
        .await
        .unwrap();
    }
    // A round trip: everything sent before is applied and broadcast.
    desk.get(param).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keeper_writes_folded_entries_and_a_missed_note_and_feeds_the_screen() {
    let dir = TempDir::new("keeper");
    let fader = p("x32:/ch/01/mix/fader");
    let on = p("x32:/ch/01/mix/on");
    let desk = Desk::new([fader.clone(), on.clone()]);
    let handle = desk.handle();
    let desk_stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(desk.run(desk_stop.clone()));
    let (recent_tx, recent) = tokio::sync::watch::channel(Vec::new());
    let stop = tokio_util::sync::CancellationToken::new();
    // Following starts here; the task is not polled until far more changes than the desk's
    // broadcast holds have gone by.
    let keeper = keep_journal_sized(
        handle.clone(),
        dir.0.clone(),
        recent_tx,
        stop.clone(),
        ROTATE_AT,
    );
    let flips =
        (0..crate::desk::CHANGE_CAPACITY + 100).map(|i| if i % 2 == 0 { 0.75 } else { 0.25 });
    fader_moves(&handle, &fader, flips, Origin::Cli).await;
    let task = tokio::spawn(keeper);
    // Then a ride from a controller and a mute from the screen, both still open at stop.
    fader_moves(
        &handle,
        &fader,
        (0..20).map(|i| 0.3 + 0.01 * f64::from(i)),
        xtouch(),
    )
    .await;
    handle
        .send(Intent {
            param: on.clone(),
            op: Op::Toggle,
            origin: Origin::Ui,
        })
        .await
        .unwrap();
    handle.get(&on).await.unwrap();
    let mut watching = recent.clone();
    tokio::time::timeout(
        Duration::from_secs(5),
        watching.wait_for(|v| v.iter().any(|e| e.kind == EntryKind::Missed)),
    )
    .await
    .expect("the missed note reaches the screen")
    .unwrap();
    stop.cancel();
    task.await.unwrap();
    desk_stop.cancel();

    let read = read_journal_detailed(&dir.0, &JournalFilter::default()).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let e = &read.entries;
    let missed = e
        .iter()
        .find(|e| e.kind == EntryKind::Missed)
        .expect("a missed note");
    assert!(missed.count >= 100, "{missed:?}");
    assert_eq!(missed.origin, "journal");
    let ride = e
        .iter()
        .find(|e| e.origin == "surface:xtouch")
        .expect("the ride");
    assert_eq!(ride.count, 20);
    assert_eq!(
        ride.new,
        ParamKind::Fader.display(&ParamKind::Fader.from_normalized(Normalized::new_clamped(0.49)))
    );
    let mute = e
        .iter()
        .find(|e| e.param == "x32:/ch/01/mix/on")
        .expect("the mute");
    assert_eq!(
        (mute.origin.as_str(), mute.old.as_str(), mute.new.as_str()),
        ("ui", "OFF", "ON")
    );
    // The screen got the same entries, newest last.
    let shown = recent.borrow().clone();
    assert!(shown.len() <= RECENT);
    assert_eq!(shown.last(), e.last());
}
