//! Push buttons, as pure logic (time is an argument): raw edges in, debounced presses out.
//!
//! A level counts once it has held for the debounce time; a contact that bounces within it
//! counts once. A press held for the long-press time is also reported as a long press, once.
//! Edges arrive by interrupt, so a level that settles needs a later look: the caller asks
//! [`Button::next_deadline`] when to call [`Button::poll`].

use std::time::{Duration, Instant};

/// Debounce for buttons when the mapping does not say: long enough for common tact switches
/// (their bounce lasts 1–5 ms), short enough not to be felt.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(10);
/// A long press when the mapping does not say.
pub const DEFAULT_LONG_PRESS: Duration = Duration::from_millis(600);

/// What a button did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonEvent {
    /// Pressed (debounced).
    Pressed,
    /// Held for the long-press time (once per press).
    LongPress,
    /// Released; `long` when the press had become a long press.
    Released {
        /// Whether [`ButtonEvent::LongPress`] came first.
        long: bool,
    },
}

/// One button's debouncer.
#[derive(Clone, Debug)]
pub struct Button {
    debounce: Duration,
    long_press: Duration,
    /// Whether the contact is closed, as last accepted.
    pressed: bool,
    /// A different raw level seen since, and when it started.
    pending: Option<(bool, Instant)>,
    /// When the current press was accepted, until it becomes long.
    pressed_at: Option<Instant>,
    long_sent: bool,
}

impl Button {
    /// A button that reads `pressed` now.
    pub fn new(pressed: bool, debounce: Duration, long_press: Duration) -> Button {
        Button {
            debounce,
            long_press,
            pressed,
            pending: None,
            pressed_at: None,
            long_sent: false,
        }
    }

    /// The contact's raw level changed at `at` (`pressed`: closed).
    pub fn edge(&mut self, pressed: bool, at: Instant) -> Vec<ButtonEvent> {
        let mut out = self.poll(at);
        self.pending = if pressed == self.pressed {
            // Back to the accepted level within the debounce time: a bounce.
            None
        } else {
            Some((pressed, at))
        };
        out.extend(self.poll(at));
        out
    }

    /// What has settled by `now`.
    pub fn poll(&mut self, now: Instant) -> Vec<ButtonEvent> {
        let mut out = Vec::new();
        if let Some((level, since)) = self.pending {
            if now.duration_since(since) >= self.debounce {
                self.pending = None;
                self.pressed = level;
                if level {
                    self.pressed_at = Some(since);
                    self.long_sent = false;
                    out.push(ButtonEvent::Pressed);
                } else {
                    self.pressed_at = None;
                    out.push(ButtonEvent::Released {
                        long: self.long_sent,
                    });
                }
            }
        }
        if let Some(t) = self.pressed_at {
            if self.pressed && !self.long_sent && now.duration_since(t) >= self.long_press {
                self.long_sent = true;
                out.push(ButtonEvent::LongPress);
            }
        }
        out
    }

    /// When [`Button::poll`] may have something new, if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        let settle = self.pending.map(|(_, since)| since + self.debounce);
        let long = self
            .pressed_at
            .filter(|_| self.pressed && !self.long_sent)
            .map(|t| t + self.long_press);
        match (settle, long) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn button() -> Button {
        Button::new(false, DEFAULT_DEBOUNCE, DEFAULT_LONG_PRESS)
    }

    /// Feed (ms, pressed) edges, polling at every deadline up to `until` ms.
    fn replay(
        b: &mut Button,
        t0: Instant,
        edges: &[(u64, bool)],
        until: u64,
    ) -> Vec<(u64, ButtonEvent)> {
        let mut out = Vec::new();
        let mut edges = edges.iter().peekable();
        let mut now = 0;
        while now <= until {
            while let Some(&&(at, level)) = edges.peek() {
                if at > now {
                    break;
                }
                out.extend(
                    b.edge(level, t0 + Duration::from_millis(at))
                        .into_iter()
                        .map(|e| (at, e)),
                );
                edges.next();
            }
            out.extend(
                b.poll(t0 + Duration::from_millis(now))
                    .into_iter()
                    .map(|e| (now, e)),
            );
            now += 1;
        }
        out
    }

    #[test]
    fn a_bouncing_press_and_release_count_once_each() {
        let t0 = Instant::now();
        let mut b = button();
        // Recorded tact switch: 4 ms of chatter on press, 3 ms on release.
        let edges = [
            (0, true),
            (1, false),
            (2, true),
            (3, false),
            (4, true),
            (200, false),
            (201, true),
            (202, false),
        ];
        let events = replay(&mut b, t0, &edges, 400);
        assert_eq!(
            events,
            vec![
                (14, ButtonEvent::Pressed),
                (212, ButtonEvent::Released { long: false })
            ]
        );
    }

    #[test]
    fn a_glitch_shorter_than_the_debounce_is_ignored() {
        let t0 = Instant::now();
        let mut b = button();
        let events = replay(&mut b, t0, &[(10, true), (15, false)], 100);
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn a_long_press_is_reported_once_then_its_release() {
        let t0 = Instant::now();
        let mut b = button();
        let events = replay(&mut b, t0, &[(0, true), (1500, false)], 1600);
        assert_eq!(
            events,
            vec![
                (10, ButtonEvent::Pressed),
                (600, ButtonEvent::LongPress),
                (1510, ButtonEvent::Released { long: true })
            ]
        );
    }

    #[test]
    fn deadlines_tell_when_to_look_again() {
        let t0 = Instant::now();
        let mut b = button();
        assert_eq!(b.next_deadline(), None);
        b.edge(true, t0);
        assert_eq!(b.next_deadline(), Some(t0 + DEFAULT_DEBOUNCE));
        assert_eq!(b.poll(t0 + DEFAULT_DEBOUNCE), vec![ButtonEvent::Pressed]);
        assert_eq!(b.next_deadline(), Some(t0 + DEFAULT_LONG_PRESS));
        assert_eq!(
            b.poll(t0 + DEFAULT_LONG_PRESS),
            vec![ButtonEvent::LongPress]
        );
        assert_eq!(b.next_deadline(), None);
        // Released with no poll in between: the edge itself settles the old one first.
        assert!(b.edge(false, t0 + 2 * DEFAULT_LONG_PRESS).is_empty());
        assert_eq!(
            b.poll(t0 + 2 * DEFAULT_LONG_PRESS + DEFAULT_DEBOUNCE),
            vec![ButtonEvent::Released { long: true }]
        );
    }
}
