//! The surface task: one per controller. It owns the [`Engine`], reads the port, follows the
//! desk's changes and meters, sends feedback when due, and reloads the mapping file when it is
//! edited (a broken edit keeps the last good mapping and says where the problem is).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::broadcast::error::RecvError;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, info_span, warn, Instrument};

use super::engine::{Engine, Output};
use crate::desk::{
    DeskGone, DeskHandle, Intent, MixerId, Op, Origin, ParamId, TrySendError, Value,
};
use crate::mapping::{Mapping, ShortMessage};
use crate::midi::{MidiMessage, MidiPort, PortEvent};

/// How often the mapping file is checked for edits.
pub const RELOAD_EVERY: Duration = Duration::from_millis(500);

/// A controller to run.
pub struct SurfaceSpec {
    /// Its name in logs and in change origins (`surface:NAME`).
    pub name: String,
    /// Its mapping.
    pub mapping: Mapping,
    /// The mapping file, watched for edits; `None` for a mapping built in code.
    pub path: Option<PathBuf>,
}

/// A channel message in the form the mapping's decoder reads; other messages are not mapped.
pub fn short_message(m: &MidiMessage) -> Option<ShortMessage> {
    Some(match m {
        MidiMessage::NoteOn {
            channel,
            note,
            velocity,
        } => ShortMessage::NoteOn {
            channel: channel.get(),
            note: note.get(),
            velocity: velocity.get(),
        },
        MidiMessage::NoteOff {
            channel,
            note,
            velocity,
        } => ShortMessage::NoteOff {
            channel: channel.get(),
            note: note.get(),
            velocity: velocity.get(),
        },
        MidiMessage::ControlChange {
            channel,
            controller,
            value,
        } => ShortMessage::ControlChange {
            channel: channel.get(),
            controller: controller.get(),
            value: value.get(),
        },
        MidiMessage::ProgramChange { channel, program } => ShortMessage::ProgramChange {
            channel: channel.get(),
            program: program.get(),
        },
        MidiMessage::PitchBend { channel, value } => ShortMessage::PitchBend {
            channel: channel.get(),
            value: value.get(),
        },
        _ => return None,
    })
}

fn modified(path: &Option<PathBuf>) -> Option<SystemTime> {
    path.as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .and_then(|m| m.modified().ok())
}

/// Run one controller until `stop` is cancelled or the desk stops.
pub async fn run(spec: SurfaceSpec, mut port: MidiPort, desk: DeskHandle, stop: CancellationToken) {
    let span = info_span!("surface", name = %spec.name, device = %spec.mapping.device.name);
    async move {
        let Ok(snapshot) = desk.snapshot().await else {
            return;
        };
        let mut changes = desk.subscribe();
        let mut meters = desk.meters().subscribe(MixerId::X32);
        let mut presence = Presence {
            param: Engine::connected_param(&spec.name),
            origin: Origin::Surface(spec.name.as_str().into()),
            connected: None,
        };
        let mut engine = Engine::new(&spec.name, spec.mapping, snapshot);
        let path = spec.path;
        let mut stamp = modified(&path);
        let mut reload = tokio::time::interval(RELOAD_EVERY);
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut busy = 0u64;
        loop {
            let wake = engine
                .next_deadline()
                .map_or_else(|| Instant::now() + Duration::from_secs(1), Instant::from_std);
            tokio::select! {
                _ = stop.cancelled() => break,
                ev = port.recv() => match ev {
                    None => {
                        debug!("port closed");
                        break;
                    }
                    Some(PortEvent::Connected { name }) => {
                        info!(port = %name, "connected; sending the whole feedback state");
                        for m in engine.on_connected() {
                            let _ = port.send(m);
                        }
                        if presence.set(&desk, true).await.is_err() {
                            return;
                        }
                    }
                    Some(PortEvent::Disconnected) => {
                        warn!("controller disconnected; waiting for it");
                        if presence.set(&desk, false).await.is_err() {
                            return;
                        }
                    }
                    Some(PortEvent::Message { message, at }) => {
                        let Some(msg) = short_message(&message) else { continue };
                        for out in engine.on_input(msg, at.into_std()) {
                            if deliver(&desk, out, &mut busy).await.is_err() {
                                return;
                            }
                        }
                    }
                },
                r = changes.recv() => match r {
                    Ok(c) => {
                        for out in engine.on_change(&c, std::time::Instant::now()) {
                            if deliver(&desk, out, &mut busy).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        warn!(skipped = n, "fell behind the desk; resyncing from a snapshot");
                        match desk.snapshot().await {
                            Ok(s) => engine.reset_values(s),
                            Err(_) => return,
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                r = meters.changed() => {
                    if r.is_err() {
                        return;
                    }
                    // Borrowed, not cloned: frames come at up to 40 Hz, the engine uses one per
                    // 100 ms.
                    engine.on_meters(&meters.borrow_and_update(), std::time::Instant::now());
                }
                _ = reload.tick(), if path.is_some() => {
                    let now_stamp = modified(&path);
                    if now_stamp != stamp {
                        stamp = now_stamp;
                        if let Some(p) = &path {
                            match Mapping::load(p) {
                                Ok(m) => {
                                    info!(file = %p.display(), controls = m.controls.len(), "mapping reloaded");
                                    // New targets must be known (and read back) to show their state.
                                    if desk.register(Engine::params(&m)).await.is_err() {
                                        return;
                                    }
                                    engine.replace_mapping(m);
                                }
                                Err(e) => error!("{e}; keeping the previous mapping"),
                            }
                        }
                    }
                }
                _ = sleep_until(wake) => {}
            }
            for bytes in engine.due(std::time::Instant::now()) {
                if port.send(bytes).is_err() {
                    debug!("port closed while sending feedback");
                    return;
                }
            }
        }
        let _ = presence.set(&desk, false).await;
        debug!("surface stopped");
    }
    .instrument(span)
    .await
}

/// Whether the controller is there, as the desk shows it (`pupitre:surface/NAME/connected`).
struct Presence {
    param: Option<ParamId>,
    origin: Origin,
    connected: Option<bool>,
}

impl Presence {
    async fn set(&mut self, desk: &DeskHandle, connected: bool) -> Result<(), DeskGone> {
        let (Some(param), false) = (&self.param, self.connected == Some(connected)) else {
            return Ok(());
        };
        self.connected = Some(connected);
        desk.send(Intent {
            param: param.clone(),
            op: Op::Set(Value::Index(u32::from(connected))),
            origin: self.origin.clone(),
        })
        .await
    }
}

/// Hand an engine output to the desk. A fader or knob position may be dropped when the desk is
/// busy (the next position supersedes it); presses and encoder steps wait their turn.
async fn deliver(desk: &DeskHandle, out: Output, busy: &mut u64) -> Result<(), DeskGone> {
    let Output::Intent(intent) = out;
    if !intent.is_position() {
        return desk.send(intent).await;
    }
    match desk.try_send(intent) {
        Ok(()) => Ok(()),
        Err(TrySendError::Busy(_)) => {
            *busy += 1;
            debug!(busy = *busy, "desk busy; position dropped");
            Ok(())
        }
        Err(TrySendError::Gone(_)) => Err(DeskGone),
    }
}
