//! Scenes: a named copy of desk values (all of them, or a scope: one mixer, some strips, the
//! EQ…) in a numbered slot, as on a console's scene list.

use std::fmt;
use std::sync::Arc;

use crate::desk::{MixerId, Normalized, ParamId, ParamKind, Value};

pub use crate::desk::SCENE_SLOTS as SLOTS;

/// One saved value, in a form that does not depend on a range the mixer may refine later.
#[derive(Clone, Debug, PartialEq)]
pub enum SavedValue {
    /// A switch or a choice.
    Index(u32),
    /// A position along the parameter's travel, 0 to 1 (exact: it is the grid position).
    Position(f64),
    /// A number in the mixer's own unit (dB, Hz, ms): for parameters whose range the mixer
    /// tells at connect (CamillaDSP filters), where a position would change meaning.
    Native(f64),
    /// A name.
    Text(Arc<str>),
}

impl SavedValue {
    /// How to save `value` of `param` (whose kind is the one the desk uses now).
    pub fn of(param: &ParamId, value: &Value) -> SavedValue {
        match value {
            Value::Index(i) => SavedValue::Index(*i),
            Value::Text(t) => SavedValue::Text(Arc::clone(t)),
            Value::Level(n) => match param.kind().native(value) {
                Some(x) if range_told_by_mixer(param) => SavedValue::Native(x),
                _ => SavedValue::Position(n.get()),
            },
        }
    }

    /// The desk value for a parameter of `kind` (the desk's, possibly refined), on its grid.
    pub fn resolve(&self, kind: ParamKind) -> Result<Value, String> {
        let value = match self {
            SavedValue::Index(i) => Value::Index(*i),
            SavedValue::Text(t) => Value::Text(Arc::clone(t)),
            SavedValue::Position(x) => Value::Level(
                Normalized::try_new(*x).map_err(|_| format!("position {x} is not within 0…1"))?,
            ),
            SavedValue::Native(x) => kind
                .from_native(*x)
                .ok_or_else(|| format!("a {kind} has no value {x}"))?,
        };
        kind.conform(value).map_err(|e| e.to_string())
    }
}

/// Whether the mixer may tell this parameter's range after connecting (so a saved position
/// would not keep its meaning): CamillaDSP filter parameters (`camilla/filters.rs`).
pub fn range_told_by_mixer(param: &ParamId) -> bool {
    param.mixer() == MixerId::Camilla && param.path().starts_with("filter/")
}

/// Whether a desk parameter belongs in scenes and in the saved desk state: every mixer
/// parameter and the stabilizer's settings; not the screen's settings, the controllers' banks
/// and presence, the scene triggers, or the calibrate button (an action, not a state).
pub fn is_scene_param(param: &ParamId) -> bool {
    match param.mixer() {
        MixerId::X32 | MixerId::Camilla => true,
        MixerId::Pupitre => {
            param.path().starts_with("stabilizer/") && param.path() != "stabilizer/calibrate"
        }
    }
}

/// Which parameters a scene covers: patterns, any of which may match.
///
/// - `all`, or a mixer: `x32`, `camilla`, `stabilizer`;
/// - a section on every mixer: `faders`, `mutes`, `eq`, `sends`, `names`;
/// - a parameter id or the start of one at a `/`: `x32:/ch/01` is channel 1's every parameter;
/// - a pattern with `*` for any run of characters: `x32:/ch/0*/eq/*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    patterns: Vec<String>,
}

const SECTIONS: &str = "all, x32, camilla, stabilizer, faders, mutes, eq, sends, names, a \
                        parameter id or its start (x32:/ch/01), or a pattern with * \
                        (x32:/ch/0*/eq/*)";

impl Scope {
    /// Everything.
    pub fn all() -> Scope {
        Scope {
            patterns: vec!["all".into()],
        }
    }

    /// A scope from patterns; an empty list is everything.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Scope, String> {
        let mut out = Vec::new();
        for p in patterns {
            let p = p.as_ref().trim();
            let known = matches!(
                p,
                "all"
                    | "x32"
                    | "camilla"
                    | "stabilizer"
                    | "faders"
                    | "mutes"
                    | "eq"
                    | "sends"
                    | "names"
            );
            let id_like =
                p.starts_with("x32:") || p.starts_with("camilla:") || p.starts_with("pupitre:");
            if !known && !id_like {
                return Err(format!("{p:?} is not a scope; a scope is {SECTIONS}"));
            }
            out.push(p.to_owned());
        }
        if out.is_empty() {
            return Ok(Scope::all());
        }
        out.sort();
        out.dedup();
        Ok(Scope { patterns: out })
    }

    /// The patterns, sorted.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the scope is everything.
    pub fn is_all(&self) -> bool {
        self.patterns.iter().any(|p| p == "all")
    }

    /// Whether `param` is in the scope (and is a scene parameter at all).
    pub fn covers(&self, param: &ParamId) -> bool {
        is_scene_param(param) && self.patterns.iter().any(|p| pattern_covers(p, param))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.patterns.join(" + "))
    }
}

fn pattern_covers(pattern: &str, param: &ParamId) -> bool {
    let path = param.path();
    let leaf = path.rsplit('/').next().unwrap_or(path);
    match pattern {
        "all" => true,
        "x32" => param.mixer() == MixerId::X32,
        "camilla" => param.mixer() == MixerId::Camilla,
        "stabilizer" => param.mixer() == MixerId::Pupitre,
        "faders" => matches!(leaf, "fader" | "volume" | "gain") && !path.contains("/eq/"),
        "mutes" => {
            (param.mixer() == MixerId::X32 && path.ends_with("/mix/on"))
                || (param.mixer() == MixerId::Camilla
                    && leaf == "mute"
                    && !path.starts_with("filter/"))
        }
        "eq" => {
            path.contains("/eq/")
                || path.ends_with("/eq")
                || (param.mixer() == MixerId::Camilla
                    && (matches!(leaf, "bass" | "treble") || path.starts_with("filter/")))
        }
        "sends" => {
            param.mixer() == MixerId::X32
                && path.split('/').nth(3) == Some("mix")
                && path
                    .split('/')
                    .nth(4)
                    .is_some_and(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        "names" => leaf == "name",
        id => {
            let full = param.to_string();
            if id.contains('*') {
                glob(id, &full)
            } else {
                full == id
                    || full
                        .strip_prefix(id)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

/// `*` matches any run of characters (slashes too).
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return text.is_empty(),
    };
    let Some(mut tail) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for part in middle {
        match tail.find(part) {
            Some(i) => tail = &tail[i + part.len()..],
            None => return false,
        }
    }
    tail.len() >= last.len() && tail.ends_with(last)
}

/// A scene: desk values under a name, in a slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// 1 to [`SLOTS`].
    pub slot: u32,
    /// What people call it.
    pub name: String,
    /// What it covers; a recall touches only these parameters.
    pub scope: Scope,
    /// When it was saved, RFC 3339 UTC.
    pub saved: String,
    /// The values, sorted by parameter.
    pub values: Vec<(ParamId, SavedValue)>,
}

impl Scene {
    /// A scene of the scene parameters among `snapshot` (a desk snapshot) that `scope` covers.
    pub fn capture(slot: u32, name: &str, scope: Scope, snapshot: &[(ParamId, Value)]) -> Scene {
        let mut values: Vec<_> = snapshot
            .iter()
            .filter(|(p, _)| scope.covers(p))
            .map(|(p, v)| (p.clone(), SavedValue::of(p, v)))
            .collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        Scene {
            slot,
            name: name.to_owned(),
            scope,
            saved: now_rfc3339(),
            values,
        }
    }
}

/// Now, as RFC 3339 UTC to the second.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Check a scene name: 1 to 40 characters, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > 40 || name.trim() != name {
        return Err(format!(
            "a scene name is 1 to 40 characters without leading or trailing spaces, not {name:?}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("a scene name has no control characters: {name:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> ParamId {
        ParamId::parse(s).unwrap()
    }

    #[test]
    fn scopes_cover_what_they_say() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["all"], "x32:/ch/01/mix/fader", true),
            (&["all"], "pupitre:ui/theme", false),
            (&["all"], "pupitre:stabilizer/target", true),
            (&["all"], "pupitre:stabilizer/calibrate", false),
            (&["x32"], "camilla:main/volume", false),
            (&["camilla"], "camilla:main/volume", true),
            (&["eq"], "x32:/ch/05/eq/2/g", true),
            (&["eq"], "x32:/ch/05/eq/on", true),
            (&["eq"], "camilla:ch/0/bass", true),
            (&["eq"], "camilla:filter/peq1/gain", true),
            (&["eq"], "x32:/ch/05/mix/fader", false),
            (&["faders"], "x32:/dca/3/fader", true),
            (&["faders"], "camilla:main/volume", true),
            (&["faders"], "camilla:ch/1/gain", true),
            (&["faders"], "x32:/ch/05/eq/2/g", false),
            (&["mutes"], "x32:/bus/02/mix/on", true),
            (&["mutes"], "camilla:main/mute", true),
            (&["sends"], "x32:/ch/01/mix/03/level", true),
            (&["sends"], "x32:/ch/01/mix/fader", false),
            (&["names"], "x32:/ch/01/config/name", true),
            (&["x32:/ch/01"], "x32:/ch/01/mix/fader", true),
            (&["x32:/ch/01"], "x32:/ch/010/mix/fader", false),
            (&["x32:/ch/01"], "x32:/ch/02/mix/fader", false),
            (&["x32:/ch/0*/eq/*"], "x32:/ch/07/eq/1/f", true),
            (&["x32:/ch/0*/eq/*"], "x32:/ch/17/eq/1/f", false),
            (&["x32:/ch/01", "camilla"], "camilla:ch/0/mute", true),
        ];
        for (patterns, param, expected) in cases {
            if ParamId::parse(param).is_err() {
                continue;
            }
            let scope = Scope::new(patterns).unwrap();
            assert_eq!(scope.covers(&id(param)), *expected, "{patterns:?} {param}");
        }
        assert!(Scope::new(&["everything"])
            .unwrap_err()
            .contains("not a scope"));
        assert!(Scope::new::<&str>(&[]).unwrap().is_all());
    }

    #[test]
    fn refinable_parameters_are_saved_in_their_unit() {
        let gain = id("camilla:filter/ch0_gain/gain");
        let v = gain.kind().from_native(-3.0).unwrap();
        assert_eq!(SavedValue::of(&gain, &v), SavedValue::Native(-3.0));
        // Resolved on the range the mixer told, it keeps −3 dB.
        let told = ParamKind::Gain {
            min_db: -100.0,
            max_db: 20.0,
            step_db: 0.5,
        };
        let back = SavedValue::Native(-3.0).resolve(told).unwrap();
        assert_eq!(told.native(&back), Some(-3.0));
        let fader = id("x32:/ch/01/mix/fader");
        let v = Value::Level(Normalized::new_clamped(767.0 / 1023.0));
        assert_eq!(
            SavedValue::of(&fader, &v),
            SavedValue::Position(767.0 / 1023.0)
        );
        assert!(SavedValue::Position(1.5).resolve(ParamKind::Fader).is_err());
        assert!(SavedValue::Index(20)
            .resolve(ParamKind::Choice { count: 16 })
            .is_err());
    }

    proptest! {
        #[test]
        fn glob_agrees_with_a_regex_free_reference(p in "[a-c*/]{0,8}", t in "[a-c/]{0,10}") {
            // Reference: dynamic programming over the pattern.
            fn reference(p: &[u8], t: &[u8]) -> bool {
                match (p.first(), t.first()) {
                    (None, None) => true,
                    (None, Some(_)) => false,
                    (Some(b'*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
                    (Some(c), Some(d)) => c == d && reference(&p[1..], &t[1..]),
                    (Some(_), None) => false,
                }
            }
            prop_assert_eq!(glob(&p, &t), reference(p.as_bytes(), t.as_bytes()));
        }

        #[test]
        fn scope_parsing_never_panics(s in ".{0,30}") {
            let _ = Scope::new(&[s]);
        }
    }
}
