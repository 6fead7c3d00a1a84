//! The controllers on the screen: which are connected, which strips each one's bank is on, and
//! the page the screen turns to when the followed controller banks (and the bank it moves to
//! when the screen pages). All of it comes from desk values (`pupitre:surface/NAME/connected`
//! and `…/bank`), the same ones the controllers publish and follow. Pure: tested without a
//! window.

use std::collections::BTreeMap;

use crate::config::FollowBank;
use crate::desk::{ParamId, Strip, SurfaceParam, Value};
use crate::mapping::Banks;

/// One controller that pages across strips.
#[derive(Clone, Debug)]
struct Bank {
    name: String,
    param: ParamId,
    strips: usize,
    channels: Vec<Strip>,
    faders: Vec<ParamId>,
    offset: usize,
}

impl Bank {
    fn covered(&self) -> &[ParamId] {
        let start = self.offset.min(self.faders.len());
        let end = (self.offset + self.strips).min(self.faders.len());
        &self.faders[start..end]
    }
}

/// A controller in the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerStatus {
    /// Its configured name.
    pub name: String,
    /// Whether its port is open.
    pub connected: bool,
    /// The strips its bank is on (`Ch 09–Ch 16`), empty without banks.
    pub on: String,
}

/// What a desk value changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Not a controller's value.
    None,
    /// A controller came or went.
    Presence,
    /// A controller banked; `true` when it is the one the screen follows.
    Bank(bool),
}

/// Every controller the screen knows of.
#[derive(Clone, Debug, Default)]
pub struct Controllers {
    banks: Vec<Bank>,
    follow: Option<usize>,
    connected: BTreeMap<String, bool>,
}

impl Controllers {
    /// Controllers with `banks` (name and banks, in start order); the screen follows the one
    /// `follow` names (`Auto`: the first).
    pub fn new(banks: &[(String, Banks)], follow: &FollowBank) -> Controllers {
        let banks: Vec<Bank> = banks
            .iter()
            .filter_map(|(name, b)| {
                Some(Bank {
                    param: ParamId::surface(name, SurfaceParam::Bank)?,
                    name: name.clone(),
                    strips: usize::from(b.strips),
                    faders: b.channels.iter().map(|s| s.fader()).collect(),
                    channels: b.channels.clone(),
                    offset: 0,
                })
            })
            .collect();
        let follow = match follow {
            FollowBank::None => None,
            FollowBank::Auto => (!banks.is_empty()).then_some(0),
            FollowBank::Surface(name) => banks.iter().position(|b| &b.name == name),
        };
        Controllers {
            banks,
            follow,
            connected: BTreeMap::new(),
        }
    }

    /// Take a desk value.
    pub fn apply(&mut self, param: &ParamId, value: &Value) -> Update {
        match (param.as_surface(), value) {
            (Some((name, SurfaceParam::Connected)), Value::Index(v)) => {
                self.connected.insert(name.to_owned(), *v == 1);
                Update::Presence
            }
            (Some((name, SurfaceParam::Bank)), Value::Index(at)) => {
                match self.banks.iter().position(|b| b.name == name) {
                    Some(i) => {
                        let b = &mut self.banks[i];
                        b.offset = (*at as usize).min(b.channels.len().saturating_sub(1));
                        Update::Bank(self.follow == Some(i))
                    }
                    None => Update::None,
                }
            }
            _ => Update::None,
        }
    }

    /// The names of the controllers whose bank is on the strip with this fader.
    pub fn on_strip(&self, fader: &ParamId) -> Vec<&str> {
        self.banks
            .iter()
            .filter(|b| b.covered().contains(fader))
            .map(|b| b.name.as_str())
            .collect()
    }

    /// The name of the controller the screen follows.
    pub fn followed(&self) -> Option<&str> {
        self.follow.map(|i| self.banks[i].name.as_str())
    }

    /// The fader of the followed controller's first strip, to turn the page to.
    pub fn followed_first(&self) -> Option<&ParamId> {
        let b = &self.banks[self.follow?];
        b.faders.get(b.offset)
    }

    /// The screen turned to a page showing `faders`: the bank to move the followed controller
    /// to (its parameter and position), the first of them it has; `None` when it has none of
    /// them or already stands there.
    pub fn bank_for_page(&self, faders: &[ParamId]) -> Option<(ParamId, u32)> {
        let b = &self.banks[self.follow?];
        let at = faders
            .iter()
            .find_map(|f| b.faders.iter().position(|g| g == f))?;
        (at != b.offset).then(|| (b.param.clone(), at as u32))
    }

    /// Each controller for the status bar: those with banks in order, then any other whose
    /// presence the desk reports.
    pub fn status(&self) -> Vec<ControllerStatus> {
        let mut out: Vec<ControllerStatus> = self
            .banks
            .iter()
            .map(|b| {
                let on = b.covered_channels();
                ControllerStatus {
                    name: b.name.clone(),
                    connected: self.connected.get(&b.name).copied().unwrap_or(false),
                    on: match (on.first(), on.last()) {
                        (Some(a), Some(z)) if a == z => a.default_label(),
                        (Some(a), Some(z)) => {
                            format!("{}–{}", a.default_label(), z.default_label())
                        }
                        _ => String::new(),
                    },
                }
            })
            .collect();
        for (name, connected) in &self.connected {
            if !self.banks.iter().any(|b| &b.name == name) {
                out.push(ControllerStatus {
                    name: name.clone(),
                    connected: *connected,
                    on: String::new(),
                });
            }
        }
        out
    }
}

impl Bank {
    fn covered_channels(&self) -> &[Strip] {
        let start = self.offset.min(self.channels.len());
        let end = (self.offset + self.strips).min(self.channels.len());
        &self.channels[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banks() -> Vec<(String, Banks)> {
        let parse = |r: &str| Strip::parse_range(r).unwrap();
        vec![
            (
                "xtouch".into(),
                Banks {
                    strips: 8,
                    channels: [parse("ch/01-32"), parse("bus/01-16")].concat(),
                },
            ),
            (
                "mini".into(),
                Banks {
                    strips: 4,
                    channels: parse("bus/01-16"),
                },
            ),
        ]
    }

    fn p(s: &str) -> ParamId {
        ParamId::parse(s).unwrap()
    }

    #[test]
    fn strips_under_each_controller_and_the_followed_one() {
        let mut c = Controllers::new(&banks(), &FollowBank::Auto);
        assert_eq!(c.followed(), Some("xtouch"));
        assert_eq!(c.on_strip(&p("x32:/ch/08/mix/fader")), vec!["xtouch"]);
        assert!(c.on_strip(&p("x32:/ch/09/mix/fader")).is_empty());
        assert_eq!(c.on_strip(&p("x32:/bus/02/mix/fader")), vec!["mini"]);
        assert_eq!(
            c.apply(&p("pupitre:surface/xtouch/bank"), &Value::Index(32)),
            Update::Bank(true)
        );
        assert_eq!(
            c.apply(&p("pupitre:surface/mini/bank"), &Value::Index(2)),
            Update::Bank(false)
        );
        assert_eq!(
            c.on_strip(&p("x32:/bus/03/mix/fader")),
            vec!["xtouch", "mini"]
        );
        assert_eq!(c.followed_first(), Some(&p("x32:/bus/01/mix/fader")));
        // Paging the screen to buses 5… moves the X-Touch there; a page it already covers
        // from its first strip does not.
        let page = [p("x32:/bus/05/mix/fader"), p("x32:/bus/06/mix/fader")];
        assert_eq!(
            c.bank_for_page(&page),
            Some((p("pupitre:surface/xtouch/bank"), 36))
        );
        assert_eq!(c.bank_for_page(&[p("x32:/bus/01/mix/fader")]), None);
        // A page of strips it does not have leaves it where it is.
        assert_eq!(c.bank_for_page(&[p("x32:/mtx/01/mix/fader")]), None);
    }

    #[test]
    fn presence_and_the_status_bar() {
        let mut c = Controllers::new(&banks(), &FollowBank::Surface("mini".into()));
        assert_eq!(c.followed(), Some("mini"));
        assert_eq!(
            c.apply(&p("pupitre:surface/xtouch/connected"), &Value::Index(1)),
            Update::Presence
        );
        c.apply(&p("pupitre:surface/deck/connected"), &Value::Index(0));
        c.apply(&p("pupitre:surface/xtouch/bank"), &Value::Index(8));
        let status = c.status();
        assert_eq!(
            status,
            vec![
                ControllerStatus {
                    name: "xtouch".into(),
                    connected: true,
                    on: "Ch 09–Ch 16".into()
                },
                ControllerStatus {
                    name: "mini".into(),
                    connected: false,
                    on: "Bus 01–Bus 04".into()
                },
                ControllerStatus {
                    name: "deck".into(),
                    connected: false,
                    on: String::new()
                },
            ]
        );
        assert_eq!(
            Controllers::new(&banks(), &FollowBank::None).followed(),
            None
        );
        assert_eq!(
            c.apply(&p("x32:/ch/01/mix/on"), &Value::Index(1)),
            Update::None
        );
    }
}
