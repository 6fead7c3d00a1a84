//! The service config file (`pupitre.toml`): which mixers to reach, which surfaces to open with
//! which mapping files, the stabilizer, the touchscreen and logging.
//!
//! Three steps, as for mapping files: `file` is the TOML as written (serde, unknown keys
//! refused, spans kept), `build` checks it and fills defaults into the [`Config`] model, and
//! errors come back as one `path:line:column: message` line per problem. Syntax and type errors
//! stop `toml` at the first; every other problem in the file is reported together.
//! `pupitre.example.toml` at the repository root documents every key and loads in a test.

mod build;
mod file;
mod model;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;

pub use crate::tomlfile::Diagnostic;
pub use build::stabilizer_source;

/// Why a config file was refused: every problem as `path:line:column: message`.
pub type ConfigError = crate::tomlfile::FileError;
pub use model::{
    CamillaConfig, Config, Density, FollowBank, Language, LogConfig, LogLevel, Profile,
    RestoreConfig, StabilizerConfig, StabilizerMode, StateConfig, SurfaceConfig, Theme, UiConfig,
    WebConfig, X32Config,
};

use crate::desk::{ParamId, Strip, Value};
use crate::tomlfile::{self, Diagnostics, FileKind};
use model::defaults;

impl Config {
    /// Reads and checks a config file. A missing file names the path, the OS reason, and says to
    /// start from `pupitre.example.toml`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = tomlfile::read(path, FileKind::Config)?;
        Config::parse(&text, path)
    }

    /// Checks config text. `path` names the file in messages and is where relative mapping
    /// paths start from; mapping files must exist.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut diags = Diagnostics::new(text);
        let Some(file) = tomlfile::from_str::<file::FileConfig>(text, &mut diags) else {
            return Err(ConfigError::invalid(
                path,
                FileKind::Config,
                diags.into_sorted(),
            ));
        };
        let config = build::build(file, path, &mut diags);
        if diags.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::invalid(
                path,
                FileKind::Config,
                diags.into_sorted(),
            ))
        }
    }

    /// The built-in demo: an X32 (usually the fake one) at `x32_address` with channels, buses,
    /// matrices, main and DCAs, meters on, the stabilizer set up on `mtx/01` but off, headless,
    /// remembering nothing (`pupitre demo` gives it a state folder of its own).
    pub fn demo(x32_address: SocketAddr) -> Config {
        let strips = defaults::DEMO_STRIPS
            .iter()
            .flat_map(|s| Strip::parse_range(s).unwrap_or_default())
            .collect();
        Config {
            x32: Some(X32Config {
                address: x32_address.to_string(),
                local_port: defaults::LOCAL_PORT,
                meters: true,
                strips,
            }),
            camilla: None,
            surfaces: Vec::new(),
            stabilizer: StabilizerConfig::default(),
            ui: UiConfig {
                headless: true,
                ..UiConfig::default()
            },
            state: StateConfig::Nowhere,
            restore: RestoreConfig::default(),
            web: None,
            log: LogConfig::default(),
        }
    }

    /// Every desk parameter this config makes known, without repeats: each X32 strip's
    /// parameters, then the stabilizer source's fader (which may sit on a strip not shown).
    /// Nothing for the X32 when none is configured. Then CamillaDSP's: main, the Aux faders in
    /// use, and each followed channel's gain, mute, solo, bass and treble.
    pub fn params(&self) -> Vec<ParamId> {
        let mut seen = HashSet::new();
        let mut out: Vec<ParamId> = match &self.x32 {
            None => Vec::new(),
            Some(x32) => x32
                .strips
                .iter()
                .flat_map(Strip::params)
                .chain(std::iter::once(self.stabilizer.source.fader()))
                .filter(|p| seen.insert(p.clone()))
                .collect(),
        };
        if let Some(c) = &self.camilla {
            let mut paths = vec!["main/volume".to_string(), "main/mute".to_string()];
            for a in 1..=c.aux_faders {
                paths.push(format!("aux/{a}/volume"));
                paths.push(format!("aux/{a}/mute"));
            }
            if c.group_tone {
                paths.push("bass".to_string());
                paths.push("treble".to_string());
            }
            if c.crossfader {
                paths.push("crossfader".to_string());
                paths.push("crossfader/curve".to_string());
            }
            for ch in 0..c.channels {
                for leaf in ["gain", "mute", "solo", "bass", "treble"] {
                    paths.push(format!("ch/{ch}/{leaf}"));
                }
            }
            out.extend(paths.iter().filter_map(|p| ParamId::camilla(p).ok()));
        }
        out
    }

    /// The values the config gives pupitre's own settings before anything was saved: the
    /// screen's language (`auto`: from the system locale), theme and density.
    pub fn initial_values(&self) -> Vec<(ParamId, Value)> {
        let language = match self.ui.language {
            Language::En => 0,
            Language::Fr => 1,
            Language::Auto => u32::from(system_language_is_french()),
        };
        let theme = match self.ui.theme {
            Theme::Dark => 0,
            Theme::Light => 1,
            Theme::HighContrast => 2,
        };
        let density = match self.ui.density {
            Density::Compact => 0,
            Density::Normal => 1,
            Density::Large => 2,
        };
        [
            ("ui/language", language),
            ("ui/theme", theme),
            ("ui/density", density),
        ]
        .into_iter()
        .filter_map(|(path, i)| Some((ParamId::pupitre(path).ok()?, Value::Index(i))))
        .collect()
    }
}

/// Whether the system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first one set) is French.
pub fn system_language_is_french() -> bool {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .is_some_and(|l| l.starts_with("fr"))
}

#[cfg(test)]
mod tests;
