//! What pupitre remembers between runs, in one folder (the state directory).
//!
//! So far: the settings people change while it runs — the screen's language, theme and
//! density, and where each controller's bank stands. They are desk parameters like any other
//! (`pupitre:ui/…`, `pupitre:surface/NAME/bank`), so the screen, the controllers and later the
//! web remote all see the same ones. [`keep_settings`] follows the desk and saves them shortly
//! after they stop changing; the service gives them back to the desk at start.
//!
//! The action journal ([`keep_journal`]): every accepted change with its time, origin,
//! parameter and old → new value, appended to `journal.jsonl` and read back by
//! [`read_journal`] (`pupitre journal`).
//!
//! The desk's memory ([`memory`]): scenes in numbered slots (`scenes/scene-NN.json`), resets to
//! the defaults of [`defaults`], imports and exports in JSON and XML ([`exchange`]), and the
//! desk state (`desk-state.json`) saved shortly after changes stop and put back at start.
//!
//! Every file (but the journal, which is appended) is written beside its final name, flushed to disk, then renamed over it
//! ([`write_atomic`]): a power cut mid-write leaves the previous file whole.

pub mod defaults;
pub mod exchange;
mod journal;
mod journal_read;
pub mod memory;
mod scene;
mod settings;
mod store;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use journal::{
    format_time, keep_journal, EntryKind, JournalEntry, RawValue, FLUSH_EVERY, FOLD_GAP, FOLD_SPAN,
    JOURNAL_FILE, KEEP_ROTATED, RECENT, RESYNC_DETAIL, ROTATE_AT,
};
pub use journal_read::{
    journal_files, parse_lines, parse_when, read_journal, read_journal_detailed, JournalError,
    JournalFilter, JournalRead, JournalTail, TailPosition, WhenError,
};
pub use memory::{Command, MemoryHandle, MemorySetup, Reply, RestorePolicy, SceneSummary};
pub use scene::{
    check_name, is_scene_param, now_rfc3339, range_told_by_mixer, SavedValue, Scene, Scope, SLOTS,
};
pub use settings::{is_setting, keep_settings, Settings, SAVE_AFTER, SAVE_AT_MOST_AFTER};
pub use store::SceneStore;

use crate::config::StateConfig;

/// The folder pupitre keeps its state in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateDir {
    path: PathBuf,
}

impl StateDir {
    /// This folder.
    pub fn new(path: impl Into<PathBuf>) -> StateDir {
        StateDir { path: path.into() }
    }

    /// The standard place: `$STATE_DIRECTORY` (systemd's `StateDirectory=`, the first when it
    /// lists several), else `$XDG_STATE_HOME/pupitre`, else `~/.local/state/pupitre`. `None`
    /// when none of them is set.
    pub fn standard() -> Option<StateDir> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        if let Some(dirs) = var("STATE_DIRECTORY") {
            let first = dirs.to_string_lossy().split(':').next()?.to_owned();
            return Some(StateDir::new(first));
        }
        var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .map(|base| StateDir::new(base.join("pupitre")))
    }

    /// The config's `[state] dir`, else the standard place; `None` when the config says
    /// nowhere or no standard place exists.
    pub fn from_config(config: &StateConfig) -> Option<StateDir> {
        match config {
            StateConfig::Dir(d) => Some(StateDir::new(d)),
            StateConfig::Standard => StateDir::standard(),
            StateConfig::Nowhere => None,
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A subfolder, e.g. the demo's, so it never touches a real desk's state.
    pub fn join(&self, name: &str) -> StateDir {
        StateDir::new(self.path.join(name))
    }

    /// `settings.toml`.
    pub fn settings_file(&self) -> PathBuf {
        self.path.join("settings.toml")
    }
}

/// Write `bytes` to `path` so that it holds either the old content or the new, never a mix:
/// a temporary file beside it, flushed, renamed over it, and the folder flushed. Creates the
/// folder when missing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_watched(path, bytes, |_| Ok(()))
}

/// A point inside [`write_atomic`], where a test harness may interrupt it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStep {
    /// Before writing the bytes from this offset of the temporary file.
    Chunk(usize),
    /// Written and flushed; not yet renamed.
    Flushed,
    /// Renamed; the folder not yet flushed.
    Renamed,
}

/// Bytes written between two [`WriteStep::Chunk`]s.
const WRITE_CHUNK: usize = 4096;

/// [`write_atomic`] calling `at` at each step; an error from `at` stops the write there, as a
/// crash or a power cut would (a panic leaves the temporary file behind, as a kill does).
pub fn write_atomic_watched(
    path: &Path,
    bytes: &[u8],
    mut at: impl FnMut(WriteStep) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder)?;
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut written = (|| {
        let mut f = std::fs::File::create(&temporary)?;
        for (i, chunk) in bytes.chunks(WRITE_CHUNK).enumerate() {
            at(WriteStep::Chunk(i * WRITE_CHUNK))?;
            f.write_all(chunk)?;
        }
        f.sync_all()?;
        at(WriteStep::Flushed)?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_ok() {
        written = at(WriteStep::Renamed);
    }
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
        return written;
    }
    // The rename itself reaches the disk with the folder's entry (POSIX); not on Windows.
    #[cfg(unix)]
    std::fs::File::open(folder)?.sync_all()?;
    Ok(())
}

/// Move a file pupitre cannot read out of the way (`NAME.broken`, replacing an older one), so
/// the next save does not destroy what a person may want to look at. Returns where it went.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".broken");
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

#[cfg(test)]
mod journal_tests;
#[cfg(test)]
mod tests;
