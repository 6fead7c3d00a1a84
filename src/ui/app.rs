//! The desk in a window: the Slint event loop on this (main) thread, the desk's tokio tasks on
//! the runtime's workers, one frame closure at most every 33 ms between them.

use std::path::PathBuf;

use slint::ComponentHandle;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::screen::{Look, Screen};
use super::{live, strips, DeskWindow};
use crate::config::Config;
use crate::desk::DeskHandle;
use crate::stabilizer::StabilizerState;

/// What the window shows.
pub struct UiInputs {
    /// The desk.
    pub desk: DeskHandle,
    /// The stabilizer's state, when it runs.
    pub stabilizer: Option<watch::Receiver<StabilizerState>>,
    /// The config: strips, mixers, surfaces, the look to start with.
    pub config: Config,
}

/// Where the look (language, theme, density) is kept between runs:
/// `$XDG_STATE_HOME/pupitre/ui.toml`, else `~/.local/state/pupitre/ui.toml`.
pub fn look_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("pupitre/ui.toml"))
}

/// The saved look, else the config's (the language from the system locale when `auto`).
pub fn initial_look(config: &Config) -> Look {
    use crate::config::{Density, Language, Theme};
    let mut look = Look {
        language: match config.ui.language {
            Language::Fr => "fr".into(),
            Language::En => "en".into(),
            Language::Auto => system_language(),
        },
        theme: match config.ui.theme {
            Theme::Dark => 0,
            Theme::Light => 1,
            Theme::HighContrast => 2,
        },
        density: match config.ui.density {
            Density::Compact => 0,
            Density::Normal => 1,
            Density::Large => 2,
        },
    };
    if let Some(saved) = look_file().and_then(|f| std::fs::read_to_string(f).ok()) {
        if let Ok(t) = saved.parse::<toml::Table>() {
            if let Some(l) = t.get("language").and_then(|v| v.as_str()) {
                look.language = l.to_string();
            }
            if let Some(v) = t.get("theme").and_then(|v| v.as_integer()) {
                look.theme = v.clamp(0, 2) as i32;
            }
            if let Some(v) = t.get("density").and_then(|v| v.as_integer()) {
                look.density = v.clamp(0, 2) as i32;
            }
        }
    }
    look
}

/// `fr` when the system locale is French, else `en`.
pub fn system_language() -> String {
    let lang = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default();
    if lang.starts_with("fr") { "fr" } else { "en" }.into()
}

fn save_look(look: &Look) {
    let Some(file) = look_file() else {
        return;
    };
    let text = format!(
        "# pupitre's screen settings, written when changed on the screen.\nlanguage = {:?}\ntheme = {}\ndensity = {}\n",
        look.language, look.theme, look.density
    );
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&file, text));
    if let Err(e) = written {
        warn!(file = %file.display(), error = %e, "cannot save the screen settings");
    }
}

/// Open the desk and run it until the window is closed (then `stop` is cancelled) or `stop`
/// is. `Err` when there is no display or no windowing backend in this build.
pub fn run_window(
    inputs: UiInputs,
    rt: &tokio::runtime::Handle,
    stop: CancellationToken,
) -> Result<(), String> {
    let app = DeskWindow::new().map_err(|e| {
        format!(
            "no screen ({e}); build with --features x11 for a desktop or kms for the Pi console"
        )
    })?;
    let layout = strips::from_config(&inputs.config);
    let mut params = strips::params(&layout.0, layout.1.as_ref());
    params.extend(crossfader_param(&inputs.config));
    let desk = inputs.desk.clone();
    let screen = Screen::new(
        app.clone_strong(),
        layout,
        initial_look(&inputs.config),
        Box::new(move |intent| {
            // A drag sends a burst; when the desk is busy the next value supersedes this one.
            let _ = desk.try_send(intent);
        }),
        Box::new(save_look),
    );
    screen
        .borrow_mut()
        .set_crossfader(crossfader_param(&inputs.config));
    live::attach(screen);
    let desk = inputs.desk.clone();
    let controllers: Vec<String> = inputs
        .config
        .surfaces
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.name.clone())
        .collect();
    let feed_stop = stop.child_token();
    rt.spawn({
        let desk = desk.clone();
        let stabilizer = inputs.stabilizer;
        let feed_stop = feed_stop.clone();
        async move {
            let _ = desk.register(params).await;
            live::feed(desk, stabilizer, controllers, feed_stop).await;
        }
    });
    rt.spawn({
        let stop = stop.clone();
        async move {
            stop.cancelled().await;
            let _ = slint::invoke_from_event_loop(|| {
                let _ = slint::quit_event_loop();
            });
        }
    });
    app.show()
        .map_err(|e| format!("cannot show the desk: {e}"))?;
    info!("desk screen open");
    let ran = slint::run_event_loop_until_quit().map_err(|e| format!("screen: {e}"));
    feed_stop.cancel();
    stop.cancel();
    ran
}

/// `camilla:crossfader` when the config has a CamillaDSP crossfader.
pub fn crossfader_param(config: &Config) -> Option<crate::desk::ParamId> {
    config
        .camilla
        .as_ref()
        .filter(|c| c.crossfader)
        .and_then(|_| crate::desk::ParamId::parse("camilla:crossfader").ok())
}
