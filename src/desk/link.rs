//! What a mixer adapter gets from the desk: a coalescing outbox of writes, a way to report what
//! the mixer says, and latest-value channels for its meters and link status.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::kind::{Op, Value};
use super::meters::MeterFrame;
use super::param::{MixerId, ParamId};
use super::task::{DeskGone, Intent, Origin, Request};

/// Writes waiting for a mixer: one slot per parameter, last value wins. It can never hold more
/// entries than there are parameters, so a jog wheel cannot build a queue.
#[derive(Default, Debug)]
pub struct Outbox {
    pending: Mutex<HashMap<ParamId, Value>>,
    notify: Notify,
    /// Parameters the desk newly knows and wants read from the mixer.
    reads: Mutex<Vec<ParamId>>,
}

impl Outbox {
    /// Replace the pending write for `param` (or add one) and wake the adapter.
    pub fn put(&self, param: ParamId, value: Value) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        // Replace the key too: it carries the kind the value is on.
        pending.remove(&param);
        pending.insert(param, value);
        drop(pending);
        self.notify.notify_one();
    }

    /// Ask the adapter to read a parameter the desk just learned of.
    pub fn read_back(&self, param: ParamId) {
        self.reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(param);
        self.notify.notify_one();
    }

    /// Take the parameters waiting to be read back.
    pub fn take_reads(&self) -> Vec<ParamId> {
        std::mem::take(&mut *self.reads.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Take everything pending.
    pub fn take(&self) -> Vec<(ParamId, Value)> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .collect()
    }

    /// How many parameters have a pending write.
    pub fn len(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wait until something was put since the last wait.
    pub async fn ready(&self) {
        self.notify.notified().await
    }
}

/// Where a mixer link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Not configured.
    Disabled,
    /// Looking for the mixer.
    Connecting,
    /// Answering; reading back every parameter the desk knows.
    Syncing,
    /// In sync; two-way updates flowing.
    Online,
    /// It stopped answering; retrying with backoff.
    Lost,
}

impl LinkState {
    /// A word for logs, the web remote and the status bar.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Disabled => "disabled",
            LinkState::Connecting => "connecting",
            LinkState::Syncing => "syncing",
            LinkState::Online => "online",
            LinkState::Lost => "lost",
        }
    }
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mixer link's state for the status bar and logs.
#[derive(Clone, Debug)]
pub struct LinkStatus {
    /// Where it stands.
    pub state: LinkState,
    /// The mixer's own description once known (model, firmware, name).
    pub peer: Option<String>,
    /// A DSP's processing figures, for mixers that report them (CamillaDSP).
    pub dsp: Option<DspStatus>,
    /// When it entered this state.
    pub since: Instant,
}

/// What a DSP reports about its processing, polled about once a second.
#[derive(Clone, Debug, PartialEq)]
pub struct DspStatus {
    /// The processing state as the DSP names it (`Running`, `Paused`, `Inactive`, …).
    pub state: String,
    /// Processing load, percent of the real-time budget.
    pub load_percent: f64,
    /// Measured capture sample rate, Hz.
    pub capture_rate_hz: u32,
    /// Samples clipped since the DSP started.
    pub clipped_samples: u64,
}

impl LinkStatus {
    /// The state before anything happened.
    pub fn new(state: LinkState) -> Self {
        LinkStatus {
            state,
            peer: None,
            dsp: None,
            since: Instant::now(),
        }
    }
}

/// The desk's side of one mixer adapter.
#[derive(Clone, Debug)]
pub struct MixerLink {
    mixer: MixerId,
    outbox: Arc<Outbox>,
    requests: mpsc::Sender<Request>,
    meters: watch::Sender<MeterFrame>,
    status: watch::Sender<LinkStatus>,
}

impl MixerLink {
    pub(super) fn new(
        mixer: MixerId,
        outbox: Arc<Outbox>,
        requests: mpsc::Sender<Request>,
        meters: watch::Sender<MeterFrame>,
        status: watch::Sender<LinkStatus>,
    ) -> Self {
        MixerLink {
            mixer,
            outbox,
            requests,
            meters,
            status,
        }
    }

    /// Which mixer this link is for.
    pub fn mixer(&self) -> MixerId {
        self.mixer
    }

    /// The writes the desk wants applied.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Tell the desk about a change made on the mixer (its surface, another remote).
    pub async fn report(&self, param: ParamId, value: Value) -> Result<(), DeskGone> {
        self.tell(param, value, Origin::Mixer(self.mixer)).await
    }

    /// Tell the desk what the mixer holds, as read back after a (re)connect.
    pub async fn report_resync(&self, param: ParamId, value: Value) -> Result<(), DeskGone> {
        self.tell(param, value, Origin::Resync(self.mixer)).await
    }

    async fn tell(&self, param: ParamId, value: Value, origin: Origin) -> Result<(), DeskGone> {
        let intent = Intent {
            param,
            op: Op::Set(value),
            origin,
        };
        self.requests
            .send(Request::Intent(intent))
            .await
            .map_err(|_| DeskGone)
    }

    /// Tell the desk a parameter's kind as the mixer defines it (`param` carries it, see
    /// [`ParamId::with_kind`]); sent in order with reports, so a report after it is read on
    /// the new range.
    pub async fn describe(&self, param: ParamId) -> Result<(), DeskGone> {
        self.requests
            .send(Request::Describe(param))
            .await
            .map_err(|_| DeskGone)
    }

    /// Every parameter the desk knows on this mixer, with its current value.
    pub async fn known_params(&self) -> Result<Vec<(ParamId, Value)>, DeskGone> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(Request::Snapshot(tx))
            .await
            .map_err(|_| DeskGone)?;
        let all = rx.await.map_err(|_| DeskGone)?;
        Ok(all
            .into_iter()
            .filter(|(p, _)| p.mixer() == self.mixer)
            .collect())
    }

    /// Publish the latest meter frame (replacing any unread one).
    pub fn publish_meters(&self, frame: MeterFrame) {
        self.meters.send_replace(frame);
    }

    /// Publish the DSP's processing figures (kept until the next ones, cleared when lost).
    pub fn set_dsp_status(&self, dsp: DspStatus) {
        self.status.send_if_modified(|s| {
            let changed = s.dsp.as_ref() != Some(&dsp);
            s.dsp = Some(dsp);
            changed
        });
    }

    /// Publish a new link state, keeping the known peer description unless a new one is given.
    pub fn set_status(&self, state: LinkState, peer: Option<String>) {
        self.status.send_modify(|s| {
            if s.state != state {
                s.since = Instant::now();
                if state != LinkState::Online {
                    s.dsp = None;
                }
            }
            s.state = state;
            if peer.is_some() {
                s.peer = peer;
            }
        });
    }
}
