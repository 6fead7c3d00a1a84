//! How many probes, how often, how long to wait; what came back; nearest-rank percentiles.

use std::time::Duration;

use serde::{Serialize, Serializer};

/// How a link is probed: one probe at a time, `probes` of them, each sent at least `interval`
/// after the previous one, and given up as lost after `timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ProbePlan {
    /// Probes per link.
    pub probes: u32,
    /// Shortest time from one probe to the next.
    #[serde(rename = "interval_ms", serialize_with = "millis")]
    pub interval: Duration,
    /// How long an answer may take before the probe counts as lost.
    #[serde(rename = "timeout_ms", serialize_with = "millis")]
    pub timeout: Duration,
}

impl ProbePlan {
    /// Probes per link when not told otherwise: enough for a p99 that means something.
    pub const DEFAULT_PROBES: u32 = 200;
    /// Pause between probes when not told otherwise.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(10);
    /// Wait for an answer when not told otherwise: far beyond any LAN or USB round trip, short
    /// enough that a lossy link is measured in seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

    /// `probes` probes with the default interval and timeout.
    pub fn new(probes: u32) -> Self {
        ProbePlan {
            probes,
            interval: Self::DEFAULT_INTERVAL,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

impl Default for ProbePlan {
    fn default() -> Self {
        ProbePlan::new(Self::DEFAULT_PROBES)
    }
}

/// What one link answered: the time of every answered probe, in the order sent, and how many
/// were lost (no answer in time) or answered late (after being counted lost).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundTrips {
    times: Vec<Duration>,
    lost: u32,
    late: u32,
}

impl RoundTrips {
    /// Nothing sent yet.
    pub fn new() -> Self {
        RoundTrips::default()
    }

    /// A probe was answered after `rtt`.
    pub fn answered(&mut self, rtt: Duration) {
        self.times.push(rtt);
    }

    /// A probe got no answer within the timeout.
    pub fn lost(&mut self) {
        self.lost += 1;
    }

    /// An answer to a probe already counted lost arrived: counted apart, never timed.
    pub fn late(&mut self) {
        self.late += 1;
    }

    /// Round-trip times of the answered probes, in the order they were sent.
    pub fn times(&self) -> &[Duration] {
        &self.times
    }

    /// Probes answered in time.
    pub fn answered_count(&self) -> u32 {
        u32::try_from(self.times.len()).unwrap_or(u32::MAX)
    }

    /// Probes without an answer in time.
    pub fn lost_count(&self) -> u32 {
        self.lost
    }

    /// Probes sent: answered plus lost.
    pub fn sent(&self) -> u32 {
        self.answered_count().saturating_add(self.lost)
    }

    /// Counts and percentiles.
    pub fn summary(&self) -> RttSummary {
        RttSummary {
            sent: self.sent(),
            answered: self.answered_count(),
            lost: self.lost,
            late: self.late,
            rtt: Percentiles::of(&self.times),
        }
    }
}

/// Counts and percentiles of one link's round trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RttSummary {
    /// Probes sent.
    pub sent: u32,
    /// Probes answered in time.
    pub answered: u32,
    /// Probes without an answer in time.
    pub lost: u32,
    /// Answers that came after their probe was counted lost.
    pub late: u32,
    /// Percentiles of the answered probes; `None` when none was answered.
    #[serde(rename = "rtt_ms")]
    pub rtt: Option<Percentiles>,
}

/// Nearest-rank percentiles of a set of round trips: each one is a time that was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    /// Fastest.
    #[serde(serialize_with = "millis")]
    pub min: Duration,
    /// Median.
    #[serde(serialize_with = "millis")]
    pub p50: Duration,
    /// 95th percentile.
    #[serde(serialize_with = "millis")]
    pub p95: Duration,
    /// 99th percentile.
    #[serde(serialize_with = "millis")]
    pub p99: Duration,
    /// Slowest.
    #[serde(serialize_with = "millis")]
    pub max: Duration,
}

impl Percentiles {
    /// The percentiles of `times` (any order); `None` for an empty set.
    pub fn of(times: &[Duration]) -> Option<Percentiles> {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        Some(Percentiles {
            min: *sorted.first()?,
            p50: percentile(&sorted, 50.0)?,
            p95: percentile(&sorted, 95.0)?,
            p99: percentile(&sorted, 99.0)?,
            max: *sorted.last()?,
        })
    }
}

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of `sorted` (ascending): the smallest
/// value with at least p % of the values at or below it. `None` when `sorted` is empty or `p`
/// is outside (0, 100].
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if !(p > 0.0 && p <= 100.0) || sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // ceil(p/100 · n) as a 1-based rank; the float product is exact enough for n < 2^40.
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// A duration as milliseconds with microsecond resolution, for JSON.
fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(as_millis(*d))
}

/// Milliseconds, rounded to the microsecond.
pub(super) fn as_millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_by_hand() {
        // 1..=10 ms: p50 is the 5th value, p95 and p99 the 10th.
        let ten = ms(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(percentile(&ten, 50.0), Some(Duration::from_millis(5)));
        assert_eq!(percentile(&ten, 95.0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&ten, 10.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&ten, 11.0), Some(Duration::from_millis(2)));
        assert_eq!(percentile(&ten, 100.0), Some(Duration::from_millis(10)));
        // 200 values 1..=200: p99 is the 198th, p95 the 190th.
        let many: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(percentile(&many, 99.0), Some(Duration::from_millis(198)));
        assert_eq!(percentile(&many, 95.0), Some(Duration::from_millis(190)));
        assert_eq!(percentile(&many, 50.0), Some(Duration::from_millis(100)));
        // One value is every percentile.
        assert_eq!(percentile(&ms(&[7]), 99.0), Some(Duration::from_millis(7)));
    }

    #[test]
    fn no_values_or_a_silly_p_is_none() {
        assert_eq!(percentile(&[], 50.0), None);
        for p in [0.0, -1.0, 100.1, f64::NAN, f64::INFINITY] {
            assert_eq!(percentile(&ms(&[1, 2]), p), None, "{p}");
        }
        assert_eq!(Percentiles::of(&[]), None);
    }

    #[test]
    fn summary_counts_lost_and_late_apart_from_times() {
        let mut r = RoundTrips::new();
        for m in [3, 1, 2] {
            r.answered(Duration::from_millis(m));
        }
        r.lost();
        r.late();
        let s = r.summary();
        assert_eq!((s.sent, s.answered, s.lost, s.late), (4, 3, 1, 1));
        let p = s.rtt.unwrap();
        assert_eq!(p.min, Duration::from_millis(1));
        assert_eq!(p.p50, Duration::from_millis(2));
        assert_eq!(p.max, Duration::from_millis(3));
        // The order sent is kept.
        assert_eq!(r.times(), ms(&[3, 1, 2]).as_slice());
    }

    #[test]
    fn all_lost_has_no_percentiles() {
        let mut r = RoundTrips::new();
        r.lost();
        r.lost();
        let s = r.summary();
        assert_eq!((s.sent, s.answered, s.lost), (2, 0, 2));
        assert_eq!(s.rtt, None);
    }

    #[test]
    fn json_speaks_milliseconds() {
        let mut r = RoundTrips::new();
        r.answered(Duration::from_micros(1_234));
        let json = serde_json::to_value(r.summary()).unwrap();
        assert_eq!(json["rtt_ms"]["p50"], serde_json::json!(1.234));
        assert_eq!(json["lost"], serde_json::json!(0));
        let plan = serde_json::to_value(ProbePlan::default()).unwrap();
        assert_eq!(plan["interval_ms"], serde_json::json!(10.0));
        assert_eq!(plan["probes"], serde_json::json!(200));
    }

    proptest! {
        #[test]
        fn percentiles_are_ordered_members(
            micros in proptest::collection::vec(0u64..10_000_000, 1..400),
        ) {
            let times: Vec<Duration> = micros.iter().map(|&u| Duration::from_micros(u)).collect();
            let p = Percentiles::of(&times).unwrap();
            prop_assert!(p.min <= p.p50);
            prop_assert!(p.p50 <= p.p95);
            prop_assert!(p.p95 <= p.p99);
            prop_assert!(p.p99 <= p.max);
            for v in [p.min, p.p50, p.p95, p.p99, p.max] {
                prop_assert!(times.contains(&v));
            }
            // At least half the values are at or below the median, and at least half at or above.
            let below = times.iter().filter(|&&t| t <= p.p50).count();
            let above = times.iter().filter(|&&t| t >= p.p50).count();
            prop_assert!(2 * below >= times.len());
            prop_assert!(2 * above >= times.len());
        }

        #[test]
        fn percentile_is_monotonic_in_p(
            micros in proptest::collection::vec(0u64..1_000_000, 1..200),
            a in 0.001f64..100.0,
            b in 0.001f64..100.0,
        ) {
            let mut sorted: Vec<Duration> = micros.iter().map(|&u| Duration::from_micros(u)).collect();
            sorted.sort_unstable();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(percentile(&sorted, lo).unwrap() <= percentile(&sorted, hi).unwrap());
        }

        #[test]
        fn order_of_arrival_does_not_matter(
            micros in proptest::collection::vec(0u64..1_000_000, 1..100),
        ) {
            let times: Vec<Duration> = micros.iter().map(|&u| Duration::from_micros(u)).collect();
            let mut reversed = times.clone();
            reversed.reverse();
            prop_assert_eq!(Percentiles::of(&times), Percentiles::of(&reversed));
        }
    }
}
