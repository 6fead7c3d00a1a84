//! Mixer features as CamillaDSP commands, as pure functions. Desk parameters map onto the
//! Main fader, the Aux faders and named filters (`examples/camilladsp/README.md`):
//!
//! | parameter | CamillaDSP |
//! |---|---|
//! | `camilla:main/volume`, `main/mute` | `SetVolume`, `SetMute` (Main fader) |
//! | `camilla:aux/N/volume`, `aux/N/mute` | `SetFaderVolume`, `SetFaderMute` (fader N = AuxN) |
//! | `camilla:ch/N/gain`, `ch/N/mute` | `/filters/chN_gain/parameters/{gain,mute}` |
//! | `camilla:ch/N/bass`, `ch/N/treble` | `/filters/chN_{bass,treble}/parameters/gain` |
//! | `camilla:ch/N/solo` | none: pupitre mutes the other channels' `chN_gain` and restores them |
//! | `camilla:bass`, `camilla:treble` | `/filters/{Bass,Treble}/parameters/gain` (group tone) |
//! | `camilla:crossfader`, `crossfader/curve` | `/filters/xfade_{a,b}/parameters/{gain,mute}` |
//! | `camilla:filter/NAME/PARAM` | `/filters/NAME/parameters/PARAM` (any named filter) |
//!
//! The crossfader's groups are wherever the CamillaDSP config puts its `xfade_a` and `xfade_b`
//! Gain filters; pupitre sets their gains from the position and the curve.
//! Every value is clamped here before it is sent: the server does not range-check shelf gains
//! (`camilladsp.md` §5: `gain: 99` was accepted and clipped 2091 samples).

use std::collections::BTreeMap;

use serde_json::json;

use super::filters;
use super::protocol::Command;
use crate::desk::{Db, ParamId, Value};

/// Main and Aux fader range CamillaDSP accepts (`camilladsp.md` §5).
pub const FADER_RANGE_DB: (f64, f64) = (-150.0, 50.0);
/// Gain filter range.
pub const GAIN_RANGE_DB: (f64, f64) = (-150.0, 150.0);
/// Tone control range, as CamillaGUI offers it.
pub const TONE_RANGE_DB: (f64, f64) = (-12.0, 12.0);

/// What a CamillaDSP parameter is, parsed from its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Main fader volume.
    MainVolume,
    /// Main fader mute.
    MainMute,
    /// Aux fader volume (1–4).
    AuxVolume(u8),
    /// Aux fader mute (1–4).
    AuxMute(u8),
    /// A channel's Gain filter gain.
    Gain(u8),
    /// A channel's mute, as the user set it (solo may mute it too).
    Mute(u8),
    /// A channel's solo.
    Solo(u8),
    /// A channel's bass shelf gain.
    Bass(u8),
    /// A channel's treble shelf gain.
    Treble(u8),
    /// The group bass shelf (a filter named `Bass`).
    GroupBass,
    /// The group treble shelf (a filter named `Treble`).
    GroupTreble,
    /// The crossfader position (0 all A, 1 all B).
    Crossfader,
    /// The crossfader curve.
    CrossfaderCurve,
    /// A parameter of any named filter; its range comes from the filter's type
    /// (`filters.rs`).
    Filter {
        /// The filter's name in the CamillaDSP config.
        name: String,
        /// The parameter's name (`gain`, `freq`, `slope`, …).
        field: String,
    },
}

/// Crossfader curves (`camilla:crossfader/curve`: 0 equal-power, the default; 1 linear; 2 cut).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Curve {
    /// Amplitudes 1−x and x: −6 dB each in the middle.
    Linear,
    /// cos and sin of x·90°: constant power, −3 dB each in the middle.
    #[default]
    EqualPower,
    /// Both at full level except within 5 % of an end (a DJ's scratch curve).
    Cut,
}

impl Curve {
    fn from_index(i: u32) -> Curve {
        match i {
            1 => Curve::Linear,
            2 => Curve::Cut,
            _ => Curve::EqualPower,
        }
    }

    /// The amplitudes of groups A and B at position `x`.
    pub fn amplitudes(self, x: f64) -> (f64, f64) {
        let x = x.clamp(0.0, 1.0);
        match self {
            Curve::Linear => (1.0 - x, x),
            Curve::EqualPower => {
                let a = x * std::f64::consts::FRAC_PI_2;
                (a.cos(), a.sin())
            }
            Curve::Cut => (
                if x >= 0.95 { 0.0 } else { 1.0 },
                if x <= 0.05 { 0.0 } else { 1.0 },
            ),
        }
    }
}

impl Feature {
    /// The feature behind a `camilla:` parameter, if it is one.
    pub fn of(param: &ParamId) -> Option<Feature> {
        let segs: Vec<&str> = param.path().split('/').collect();
        let n = |s: &str| s.parse::<u8>().ok();
        Some(match segs.as_slice() {
            ["main", "volume"] => Feature::MainVolume,
            ["main", "mute"] => Feature::MainMute,
            ["aux", a, "volume"] => Feature::AuxVolume(n(a)?),
            ["aux", a, "mute"] => Feature::AuxMute(n(a)?),
            ["ch", c, "gain"] => Feature::Gain(n(c)?),
            ["ch", c, "mute"] => Feature::Mute(n(c)?),
            ["ch", c, "solo"] => Feature::Solo(n(c)?),
            ["ch", c, "bass"] => Feature::Bass(n(c)?),
            ["ch", c, "treble"] => Feature::Treble(n(c)?),
            ["bass"] => Feature::GroupBass,
            ["treble"] => Feature::GroupTreble,
            ["crossfader"] => Feature::Crossfader,
            ["crossfader", "curve"] => Feature::CrossfaderCurve,
            ["filter", name, field] => Feature::Filter {
                name: (*name).to_owned(),
                field: (*field).to_owned(),
            },
            _ => return None,
        })
    }
}

fn db_of(param: &ParamId, value: &Value, range: (f64, f64)) -> Option<f64> {
    let db = param.kind().db(value)?;
    let x = if db.is_silence() { range.0 } else { db.get() };
    Some(x.clamp(range.0, range.1))
}

fn on(value: &Value) -> bool {
    matches!(value, Value::Index(i) if *i != 0)
}

/// A channel's filter parameter pointer.
pub fn pointer(filter: &str, channel: u8, field: &str) -> String {
    format!("/filters/ch{channel}_{filter}/parameters/{field}")
}

/// Mutes and solos as the user set them; the mute each channel's Gain filter must carry is
/// derived: muted by the user, or another channel is soloed and this one is not. Unsoloing
/// therefore restores every channel exactly as it was.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoloState {
    user_mute: BTreeMap<u8, bool>,
    solo: BTreeMap<u8, bool>,
}

impl SoloState {
    /// The mute the Gain filter of `channel` must carry.
    pub fn effective_mute(&self, channel: u8) -> bool {
        let any_solo = self.solo.values().any(|s| *s);
        self.user_mute.get(&channel).copied().unwrap_or(false)
            || (any_solo && !self.solo.get(&channel).copied().unwrap_or(false))
    }

    fn channels(&self) -> impl Iterator<Item = u8> + '_ {
        let mut all: Vec<u8> = self
            .user_mute
            .keys()
            .chain(self.solo.keys())
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all.into_iter()
    }

    /// Record a user mute or solo; returns the channels whose effective mute changed.
    pub fn set(&mut self, feature: &Feature, value: bool) -> Vec<(u8, bool)> {
        let before: BTreeMap<u8, bool> = self
            .channels()
            .map(|c| (c, self.effective_mute(c)))
            .collect();
        match feature {
            Feature::Mute(c) => {
                self.user_mute.insert(*c, value);
            }
            Feature::Solo(c) => {
                self.solo.insert(*c, value);
            }
            _ => return Vec::new(),
        }
        self.channels()
            .filter_map(|c| {
                let now = self.effective_mute(c);
                (before.get(&c).copied().unwrap_or(false) != now).then_some((c, now))
            })
            .collect()
    }

    /// Every channel's effective mute (to re-apply after a restart).
    pub fn all(&self) -> Vec<(u8, bool)> {
        self.channels()
            .map(|c| (c, self.effective_mute(c)))
            .collect()
    }
}

/// What pupitre derives rather than sets one to one: mutes from solos, and the crossfader
/// groups' gains from its position and curve.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MixState {
    /// Mutes and solos.
    pub solo: SoloState,
    /// Crossfader position and curve, once the desk has one.
    pub crossfader: Option<(f64, Curve)>,
}

impl MixState {
    /// Every derived value CamillaDSP must hold: (JSON pointer, value).
    pub fn derived(&self) -> Vec<(String, serde_json::Value)> {
        let mut out: Vec<(String, serde_json::Value)> = self
            .solo
            .all()
            .into_iter()
            .map(|(c, mute)| (pointer("gain", c, "mute"), json!(mute)))
            .collect();
        if let Some((x, curve)) = self.crossfader {
            let (a, b) = curve.amplitudes(x);
            for (group, amp) in [("a", a), ("b", b)] {
                // cos(90°) is 6e-17, not 0: below −120 dB a group is muted, not attenuated.
                let silent = amp < 1e-6;
                let gain = if silent {
                    0.0
                } else {
                    Db::from_amplitude(amp).get().max(GAIN_RANGE_DB.0)
                };
                // Round to 0.01 dB so the value read back compares equal.
                out.push((
                    format!("/filters/xfade_{group}/parameters/gain"),
                    json!((gain * 100.0).round() / 100.0),
                ));
                out.push((
                    format!("/filters/xfade_{group}/parameters/mute"),
                    json!(silent),
                ));
            }
        }
        out
    }

    fn crossfader_commands(&self) -> Vec<Command> {
        self.derived()
            .into_iter()
            .filter(|(p, _)| p.starts_with("/filters/xfade_"))
            .map(|(pointer, value)| Command::SetConfigValue { pointer, value })
            .collect()
    }
}

/// The commands that apply `value` to `param` (clamped). Mutes, solos and the crossfader go
/// through `mix`, which derives what CamillaDSP must hold.
pub fn commands_for(param: &ParamId, value: &Value, mix: &mut MixState) -> Vec<Command> {
    let solo = &mut mix.solo;
    let Some(feature) = Feature::of(param) else {
        return Vec::new();
    };
    let gain_at = |filter: &str, c: u8, range| {
        db_of(param, value, range).map(|db| Command::SetConfigValue {
            pointer: pointer(filter, c, "gain"),
            value: json!(db),
        })
    };
    match feature {
        Feature::MainVolume => db_of(param, value, FADER_RANGE_DB)
            .map(Command::SetVolume)
            .into_iter()
            .collect(),
        Feature::MainMute => vec![Command::SetMute(on(value))],
        Feature::AuxVolume(f) => db_of(param, value, FADER_RANGE_DB)
            .map(|db| Command::SetFaderVolume { fader: f, db })
            .into_iter()
            .collect(),
        Feature::AuxMute(f) => vec![Command::SetFaderMute {
            fader: f,
            mute: on(value),
        }],
        Feature::Gain(c) => gain_at("gain", c, GAIN_RANGE_DB).into_iter().collect(),
        Feature::Bass(c) => gain_at("bass", c, TONE_RANGE_DB).into_iter().collect(),
        Feature::Treble(c) => gain_at("treble", c, TONE_RANGE_DB).into_iter().collect(),
        Feature::GroupBass | Feature::GroupTreble => {
            let name = if feature == Feature::GroupBass {
                "Bass"
            } else {
                "Treble"
            };
            db_of(param, value, TONE_RANGE_DB)
                .map(|db| Command::SetConfigValue {
                    pointer: format!("/filters/{name}/parameters/gain"),
                    value: json!(db),
                })
                .into_iter()
                .collect()
        }
        Feature::Mute(_) | Feature::Solo(_) => solo
            .set(&feature, on(value))
            .into_iter()
            .map(|(c, mute)| Command::SetConfigValue {
                pointer: pointer("gain", c, "mute"),
                value: json!(mute),
            })
            .collect(),
        Feature::Crossfader => {
            let x = param.kind().normalized(value).get();
            let curve = mix.crossfader.map_or(Curve::default(), |(_, c)| c);
            mix.crossfader = Some((x, curve));
            mix.crossfader_commands()
        }
        Feature::CrossfaderCurve => {
            let Value::Index(i) = value else {
                return Vec::new();
            };
            let x = mix.crossfader.map_or(0.5, |(x, _)| x);
            mix.crossfader = Some((x, Curve::from_index(*i)));
            mix.crossfader_commands()
        }
        // Clamped by the kind, which the link refined from the filter's type.
        Feature::Filter { name, field } => filters::to_json(param.kind(), value)
            .map(|value| Command::SetConfigValue {
                pointer: format!("/filters/{name}/parameters/{field}"),
                value,
            })
            .into_iter()
            .collect(),
    }
}

/// The command that reads a parameter back, if it can be (a solo lives only in pupitre).
pub fn read_command(param: &ParamId) -> Option<Command> {
    Some(match Feature::of(param)? {
        Feature::MainVolume => Command::GetVolume,
        Feature::MainMute => Command::GetMute,
        Feature::AuxVolume(_) | Feature::AuxMute(_) => Command::GetFaders,
        Feature::Gain(c) => Command::GetConfigValue(pointer("gain", c, "gain")),
        Feature::Mute(c) => Command::GetConfigValue(pointer("gain", c, "mute")),
        Feature::Bass(c) => Command::GetConfigValue(pointer("bass", c, "gain")),
        Feature::Treble(c) => Command::GetConfigValue(pointer("treble", c, "gain")),
        Feature::GroupBass => Command::GetConfigValue("/filters/Bass/parameters/gain".into()),
        Feature::GroupTreble => Command::GetConfigValue("/filters/Treble/parameters/gain".into()),
        Feature::Filter { name, field } => {
            Command::GetConfigValue(format!("/filters/{name}/parameters/{field}"))
        }
        Feature::Solo(_) | Feature::Crossfader | Feature::CrossfaderCurve => return None,
    })
}

/// A parameter's value from the JSON CamillaDSP answered to [`read_command`].
pub fn value_from_json(param: &ParamId, json: &serde_json::Value) -> Option<Value> {
    let kind = param.kind();
    let from_db = |v: &serde_json::Value| kind.from_db(Db::try_new(v.as_f64()?).ok()?);
    let from_bool = |v: &serde_json::Value| Some(Value::Index(u32::from(v.as_bool()?)));
    match Feature::of(param)? {
        Feature::MainVolume
        | Feature::Gain(_)
        | Feature::Bass(_)
        | Feature::Treble(_)
        | Feature::GroupBass
        | Feature::GroupTreble => from_db(json),
        Feature::MainMute | Feature::Mute(_) => from_bool(json),
        // GetFaders: [{"volume": dB, "mute": bool}, …], index 0 = Main.
        Feature::AuxVolume(f) => from_db(json.get(usize::from(f))?.get("volume")?),
        Feature::AuxMute(f) => from_bool(json.get(usize::from(f))?.get("mute")?),
        Feature::Filter { .. } => filters::from_json(kind, json),
        Feature::Solo(_) | Feature::Crossfader | Feature::CrossfaderCurve => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::{law, Normalized};

    fn p(s: &str) -> ParamId {
        ParamId::parse(s).unwrap()
    }

    #[test]
    fn solo_mutes_the_others_and_unsolo_restores_them_exactly() {
        let mut s = SoloState::default();
        // Channel 2 muted by the user beforehand.
        assert_eq!(s.set(&Feature::Mute(2), true), vec![(2, true)]);
        s.set(&Feature::Mute(0), false);
        s.set(&Feature::Mute(1), false);
        let changed = s.set(&Feature::Solo(1), true);
        assert_eq!(
            changed,
            vec![(0, true)],
            "ch 2 was already muted, ch 1 is soloed"
        );
        let changed = s.set(&Feature::Solo(1), false);
        assert_eq!(changed, vec![(0, false)]);
        assert_eq!(s.all(), vec![(0, false), (1, false), (2, true)]);
    }

    #[test]
    fn values_are_clamped_before_they_are_sent() {
        let mut s = MixState::default();
        let bass = p("camilla:ch/0/bass");
        let v = bass.kind().from_db(Db::try_new(99.0).unwrap()).unwrap();
        assert_eq!(
            commands_for(&bass, &v, &mut s),
            vec![Command::SetConfigValue {
                pointer: "/filters/ch0_bass/parameters/gain".into(),
                value: json!(12.0)
            }]
        );
        let vol = p("camilla:main/volume");
        let v = vol.kind().from_db(Db::try_new(-6.0).unwrap()).unwrap();
        assert_eq!(
            commands_for(&vol, &v, &mut s),
            vec![Command::SetVolume(-6.0)]
        );
        let aux = p("camilla:aux/2/mute");
        assert_eq!(
            commands_for(&aux, &Value::Index(1), &mut s),
            vec![Command::SetFaderMute {
                fader: 2,
                mute: true
            }]
        );
    }

    #[test]
    fn crossfader_curves() {
        let (a, b) = Curve::EqualPower.amplitudes(0.5);
        assert!((Db::from_amplitude(a).get() + 3.01).abs() < 0.01 && (a - b).abs() < 1e-12);
        assert_eq!(Curve::Linear.amplitudes(0.25), (0.75, 0.25));
        assert_eq!(Curve::Cut.amplitudes(0.5), (1.0, 1.0));
        assert_eq!(Curve::Cut.amplitudes(1.0), (0.0, 1.0));
        let mut mix = MixState::default();
        let xf = p("camilla:crossfader");
        let cmds = commands_for(&xf, &Value::Level(Normalized::new_clamped(0.0)), &mut mix);
        assert!(cmds.contains(&Command::SetConfigValue {
            pointer: "/filters/xfade_b/parameters/mute".into(),
            value: json!(true)
        }));
        assert!(cmds.contains(&Command::SetConfigValue {
            pointer: "/filters/xfade_a/parameters/gain".into(),
            value: json!(0.0)
        }));
        let curve = p("camilla:crossfader/curve");
        let cmds = commands_for(&curve, &Value::Index(1), &mut mix);
        assert_eq!(cmds.len(), 4);
        assert_eq!(mix.crossfader, Some((0.0, Curve::Linear)));
    }

    #[test]
    fn any_named_filter() {
        let mut mix = MixState::default();
        let f = p("camilla:filter/Treble/freq");
        let v = f
            .kind()
            .from_normalized(Normalized::new_clamped(law::eq_freq_from_hz(1000.0)));
        let cmds = commands_for(&f, &v, &mut mix);
        let [Command::SetConfigValue { pointer, value }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(pointer, "/filters/Treble/parameters/freq");
        assert!((value.as_f64().unwrap() - 1000.0).abs() < 40.0, "{value}");
        let back = value_from_json(&f, value).unwrap();
        assert_eq!(back, v);
        assert!(ParamId::parse("camilla:filter/bad name/gain").is_err());
    }

    #[test]
    fn read_back_values() {
        let faders = json!([{"volume": -13.5, "mute": false}, {"volume": -7.5, "mute": true}]);
        let aux1 = p("camilla:aux/1/volume");
        assert_eq!(
            aux1.kind()
                .db(&value_from_json(&aux1, &faders).unwrap())
                .unwrap()
                .get(),
            -7.5
        );
        assert_eq!(
            value_from_json(&p("camilla:aux/1/mute"), &faders),
            Some(Value::Index(1))
        );
        assert_eq!(
            value_from_json(&p("camilla:ch/0/mute"), &json!("loud")),
            None
        );
        assert_eq!(read_command(&p("camilla:ch/3/solo")), None);
    }
}
