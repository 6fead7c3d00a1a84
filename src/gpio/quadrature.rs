//! Rotary encoder decoding, as pure logic: pin levels in, detent steps out.
//!
//! A quadrature encoder's two contacts (A and B) step through the Gray sequence AB = 00 → 10 →
//! 11 → 01 → 00 clockwise (A changes first, the KY-040 convention: at A's edge, B still reads
//! A's old level), and backwards counter-clockwise. Each change of one contact is a *transition*;
//! encoders click (*detent*) every 4 transitions (full step, most EC11/KY-040), every 2 (half
//! step: detents at 00 and 11) or every 1 (quarter step).
//!
//! Contacts bounce, and an interrupt can be missed. The decoder therefore:
//! - counts transitions up and down, so a contact that bounces back and forth adds nothing;
//! - emits a step only on arriving at a detent position having moved more than half a detent
//!   in one direction since the last one, so a bounce at rest never steps and a step is never
//!   emitted mid-detent;
//! - takes a change of both contacts at once (one edge was missed) as two transitions in the
//!   direction of the last good one, or ignores it when there is none.

/// How many transitions make one detent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepMode {
    /// 4 transitions a detent; it rests where both contacts read the same level it started at.
    Full,
    /// 2 transitions a detent; it rests at 00 and at 11.
    Half,
    /// Every transition is a detent.
    Quarter,
}

impl StepMode {
    /// From `steps_per_detent` in a mapping file: 4, 2 or 1.
    pub fn from_transitions(n: u8) -> Option<StepMode> {
        match n {
            4 => Some(StepMode::Full),
            2 => Some(StepMode::Half),
            1 => Some(StepMode::Quarter),
            _ => None,
        }
    }

    /// Transitions per detent.
    pub fn transitions(self) -> i8 {
        match self {
            StepMode::Full => 4,
            StepMode::Half => 2,
            StepMode::Quarter => 1,
        }
    }
}

/// The contacts' state as two bits: A high, B low.
fn bits(a: bool, b: bool) -> u8 {
    (u8::from(a) << 1) | u8::from(b)
}

/// Position of each state (AB) along the clockwise Gray sequence 00, 10, 11, 01.
fn phase(state: u8) -> i8 {
    match state {
        0b00 => 0,
        0b10 => 1,
        0b11 => 2,
        _ => 3,
    }
}

/// One encoder's decoder.
#[derive(Clone, Debug)]
pub struct Quadrature {
    mode: StepMode,
    state: u8,
    rest: u8,
    moved: i8,
    last_direction: i8,
}

impl Quadrature {
    /// A decoder for an encoder whose contacts read `a` and `b` now (at a detent).
    pub fn new(mode: StepMode, a: bool, b: bool) -> Quadrature {
        let state = bits(a, b);
        // A full-step encoder rests at 00 or 11 (both contacts alike); if it starts between
        // detents, 11 (contacts open, pulled up) is the usual rest.
        let rest = if state == 0b00 || state == 0b11 {
            state
        } else {
            0b11
        };
        Quadrature {
            mode,
            state,
            rest,
            moved: 0,
            last_direction: 0,
        }
    }

    fn at_detent(&self, state: u8) -> bool {
        match self.mode {
            StepMode::Full => state == self.rest,
            StepMode::Half => state == 0b00 || state == 0b11,
            StepMode::Quarter => true,
        }
    }

    /// The contacts now read `a` and `b`. Returns the detent steps this completes: +1 clockwise,
    /// −1 counter-clockwise, 0 for none.
    pub fn update(&mut self, a: bool, b: bool) -> i32 {
        let next = bits(a, b);
        if next == self.state {
            return 0;
        }
        let delta = (phase(next) - phase(self.state)).rem_euclid(4);
        self.state = next;
        match delta {
            1 => {
                self.moved += 1;
                self.last_direction = 1;
            }
            3 => {
                self.moved -= 1;
                self.last_direction = -1;
            }
            // Both contacts changed: an edge was missed.
            _ => self.moved += 2 * self.last_direction,
        }
        if !self.at_detent(next) {
            return 0;
        }
        let half = self.mode.transitions() / 2;
        let step = if self.moved > half {
            1
        } else if self.moved < -half {
            -1
        } else {
            0
        };
        self.moved = 0;
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clockwise from 11: 11 → 01 → 00 → 10 → 11 (A changes first).
    const CW: [(bool, bool); 4] = [(false, true), (false, false), (true, false), (true, true)];

    fn run(q: &mut Quadrature, seq: &[(bool, bool)]) -> Vec<i32> {
        seq.iter()
            .map(|&(a, b)| q.update(a, b))
            .filter(|&s| s != 0)
            .collect()
    }

    fn turns(dir: i32, detents: usize) -> Vec<(bool, bool)> {
        let cycle: Vec<_> = if dir > 0 {
            CW.to_vec()
        } else {
            // Counter-clockwise: the reverse sequence, ending back at 11.
            vec![(true, false), (false, false), (false, true), (true, true)]
        };
        cycle.iter().copied().cycle().take(4 * detents).collect()
    }

    #[test]
    fn clockwise_and_counter_clockwise_at_each_step_mode() {
        for (mode, per_cycle) in [
            (StepMode::Full, 1),
            (StepMode::Half, 2),
            (StepMode::Quarter, 4),
        ] {
            let mut q = Quadrature::new(mode, true, true);
            assert_eq!(
                run(&mut q, &turns(1, 3)),
                vec![1; 3 * per_cycle],
                "{mode:?} cw"
            );
            assert_eq!(
                run(&mut q, &turns(-1, 2)),
                vec![-1; 2 * per_cycle],
                "{mode:?} ccw"
            );
        }
    }

    #[test]
    fn a_full_step_encoder_resting_at_00_steps_there() {
        // Some encoders rest with both contacts closed (00 with pull-ups).
        let mut q = Quadrature::new(StepMode::Full, false, false);
        let seq = [(true, false), (true, true), (false, true), (false, false)];
        assert_eq!(run(&mut q, &seq), vec![1]);
        assert_eq!(run(&mut q, &seq), vec![1]);
    }

    #[test]
    fn contact_bounce_never_steps_and_never_doubles() {
        // At rest, B chatters: 11 → 10 → 11 → 10 → 11.
        let mut q = Quadrature::new(StepMode::Full, true, true);
        let chatter = [(true, false), (true, true), (true, false), (true, true)];
        assert_eq!(run(&mut q, &chatter), Vec::<i32>::new());
        // A slow clockwise click with both contacts bouncing on the way: one step.
        let cw_bouncy = [
            (false, true),
            (true, true),
            (false, true),
            (false, false),
            (false, true),
            (false, false),
            (true, false),
            (false, false),
            (true, false),
            (true, true),
            (true, false),
            (true, true),
        ];
        assert_eq!(run(&mut q, &cw_bouncy), vec![1]);
        // Wobbling around the detent after a step adds nothing either.
        let wobble = [(false, true), (true, true), (true, false), (true, true)];
        assert_eq!(run(&mut q, &wobble), Vec::<i32>::new());
    }

    #[test]
    fn a_missed_edge_is_bridged_in_the_direction_of_travel() {
        // Clockwise, but the 01 → 00 edge was missed: 11 → 01 → 10 → 11.
        let mut q = Quadrature::new(StepMode::Full, true, true);
        let seq = [(false, true), (true, false), (true, true)];
        assert_eq!(run(&mut q, &seq), vec![1]);
        // Counter-clockwise with 00 → 01 missed: 11 → 10 → 00 → 11.
        let seq = [(true, false), (false, false), (true, true)];
        assert_eq!(run(&mut q, &seq), vec![-1]);
        // A double change with no direction known yet steps nowhere.
        let mut q = Quadrature::new(StepMode::Full, true, true);
        assert_eq!(
            run(&mut q, &[(false, false), (true, true)]),
            Vec::<i32>::new()
        );
    }

    #[test]
    fn a_fast_spin_losing_one_edge_per_detent_still_counts_every_detent() {
        let mut q = Quadrature::new(StepMode::Full, true, true);
        // Clockwise, each cycle missing its second edge: 01, 10, 11.
        let seq: Vec<_> = [(false, true), (true, false), (true, true)]
            .iter()
            .copied()
            .cycle()
            .take(3 * 20)
            .collect();
        assert_eq!(run(&mut q, &seq).len(), 20);
    }

    #[test]
    fn steps_per_detent_from_the_mapping() {
        assert_eq!(StepMode::from_transitions(4), Some(StepMode::Full));
        assert_eq!(StepMode::from_transitions(2), Some(StepMode::Half));
        assert_eq!(StepMode::from_transitions(1), Some(StepMode::Quarter));
        assert_eq!(StepMode::from_transitions(3), None);
    }
}
