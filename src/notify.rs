//! Telling the service manager how the service is: ready once the desk runs, a watchdog
//! heartbeat while the desk answers, and stopping on SIGTERM (systemd's `Type=notify` and
//! `WatchdogSec=`; see dist/systemd/pupitre.service). Without `$NOTIFY_SOCKET` (a terminal,
//! OpenRC) every call does nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::desk::{DeskHandle, ParamId};

/// How long the desk may take to answer before a heartbeat is skipped.
const DESK_ANSWERS_WITHIN: Duration = Duration::from_secs(2);

#[cfg(unix)]
fn send(states: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        debug!(error = %e, "cannot notify the service manager");
    }
}

/// The service is up: `READY=1` and a status line.
pub fn ready(status: &str) {
    #[cfg(unix)]
    send(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(status),
    ]);
    #[cfg(not(unix))]
    let _ = status;
}

/// The service is stopping (`STOPPING=1`): the manager waits rather than counting a failure.
pub fn stopping() {
    #[cfg(unix)]
    send(&[
        sd_notify::NotifyState::Stopping,
        sd_notify::NotifyState::Status("stopping"),
    ]);
}

/// Until `stop`: `WATCHDOG=1` at half the manager's watchdog interval, each time the desk
/// answers a request (a stuck desk stops the heartbeat, and systemd restarts the service). Does
/// nothing when no watchdog is asked for.
pub async fn watchdog(desk: DeskHandle, stop: CancellationToken) {
    #[cfg(unix)]
    {
        let Some(interval) = sd_notify::watchdog_enabled() else {
            return;
        };
        let probe = ParamId::pupitre("ui/theme").ok();
        let mut tick = tokio::time::interval(interval / 2);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let answered = match &probe {
                Some(p) => tokio::time::timeout(DESK_ANSWERS_WITHIN, desk.get(p))
                    .await
                    .is_ok_and(|r| r.is_ok()),
                None => true,
            };
            if answered {
                send(&[sd_notify::NotifyState::Watchdog]);
            } else {
                warn!("the desk did not answer within 2 s; holding the watchdog heartbeat");
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (desk, stop);
    }
}
