//! Reading the journal back: every file in time order, filters, and following it as it grows.
//!
//! A line that cannot be read (torn by a power cut, edited by hand) is skipped and reported
//! with its file, line and column; it never hides the rest.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use thiserror::Error;
use tracing::warn;

use super::journal::{journal_path, JournalEntry, JOURNAL_FILE};
use crate::midi::NamePattern;

/// Which entries to show. The default shows everything.
#[derive(Clone, Debug, Default)]
pub struct JournalFilter {
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries whose origin is one of these or starts with one of them followed by `:`
    /// (`surface` takes `surface:xtouch`); any origin when empty. Case is ignored.
    pub origins: Vec<String>,
    /// Entries whose parameter matches one of these (a glob with `*`, else a part of the id);
    /// any when empty.
    pub params: Vec<NamePattern>,
    /// Only the last so many of the entries that pass.
    pub last: Option<usize>,
}

impl JournalFilter {
    /// The last `n` entries, whatever they are.
    pub fn last(n: usize) -> JournalFilter {
        JournalFilter {
            last: Some(n),
            ..JournalFilter::default()
        }
    }

    /// Whether `entry` passes (all but `last`, which needs the whole list).
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        self.since.is_none_or(|t| entry.time >= t)
            && self.until.is_none_or(|t| entry.time <= t)
            && (self.origins.is_empty()
                || self
                    .origins
                    .iter()
                    .any(|o| origin_matches(o, &entry.origin)))
            && (self.params.is_empty() || self.params.iter().any(|p| p.matches(&entry.param)))
    }
}

/// `surface` matches `surface` and `surface:…`, not `surfaces`; `surface:` matches what follows.
fn origin_matches(wanted: &str, origin: &str) -> bool {
    let (w, o) = (wanted.as_bytes(), origin.as_bytes());
    if o.len() < w.len() || !o[..w.len()].eq_ignore_ascii_case(w) {
        return false;
    }
    o.len() == w.len() || w.last() == Some(&b':') || o[w.len()] == b':'
}

/// The journal folder cannot be read.
#[derive(Debug, Error)]
#[error("cannot read the journal {}: {source}", path.display())]
pub struct JournalError {
    /// The folder or file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// What [`read_journal_detailed`] found.
#[derive(Debug, Default)]
pub struct JournalRead {
    /// The entries that pass the filter, oldest first.
    pub entries: Vec<JournalEntry>,
    /// Lines skipped, each as `FILE:LINE:COLUMN: why`.
    pub problems: Vec<String>,
    /// Where `journal.jsonl` ended, for [`JournalTail::new`].
    pub end: TailPosition,
}

/// Every entry in `dir`'s journal files that passes `filter`, oldest first. Unreadable lines
/// are skipped with a warning naming file, line and column. No journal yet is no entries.
pub fn read_journal(dir: &Path, filter: &JournalFilter) -> Result<Vec<JournalEntry>, JournalError> {
    let read = read_journal_detailed(dir, filter)?;
    for p in &read.problems {
        warn!("{p}");
    }
    Ok(read.entries)
}

/// As [`read_journal`], with the skipped lines and where the current file ends.
pub fn read_journal_detailed(
    dir: &Path,
    filter: &JournalFilter,
) -> Result<JournalRead, JournalError> {
    let mut read = JournalRead::default();
    for path in journal_files(dir)? {
        let mut file = match File::open(&path) {
            Ok(f) => f,
            // Rotated away between the listing and now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(JournalError { path, source }),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| JournalError {
                path: path.clone(),
                source,
            })?;
        if path.file_name().is_some_and(|n| n == JOURNAL_FILE) {
            read.end = TailPosition {
                offset: bytes.len() as u64,
                id: file_id(&file),
                line: bytes.iter().filter(|b| **b == b'\n').count() + 1,
            };
        }
        parse_lines(&bytes, &path, 1, &mut read.entries, &mut read.problems);
    }
    // Files are in order and so, nearly, are lines; entries folded over different spans may
    // close a little out of order.
    read.entries.sort_by_key(|e| e.time);
    read.entries.retain(|e| filter.matches(e));
    if let Some(n) = filter.last {
        let excess = read.entries.len().saturating_sub(n);
        read.entries.drain(..excess);
    }
    Ok(read)
}

/// The journal's files in `dir`, oldest first: `journal.N.jsonl` from the highest N, then
/// `journal.jsonl`. Only those that exist.
pub fn journal_files(dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let listing = match std::fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(JournalError {
                path: dir.to_owned(),
                source,
            })
        }
    };
    let mut rotated: Vec<u32> = Vec::new();
    let mut current = false;
    for item in listing.flatten() {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == JOURNAL_FILE {
            current = true;
        } else if let Some(n) = name
            .strip_prefix("journal.")
            .and_then(|r| r.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0)
        {
            rotated.push(n);
        }
    }
    rotated.sort_unstable_by(|a, b| b.cmp(a));
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|n| journal_path(dir, n)).collect();
    if current {
        files.push(journal_path(dir, 0));
    }
    Ok(files)
}

/// Parse journal lines; `first_line` is the number of the first one in `file`. Entries go to
/// `out`, unreadable lines to `problems` as `FILE:LINE:COLUMN: why`. Never fails.
pub fn parse_lines(
    bytes: &[u8],
    file: &Path,
    first_line: usize,
    out: &mut Vec<JournalEntry>,
    problems: &mut Vec<String>,
) {
    let torn_end = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.into_iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(e) => out.push(e),
            Err(e) => {
                let why = e.to_string();
                // serde_json says where; the place goes in front instead.
                let why = why.rfind(" at line ").map_or(why.as_str(), |at| &why[..at]);
                let what = if torn_end && i == last {
                    "torn last line (a power cut while writing?) skipped"
                } else {
                    "unreadable entry skipped"
                };
                problems.push(format!(
                    "{}:{}:{}: {what}: {why}",
                    file.display(),
                    first_line + i,
                    e.column()
                ));
            }
        }
    }
}

/// What `--since` and `--until` take, resolved against `now`: a duration ago (`10m`, `2h`,
/// `1d`, `1h30m`), an RFC 3339 time (`2026-11-22T14:00:00Z`, `…+01:00`), or a local date and
/// time (`2026-11-22 14:00`, `2026-11-22`, or `14:00` for today).
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, WhenError> {
    let t = text.trim();
    let bad = || WhenError::Unreadable(text.to_owned());
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(ago) = humantime::parse_duration(t) {
        return chrono::TimeDelta::from_std(ago)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| WhenError::TooFarBack(text.to_owned()));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })
    .or_else(|| {
        ["%H:%M:%S%.f", "%H:%M"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(t, f).ok())
            .map(|time| now.with_timezone(&Local).date_naive().and_time(time))
    })
    .ok_or_else(bad)?;
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| WhenError::NotLocal(text.to_owned()))
}

/// A `--since` or `--until` that is not a time.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WhenError {
    /// Neither a duration nor a time.
    #[error(
        "{0:?} is neither a duration ago (10m, 2h, 1d) nor a time (2026-11-22T14:00:00Z, or \
         2026-11-22 14:00, 2026-11-22 or 14:00 in local time)"
    )]
    Unreadable(String),
    /// A duration reaching before the calendar.
    #[error("{0:?} reaches too far back")]
    TooFarBack(String),
    /// A local time skipped by a clock change.
    #[error("{0:?} does not exist in local time (the clocks changed then)")]
    NotLocal(String),
}

/// Where a follower starts in `journal.jsonl`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TailPosition {
    offset: u64,
    id: Option<(u64, u64)>,
    line: usize,
}

/// Follows `journal.jsonl` as the service appends to it, across rotations: call
/// [`JournalTail::poll`] now and then.
pub struct JournalTail {
    path: PathBuf,
    file: Option<File>,
    at: TailPosition,
    partial: Vec<u8>,
}

impl JournalTail {
    /// Follow `dir`'s journal from `from` (where a [`read_journal_detailed`] ended; the
    /// default is the start of the file).
    pub fn new(dir: &Path, from: TailPosition) -> JournalTail {
        JournalTail {
            path: journal_path(dir, 0),
            file: None,
            at: TailPosition {
                line: from.line.max(1),
                ..from
            },
            partial: Vec::new(),
        }
    }

    /// The complete entries written since the last call, in file order; unreadable lines go
    /// to `problems`.
    pub fn poll(&mut self, problems: &mut Vec<String>) -> Vec<JournalEntry> {
        let mut out = Vec::new();
        if self.file.is_none() {
            self.open(problems);
        }
        self.drain(&mut out, problems);
        // Rotated (a new file under the name) or cut short: finish the old, start the new.
        let now = std::fs::metadata(&self.path).ok();
        let replaced = match (&now, self.at.id) {
            (Some(m), Some(id)) => metadata_id(m).is_some_and(|new| new != id),
            _ => false,
        } || now.as_ref().is_some_and(|m| m.len() < self.at.offset);
        if replaced || (self.file.is_some() && now.is_none()) {
            if !self.partial.is_empty() {
                problems.push(format!(
                    "{}:{}: torn last line skipped",
                    self.path.display(),
                    self.at.line
                ));
                self.partial.clear();
            }
            self.file = None;
            self.at = TailPosition {
                offset: 0,
                id: None,
                line: 1,
            };
            self.open(problems);
            self.drain(&mut out, problems);
        }
        out
    }

    fn open(&mut self, problems: &mut Vec<String>) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        let id = file_id(&file);
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let same = self.at.id.is_none_or(|known| Some(known) == id);
        if !same || len < self.at.offset {
            self.at.offset = 0;
            self.at.line = 1;
        }
        if let Err(e) = file.seek(SeekFrom::Start(self.at.offset)) {
            problems.push(format!("{}: {e}", self.path.display()));
            return;
        }
        self.at.id = id;
        self.file = Some(file);
    }

    fn drain(&mut self, out: &mut Vec<JournalEntry>, problems: &mut Vec<String>) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut fresh = Vec::new();
        if let Err(e) = file.read_to_end(&mut fresh) {
            problems.push(format!("{}: {e}", self.path.display()));
            return;
        }
        self.at.offset += fresh.len() as u64;
        self.partial.extend_from_slice(&fresh);
        let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return;
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        parse_lines(&complete, &self.path, self.at.line, out, problems);
        self.at.line += complete.iter().filter(|b| **b == b'\n').count();
    }
}

fn file_id(file: &File) -> Option<(u64, u64)> {
    file.metadata().ok().as_ref().and_then(metadata_id)
}

#[cfg(unix)]
fn metadata_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

/// Elsewhere a rotation shows as the file getting shorter.
#[cfg(not(unix))]
fn metadata_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}
