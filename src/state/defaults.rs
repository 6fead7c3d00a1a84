//! What "reset" puts back: every default in one table, so `pupitre reset --list`, the screen and
//! the docs all say the same thing.
//!
//! The X32's follow its own "initialize" of a strip (faders and sends at −∞, unmuted, centred,
//! EQ flat); names, colours and sources are left alone (they describe the wiring, not the mix).
//! CamillaDSP's volumes go to −30 dB rather than 0 dB: a reset must never make a room loud.
//! Filters keep the values of CamillaDSP's config file, which pupitre does not know.

use crate::desk::{Db, MixerId, Normalized, ParamId, ParamKind, Value};

/// One line of the defaults table.
#[derive(Clone, Copy, Debug)]
pub struct Default {
    /// Which parameters, as people read it.
    pub what: &'static str,
    /// The value they go back to.
    pub value: &'static str,
}

/// The defaults, as documented.
pub const TABLE: &[Default] = &[
    Default {
        what: "X32 faders (channels, buses, matrices, mains, DCAs)",
        value: "-oo (off)",
    },
    Default {
        what: "X32 mutes (mix/on), DCA on, sends on",
        value: "ON (not muted)",
    },
    Default {
        what: "X32 sends and mono levels",
        value: "-oo",
    },
    Default {
        what: "X32 pans and send pans",
        value: "centre",
    },
    Default {
        what: "X32 main stereo / mono assign",
        value: "stereo ON, mono OFF",
    },
    Default {
        what: "X32 EQ gains",
        value: "0 dB (flat); frequencies, Q and types kept",
    },
    Default {
        what: "X32 solo switches, mute groups",
        value: "OFF",
    },
    Default {
        what: "X32 names, colours, icons, sources, send taps",
        value: "kept",
    },
    Default {
        what: "CamillaDSP main and Aux volumes",
        value: "-30 dB",
    },
    Default {
        what: "CamillaDSP channel gains",
        value: "0 dB",
    },
    Default {
        what: "CamillaDSP mutes and solos",
        value: "OFF",
    },
    Default {
        what: "CamillaDSP bass and treble",
        value: "0 dB",
    },
    Default {
        what: "CamillaDSP crossfader",
        value: "centre, curve 0",
    },
    Default {
        what: "CamillaDSP filter parameters",
        value: "kept (the config file's)",
    },
    Default {
        what: "stabilizer controls",
        value: "kept (the config's)",
    },
];

/// The value `param` goes back to on a reset, or `None` when a reset leaves it alone.
pub fn reset_value(param: &ParamId) -> Option<Value> {
    let kind = param.kind();
    let path = param.path();
    let leaf = path.rsplit('/').next().unwrap_or(path);
    let db = |x: f64| kind.from_db(Db::new_lossy(x));
    let index = |i: u32| Some(Value::Index(i));
    let centre = || Some(Value::Level(Normalized::new_clamped(0.5)));
    match param.mixer() {
        MixerId::X32 => match (kind, leaf) {
            (ParamKind::Fader | ParamKind::SendLevel, _) => Some(Value::Level(Normalized::MIN)),
            (ParamKind::Pan, _) => centre(),
            (ParamKind::EqGain, _) => centre(),
            (ParamKind::Switch, "on") if !path.contains("/eq/") => index(1),
            (ParamKind::Switch, "st") => index(1),
            (ParamKind::Switch, "mono") => index(0),
            (ParamKind::Switch, _) if path.starts_with("/-stat/solosw/") => index(0),
            (ParamKind::Switch, _) if path.starts_with("/config/mute/") => index(0),
            _ => None,
        },
        MixerId::Camilla => {
            if path.starts_with("filter/") {
                return None;
            }
            match leaf {
                "volume" => db(-30.0),
                "gain" | "bass" | "treble" => db(0.0),
                "mute" | "solo" => index(0),
                "crossfader" => centre(),
                "curve" => index(0),
                _ => None,
            }
        }
        MixerId::Pupitre => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(s: &str) -> Option<String> {
        let p = ParamId::parse(s).unwrap();
        reset_value(&p).map(|v| p.kind().display(&v))
    }

    #[test]
    fn the_table_is_what_reset_does() {
        assert_eq!(reset("x32:/ch/01/mix/fader").as_deref(), Some("-inf dB"));
        assert_eq!(reset("x32:/dca/2/fader").as_deref(), Some("-inf dB"));
        assert_eq!(reset("x32:/ch/01/mix/on").as_deref(), Some("ON"));
        assert_eq!(reset("x32:/ch/01/mix/03/level").as_deref(), Some("-inf dB"));
        assert_eq!(reset("x32:/ch/01/mix/pan").as_deref(), Some("C"));
        assert_eq!(reset("x32:/ch/01/eq/2/g").as_deref(), Some("+0.0 dB"));
        assert_eq!(reset("x32:/ch/01/mix/mono").as_deref(), Some("OFF"));
        assert_eq!(reset("x32:/-stat/solosw/01").as_deref(), Some("OFF"));
        assert_eq!(reset("x32:/ch/01/config/name"), None);
        assert_eq!(reset("x32:/ch/01/eq/2/f"), None);
        assert_eq!(reset("camilla:main/volume").as_deref(), Some("-30.0 dB"));
        assert_eq!(reset("camilla:ch/1/gain").as_deref(), Some("+0.0 dB"));
        assert_eq!(reset("camilla:ch/1/mute").as_deref(), Some("OFF"));
        assert_eq!(reset("camilla:filter/peq/gain"), None);
        assert_eq!(reset("pupitre:stabilizer/enabled"), None);
    }
}
