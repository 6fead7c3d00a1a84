//! X32 backups: the console's nodes (`x32-osc.md` §1.5) as a versioned JSON document, read
//! over `/node` with pacing and retries, and restored as a diff applied block by block.
//!
//! The file (`docs/backup.md`) maps each node path to its fields as node text, in the
//! console's human units, so it reads and diffs like a scene file:
//! `"/ch/01/mix": "ON -5.00 ON +0 OFF -oo"`. Faders carry two decimals (read with a plain get
//! beside the node, whose text has one), so a restore puts them back on the exact step.
//!
//! - [`Backup`]: the document; [`Backup::load`] reports a malformed file as
//!   `FILE:LINE:COLUMN: what was expected`, [`Backup::save`] writes it whole or not at all.
//! - [`Section`]: what a backup holds (channels, buses, …), and the node paths of each.
//! - [`Console`]: a paced `/node` link to the desk on its own UDP socket ([`Pacing`]).
//! - [`diff`] / [`NodeDiff`]: the parameters a restore would change, old → new.

mod link;
mod restore;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use crate::x32::node;

pub use link::{Console, ConsoleInfo, Pacing, ReadOutcome};
pub use restore::{diff, Applied, FieldChange, NodeDiff};

/// The `format` tag of a backup file.
pub const FORMAT: &str = "pupitre-x32-backup";
/// The version this pupitre writes and reads.
pub const VERSION: u32 = 1;

/// Why a backup could not be read, taken or restored.
#[derive(Debug, Error)]
pub enum BackupError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a valid backup.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// No socket for the console.
    #[error("cannot open a UDP socket for the console: {0}")]
    Socket(std::io::Error),
    /// The console's address does not resolve.
    #[error("cannot resolve the X32 address {address:?}: {why}")]
    Address {
        /// As given.
        address: String,
        /// Why.
        why: String,
    },
    /// Nothing answers `/xinfo`.
    #[error("no X32 answers at {address} (/xinfo got no reply after {tries} tries)")]
    NoConsole {
        /// Where it was asked.
        address: String,
        /// How many times.
        tries: u32,
    },
    /// Some requests never got an answer.
    #[error(
        "{} of {total} requests got no answer after {tries} tries each: {}{} \
         (a lossy link: try again, or raise --retries / --timeout-ms)",
        missing.len(),
        missing.iter().take(8).cloned().collect::<Vec<_>>().join(", "),
        if missing.len() > 8 { ", …" } else { "" }
    )]
    Unanswered {
        /// The nodes or addresses, as requested.
        missing: Vec<String>,
        /// How many requests there were.
        total: usize,
        /// Tries per request.
        tries: u32,
    },
}

/// What a backup holds; `--only` takes these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// Input channels 1–32: config, groups, mix, sends, EQ, gate and dynamics on/off.
    Channels,
    /// Aux inputs 1–8: config, groups, mix, sends, EQ.
    Auxins,
    /// FX returns 1–8: config, groups, mix, sends.
    Fxreturns,
    /// Mix buses 1–16: config, groups, mix, matrix sends, EQ, dynamics on/off.
    Buses,
    /// Matrices 1–6: config, mix, EQ, dynamics on/off.
    Matrices,
    /// Main stereo and mono: config, mix, matrix sends, EQ, dynamics on/off.
    Main,
    /// DCAs 1–8: fader, on, config.
    Dcas,
    /// Mute groups 1–6.
    Mutegroups,
    /// Block routing (IN, AES50A, AES50B, CARD, OUT, PLAY), the REC/PLAY switch, user outputs.
    Routing,
    /// Output sources and taps: main 1–16, aux 1–6, P16 1–16, AES 1–2, recorder 1–2.
    Outputs,
}

impl Section {
    /// Every section, in file order.
    pub const ALL: [Section; 10] = [
        Section::Channels,
        Section::Auxins,
        Section::Fxreturns,
        Section::Buses,
        Section::Matrices,
        Section::Main,
        Section::Dcas,
        Section::Mutegroups,
        Section::Routing,
        Section::Outputs,
    ];

    /// The name `--only` and the file use.
    pub fn name(self) -> &'static str {
        match self {
            Section::Channels => "channels",
            Section::Auxins => "auxins",
            Section::Fxreturns => "fxreturns",
            Section::Buses => "buses",
            Section::Matrices => "matrices",
            Section::Main => "main",
            Section::Dcas => "dcas",
            Section::Mutegroups => "mutegroups",
            Section::Routing => "routing",
            Section::Outputs => "outputs",
        }
    }

    /// Parse a comma-separated list (`channels,buses`).
    pub fn parse_list(s: &str) -> Result<Vec<Section>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let section = Section::ALL
                .into_iter()
                .find(|x| x.name() == part)
                .ok_or_else(|| {
                    format!(
                        "{part:?} is not a section; sections are {}",
                        Section::ALL.map(Section::name).join(", ")
                    )
                })?;
            if !out.contains(&section) {
                out.push(section);
            }
        }
        if out.is_empty() {
            return Err("no section given".into());
        }
        out.sort();
        Ok(out)
    }

    /// The node paths of this section, with their leading slash, in the console's order.
    pub fn nodes(self) -> Vec<String> {
        let mut out = Vec::new();
        let two = |n: u8| format!("{n:02}");
        match self {
            Section::Channels => {
                for n in 1..=32 {
                    strip_nodes(&mut out, &format!("/ch/{}", two(n)), 16, 4, true, true);
                }
            }
            Section::Auxins => {
                for n in 1..=8 {
                    strip_nodes(&mut out, &format!("/auxin/{}", two(n)), 16, 4, false, true);
                }
            }
            Section::Fxreturns => {
                for n in 1..=8 {
                    strip_nodes(&mut out, &format!("/fxrtn/{}", two(n)), 16, 0, false, true);
                }
            }
            Section::Buses => {
                for n in 1..=16 {
                    let bus = format!("/bus/{}", two(n));
                    strip_nodes(&mut out, &bus, 6, 6, false, true);
                    out.push(format!("{bus}/dyn"));
                }
            }
            Section::Matrices => {
                for n in 1..=6 {
                    let mtx = format!("/mtx/{}", two(n));
                    strip_nodes(&mut out, &mtx, 0, 6, false, false);
                    out.push(format!("{mtx}/dyn"));
                }
            }
            Section::Main => {
                for main in ["/main/st", "/main/m"] {
                    strip_nodes(&mut out, main, 6, 6, false, false);
                    out.push(format!("{main}/dyn"));
                }
            }
            Section::Dcas => {
                for n in 1..=8 {
                    out.push(format!("/dca/{n}"));
                    out.push(format!("/dca/{n}/config"));
                }
            }
            Section::Mutegroups => out.push("/config/mute".into()),
            Section::Routing => {
                for block in ["IN", "AES50A", "AES50B", "CARD", "OUT", "PLAY"] {
                    out.push(format!("/config/routing/{block}"));
                }
                out.push("/config/routing/routswitch".into());
                out.push("/config/userrout/out".into());
            }
            Section::Outputs => {
                for (family, count) in [
                    ("main", 16),
                    ("aux", 6),
                    ("p16", 16),
                    ("aes", 2),
                    ("rec", 2),
                ] {
                    for n in 1..=count {
                        out.push(format!("/outputs/{family}/{}", two(n)));
                    }
                }
            }
        }
        out
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A strip's nodes: config, groups, mix, `sends` send nodes, EQ with `bands` bands, and the
/// channel-only gate and dynamics.
fn strip_nodes(
    out: &mut Vec<String>,
    strip: &str,
    sends: u8,
    bands: u8,
    channel: bool,
    groups: bool,
) {
    out.push(format!("{strip}/config"));
    if groups {
        out.push(format!("{strip}/grp"));
    }
    out.push(format!("{strip}/mix"));
    for s in 1..=sends {
        out.push(format!("{strip}/mix/{s:02}"));
    }
    if bands > 0 {
        out.push(format!("{strip}/eq"));
        for b in 1..=bands {
            out.push(format!("{strip}/eq/{b}"));
        }
    }
    if channel {
        out.push(format!("{strip}/gate"));
        out.push(format!("{strip}/dyn"));
    }
}

/// The node paths of these sections, in order, without repeats.
pub fn nodes_for(sections: &[Section]) -> Vec<String> {
    let mut sections = sections.to_vec();
    sections.sort();
    sections.dedup();
    sections.into_iter().flat_map(Section::nodes).collect()
}

/// The nodes routing analysis reads: the output side of buses, matrices and mains (names, on,
/// fader, matrix sends), every output, the routing blocks and the user outputs.
pub fn routing_nodes() -> Vec<String> {
    let mut out = Vec::new();
    let mut strip = |s: String, sends: u8| {
        out.push(format!("{s}/config"));
        out.push(format!("{s}/mix"));
        for m in 1..=sends {
            out.push(format!("{s}/mix/{m:02}"));
        }
    };
    for n in 1..=16 {
        strip(format!("/bus/{n:02}"), 6);
    }
    for n in 1..=6 {
        strip(format!("/mtx/{n:02}"), 0);
    }
    strip("/main/st".into(), 6);
    strip("/main/m".into(), 6);
    out.extend(Section::Routing.nodes());
    out.extend(Section::Outputs.nodes());
    out
}

/// A backup: what the console said, node by node, with where and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Always [`FORMAT`].
    pub format: FormatTag,
    /// Always [`VERSION`] for files this pupitre writes; others are refused with a hint.
    pub version: Version,
    /// When it was taken, RFC 3339 UTC.
    pub created: String,
    /// The console, as `/xinfo` described it.
    pub console: ConsoleInfo,
    /// What it holds.
    pub sections: Vec<Section>,
    /// Node path (with its slash) → the node's fields as node text.
    pub nodes: Nodes,
}

/// The `format` field: only [`FORMAT`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormatTag;

impl Serialize for FormatTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(FORMAT)
    }
}

impl<'de> Deserialize<'de> for FormatTag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == FORMAT {
            Ok(FormatTag)
        } else {
            Err(de::Error::custom(format!(
                "format {s:?} is not a pupitre X32 backup (expected {FORMAT:?})"
            )))
        }
    }
}

/// The `version` field: only [`VERSION`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Version;

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(VERSION)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u64::deserialize(d)?;
        if v == u64::from(VERSION) {
            Ok(Version)
        } else if v > u64::from(VERSION) {
            Err(de::Error::custom(format!(
                "version {v} is newer than this pupitre reads ({VERSION}); update pupitre"
            )))
        } else {
            Err(de::Error::custom(format!(
                "version {v} is not a backup version (this pupitre reads {VERSION})"
            )))
        }
    }
}

/// Node path → node text fields. Every entry reads against the node schema when loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Nodes(pub BTreeMap<String, String>);

impl Nodes {
    /// The whole node line, `/ch/01/mix ON -5.00 …`.
    pub fn line(&self, path: &str) -> Option<String> {
        self.0.get(path).map(|fields| join_line(path, fields))
    }
}

/// `path` and `fields` as one node line.
pub(crate) fn join_line(path: &str, fields: &str) -> String {
    if fields.is_empty() {
        path.to_owned()
    } else {
        format!("{path} {fields}")
    }
}

impl<'de> Deserialize<'de> for Nodes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodesVisitor;
        impl<'de> Visitor<'de> for NodesVisitor {
            type Value = Nodes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of node paths and their fields, e.g. {\"/ch/01/mix\": \"ON -5.00 ON +0 OFF -oo\"}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Nodes, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((path, fields)) = map.next_entry::<String, String>()? {
                    if !path.starts_with('/') {
                        return Err(de::Error::custom(format!(
                            "node {path:?} must start with '/'"
                        )));
                    }
                    if let Err(e) = node::read_line(&join_line(&path, &fields)) {
                        return Err(de::Error::custom(format!("node {path}: {e}")));
                    }
                    if out.insert(path.clone(), fields).is_some() {
                        return Err(de::Error::custom(format!("node {path} appears twice")));
                    }
                }
                Ok(Nodes(out))
            }
        }
        d.deserialize_map(NodesVisitor)
    }
}

impl Backup {
    /// A new document for these nodes.
    pub fn new(
        console: ConsoleInfo,
        sections: Vec<Section>,
        nodes: BTreeMap<String, String>,
    ) -> Backup {
        Backup {
            format: FormatTag,
            version: Version,
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            console,
            sections,
            nodes: Nodes(nodes),
        }
    }

    /// Read a backup from JSON text; errors carry the line and column.
    pub fn from_json(text: &str, path: &Path) -> Result<Backup, BackupError> {
        serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            // serde_json appends " at line L column C"; the position goes in front instead.
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            BackupError::Malformed {
                path: path.to_owned(),
                line: e.line(),
                column: e.column().max(1),
                message,
            }
        })
    }

    /// Read a backup file.
    pub fn load(path: &Path) -> Result<Backup, BackupError> {
        let text = std::fs::read_to_string(path).map_err(|source| BackupError::Io {
            path: path.to_owned(),
            source,
        })?;
        Backup::from_json(&text, path)
    }

    /// The JSON text, pretty-printed, one node a line.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Write the file whole: into a temporary file beside it, then renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), BackupError> {
        let io = |source| BackupError::Io {
            path: path.to_owned(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_json()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

#[cfg(test)]
mod tests;
