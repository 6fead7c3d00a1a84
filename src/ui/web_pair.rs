//! The "Phone / web remote" panel: opening it offers a fresh one-time pairing code
//! ([`WebHandle::pair`]); a one-second timer counts it down and follows the paired browsers,
//! and offers a new code once a browser has paired (a code works once); "Forget" unpairs one
//! ([`WebHandle::revoke`]). What it shows comes from pure functions ([`countdown`],
//! [`paired_date`], [`newly_paired`]).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};

use super::{DeskWindow, PairedRow, WebPairLogic};
use crate::web::{PairingOffer, TokenRecord, WebHandle};

/// What the line under the code says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Countdown {
    /// Still usable: minutes and seconds left (`4:12`).
    Valid(String),
    /// It no longer works.
    Expired,
}

/// The countdown at `now` for a code that stops working at `expires`. Seconds round up, so a
/// fresh code reads `5:00` and a code that still works never reads `0:00`.
pub fn countdown(expires: Instant, now: Instant) -> Countdown {
    let left = expires.saturating_duration_since(now);
    if left.is_zero() {
        return Countdown::Expired;
    }
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    Countdown::Valid(format!("{}:{:02}", secs / 60, secs % 60))
}

/// When a browser was paired, in local time (`2026-11-22 14:03`); the stored text as it is
/// when it does not read as RFC 3339 (a token file edited by hand).
pub fn paired_date(created: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(created) {
        Ok(t) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => created.to_owned(),
    }
}

/// The browsers in `now` whose ids were not in `before`: paired since, oldest first.
pub fn newly_paired<'a>(before: &[String], now: &'a [TokenRecord]) -> Vec<&'a TokenRecord> {
    now.iter().filter(|r| !before.contains(&r.id)).collect()
}

/// The rows of the paired list, oldest first.
fn rows(records: &[TokenRecord]) -> Vec<PairedRow> {
    records
        .iter()
        .map(|r| PairedRow {
            id: r.id.as_str().into(),
            device: r.device.as_str().into(),
            paired: paired_date(&r.created).into(),
        })
        .collect()
}

/// The panel's state on the UI thread.
struct Panel {
    app: slint::Weak<DeskWindow>,
    web: WebHandle,
    now: Rc<dyn Fn() -> Instant>,
    offer: RefCell<Option<PairingOffer>>,
    /// Ids paired when the panel opened: one that appears later is announced.
    known: RefCell<Vec<String>>,
    /// The list as last shown.
    listed: RefCell<Option<Vec<TokenRecord>>>,
    /// Ticks each second while the panel is open.
    timer: Timer,
}

impl Panel {
    /// A fresh code on the screen.
    fn offer_code(&self, app: &DeskWindow) {
        let offer = self.web.pair();
        let logic = app.global::<WebPairLogic>();
        logic.set_code(offer.spaced().into());
        let urls: Vec<SharedString> = offer.urls.iter().map(|u| u.as_str().into()).collect();
        logic.set_urls(ModelRc::new(VecModel::from(urls)));
        *self.offer.borrow_mut() = Some(offer);
    }

    /// Each second: the paired list, then the countdown.
    fn tick(&self) {
        let Some(app) = self.app.upgrade() else {
            self.timer.stop();
            return;
        };
        if self.show_paired(&app) {
            // A code works once and the new browser most likely used the one shown.
            self.offer_code(&app);
        }
        self.show_countdown(&app);
    }

    fn show_countdown(&self, app: &DeskWindow) {
        let logic = app.global::<WebPairLogic>();
        let shown = self
            .offer
            .borrow()
            .as_ref()
            .map(|o| countdown(o.expires, (self.now)()));
        match shown {
            Some(Countdown::Valid(left)) => {
                logic.set_remaining(left.into());
                logic.set_expired(false);
            }
            Some(Countdown::Expired) | None => {
                logic.set_remaining(SharedString::new());
                logic.set_expired(true);
            }
        }
    }

    /// The paired list as the token store has it (a phone may have paired, or
    /// `pupitre web tokens --revoke` run, since the last look). True when a browser paired
    /// since the last look.
    fn show_paired(&self, app: &DeskWindow) -> bool {
        let logic = app.global::<WebPairLogic>();
        match self.web.tokens() {
            Ok(list) => {
                let mut known = self.known.borrow_mut();
                let newest = newly_paired(&known, &list).last().map(|r| r.device.clone());
                if let Some(device) = &newest {
                    logic.set_just_paired(device.as_str().into());
                }
                *known = list.iter().map(|r| r.id.clone()).collect();
                // Rebuilt only when it changed: the rows are not redrawn every second.
                let mut listed = self.listed.borrow_mut();
                if listed.as_deref() != Some(list.as_slice()) {
                    logic.set_paired(ModelRc::new(VecModel::from(rows(&list))));
                    *listed = Some(list);
                }
                newest.is_some()
            }
            Err(e) => {
                logic.set_error(e.to_string().into());
                logic.set_paired(ModelRc::default());
                *self.listed.borrow_mut() = None;
                false
            }
        }
    }

    /// "New code" pressed.
    fn new_code(&self) {
        let Some(app) = self.app.upgrade() else {
            return;
        };
        app.global::<WebPairLogic>()
            .set_just_paired(SharedString::new());
        self.offer_code(&app);
        self.show_countdown(&app);
    }

    fn opened(self: &Rc<Self>) {
        let Some(app) = self.app.upgrade() else {
            return;
        };
        let logic = app.global::<WebPairLogic>();
        logic.set_error(SharedString::new());
        logic.set_just_paired(SharedString::new());
        // Browsers paired before the panel opened are not news.
        *self.known.borrow_mut() = self
            .web
            .tokens()
            .map(|l| l.into_iter().map(|r| r.id).collect())
            .unwrap_or_default();
        self.offer_code(&app);
        self.tick();
        let panel = Rc::downgrade(self);
        self.timer
            .start(TimerMode::Repeated, Duration::from_secs(1), move || {
                if let Some(p) = panel.upgrade() {
                    p.tick();
                }
            });
    }

    fn closed(&self) {
        self.timer.stop();
        // The code stays valid until it expires (codes cannot be withdrawn); it is only hidden.
        *self.offer.borrow_mut() = None;
    }

    fn forget(&self, id: &str) {
        let Some(app) = self.app.upgrade() else {
            return;
        };
        let error = match self.web.revoke(id) {
            Ok(_) => SharedString::new(),
            Err(e) => e.to_string().into(),
        };
        app.global::<WebPairLogic>().set_error(error);
        self.show_paired(&app);
    }
}

/// Offer the panel when there is a web remote (`web` is `Some`), and wire it.
pub fn connect(app: &DeskWindow, web: Option<WebHandle>) {
    connect_with_clock(app, web, Rc::new(Instant::now));
}

/// [`connect`] with the clock the countdown reads (tests move it past a code's expiry).
pub fn connect_with_clock(app: &DeskWindow, web: Option<WebHandle>, now: Rc<dyn Fn() -> Instant>) {
    app.set_web_enabled(web.is_some());
    let Some(web) = web else {
        return;
    };
    let panel = Rc::new(Panel {
        app: app.as_weak(),
        web,
        now,
        offer: RefCell::new(None),
        known: RefCell::new(Vec::new()),
        listed: RefCell::new(None),
        timer: Timer::default(),
    });
    let logic = app.global::<WebPairLogic>();
    {
        let panel = panel.clone();
        logic.on_opened(move || panel.opened());
    }
    {
        let panel = panel.clone();
        logic.on_new_code(move || panel.new_code());
    }
    {
        let panel = panel.clone();
        logic.on_forget(move |id| panel.forget(&id));
    }
    logic.on_closed(move || panel.closed());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_countdown_reads_minutes_and_seconds_rounded_up() {
        let t0 = Instant::now();
        let at = |s: f64| {
            countdown(
                t0 + Duration::from_secs(300),
                t0 + Duration::from_secs_f64(s),
            )
        };
        assert_eq!(at(0.0), Countdown::Valid("5:00".into()));
        assert_eq!(at(0.4), Countdown::Valid("5:00".into()));
        assert_eq!(at(1.0), Countdown::Valid("4:59".into()));
        assert_eq!(at(48.0), Countdown::Valid("4:12".into()));
        assert_eq!(at(290.0), Countdown::Valid("0:10".into()));
        assert_eq!(at(299.9), Countdown::Valid("0:01".into()));
        assert_eq!(at(300.0), Countdown::Expired);
        assert_eq!(at(1000.0), Countdown::Expired);
    }

    #[test]
    fn a_pairing_date_reads_in_local_time_and_odd_text_stays_as_is() {
        let utc = chrono::DateTime::parse_from_rfc3339("2026-11-22T14:03:07Z").unwrap();
        let want = utc
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        assert_eq!(paired_date("2026-11-22T14:03:07Z"), want);
        assert_eq!(want.len(), "2026-11-22 14:03".len());
        assert_eq!(paired_date("last tuesday"), "last tuesday");
    }

    #[test]
    fn a_browser_paired_since_is_found_by_id() {
        let record = |id: &str, device: &str| TokenRecord {
            id: id.into(),
            device: device.into(),
            created: "2026-11-22T14:03:07Z".into(),
            sha256: "0".repeat(64),
        };
        let now = [record("aa", "iPad"), record("bb", "Anna's phone")];
        let new = newly_paired(&["aa".to_string()], &now);
        assert_eq!(new, vec![&now[1]]);
        assert!(newly_paired(&["aa".into(), "bb".into()], &now).is_empty());
    }

    proptest! {
        #[test]
        fn any_stored_date_shows_without_panicking(text in ".{0,60}") {
            let shown = paired_date(&text);
            prop_assert!(!shown.is_empty() || text.is_empty());
        }
    }
}
