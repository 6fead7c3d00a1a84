//! The config as the service uses it: every default filled in, every value checked, strips and
//! paths resolved. Built only by `build`; nothing downstream re-checks it.

use std::path::PathBuf;

use serde::Deserialize;

use crate::desk::Strip;

/// Defaults, in one place, so the example file, the loader and the demo agree (a test loads the
/// example and compares it with these).
pub(crate) mod defaults {
    use crate::desk::Strip;

    /// The X32's OSC port.
    pub const X32_PORT: u16 = 10023;
    /// Any source port: the OS chooses.
    pub const LOCAL_PORT: u16 = 0;
    /// Meters feed the screen and the stabilizer, so they are on unless refused.
    pub const METERS: bool = true;
    /// A listed surface is opened unless it says otherwise.
    pub const SURFACE_ENABLED: bool = true;
    /// Strips shown when `strips` is absent.
    pub const X32_STRIPS: &[&str] = &["ch/01-16", "bus/01-08", "mtx/01-06", "main/st"];
    /// Strips of the built-in demo: the defaults plus the DCAs.
    pub const DEMO_STRIPS: &[&str] = &["ch/01-16", "bus/01-08", "mtx/01-06", "main/st", "dca/1-8"];
    /// The stabilizer's usual home: the livestream matrix.
    pub const STABILIZER_SOURCE: Strip = Strip::Matrix(1);
    /// A common streaming loudness target.
    pub const TARGET_LUFS: f64 = -16.0;
    /// How far the stabilizer may push a fader up: the X32 fader's top from a 0 dB home (a
    /// quiet talker needs +8 to +10 dB; the benchmark scores +6 at 0.66× the oracle).
    pub const MAX_BOOST_DB: f64 = 10.0;
    /// How far the stabilizer may pull a fader down.
    pub const MAX_CUT_DB: f64 = 12.0;
    /// Quiet time after someone else moves the stabilized fader before it rides again.
    pub const RESUME_AFTER_S: f64 = 10.0;
    /// One frame of fader latency and one of meter latency.
    pub const LOOP_DELAY_MS: f64 = 100.0;
}

/// Allowed ranges, with their units, for the messages that quote them.
pub(crate) mod limits {
    /// `target_lufs`.
    pub const TARGET_LUFS: (f64, f64, &str) = (-40.0, -5.0, "LUFS");
    /// `max_boost_db`.
    pub const MAX_BOOST_DB: (f64, f64, &str) = (0.0, 20.0, "dB");
    /// `max_cut_db`.
    pub const MAX_CUT_DB: (f64, f64, &str) = (0.0, 40.0, "dB");
    /// `resume_after_s`.
    pub const RESUME_AFTER_S: (f64, f64, &str) = (0.5, 600.0, "s");
    /// `loop_delay_ms`.
    pub const LOOP_DELAY_MS: (f64, f64, &str) = (50.0, 2000.0, "ms");
    /// `up_db_per_s`.
    pub const UP_DB_PER_S: (f64, f64, &str) = (0.1, 20.0, "dB/s");
    /// `down_db_per_s`.
    pub const DOWN_DB_PER_S: (f64, f64, &str) = (0.1, 40.0, "dB/s");
    /// `emergency_db_per_s`.
    pub const EMERGENCY_DB_PER_S: (f64, f64, &str) = (1.0, 100.0, "dB/s");
    /// `window_db`.
    pub const WINDOW_DB: (f64, f64, &str) = (0.0, 12.0, "dB");
    /// `kp`, `ki`, `kd`.
    pub const PID_GAIN: (f64, f64, &str) = (0.0, 20.0, "");
}

/// The whole service config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The X32, if one is configured.
    pub x32: Option<X32Config>,
    /// CamillaDSP, if configured.
    pub camilla: Option<CamillaConfig>,
    /// Control surfaces and their mapping files, in file order.
    pub surfaces: Vec<SurfaceConfig>,
    /// The loudness stabilizer (present even when disabled, so the UI can switch it on).
    pub stabilizer: StabilizerConfig,
    /// The touchscreen desk.
    pub ui: UiConfig,
    /// Where pupitre keeps what it remembers between runs.
    pub state: StateConfig,
    /// Which mixers get the saved desk state back at start (`[state] restore_x32`,
    /// `restore_camilla`).
    pub restore: RestoreConfig,
    /// The web remote (`[web]`); `None` when it is off.
    pub web: Option<WebConfig>,
    /// Logging.
    pub log: LogConfig,
}

/// Which mixers get the desk state saved at the last run back at start. The X32 is the truth
/// by default (its own surface may have moved while pupitre was off); CamillaDSP restarts at
/// its config file's values, so pupitre puts its last state back by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreConfig {
    /// `[state] restore_x32` (default false).
    pub x32: bool,
    /// `[state] restore_camilla` (default true).
    pub camilla: bool,
}

impl Default for RestoreConfig {
    fn default() -> Self {
        RestoreConfig {
            x32: false,
            camilla: true,
        }
    }
}

/// `[web]`: the web remote, when enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    /// Where to listen (`listen`; default all addresses, port 8032).
    pub listen: std::net::SocketAddr,
    /// `tls_cert` and `tls_key`, resolved from the config's folder.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `allowed_origins`: pages elsewhere (a reverse proxy's address) allowed to connect.
    pub allowed_origins: Vec<String>,
}

/// `[state]`: where pupitre keeps what it remembers between runs.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum StateConfig {
    /// The standard place (`state::StateDir::standard`).
    #[default]
    Standard,
    /// `[state] dir` (relative paths start at the config's folder).
    Dir(std::path::PathBuf),
    /// Nowhere: nothing is restored or saved (screenshots, tests).
    Nowhere,
}

/// How to reach the X32.
#[derive(Clone, Debug, PartialEq)]
pub struct X32Config {
    /// `host:port`, with the port filled in (10023 when not given); IPv6 literals in brackets.
    pub address: String,
    /// UDP source port; 0 lets the OS choose. A fixed port helps firewalls.
    pub local_port: u16,
    /// Whether to subscribe to `/meters/0` and `/meters/2`.
    pub meters: bool,
    /// The strips the desk tracks and shows, deduplicated, in the order given.
    pub strips: Vec<Strip>,
}

/// How to reach CamillaDSP.
#[derive(Clone, Debug, PartialEq)]
pub struct CamillaConfig {
    /// `ws://` or `wss://` URL of its websocket server.
    pub url: String,
    /// Channels pupitre follows (gain, mute, solo, bass, treble through the `chN_*` filters).
    pub channels: u8,
    /// Aux faders in use (0–4).
    pub aux_faders: u8,
    /// CamillaDSP's own config file, for `pupitre check` to compare its filters with what
    /// pupitre drives (resolved against the config file's folder).
    pub config: Option<std::path::PathBuf>,
    /// A crossfader between the `xfade_a` and `xfade_b` Gain filters.
    pub crossfader: bool,
    /// Group tone controls on the `Bass` and `Treble` shelves (CamillaGUI's names).
    pub group_tone: bool,
}

/// One control surface.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceConfig {
    /// Unique, `[a-z0-9_-]+`: used in logs and as the `origin` of its intents.
    pub name: String,
    /// The mapping file, resolved against the config file's folder (it existed at load time).
    pub mapping: PathBuf,
    /// A disabled surface is kept in the config but not opened.
    pub enabled: bool,
}

/// The loudness stabilizer, which rides one X32 fader towards a target.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilizerConfig {
    /// Whether it runs at start-up.
    pub enabled: bool,
    /// The strip whose fader it rides: a bus, a matrix or a main.
    pub source: Strip,
    /// Integrated loudness to hold, −40.0 to −5.0 LUFS.
    pub target_lufs: f64,
    /// What the programme is, which sets the loudness window and speed.
    pub profile: Profile,
    /// How it steers the fader.
    pub mode: StabilizerMode,
    /// Largest gain it may add above where it found the fader, 0–20 dB.
    pub max_boost_db: f64,
    /// Largest gain it may take away, 0–40 dB.
    pub max_cut_db: f64,
    /// After someone else moves the fader, ride again after this long without further moves.
    pub resume_after_s: f64,
    /// Whether the source meter is before or after its fader (calibration can measure it).
    pub meter_position: crate::stabilizer::MeterPosition,
    /// From a fader write to the meter showing it (calibration can measure it).
    pub loop_delay_ms: f64,
    /// Overrides of the profile's rates and window.
    pub rates: crate::stabilizer::RateOverrides,
    /// The PID mode's gains.
    pub pid: crate::stabilizer::PidGains,
}

impl Default for StabilizerConfig {
    fn default() -> Self {
        StabilizerConfig {
            enabled: false,
            source: defaults::STABILIZER_SOURCE,
            target_lufs: defaults::TARGET_LUFS,
            profile: Profile::Auto,
            mode: StabilizerMode::Leveler,
            max_boost_db: defaults::MAX_BOOST_DB,
            max_cut_db: defaults::MAX_CUT_DB,
            resume_after_s: defaults::RESUME_AFTER_S,
            meter_position: crate::stabilizer::MeterPosition::Post,
            loop_delay_ms: defaults::LOOP_DELAY_MS,
            rates: crate::stabilizer::RateOverrides::default(),
            pid: crate::stabilizer::PidGains::default(),
        }
    }
}

/// How the stabilizer steers: the stabilizer's own type.
pub use crate::stabilizer::Mode as StabilizerMode;
/// What kind of programme the stabilizer listens to: the stabilizer's own type.
pub use crate::stabilizer::Profile;

/// The touchscreen desk.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct UiConfig {
    /// Interface language.
    pub language: Language,
    /// Colour theme.
    pub theme: Theme,
    /// Size of controls.
    pub density: Density,
    /// Which controller's bank the screen's pages follow (and move).
    pub follow_bank: FollowBank,
    /// Run without a window even when a display is found.
    pub headless: bool,
}

/// Which controller's bank the screen's pages follow and move.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum FollowBank {
    /// The first enabled surface whose mapping has banks.
    #[default]
    Auto,
    /// None: the screen pages on its own.
    None,
    /// This surface, by name.
    Surface(String),
}

/// Interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// From the system locale.
    #[default]
    Auto,
    /// English.
    En,
    /// French.
    Fr,
}

/// Colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Light on dark, for dim rooms.
    #[default]
    Dark,
    /// Dark on light, for daylight.
    Light,
    /// Maximum contrast.
    HighContrast,
}

/// Size of controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Density {
    /// More strips on a small screen.
    Compact,
    /// The default.
    #[default]
    Normal,
    /// Big targets for fingers.
    Large,
}

/// Logging.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LogConfig {
    /// The most detailed level pupitre logs.
    pub level: LogLevel,
}

impl LogConfig {
    /// A `tracing_subscriber::EnvFilter` directive string. Levels above `warn` apply to pupitre
    /// only: dependencies stay at `warn`, so websocket and runtime chatter does not drown the
    /// desk's own lines.
    pub fn filter(&self) -> String {
        let level = self.level.as_str();
        match self.level {
            LogLevel::Error | LogLevel::Warn => level.to_owned(),
            _ => format!("warn,pupitre={level}"),
        }
    }
}

/// Log level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// Failures and things that look wrong.
    Warn,
    /// Connections, reconnections, config: the default.
    #[default]
    Info,
    /// Every parameter change.
    Debug,
    /// Every packet.
    Trace,
}

impl LogLevel {
    /// As written in the file and in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}
