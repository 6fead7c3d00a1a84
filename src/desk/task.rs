//! The desk task: the one owner of every parameter value. Intents come in on a bounded channel,
//! are clamped onto the parameter's grid and applied in order; every accepted change is broadcast
//! with its origin, and queued in the owning mixer's outbox unless that mixer caused it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use thiserror::Error;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace, warn};

use super::kind::{Op, Value};
use super::link::{LinkState, LinkStatus, MixerLink, Outbox};
use super::meters::Meters;
use super::param::{MixerId, ParamId};

/// Room for intents waiting for the desk; a surface that finds it full is told so.
pub const INTENT_CAPACITY: usize = 1024;
/// Room for changes a slow reader has not seen; past it the reader lags and should resync
/// from [`DeskHandle::snapshot`].
pub const CHANGE_CAPACITY: usize = 4096;
/// How many queued intents the desk applies in one go before yielding (a jog wheel's burst).
const DRAIN_BATCH: usize = 512;

/// Who asked for a change: feedback skips the surface that caused it, the journal records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A control surface, by its configured name.
    Surface(Arc<str>),
    /// The touchscreen desk.
    Ui,
    /// A browser, by device name.
    Web(Arc<str>),
    /// The level stabilizer.
    Stabilizer,
    /// The mixer itself: its own surface or another remote client changed something.
    Mixer(MixerId),
    /// The mixer's state, read back after a (re)connect.
    Resync(MixerId),
    /// A scene recall, by scene name.
    Scene(Arc<str>),
    /// The desk state saved at the last run, put back at start.
    Restore,
    /// The command line.
    Cli,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Surface(n) => write!(f, "surface:{n}"),
            Origin::Ui => f.write_str("ui"),
            Origin::Web(d) => write!(f, "web:{d}"),
            Origin::Stabilizer => f.write_str("stabilizer"),
            Origin::Mixer(m) => write!(f, "mixer:{m}"),
            Origin::Resync(m) => write!(f, "resync:{m}"),
            Origin::Scene(s) => write!(f, "scene:{s}"),
            Origin::Cli => f.write_str("cli"),
            Origin::Restore => f.write_str("restore"),
        }
    }
}

impl Origin {
    /// The mixer this origin speaks for, if it is one: its changes are not written back to it.
    pub fn mixer(&self) -> Option<MixerId> {
        match self {
            Origin::Mixer(m) | Origin::Resync(m) => Some(*m),
            _ => None,
        }
    }
}

/// A request to change one parameter.
#[derive(Clone, Debug)]
pub struct Intent {
    /// The parameter.
    pub param: ParamId,
    /// What to do to it.
    pub op: Op,
    /// Who asks.
    pub origin: Origin,
}

impl Intent {
    /// Whether this is a position along a travel (a fader, knob or touch moving): when the desk
    /// is busy, the next position supersedes it, so it may be dropped. A press, an encoder step
    /// or a choice may not.
    pub fn is_position(&self) -> bool {
        matches!(self.op, Op::Normalized(_) | Op::Set(Value::Level(_)))
    }
}

/// A change the desk accepted.
#[derive(Clone, Debug)]
pub struct Change {
    /// The parameter.
    pub param: ParamId,
    /// Its new value, on the parameter's grid.
    pub value: Value,
    /// Its value before.
    pub previous: Value,
    /// Who caused it.
    pub origin: Origin,
    /// Counts accepted changes since start.
    pub seq: u64,
}

/// The desk task has stopped.
#[derive(Debug, Clone, Copy, Error)]
#[error("the desk has stopped")]
pub struct DeskGone;

/// The desk's intent queue is full; the intent was not taken.
#[derive(Debug, Clone, Error)]
pub enum TrySendError {
    /// Full right now: drop this one, the next value supersedes it.
    #[error("the desk is busy (intent queue full)")]
    Busy(Intent),
    /// The desk has stopped.
    #[error(transparent)]
    Gone(#[from] DeskGone),
}

pub(super) enum Request {
    Intent(Intent),
    Snapshot(oneshot::Sender<Vec<(ParamId, Value)>>),
    Get(ParamId, oneshot::Sender<Option<Value>>),
    Register(Vec<ParamId>),
    Describe(ParamId),
}

/// A cloneable handle on the desk.
#[derive(Clone, Debug)]
pub struct DeskHandle {
    requests: mpsc::Sender<Request>,
    changes: broadcast::Sender<Change>,
    meters: Meters,
    links: HashMap<MixerId, watch::Receiver<LinkStatus>>,
}

impl DeskHandle {
    /// Ask for a change; the desk clamps, applies and broadcasts it. Waits if the queue is full.
    pub async fn send(&self, intent: Intent) -> Result<(), DeskGone> {
        self.requests
            .send(Request::Intent(intent))
            .await
            .map_err(|_| DeskGone)
    }

    /// Ask for a change without waiting; for surfaces that must never stall.
    pub fn try_send(&self, intent: Intent) -> Result<(), TrySendError> {
        self.requests
            .try_send(Request::Intent(intent))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(Request::Intent(i)) => TrySendError::Busy(i),
                _ => TrySendError::Gone(DeskGone),
            })
    }

    /// Intents waiting for the desk right now (at most [`INTENT_CAPACITY`]).
    pub fn backlog(&self) -> usize {
        self.requests.max_capacity() - self.requests.capacity()
    }

    /// Follow every accepted change.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Make parameters known (e.g. targets of a reloaded mapping): new ones start at their
    /// kind's default and their mixer is asked to read them back.
    pub async fn register(&self, params: Vec<ParamId>) -> Result<(), DeskGone> {
        self.requests
            .send(Request::Register(params))
            .await
            .map_err(|_| DeskGone)
    }

    /// Every known parameter with its value, sorted by id.
    pub async fn snapshot(&self) -> Result<Vec<(ParamId, Value)>, DeskGone> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(Request::Snapshot(tx))
            .await
            .map_err(|_| DeskGone)?;
        rx.await.map_err(|_| DeskGone)
    }

    /// The value of one parameter, if the desk knows it.
    pub async fn get(&self, param: &ParamId) -> Result<Option<Value>, DeskGone> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(Request::Get(param.clone(), tx))
            .await
            .map_err(|_| DeskGone)?;
        rx.await.map_err(|_| DeskGone)
    }

    /// The meter channels.
    pub fn meters(&self) -> &Meters {
        &self.meters
    }

    /// A mixer link's state; [`LinkState::Disabled`] for a mixer that is not attached.
    pub fn link_status(&self, mixer: MixerId) -> watch::Receiver<LinkStatus> {
        match self.links.get(&mixer) {
            Some(rx) => rx.clone(),
            None => watch::Sender::new(LinkStatus::new(LinkState::Disabled)).subscribe(),
        }
    }
}

/// The desk before it runs: attach mixers, then [`Desk::run`].
pub struct Desk {
    values: HashMap<ParamId, Value>,
    outboxes: HashMap<MixerId, Arc<Outbox>>,
    requests_rx: mpsc::Receiver<Request>,
    requests_tx: mpsc::Sender<Request>,
    changes: broadcast::Sender<Change>,
    meters: Meters,
    links: HashMap<MixerId, watch::Sender<LinkStatus>>,
    seq: u64,
}

impl Desk {
    /// A desk that knows `params` (at their kinds' defaults until a mixer reports them).
    pub fn new(params: impl IntoIterator<Item = ParamId>) -> Desk {
        let (requests_tx, requests_rx) = mpsc::channel(INTENT_CAPACITY);
        let (changes, _) = broadcast::channel(CHANGE_CAPACITY);
        Desk {
            values: params
                .into_iter()
                .map(|p| {
                    let v = p.kind().default_value();
                    (p, v)
                })
                .collect(),
            outboxes: HashMap::new(),
            requests_rx,
            requests_tx,
            changes,
            meters: Meters::default(),
            links: HashMap::new(),
            seq: 0,
        }
    }

    /// Start these parameters at these values (saved settings, the config's choices) rather
    /// than at their kinds' defaults. Values the kind refuses are dropped with a warning.
    pub fn preset(&mut self, values: impl IntoIterator<Item = (ParamId, Value)>) {
        for (param, value) in values {
            let kind = self
                .values
                .get_key_value(&param)
                .map_or(param.kind(), |(p, _)| p.kind());
            match kind.apply(&Op::Set(value), &kind.default_value()) {
                // An equal key already there (with a kind a mixer refined) stays.
                Ok(v) => {
                    self.values.insert(param, v);
                }
                Err(e) => warn!(%param, error = %e, "starting value refused"),
            }
        }
    }

    /// Attach a mixer adapter: from now on, changes to its parameters go to its outbox.
    pub fn attach(&mut self, mixer: MixerId) -> MixerLink {
        let outbox = Arc::clone(self.outboxes.entry(mixer).or_default());
        let status = self
            .links
            .entry(mixer)
            .or_insert_with(|| watch::Sender::new(LinkStatus::new(LinkState::Connecting)))
            .clone();
        MixerLink::new(
            mixer,
            outbox,
            self.requests_tx.clone(),
            self.meters.publisher(mixer),
            status,
        )
    }

    /// A handle for surfaces, the UI and the stabilizer. Take handles after attaching mixers.
    pub fn handle(&self) -> DeskHandle {
        DeskHandle {
            requests: self.requests_tx.clone(),
            changes: self.changes.clone(),
            meters: self.meters.clone(),
            links: self
                .links
                .iter()
                .map(|(m, tx)| (*m, tx.subscribe()))
                .collect(),
        }
    }

    /// Own the values until `stop` is cancelled.
    pub async fn run(mut self, stop: CancellationToken) {
        // The desk keeps a sender for `attach`; drop it so the loop also ends when every
        // handle is gone.
        drop(std::mem::replace(&mut self.requests_tx, mpsc::channel(1).0));
        let mut batch = Vec::with_capacity(DRAIN_BATCH);
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                n = self.requests_rx.recv_many(&mut batch, DRAIN_BATCH) => {
                    if n == 0 {
                        break;
                    }
                    for request in batch.drain(..) {
                        self.handle_request(request);
                    }
                }
            }
        }
        debug!(changes = self.seq, "desk stopped");
    }

    fn handle_request(&mut self, request: Request) {
        match request {
            Request::Intent(intent) => self.apply(intent),
            Request::Snapshot(reply) => {
                let mut all: Vec<_> = self
                    .values
                    .iter()
                    .map(|(p, v)| (p.clone(), v.clone()))
                    .collect();
                all.sort_by(|a, b| a.0.cmp(&b.0));
                let _ = reply.send(all);
            }
            Request::Get(param, reply) => {
                let _ = reply.send(self.values.get(&param).cloned());
            }
            Request::Register(params) => self.register(params),
            Request::Describe(param) => self.describe(param),
        }
    }

    /// Adopt the kind a mixer tells for a parameter: the stored value keeps its meaning (its
    /// number in the mixer's unit) on the new range, and followers get it as a resync change.
    fn describe(&mut self, param: ParamId) {
        let Some((old, current)) = self.values.remove_entry(&param) else {
            return;
        };
        let (was, now) = (old.kind(), param.kind());
        if was == now {
            self.values.insert(old, current);
            return;
        }
        let value = was
            .native(&current)
            .and_then(|x| now.from_native(x))
            .unwrap_or_else(|| now.default_value());
        debug!(%param, from = %was.display(&current), to = %now.display(&value), "range from the mixer");
        self.values.insert(param.clone(), value.clone());
        self.seq += 1;
        let _ = self.changes.send(Change {
            origin: Origin::Resync(param.mixer()),
            param,
            value,
            previous: current,
            seq: self.seq,
        });
    }

    fn register(&mut self, params: Vec<ParamId>) {
        let mut new = 0;
        for p in params {
            if self.values.contains_key(&p) {
                continue;
            }
            let v = p.kind().default_value();
            if let Some(outbox) = self.outboxes.get(&p.mixer()) {
                outbox.read_back(p.clone());
            }
            self.values.insert(p, v);
            new += 1;
        }
        if new > 0 {
            debug!(new, "parameters registered");
        }
    }

    fn apply(&mut self, intent: Intent) {
        let Intent { param, op, origin } = intent;
        // The stored id carries the kind a mixer may have refined; changes go out with it.
        let param = match self.values.get_key_value(&param) {
            Some((stored, _)) => stored.clone(),
            None => param,
        };
        let kind = param.kind();
        let current = self
            .values
            .get(&param)
            .cloned()
            .unwrap_or_else(|| kind.default_value());
        let value = match kind.apply(&op, &current) {
            Ok(v) => v,
            Err(e) => {
                warn!(%param, %origin, error = %e, "intent refused");
                return;
            }
        };
        if value == current && self.values.contains_key(&param) {
            trace!(%param, %origin, "no change");
            return;
        }
        self.values.insert(param.clone(), value.clone());
        if origin.mixer() != Some(param.mixer()) {
            if let Some(outbox) = self.outboxes.get(&param.mixer()) {
                outbox.put(param.clone(), value.clone());
            }
        }
        self.seq += 1;
        trace!(%param, %origin, value = %kind.display(&value), "change");
        // No receiver is fine: nobody is following yet.
        let _ = self.changes.send(Change {
            param,
            value,
            previous: current,
            origin,
            seq: self.seq,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::units::Normalized;

    fn fader() -> ParamId {
        ParamId::parse("x32:/ch/01/mix/fader").unwrap()
    }

    #[tokio::test]
    async fn intents_become_changes_and_outbox_writes() {
        let mut desk = Desk::new([fader()]);
        let link = desk.attach(MixerId::X32);
        let handle = desk.handle();
        let mut changes = handle.subscribe();
        let stop = CancellationToken::new();
        let task = tokio::spawn(desk.run(stop.clone()));

        for x in [0.1, 0.5, 0.75] {
            handle
                .send(Intent {
                    param: fader(),
                    op: Op::Normalized(Normalized::new_clamped(x)),
                    origin: Origin::Ui,
                })
                .await
                .unwrap();
        }
        let mut last = None;
        for _ in 0..3 {
            last = Some(changes.recv().await.unwrap());
        }
        let last = last.unwrap();
        assert_eq!(
            last.value,
            Value::Level(Normalized::new_clamped(767.0 / 1023.0))
        );
        assert_eq!(last.origin, Origin::Ui);
        // Three intents, one pending write: last value wins.
        assert_eq!(link.outbox().take(), vec![(fader(), last.value.clone())]);

        // A report from the mixer is broadcast but not written back to it.
        link.report(
            fader(),
            Value::Level(Normalized::new_clamped(511.0 / 1023.0)),
        )
        .await
        .unwrap();
        let c = changes.recv().await.unwrap();
        assert_eq!(c.origin, Origin::Mixer(MixerId::X32));
        assert!(link.outbox().is_empty());
        assert_eq!(
            handle.get(&fader()).await.unwrap(),
            Some(Value::Level(Normalized::new_clamped(511.0 / 1023.0)))
        );

        stop.cancel();
        task.await.unwrap();
    }

    #[test]
    fn only_positions_may_be_dropped() {
        let intent = |op| Intent {
            param: fader(),
            op,
            origin: Origin::Ui,
        };
        assert!(intent(Op::Normalized(Normalized::new_clamped(0.5))).is_position());
        assert!(intent(Op::Set(Value::Level(Normalized::MIN))).is_position());
        assert!(!intent(Op::Toggle).is_position());
        assert!(!intent(Op::Set(Value::Index(1))).is_position());
    }

    #[tokio::test]
    async fn unchanged_values_are_not_broadcast() {
        let mut desk = Desk::new([fader()]);
        let _link = desk.attach(MixerId::X32);
        let handle = desk.handle();
        let mut changes = handle.subscribe();
        let stop = CancellationToken::new();
        tokio::spawn(desk.run(stop.clone()));
        let set = |x| Intent {
            param: fader(),
            op: Op::Normalized(Normalized::new_clamped(x)),
            origin: Origin::Cli,
        };
        handle.send(set(0.0)).await.unwrap(); // already the default
        handle.send(set(0.3)).await.unwrap();
        assert_eq!(changes.recv().await.unwrap().seq, 1);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_kind_told_by_the_mixer_keeps_the_value_and_sets_the_grid() {
        use crate::desk::{Db, ParamKind};
        let guess = ParamId::parse("camilla:filter/trim/gain").unwrap();
        let mut desk = Desk::new([guess.clone()]);
        let link = desk.attach(MixerId::Camilla);
        let handle = desk.handle();
        let mut changes = handle.subscribe();
        let stop = CancellationToken::new();
        tokio::spawn(desk.run(stop.clone()));
        let minus3 = guess.kind().from_db(Db::new_lossy(-3.0)).unwrap();
        handle
            .send(Intent {
                param: guess.clone(),
                op: Op::Set(minus3),
                origin: Origin::Ui,
            })
            .await
            .unwrap();
        changes.recv().await.unwrap();
        let told = ParamKind::Gain {
            min_db: -100.0,
            max_db: 20.0,
            step_db: 0.5,
        };
        link.describe(guess.with_kind(told)).await.unwrap();
        let c = changes.recv().await.unwrap();
        assert_eq!(c.origin, Origin::Resync(MixerId::Camilla));
        assert_eq!(c.param.kind(), told);
        assert_eq!(told.db(&c.value), Some(Db::new_lossy(-3.0)));
        // An intent on the old id is applied on the told grid: one step is 0.5 dB.
        handle
            .send(Intent {
                param: guess.clone(),
                op: Op::Steps(1),
                origin: Origin::Ui,
            })
            .await
            .unwrap();
        let c = changes.recv().await.unwrap();
        assert_eq!(c.param.kind(), told);
        assert_eq!(told.db(&c.value), Some(Db::new_lossy(-2.5)));
        let (written, _) = link.outbox().take().pop().unwrap();
        assert_eq!(written.kind(), told);
        stop.cancel();
    }
}
