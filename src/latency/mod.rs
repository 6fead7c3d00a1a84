//! Round trips measured on a link, and the report `pupitre latency` prints. The probes live in
//! the rooms that own each protocol (`x32::probe`, `camilla::probe`, `midi::probe`); they all
//! fill a [`RoundTrips`] from one [`ProbePlan`], and this room turns them into percentiles, a
//! table and JSON. A probe that gets no answer within the plan's timeout is *lost*, never a
//! long time: one lost packet must not pass for a slow link.

mod report;
mod stats;

pub use report::{
    BufferLevel, LatencyReport, LinkKind, LinkOutcome, LinkReport, Measured, ProcessingLatency,
    ResamplerDelay,
};
pub use stats::{percentile, Percentiles, ProbePlan, RoundTrips, RttSummary};
