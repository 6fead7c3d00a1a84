//! The config as written: serde DTOs, every field optional where the file may omit it,
//! `Spanned` where a later check must point back at the text. Field order is the order the
//! "expected one of …" hints list them in.

use serde::Deserialize;
use toml::Spanned;

use super::model::{Density, Language, LogLevel, Profile, StabilizerMode, Theme};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub mixers: Option<Spanned<MixersFile>>,
    #[serde(default)]
    pub surfaces: Vec<SurfaceFile>,
    pub stabilizer: Option<StabilizerFile>,
    pub ui: Option<UiFile>,
    pub state: Option<StateFile>,
    pub web: Option<WebFile>,
    pub log: Option<LogFile>,
}

/// `[mixers]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MixersFile {
    pub x32: Option<X32File>,
    pub camilla: Option<CamillaFile>,
}

/// `[mixers.x32]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct X32File {
    pub address: Spanned<String>,
    pub local_port: Option<u16>,
    pub meters: Option<bool>,
    pub strips: Option<Vec<Spanned<String>>>,
    /// Accepted so files can say it; "mixer" is the only policy so far, so the model omits it.
    #[allow(dead_code)]
    pub readback: Option<Readback>,
}

/// Who wins when the desk and the mixer disagree at connect.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Readback {
    /// The mixer's values are read back into the desk.
    Mixer,
}

/// `[mixers.camilla]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CamillaFile {
    pub url: Spanned<String>,
    pub channels: Option<Spanned<i64>>,
    pub aux_faders: Option<Spanned<i64>>,
    pub config: Option<Spanned<String>>,
    #[serde(default)]
    pub crossfader: bool,
    #[serde(default)]
    pub group_tone: bool,
}

/// One `[[surfaces]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SurfaceFile {
    pub name: Spanned<String>,
    pub mapping: Spanned<String>,
    pub enabled: Option<bool>,
}

/// `[stabilizer]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StabilizerFile {
    pub enabled: Option<Spanned<bool>>,
    pub source: Option<Spanned<String>>,
    pub target_lufs: Option<Spanned<f64>>,
    pub profile: Option<Profile>,
    pub mode: Option<StabilizerMode>,
    pub max_boost_db: Option<Spanned<f64>>,
    pub max_cut_db: Option<Spanned<f64>>,
    pub resume_after_s: Option<Spanned<f64>>,
    pub meter_position: Option<Spanned<String>>,
    pub loop_delay_ms: Option<Spanned<f64>>,
    pub up_db_per_s: Option<Spanned<f64>>,
    pub down_db_per_s: Option<Spanned<f64>>,
    pub emergency_db_per_s: Option<Spanned<f64>>,
    pub window_db: Option<Spanned<f64>>,
    pub kp: Option<Spanned<f64>>,
    pub ki: Option<Spanned<f64>>,
    pub kd: Option<Spanned<f64>>,
}

/// `[ui]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UiFile {
    pub language: Option<Language>,
    pub theme: Option<Theme>,
    pub density: Option<Density>,
    pub follow_bank: Option<Spanned<String>>,
    pub headless: Option<bool>,
}

/// `[state]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateFile {
    pub dir: Option<Spanned<String>>,
    pub restore_x32: Option<bool>,
    pub restore_camilla: Option<bool>,
}

/// `[web]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebFile {
    pub enabled: Option<bool>,
    pub listen: Option<Spanned<String>>,
    pub tls_cert: Option<Spanned<String>>,
    pub tls_key: Option<Spanned<String>>,
    pub allowed_origins: Option<Vec<Spanned<String>>>,
}

/// `[log]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogFile {
    pub level: Option<LogLevel>,
}
