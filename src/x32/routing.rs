//! Routing analysis: which buses, matrices and mains reach which physical outputs, the card
//! (USB) outputs and AES50, and which of them most likely feeds the livestream
//! (`x32-osc.md` §1.6, "Routing analysis").
//!
//! The path a signal takes: a strip is picked as the source of an output
//! (`/outputs/main|aux|p16|aes|rec/NN/src`); outputs 1–16, the P16 and aux outputs and the
//! user outputs (`/config/userrout/out/NN`, 169–184 = outputs 1–16) are then carried to the
//! card, AES50 A/B and the local XLR outputs by the block routing
//! (`/config/routing/{CARD,AES50A,AES50B,OUT}`, e.g. `CARD/1-8 = OUT9-16`). Matrices are fed
//! by LR, M/C and the buses through their matrix sends.
//!
//! [`analyze`] is pure: it reads a [`Backup`] (from a file, or [`read_routing`] from the
//! desk). Only buses, matrices and the mains are candidates: the stabilizer rides one of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::desk::law;
use crate::desk::{Strip, Value};
use crate::x32::backup::{routing_nodes, Backup, BackupError, Console, Pacing, Section};
use crate::x32::node::{self, block_group, SignalGroup};

/// Where a signal leaves the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    /// The expansion card: USB to a computer (X-USB), or a recorder card.
    Card,
    /// AES50 port A (stage boxes, a second console, a recorder).
    Aes50A,
    /// AES50 port B.
    Aes50B,
    /// The AES/EBU digital output.
    AesOut,
    /// The console's own analog XLR outputs.
    LocalOut,
    /// The aux outputs (jacks).
    AuxOut,
    /// The 2-track recorder outputs.
    Recorder,
    /// The P16 (Ultranet) personal monitor outputs.
    P16,
}

impl Destination {
    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            Destination::Card => "card (USB) outputs",
            Destination::Aes50A => "AES50 A outputs",
            Destination::Aes50B => "AES50 B outputs",
            Destination::AesOut => "AES/EBU output",
            Destination::LocalOut => "analog outputs",
            Destination::AuxOut => "aux outputs",
            Destination::Recorder => "2-track recorder",
            Destination::P16 => "P16 outputs",
        }
    }

    /// How likely a stream is taken from here: a computer on the card or a digital link
    /// first, analog next, personal monitors last.
    fn weight(self) -> i32 {
        match self {
            Destination::Card => 100,
            Destination::Aes50A | Destination::Aes50B => 90,
            Destination::AesOut => 70,
            Destination::LocalOut => 50,
            Destination::AuxOut => 40,
            Destination::Recorder => 30,
            Destination::P16 => 10,
        }
    }
}

/// A strip and everywhere its signal leaves the console.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    /// The bus, matrix or main.
    pub strip: Strip,
    /// Its name on the console (may be empty).
    pub name: String,
    /// The outputs it is the source of, e.g. `output 9`, `P16 2`, `user out 3 (output 10)`.
    pub via: Vec<String>,
    /// Destination → slot numbers (card outputs 1, 2, …).
    pub destinations: BTreeMap<Destination, BTreeSet<u32>>,
}

/// A strip that could be the stabilizer's source, with its score and the reasons for it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCandidate {
    /// The bus, matrix or main.
    pub strip: Strip,
    /// Its name on the console (may be empty).
    pub name: String,
    /// Higher is likelier the livestream feed.
    pub score: i32,
    /// Why, most telling first: `matrix 1 ← LR + bus 5`, `patched to card (USB) outputs 1-2`.
    pub reasons: Vec<String>,
}

impl fmt::Display for FeedCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", describe(self.strip))?;
        if !self.name.is_empty() {
            write!(f, " {:?}", self.name)?;
        }
        write!(f, " (score {}): {}", self.score, self.reasons.join("; "))
    }
}

/// What [`analyze`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// Every bus, matrix and main that reaches a destination, in strip order.
    pub reaches: Vec<Reach>,
    /// Matrix number → the strips sent to it (on, level above −∞).
    pub matrix_feeds: BTreeMap<u8, Vec<Strip>>,
    /// The likely livestream feeds, best first; empty when nothing is routed.
    pub candidates: Vec<FeedCandidate>,
}

impl Analysis {
    /// Why there are no candidates, for a person.
    pub const NOTHING_ROUTED: &'static str = "no bus, matrix or main reaches an output: every \
        output's source is off, a channel's direct out or the monitor, so there is no \
        livestream feed to offer as the stabilizer's source";
}

impl fmt::Display for Analysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Paths:")?;
        if self.reaches.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for r in &self.reaches {
            let name = if r.name.is_empty() {
                String::new()
            } else {
                format!(" {:?}", r.name)
            };
            let dests: Vec<String> = r
                .destinations
                .iter()
                .map(|(d, slots)| format!("{} {}", d.label(), ranges(slots)))
                .collect();
            writeln!(
                f,
                "  {}{name} → {} → {}",
                describe(r.strip),
                r.via.join(", "),
                dests.join(", ")
            )?;
        }
        for (m, feeds) in &self.matrix_feeds {
            let from: Vec<String> = feeds.iter().map(|s| describe(*s)).collect();
            writeln!(f, "  matrix {m} ← {}", from.join(" + "))?;
        }
        writeln!(f, "Likely livestream feeds:")?;
        if self.candidates.is_empty() {
            writeln!(f, "  none: {}", Analysis::NOTHING_ROUTED)?;
        }
        for (i, c) in self.candidates.iter().enumerate() {
            writeln!(f, "  {}. {c}", i + 1)?;
        }
        Ok(())
    }
}

/// `LR`, `M/C`, `bus 5`, `matrix 1`.
pub fn describe(strip: Strip) -> String {
    match strip {
        Strip::MainStereo => "LR".into(),
        Strip::MainMono => "M/C".into(),
        Strip::Bus(n) => format!("bus {n}"),
        Strip::Matrix(n) => format!("matrix {n}"),
        other => other.to_string(),
    }
}

/// `1-3, 5`.
fn ranges(slots: &BTreeSet<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = slots.iter().copied().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while iter.peek() == Some(&(last + 1)) {
            last += 1;
            iter.next();
        }
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
    }
    parts.join(", ")
}

/// The desk's values by address, from a backup's node lines.
struct Values(HashMap<String, Value>);

impl Values {
    fn from_backup(backup: &Backup) -> Values {
        let mut out = HashMap::new();
        for path in backup.nodes.0.keys() {
            let Some(line) = backup.nodes.line(path) else {
                continue;
            };
            let Ok(read) = node::read_line(&line) else {
                continue;
            };
            for (child, value) in read.schema.children.iter().zip(read.values) {
                out.insert(child.address.clone(), value);
            }
        }
        Values(out)
    }

    fn index(&self, address: &str) -> Option<u32> {
        match self.0.get(address) {
            Some(Value::Index(i)) => Some(*i),
            _ => None,
        }
    }

    fn on(&self, address: &str) -> bool {
        self.index(address) == Some(1)
    }

    /// A level's dB; `None` when unknown, −∞ at the bottom.
    fn db(&self, address: &str) -> Option<f64> {
        match self.0.get(address) {
            Some(Value::Level(n)) => Some(law::level_to_db(n.get())),
            _ => None,
        }
    }

    fn name(&self, strip: Strip) -> String {
        match self.0.get(&format!("{}/config/name", strip.address())) {
            Some(Value::Text(t)) => t.to_string(),
            _ => String::new(),
        }
    }
}

/// A signal a routing block or a physical output carries.
#[derive(Debug, Clone, Copy)]
enum Signal {
    /// Output 1–16 (`/outputs/main/NN`).
    Output(u32),
    /// P16 output 1–16.
    P16(u32),
    /// Aux output 1–6; 7–8 are the monitor pair.
    AuxMonitor(u32),
    /// User output 1–48.
    UserOut(u32),
}

fn block_signal(value: u32, offset: u32) -> Option<Signal> {
    let (group, first) = block_group(value)?;
    Some(match group {
        SignalGroup::Outputs => Signal::Output(first + offset),
        SignalGroup::P16 => Signal::P16(first + offset),
        SignalGroup::AuxMonitor => Signal::AuxMonitor(1 + offset),
        SignalGroup::UserOut => Signal::UserOut(first + offset),
        _ => return None,
    })
}

/// An output source code (`src`, 0–76, §1.6) as a strip: 1–2 main L/R, 3 M/C, 4–19 buses,
/// 20–25 matrices; direct outs, monitor and talkback are not strips the stabilizer rides.
fn source_strip(code: u32) -> Option<Strip> {
    match code {
        1 | 2 => Some(Strip::MainStereo),
        3 => Some(Strip::MainMono),
        4..=19 => Some(Strip::Bus((code - 3) as u8)),
        20..=25 => Some(Strip::Matrix((code - 19) as u8)),
        _ => None,
    }
}

impl Values {
    /// The strip a signal carries, and the outputs it went through.
    fn resolve(&self, signal: Signal) -> Option<(Strip, String)> {
        let (family, n, via) = match signal {
            Signal::Output(n) => ("main", n, format!("output {n}")),
            Signal::P16(n) => ("p16", n, format!("P16 {n}")),
            Signal::AuxMonitor(n @ 1..=6) => ("aux", n, format!("aux out {n}")),
            Signal::AuxMonitor(_) => return None,
            Signal::UserOut(n) => {
                let slot = self.index(&format!("/config/userrout/out/{n:02}"))?;
                // 169–184 are outputs 1–16 (§1.6); other user sources are inputs.
                let out = slot.checked_sub(168).filter(|o| (1..=16).contains(o))?;
                let (strip, _) = self.resolve(Signal::Output(out))?;
                return Some((strip, format!("user out {n} (output {out})")));
            }
        };
        let code = self.index(&format!("/outputs/{family}/{n:02}/src"))?;
        Some((source_strip(code)?, via))
    }

    /// What block `block`'s slot `slot` (1-based within the block's destination) carries.
    fn block_slot(&self, block: &str, slot: u32) -> Option<Signal> {
        const EIGHTS: [&str; 6] = ["1-8", "9-16", "17-24", "25-32", "33-40", "41-48"];
        let group = EIGHTS.get(((slot - 1) / 8) as usize)?;
        let value = self.index(&format!("/config/routing/{block}/{group}"))?;
        block_signal(value, (slot - 1) % 8)
    }

    /// What local XLR output `slot` (1–16) carries: 4-wide blocks, the odd ones (1-4, 9-12)
    /// on the first half of an 8-group, the even ones on the second.
    fn local_slot(&self, slot: u32) -> Option<Signal> {
        const FOURS: [&str; 4] = ["1-4", "5-8", "9-12", "13-16"];
        let b = ((slot - 1) / 4) as usize;
        let value = self.index(&format!("/config/routing/OUT/{}", FOURS.get(b)?))?;
        let half = if b.is_multiple_of(2) { 0 } else { 4 };
        block_signal(value, half + (slot - 1) % 4)
    }
}

/// Which strips reach which destinations, and the ranked likely livestream feeds.
pub fn analyze(backup: &Backup) -> Analysis {
    let desk = Values::from_backup(backup);
    let mut reach: BTreeMap<Strip, Reach> = BTreeMap::new();
    let mut add = |dest: Destination, slot: u32, found: Option<(Strip, String)>| {
        let Some((strip, via)) = found else { return };
        let r = reach.entry(strip).or_insert_with(|| Reach {
            strip,
            name: desk.name(strip),
            via: Vec::new(),
            destinations: BTreeMap::new(),
        });
        if !r.via.contains(&via) {
            r.via.push(via);
        }
        r.destinations.entry(dest).or_default().insert(slot);
    };
    let via_block =
        |block: &str, slot: u32| desk.block_slot(block, slot).and_then(|s| desk.resolve(s));
    for slot in 1..=32 {
        add(Destination::Card, slot, via_block("CARD", slot));
    }
    for slot in 1..=48 {
        add(Destination::Aes50A, slot, via_block("AES50A", slot));
        add(Destination::Aes50B, slot, via_block("AES50B", slot));
    }
    for slot in 1..=16 {
        add(
            Destination::LocalOut,
            slot,
            desk.local_slot(slot).and_then(|s| desk.resolve(s)),
        );
        add(Destination::P16, slot, desk.resolve(Signal::P16(slot)));
    }
    for slot in 1..=6 {
        add(
            Destination::AuxOut,
            slot,
            desk.resolve(Signal::AuxMonitor(slot)),
        );
    }
    for slot in 1..=2 {
        let direct = |family: &str| {
            let code = desk.index(&format!("/outputs/{family}/{slot:02}/src"))?;
            Some((source_strip(code)?, format!("{family} out {slot}")))
        };
        add(Destination::AesOut, slot, direct("aes"));
        add(Destination::Recorder, slot, direct("rec"));
    }
    let matrix_feeds = matrix_feeds(&desk);
    let mut candidates: Vec<FeedCandidate> = reach
        .values()
        .map(|r| candidate(r, &desk, &matrix_feeds))
        .collect();
    candidates.sort_by(|a, b| b.score.cmp(&a.score).then(a.strip.cmp(&b.strip)));
    Analysis {
        reaches: reach.into_values().collect(),
        matrix_feeds,
        candidates,
    }
}

/// For each matrix, the strips whose matrix send is on with a level above −∞.
fn matrix_feeds(desk: &Values) -> BTreeMap<u8, Vec<Strip>> {
    let mut out = BTreeMap::new();
    let sources = [Strip::MainStereo, Strip::MainMono]
        .into_iter()
        .chain((1..=16).map(Strip::Bus));
    let sources: Vec<Strip> = sources.collect();
    for m in 1..=6u8 {
        let feeds: Vec<Strip> = sources
            .iter()
            .copied()
            .filter(|s| {
                let send = format!("{}/mix/{m:02}", s.address());
                desk.on(&format!("{send}/on"))
                    && desk
                        .db(&format!("{send}/level"))
                        .is_some_and(|db| db > f64::NEG_INFINITY)
            })
            .collect();
        if !feeds.is_empty() {
            out.insert(m, feeds);
        }
    }
    out
}

/// Names people give a stream feed ("rec" is left out: a recording feed is not the stream).
const STREAM_WORDS: [&str; 8] = [
    "stream",
    "live",
    "web",
    "usb",
    "obs",
    "zoom",
    "broadcast",
    "cast",
];

fn candidate(r: &Reach, desk: &Values, feeds: &BTreeMap<u8, Vec<Strip>>) -> FeedCandidate {
    let mut score = 0;
    let mut reasons = Vec::new();
    let mut dests: Vec<(&Destination, &BTreeSet<u32>)> = r.destinations.iter().collect();
    dests.sort_by_key(|(d, _)| -d.weight());
    if let Some((best, _)) = dests.first() {
        score += best.weight() + 5 * (dests.len() as i32 - 1);
    }
    if let Strip::Matrix(m) = r.strip {
        match feeds.get(&m) {
            Some(from) => {
                let names: Vec<String> = from.iter().map(|s| describe(*s)).collect();
                reasons.push(format!("matrix {m} ← {}", names.join(" + ")));
                score += 10;
                let main = from
                    .iter()
                    .any(|s| matches!(s, Strip::MainStereo | Strip::MainMono));
                if main && from.iter().any(|s| matches!(s, Strip::Bus(_))) {
                    // The main mix plus a bus of extras (ambience, host mics): the stream mix.
                    score += 15;
                }
            }
            None => {
                score -= 40;
                reasons.push(format!("nothing is sent to matrix {m}"));
            }
        }
    }
    for (d, slots) in dests {
        let via: Vec<&String> = r.via.iter().collect();
        reasons.push(format!(
            "patched to {} {} (from {})",
            d.label(),
            ranges(slots),
            via.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let lower = r.name.to_lowercase();
    if STREAM_WORDS.iter().any(|w| lower.contains(w)) {
        score += 15;
        reasons.push(format!("named {:?}", r.name));
    }
    let prefix = r.strip.address();
    if desk.index(&format!("{prefix}/mix/on")) == Some(0) {
        score -= 30;
        reasons.push("muted".into());
    }
    if desk.db(&format!("{prefix}/mix/fader")) == Some(f64::NEG_INFINITY) {
        score -= 30;
        reasons.push("fader at -oo".into());
    }
    FeedCandidate {
        strip: r.strip,
        name: r.name.clone(),
        score,
        reasons,
    }
}

/// Read only what [`analyze`] needs from the desk at `address` (`host:port`, or a host for
/// port 10023): the output side of buses, matrices and mains, the outputs and the routing.
pub async fn read_routing(
    address: &str,
    pacing: Pacing,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Backup, BackupError> {
    let console = Console::open(address, pacing).await?;
    let info = console.info().await?;
    let read = console.read_nodes(&routing_nodes(), progress).await?;
    Ok(Backup::new(
        info,
        vec![Section::Routing, Section::Outputs],
        read.nodes,
    ))
}

#[cfg(test)]
mod tests;
