//! Restoring a backup: read the live desk for the same nodes, list exactly the parameters
//! that differ (old → new, in the console's units), write the chosen nodes back paced, then
//! read them again and report what did not take.

use std::collections::BTreeMap;
use std::fmt;

use crate::x32::node;

use super::link::write_line;
use super::{join_line, Backup, BackupError, Console};

/// One parameter a restore changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Its name in the node (`fader`, `1-8`, `src`).
    pub field: String,
    /// The full address, `/ch/01/mix/fader`.
    pub address: String,
    /// On the desk now.
    pub live: String,
    /// In the backup.
    pub backup: String,
}

/// One node (block) a restore changes, and the line that restores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDiff {
    /// The node path, `/ch/01/mix`.
    pub path: String,
    /// The parameters that differ, in the node's order.
    pub changes: Vec<FieldChange>,
    /// The backup's fields for this node: what is written.
    pub fields: String,
}

impl fmt::Display for NodeDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.path)?;
        let width = self
            .changes
            .iter()
            .map(|c| c.field.len())
            .max()
            .unwrap_or(0);
        for c in &self.changes {
            writeln!(f, "    {:width$}  {} → {}", c.field, c.live, c.backup)?;
        }
        Ok(())
    }
}

/// The nodes of `backup` whose parameters differ from `live`, each with the parameters that
/// do. Values are compared on the parameters' grids (so `1k02` equals `1020`); a node the
/// live desk did not give is left out (the reader reports it).
pub fn diff(backup: &BTreeMap<String, String>, live: &BTreeMap<String, String>) -> Vec<NodeDiff> {
    let mut out = Vec::new();
    for (path, fields) in backup {
        let Some(now) = live.get(path) else { continue };
        let (Ok(want), Ok(have)) = (
            node::read_line(&join_line(path, fields)),
            node::read_line(&join_line(path, now)),
        ) else {
            // Lines that do not read (never from a loaded backup): compare as text.
            if fields != now {
                out.push(NodeDiff {
                    path: path.clone(),
                    changes: vec![FieldChange {
                        field: "(line)".into(),
                        address: path.clone(),
                        live: now.clone(),
                        backup: fields.clone(),
                    }],
                    fields: fields.clone(),
                });
            }
            continue;
        };
        let changes: Vec<FieldChange> = want
            .schema
            .children
            .iter()
            .enumerate()
            .take(want.values.len())
            .filter(|(i, _)| have.values.get(*i) != Some(&want.values[*i]))
            .map(|(i, child)| FieldChange {
                field: child.label.clone(),
                address: child.address.clone(),
                live: have
                    .values
                    .get(i)
                    .zip(have.texts.get(i))
                    .map(|(v, t)| show(child, t, v))
                    .unwrap_or_else(|| "(none)".into()),
                backup: show(child, &want.texts[i], &want.values[i]),
            })
            .collect();
        if !changes.is_empty() {
            out.push(NodeDiff {
                path: path.clone(),
                changes,
                fields: fields.clone(),
            });
        }
    }
    out
}

/// A field as it was written (names in their quotes).
fn show(child: &node::NodeChild, text: &str, value: &crate::desk::Value) -> String {
    match child.unit {
        node::FieldUnit::Name => node::format_field(child.unit, child.kind, value),
        _ => text.to_owned(),
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Nodes written (each acknowledged by the console's echo).
    pub written: usize,
    /// After writing, the parameters that still differ from the backup, node by node.
    pub not_taken: Vec<NodeDiff>,
}

impl Console {
    /// Read the live desk for the backup's nodes (only those in `paths`, if given) and list
    /// what a restore would change.
    pub async fn plan_restore(
        &self,
        backup: &Backup,
        paths: Option<&[String]>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<NodeDiff>, BackupError> {
        let wanted = selected(backup, paths);
        let keys: Vec<String> = wanted.keys().cloned().collect();
        let live = self.read_nodes(&keys, progress).await?;
        Ok(diff(&wanted, &live.nodes))
    }

    /// Write these nodes back from the backup, paced, then read them again and report what
    /// did not take.
    pub async fn apply_restore(
        &self,
        diffs: &[NodeDiff],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Applied, BackupError> {
        let lines: Vec<String> = diffs
            .iter()
            .map(|d| write_line(&d.path, &d.fields))
            .collect();
        let total = lines.len() * 2;
        self.write_lines(&lines, &mut |done, _| progress(done, total))
            .await?;
        let wanted: BTreeMap<String, String> = diffs
            .iter()
            .map(|d| (d.path.clone(), d.fields.clone()))
            .collect();
        let keys: Vec<String> = wanted.keys().cloned().collect();
        let written = lines.len();
        let live = self
            .read_nodes(&keys, &mut |done, all| {
                progress(written + done * written / all.max(1), total)
            })
            .await?;
        Ok(Applied {
            written,
            not_taken: diff(&wanted, &live.nodes),
        })
    }
}

/// The backup's nodes, or those of them in `paths`.
fn selected(backup: &Backup, paths: Option<&[String]>) -> BTreeMap<String, String> {
    match paths {
        None => backup.nodes.0.clone(),
        Some(paths) => backup
            .nodes
            .0
            .iter()
            .filter(|(p, _)| paths.contains(p))
            .map(|(p, f)| (p.clone(), f.clone()))
            .collect(),
    }
}
