//! `pupitre journal`: the action journal, filtered, as lines for a person or as JSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Local, Utc};
use clap::Args;
use pupitre::config::Config;
use pupitre::midi::NamePattern;
use pupitre::state::{
    parse_when, read_journal_detailed, JournalEntry, JournalFilter, JournalTail, StateDir,
};

/// How often `--follow` looks at the file.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);
/// Entries `--follow` shows first when no `--last` or `--since` says otherwise.
const FOLLOW_BACKLOG: usize = 10;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pupitre journal --since 1h                      what changed in the last hour
  pupitre journal --origin surface --last 20      the last 20 moves from any controller
  pupitre journal --param 'x32:/ch/*/mix/fader' --since 10:00 --until 12:00
                                                  channel faders this morning (local time)
  pupitre journal --origin mixer --follow         watch what is changed at the console itself
  pupitre journal --json --since 1d | jq .        for tools

Each line: time, origin, parameter, old → new value, and (×N) when N changes of one control \
from one origin, less than a second apart, were folded into one entry. Origins: surface:NAME \
(a controller), ui (the screen), web:DEVICE, stabilizer, mixer:x32 (the console's own surface \
or another remote), resync:x32 (read back after a connect), scene:NAME, cli; journal for \
changes it could not record.")]
pub struct JournalArgs {
    /// The state folder whose journal to read (default: the config's, else $STATE_DIRECTORY,
    /// else $XDG_STATE_HOME/pupitre, else ~/.local/state/pupitre).
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    state_dir: Option<PathBuf>,
    /// The service config file (TOML) whose [state] dir holds the journal.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only entries from then on: a duration ago (10m, 2h, 1d) or a time (2026-11-22T14:00:00Z,
    /// or in local time 2026-11-22 14:00, 2026-11-22, 14:00).
    #[arg(long, value_name = "WHEN", value_parser = when)]
    since: Option<DateTime<Utc>>,
    /// Only entries until then (same forms as --since).
    #[arg(long, value_name = "WHEN", value_parser = when, conflicts_with = "follow")]
    until: Option<DateTime<Utc>>,
    /// Only entries from this origin or family of origins: surface, surface:xtouch, ui,
    /// stabilizer, mixer, resync, scene… (repeatable: any of them).
    #[arg(long = "origin", value_name = "ORIGIN")]
    origins: Vec<String>,
    /// Only entries for these parameters: a glob where `*` matches anything
    /// ('x32:/ch/*/mix/fader'), or a part of the id (mix/on); case is ignored (repeatable).
    #[arg(long = "param", value_name = "PATTERN", value_parser = param_pattern)]
    params: Vec<NamePattern>,
    /// Only the last N entries of those that pass the other filters.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// Print the entries as JSON lines, as the file holds them.
    #[arg(long)]
    json: bool,
    /// Keep printing new entries as they are written (Ctrl-C stops). Shows the last 10 first
    /// unless --last or --since says otherwise.
    #[arg(short, long)]
    follow: bool,
    /// Show times in UTC rather than local time.
    #[arg(long)]
    utc: bool,
}

fn when(text: &str) -> Result<DateTime<Utc>, String> {
    parse_when(text, Utc::now()).map_err(|e| e.to_string())
}

fn param_pattern(text: &str) -> Result<NamePattern, String> {
    NamePattern::new(text).map_err(|_| {
        "an empty pattern; give a parameter id or a glob such as 'x32:/ch/*/mix/fader'".into()
    })
}

/// Run `pupitre journal`.
pub fn run(args: JournalArgs) -> Result<ExitCode> {
    let dir = state_dir(&args)?;
    let mut filter = JournalFilter {
        since: args.since,
        until: args.until,
        origins: args.origins.clone(),
        params: args.params.clone(),
        last: args.last,
    };
    if args.follow && filter.last.is_none() && filter.since.is_none() {
        filter.last = Some(FOLLOW_BACKLOG);
    }
    let read = read_journal_detailed(&dir, &filter)?;
    for p in &read.problems {
        eprintln!("pupitre: {p}");
    }
    let mut out = std::io::stdout().lock();
    for e in &read.entries {
        if !print(&mut out, e, &args)? {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if !args.follow {
        if read.entries.is_empty() {
            let files = pupitre::state::journal_files(&dir)?;
            if files.is_empty() {
                eprintln!(
                    "pupitre: no journal in {} yet (`pupitre run` writes journal.jsonl there as \
                     the desk changes)",
                    dir.display()
                );
            } else {
                eprintln!("pupitre: no entry matches");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    filter.last = None;
    let mut tail = JournalTail::new(&dir, read.end);
    loop {
        std::thread::sleep(FOLLOW_EVERY);
        let mut problems = Vec::new();
        let fresh = tail.poll(&mut problems);
        for p in &problems {
            eprintln!("pupitre: {p}");
        }
        for e in fresh.iter().filter(|e| filter.matches(e)) {
            if !print(&mut out, e, &args)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
        out.flush()?;
    }
}

/// Print one entry; `false` once the reader has gone (`| head`).
fn print(out: &mut impl Write, e: &JournalEntry, args: &JournalArgs) -> Result<bool> {
    let line = if args.json {
        e.to_line()
    } else {
        format!("{}  {}\n", time(&e.time, args.utc), e.describe())
    };
    match out.write_all(line.as_bytes()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// `2026-11-22 14:03:07.412`, in local time unless `utc`.
fn time(t: &DateTime<Utc>, utc: bool) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";
    if utc {
        t.format(FORMAT).to_string()
    } else {
        t.with_timezone(&Local).format(FORMAT).to_string()
    }
}

/// Where the journal is: `--state-dir`, the config's `[state] dir`, or the standard place.
fn state_dir(args: &JournalArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.state_dir {
        return Ok(dir.clone());
    }
    if let Some(file) = &args.config {
        let config = Config::load(file).map_err(|e| anyhow!("{e}"))?;
        return match StateDir::from_config(&config.state) {
            Some(dir) => Ok(dir.path().to_owned()),
            None => bail!(
                "{}: no state folder (no [state] dir, and no $STATE_DIRECTORY, \
                 $XDG_STATE_HOME or $HOME); give --state-dir DIR",
                file.display()
            ),
        };
    }
    StateDir::standard()
        .map(|d| d.path().to_owned())
        .context("no state folder ($STATE_DIRECTORY, $XDG_STATE_HOME and $HOME are unset); give --state-dir DIR or --config FILE")
}
