//! Who the fake desk talks to unasked: `/xremote` registrations and `/meters` subscriptions.
//! Pure tables that take `now` as an input, so expiry is tested without a clock.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

/// How long a registration or a meter subscription lives without renewal (`x32-osc.md` §1.3,
/// §1.8: about 10 s; the emulator uses 11).
pub(crate) const LIFETIME: Duration = Duration::from_secs(10);
/// `/xremote` slots: at most four clients at once (§1.3).
pub(crate) const XREMOTE_SLOTS: usize = 4;
/// Meter subscriptions kept at once, to bound the work per tick (the real limit is unknown).
pub(crate) const METER_SLOTS: usize = 16;
/// One meter update every 50 ms × time factor (§1.8).
pub(crate) const METER_PERIOD: Duration = Duration::from_millis(50);

/// What `/xremote` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registration {
    /// A new client took a free slot.
    Registered,
    /// A registered client renewed its 10 s.
    Renewed,
    /// All four slots are held by live clients: refused until one expires (§1.3).
    Refused,
}

/// The `/xremote` slot table.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    slots: Vec<(SocketAddr, Instant)>,
}

impl Registry {
    /// Register or renew `addr` at `now`.
    pub(crate) fn register(&mut self, addr: SocketAddr, now: Instant) -> Registration {
        self.expire(now);
        if let Some(slot) = self.slots.iter_mut().find(|(a, _)| *a == addr) {
            slot.1 = now + LIFETIME;
            return Registration::Renewed;
        }
        if self.slots.len() >= XREMOTE_SLOTS {
            return Registration::Refused;
        }
        self.slots.push((addr, now + LIFETIME));
        Registration::Registered
    }

    /// Drop the registrations that ran out by `now`, returning who left.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<SocketAddr> {
        let mut gone = Vec::new();
        self.slots.retain(|(a, until)| {
            let live = now < *until;
            if !live {
                gone.push(*a);
            }
            live
        });
        gone
    }

    /// The clients registered at `now`.
    pub(crate) fn live(&self, now: Instant) -> impl Iterator<Item = SocketAddr> + '_ {
        self.slots
            .iter()
            .filter(move |(_, until)| now < *until)
            .map(|(a, _)| *a)
    }
}

/// A meter bank request: which bank, and the strip id for bank 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Bank {
    /// `/meters/0`: 70 floats.
    Zero,
    /// `/meters/2`: 49 floats.
    Two,
    /// `/meters/6 <id>`: 4 floats for one strip.
    Six(u8),
}

impl Bank {
    /// The reply address.
    pub(crate) fn address(self) -> &'static str {
        match self {
            Bank::Zero => "/meters/0",
            Bank::Two => "/meters/2",
            Bank::Six(_) => "/meters/6",
        }
    }

    /// Read a `/meters ,s[i…]` request's arguments: the bank name (with its slash, §1.8) and
    /// the ints after it. `None` for banks the fake does not serve. Returns the bank and the
    /// time factor (1–99, anything else 1).
    pub(crate) fn from_request(name: &str, ints: &[i32]) -> Option<(Bank, u32)> {
        let (bank, rest) = match name {
            "/meters/0" => (Bank::Zero, ints),
            "/meters/2" => (Bank::Two, ints),
            "/meters/6" => {
                let (&id, rest) = ints.split_first()?;
                let id = u8::try_from(id).ok().filter(|&i| i <= 71)?;
                (Bank::Six(id), rest)
            }
            _ => return None,
        };
        let tf = rest
            .last()
            .and_then(|&t| u32::try_from(t).ok())
            .filter(|t| (1..=99).contains(t))
            .unwrap_or(1);
        Some((bank, tf))
    }
}

/// One meter subscription.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) addr: SocketAddr,
    pub(crate) bank: Bank,
    period: Duration,
    until: Instant,
    next: Instant,
}

/// What a `/meters` request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscribed {
    /// A new subscription; the first update goes out at the next tick.
    New,
    /// The same request again: 10 s more.
    Renewed,
    /// The table is full.
    Refused,
}

/// The meter subscriptions.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    subs: Vec<Subscription>,
}

impl Subscriptions {
    /// Subscribe or renew `addr` to `bank` at `now`.
    pub(crate) fn subscribe(
        &mut self,
        addr: SocketAddr,
        bank: Bank,
        time_factor: u32,
        now: Instant,
    ) -> Subscribed {
        self.expire(now);
        let period = METER_PERIOD * time_factor.clamp(1, 99);
        if let Some(s) = self
            .subs
            .iter_mut()
            .find(|s| s.addr == addr && s.bank == bank)
        {
            s.until = now + LIFETIME;
            s.period = period;
            return Subscribed::Renewed;
        }
        if self.subs.len() >= METER_SLOTS {
            return Subscribed::Refused;
        }
        self.subs.push(Subscription {
            addr,
            bank,
            period,
            until: now + LIFETIME,
            next: now,
        });
        Subscribed::New
    }

    /// `/renew`: 10 s more for `addr`'s subscriptions, to one bank address or all.
    pub(crate) fn renew(&mut self, addr: SocketAddr, bank: Option<&str>, now: Instant) -> usize {
        self.expire(now);
        let mut n = 0;
        for s in self.subs.iter_mut().filter(|s| s.addr == addr) {
            if bank.is_none_or(|b| b == s.bank.address()) {
                s.until = now + LIFETIME;
                n += 1;
            }
        }
        n
    }

    /// Drop the subscriptions that ran out by `now`, returning them.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<Subscription> {
        let (live, gone) = std::mem::take(&mut self.subs)
            .into_iter()
            .partition(|s| now < s.until);
        self.subs = live;
        gone
    }

    /// The subscriptions whose next update is due at `now`, moved on by one period.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<(SocketAddr, Bank)> {
        let mut out = Vec::new();
        for s in &mut self.subs {
            if now < s.until && s.next <= now {
                out.push((s.addr, s.bank));
                // Skip missed periods rather than bursting to catch up.
                s.next = (s.next + s.period).max(now);
            }
        }
        out
    }

    /// How many are live.
    pub(crate) fn len(&self) -> usize {
        self.subs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn xremote_has_four_slots_and_refuses_a_fifth_until_one_expires() {
        let t0 = Instant::now();
        let mut r = Registry::default();
        for p in 1..=4 {
            assert_eq!(r.register(addr(p), t0), Registration::Registered);
        }
        assert_eq!(
            r.register(addr(5), t0 + Duration::from_secs(5)),
            Registration::Refused
        );
        // Client 1 renews at 5 s; the others run out at 10 s.
        assert_eq!(
            r.register(addr(1), t0 + Duration::from_secs(5)),
            Registration::Renewed
        );
        let t10 = t0 + LIFETIME;
        assert_eq!(r.live(t10).collect::<Vec<_>>(), vec![addr(1)]);
        assert_eq!(r.register(addr(5), t10), Registration::Registered);
        assert_eq!(
            r.expire(t0 + Duration::from_secs(15)),
            vec![addr(1)],
            "client 1 ran out at 15 s"
        );
    }

    #[test]
    fn xremote_expires_after_ten_seconds() {
        let t0 = Instant::now();
        let mut r = Registry::default();
        r.register(addr(1), t0);
        assert_eq!(r.live(t0 + Duration::from_millis(9_999)).count(), 1);
        assert_eq!(r.live(t0 + LIFETIME).count(), 0);
        assert_eq!(r.expire(t0 + LIFETIME), vec![addr(1)]);
    }

    #[test]
    fn meter_requests_parse_like_the_desk() {
        assert_eq!(Bank::from_request("/meters/2", &[]), Some((Bank::Two, 1)));
        assert_eq!(Bank::from_request("/meters/0", &[4]), Some((Bank::Zero, 4)));
        assert_eq!(Bank::from_request("/meters/0", &[0]), Some((Bank::Zero, 1)));
        assert_eq!(
            Bank::from_request("/meters/0", &[100]),
            Some((Bank::Zero, 1))
        );
        assert_eq!(
            Bank::from_request("/meters/6", &[64, 2]),
            Some((Bank::Six(64), 2))
        );
        assert_eq!(Bank::from_request("/meters/6", &[]), None);
        assert_eq!(Bank::from_request("/meters/6", &[72]), None);
        assert_eq!(Bank::from_request("meters/2", &[]), None);
        assert_eq!(Bank::from_request("/meters/1", &[]), None);
    }

    #[test]
    fn meters_tick_at_the_time_factor_and_expire() {
        let t0 = Instant::now();
        let mut s = Subscriptions::default();
        assert_eq!(s.subscribe(addr(1), Bank::Two, 2, t0), Subscribed::New);
        assert_eq!(s.due(t0).len(), 1);
        assert_eq!(s.due(t0 + Duration::from_millis(50)).len(), 0);
        assert_eq!(s.due(t0 + Duration::from_millis(100)).len(), 1);
        assert_eq!(
            s.subscribe(addr(1), Bank::Two, 2, t0 + Duration::from_secs(5)),
            Subscribed::Renewed
        );
        assert_eq!(s.expire(t0 + Duration::from_secs(14)).len(), 0);
        assert_eq!(s.expire(t0 + Duration::from_secs(15)).len(), 1);
        assert_eq!(s.len(), 0);
    }
}
