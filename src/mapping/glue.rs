//! From control values to desk operations: ranges, direction, takeover, encoder steps and
//! acceleration, button modes, and the way back for feedback (`controllers.md` §1, §2).
//!
//! [`Glue`] holds a mapping's settings; [`GlueState`] is its private memory (takeover, the last
//! control time and position, the value it last set, the acceleration streak). Pure (STYLE.md
//! rule 7): time is an argument, nothing here reads a clock or does I/O.
//!
//! All takeover arithmetic happens in the target's normalized space: the control's position is
//! first mapped through the source interval, `invert` and the target interval, then compared
//! with the target's current value.
//!
//! Rules, with where they come from:
//! - A **new movement** starts when an absolute input arrives [`NEW_MOVEMENT`] (100 ms,
//!   ReaLearn's `CONTROL_MOVE_TIMEOUT`) or more after the previous one. It re-checks takeover:
//!   a control that was following must again be near the target (or cross it) to go on
//!   following, because it may have moved while this mapping was not listening (another
//!   layer). The previous position counts for crossings and deltas only within a movement, or
//!   when the new input is within [`PICKUP_TOLERANCE`] of it (a slow, continuous move whose
//!   messages come more than 100 ms apart); otherwise it is stale and ignored.
//! - **Pickup** follows once the control is within [`PICKUP_TOLERANCE`] (Mixxx's 3/128) of the
//!   target or has crossed it since the previous input. Mixxx's 50 ms "subsequent value
//!   override" is not needed: once engaged we follow until a new movement or a foreign change,
//!   and fast flicks are caught as crossings.
//! - **CatchUp** moves the target in the control's direction by the same fraction of its own
//!   remaining room as the control used of its room, so both reach the end of the target
//!   interval together; it follows once the control reaches the target without moving it
//!   backwards. **Parallel** adds the control's delta, clamped. Both need a previous position,
//!   so the first input of a movement only anchors.
//! - A **foreign change** ([`GlueState::target_changed`] with `by_this_control = false`)
//!   disengages takeover at once, so a layer or target switch without a fader move cannot make
//!   the target jump (Mixxx #8504, `controllers.md` §5 item 1).
//! - While this mapping set the target last, takeover compares against the value it sent
//!   rather than the reported `current`, which lags by the desk's round trip; a lagging value
//!   would make parallel and catch-up moves lose steps.

use std::time::{Duration, Instant};

use crate::desk::{Normalized, Op};

use super::model::{Acceleration, ButtonMode, Character, Glue, Interval, Takeover};
use super::source::ControlValue;

/// Input after this long without input starts a new movement (ReaLearn `CONTROL_MOVE_TIMEOUT`).
pub const NEW_MOVEMENT: Duration = Duration::from_millis(100);

/// How near (in target travel) a control must come to the target to pick it up (Mixxx
/// `softtakeover.cpp`: 3/128).
pub const PICKUP_TOLERANCE: f64 = 3.0 / 128.0;

/// Encoder increments closer together than this (in the same direction) accelerate.
pub const ACCELERATION_WINDOW: Duration = Duration::from_millis(40);

/// What the glue asks of the desk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GlueOutput {
    /// Move the target to this position (→ [`Op::Normalized`]).
    Set(Normalized),
    /// Move the target by whole grid steps (→ [`Op::Steps`]).
    Steps(i32),
    /// Flip the target (→ [`Op::Toggle`]): switches flip, other kinds jump between the ends of
    /// their whole travel (the desk's rule; the target interval does not apply).
    Toggle,
}

impl From<GlueOutput> for Op {
    fn from(output: GlueOutput) -> Op {
        match output {
            GlueOutput::Set(v) => Op::Normalized(v),
            GlueOutput::Steps(n) => Op::Steps(n),
            GlueOutput::Toggle => Op::Toggle,
        }
    }
}

/// One mapping's glue memory. Settings live in [`Glue`], passed to each call.
#[derive(Clone, Debug, Default)]
pub struct GlueState {
    /// Absolute inputs are a toggle button's state (1 = pressed, 0 = released), not a position:
    /// `interpret` cannot say so in the value itself.
    buttons: bool,
    /// When the last absolute input arrived: the new-movement rule.
    last_input: Option<Instant>,
    /// The last absolute input, mapped into target space: crossings, catch-up and parallel.
    last_position: Option<f64>,
    /// Takeover is done: the target follows the control.
    engaged: bool,
    /// The value this mapping last set, while nothing else has changed the target since.
    /// `None` after a foreign change, or after `Steps`/`Toggle` until the desk reports back.
    own: Option<f64>,
    /// This mapping caused the target's last change (`PickupTolerant`).
    set_last: bool,
    /// The last encoder increment: when, and whether it went up.
    last_increment: Option<(Instant, bool)>,
    /// Consecutive fast increments in one direction: the acceleration factor is `1 + streak`.
    streak: u32,
}

impl GlueState {
    /// Fresh memory for a fader, knob, encoder or momentary button: absolute inputs are
    /// positions.
    pub fn new() -> Self {
        GlueState::default()
    }

    /// Fresh memory for a control of this character. For [`Character::ToggleButton`], whose
    /// absolute 1/0 values are its own state, those values are handled as press/release by
    /// [`Glue::button`] (pair it with [`ButtonMode::Momentary`] so the target mirrors the button).
    pub fn for_character(character: Character) -> Self {
        GlueState {
            buttons: character == Character::ToggleButton,
            ..GlueState::default()
        }
    }

    /// One control input. `current` = the target's present value (normalized), as the desk last
    /// reported it. Returns what to ask of the desk, if anything.
    pub fn control(
        &mut self,
        glue: &Glue,
        input: ControlValue,
        current: Normalized,
        now: Instant,
    ) -> Option<GlueOutput> {
        let output = match input {
            ControlValue::Absolute(v) if self.buttons => button(glue, v.get() > 0.0),
            ControlValue::Absolute(v) => self.absolute(glue, v, current, now),
            ControlValue::Relative(n) => self.relative(glue, n, now),
            ControlValue::Press => button(glue, true),
            ControlValue::Release => button(glue, false),
        };
        match output {
            Some(GlueOutput::Set(v)) => {
                self.own = Some(v.get());
                self.set_last = true;
            }
            Some(GlueOutput::Steps(_) | GlueOutput::Toggle) => {
                self.own = None;
                self.set_last = true;
            }
            None => {}
        }
        output
    }

    /// The target changed (from anywhere, `by_this_control` true if this mapping caused it).
    /// A foreign change makes takeover start over. `now` is part of the signature so a later
    /// rule (e.g. ignoring echoes for a while) needs no API change; no rule uses it today.
    pub fn target_changed(&mut self, value: Normalized, by_this_control: bool, _now: Instant) {
        if by_this_control {
            self.set_last = true;
            // Keep the newest value we sent: this may be the echo of an older one.
            self.own.get_or_insert(value.get());
        } else {
            self.set_last = false;
            self.own = None;
            self.engaged = false;
        }
    }

    fn absolute(
        &mut self,
        glue: &Glue,
        control: Normalized,
        current: Normalized,
        now: Instant,
    ) -> Option<GlueOutput> {
        let t = to_target(glue, control.get());
        let new_movement = self
            .last_input
            .is_none_or(|at| now.saturating_duration_since(at) >= NEW_MOVEMENT);
        let prev = self
            .last_position
            .filter(|&p| !new_movement || (t - p).abs() <= PICKUP_TOLERANCE);
        self.last_input = Some(now);
        self.last_position = Some(t);
        if new_movement {
            self.engaged = false;
        }
        let c = self.own.unwrap_or(current.get());
        let near = (t - c).abs() <= PICKUP_TOLERANCE;
        let value = match glue.takeover {
            Takeover::Off => Some(t),
            Takeover::Pickup | Takeover::PickupTolerant => {
                let tolerant = glue.takeover == Takeover::PickupTolerant && self.set_last;
                let crossed = prev.is_some_and(|p| (p - c) * (t - c) <= 0.0);
                self.engaged |= tolerant || near || crossed;
                self.engaged.then_some(t)
            }
            Takeover::CatchUp => {
                self.engaged |= match prev {
                    None => near,
                    Some(p) => caught_up(p, t, c),
                };
                if self.engaged {
                    Some(t)
                } else {
                    prev.and_then(|p| catch_up(glue.target, p, t, c))
                }
            }
            Takeover::Parallel => prev.and_then(|p| parallel(glue.target, p, t, c)),
        };
        value.map(|v| GlueOutput::Set(Normalized::new_clamped(v)))
    }

    /// Encoder increments → steps. Acceleration rule: an increment that arrives less than
    /// [`ACCELERATION_WINDOW`] after the previous one, in the same direction, raises the factor
    /// by one (1, 2, 3, …) up to `max_factor`; a pause of 40 ms or more, or a change of
    /// direction, brings it back to 1. A `max_factor` of 0 counts as 1.
    fn relative(&mut self, glue: &Glue, increments: i32, now: Instant) -> Option<GlueOutput> {
        let up = increments > 0;
        let fast = self.last_increment.is_some_and(|(at, was_up)| {
            was_up == up && now.saturating_duration_since(at) < ACCELERATION_WINDOW
        });
        self.streak = if fast {
            self.streak.saturating_add(1)
        } else {
            0
        };
        self.last_increment = Some((now, up));
        let factor = match glue.acceleration {
            Acceleration::Off => 1,
            Acceleration::On { max_factor } => self
                .streak
                .saturating_add(1)
                .min(u32::from(max_factor.max(1))),
        };
        let mut steps = i128::from(increments) * i128::from(glue.step) * i128::from(factor);
        if glue.invert {
            steps = -steps;
        }
        let steps = steps.clamp(i128::from(-i32::MAX), i128::from(i32::MAX)) as i32;
        (steps != 0).then_some(GlueOutput::Steps(steps))
    }
}

/// A press (`true`) or release per [`ButtonMode`]. "On" is the target interval's max (its min
/// when inverted), "off" the other end.
fn button(glue: &Glue, pressed: bool) -> Option<GlueOutput> {
    let (on, off) = if glue.invert {
        (glue.target.min(), glue.target.max())
    } else {
        (glue.target.max(), glue.target.min())
    };
    match (glue.button, pressed) {
        (ButtonMode::Momentary, true) | (ButtonMode::OnPress, true) => Some(GlueOutput::Set(on)),
        (ButtonMode::Momentary, false) => Some(GlueOutput::Set(off)),
        (ButtonMode::OnRelease, false) => Some(GlueOutput::Set(on)),
        (ButtonMode::Toggle, true) => Some(GlueOutput::Toggle),
        (ButtonMode::Toggle, false) | (ButtonMode::OnPress, false) => None,
        (ButtonMode::OnRelease, true) => None,
    }
}

/// The control's position (0–1) → target space: source interval (clamped), invert, target
/// interval.
fn to_target(glue: &Glue, control: f64) -> f64 {
    let s = fraction(glue.source, control);
    let s = if glue.invert { 1.0 - s } else { s };
    glue.target.min().get() + s * glue.target.span()
}

/// Where `v` lies in `interval`, 0–1, clamped.
fn fraction(interval: Interval, v: f64) -> f64 {
    let span = interval.span();
    if span > 0.0 {
        ((v - interval.min().get()) / span).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Target value → where the control should show it (LEDs, motor faders), through target/source
/// intervals and invert: the inverse of the absolute mapping, clamped to the intervals.
pub fn feedback_value(glue: &Glue, target: Normalized) -> Normalized {
    let s = fraction(glue.target, target.get());
    let s = if glue.invert { 1.0 - s } else { s };
    Normalized::new_clamped(glue.source.min().get() + s * glue.source.span())
}

/// Catch-up ("value scaling"): the control moved from `p` to `t`; move the target `c` the same
/// way by the same fraction of its own remaining room, so both reach the end of the interval
/// together. `None` when the target is already at or past that end, or nothing moved.
fn catch_up(range: Interval, p: f64, t: f64, c: f64) -> Option<f64> {
    let (a, b) = (range.min().get(), range.max().get());
    if t > p && c < b {
        // b − p ≥ t − p > 0: `p` and `t` lie in [a, b].
        Some(c + (t - p) * (b - c) / (b - p))
    } else if t < p && c > a {
        Some(c - (p - t) * (c - a) / (p - a))
    } else {
        None
    }
}

/// Whether a control moving from `p` to `t` has reached the target `c`: `c` lies behind `t` in
/// the direction of movement, no further than the control moved (it was crossed) or within
/// [`PICKUP_TOLERANCE`]. Following from there moves the target forward only, so catch-up stays
/// monotonic; a target ahead of the control is left to [`catch_up`], which never passes it.
fn caught_up(p: f64, t: f64, c: f64) -> bool {
    let reach = (t - p).abs().max(PICKUP_TOLERANCE);
    if t > p {
        c <= t && t - c <= reach
    } else if t < p {
        c >= t && c - t <= reach
    } else {
        false
    }
}

/// Parallel: the target moves by the control's delta, clamped to the target interval (or to
/// where it already is, if outside: it never jumps into the interval).
fn parallel(range: Interval, p: f64, t: f64, c: f64) -> Option<f64> {
    let lo = range.min().get().min(c);
    let hi = range.max().get().max(c);
    let v = (c + (t - p)).clamp(lo, hi);
    (v != c).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(v: f64) -> Normalized {
        Normalized::try_new(v).unwrap()
    }

    fn abs(v: f64) -> ControlValue {
        ControlValue::Absolute(n(v))
    }

    fn glue(takeover: Takeover) -> Glue {
        Glue {
            takeover,
            ..Glue::default()
        }
    }

    fn interval(min: f64, max: f64) -> Interval {
        Interval::new(n(min), n(max)).unwrap()
    }

    /// One mapping against a simulated desk: outputs are applied to `current` and echoed back
    /// as this control's changes; `foreign` is someone else moving the target.
    struct Sim {
        glue: Glue,
        state: GlueState,
        current: f64,
        now: Instant,
    }

    impl Sim {
        fn new(glue: Glue, current: f64) -> Sim {
            Sim {
                glue,
                state: GlueState::new(),
                current,
                now: Instant::now(),
            }
        }

        /// Input after `ms` milliseconds; returns the value set, if any.
        fn input(&mut self, input: ControlValue, ms: u64) -> Option<GlueOutput> {
            self.now += Duration::from_millis(ms);
            let out = self
                .state
                .control(&self.glue, input, n(self.current), self.now);
            if let Some(GlueOutput::Set(v)) = out {
                self.current = v.get();
                self.state.target_changed(v, true, self.now);
            }
            out
        }

        fn fader(&mut self, x: f64, ms: u64) -> Option<f64> {
            match self.input(abs(x), ms) {
                Some(GlueOutput::Set(v)) => Some(v.get()),
                None => None,
                other => panic!("a fader gave {other:?}"),
            }
        }

        fn foreign(&mut self, v: f64) {
            self.current = v;
            self.state.target_changed(n(v), false, self.now);
        }

        /// A 7-bit sweep 0→1, one value every 10 ms: (control, output) pairs.
        fn sweep_up(&mut self) -> Vec<(f64, Option<f64>)> {
            (0..=127)
                .map(|k| {
                    let x = f64::from(k) / 127.0;
                    (x, self.fader(x, 10))
                })
                .collect()
        }
    }

    const EPS: f64 = 1e-9;

    #[test]
    fn off_jumps_at_the_first_value() {
        let mut sim = Sim::new(glue(Takeover::Off), 0.0);
        sim.foreign(0.6);
        let out = sim.sweep_up();
        assert_eq!(out[0], (0.0, Some(0.0)));
        assert!(out.iter().all(|(x, o)| *o == Some(*x)));
    }

    #[test]
    fn pickup_waits_for_the_target_then_follows() {
        let mut sim = Sim::new(glue(Takeover::Pickup), 0.0);
        sim.foreign(0.6);
        for (x, out) in sim.sweep_up() {
            if x < 0.6 - PICKUP_TOLERANCE {
                assert_eq!(out, None, "at {x}");
            } else {
                assert_eq!(out, Some(x), "at {x}");
            }
        }
        assert_eq!(sim.current, 1.0);
    }

    #[test]
    fn pickup_catches_a_fast_flick_across_the_target() {
        let mut sim = Sim::new(glue(Takeover::Pickup), 0.0);
        sim.foreign(0.6);
        assert_eq!(sim.fader(0.1, 10), None);
        assert_eq!(sim.fader(0.3, 10), None);
        assert_eq!(
            sim.fader(0.9, 10),
            Some(0.9),
            "crossed 0.6 between two inputs"
        );
        assert_eq!(sim.fader(0.95, 10), Some(0.95));
    }

    #[test]
    fn pickup_tolerant_follows_at_once_when_it_set_the_target_last() {
        let mut sim = Sim::new(glue(Takeover::PickupTolerant), 0.0);
        sim.state.target_changed(n(0.6), true, sim.now);
        sim.current = 0.6;
        let out = sim.sweep_up();
        assert!(out.iter().all(|(x, o)| *o == Some(*x)));
    }

    #[test]
    fn pickup_tolerant_after_a_foreign_change_is_pickup() {
        let mut sim = Sim::new(glue(Takeover::PickupTolerant), 0.2);
        assert_eq!(sim.fader(0.2, 10), Some(0.2), "set last by this control");
        sim.foreign(0.6);
        for (x, out) in sim.sweep_up() {
            if x < 0.6 - PICKUP_TOLERANCE {
                assert_eq!(out, None, "at {x}");
            } else {
                assert_eq!(out, Some(x), "at {x}");
            }
        }
    }

    #[test]
    fn catch_up_converges_without_jumps() {
        let mut sim = Sim::new(glue(Takeover::CatchUp), 0.0);
        sim.foreign(0.6);
        let mut last_x = None;
        let mut last_target = 0.6;
        for (x, out) in sim.sweep_up() {
            let target = out.unwrap_or(last_target);
            assert!(target >= last_target - EPS, "monotonic at {x}");
            if let Some(px) = last_x {
                assert!(target - last_target <= x - px + EPS, "no jump at {x}");
            }
            last_x = Some(x);
            last_target = target;
        }
        assert!(
            (last_target - 1.0).abs() < EPS,
            "met at the end: {last_target}"
        );
        // Once met, it follows.
        assert_eq!(sim.fader(0.5, 10), Some(0.5));
    }

    #[test]
    fn catch_up_downwards_meets_at_the_bottom_of_the_target_interval() {
        let g = Glue {
            target: interval(0.2, 0.8),
            ..glue(Takeover::CatchUp)
        };
        let mut sim = Sim::new(g, 0.0);
        sim.foreign(0.3);
        // Control at the top (→ 0.8) moving down; the target is below it.
        let mut last = 0.3;
        for k in (0..=127).rev() {
            let x = f64::from(k) / 127.0;
            if let Some(v) = sim.fader(x, 10) {
                assert!(v <= last + EPS);
                last = v;
            }
        }
        assert!((last - 0.2).abs() < EPS, "{last}");
    }

    #[test]
    fn catch_up_behind_the_control_closes_the_gap_without_passing_it() {
        let mut sim = Sim::new(glue(Takeover::CatchUp), 0.0);
        sim.foreign(0.2);
        let mut last = 0.2;
        for k in 64..=127 {
            let x = f64::from(k) / 127.0;
            if let Some(v) = sim.fader(x, 10) {
                assert!(v >= last - EPS && v <= x + EPS, "at {x}: {v}");
                last = v;
            }
        }
        assert!((last - 1.0).abs() < EPS, "{last}");
    }

    #[test]
    fn catch_up_leaves_a_target_beyond_the_end_alone() {
        let g = Glue {
            target: interval(0.0, 0.5),
            ..glue(Takeover::CatchUp)
        };
        let mut sim = Sim::new(g, 0.0);
        sim.foreign(0.9);
        assert_eq!(sim.fader(0.2, 10), None);
        assert_eq!(sim.fader(0.4, 10), None);
    }

    #[test]
    fn parallel_moves_by_deltas() {
        let mut sim = Sim::new(glue(Takeover::Parallel), 0.0);
        sim.foreign(0.6);
        let out = sim.sweep_up();
        assert_eq!(out[0].1, None, "the first input only anchors");
        for (x, o) in &out[1..] {
            let expected = (0.6 + x).min(1.0);
            match o {
                Some(v) => assert!((v - expected).abs() < EPS, "at {x}: {v}"),
                None => assert_eq!(expected, 1.0, "only clamped steps are silent"),
            }
        }
        // Coming down, it moves by the same deltas from the top.
        assert_eq!(
            sim.fader(0.9, 10).map(|v| (v * 1e6).round() / 1e6),
            Some(0.9)
        );
    }

    #[test]
    fn slow_moves_with_gaps_over_100ms_still_move_parallel() {
        let mut sim = Sim::new(glue(Takeover::Parallel), 0.0);
        sim.foreign(0.5);
        assert_eq!(sim.fader(0.2, 150), None);
        let v = sim.fader(0.2 + 1.0 / 127.0, 150).expect("a continuation");
        assert!((v - (0.5 + 1.0 / 127.0)).abs() < EPS);
    }

    /// Mixxx #8504 (`controllers.md` §5 item 1): a layer switch retargets the fader without
    /// moving it; the next input must not make the new target jump.
    #[test]
    fn mixxx_8504_layer_switch_without_fader_move_does_not_jump() {
        let mut sim = Sim::new(glue(Takeover::Pickup), 0.3);
        assert_eq!(sim.fader(0.3, 10), Some(0.3));
        assert_eq!(sim.fader(0.31, 10), Some(0.31), "following");
        // Layer switch: the target is now another parameter, at 0.8.
        sim.foreign(0.8);
        assert_eq!(sim.fader(0.32, 10), None, "same movement, no crossing");
        assert_eq!(sim.fader(0.5, 10), None);
        assert_eq!(sim.fader(0.79, 10), Some(0.79), "within tolerance");
        // The same holds for PickupTolerant: the foreign change ends "set last".
        let mut sim = Sim::new(glue(Takeover::PickupTolerant), 0.3);
        assert_eq!(sim.fader(0.3, 10), Some(0.3));
        sim.foreign(0.8);
        assert_eq!(sim.fader(0.32, 10), None);
    }

    #[test]
    fn new_movement_after_100ms_rechecks_takeover() {
        let mut sim = Sim::new(glue(Takeover::Pickup), 0.5);
        assert_eq!(sim.fader(0.5, 10), Some(0.5));
        // Within a movement, a fast flick is followed.
        assert_eq!(sim.fader(0.9, 50), Some(0.9));
        // After ≥ 100 ms the control may have moved while we were not listening (another
        // layer): a far value does not jump the target.
        assert_eq!(sim.fader(0.2, 100), None);
        assert_eq!(sim.fader(0.25, 10), None);
        // Near the target again, it follows.
        assert_eq!(sim.fader(0.89, 10), Some(0.89));
        // A new movement that starts where the target is goes on following.
        assert_eq!(sim.fader(0.88, 500), Some(0.88));
    }

    #[test]
    fn source_and_target_intervals_and_invert() {
        let mut g = Glue {
            source: interval(0.1, 0.9),
            target: interval(0.2, 0.4),
            ..glue(Takeover::Off)
        };
        let mut sim = Sim::new(g, 0.0);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < EPS;
        assert!(close(sim.fader(0.1, 10), 0.2));
        assert!(close(sim.fader(0.5, 10), 0.3));
        assert!(close(sim.fader(0.9, 10), 0.4));
        assert!(close(sim.fader(0.0, 10), 0.2), "clamped below");
        assert!(close(sim.fader(1.0, 10), 0.4), "clamped above");
        g.invert = true;
        sim.glue = g;
        assert!(close(sim.fader(0.1, 10), 0.4));
        assert!(close(sim.fader(0.3, 10), 0.35));
        assert!(close(sim.fader(0.9, 10), 0.2));
    }

    #[test]
    fn feedback_value_inverts_the_absolute_mapping() {
        for invert in [false, true] {
            let g = Glue {
                source: interval(0.1, 0.9),
                target: interval(0.2, 0.4),
                invert,
                ..glue(Takeover::Off)
            };
            for k in 0..=100 {
                let x = 0.1 + 0.8 * f64::from(k) / 100.0;
                let mut state = GlueState::new();
                let Some(GlueOutput::Set(t)) = state.control(&g, abs(x), n(0.0), Instant::now())
                else {
                    panic!("Off always sets");
                };
                let back = feedback_value(&g, t).get();
                assert!(
                    (back - x).abs() < 1e-9,
                    "invert {invert}: {x} → {t} → {back}"
                );
            }
            // A target outside the interval shows at the matching end.
            let low = feedback_value(&g, n(0.0)).get();
            assert!((low - if invert { 0.9 } else { 0.1 }).abs() < EPS);
        }
    }

    fn steps(sim: &mut Sim, increments: i32, ms: u64) -> i32 {
        match sim.input(ControlValue::Relative(increments), ms) {
            Some(GlueOutput::Steps(s)) => s,
            other => panic!("an encoder gave {other:?}"),
        }
    }

    #[test]
    fn encoder_steps_without_acceleration() {
        let g = Glue {
            step: 2,
            ..Glue::default()
        };
        let mut sim = Sim::new(g, 0.5);
        assert_eq!(steps(&mut sim, 3, 5), 6);
        assert_eq!(steps(&mut sim, 1, 5), 2, "fast, but acceleration is off");
        assert_eq!(steps(&mut sim, -1, 5), -2);
        sim.glue.invert = true;
        assert_eq!(steps(&mut sim, 1, 5), -2);
        sim.glue.step = 0;
        assert_eq!(sim.input(ControlValue::Relative(1), 5), None);
    }

    #[test]
    fn encoder_acceleration_ramps_up_and_resets() {
        let g = Glue {
            acceleration: Acceleration::On { max_factor: 4 },
            ..Glue::default()
        };
        let mut sim = Sim::new(g, 0.5);
        let ramp: Vec<i32> = [0, 10, 10, 10, 10, 39]
            .iter()
            .map(|&ms| steps(&mut sim, 1, ms))
            .collect();
        assert_eq!(ramp, [1, 2, 3, 4, 4, 4]);
        assert_eq!(steps(&mut sim, 1, 40), 1, "a 40 ms pause resets");
        assert_eq!(steps(&mut sim, 2, 10), 4, "factor 2 × 2 increments");
        assert_eq!(steps(&mut sim, -1, 10), -1, "a direction change resets");
        assert_eq!(steps(&mut sim, -1, 10), -2);
        sim.glue.invert = true;
        assert_eq!(steps(&mut sim, -1, 10), 3);
    }

    fn press_release(g: Glue, character: Character) -> (Option<GlueOutput>, Option<GlueOutput>) {
        let mut state = GlueState::for_character(character);
        let now = Instant::now();
        let (press, release) = match character {
            Character::ToggleButton => (abs(1.0), abs(0.0)),
            _ => (ControlValue::Press, ControlValue::Release),
        };
        (
            state.control(&g, press, n(0.5), now),
            state.control(&g, release, n(0.5), now + Duration::from_millis(100)),
        )
    }

    #[test]
    fn every_button_mode() {
        let set = |v: f64| Some(GlueOutput::Set(n(v)));
        for character in [Character::MomentaryButton, Character::ToggleButton] {
            let g = |button| Glue {
                button,
                target: interval(0.25, 0.75),
                ..Glue::default()
            };
            let cases = [
                (ButtonMode::Momentary, set(0.75), set(0.25)),
                (ButtonMode::Toggle, Some(GlueOutput::Toggle), None),
                (ButtonMode::OnPress, set(0.75), None),
                (ButtonMode::OnRelease, None, set(0.75)),
            ];
            for (mode, press, release) in cases {
                assert_eq!(
                    press_release(g(mode), character),
                    (press, release),
                    "{mode:?} {character:?}"
                );
            }
            let inverted = Glue {
                invert: true,
                ..g(ButtonMode::Momentary)
            };
            assert_eq!(press_release(inverted, character), (set(0.25), set(0.75)));
        }
    }

    #[test]
    fn glue_outputs_become_desk_ops() {
        assert_eq!(Op::from(GlueOutput::Set(n(0.5))), Op::Normalized(n(0.5)));
        assert_eq!(Op::from(GlueOutput::Steps(-3)), Op::Steps(-3));
        assert_eq!(Op::from(GlueOutput::Toggle), Op::Toggle);
    }

    #[derive(Clone, Debug)]
    enum Event {
        Control(ControlValue, u64),
        Foreign(f64),
        Echo(f64),
    }

    fn any_unit() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0]
    }

    fn any_event() -> impl Strategy<Value = Event> {
        let input = prop_oneof![
            4 => any_unit().prop_map(|v| ControlValue::Absolute(n(v))),
            2 => (-200i32..200).prop_map(ControlValue::Relative),
            1 => any::<i32>().prop_map(ControlValue::Relative),
            1 => Just(ControlValue::Press),
            1 => Just(ControlValue::Release),
        ];
        prop_oneof![
            6 => (input, 0u64..300).prop_map(|(i, ms)| Event::Control(i, ms)),
            1 => any_unit().prop_map(Event::Foreign),
            1 => any_unit().prop_map(Event::Echo),
        ]
    }

    fn any_interval() -> impl Strategy<Value = Interval> {
        (0.0..1.0f64, 0.0..1.0f64).prop_map(|(a, b)| {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            Interval::new(n(lo), n(hi)).unwrap_or(Interval::FULL)
        })
    }

    fn any_glue() -> impl Strategy<Value = Glue> {
        let takeover = prop_oneof![
            Just(Takeover::Off),
            Just(Takeover::Pickup),
            Just(Takeover::PickupTolerant),
            Just(Takeover::CatchUp),
            Just(Takeover::Parallel),
        ];
        let button = prop_oneof![
            Just(ButtonMode::Momentary),
            Just(ButtonMode::Toggle),
            Just(ButtonMode::OnPress),
            Just(ButtonMode::OnRelease),
        ];
        (
            any_interval(),
            any_interval(),
            any::<bool>(),
            any::<u32>(),
            prop_oneof![
                Just(Acceleration::Off),
                any::<u8>().prop_map(|m| Acceleration::On { max_factor: m })
            ],
            takeover,
            button,
        )
            .prop_map(
                |(source, target, invert, step, acceleration, takeover, button)| Glue {
                    source,
                    target,
                    invert,
                    step,
                    acceleration,
                    takeover,
                    button,
                },
            )
    }

    proptest! {
        #[test]
        fn outputs_are_finite_and_on_the_travel(
            g in any_glue(),
            toggle_button in any::<bool>(),
            start in any_unit(),
            events in proptest::collection::vec(any_event(), 0..200),
        ) {
            let character = if toggle_button { Character::ToggleButton } else { Character::Range };
            let mut state = GlueState::for_character(character);
            let mut now = Instant::now();
            let mut current = start;
            for event in events {
                match event {
                    Event::Control(input, ms) => {
                        now += Duration::from_millis(ms);
                        let out = state.control(&g, input, n(current), now);
                        if let Some(GlueOutput::Set(v)) = out {
                            prop_assert!(v.get().is_finite());
                            prop_assert!((0.0..=1.0).contains(&v.get()));
                            current = v.get();
                        }
                        if let Some(GlueOutput::Steps(s)) = out {
                            prop_assert!(s != 0);
                        }
                    }
                    Event::Foreign(v) => {
                        current = v;
                        state.target_changed(n(v), false, now);
                    }
                    Event::Echo(v) => state.target_changed(n(v), true, now),
                }
                let fb = feedback_value(&g, n(current)).get();
                prop_assert!(fb.is_finite() && (0.0..=1.0).contains(&fb));
            }
        }
    }
}
