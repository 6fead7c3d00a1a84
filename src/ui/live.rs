//! The tokio side of the screen: every 33 ms it gathers what changed on the desk (values
//! coalesced per parameter, the latest meters, link states, the stabilizer) into one [`Frame`]
//! and hands it to the UI thread in one closure; at most 30 closures a second, whatever the
//! mixers send.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::screen::{Frame, Screen};
use crate::desk::{DeskHandle, MixerId, Origin, ParamId, Value};
use crate::stabilizer::StabilizerState;

/// Frames per second at most.
pub const FRAME_PERIOD: Duration = Duration::from_millis(33);

thread_local! {
    static SCREEN: RefCell<Option<Rc<RefCell<Screen>>>> = const { RefCell::new(None) };
}

/// Make `screen` the one the frames go to (on the UI thread).
pub fn attach(screen: Rc<RefCell<Screen>>) {
    SCREEN.with(|s| *s.borrow_mut() = Some(screen));
}

fn deliver(frame: Frame) -> bool {
    slint::invoke_from_event_loop(move || {
        SCREEN.with(|s| {
            if let Some(screen) = s.borrow().as_ref() {
                if let Ok(mut screen) = screen.try_borrow_mut() {
                    screen.apply(frame, Instant::now());
                }
            }
        });
    })
    .is_ok()
}

fn who(origin: &Origin) -> String {
    match origin {
        Origin::Surface(n) => n.to_string(),
        Origin::Ui => "screen".into(),
        Origin::Web(d) => d.to_string(),
        Origin::Stabilizer => "stabilizer".into(),
        Origin::Mixer(m) => format!("{m} console"),
        Origin::Resync(m) => format!("{m} read-back"),
        Origin::Scene(s) => format!("scene {s}"),
        Origin::Cli => "command line".into(),
        Origin::Restore => "saved state".into(),
    }
}

/// Feed the screen until `stop` or until the UI is gone.
pub async fn feed(
    desk: DeskHandle,
    stabilizer: Option<watch::Receiver<StabilizerState>>,
    stop: CancellationToken,
) {
    let mut changes = desk.subscribe();
    let mut x32 = desk.meters().subscribe(MixerId::X32);
    let mut camilla = desk.meters().subscribe(MixerId::Camilla);
    let mut links = [
        ("X32", desk.link_status(MixerId::X32)),
        ("CamillaDSP", desk.link_status(MixerId::Camilla)),
    ];
    let mut stabilizer = stabilizer;
    let mut first = true;
    let mut tick = tokio::time::interval(FRAME_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let mut frame = Frame::default();
        let mut values: HashMap<ParamId, Value> = HashMap::new();
        if first {
            match desk.snapshot().await {
                Ok(all) => values.extend(all),
                Err(_) => return,
            }
        }
        loop {
            match changes.try_recv() {
                Ok(c) => {
                    if is_action(&c) {
                        frame.last = Some((
                            format!("{} {}", c.param, c.param.kind().display(&c.value)),
                            who(&c.origin),
                        ));
                    }
                    values.insert(c.param, c.value);
                }
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    debug!(missed = n, "screen lagged; reading the whole desk");
                    match desk.snapshot().await {
                        Ok(all) => values.extend(all),
                        Err(_) => return,
                    }
                }
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Closed) => return,
            }
        }
        frame.values = values.into_iter().collect();
        if first || x32.has_changed().unwrap_or(false) {
            frame.x32 = Some(x32.borrow_and_update().clone());
        }
        if first || camilla.has_changed().unwrap_or(false) {
            frame.camilla = Some(camilla.borrow_and_update().clone());
        }
        let any_link = links
            .iter()
            .any(|(_, rx)| rx.has_changed().unwrap_or(false));
        if first || any_link {
            frame.links = links
                .iter_mut()
                .filter_map(|(name, rx)| {
                    let s = rx.borrow_and_update().clone();
                    (s.state != crate::desk::LinkState::Disabled)
                        .then(|| (name.to_string(), s.state, s.dsp))
                })
                .collect();
        }
        if let Some(rx) = &mut stabilizer {
            if first || rx.has_changed().unwrap_or(false) {
                frame.stabilizer = Some(rx.borrow_and_update().clone());
            }
        }
        first = false;
        if !deliver(frame) {
            return;
        }
    }
}

/// Everything the screen shows right now, in one frame (for headless renders).
pub async fn full_frame(
    desk: &DeskHandle,
    stabilizer: Option<&watch::Receiver<StabilizerState>>,
) -> Option<Frame> {
    let values = desk.snapshot().await.ok()?;
    let links = [MixerId::X32, MixerId::Camilla]
        .into_iter()
        .filter_map(|m| {
            let s = desk.link_status(m).borrow().clone();
            let name = if m == MixerId::X32 {
                "X32"
            } else {
                "CamillaDSP"
            };
            (s.state != crate::desk::LinkState::Disabled)
                .then(|| (name.to_string(), s.state, s.dsp))
        })
        .collect();
    Some(Frame {
        values,
        last: None,
        x32: Some(desk.meters().subscribe(MixerId::X32).borrow().clone()),
        camilla: Some(desk.meters().subscribe(MixerId::Camilla).borrow().clone()),
        links,
        stabilizer: stabilizer.map(|s| s.borrow().clone()),
    })
}

/// Whether the status bar shows a change as "the action that last changed something": any
/// mixer parameter; of pupitre's own, what a person did (not a controller plugged in, not the
/// stabilizer following its own settings).
fn is_action(c: &crate::desk::Change) -> bool {
    c.param.mixer() != MixerId::Pupitre
        || (c.origin != Origin::Stabilizer && !c.param.path().ends_with("/connected"))
}
