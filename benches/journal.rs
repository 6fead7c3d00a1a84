//! The action journal's writer under load, and what an entry costs on disk.
//!
//! The worst case: every change a new entry (each from an origin of its own, so nothing
//! folds). For each offered rate, `--changes` changes go through a real desk to
//! `keep_journal`, which writes them to a fresh state folder; the run reports how many
//! entries reached the file, how many the journal missed (it fell behind the desk's
//! broadcast), and the rate at which they were written. Then a typical evening: eight
//! faders ridden at 100 Hz and the stabilizer at 20 Hz for `--seconds`, folded.
//!
//! Run with `cargo bench --bench journal` (add `-- --changes N --seconds S`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pupitre::desk::{Desk, DeskHandle, Intent, MixerId, Normalized, Op, Origin, ParamId, Strip};
use pupitre::state::{
    journal_files, keep_journal, read_journal_detailed, EntryKind, JournalEntry, JournalFilter,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[path = "common/mod.rs"]
mod common;
use common::{arg, usage};

fn main() {
    // Rotation keeps about 6 MiB, some 28 000 entries: stay below so every one is counted.
    let changes = arg("--changes", 20_000) as usize;
    let seconds = arg("--seconds", 30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        entry_sizes();
        println!("\nworst case: every change its own entry, {changes} changes per run");
        println!(
            "{:>12} {:>10} {:>9} {:>8} {:>12} {:>10}",
            "offered/s", "desk/s", "written", "missed", "written/s", "bytes/entry"
        );
        for rate in [5_000u64, 50_000, 100_000, 200_000, 400_000, 0] {
            worst_case(changes, rate).await;
        }
        evening(seconds).await;
        let (cpu, _, hwm) = usage();
        println!("\nprocess: {cpu:.2} s CPU in all, peak RSS {hwm} KiB");
    });
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pupitre-bench-journal-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn faders() -> Vec<ParamId> {
    (1..=32)
        .map(Strip::Channel)
        .chain((1..=16).map(Strip::Bus))
        .chain((1..=6).map(Strip::Matrix))
        .map(|s| s.fader())
        .collect()
}

fn line_len(
    param: &str,
    old: pupitre::desk::Value,
    new: pupitre::desk::Value,
    origin: Origin,
    count: u64,
) -> usize {
    let change = pupitre::desk::Change {
        param: ParamId::parse(param).expect("a parameter"),
        value: new,
        previous: old,
        origin,
        seq: 123_456,
    };
    let mut e = JournalEntry::of_change(&change, chrono::Utc::now());
    e.count = count;
    if count > 1 {
        e.ms = 1840;
    }
    e.to_line().len()
}

fn entry_sizes() {
    use pupitre::desk::Value;
    let level = |x: f64| Value::Level(Normalized::new_clamped(x));
    let surface = Origin::Surface(Arc::from("xtouch"));
    println!("bytes per entry (with its newline):");
    println!(
        "  fader ride, folded ×14   {}",
        line_len(
            "x32:/ch/01/mix/fader",
            level(0.5),
            level(0.7155425219941349),
            surface.clone(),
            14
        )
    );
    println!(
        "  single fader move        {}",
        line_len(
            "x32:/ch/01/mix/fader",
            level(0.5),
            level(0.75),
            Origin::Ui,
            1
        )
    );
    println!(
        "  mute                     {}",
        line_len(
            "x32:/ch/01/mix/on",
            Value::Index(1),
            Value::Index(0),
            Origin::Mixer(MixerId::X32),
            1
        )
    );
    println!(
        "  controller plugged       {}",
        line_len(
            "pupitre:surface/xtouch/connected",
            Value::Index(0),
            Value::Index(1),
            surface,
            1
        )
    );
    println!(
        "  channel name             {}",
        line_len(
            "x32:/ch/01/config/name",
            Value::Text("Vox".into()),
            Value::Text("Lead vox".into()),
            Origin::Ui,
            1
        )
    );
}

struct Run {
    desk: DeskHandle,
    stop: CancellationToken,
    desk_stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    dir: PathBuf,
}

fn start(params: Vec<ParamId>, dir: PathBuf) -> Run {
    let desk = Desk::new(params);
    let handle = desk.handle();
    let (tx, _rx) = watch::channel(Vec::new());
    let stop = CancellationToken::new();
    let journal = keep_journal(handle.clone(), dir.clone(), tx, stop.clone());
    let desk_stop = CancellationToken::new();
    tokio::spawn(desk.run(desk_stop.clone()));
    Run {
        desk: handle,
        stop,
        desk_stop,
        task: tokio::spawn(journal),
        dir,
    }
}

impl Run {
    /// Stop, wait until everything is on disk, and count what is there.
    async fn finish(self) -> (u64, u64, u64, u64, Duration) {
        let t = Instant::now();
        self.stop.cancel();
        self.task.await.expect("the journal task");
        let closing = t.elapsed();
        self.desk_stop.cancel();
        let read = read_journal_detailed(&self.dir, &JournalFilter::default()).expect("readable");
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let bytes: u64 = journal_files(&self.dir)
            .expect("files")
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let changes = read.entries.iter().filter(|e| e.kind == EntryKind::Change);
        let (n, folded) = changes.fold((0, 0), |(n, c), e| (n + 1, c + e.count));
        let missed = read
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Missed)
            .map(|e| e.count)
            .sum();
        let _ = std::fs::remove_dir_all(&self.dir);
        (n, folded, missed, bytes, closing)
    }
}

/// `changes` unfoldable changes at `rate` a second (0: as fast as the desk takes them).
async fn worst_case(changes: usize, rate: u64) {
    let params = faders();
    let run = start(params.clone(), folder(&format!("worst-{rate}")));
    let origins: Vec<Origin> = (0..changes)
        .map(|i| Origin::Web(Arc::from(format!("phone{i}"))))
        .collect();
    let t0 = Instant::now();
    for (i, origin) in origins.into_iter().enumerate() {
        if rate > 0 && i % 100 == 0 {
            let due = t0 + Duration::from_secs_f64(i as f64 / rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let param = params[i % params.len()].clone();
        // Alternate ends, so every intent is a change.
        let x = if (i / params.len()).is_multiple_of(2) {
            0.75
        } else {
            0.25
        };
        run.desk
            .send(Intent {
                param,
                op: Op::Normalized(Normalized::new_clamped(x)),
                origin,
            })
            .await
            .expect("desk running");
    }
    run.desk.snapshot().await.expect("desk running");
    let sent = t0.elapsed();
    // Let the journal catch up with the desk (entries close a second after their change).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (written, _, missed, bytes, _) = run.finish().await;
    let total = t0.elapsed();
    println!(
        "{:>12} {:>10.0} {:>9} {:>8} {:>12.0} {:>10.1}",
        if rate == 0 {
            "max".to_string()
        } else {
            rate.to_string()
        },
        changes as f64 / sent.as_secs_f64(),
        written,
        missed,
        // Written within the send time plus the one-second fold window and the final flush.
        written as f64 / (total.as_secs_f64() - 1.2).max(sent.as_secs_f64()),
        bytes as f64 / written.max(1) as f64,
    );
}

/// Eight faders ridden by hand at 100 Hz (hands off 1.5 s every 5 s), the stabilizer at 20 Hz.
async fn evening(seconds: u64) {
    let params = faders();
    let run = start(params.clone(), folder("evening"));
    let hands = Origin::Surface(Arc::from("xtouch"));
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let t0 = Instant::now();
    let mut sent = 0u64;
    let mut k = 0u64;
    while t0.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        k += 1;
        // A slow sine per fader, so values keep changing; hands off 1.5 s every 5 s.
        if (k / 50) % 10 >= 7 {
            continue;
        }
        for (f, param) in params[..8].iter().enumerate() {
            let x = 0.5 + 0.4 * ((k as f64 / 100.0) + f as f64).sin();
            run.desk
                .send(Intent {
                    param: param.clone(),
                    op: Op::Normalized(Normalized::new_clamped(x)),
                    origin: hands.clone(),
                })
                .await
                .expect("desk running");
            sent += 1;
        }
        if k.is_multiple_of(5) {
            let x = 0.7 + 0.05 * (k as f64 / 300.0).sin();
            run.desk
                .send(Intent {
                    param: params[48].clone(),
                    op: Op::Normalized(Normalized::new_clamped(x)),
                    origin: Origin::Stabilizer,
                })
                .await
                .expect("desk running");
            sent += 1;
        }
    }
    let (written, folded, missed, bytes, closing) = run.finish().await;
    println!(
        "\na busy evening for {seconds} s: {sent} intents, {folded} changes → {written} entries \
         ({:.1} per second, {:.0} bytes/s on disk), {missed} missed; stop wrote the last in {:.1} ms",
        written as f64 / seconds as f64,
        bytes as f64 / seconds as f64,
        closing.as_secs_f64() * 1000.0
    );
    let per_day = bytes as f64 / seconds as f64 * 86_400.0 / (1 << 20) as f64;
    println!(
        "  at that pace the 6 MiB the journal keeps hold {:.1} hours",
        6.0 / per_day * 24.0
    );
}
