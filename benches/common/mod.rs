//! Measurement helpers shared by the benchmarks.

#![allow(dead_code)]

use std::time::Duration;

pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (user+system CPU seconds, VmRSS KiB, VmHWM KiB) of this process.
pub fn usage() -> (f64, u64, u64) {
    usage_of("self")
}

/// The same for another process (`/proc/PID`).
pub fn usage_of(process: &str) -> (f64, u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; 100 ticks/s.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (cpu, kib("VmRSS:"), kib("VmHWM:"))
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Send times per key, to match each arrival with the latest send of the same key at or before
/// it (keys repeat during a long run, so "the last send" would be after some arrivals).
pub struct Sends<K> {
    log: Vec<(K, std::time::Instant)>,
}

impl<K: Copy + Eq + std::hash::Hash> Sends<K> {
    /// Room for `n` sends, touched up front so RSS samples show the service, not this log.
    pub fn with_capacity(n: usize, filler: K) -> Self {
        let mut log = vec![(filler, std::time::Instant::now()); n];
        log.clear();
        Sends { log }
    }

    /// Record a send.
    pub fn push(&mut self, key: K, at: std::time::Instant) {
        self.log.push((key, at));
    }

    /// Latencies of `arrivals`, each against the latest send of its key at or before it.
    pub fn latencies(&self, arrivals: &[(K, std::time::Instant)]) -> Vec<Duration> {
        let mut by_key: std::collections::HashMap<K, Vec<std::time::Instant>> = Default::default();
        for (k, t) in &self.log {
            by_key.entry(*k).or_default().push(*t);
        }
        let mut out: Vec<Duration> = arrivals
            .iter()
            .filter_map(|(k, at)| {
                let times = by_key.get(k)?;
                let i = times.partition_point(|t| t <= at);
                i.checked_sub(1)
                    .map(|i| at.saturating_duration_since(times[i]))
            })
            .collect();
        out.sort();
        out
    }
}
