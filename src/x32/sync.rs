//! Keeping the desk and the X32 in step over lossy UDP, as pure logic (time is an argument).
//!
//! The X32 does not echo a set to its sender (`x32-osc.md` §1.3) and UDP drops packets, so a
//! write is not known to have landed until the console says so. [`WriteTracker`] sends the
//! latest wanted value of each parameter at most once per `min_interval`, then, once the
//! parameter is quiet, reads it back; a mismatch resends. [`Readback`] reads every known
//! parameter after a (re)connect, a window at a time, asking again for lost replies.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::desk::{ParamId, Value};

/// Timing of writes and their verification.
#[derive(Clone, Copy, Debug)]
pub struct WriteTiming {
    /// At most one write per parameter per this long (`x32-osc.md` §1.9: 20–50 ms).
    pub min_interval: Duration,
    /// Read a parameter back once no new write for it went out for this long.
    pub verify_after: Duration,
    /// Ask again when a read-back got no answer in this long.
    pub verify_timeout: Duration,
    /// Give up a write after the console answered a different value this many times.
    pub max_mismatches: u32,
}

impl Default for WriteTiming {
    fn default() -> Self {
        WriteTiming {
            min_interval: Duration::from_millis(20),
            verify_after: Duration::from_millis(60),
            verify_timeout: Duration::from_millis(250),
            max_mismatches: 5,
        }
    }
}

/// Something to send to the console.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set a parameter.
    Write(ParamId, Value),
    /// Read a parameter.
    Get(ParamId),
}

/// What to do with a value the console sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// It is the console's news: tell the desk.
    Report,
    /// It confirms our write.
    Confirmed,
    /// It is older than what we are writing: drop it.
    Stale,
    /// The console keeps refusing our value: tell the desk what it holds instead.
    GaveUp,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// Must be (re)sent.
    Dirty,
    /// Sent, waiting to go quiet before reading back.
    Sent { at: Instant },
    /// Read-back asked, waiting for the answer.
    Verifying { asked: Instant },
}

#[derive(Debug)]
struct Entry {
    desired: Value,
    state: State,
    last_write: Option<Instant>,
    mismatches: u32,
}

/// Unconfirmed writes, one entry per parameter.
#[derive(Debug, Default)]
pub struct WriteTracker {
    entries: HashMap<ParamId, Entry>,
    timing: WriteTiming,
    /// When each parameter was last written, kept after confirmation so the rate limit holds
    /// across a confirm and a new write. Pruned in [`Self::poll`].
    recent: HashMap<ParamId, Instant>,
}

impl WriteTracker {
    /// A tracker with the given timing.
    pub fn new(timing: WriteTiming) -> Self {
        WriteTracker {
            timing,
            ..Default::default()
        }
    }

    /// The desk wants `value` on the console.
    pub fn want(&mut self, param: ParamId, value: Value) {
        let last_write = self.recent.get(&param).copied();
        let entry = self.entries.entry(param).or_insert(Entry {
            desired: value.clone(),
            state: State::Dirty,
            last_write,
            mismatches: 0,
        });
        entry.desired = value;
        entry.state = State::Dirty;
        entry.mismatches = 0;
    }

    /// Writes not yet confirmed by the console.
    pub fn pending(&self) -> usize {
        self.entries.len()
    }

    /// The link dropped: everything unconfirmed must be sent again.
    pub fn link_lost(&mut self) {
        for e in self.entries.values_mut() {
            e.state = State::Dirty;
            e.last_write = None;
        }
        self.recent.clear();
    }

    /// What is due at `now`.
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        let t = self.timing;
        let mut actions = Vec::new();
        for (param, e) in &mut self.entries {
            match e.state {
                State::Dirty if e.last_write.is_none_or(|at| now >= at + t.min_interval) => {
                    actions.push(Action::Write(param.clone(), e.desired.clone()));
                    e.state = State::Sent { at: now };
                    e.last_write = Some(now);
                    self.recent.insert(param.clone(), now);
                }
                State::Sent { at } if now >= at + t.verify_after => {
                    actions.push(Action::Get(param.clone()));
                    e.state = State::Verifying { asked: now };
                }
                State::Verifying { asked } if now >= asked + t.verify_timeout => {
                    actions.push(Action::Get(param.clone()));
                    e.state = State::Verifying { asked: now };
                }
                _ => {}
            }
        }
        let horizon = t.min_interval;
        self.recent.retain(|_, at| now < *at + horizon);
        actions
    }

    /// Every unconfirmed write, at once and regardless of the rate limit: the last word before
    /// shutdown.
    pub fn flush(&mut self) -> Vec<Action> {
        self.entries
            .drain()
            .map(|(p, e)| Action::Write(p, e.desired))
            .collect()
    }

    /// When [`Self::poll`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let t = self.timing;
        self.entries
            .values()
            .map(|e| match e.state {
                State::Dirty => e
                    .last_write
                    .map_or_else(Instant::now, |at| at + t.min_interval),
                State::Sent { at } => at + t.verify_after,
                State::Verifying { asked } => asked + t.verify_timeout,
            })
            .min()
    }

    /// The console sent `value` for `param`; `solicited` says we asked for it in a resync.
    pub fn on_value(&mut self, param: &ParamId, value: &Value, solicited: bool) -> Verdict {
        let Some(e) = self.entries.get_mut(param) else {
            return Verdict::Report;
        };
        if *value == e.desired {
            if !matches!(e.state, State::Dirty) {
                self.entries.remove(param);
                return Verdict::Confirmed;
            }
            return Verdict::Stale;
        }
        match e.state {
            State::Dirty => Verdict::Stale,
            // Unasked news right after our write: someone else moved it after us.
            State::Sent { .. } if !solicited => {
                self.entries.remove(param);
                Verdict::Report
            }
            State::Sent { .. } => Verdict::Stale,
            State::Verifying { .. } => {
                e.mismatches += 1;
                if e.mismatches > self.timing.max_mismatches {
                    self.entries.remove(param);
                    Verdict::GaveUp
                } else {
                    e.state = State::Dirty;
                    Verdict::Stale
                }
            }
        }
    }
}

/// Reading back every known parameter after a (re)connect.
#[derive(Debug)]
pub struct Readback {
    queue: VecDeque<ParamId>,
    asked: HashMap<ParamId, (Instant, u32)>,
    window: usize,
    timeout: Duration,
    max_tries: u32,
    total: usize,
    started: Instant,
    given_up: usize,
}

impl Readback {
    /// Nothing to read.
    pub fn idle(now: Instant) -> Self {
        Readback {
            queue: VecDeque::new(),
            asked: HashMap::new(),
            window: 64,
            timeout: Duration::from_millis(300),
            max_tries: 5,
            total: 0,
            started: now,
            given_up: 0,
        }
    }

    /// Start reading `params` (dropping any read in progress).
    pub fn start(&mut self, params: impl IntoIterator<Item = ParamId>, now: Instant) {
        self.queue = params.into_iter().collect();
        self.asked.clear();
        self.total = self.queue.len();
        self.started = now;
        self.given_up = 0;
    }

    /// Add parameters to read (to a resync in progress, or as a small one of their own).
    pub fn extend(&mut self, params: impl IntoIterator<Item = ParamId>, now: Instant) {
        if !self.in_progress() {
            self.total = 0;
            self.given_up = 0;
            self.started = now;
        }
        let before = self.queue.len();
        self.queue.extend(params);
        self.total += self.queue.len() - before;
    }

    /// True while replies are outstanding or reads are queued.
    pub fn in_progress(&self) -> bool {
        !self.queue.is_empty() || !self.asked.is_empty()
    }

    /// Parameters read in this resync, when it started, and how many never answered.
    pub fn summary(&self) -> (usize, Instant, usize) {
        (self.total, self.started, self.given_up)
    }

    /// Gets to send at `now`: new ones up to the window, and repeats of unanswered ones.
    pub fn poll(&mut self, now: Instant) -> Vec<ParamId> {
        let mut out = Vec::new();
        let timeout = self.timeout;
        let max_tries = self.max_tries;
        let mut dropped = Vec::new();
        for (p, (at, tries)) in &mut self.asked {
            if now >= *at + timeout {
                if *tries >= max_tries {
                    dropped.push(p.clone());
                } else {
                    *at = now;
                    *tries += 1;
                    out.push(p.clone());
                }
            }
        }
        for p in dropped {
            self.asked.remove(&p);
            self.given_up += 1;
        }
        while self.asked.len() < self.window {
            let Some(p) = self.queue.pop_front() else {
                break;
            };
            self.asked.insert(p.clone(), (now, 1));
            out.push(p);
        }
        out
    }

    /// When [`Self::poll`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        if !self.queue.is_empty() && self.asked.len() < self.window {
            return Some(Instant::now());
        }
        self.asked.values().map(|(at, _)| *at + self.timeout).min()
    }

    /// A value arrived for `param`; true if this resync was waiting for it.
    pub fn on_value(&mut self, param: &ParamId) -> bool {
        self.asked.remove(param).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Normalized;

    fn p() -> ParamId {
        ParamId::parse("x32:/ch/01/mix/fader").unwrap()
    }
    fn v(x: f64) -> Value {
        Value::Level(Normalized::new_clamped(x))
    }
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn bursts_coalesce_and_respect_the_rate_limit() {
        let t0 = Instant::now();
        let mut w = WriteTracker::new(WriteTiming::default());
        let mut writes = 0;
        // 1000 wants over 1 s, polled every millisecond: at most one write per 20 ms.
        for i in 0..1000u32 {
            let now = t0 + MS * i;
            w.want(p(), v(f64::from(i) / 1000.0));
            writes += w
                .poll(now)
                .iter()
                .filter(|a| matches!(a, Action::Write(..)))
                .count();
        }
        assert!(writes <= 50, "{writes} writes in 1 s");
        assert!(writes >= 45, "{writes} writes in 1 s");
        // The last value goes out once the interval allows.
        let acts = w.poll(t0 + MS * 1020);
        assert_eq!(acts, vec![Action::Write(p(), v(0.999))]);
    }

    #[test]
    fn write_is_verified_and_resent_when_lost() {
        let t0 = Instant::now();
        let mut w = WriteTracker::new(WriteTiming::default());
        w.want(p(), v(0.5));
        assert_eq!(w.poll(t0), vec![Action::Write(p(), v(0.5))]);
        assert_eq!(w.poll(t0 + MS * 30), vec![]);
        assert_eq!(w.poll(t0 + MS * 60), vec![Action::Get(p())]);
        // The get is lost: asked again after the timeout.
        assert_eq!(w.poll(t0 + MS * 310), vec![Action::Get(p())]);
        // The console still has the old value: our write was lost, send it again.
        assert_eq!(w.on_value(&p(), &v(0.1), false), Verdict::Stale);
        assert_eq!(w.poll(t0 + MS * 311), vec![Action::Write(p(), v(0.5))]);
        assert_eq!(w.poll(t0 + MS * 371), vec![Action::Get(p())]);
        assert_eq!(w.on_value(&p(), &v(0.5), false), Verdict::Confirmed);
        assert_eq!(w.pending(), 0);
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn someone_elses_move_after_ours_wins() {
        let t0 = Instant::now();
        let mut w = WriteTracker::new(WriteTiming::default());
        w.want(p(), v(0.5));
        w.poll(t0);
        assert_eq!(w.on_value(&p(), &v(0.2), false), Verdict::Report);
        assert_eq!(w.pending(), 0);
        // But a stale resync reply does not undo our write.
        w.want(p(), v(0.6));
        w.poll(t0 + MS * 100);
        assert_eq!(w.on_value(&p(), &v(0.2), true), Verdict::Stale);
    }

    #[test]
    fn lost_link_resends_everything_unconfirmed() {
        let t0 = Instant::now();
        let mut w = WriteTracker::new(WriteTiming::default());
        w.want(p(), v(0.5));
        w.poll(t0);
        w.link_lost();
        assert_eq!(w.poll(t0 + MS), vec![Action::Write(p(), v(0.5))]);
    }

    #[test]
    fn readback_windows_and_retries() {
        let t0 = Instant::now();
        let mut r = Readback::idle(t0);
        let params: Vec<ParamId> = (1..=32)
            .flat_map(|n| crate::desk::Strip::Channel(n).params())
            .collect();
        assert_eq!(params.len(), 160);
        r.start(params.clone(), t0);
        assert_eq!(r.poll(t0).len(), 64);
        for q in &params[..64] {
            assert!(r.on_value(q));
        }
        assert_eq!(r.poll(t0 + MS).len(), 64);
        // No answers: all 64 are asked again after the timeout, up to 5 tries in all.
        assert_eq!(r.poll(t0 + MS * 400).len(), 64);
        for i in 2..=5 {
            r.poll(t0 + MS * (400 * i));
        }
        assert!(r.in_progress());
        assert!(!r.on_value(&params[0]));
    }
}
