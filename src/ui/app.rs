//! The desk in a window: the Slint event loop on this (main) thread, the desk's tokio tasks on
//! the runtime's workers, one frame closure at most every 33 ms between them.

use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::ComponentHandle;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::banks::Controllers;
use super::memory::{self, MemoryInputs, ScreenLink};
use super::screen::{Frame, Look, Screen};
use super::{live, strips, DeskWindow};
use crate::config::Config;
use crate::desk::{DeskHandle, Intent, TrySendError};
use crate::mapping::Banks;
use crate::stabilizer::StabilizerState;

/// Hand a touch to the desk. A fader or knob position may be dropped when the desk is busy (a
/// drag sends a burst; the next position supersedes it); a press or a setting waits its turn.
fn send(desk: &DeskHandle, rt: &tokio::runtime::Handle, intent: Intent) {
    let positional = intent.is_position();
    match desk.try_send(intent) {
        Ok(()) | Err(TrySendError::Gone(_)) => {}
        Err(TrySendError::Busy(i)) if positional => {
            debug!(param = %i.param, "desk busy; position dropped")
        }
        Err(TrySendError::Busy(i)) => {
            let desk = desk.clone();
            rt.spawn(async move {
                let _ = desk.send(i).await;
            });
        }
    }
}

/// What the window shows.
pub struct UiInputs {
    /// The desk.
    pub desk: DeskHandle,
    /// The stabilizer's state, when it runs.
    pub stabilizer: Option<watch::Receiver<StabilizerState>>,
    /// The config: strips, mixers, which controller the pages follow.
    pub config: Config,
    /// Each controller that pages across strips, with its banks (`Service::banks`).
    pub banks: Vec<(String, Banks)>,
    /// Scenes, the journal's last lines and the likely stream feeds.
    pub memory: MemoryInputs,
    /// The web remote, when it runs: the status bar then offers pairing a phone.
    pub web: Option<crate::web::WebHandle>,
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
    let send_to = inputs.desk.clone();
    let send_rt = rt.clone();
    let screen = Screen::new(
        app.clone_strong(),
        layout,
        Look::default(),
        Box::new(move |intent| send(&send_to, &send_rt, intent)),
    );
    {
        let mut s = screen.borrow_mut();
        s.set_crossfader(crossfader_param(&inputs.config));
        s.set_controllers(Controllers::new(
            &inputs.banks,
            &inputs.config.ui.follow_bank,
        ));
        // The desk's values before the first paint: the look saved with its settings, the
        // controllers' banks (the first frame would bring them 33 ms later, after a flash).
        let (tx, rx) = std::sync::mpsc::channel();
        let d = desk.clone();
        rt.spawn(async move {
            let _ = tx.send(d.snapshot().await);
        });
        if let Ok(Ok(values)) = rx.recv_timeout(Duration::from_secs(2)) {
            s.apply(
                Frame {
                    values,
                    ..Frame::default()
                },
                Instant::now(),
            );
        }
    }
    {
        let send_to = inputs.desk.clone();
        let send_rt = rt.clone();
        let page = Rc::downgrade(&screen);
        memory::connect(
            &app,
            ScreenLink {
                send: Rc::new(move |intent| send(&send_to, &send_rt, intent)),
                ask: memory::asker(&app, inputs.memory.memory.clone(), rt),
                page_scope: Rc::new(move || {
                    page.upgrade()
                        .and_then(|s| s.try_borrow().ok().map(|s| s.page_scope()))
                        .unwrap_or_default()
                }),
            },
        );
        memory::follow_lists(&app, inputs.memory, rt);
    }
    super::web_pair::connect(&app, inputs.web);
    live::attach(screen);
    let feed_stop = stop.child_token();
    rt.spawn({
        let desk = desk.clone();
        let stabilizer = inputs.stabilizer;
        let feed_stop = feed_stop.clone();
        async move {
            let _ = desk.register(params).await;
            live::feed(desk, stabilizer, feed_stop).await;
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
