//! The range of a named filter's parameter, from the filter's type in the CamillaDSP config:
//! `camilla:filter/NAME/PARAM` takes its kind from here once pupitre has read the config, so a
//! new effect in the config can be mapped without new code. Pure: the filter's JSON in, a
//! [`ParamKind`] or the reason there is none out.
//!
//! The parameter names and types are CamillaDSP's (v3–v5 config reference). The ranges are
//! pupitre's: what a hand on a fader or encoder needs, inside what CamillaDSP accepts.

use serde_json::Value as Json;

use crate::desk::ParamKind;

/// A Gain filter's gain, the span of a channel fader (CamillaDSP takes ±150 dB).
const GAIN_FILTER: ParamKind = ParamKind::Gain {
    min_db: -100.0,
    max_db: 20.0,
    step_db: 0.5,
};
/// Peaking and shelf gains, and a tilt: ±20 dB in 0.1 dB, finer than the X32's 0.25 dB EQ grid.
const EQ_GAIN: ParamKind = ParamKind::Gain {
    min_db: -20.0,
    max_db: 20.0,
    step_db: 0.1,
};
/// Bandwidth of a peaking, notch, band-pass or all-pass filter, in octaves.
const BANDWIDTH: ParamKind = ParamKind::Number {
    min: 0.1,
    max: 4.0,
    step: 0.01,
    unit: "oct",
};
/// Shelf slope; CamillaDSP refuses more than 12 dB/octave.
const SLOPE: ParamKind = ParamKind::Number {
    min: 0.5,
    max: 12.0,
    step: 0.1,
    unit: "dB/oct",
};
/// A Volume filter's ramp.
const RAMP_MS: ParamKind = ParamKind::Number {
    min: 0.0,
    max: 2000.0,
    step: 10.0,
    unit: "ms",
};

/// Why a filter parameter cannot be driven.
fn unknown(what: &str, param: &str, has: &str) -> String {
    format!("a {what} filter has no parameter {param:?}; it has {has}")
}

/// The kind of `param` on `filter`, a filter's definition as `GetConfigJson` gives it
/// (`{"type": "Biquad", "parameters": {"type": "Peaking", …}}`).
pub fn filter_param_kind(filter: &Json, param: &str) -> Result<ParamKind, String> {
    let ty = filter
        .get("type")
        .and_then(Json::as_str)
        .ok_or("the filter has no type")?;
    let parameters = filter.get("parameters");
    let sub = parameters
        .and_then(|p| p.get("type"))
        .and_then(Json::as_str)
        .unwrap_or("");
    match ty {
        "Gain" => match param {
            "gain" => Ok(GAIN_FILTER),
            "mute" | "inverted" => Ok(ParamKind::Switch),
            _ => Err(unknown("Gain", param, "gain, mute and inverted")),
        },
        "Volume" => match param {
            "ramp_time_ms" | "ramp_time" => Ok(RAMP_MS),
            "limit" => Ok(ParamKind::Gain {
                min_db: -50.0,
                max_db: 50.0,
                step_db: 0.5,
            }),
            _ => Err(unknown("Volume", param, "ramp_time_ms and limit")),
        },
        "Loudness" => match param {
            "reference_level" => Ok(ParamKind::Gain {
                min_db: -100.0,
                max_db: 20.0,
                step_db: 0.5,
            }),
            "high_boost" | "low_boost" => Ok(ParamKind::Gain {
                min_db: 0.0,
                max_db: 20.0,
                step_db: 0.5,
            }),
            "attenuate_mid" => Ok(ParamKind::Switch),
            _ => Err(unknown(
                "Loudness",
                param,
                "reference_level, high_boost, low_boost and attenuate_mid",
            )),
        },
        "Delay" => match param {
            "delay" => {
                let unit = parameters
                    .and_then(|p| p.get("unit"))
                    .and_then(Json::as_str)
                    .unwrap_or("ms");
                Ok(match unit {
                    // 100 m of speaker distance; a sample at 192 kHz is 1.8 mm.
                    "mm" => ParamKind::Number {
                        min: 0.0,
                        max: 100_000.0,
                        step: 1.0,
                        unit: "mm",
                    },
                    "samples" => ParamKind::Number {
                        min: 0.0,
                        max: 48_000.0,
                        step: 1.0,
                        unit: "samples",
                    },
                    _ => ParamKind::Number {
                        min: 0.0,
                        max: 1000.0,
                        step: 0.01,
                        unit: "ms",
                    },
                })
            }
            "subsample" => Ok(ParamKind::Switch),
            _ => Err(unknown("Delay", param, "delay and subsample")),
        },
        "Limiter" => match param {
            "clip_limit" => Ok(ParamKind::Gain {
                min_db: -40.0,
                max_db: 0.0,
                step_db: 0.1,
            }),
            "soft_clip" => Ok(ParamKind::Switch),
            _ => Err(unknown("Limiter", param, "clip_limit and soft_clip")),
        },
        "Dither" => match param {
            "bits" => Ok(ParamKind::Number {
                min: 2.0,
                max: 32.0,
                step: 1.0,
                unit: "bits",
            }),
            _ => Err(unknown("Dither", param, "bits")),
        },
        "Biquad" => biquad(sub, param),
        "BiquadCombo" => biquad_combo(sub, param),
        other => Err(format!(
            "{other} filters have no parameter pupitre can drive"
        )),
    }
}

fn biquad(sub: &str, param: &str) -> Result<ParamKind, String> {
    let what = format!("Biquad {sub}");
    let (has, kind): (&str, Option<ParamKind>) = match sub {
        "Peaking" => (
            "freq, gain, q and bandwidth",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "gain" => Some(EQ_GAIN),
                "q" => Some(ParamKind::EqQ),
                "bandwidth" => Some(BANDWIDTH),
                _ => None,
            },
        ),
        "Lowshelf" | "Highshelf" => (
            "freq, gain, q and slope",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "gain" => Some(EQ_GAIN),
                "q" => Some(ParamKind::EqQ),
                "slope" => Some(SLOPE),
                _ => None,
            },
        ),
        "LowshelfFO" | "HighshelfFO" => (
            "freq and gain",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "gain" => Some(EQ_GAIN),
                _ => None,
            },
        ),
        "Highpass" | "Lowpass" => (
            "freq and q",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "q" => Some(ParamKind::EqQ),
                _ => None,
            },
        ),
        "Notch" | "Bandpass" | "Allpass" => (
            "freq, q and bandwidth",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "q" => Some(ParamKind::EqQ),
                "bandwidth" => Some(BANDWIDTH),
                _ => None,
            },
        ),
        "HighpassFO" | "LowpassFO" | "AllpassFO" => {
            ("freq", (param == "freq").then_some(ParamKind::EqFreq))
        }
        "LinkwitzTransform" => (
            "freq_act, q_act, freq_target and q_target",
            match param {
                "freq_act" | "freq_target" => Some(ParamKind::EqFreq),
                "q_act" | "q_target" => Some(ParamKind::EqQ),
                _ => None,
            },
        ),
        "GeneralNotch" => (
            "freq_p, freq_z, q_p and normalize_at_dc",
            match param {
                "freq_p" | "freq_z" => Some(ParamKind::EqFreq),
                "q_p" => Some(ParamKind::EqQ),
                "normalize_at_dc" => Some(ParamKind::Switch),
                _ => None,
            },
        ),
        "Free" => return Err("a Free biquad's coefficients are not mapped".into()),
        _ => return Err(format!("unknown Biquad type {sub:?}")),
    };
    kind.ok_or_else(|| unknown(&what, param, has))
}

fn biquad_combo(sub: &str, param: &str) -> Result<ParamKind, String> {
    let order = |min: f64, step: f64| ParamKind::Number {
        min,
        max: 8.0,
        step,
        unit: "",
    };
    let what = format!("BiquadCombo {sub}");
    let (has, kind): (&str, Option<ParamKind>) = match sub {
        "ButterworthHighpass" | "ButterworthLowpass" => (
            "freq and order",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "order" => Some(order(1.0, 1.0)),
                _ => None,
            },
        ),
        // Linkwitz-Riley orders are even.
        "LinkwitzRileyHighpass" | "LinkwitzRileyLowpass" => (
            "freq and order",
            match param {
                "freq" => Some(ParamKind::EqFreq),
                "order" => Some(order(2.0, 2.0)),
                _ => None,
            },
        ),
        "Tilt" => ("gain", (param == "gain").then_some(EQ_GAIN)),
        "FivePointPeq" => (
            "fls, gls, qls, fp1…fp3, gp1…gp3, qp1…qp3, fhs, ghs and qhs",
            match param {
                "fls" | "fp1" | "fp2" | "fp3" | "fhs" => Some(ParamKind::EqFreq),
                "gls" | "gp1" | "gp2" | "gp3" | "ghs" => Some(EQ_GAIN),
                "qls" | "qp1" | "qp2" | "qp3" | "qhs" => Some(ParamKind::EqQ),
                _ => None,
            },
        ),
        "GraphicEqualizer" => (
            "freq_min and freq_max",
            match param {
                "freq_min" | "freq_max" => Some(ParamKind::EqFreq),
                _ => None,
            },
        ),
        _ => return Err(format!("unknown BiquadCombo type {sub:?}")),
    };
    kind.ok_or_else(|| unknown(&what, param, has))
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
        assert_eq!(filter_param_kind(&peaking(), "gain"), Ok(EQ_GAIN));
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
