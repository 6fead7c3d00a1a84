//! Recorded CamillaDSP 4.1.3 answers, for building a v4 websocket mock (`camilladsp.md` §4).
//!
//! [`v4_reply_for`] answers a v4 request text with the reply a 4.1.3 server gave, with the values
//! of the loopback config of §3 (Main −13.5 dB, Aux1 −7.5 dB, a sine at −6 dBFS on capture, the
//! second playback channel muted so it reads the v4 floor −1000). Replies §4 does not print
//! verbatim follow the v4 rule `{Name:{"result":..,"value"?}}` with the values observed on v5.
//! It keeps no state: a write is answered `Ok` and the next read returns the recorded value.

use serde_json::{json, Value};

/// The §3 loopback config, as `GetConfigJson` and `GetConfigValue` see it.
fn config() -> Value {
    json!({
        "title": "bridge-test",
        "devices": {"samplerate": 48000, "chunksize": 1024},
        "filters": {
            "ch0_gain": {"type": "Gain", "parameters": {"gain": 0.0, "mute": false}},
            "ch1_gain": {"type": "Gain", "parameters": {"gain": 0.0, "mute": false}},
            "ch0_vol": {"type": "Volume", "parameters": {"fader": "Aux1"}},
            "ch1_vol": {"type": "Volume", "parameters": {"fader": "Aux2"}},
            "Bass": {"type": "Biquad", "parameters": {"type": "Lowshelf", "freq": 85.0, "q": 0.9, "gain": 0.0}},
            "Treble": {"type": "Biquad", "parameters": {"type": "Highshelf", "freq": 6500.0, "q": 0.7, "gain": 0.0}}
        }
    })
}

fn ok() -> Value {
    json!({"result": "Ok"})
}

fn ok_value(v: Value) -> Value {
    json!({"result": "Ok", "value": v})
}

fn error(kind: &str, message: Option<String>) -> Value {
    match message {
        None => json!({"result": kind}),
        Some(m) => json!({"result": {kind: m}}),
    }
}

/// The fader count: Main and Aux1–Aux4. Higher indices get `InvalidFaderError`.
const FADERS: u64 = 5;

/// The recorded v4 reply to `request`, or `None` for a command name this table does not know
/// (a mock may answer those `{"Invalid":{"error":"unknown variant …"}}`).
///
/// Requests are compared as JSON, so `{"SetVolume": -10.5}` and `{"SetVolume":-10.5}` are one.
/// v5-style input (`{"command":..}`) and the v5-only subscriptions get the recorded `Invalid`.
pub fn v4_reply_for(request: &str) -> Option<String> {
    let (name, arg) = match serde_json::from_str::<Value>(request).ok()? {
        Value::String(name) => (name, Value::Null),
        Value::Object(o) if o.contains_key("command") => return Some(invalid("command")),
        Value::Object(o) if o.len() == 1 => o.into_iter().next()?,
        _ => return None,
    };
    let body = match (name.as_str(), &arg) {
        ("GetVersion", Value::Null) => ok_value(json!("4.1.3")),
        ("GetState", Value::Null) => ok_value(json!("Running")),
        ("GetStopReason", Value::Null) => ok_value(json!("None")),
        ("GetProcessingLoad", Value::Null) => ok_value(json!(0.13876875)),
        ("GetClippedSamples", Value::Null) => ok_value(json!(0)),
        ("GetCaptureRate", Value::Null) => ok_value(json!(47992)),
        ("GetBufferLevel", Value::Null) => ok_value(json!(0)),
        ("GetVolume", Value::Null) => ok_value(json!(-13.5)),
        ("GetMute", Value::Null) => ok_value(json!(false)),
        ("SetVolume", Value::Number(_)) | ("SetMute", Value::Bool(_)) => ok(),
        ("AdjustVolume", Value::Number(_) | Value::Array(_)) => ok_value(json!(-13.5)),
        ("GetFaders", Value::Null) => ok_value(json!([
            {"volume": -13.5, "mute": false},
            {"volume": -7.5, "mute": false},
            {"volume": 0.0, "mute": false},
            {"volume": 0.0, "mute": false},
            {"volume": 0.0, "mute": false}
        ])),
        ("SetFaderVolume", _) => fader(&arg, |_| ok())?,
        ("SetFaderMute", _) => fader(&arg, |a| ok_value(a.clone()))?,
        ("AdjustFaderVolume", _) | ("GetFaderVolume", _) => {
            fader(&arg, |_| ok_value(json!([1, -7.5])))?
        }
        ("GetSignalLevels", Value::Null) | ("GetSignalLevelsSince", Value::Number(_)) => {
            ok_value(json!({
                "playback_rms": [-30.06, -1000.0],
                "playback_peak": [-27.0, -1000.0],
                "capture_rms": [-9.04, -9.04],
                "capture_peak": [-6.0, -6.0]
            }))
        }
        ("GetConfigJson", Value::Null) => ok_value(Value::String(config().to_string())),
        ("SetConfigJson", Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(_) => ok(),
            Err(e) => error("ConfigReadError", Some(e.to_string())),
        },
        ("GetConfigValue", Value::String(pointer)) => match config().pointer(pointer) {
            Some(v) => ok_value(v.clone()),
            None => error("InvalidRequestError", Some(missing_path(pointer))),
        },
        ("SetConfigValue", Value::Array(a)) => match a.as_slice() {
            [Value::String(pointer), _] if config().pointer(pointer).is_some() => ok(),
            [Value::String(pointer), _] => {
                error("InvalidRequestError", Some(missing_path(pointer)))
            }
            _ => return Some(invalid("SetConfigValue")),
        },
        ("PatchConfig", Value::Object(_)) => patch(&arg),
        ("Reload", Value::Null) => ok(),
        ("SubscribeVuLevels" | "SubscribeSignalLevels" | "SubscribeState", _)
        | ("StopSubscription", _) => return Some(invalid(&name)),
        _ => return None,
    };
    Some(json!({ name: body }).to_string())
}

/// `[n, x]` with n a fader index: `answer(arg)`, or `InvalidFaderError` past Aux4.
fn fader(arg: &Value, answer: impl Fn(&Value) -> Value) -> Option<Value> {
    let index = match arg {
        Value::Number(n) => n.as_u64()?,
        Value::Array(a) => a.first()?.as_u64()?,
        _ => return None,
    };
    Some(if index < FADERS {
        answer(arg)
    } else {
        error("InvalidFaderError", None)
    })
}

/// Gains above +150 dB fail validation, as recorded for `ch0_gain`.
fn patch(arg: &Value) -> Value {
    let filters = arg.get("filters").and_then(Value::as_object);
    for (name, filter) in filters.into_iter().flatten() {
        let gain = filter.pointer("/parameters/gain").and_then(Value::as_f64);
        if gain.is_some_and(|g| g > 150.0) {
            return error(
                "ConfigValidationError",
                Some(format!(
                    "Invalid filter '{name}'. Reason: Gain must be less than +150 dB"
                )),
            );
        }
    }
    ok()
}

fn missing_path(pointer: &str) -> String {
    format!("The active config does not contain the path '{pointer}'")
}

/// The recorded answer to input 4.1.3 cannot parse.
fn invalid(variant: &str) -> String {
    json!({"Invalid": {"error": format!(
        "unknown variant `{variant}`, expected one of `GetVersion`, `GetState`, …"
    )}})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::v4_reply_for;
    use crate::camilla::{decode, encode, reply_name, Command, Incoming, Outcome, Version};
    use serde_json::json;

    fn ask(cmd: &Command) -> Incoming {
        let request = encode(cmd, Version::V4);
        let reply = v4_reply_for(&request).unwrap_or_else(|| panic!("no reply for {request}"));
        decode(&reply, Version::V4).unwrap_or_else(|e| panic!("{request} -> {reply}: {e}"))
    }

    fn reply(cmd: &Command) -> crate::camilla::Reply {
        match ask(cmd) {
            Incoming::Reply(r) => {
                assert_eq!(r.name, reply_name(cmd));
                r
            }
            other => panic!("{cmd:?} -> {other:?}"),
        }
    }

    #[test]
    fn recorded_requests_get_recorded_replies() {
        let table = [
            (
                "\"GetVersion\"",
                r#"{"GetVersion":{"result":"Ok","value":"4.1.3"}}"#,
            ),
            (
                r#"{"SetVolume": -10.5}"#,
                r#"{"SetVolume":{"result":"Ok"}}"#,
            ),
            (
                r#"{"AdjustVolume": [-3.0,-20.0,0.0]}"#,
                r#"{"AdjustVolume":{"result":"Ok","value":-13.5}}"#,
            ),
            (
                r#"{"SetFaderVolume": [1,-6.0]}"#,
                r#"{"SetFaderVolume":{"result":"Ok"}}"#,
            ),
            (
                r#"{"AdjustFaderVolume": [1,-1.5]}"#,
                r#"{"AdjustFaderVolume":{"result":"Ok","value":[1,-7.5]}}"#,
            ),
            (
                r#"{"GetFaderVolume": 1}"#,
                r#"{"GetFaderVolume":{"result":"Ok","value":[1,-7.5]}}"#,
            ),
            (
                r#"{"SetFaderVolume":[7,0.0]}"#,
                r#"{"SetFaderVolume":{"result":"InvalidFaderError"}}"#,
            ),
            (
                r#"{"PatchConfig": {"filters":{"ch0_gain":{"parameters":{"gain":200.0}}}}}"#,
                r#"{"PatchConfig":{"result":{"ConfigValidationError":"Invalid filter 'ch0_gain'. Reason: Gain must be less than +150 dB"}}}"#,
            ),
        ];
        for (request, expected) in table {
            let got = v4_reply_for(request).unwrap_or_else(|| panic!("no reply for {request}"));
            let got: serde_json::Value = serde_json::from_str(&got).expect("mock emits JSON");
            let expected: serde_json::Value = serde_json::from_str(expected).expect("table");
            assert_eq!(got, expected, "{request}");
        }
    }

    #[test]
    fn v5_style_and_subscriptions_are_invalid() {
        for request in [
            r#"{"command":"GetVersion"}"#,
            r#"{"SubscribeSignalLevels":"both"}"#,
        ] {
            let reply = v4_reply_for(request).expect("recorded Invalid");
            assert!(
                matches!(decode(&reply, Version::V4), Ok(Incoming::Invalid(e)) if e.starts_with("unknown variant")),
                "{reply}"
            );
        }
    }

    #[test]
    fn unknown_or_broken_requests_have_no_entry() {
        for request in [
            "\"Frobnicate\"",
            "",
            "{\"GetVersion\"",
            "42",
            "{\"a\":1,\"b\":2}",
        ] {
            assert_eq!(v4_reply_for(request), None, "{request}");
        }
    }

    #[test]
    fn every_v4_command_round_trips_through_the_table() {
        let commands = [
            Command::GetVersion,
            Command::GetState,
            Command::GetStopReason,
            Command::GetProcessingLoad,
            Command::GetClippedSamples,
            Command::GetCaptureRate,
            Command::GetBufferLevel,
            Command::GetVolume,
            Command::SetVolume(-10.5),
            Command::GetMute,
            Command::SetMute(true),
            Command::GetFaders,
            Command::SetFaderVolume { fader: 1, db: -6.0 },
            Command::SetFaderMute {
                fader: 2,
                mute: true,
            },
            Command::GetSignalLevels,
            Command::GetSignalLevelsSince(0.1),
            Command::GetConfigJson,
            Command::SetConfigJson("{}".into()),
            Command::GetConfigValue("/filters/Bass/parameters".into()),
            Command::SetConfigValue {
                pointer: "/filters/Treble/parameters/gain".into(),
                value: json!(-3.0),
            },
            Command::PatchConfig(json!({"filters":{"Bass":{"parameters":{"gain":6.0}}}})),
            Command::Reload,
        ];
        for cmd in &commands {
            assert!(reply(cmd).is_ok(), "{cmd:?}");
        }
    }

    #[test]
    fn values_read_back_typed() {
        assert_eq!(reply(&Command::GetVersion).str(), Some("4.1.3"));
        assert_eq!(reply(&Command::GetCaptureRate).u64(), Some(47992));
        let faders = reply(&Command::GetFaders).faders().expect("five faders");
        assert_eq!(faders.len(), 5);
        assert_eq!(faders[1], (-7.5, false));
        let levels = reply(&Command::GetSignalLevelsSince(0.1))
            .levels()
            .expect("levels");
        assert!(crate::camilla::Levels::is_silence(levels.playback_rms[1]));
        let config = reply(&Command::GetConfigJson)
            .config_json()
            .expect("a JSON string");
        assert_eq!(config["filters"]["Bass"]["parameters"]["freq"], json!(85.0));
        let bass = reply(&Command::GetConfigValue("/filters/Bass/parameters".into()));
        assert_eq!(
            bass.value.as_ref().and_then(|v| v.get("q")),
            Some(&json!(0.9))
        );
        let mute = reply(&Command::SetFaderMute {
            fader: 2,
            mute: true,
        });
        assert_eq!(mute.fader_mute_pair(), Some((2, true)));
    }

    #[test]
    fn errors_carry_kind_and_message() {
        let missing = reply(&Command::GetConfigValue("/filters/Nope".into()));
        assert_eq!(
            missing.result,
            Outcome::Error {
                kind: "InvalidRequestError".into(),
                message: Some("The active config does not contain the path '/filters/Nope'".into()),
            }
        );
        let bad_fader = reply(&Command::SetFaderVolume { fader: 7, db: 0.0 });
        assert_eq!(
            bad_fader.result,
            Outcome::Error {
                kind: "InvalidFaderError".into(),
                message: None
            }
        );
        let bad_json = reply(&Command::SetConfigJson("{".into()));
        assert!(
            matches!(bad_json.result, Outcome::Error { kind, .. } if kind == "ConfigReadError")
        );
    }
}
