//! The action journal: every change the desk accepted, with when, who, what, and old → new.
//!
//! [`keep_journal`] follows the desk like any other reader and appends one JSON line per entry
//! to `journal.jsonl` in the state folder. Rotated past [`ROTATE_AT`] to `journal.1.jsonl` …
//! `journal.5.jsonl` (the oldest is deleted), so the journal never holds more than about
//! 6 MiB.
//!
//! What a person wants to read, not every packet:
//! - a fader ride or the stabilizer's moves fold into one entry per parameter and origin while
//!   the changes keep coming less than [`FOLD_GAP`] apart (for at most [`FOLD_SPAN`]): old from
//!   the first, new from the last, and how many were folded;
//! - a mixer's read-back after a (re)connect (thousands of values) is one summary entry, unless
//!   it brought only a few values ([`RESYNC_DETAIL`]): then those were changed on the console
//!   while pupitre was away, and each is worth its own line;
//! - a controller plugged or unplugged (`pupitre:surface/NAME/connected`) is never folded;
//! - when the journal falls behind the desk, an entry says how many changes it missed.
//!
//! The journal is a follower: it never slows the desk. Entries are written by a thread of its
//! own in batches, at least once a second and at stop; a disk that stalls only makes the batch
//! bigger. Lines are appended, not rewritten: a power cut can tear the last one, which the
//! reader skips with a warning (see [`super::read_journal`]).
//!
//! Times are RFC 3339 in UTC with milliseconds (`2026-11-22T14:03:07.412Z`): unambiguous
//! whatever the Pi's time zone, in fixed width so that text order is time order, and readable
//! with `grep 2026-11-22T14: journal.jsonl` on a box with nothing but a shell.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info_span, warn, Instrument};

use crate::desk::{Change, DeskHandle, MixerId, Origin, ParamId, SurfaceParam, Value};

/// The journal's file in the state folder; rotated ones are `journal.N.jsonl`.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// `journal.jsonl` is rotated once it holds this many bytes.
pub const ROTATE_AT: u64 = 1 << 20;
/// Rotated files kept (`journal.1.jsonl`, newest, to `journal.5.jsonl`).
pub const KEEP_ROTATED: u32 = 5;
/// Changes of one parameter from one origin less than this apart fold into one entry…
pub const FOLD_GAP: Duration = Duration::from_secs(1);
/// …for at most this long, so a stabilizer riding all evening still writes one entry a minute.
pub const FOLD_SPAN: Duration = Duration::from_secs(60);
/// A read-back with at most this many changes is written change by change.
pub const RESYNC_DETAIL: u64 = 16;
/// Entries [`keep_journal`] keeps for the screen.
pub const RECENT: usize = 50;
/// Written entries reach the file at least this often.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Bytes waiting for a stalled disk before they are given up (and counted as missed).
const MAX_BACKLOG: usize = 8 << 20;

/// What an entry records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// One parameter changed (perhaps `count` times, folded).
    #[default]
    Change,
    /// A mixer's read-back after a (re)connect: `count` parameters changed.
    Resync,
    /// The journal missed `count` changes (it fell behind the desk, or the disk did).
    Missed,
}

impl EntryKind {
    fn is_change(&self) -> bool {
        *self == EntryKind::Change
    }
}

/// A value as the desk holds it, for tools: a position 0–1 (always written with a decimal
/// point), a switch or choice index, or a name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawValue {
    /// A switch (0 off, 1 on) or a choice.
    Index(u32),
    /// A position along the travel, 0 to 1.
    Level(f64),
    /// A name.
    Text(String),
}

impl From<&Value> for RawValue {
    fn from(v: &Value) -> RawValue {
        match v {
            Value::Level(n) => RawValue::Level(n.get()),
            Value::Index(i) => RawValue::Index(*i),
            Value::Text(t) => RawValue::Text(t.to_string()),
        }
    }
}

/// One line of the journal.
///
/// Unknown fields are ignored on read, so an older pupitre reads a newer one's journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// When the last folded change happened (the parameter reached `new`).
    #[serde(with = "rfc3339_millis")]
    pub time: DateTime<Utc>,
    /// The desk's count of the last folded change (it restarts with the service).
    pub seq: u64,
    /// Who: `surface:NAME`, `ui`, `web:DEVICE`, `stabilizer`, `mixer:x32` (its own surface or
    /// another remote), `resync:x32`, `scene:NAME`, `cli`; `journal` for missed changes.
    pub origin: String,
    /// The parameter (`x32:/ch/01/mix/fader`); `x32:*` for a read-back, `*` for missed ones.
    pub param: String,
    /// The value before, in the parameter's unit (`-12.0 dB`, `ON`, `L30`).
    #[serde(default)]
    pub old: String,
    /// The value after, in the parameter's unit.
    #[serde(default)]
    pub new: String,
    /// The value before, as the desk holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_raw: Option<RawValue>,
    /// The value after, as the desk holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_raw: Option<RawValue>,
    /// Changes folded into this entry (or parameters read back, or changes missed).
    #[serde(default = "one")]
    pub count: u64,
    /// Milliseconds from the first folded change to the last; absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ms: u64,
    /// What the entry records; absent for a change.
    #[serde(default, skip_serializing_if = "EntryKind::is_change")]
    pub kind: EntryKind,
}

fn one() -> u64 {
    1
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl JournalEntry {
    /// A single accepted change, at `time`.
    pub fn of_change(change: &Change, time: DateTime<Utc>) -> JournalEntry {
        let kind = change.param.kind();
        JournalEntry {
            time,
            seq: change.seq,
            origin: change.origin.to_string(),
            param: change.param.to_string(),
            old: kind.display(&change.previous),
            new: kind.display(&change.value),
            old_raw: Some((&change.previous).into()),
            new_raw: Some((&change.value).into()),
            count: 1,
            ms: 0,
            kind: EntryKind::Change,
        }
    }

    /// The entry after its time, as a person reads it:
    /// `surface:xtouch  x32:/ch/01/mix/fader  -12.0 dB → -3.5 dB  (×14)`.
    pub fn describe(&self) -> String {
        match self.kind {
            EntryKind::Change => {
                let mut s = format!(
                    "{:<14}  {:<22}  {} → {}",
                    self.origin, self.param, self.old, self.new
                );
                if self.count > 1 {
                    s.push_str(&format!("  (×{})", self.count));
                }
                s
            }
            EntryKind::Resync => format!(
                "{:<14}  read back {} changed parameters",
                self.origin, self.count
            ),
            EntryKind::Missed => format!(
                "{:<14}  {} changes not recorded (the journal fell behind)",
                self.origin, self.count
            ),
        }
    }

    /// One JSON line, with its newline.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|e| {
            // Only a non-finite float could fail, and Normalized never holds one.
            format!("{{\"error\":{:?}}}", e.to_string())
        });
        line.push('\n');
        line
    }
}

/// `time` as RFC 3339 UTC with milliseconds; read back with any offset.
mod rfc3339_millis {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| D::Error::custom(format!("time {text:?} is not RFC 3339 ({e})")))
    }
}

/// Now, to the millisecond the file keeps (so an entry equals itself read back).
pub(super) fn wall_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// An entry still taking changes.
struct Open {
    entry: JournalEntry,
    first: Instant,
    last: Instant,
}

/// A read-back in progress.
struct Burst {
    mixer: MixerId,
    first: Instant,
    last: Instant,
    count: u64,
    seq: u64,
    time: DateTime<Utc>,
    /// The first [`RESYNC_DETAIL`] changes, written one by one if the burst stays that small.
    detail: Vec<JournalEntry>,
}

/// Turns the desk's changes into journal entries: folding, read-back summaries. Pure: the
/// caller says what time it is.
#[derive(Default)]
pub(super) struct Folder {
    open: HashMap<(ParamId, Origin), Open>,
    /// Open entries by when they were last touched, oldest first; an item is stale once its
    /// entry was touched again or closed. Finding what is due stays cheap with thousands open.
    touched: VecDeque<(Instant, (ParamId, Origin))>,
    bursts: HashMap<MixerId, Burst>,
}

impl Folder {
    /// Take one change; entries it closes go to `out`.
    pub(super) fn push(
        &mut self,
        change: &Change,
        now: Instant,
        time: DateTime<Utc>,
        out: &mut Vec<JournalEntry>,
    ) {
        if let Origin::Resync(mixer) = change.origin {
            self.push_resync(mixer, change, now, time, out);
            return;
        }
        // A controller coming or going is history of its own, never folded.
        if matches!(
            change.param.as_surface(),
            Some((_, SurfaceParam::Connected))
        ) {
            out.push(JournalEntry::of_change(change, time));
            return;
        }
        let key = (change.param.clone(), change.origin.clone());
        if let Some(open) = self.open.get_mut(&key) {
            if now.duration_since(open.last) < FOLD_GAP
                && now.duration_since(open.first) < FOLD_SPAN
            {
                let kind = change.param.kind();
                let e = &mut open.entry;
                e.time = time;
                e.seq = change.seq;
                e.new = kind.display(&change.value);
                e.new_raw = Some((&change.value).into());
                e.count += 1;
                e.ms = now.duration_since(open.first).as_millis() as u64;
                open.last = now;
                self.touched.push_back((now, key));
                return;
            }
            if let Some(done) = self.open.remove(&key) {
                out.push(done.entry);
            }
        }
        self.touched.push_back((now, key.clone()));
        self.open.insert(
            key,
            Open {
                entry: JournalEntry::of_change(change, time),
                first: now,
                last: now,
            },
        );
    }

    fn push_resync(
        &mut self,
        mixer: MixerId,
        change: &Change,
        now: Instant,
        time: DateTime<Utc>,
        out: &mut Vec<JournalEntry>,
    ) {
        if let Some(b) = self.bursts.get(&mixer) {
            if now.duration_since(b.last) >= FOLD_GAP {
                if let Some(done) = self.bursts.remove(&mixer) {
                    done.close(out);
                }
            }
        }
        let b = self.bursts.entry(mixer).or_insert_with(|| Burst {
            mixer,
            first: now,
            last: now,
            count: 0,
            seq: 0,
            time,
            detail: Vec::new(),
        });
        b.count += 1;
        b.seq = change.seq;
        b.last = now;
        b.time = time;
        if b.count <= RESYNC_DETAIL {
            b.detail.push(JournalEntry::of_change(change, time));
        } else {
            b.detail.clear();
        }
    }

    /// An entry saying `n` changes were missed.
    pub(super) fn missed(n: u64, time: DateTime<Utc>) -> JournalEntry {
        JournalEntry {
            time,
            seq: 0,
            origin: "journal".into(),
            param: "*".into(),
            old: String::new(),
            new: String::new(),
            old_raw: None,
            new_raw: None,
            count: n,
            ms: 0,
            kind: EntryKind::Missed,
        }
    }

    /// When the next open entry closes by itself, if any is open.
    pub(super) fn due(&mut self) -> Option<Instant> {
        self.drop_stale();
        let open = self.touched.front().map(|(last, _)| *last + FOLD_GAP);
        let bursts = self.bursts.values().map(|b| b.last + FOLD_GAP);
        open.into_iter().chain(bursts).min()
    }

    fn is_current(&self, last: Instant, key: &(ParamId, Origin)) -> bool {
        self.open.get(key).is_some_and(|o| o.last == last)
    }

    fn drop_stale(&mut self) {
        while let Some((last, key)) = self.touched.front() {
            if self.is_current(*last, key) {
                return;
            }
            self.touched.pop_front();
        }
    }

    /// Close what has been quiet for [`FOLD_GAP`] at `now`, oldest first.
    pub(super) fn close_due(&mut self, now: Instant, out: &mut Vec<JournalEntry>) {
        let mut closed: Vec<(Instant, Vec<JournalEntry>)> = Vec::new();
        while let Some((last, _)) = self.touched.front() {
            if now.duration_since(*last) < FOLD_GAP {
                break;
            }
            if let Some((last, key)) = self.touched.pop_front() {
                if self.is_current(last, &key) {
                    if let Some(o) = self.open.remove(&key) {
                        closed.push((last, vec![o.entry]));
                    }
                }
            }
        }
        self.close_bursts(&mut closed, |last| now.duration_since(last) >= FOLD_GAP);
        closed.sort_by_key(|(last, _)| *last);
        out.extend(closed.into_iter().flat_map(|(_, e)| e));
    }

    /// Close everything (at stop).
    pub(super) fn close_all(&mut self, out: &mut Vec<JournalEntry>) {
        let mut closed: Vec<(Instant, Vec<JournalEntry>)> = self
            .open
            .drain()
            .map(|(_, o)| (o.last, vec![o.entry]))
            .collect();
        self.touched.clear();
        self.close_bursts(&mut closed, |_| true);
        closed.sort_by_key(|(last, _)| *last);
        out.extend(closed.into_iter().flat_map(|(_, e)| e));
    }

    fn close_bursts(
        &mut self,
        closed: &mut Vec<(Instant, Vec<JournalEntry>)>,
        quiet: impl Fn(Instant) -> bool,
    ) {
        let mixers: Vec<_> = self
            .bursts
            .iter()
            .filter(|(_, b)| quiet(b.last))
            .map(|(m, _)| *m)
            .collect();
        for m in mixers {
            if let Some(b) = self.bursts.remove(&m) {
                let mut entries = Vec::new();
                let last = b.last;
                b.close(&mut entries);
                closed.push((last, entries));
            }
        }
    }
}

impl Burst {
    fn close(self, out: &mut Vec<JournalEntry>) {
        if self.count <= RESYNC_DETAIL {
            out.extend(self.detail);
            return;
        }
        out.push(JournalEntry {
            time: self.time,
            seq: self.seq,
            origin: Origin::Resync(self.mixer).to_string(),
            param: format!("{}:*", self.mixer),
            old: String::new(),
            new: String::new(),
            old_raw: None,
            new_raw: None,
            count: self.count,
            ms: self.last.duration_since(self.first).as_millis() as u64,
            kind: EntryKind::Resync,
        });
    }
}

/// `journal.jsonl`, appended to and rotated by size.
pub(super) struct RotatingFile {
    dir: PathBuf,
    rotate_at: u64,
    keep: u32,
    file: Option<(File, u64)>,
}

/// The path of `journal.jsonl` (`n == 0`) or of `journal.N.jsonl`.
pub(super) fn journal_path(dir: &Path, n: u32) -> PathBuf {
    if n == 0 {
        dir.join(JOURNAL_FILE)
    } else {
        dir.join(format!("journal.{n}.jsonl"))
    }
}

impl RotatingFile {
    pub(super) fn new(dir: PathBuf, rotate_at: u64, keep: u32) -> RotatingFile {
        RotatingFile {
            dir,
            rotate_at,
            keep,
            file: None,
        }
    }

    /// Append whole lines, then rotate if the file has grown past its size.
    pub(super) fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let (file, size) = match self.file.take() {
            Some(open) => open,
            None => self.open()?,
        };
        let (mut file, mut size) = (file, size);
        file.write_all(bytes)?;
        size += bytes.len() as u64;
        if size >= self.rotate_at {
            drop(file);
            self.rotate()?;
        } else {
            self.file = Some((file, size));
        }
        Ok(())
    }

    /// Push written lines to the disk (at stop).
    pub(super) fn sync(&mut self) -> std::io::Result<()> {
        match &self.file {
            Some((f, _)) => f.sync_data(),
            None => Ok(()),
        }
    }

    fn open(&self) -> std::io::Result<(File, u64)> {
        std::fs::create_dir_all(&self.dir)?;
        let path = journal_path(&self.dir, 0);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)?;
        let mut size = file.metadata()?.len();
        if size > 0 {
            // A line torn by a power cut stays torn, but must not swallow the next entry.
            let mut last = [0u8];
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
                size += 1;
            }
        }
        Ok((file, size))
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let gone = |r: std::io::Result<()>| match r {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
        if self.keep == 0 {
            return gone(std::fs::remove_file(journal_path(&self.dir, 0)));
        }
        // Windows will not rename over an existing file: make room first.
        gone(std::fs::remove_file(journal_path(&self.dir, self.keep)))?;
        for n in (0..self.keep).rev() {
            gone(std::fs::rename(
                journal_path(&self.dir, n),
                journal_path(&self.dir, n + 1),
            ))?;
        }
        debug!(dir = %self.dir.display(), "journal rotated");
        Ok(())
    }
}

/// The thread that owns the file: batches in, written in order; says when it is done.
struct Writer {
    batches: SyncSender<Vec<u8>>,
    done: oneshot::Receiver<()>,
}

impl Writer {
    fn spawn(mut file: RotatingFile) -> std::io::Result<Writer> {
        let (batches, rx): (SyncSender<Vec<u8>>, Receiver<Vec<u8>>) = sync_channel(1);
        let (done_tx, done) = oneshot::channel();
        let span = tracing::Span::current();
        std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let _span = span.enter();
                let mut failing = false;
                for batch in rx {
                    match file.append(&batch) {
                        Ok(()) if failing => {
                            failing = false;
                            warn!("the journal is written again");
                        }
                        Ok(()) => {}
                        Err(e) if !failing => {
                            failing = true;
                            warn!(error = %e, "cannot write the journal; these entries are lost, will try again");
                        }
                        Err(e) => debug!(error = %e, "journal still not writable"),
                    }
                }
                if let Err(e) = file.sync() {
                    debug!(error = %e, "journal not synced");
                }
                let _ = done_tx.send(());
            })?;
        Ok(Writer { batches, done })
    }
}

/// Follow the desk and keep the journal in `dir` (see the module's doc). `recent` gets the
/// last [`RECENT`] entries, newest last: first what the file already holds, then each new
/// entry as it is written. Ends at `stop` (writing what is still open) or when the desk stops.
///
/// The desk is followed from the call, not from the first poll, so nothing accepted between
/// the service's start and this task's first turn is lost.
pub fn keep_journal(
    desk: DeskHandle,
    dir: PathBuf,
    recent: watch::Sender<Vec<JournalEntry>>,
    stop: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    keep_journal_sized(desk, dir, recent, stop, ROTATE_AT)
}

pub(super) fn keep_journal_sized(
    desk: DeskHandle,
    dir: PathBuf,
    recent: watch::Sender<Vec<JournalEntry>>,
    stop: CancellationToken,
    rotate_at: u64,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let changes = desk.subscribe();
    drop(desk);
    let span = info_span!("journal", dir = %dir.display());
    async move {
        let mut changes = changes;
        let writer = match Writer::spawn(RotatingFile::new(dir.clone(), rotate_at, KEEP_ROTATED))
        {
            Ok(w) => w,
            Err(e) => {
                warn!(error = %e, "cannot start the journal's writer; nothing will be journaled");
                return;
            }
        };
        // What the file already holds, read beside the following (a big file must not make
        // the desk's broadcast overflow).
        let seed_dir = dir.clone();
        let mut seed = Some(tokio::task::spawn_blocking(move || {
            super::read_journal(&seed_dir, &super::JournalFilter::last(RECENT))
        }));
        let mut folder = Folder::default();
        let mut out: Vec<JournalEntry> = Vec::new();
        let mut backlog = Backlog::default();
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = folder.due();
            tokio::select! {
                _ = stop.cancelled() => break,
                r = changes.recv() => match r {
                    Ok(c) => folder.push(&c, Instant::now(), wall_now(), &mut out),
                    Err(RecvError::Lagged(n)) => {
                        warn!(missed = n, "the journal fell behind the desk");
                        out.push(Folder::missed(n, wall_now()));
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    folder.close_due(Instant::now(), &mut out);
                }
                _ = flush.tick() => {
                    backlog.hand_over(&writer.batches);
                }
                r = async {
                    match seed.as_mut() {
                        Some(reading) => reading.await,
                        None => std::future::pending().await,
                    }
                }, if seed.is_some() => {
                    seed = None;
                    match r {
                        Ok(Ok(old)) => recent.send_modify(|v| {
                            let mut all = old;
                            all.append(v);
                            *v = tail(all, RECENT);
                        }),
                        Ok(Err(e)) => warn!("{e}; the screen shows only new entries"),
                        Err(e) => warn!(error = %e, "the journal's reader stopped"),
                    }
                }
            }
            if !out.is_empty() {
                backlog.add(&out);
                recent.send_modify(|v| {
                    v.append(&mut out);
                    let excess = v.len().saturating_sub(RECENT);
                    v.drain(..excess);
                });
            }
        }
        // What the desk accepted before the stop is still owed to the journal.
        loop {
            match changes.try_recv() {
                Ok(c) => folder.push(&c, Instant::now(), wall_now(), &mut out),
                Err(TryRecvError::Lagged(n)) => out.push(Folder::missed(n, wall_now())),
                Err(_) => break,
            }
        }
        folder.close_all(&mut out);
        backlog.add(&out);
        recent.send_modify(|v| {
            v.append(&mut out);
            let excess = v.len().saturating_sub(RECENT);
            v.drain(..excess);
        });
        let Writer { batches, done } = writer;
        while !backlog.bytes.is_empty() {
            if !backlog.hand_over(&batches) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        drop(batches);
        let _ = done.await;
        debug!("journal closed");
    }
    .instrument(span)
}

fn tail(mut v: Vec<JournalEntry>, n: usize) -> Vec<JournalEntry> {
    let excess = v.len().saturating_sub(n);
    v.drain(..excess);
    v
}

/// Lines waiting for the writer thread.
#[derive(Default)]
struct Backlog {
    bytes: Vec<u8>,
    entries: u64,
    /// Entries given up while the disk stalled, told in the next batch.
    dropped: u64,
}

impl Backlog {
    fn add(&mut self, entries: &[JournalEntry]) {
        if self.bytes.len() > MAX_BACKLOG {
            self.dropped += entries.len() as u64;
            return;
        }
        if self.dropped > 0 {
            warn!(
                dropped = self.dropped,
                "the disk was too slow for the journal; entries were given up"
            );
            let note = Folder::missed(self.dropped, wall_now()).to_line();
            self.bytes.extend_from_slice(note.as_bytes());
            self.dropped = 0;
        }
        for e in entries {
            self.bytes.extend_from_slice(e.to_line().as_bytes());
        }
        self.entries += entries.len() as u64;
    }

    /// Give the writer what is waiting, unless it is still busy; whether it took it.
    fn hand_over(&mut self, writer: &SyncSender<Vec<u8>>) -> bool {
        if self.bytes.is_empty() {
            return true;
        }
        match writer.try_send(std::mem::take(&mut self.bytes)) {
            Ok(()) => {
                self.entries = 0;
                true
            }
            Err(TrySendError::Full(bytes)) => {
                self.bytes = bytes;
                false
            }
            Err(TrySendError::Disconnected(_)) => {
                warn!(
                    entries = self.entries,
                    "the journal's writer stopped; entries lost"
                );
                self.entries = 0;
                true
            }
        }
    }
}

/// The entry's time as RFC 3339 UTC with milliseconds, as the file has it.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
