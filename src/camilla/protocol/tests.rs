//! Pinned to the exact strings recorded in `camilladsp.md` §4 (v5 5.0.0-beta.1, v4 4.1.3).

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn patch() -> Value {
    json!({"filters":{"Bass":{"parameters":{"gain":6.0}},"ch1_gain":{"parameters":{"gain":-12.0}}}})
}

fn reply(text: &str, v: Version) -> Reply {
    match decode(text, v) {
        Ok(Incoming::Reply(r)) => r,
        other => panic!("{text} -> {other:?}"),
    }
}

fn err(kind: &str, message: Option<&str>) -> Outcome {
    Outcome::Error {
        kind: kind.into(),
        message: message.map(Into::into),
    }
}

// ── encode ────────────────────────────────────────────────────────────────────────────────

#[test]
fn v5_requests_are_the_recorded_ones() {
    let cases = [
        (Command::GetVersion, r#"{"command":"GetVersion"}"#),
        (Command::GetState, r#"{"command":"GetState"}"#),
        (Command::GetStopReason, r#"{"command":"GetStopReason"}"#),
        (
            Command::SetVolume(-10.5),
            r#"{"command":"SetVolume","value":-10.5}"#,
        ),
        (Command::GetVolume, r#"{"command":"GetVolume"}"#),
        (Command::GetMute, r#"{"command":"GetMute"}"#),
        (
            Command::SetMute(false),
            r#"{"command":"SetMute","value":false}"#,
        ),
        (Command::GetFaders, r#"{"command":"GetFaders"}"#),
        (
            Command::SetFaderVolume { fader: 1, db: -6.0 },
            r#"{"command":"SetFaderVolume","fader":1,"value":-6.0}"#,
        ),
        (
            Command::SetFaderMute {
                fader: 2,
                mute: true,
            },
            r#"{"command":"SetFaderMute","fader":2,"value":true}"#,
        ),
        (
            Command::SetFaderVolume { fader: 7, db: 0.0 },
            r#"{"command":"SetFaderVolume","fader":7,"value":0.0}"#,
        ),
        (Command::GetSignalLevels, r#"{"command":"GetSignalLevels"}"#),
        (
            Command::GetSignalLevelsSince(0.5),
            r#"{"command":"GetSignalLevelsSince","value":0.5}"#,
        ),
        (
            Command::GetClippedSamples,
            r#"{"command":"GetClippedSamples"}"#,
        ),
        (
            Command::GetProcessingLoad,
            r#"{"command":"GetProcessingLoad"}"#,
        ),
        (Command::GetCaptureRate, r#"{"command":"GetCaptureRate"}"#),
        (Command::GetBufferLevel, r#"{"command":"GetBufferLevel"}"#),
        (Command::GetConfigJson, r#"{"command":"GetConfigJson"}"#),
        (
            Command::SetConfigJson(r#"{"title":"x"}"#.into()),
            r#"{"command":"SetConfigJson","value":"{\"title\":\"x\"}"}"#,
        ),
        (
            Command::GetConfigValue("/filters/Bass/parameters".into()),
            r#"{"command":"GetConfigValue","value":"/filters/Bass/parameters"}"#,
        ),
        (
            Command::PatchConfig(patch()),
            r#"{"command":"PatchConfig","value":{"filters":{"Bass":{"parameters":{"gain":6.0}},"ch1_gain":{"parameters":{"gain":-12.0}}}}}"#,
        ),
        (
            Command::SetConfigValue {
                pointer: "/filters/Treble/parameters/gain".into(),
                value: json!(-3.0),
            },
            r#"{"command":"SetConfigValue","pointer":"/filters/Treble/parameters/gain","value":-3.0}"#,
        ),
        (
            Command::SubscribeVuLevels {
                max_rate: 10.0,
                attack: 10.0,
                release: 300.0,
            },
            r#"{"command":"SubscribeVuLevels","value":{"max_rate":10.0,"attack":10.0,"release":300.0}}"#,
        ),
        (
            Command::StopSubscription,
            r#"{"command":"StopSubscription"}"#,
        ),
        (Command::Reload, r#"{"command":"Reload"}"#),
    ];
    for (cmd, expected) in cases {
        assert_eq!(encode(&cmd, Version::V5), expected);
    }
}

#[test]
fn v4_requests_are_the_recorded_ones() {
    // (command, compact form we send, the form §4 prints, equal as JSON)
    let cases = [
        (Command::GetVersion, r#""GetVersion""#, r#""GetVersion""#),
        (Command::GetFaders, r#""GetFaders""#, r#""GetFaders""#),
        (
            Command::GetSignalLevels,
            r#""GetSignalLevels""#,
            r#""GetSignalLevels""#,
        ),
        (
            Command::SetVolume(-10.5),
            r#"{"SetVolume":-10.5}"#,
            r#"{"SetVolume": -10.5}"#,
        ),
        (
            Command::SetFaderVolume { fader: 1, db: -6.0 },
            r#"{"SetFaderVolume":[1,-6.0]}"#,
            r#"{"SetFaderVolume": [1,-6.0]}"#,
        ),
        (
            Command::SetFaderMute {
                fader: 2,
                mute: true,
            },
            r#"{"SetFaderMute":[2,true]}"#,
            r#"{"SetFaderMute": [2,true]}"#,
        ),
        (
            Command::SetFaderVolume { fader: 7, db: 0.0 },
            r#"{"SetFaderVolume":[7,0.0]}"#,
            r#"{"SetFaderVolume":[7,0.0]}"#,
        ),
        (
            Command::GetConfigValue("/ptr".into()),
            r#"{"GetConfigValue":"/ptr"}"#,
            r#"{"GetConfigValue": "/ptr"}"#,
        ),
        (
            Command::SetConfigValue {
                pointer: "/ptr".into(),
                value: json!(-3.0),
            },
            r#"{"SetConfigValue":["/ptr",-3.0]}"#,
            r#"{"SetConfigValue": ["/ptr", -3.0]}"#,
        ),
        (
            Command::PatchConfig(patch()),
            r#"{"PatchConfig":{"filters":{"Bass":{"parameters":{"gain":6.0}},"ch1_gain":{"parameters":{"gain":-12.0}}}}}"#,
            r#"{"PatchConfig": {"filters":{"Bass":{"parameters":{"gain":6.0}},"ch1_gain":{"parameters":{"gain":-12.0}}}}}"#,
        ),
        (
            Command::GetSignalLevelsSince(0.1),
            r#"{"GetSignalLevelsSince":0.1}"#,
            r#"{"GetSignalLevelsSince": 0.1}"#,
        ),
        (
            Command::SetMute(true),
            r#"{"SetMute":true}"#,
            r#"{"SetMute": true}"#,
        ),
    ];
    for (cmd, compact, recorded) in cases {
        for v in [Version::V4, Version::V3] {
            let sent = encode(&cmd, v);
            assert_eq!(sent, compact);
            let sent: Value = serde_json::from_str(&sent).expect("JSON");
            let recorded: Value = serde_json::from_str(recorded).expect("JSON");
            assert_eq!(sent, recorded);
        }
    }
}

#[test]
fn reply_names_are_command_names() {
    assert_eq!(
        reply_name(&Command::SetFaderVolume { fader: 1, db: 0.0 }),
        "SetFaderVolume"
    );
    assert_eq!(
        reply_name(&Command::GetSignalLevelsSince(0.1)),
        "GetSignalLevelsSince"
    );
    assert_eq!(reply_name(&Command::PatchConfig(json!({}))), "PatchConfig");
}

#[test]
fn non_finite_numbers_go_out_as_null_never_panic() {
    assert_eq!(
        encode(&Command::SetVolume(f64::NAN), Version::V5),
        r#"{"command":"SetVolume","value":null}"#
    );
    assert_eq!(
        encode(&Command::SetVolume(f64::INFINITY), Version::V4),
        r#"{"SetVolume":null}"#
    );
}

#[test]
fn version_support() {
    let patch = Command::PatchConfig(json!({}));
    assert!(patch.supported_by(Version::V5) && patch.supported_by(Version::V4));
    assert!(!patch.supported_by(Version::V3));
    let vu = Command::SubscribeVuLevels {
        max_rate: 10.0,
        attack: 10.0,
        release: 300.0,
    };
    assert!(vu.supported_by(Version::V5) && !vu.supported_by(Version::V4));
    assert!(Command::GetFaders.supported_by(Version::V3));
}

// ── decode v5 ─────────────────────────────────────────────────────────────────────────────

#[test]
fn v5_ok_replies() {
    let r = reply(
        r#"{"reply":"GetVersion","result":"Ok","value":"5.0.0-beta.1"}"#,
        Version::V5,
    );
    assert_eq!(
        (r.name.as_str(), r.str()),
        ("GetVersion", Some("5.0.0-beta.1"))
    );
    assert!(r.is_ok());
    let r = reply(
        r#"{"reply":"GetState","result":"Ok","value":"Running"}"#,
        Version::V5,
    );
    assert_eq!(r.state(), Some(ProcessingState::Running));
    let r = reply(
        r#"{"reply":"GetStopReason","result":"Ok","value":"None"}"#,
        Version::V5,
    );
    assert_eq!(r.stop_reason().as_deref(), Some("None"));
    let r = reply(r#"{"reply":"SetVolume","result":"Ok"}"#, Version::V5);
    assert_eq!((r.result, r.value), (Outcome::Ok, None));
    let r = reply(
        r#"{"reply":"GetVolume","result":"Ok","value":-10.5}"#,
        Version::V5,
    );
    assert_eq!(r.f64(), Some(-10.5));
    let r = reply(
        r#"{"reply":"ToggleMute","result":"Ok","value":true}"#,
        Version::V5,
    );
    assert_eq!(r.bool(), Some(true));
    let r = reply(r#"{"reply":"SetFaderVolume","result":"Ok"}"#, Version::V5);
    assert!(r.is_ok());
    let r = reply(
        r#"{"reply":"AdjustFaderVolume","result":"Ok","value":[1,-7.5]}"#,
        Version::V5,
    );
    assert_eq!(r.fader_pair(), Some((1, -7.5)));
    let r = reply(
        r#"{"reply":"GetFaderMute","result":"Ok","value":[2,true]}"#,
        Version::V5,
    );
    assert_eq!(r.fader_mute_pair(), Some((2, true)));
    let r = reply(
        r#"{"reply":"GetCaptureRate","result":"Ok","value":47992}"#,
        Version::V5,
    );
    assert_eq!(r.u64(), Some(47992));
    let r = reply(
        r#"{"reply":"GetClippedSamples","result":"Ok","value":0}"#,
        Version::V5,
    );
    assert_eq!((r.u64(), r.f64()), (Some(0), Some(0.0)));
    let r = reply(
        r#"{"reply":"GetProcessingLoad","result":"Ok","value":0.13876875}"#,
        Version::V5,
    );
    assert_eq!(r.f64(), Some(0.13876875));
}

#[test]
fn v5_faders() {
    let r = reply(
        r#"{"reply":"GetFaders","result":"Ok","value":[{"volume":-13.5,"mute":false},{"volume":0.0,"mute":false},{"volume":0.0,"mute":false},{"volume":0.0,"mute":true},{"volume":0.0,"mute":false}]}"#,
        Version::V5,
    );
    assert_eq!(
        r.faders(),
        Some(vec![
            (-13.5, false),
            (0.0, false),
            (0.0, false),
            (0.0, true),
            (0.0, false)
        ])
    );
}

#[test]
fn v5_signal_levels() {
    let r = reply(
        r#"{"reply":"GetSignalLevels","result":"Ok","value":{"playback_rms":[-30.04,-22.54],"playback_peak":[-27.0,-19.5],"capture_rms":[-9.04,-9.04],"capture_peak":[-6.0,-6.0]}}"#,
        Version::V5,
    );
    assert_eq!(
        r.levels(),
        Some(Levels {
            capture_rms: vec![-9.04, -9.04],
            capture_peak: vec![-6.0, -6.0],
            playback_rms: vec![-30.04, -22.54],
            playback_peak: vec![-27.0, -19.5],
        })
    );
}

#[test]
fn v5_config_values() {
    let r = reply(
        r#"{"reply":"GetConfigValue","result":"Ok","value":{"freq":85.0,"gain":0.0,"q":0.9,"type":"Lowshelf"}}"#,
        Version::V5,
    );
    assert_eq!(
        r.value,
        Some(json!({"freq":85.0,"gain":0.0,"q":0.9,"type":"Lowshelf"}))
    );
    assert!(reply(r#"{"reply":"PatchConfig","result":"Ok"}"#, Version::V5).is_ok());
    assert!(reply(r#"{"reply":"SetConfigValue","result":"Ok"}"#, Version::V5).is_ok());
}

#[test]
fn get_config_json_is_parsed_twice() {
    let r = reply(
        r#"{"reply":"GetConfigJson","result":"Ok","value":"{\"title\":\"bridge-test\",\"filters\":{\"Bass\":{\"type\":\"Biquad\"}}}"}"#,
        Version::V5,
    );
    let config = r.config_json().expect("a JSON string holding JSON");
    assert_eq!(config["title"], json!("bridge-test"));
    assert_eq!(config["filters"]["Bass"]["type"], json!("Biquad"));
    // Started without a config.
    let r = reply(
        r#"{"reply":"GetConfigJson","result":"Ok","value":"null"}"#,
        Version::V5,
    );
    assert_eq!(r.config_json(), Some(Value::Null));
    // Not a string, or a string that is not JSON.
    let r = reply(
        r#"{"reply":"GetConfigJson","result":"Ok","value":{"a":1}}"#,
        Version::V5,
    );
    assert_eq!(r.config_json(), None);
    let r = reply(
        r#"{"reply":"GetConfigJson","result":"Ok","value":"title: x"}"#,
        Version::V5,
    );
    assert_eq!(r.config_json(), None);
}

#[test]
fn v5_errors() {
    let r = reply(
        r#"{"reply":"SetFaderVolume","result":"InvalidFaderError"}"#,
        Version::V5,
    );
    assert_eq!(r.result, err("InvalidFaderError", None));
    assert_eq!(r.name, "SetFaderVolume");
    let r = reply(
        r#"{"reply":"PatchConfig","result":"ConfigValidationError","message":"filters.ch0_gain.parameters.gain: Gain must be less than +150 dB"}"#,
        Version::V5,
    );
    assert_eq!(
        r.result,
        err(
            "ConfigValidationError",
            Some("filters.ch0_gain.parameters.gain: Gain must be less than +150 dB")
        )
    );
    let r = reply(
        r#"{"reply":"PatchConfig","result":"ConfigReadError","message":"invalid type: string \"loud\", expected f64"}"#,
        Version::V5,
    );
    assert_eq!(
        r.result,
        err(
            "ConfigReadError",
            Some("invalid type: string \"loud\", expected f64")
        )
    );
    let r = reply(
        r#"{"reply":"SetConfigValue","result":"InvalidRequestError","message":"The active config does not contain the path '{}'"}"#,
        Version::V5,
    );
    assert_eq!(
        r.result,
        err(
            "InvalidRequestError",
            Some("The active config does not contain the path '{}'")
        )
    );
    let r = reply(
        r#"{"reply":"SetFaderVolume","result":"RateLimitExceededError"}"#,
        Version::V5,
    );
    assert_eq!(r.result, err("RateLimitExceededError", None));
}

#[test]
fn v5_invalid() {
    assert_eq!(
        decode(
            r#"{"reply":"Invalid","error":"Only StopSubscription is accepted while streaming is active"}"#,
            Version::V5
        ),
        Ok(Incoming::Invalid(
            "Only StopSubscription is accepted while streaming is active".into()
        ))
    );
}

#[test]
fn v5_vu_levels_event() {
    let text = r#"{"reply":"VuLevelsEvent","result":"Ok","value":{"playback_rms":[-27.0,-200.0],"playback_peak":[-24.0,-200.0],"capture_rms":[-9.04,-9.04],"capture_peak":[-6.0,-6.0]}}"#;
    let Ok(Incoming::Event(Event::VuLevels(levels))) = decode(text, Version::V5) else {
        panic!("not a VU event");
    };
    assert_eq!(levels.playback_rms, vec![-27.0, -200.0]);
    assert!(Levels::is_silence(levels.playback_rms[1]));
    assert!(!Levels::is_silence(levels.playback_rms[0]));
    assert!(matches!(
        decode(
            r#"{"reply":"VuLevelsEvent","result":"Ok","value":{"playback_rms":"loud"}}"#,
            Version::V5
        ),
        Err(ProtocolError::UnexpectedShape(_))
    ));
}

#[test]
fn v5_state_events() {
    let cases = [
        (
            r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Inactive","stop_reason":"None"}}"#,
            ProcessingState::Inactive,
            Some("None"),
        ),
        (
            r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Starting"}}"#,
            ProcessingState::Starting,
            None,
        ),
        (
            r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Running"}}"#,
            ProcessingState::Running,
            None,
        ),
        (
            r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Inactive","stop_reason":{"CaptureError":"device gone"}}}"#,
            ProcessingState::Inactive,
            Some("CaptureError: device gone"),
        ),
    ];
    for (text, state, stop_reason) in cases {
        assert_eq!(
            decode(text, Version::V5),
            Ok(Incoming::Event(Event::State {
                state,
                stop_reason: stop_reason.map(Into::into)
            })),
            "{text}"
        );
    }
    assert!(matches!(
        decode(
            r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Dancing"}}"#,
            Version::V5
        ),
        Err(ProtocolError::UnexpectedShape(_))
    ));
}

#[test]
fn processing_states_by_wire_name() {
    for name in ["Running", "Paused", "Inactive", "Starting", "Stalled"] {
        let state: ProcessingState = name.parse().expect("a wire name");
        assert_eq!(state.to_string(), name);
    }
    assert!("running".parse::<ProcessingState>().is_err());
}

// ── decode v4 ─────────────────────────────────────────────────────────────────────────────

#[test]
fn v4_ok_replies() {
    let r = reply(
        r#"{"GetVersion":{"result":"Ok","value":"4.1.3"}}"#,
        Version::V4,
    );
    assert_eq!((r.name.as_str(), r.str()), ("GetVersion", Some("4.1.3")));
    let r = reply(
        r#"{"AdjustVolume":{"result":"Ok","value":-13.5}}"#,
        Version::V4,
    );
    assert_eq!(r.f64(), Some(-13.5));
    let r = reply(
        r#"{"AdjustFaderVolume":{"result":"Ok","value":[1,-7.5]}}"#,
        Version::V4,
    );
    assert_eq!(r.fader_pair(), Some((1, -7.5)));
    let r = reply(
        r#"{"GetFaderVolume":{"result":"Ok","value":[1,-7.5]}}"#,
        Version::V3,
    );
    assert_eq!(r.fader_pair(), Some((1, -7.5)));
    let r = reply(r#"{"SetVolume":{"result":"Ok"}}"#, Version::V4);
    assert_eq!((r.result, r.value), (Outcome::Ok, None));
}

#[test]
fn v4_levels_keep_the_minus_1000_floor() {
    let r = reply(
        r#"{"GetSignalLevels":{"result":"Ok","value":{"playback_rms":[-30.06,-1000.0],"playback_peak":[-27.0,-1000.0],"capture_rms":[-9.04,-9.04],"capture_peak":[-6.0,-6.0]}}}"#,
        Version::V4,
    );
    let levels = r.levels().expect("levels");
    assert_eq!(levels.playback_rms, vec![-30.06, -1000.0]);
    assert!(Levels::is_silence(levels.playback_rms[1]));
    assert!(Levels::is_silence(-200.0) && Levels::is_silence(-199.0));
    assert!(!Levels::is_silence(-198.9) && !Levels::is_silence(-150.0));
}

#[test]
fn v4_errors() {
    let r = reply(
        r#"{"SetFaderVolume":{"result":"InvalidFaderError"}}"#,
        Version::V4,
    );
    assert_eq!(
        (r.name.as_str(), r.result),
        ("SetFaderVolume", err("InvalidFaderError", None))
    );
    let r = reply(
        r#"{"PatchConfig":{"result":{"ConfigValidationError":"Invalid filter 'ch0_gain'. Reason: Gain must be less than +150 dB"}}}"#,
        Version::V4,
    );
    assert_eq!(
        r.result,
        err(
            "ConfigValidationError",
            Some("Invalid filter 'ch0_gain'. Reason: Gain must be less than +150 dB")
        )
    );
    let r = reply(
        r#"{"SetConfigJson":{"result":{"ConfigReadError":"expected value at line 1 column 1"}}}"#,
        Version::V4,
    );
    assert_eq!(
        r.result,
        err("ConfigReadError", Some("expected value at line 1 column 1"))
    );
    // A two-key error object is not an error shape we know.
    assert!(matches!(
        decode(
            r#"{"PatchConfig":{"result":{"A":"x","B":"y"}}}"#,
            Version::V4
        ),
        Err(ProtocolError::UnexpectedShape(_))
    ));
}

#[test]
fn v4_invalid() {
    assert_eq!(
        decode(
            r#"{"Invalid":{"error":"unknown variant `command`, expected one of `GetVersion`"}}"#,
            Version::V4
        ),
        Ok(Incoming::Invalid(
            "unknown variant `command`, expected one of `GetVersion`".into()
        ))
    );
}

// ── version detection ─────────────────────────────────────────────────────────────────────

#[test]
fn detects_v5_from_its_reply() {
    assert_eq!(
        detect_version(r#"{"reply":"GetVersion","result":"Ok","value":"5.0.0-beta.1"}"#),
        Detect::V5("5.0.0-beta.1".into())
    );
    assert_eq!(parse_version("5.0.0-beta.1"), Some(Version::V5));
}

#[test]
fn detects_v4_by_invalid_then_asks_again() {
    assert_eq!(
        detect_version(r#"{"Invalid":{"error":"unknown variant `command`, expected one of ..."}}"#),
        Detect::AskV4
    );
    assert_eq!(encode(&Command::GetVersion, Version::V4), r#""GetVersion""#);
    let r = reply(
        r#"{"GetVersion":{"result":"Ok","value":"4.1.3"}}"#,
        Version::V4,
    );
    assert_eq!(r.str().and_then(parse_version), Some(Version::V4));
}

#[test]
fn detection_of_garbage_is_unrecognized() {
    for text in [
        "",
        "{",
        "[]",
        r#"{"reply":"GetVersion","result":"Ok","value":5}"#,
        r#"{"reply":"Invalid","error":"x"}"#,
    ] {
        assert!(
            matches!(detect_version(text), Detect::Unrecognized(_)),
            "{text}"
        );
    }
    let long = "x".repeat(1000);
    let Detect::Unrecognized(excerpt) = detect_version(&long) else {
        panic!("garbage")
    };
    assert!(excerpt.chars().count() <= EXCERPT_CHARS);
}

#[test]
fn version_strings() {
    assert_eq!(parse_version("4.1.3"), Some(Version::V4));
    assert_eq!(parse_version("4.0.0"), Some(Version::V4));
    assert_eq!(parse_version("3.0.1"), Some(Version::V3));
    assert_eq!(parse_version("2.0.3"), Some(Version::V3));
    assert_eq!(parse_version("6.0.0"), Some(Version::V5));
    for bad in ["1.0.0", "", "x.y", "-4", "99999999999999999999.0"] {
        assert_eq!(parse_version(bad), None, "{bad}");
    }
}

// ── hostile input ─────────────────────────────────────────────────────────────────────────

#[test]
fn wrong_value_types_decode_and_accessors_say_none() {
    let r = reply(
        r#"{"reply":"GetVolume","result":"Ok","value":"-10.5"}"#,
        Version::V5,
    );
    assert_eq!((r.f64(), r.bool(), r.u64()), (None, None, None));
    let r = reply(r#"{"GetMute":{"result":"Ok","value":0}}"#, Version::V4);
    assert_eq!(r.bool(), None);
    let r = reply(
        r#"{"reply":"GetFaderVolume","result":"Ok","value":[300,-7.5]}"#,
        Version::V5,
    );
    assert_eq!(r.fader_pair(), None, "fader index beyond u8");
    let r = reply(
        r#"{"reply":"GetFaderVolume","result":"Ok","value":[1,-7.5,0]}"#,
        Version::V5,
    );
    assert_eq!(r.fader_pair(), None);
    let r = reply(
        r#"{"reply":"GetFaderVolume","result":"Ok","value":[-1,-7.5]}"#,
        Version::V5,
    );
    assert_eq!(r.fader_pair(), None);
    let r = reply(
        r#"{"reply":"GetFaders","result":"Ok","value":[{"volume":"x","mute":false}]}"#,
        Version::V5,
    );
    assert_eq!(r.faders(), None);
    let r = reply(
        r#"{"reply":"GetSignalLevels","result":"Ok","value":{"playback_rms":[1]}}"#,
        Version::V5,
    );
    assert_eq!(r.levels(), None);
    let r = reply(
        r#"{"reply":"GetState","result":"Ok","value":"Exploded"}"#,
        Version::V5,
    );
    assert_eq!(r.state(), None);
    let r = reply(
        r#"{"reply":"GetCaptureRate","result":"Ok","value":-5}"#,
        Version::V5,
    );
    assert_eq!(r.u64(), None);
}

#[test]
fn unknown_reply_names_are_kept() {
    let r = reply(
        r#"{"reply":"GetSpectrum","result":"Ok","value":[1,2]}"#,
        Version::V5,
    );
    assert_eq!(r.name, "GetSpectrum");
    let r = reply(
        r#"{"FutureThing":{"result":"Ok","value":{"a":1}}}"#,
        Version::V4,
    );
    assert_eq!(r.name, "FutureThing");
    // An event name with an error result stays a reply.
    let r = reply(
        r#"{"reply":"VuLevelsEvent","result":"ProcessingStopped"}"#,
        Version::V5,
    );
    assert_eq!(r.result, err("ProcessingStopped", None));
}

#[test]
fn not_json_or_not_a_reply_is_an_error() {
    let not_json = [
        "",
        "   ",
        r#"{"reply":"GetVolume","result":"Ok","value":-10"#,
        r#"{"reply":"GetVol"#,
        "\u{0}",
        r#"{"reply":"GetVolume","result":"Ok","value":1e400}"#,
    ];
    for text in not_json {
        for v in [Version::V5, Version::V4] {
            assert!(
                matches!(decode(text, v), Err(ProtocolError::NotJson(_))),
                "{text:?}"
            );
        }
    }
    let wrong_shape_v5 = [
        "[]",
        "42",
        r#""GetVersion""#,
        r#"{"GetVersion":{"result":"Ok","value":"4.1.3"}}"#,
        r#"{"reply":5,"result":"Ok"}"#,
        r#"{"reply":"GetVolume"}"#,
        r#"{"reply":"GetVolume","result":7}"#,
    ];
    for text in wrong_shape_v5 {
        assert!(
            matches!(
                decode(text, Version::V5),
                Err(ProtocolError::UnexpectedShape(_))
            ),
            "{text}"
        );
    }
    let wrong_shape_v4 = [
        "{}",
        r#"{"a":{"result":"Ok"},"b":{"result":"Ok"}}"#,
        r#"{"GetVolume":"Ok"}"#,
        r#"{"GetVolume":{"value":1}}"#,
        r#"{"GetVolume":{"result":null}}"#,
    ];
    for text in wrong_shape_v4 {
        assert!(
            matches!(
                decode(text, Version::V4),
                Err(ProtocolError::UnexpectedShape(_))
            ),
            "{text}"
        );
    }
}

#[test]
fn huge_numbers_and_deep_nesting_do_not_panic() {
    let huge = r#"{"reply":"GetCaptureRate","result":"Ok","value":123456789012345678901234567890}"#;
    let r = reply(huge, Version::V5);
    assert_eq!(r.u64(), None, "beyond u64 reads as an f64 only");
    let r = reply(
        r#"{"reply":"GetVolume","result":"Ok","value":1.7e308}"#,
        Version::V5,
    );
    assert_eq!(r.f64(), Some(1.7e308));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        decode(&deep, Version::V5),
        Err(ProtocolError::NotJson(_))
    ));
    let deep_value = format!(
        r#"{{"reply":"GetVolume","result":"Ok","value":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(
        decode(&deep_value, Version::V4),
        Err(ProtocolError::NotJson(_))
    ));
}

#[test]
fn error_excerpts_are_short_and_cut_on_char_boundaries() {
    let long = format!("{{\"reply\":{}", "é".repeat(500));
    let Err(ProtocolError::NotJson(excerpt)) = decode(&long, Version::V5) else {
        panic!("not JSON")
    };
    assert!(excerpt.chars().count() <= EXCERPT_CHARS);
    let long_shape = format!("[\"{}\"]", "ü".repeat(500));
    let Err(e) = decode(&long_shape, Version::V4) else {
        panic!("wrong shape")
    };
    assert!(e.to_string().chars().count() < EXCERPT_CHARS + 100, "{e}");
}

// ── properties ────────────────────────────────────────────────────────────────────────────

/// Every reply string §4 records, both formats.
const RECORDED: &[&str] = &[
    r#"{"reply":"GetVersion","result":"Ok","value":"5.0.0-beta.1"}"#,
    r#"{"reply":"GetFaders","result":"Ok","value":[{"volume":-13.5,"mute":false},{"volume":0.0,"mute":false}]}"#,
    r#"{"reply":"AdjustFaderVolume","result":"Ok","value":[1,-7.5]}"#,
    r#"{"reply":"SetFaderVolume","result":"InvalidFaderError"}"#,
    r#"{"reply":"GetSignalLevels","result":"Ok","value":{"playback_rms":[-30.04,-22.54],"playback_peak":[-27.0,-19.5],"capture_rms":[-9.04,-9.04],"capture_peak":[-6.0,-6.0]}}"#,
    r#"{"reply":"PatchConfig","result":"ConfigValidationError","message":"filters.ch0_gain.parameters.gain: Gain must be less than +150 dB"}"#,
    r#"{"reply":"VuLevelsEvent","result":"Ok","value":{"playback_rms":[-1.0],"playback_peak":[-1.0],"capture_rms":[-200.0],"capture_peak":[-200.0]}}"#,
    r#"{"reply":"StateEvent","result":"Ok","value":{"state":"Inactive","stop_reason":"None"}}"#,
    r#"{"reply":"Invalid","error":"Only StopSubscription is accepted while streaming is active"}"#,
    r#"{"GetVersion":{"result":"Ok","value":"4.1.3"}}"#,
    r#"{"SetFaderVolume":{"result":"InvalidFaderError"}}"#,
    r#"{"PatchConfig":{"result":{"ConfigValidationError":"Invalid filter 'ch0_gain'. Reason: Gain must be less than +150 dB"}}}"#,
    r#"{"Invalid":{"error":"unknown variant `command`, ..."}}"#,
];

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V5), Just(Version::V4), Just(Version::V3)]
}

/// A recorded reply with a few characters replaced, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6);
    (prop::sample::select(RECORDED), edits).prop_map(|(text, edits)| {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = c,
                1 => chars.insert(i, c),
                _ if i < chars.len() => {
                    chars.remove(i);
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    })
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z/]{0,12}".prop_map(Value::from),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let finite = -1.0e6f64..1.0e6;
    prop_oneof![
        Just(Command::GetVersion),
        Just(Command::GetFaders),
        Just(Command::Reload),
        finite.clone().prop_map(Command::SetVolume),
        any::<bool>().prop_map(Command::SetMute),
        (any::<u8>(), finite.clone()).prop_map(|(fader, db)| Command::SetFaderVolume { fader, db }),
        (any::<u8>(), any::<bool>())
            .prop_map(|(fader, mute)| Command::SetFaderMute { fader, mute }),
        (0.0f64..10.0).prop_map(Command::GetSignalLevelsSince),
        ".*".prop_map(Command::SetConfigJson),
        ".*".prop_map(Command::GetConfigValue),
        (".*", json_leaf()).prop_map(|(pointer, value)| Command::SetConfigValue { pointer, value }),
        ("[a-z]{1,8}", json_leaf()).prop_map(|(k, v)| Command::PatchConfig(json!({ k: v }))),
        (finite.clone(), finite.clone(), finite).prop_map(|(max_rate, attack, release)| {
            Command::SubscribeVuLevels {
                max_rate,
                attack,
                release,
            }
        }),
    ]
}

proptest! {
    #[test]
    fn decode_never_panics_on_any_string(text in ".*", v in version()) {
        let _ = decode(&text, v);
        let _ = detect_version(&text);
    }

    #[test]
    fn decode_never_panics_on_mutated_replies(text in mutated(), v in version()) {
        if let Err(e) = decode(&text, v) {
            let e = e.to_string();
            prop_assert!(e.chars().count() <= EXCERPT_CHARS + 100, "{}", e);
        }
        let _ = detect_version(&text);
    }

    /// A v5 request is one JSON object naming its reply, and the server's echo of its value
    /// decodes to a reply of that name carrying the same value.
    #[test]
    fn v5_requests_round_trip(cmd in command()) {
        let sent: Value = serde_json::from_str(&encode(&cmd, Version::V5)).expect("encode emits JSON");
        prop_assert_eq!(sent.get("command").and_then(Value::as_str), Some(reply_name(&cmd)));
        let mut echo = json!({"reply": reply_name(&cmd), "result": "Ok"});
        if let Some(value) = sent.get("value") {
            echo["value"] = value.clone();
        }
        let Ok(Incoming::Reply(r)) = decode(&echo.to_string(), Version::V5) else {
            return Err(TestCaseError::fail(format!("{echo} did not decode")));
        };
        prop_assert_eq!(r.name.as_str(), reply_name(&cmd));
        prop_assert_eq!(r.value.as_ref(), sent.get("value"));
        match &cmd {
            Command::SetVolume(db) | Command::GetSignalLevelsSince(db) => prop_assert_eq!(r.f64(), Some(*db)),
            Command::SetMute(mute) => prop_assert_eq!(r.bool(), Some(*mute)),
            Command::SetConfigJson(s) | Command::GetConfigValue(s) => prop_assert_eq!(r.str(), Some(s.as_str())),
            Command::PatchConfig(patch) => prop_assert_eq!(r.value.as_ref(), Some(patch)),
            Command::SetFaderVolume { fader, db } => {
                prop_assert_eq!(sent.get("fader").and_then(Value::as_u64), Some(u64::from(*fader)));
                prop_assert_eq!(r.f64(), Some(*db));
            }
            _ => {}
        }
    }

    /// v4 carries the same argument positionally.
    #[test]
    fn v4_requests_carry_the_v5_value(cmd in command()) {
        let v5: Value = serde_json::from_str(&encode(&cmd, Version::V5)).expect("JSON");
        let v4: Value = serde_json::from_str(&encode(&cmd, Version::V4)).expect("JSON");
        match v4 {
            Value::String(name) => prop_assert_eq!(name.as_str(), reply_name(&cmd)),
            Value::Object(o) => {
                prop_assert_eq!(o.len(), 1);
                let arg = o.get(reply_name(&cmd));
                prop_assert!(arg.is_some());
                match &cmd {
                    Command::SetFaderVolume { .. } | Command::SetFaderMute { .. } => {
                        prop_assert_eq!(arg, Some(&json!([v5["fader"], v5["value"]])));
                    }
                    Command::SetConfigValue { .. } => {
                        prop_assert_eq!(arg, Some(&json!([v5["pointer"], v5["value"]])));
                    }
                    _ => prop_assert_eq!(arg, v5.get("value")),
                }
            }
            other => return Err(TestCaseError::fail(format!("v4 request {other}"))),
        }
    }
}
