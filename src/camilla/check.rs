//! Does a CamillaDSP config have the filters pupitre drives? (`pupitre check`; the naming
//! convention is in `examples/camilladsp/README.md`.) Pure: YAML text in, findings out.

use yaml_serde::Value;

use super::features::Feature;
use super::filters::filter_param_kind;
use crate::desk::ParamId;

/// What a CamillaDSP config offers pupitre.
#[derive(Debug, Default, PartialEq)]
pub struct Offer {
    /// Channels with a `chN_gain` Gain filter, in order.
    pub gain_channels: Vec<u8>,
    /// Channels with a `chN_bass` Lowshelf.
    pub bass_channels: Vec<u8>,
    /// Channels with a `chN_treble` Highshelf.
    pub treble_channels: Vec<u8>,
    /// Aux faders (1–4) some Volume filter uses.
    pub aux_faders: Vec<u8>,
    /// Both `xfade_a` and `xfade_b` Gain filters exist.
    pub crossfader: bool,
    /// The group shelves `Bass` (Lowshelf) and `Treble` (Highshelf) exist.
    pub group_tone: bool,
}

fn filter<'a>(filters: &'a Value, name: &str) -> Option<&'a Value> {
    filters.get(name)
}

fn kind(f: &Value) -> Option<&str> {
    f.get("type")?.as_str()
}

fn shelf(f: &Value) -> Option<&str> {
    f.get("parameters")?.get("type")?.as_str()
}

/// Read what a config offers; an error names what is wrong with the YAML.
pub fn offer(yaml: &str) -> Result<Offer, String> {
    let doc: Value =
        yaml_serde::from_str(yaml).map_err(|e| format!("not a CamillaDSP config: {e}"))?;
    let Some(filters) = doc.get("filters") else {
        return Ok(Offer::default());
    };
    let mut o = Offer::default();
    for c in 0..=255u8 {
        if filter(filters, &format!("ch{c}_gain")).and_then(kind) == Some("Gain") {
            o.gain_channels.push(c);
        }
        if filter(filters, &format!("ch{c}_bass")).and_then(shelf) == Some("Lowshelf") {
            o.bass_channels.push(c);
        }
        if filter(filters, &format!("ch{c}_treble")).and_then(shelf) == Some("Highshelf") {
            o.treble_channels.push(c);
        }
    }
    if let Some(map) = filters.as_mapping() {
        for f in map.values() {
            if kind(f) == Some("Volume") {
                let fader = f
                    .get("parameters")
                    .and_then(|p| p.get("fader"))
                    .and_then(Value::as_str);
                if let Some(n) = fader
                    .and_then(|s| s.strip_prefix("Aux"))
                    .and_then(|n| n.parse::<u8>().ok())
                {
                    if !o.aux_faders.contains(&n) {
                        o.aux_faders.push(n);
                    }
                }
            }
        }
    }
    o.aux_faders.sort_unstable();
    o.group_tone = filter(filters, "Bass").and_then(shelf) == Some("Lowshelf")
        && filter(filters, "Treble").and_then(shelf) == Some("Highshelf");
    o.crossfader = ["xfade_a", "xfade_b"]
        .iter()
        .all(|n| filter(filters, n).and_then(kind) == Some("Gain"));
    Ok(o)
}

/// The problems of a config for a pupitre config following `channels` and `aux_faders`, with
/// or without a crossfader.
pub fn missing(
    offer: &Offer,
    channels: u8,
    aux_faders: u8,
    crossfader: bool,
    group_tone: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if group_tone && !offer.group_tone {
        out.push(
            "no group shelves \"Bass\" (Biquad Lowshelf) and \"Treble\" (Biquad Highshelf) for \
             camilla:bass and camilla:treble"
                .to_string(),
        );
    }
    if crossfader && !offer.crossfader {
        out.push(
            "no Gain filters \"xfade_a\" and \"xfade_b\" for camilla:crossfader (put them on the \
             channels of groups A and B)"
                .to_string(),
        );
    }
    for c in 0..channels {
        let need = [
            (&offer.gain_channels, "gain", "Gain", "gain and mute"),
            (&offer.bass_channels, "bass", "Biquad Lowshelf", "bass"),
            (
                &offer.treble_channels,
                "treble",
                "Biquad Highshelf",
                "treble",
            ),
        ];
        for (have, name, what, for_what) in need {
            if !have.contains(&c) {
                out.push(format!(
                    "no filter \"ch{c}_{name}\" ({what}) for camilla:ch/{c}/{for_what} (the pupitre config follows {channels} channels)"
                ));
            }
        }
    }
    for a in 1..=aux_faders {
        if !offer.aux_faders.contains(&a) {
            out.push(format!(
                "no Volume filter on fader Aux{a} for camilla:aux/{a}/volume (the pupitre config uses {aux_faders} Aux faders)"
            ));
        }
    }
    out
}

/// The problems of `camilla:filter/NAME/PARAM` parameters (from mappings and the config) in a
/// config: a filter it lacks, or a parameter its type does not have.
pub fn filter_problems<'a>(
    yaml: &str,
    params: impl IntoIterator<Item = &'a ParamId>,
) -> Result<Vec<String>, String> {
    let doc: serde_json::Value =
        yaml_serde::from_str(yaml).map_err(|e| format!("not a CamillaDSP config: {e}"))?;
    let mut out = Vec::new();
    for p in params {
        let Some(Feature::Filter { name, field }) = Feature::of(p) else {
            continue;
        };
        let problem = match doc.get("filters").and_then(|f| f.get(&name)) {
            None => Some(format!("no filter {name:?} for {p}")),
            Some(def) => filter_param_kind(def, &field)
                .err()
                .map(|why| format!("{p}: {why}")),
        };
        if let Some(problem) = problem {
            if !out.contains(&problem) {
                out.push(problem);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMMY: &str = include_str!("../../examples/camilladsp/dummy.yml");
    const PI: &str = include_str!("../../examples/camilladsp/pi-dac.yml");

    #[test]
    fn the_shipped_configs_offer_two_channels_and_two_aux_faders() {
        for yaml in [DUMMY, PI] {
            let o = offer(yaml).unwrap();
            assert_eq!(o.gain_channels, vec![0, 1]);
            assert_eq!(o.bass_channels, vec![0, 1]);
            assert_eq!(o.treble_channels, vec![0, 1]);
            assert_eq!(o.aux_faders, vec![1, 2]);
            assert!(missing(&o, 2, 2, false, true).is_empty());
        }
    }

    #[test]
    fn missing_filters_are_named() {
        let o = offer(DUMMY).unwrap();
        let m = missing(&o, 3, 3, false, false);
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(m[0].starts_with("no filter \"ch2_gain\" (Gain)"));
        assert!(m[3].contains("Aux3"));
        assert!(offer(DUMMY).unwrap().crossfader);
        assert!(missing(&offer(PI).unwrap(), 2, 2, true, false)[0].contains("xfade_a"));
        assert!(offer("filters: [unclosed").is_err());
        assert_eq!(offer("title: x\n").unwrap(), Offer::default());
    }

    #[test]
    fn named_filter_parameters_are_checked_against_their_types() {
        let ids: Vec<ParamId> = [
            "camilla:filter/ch0_bass/slope",
            "camilla:filter/ch0_bass/mute",
            "camilla:filter/Loudness/high_boost",
            "camilla:ch/0/gain",
        ]
        .iter()
        .map(|s| ParamId::parse(s).unwrap())
        .collect();
        let problems = filter_problems(DUMMY, &ids).unwrap();
        assert_eq!(
            problems,
            vec![
                "camilla:filter/ch0_bass/mute: a Biquad Lowshelf filter has no parameter \"mute\"; \
                 it has freq, gain, q and slope"
                    .to_string(),
                "no filter \"Loudness\" for camilla:filter/Loudness/high_boost".to_string(),
            ]
        );
    }
}
