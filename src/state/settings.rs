//! `settings.toml`: the desk values that are settings, as written, checked and followed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use toml::Spanned;
use tracing::{debug, info, info_span, warn, Instrument};

use super::write_atomic;
use crate::desk::{DeskHandle, MixerId, Op, ParamId, SurfaceParam, Value};
use crate::tomlfile::{self, Diagnostics, FileError, FileKind};

/// Settings are saved this long after the last change…
pub const SAVE_AFTER: Duration = Duration::from_secs(1);
/// …and at most this long after the first unsaved one, however busy the changes.
pub const SAVE_AT_MOST_AFTER: Duration = Duration::from_secs(5);

/// The file's format; a newer pupitre may write a higher one.
const VERSION: i64 = 1;

/// Whether a desk parameter is a setting: the screen's `ui/…` and each controller's bank.
/// (Whether a controller is connected is not: that is the present, not a choice.)
pub fn is_setting(param: &ParamId) -> bool {
    (param.mixer() == MixerId::Pupitre && param.path().starts_with("ui/"))
        || matches!(param.as_surface(), Some((_, SurfaceParam::Bank)))
}

/// Saved settings: desk values by parameter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Each setting's value, sorted by parameter.
    pub values: Vec<(ParamId, Value)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    version: Spanned<i64>,
    #[serde(default)]
    values: BTreeMap<Spanned<String>, Spanned<FileValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileValue {
    Index(i64),
    Level(f64),
    Text(String),
}

impl Settings {
    /// The settings among `values` (a desk snapshot).
    pub fn from_desk(values: impl IntoIterator<Item = (ParamId, Value)>) -> Settings {
        let mut values: Vec<_> = values.into_iter().filter(|(p, _)| is_setting(p)).collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        Settings { values }
    }

    /// Read `path`; `Ok(None)` when there is no such file yet.
    pub fn load(path: &Path) -> Result<Option<Settings>, FileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Settings::parse(&text, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FileError::read(path, FileKind::State, e)),
        }
    }

    /// Check settings text; problems name `path`, the line and the column.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, FileError> {
        let mut diags = Diagnostics::new(text);
        let invalid = |d: Diagnostics| FileError::invalid(path, FileKind::State, d.into_sorted());
        let Some(file) = tomlfile::from_str::<SettingsFile>(text, &mut diags) else {
            return Err(invalid(diags));
        };
        if *file.version.get_ref() != VERSION {
            diags.at(
                file.version.span(),
                format!(
                    "version = {} is not one this pupitre reads; expected {VERSION} (a newer \
                     pupitre wrote it?)",
                    file.version.get_ref()
                ),
            );
            return Err(invalid(diags));
        }
        let mut values = Vec::new();
        for (key, value) in file.values {
            let param = match ParamId::parse(key.get_ref()) {
                Ok(p) if is_setting(&p) => p,
                Ok(p) => {
                    diags.at(key.span(), format!("{p} is not a setting pupitre saves"));
                    continue;
                }
                Err(e) => {
                    diags.at(key.span(), e.to_string());
                    continue;
                }
            };
            let kind = param.kind();
            let raw = match value.get_ref() {
                FileValue::Index(i) => u32::try_from(*i).map(Value::Index).map_err(|_| ()),
                FileValue::Level(x) => crate::desk::Normalized::try_new(*x)
                    .map(Value::Level)
                    .map_err(|_| ()),
                FileValue::Text(t) => Ok(Value::Text(t.as_str().into())),
            };
            // The kind checks the shape and the range, as it would for an intent.
            match raw.map(|v| kind.apply(&Op::Set(v), &kind.default_value())) {
                Ok(Ok(v)) => values.push((param, v)),
                Ok(Err(e)) => diags.at(value.span(), format!("{param}: {e}")),
                Err(()) => diags.at(
                    value.span(),
                    format!("{param}: expected a whole number from 0 or a position from 0 to 1"),
                ),
            }
        }
        if !diags.is_empty() {
            return Err(invalid(diags));
        }
        values.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Settings { values })
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# pupitre's settings: the screen's language, theme and density, and where each\n\
             # controller's bank stands. pupitre writes this file when they change; edit it only\n\
             # while pupitre is stopped.\n",
        );
        out.push_str(&format!("version = {VERSION}\n\n[values]\n"));
        for (param, value) in &self.values {
            let v = match value {
                Value::Index(i) => i.to_string(),
                Value::Level(x) => format!("{:?}", x.get()),
                Value::Text(t) => toml::Value::String(t.to_string()).to_string(),
            };
            out.push_str(&format!("{:?} = {v}\n", param.to_string()));
        }
        out
    }
}

/// Follow the desk and keep `file` up to date with its settings: saved [`SAVE_AFTER`] after the
/// last change (at most [`SAVE_AT_MOST_AFTER`] after the first), and once more on `stop` when
/// something is still unsaved. A failed write is logged and retried with the next change.
pub async fn keep_settings(desk: DeskHandle, file: PathBuf, stop: CancellationToken) {
    let span = info_span!("settings", file = %file.display());
    async move {
        let mut changes = desk.subscribe();
        let mut last_saved = match desk.snapshot().await {
            Ok(all) => Settings::from_desk(all),
            Err(_) => return,
        };
        // Since when something is unsaved, and the last change.
        let mut dirty: Option<(Instant, Instant)> = None;
        loop {
            let due = dirty.map(|(first, last)| (last + SAVE_AFTER).min(first + SAVE_AT_MOST_AFTER));
            tokio::select! {
                _ = stop.cancelled() => break,
                r = changes.recv() => match r {
                    Ok(c) if is_setting(&c.param) => {
                        let now = Instant::now();
                        dirty = Some((dirty.map_or(now, |(first, _)| first), now));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let now = Instant::now();
                        dirty = Some((dirty.map_or(now, |(first, _)| first), now));
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    dirty = None;
                    save(&desk, &file, &mut last_saved).await;
                }
            }
        }
        // Always look once more: a change may have reached the desk just before the stop, with
        // its broadcast not yet seen here (the save compares and writes only what changed).
        save(&desk, &file, &mut last_saved).await;
    }
    .instrument(span)
    .await
}

async fn save(desk: &DeskHandle, file: &Path, last_saved: &mut Settings) {
    let Ok(all) = desk.snapshot().await else {
        return;
    };
    let settings = Settings::from_desk(all);
    if settings == *last_saved {
        debug!("settings unchanged");
        return;
    }
    let text = settings.to_toml();
    let path = file.to_owned();
    let written = tokio::task::spawn_blocking(move || write_atomic(&path, text.as_bytes())).await;
    match written {
        Ok(Ok(())) => {
            info!(values = settings.values.len(), "settings saved");
            *last_saved = settings;
        }
        Ok(Err(e)) => {
            warn!(error = %e, "cannot save the settings; will try again at the next change")
        }
        Err(e) => warn!(error = %e, "the settings writer stopped"),
    }
}
