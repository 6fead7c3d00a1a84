//! Finding a device by port name, and deciding what to do when the port list changes.
//!
//! Ports are matched by name because system ids change on replug (ALSA client numbers, and
//! midir's ALSA names even end with `client:port`; `controllers.md` §6). A pattern is a
//! case-insensitive substring (`x-touch mini`), or, if it holds a `*`, a case-insensitive glob
//! over the whole name where `*` is any run of characters (`X-TOUCH MINI*`).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A pattern that cannot name a port.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PatternError {
    /// An empty pattern would match every port.
    #[error("empty MIDI port pattern (write part of the device's name, e.g. \"X-TOUCH MINI\")")]
    Empty,
}

/// A port name pattern: case-insensitive substring, or glob with `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern {
    /// As the user wrote it, for logs and errors.
    raw: String,
    /// Lower-cased, as compared.
    lower: Vec<char>,
    /// Holds a `*`: match the whole name as a glob.
    glob: bool,
}

impl NamePattern {
    /// Parse a pattern.
    pub fn new(raw: &str) -> Result<Self, PatternError> {
        if raw.trim().is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(NamePattern {
            raw: raw.to_owned(),
            lower: raw.to_lowercase().chars().collect(),
            glob: raw.contains('*'),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.to_lowercase().chars().collect();
        if self.glob {
            glob_match(&self.lower, &name)
        } else {
            name.windows(self.lower.len()).any(|w| w == self.lower)
        }
    }
}

impl FromStr for NamePattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, PatternError> {
        NamePattern::new(s)
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Whole-string glob where `*` matches any run; linear backtracking on the last `*`.
fn glob_match(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == '*')
}

/// What to do with one direction (input or output) after a look at the port list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortChange {
    /// Nothing was open and this port matches: open it.
    Open(String),
    /// The open port is gone and nothing else matches: close it.
    Close,
    /// The open port is gone and this other one matches: close, then open it.
    Reopen(String),
}

/// Compare the open port (if any) with the ports now listed; `None` means nothing to do.
/// Among several matches the first in the system's order wins.
pub fn diff(current: Option<&str>, listed: &[String], pattern: &NamePattern) -> Option<PortChange> {
    let first_match = || listed.iter().find(|n| pattern.matches(n)).cloned();
    match current {
        Some(open) if listed.iter().any(|n| n == open) => None,
        Some(_) => Some(first_match().map_or(PortChange::Close, PortChange::Reopen)),
        None => first_match().map(PortChange::Open),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> NamePattern {
        NamePattern::new(s).unwrap()
    }
    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn substring_is_case_insensitive() {
        let p = pat("x-touch mini");
        assert!(p.matches("X-TOUCH MINI:X-TOUCH MINI MIDI 1 20:0"));
        assert!(!p.matches("X-Touch:X-Touch MIDI 1 24:0"));
    }

    #[test]
    fn glob_matches_the_whole_name() {
        assert!(pat("X-TOUCH MINI*").matches("x-touch mini:X-TOUCH MINI MIDI 1 20:0"));
        assert!(!pat("MINI*").matches("X-TOUCH MINI"));
        assert!(pat("*mini*midi 1*").matches("X-TOUCH MINI:X-TOUCH MINI MIDI 1 20:0"));
        assert!(pat("*").matches(""));
        assert!(pat("a*b*c").matches("aXbYbc"));
        assert!(!pat("a*b*c").matches("aXbYbcd"));
        assert!(pat("**x").matches("x"));
        assert!(pat("Mixtrack*").matches("MIXTRACK PRO 3"));
    }

    #[test]
    fn empty_pattern_is_refused() {
        assert_eq!(NamePattern::new("  "), Err(PatternError::Empty));
    }

    #[test]
    fn opens_the_first_match() {
        let listed = names(&["Midi Through:Midi Through Port-0 14:0", "X-TOUCH MINI 20:0"]);
        assert_eq!(
            diff(None, &listed, &pat("x-touch")),
            Some(PortChange::Open("X-TOUCH MINI 20:0".into()))
        );
        assert_eq!(diff(None, &listed, &pat("numark")), None);
    }

    #[test]
    fn keeps_a_port_still_listed() {
        let listed = names(&["X-TOUCH MINI 20:0", "X-TOUCH MINI 24:0"]);
        assert_eq!(
            diff(Some("X-TOUCH MINI 24:0"), &listed, &pat("x-touch")),
            None
        );
    }

    #[test]
    fn unplug_closes() {
        let listed = names(&["Midi Through:Midi Through Port-0 14:0"]);
        assert_eq!(
            diff(Some("X-TOUCH MINI 20:0"), &listed, &pat("x-touch")),
            Some(PortChange::Close)
        );
    }

    #[test]
    fn replug_under_a_new_client_number_reopens() {
        // Unplugged and replugged between two polls: the old name is gone, a new one matches.
        let listed = names(&["X-TOUCH MINI 28:0"]);
        assert_eq!(
            diff(Some("X-TOUCH MINI 20:0"), &listed, &pat("x-touch")),
            Some(PortChange::Reopen("X-TOUCH MINI 28:0".into()))
        );
    }
}
