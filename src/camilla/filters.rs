//! The range of a named filter's parameter, from the filter's type in the CamillaDSP config:
//! `camilla:filter/NAME/PARAM` takes its kind from here once pupitre has read the config, so a
//! new effect in the config can be mapped without new code. Pure: the filter's JSON in, a
//! [`ParamKind`] or the reason there is none out.
//!
//! The parameter names and types are CamillaDSP's (v3–v5 config reference). The ranges are
//! pupitre's: what a hand on a fader or encoder needs, inside what CamillaDSP accepts.

use serde_json::Value as Json;

use crate::desk::{filter_param_guess, ParamKind};

/// A Gain filter's gain, the span of a channel fader (CamillaDSP takes ±150 dB); by name
/// alone `gain` reads as an EQ gain.
const GAIN_FILTER: ParamKind = ParamKind::Gain {
    min_db: -100.0,
    max_db: 20.0,
    step_db: 0.5,
};

/// The parameters a filter type offers, by its type and subtype.
fn offered(ty: &str, sub: &str) -> Result<&'static [&'static str], String> {
    Ok(match (ty, sub) {
        ("Gain", _) => &["gain", "mute", "inverted"],
        ("Volume", _) => &["ramp_time_ms", "ramp_time", "limit"],
        ("Loudness", _) => &[
            "reference_level",
            "high_boost",
            "low_boost",
            "attenuate_mid",
        ],
        ("Delay", _) => &["delay", "subsample"],
        ("Limiter", _) => &["clip_limit", "soft_clip"],
        ("Dither", _) => &["bits"],
        ("Biquad", "Peaking") => &["freq", "gain", "q", "bandwidth"],
        ("Biquad", "Lowshelf" | "Highshelf") => &["freq", "gain", "q", "slope"],
        ("Biquad", "LowshelfFO" | "HighshelfFO") => &["freq", "gain"],
        ("Biquad", "Highpass" | "Lowpass") => &["freq", "q"],
        ("Biquad", "Notch" | "Bandpass" | "Allpass") => &["freq", "q", "bandwidth"],
        ("Biquad", "HighpassFO" | "LowpassFO" | "AllpassFO") => &["freq"],
        ("Biquad", "LinkwitzTransform") => &["freq_act", "q_act", "freq_target", "q_target"],
        ("Biquad", "GeneralNotch") => &["freq_p", "freq_z", "q_p", "normalize_at_dc"],
        ("Biquad", "Free") => return Err("a Free biquad's coefficients are not mapped".into()),
        ("Biquad", other) => return Err(format!("unknown Biquad type {other:?}")),
        (
            "BiquadCombo",
            "ButterworthHighpass"
            | "ButterworthLowpass"
            | "LinkwitzRileyHighpass"
            | "LinkwitzRileyLowpass",
        ) => &["freq", "order"],
        ("BiquadCombo", "Tilt") => &["gain"],
        ("BiquadCombo", "FivePointPeq") => &[
            "fls", "gls", "qls", "fp1", "gp1", "qp1", "fp2", "gp2", "qp2", "fp3", "gp3", "qp3",
            "fhs", "ghs", "qhs",
        ],
        ("BiquadCombo", "GraphicEqualizer") => &["freq_min", "freq_max"],
        ("BiquadCombo", other) => return Err(format!("unknown BiquadCombo type {other:?}")),
        (other, _) => {
            return Err(format!(
                "{other} filters have no parameter pupitre can drive"
            ))
        }
    })
}

/// `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The kind of `param` on `filter`, a filter's definition as `GetConfigJson` gives it
/// (`{"type": "Biquad", "parameters": {"type": "Peaking", …}}`): the desk's range for the
/// name, except where the type sets another.
pub fn filter_param_kind(filter: &Json, param: &str) -> Result<ParamKind, String> {
    let ty = filter
        .get("type")
        .and_then(Json::as_str)
        .ok_or("the filter has no type")?;
    let parameters = filter.get("parameters");
    let field = |k: &str| parameters.and_then(|p| p.get(k)).and_then(Json::as_str);
    let sub = field("type").unwrap_or("");
    let names = offered(ty, sub)?;
    if !names.contains(&param) {
        let what = if sub.is_empty() || !matches!(ty, "Biquad" | "BiquadCombo") {
            ty.to_string()
        } else {
            format!("{ty} {sub}")
        };
        return Err(format!(
            "a {what} filter has no parameter {param:?}; it has {}",
            and_list(names)
        ));
    }
    let by_type = match (ty, sub, param) {
        ("Gain", _, "gain") => Some(GAIN_FILTER),
        // A delay's range follows its unit: 100 m of speaker distance, or a second at 48 kHz.
        ("Delay", _, "delay") => match field("unit") {
            Some("mm") => Some(ParamKind::Number {
                min: 0.0,
                max: 100_000.0,
                step: 1.0,
                unit: "mm",
            }),
            Some("samples") => Some(ParamKind::Number {
                min: 0.0,
                max: 48_000.0,
                step: 1.0,
                unit: "samples",
            }),
            _ => None,
        },
        // Linkwitz-Riley orders are even.
        ("BiquadCombo", "LinkwitzRileyHighpass" | "LinkwitzRileyLowpass", "order") => {
            Some(ParamKind::Number {
                min: 2.0,
                max: 8.0,
                step: 2.0,
                unit: "",
            })
        }
        _ => None,
    };
    by_type
        .or_else(|| filter_param_guess(param))
        .ok_or_else(|| format!("{param:?} has no range in pupitre"))
}

/// How a value of `kind` goes into the config: a bool for switches, an integer on whole-number
/// grids (a filter order is an integer to CamillaDSP), a number otherwise; `None` when the
/// value has no number.
pub fn to_json(kind: ParamKind, value: &crate::desk::Value) -> Option<Json> {
    let x = kind.native(value)?;
    Some(match kind {
        ParamKind::Switch => Json::Bool(x != 0.0),
        ParamKind::Number { step, .. } if step.fract() == 0.0 => Json::from(x.round() as i64),
        // Rounded so the config reads as typed and a read-back compares equal.
        _ => Json::from((x * 1e4).round() / 1e4),
    })
}

/// The value of `kind` a config holds; `None` for a JSON value of the wrong shape.
pub fn from_json(kind: ParamKind, json: &Json) -> Option<crate::desk::Value> {
    match (kind, json) {
        (ParamKind::Switch, Json::Bool(b)) => Some(crate::desk::Value::Index(u32::from(*b))),
        (ParamKind::Switch, _) => None,
        (_, j) => kind.from_native(j.as_f64()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::{Db, Value};
    use serde_json::json;

    fn peaking() -> Json {
        json!({"type": "Biquad", "parameters": {"type": "Peaking", "freq": 1000.0, "gain": 3.0, "q": 1.0}})
    }

    #[test]
    fn ranges_follow_the_filter_type() {
        let gain = json!({"type": "Gain", "parameters": {"gain": 0.0, "mute": false}});
        assert_eq!(filter_param_kind(&gain, "gain"), Ok(GAIN_FILTER));
        assert_eq!(
            filter_param_kind(&peaking(), "gain"),
            Ok(filter_param_guess("gain").unwrap())
        );
        assert_eq!(filter_param_kind(&peaking(), "freq"), Ok(ParamKind::EqFreq));
        let e = filter_param_kind(&peaking(), "mute").unwrap_err();
        assert_eq!(
            e,
            "a Biquad Peaking filter has no parameter \"mute\"; it has freq, gain, q and bandwidth"
        );
        let delay = json!({"type": "Delay", "parameters": {"delay": 3, "unit": "samples"}});
        assert!(matches!(
            filter_param_kind(&delay, "delay"),
            Ok(ParamKind::Number {
                unit: "samples",
                ..
            })
        ));
        let lr = json!({"type": "BiquadCombo", "parameters": {"type": "LinkwitzRileyHighpass", "freq": 80, "order": 4}});
        let order = filter_param_kind(&lr, "order").unwrap();
        assert_eq!(order.steps(), Some(3), "2, 4, 6, 8");
        let conv = json!({"type": "Conv", "parameters": {"type": "Raw"}});
        assert!(filter_param_kind(&conv, "gain").is_err());
        assert!(filter_param_kind(&json!({"parameters": {}}), "gain").is_err());
    }

    #[test]
    fn values_go_into_the_config_in_the_filters_units() {
        let gain = filter_param_kind(&peaking(), "gain").unwrap();
        let v = gain.from_db(Db::new_lossy(-3.24)).unwrap();
        assert_eq!(to_json(gain, &v), Some(json!(-3.2)));
        assert_eq!(from_json(gain, &json!(-3.2)), Some(v));
        // Clamped to the range before anything is sent.
        let v = from_json(gain, &json!(99.0)).unwrap();
        assert_eq!(to_json(gain, &v), Some(json!(20.0)));
        let lr = json!({"type": "BiquadCombo", "parameters": {"type": "LinkwitzRileyLowpass"}});
        let order = filter_param_kind(&lr, "order").unwrap();
        let v = from_json(order, &json!(4)).unwrap();
        assert_eq!(to_json(order, &v), Some(json!(4)));
        assert_eq!(order.display(&v), "4");
        assert_eq!(
            from_json(ParamKind::Switch, &json!(true)),
            Some(Value::Index(1))
        );
        assert_eq!(from_json(ParamKind::Switch, &json!(1.0)), None);
        assert_eq!(
            to_json(ParamKind::Switch, &Value::Index(1)),
            Some(json!(true))
        );
        let ms = ParamKind::Number {
            min: 0.0,
            max: 1000.0,
            step: 0.01,
            unit: "ms",
        };
        assert_eq!(ms.display(&from_json(ms, &json!(2.5)).unwrap()), "2.50 ms");
    }
}
