//! The websocket's messages, as types (`docs/web-protocol.md`). What a page sends is read
//! strictly: an unknown type or field, a missing one or a wrong shape is refused whole.

use serde::{Deserialize, Serialize};

/// Longest message a page may send, bytes (the longest real one is under 100).
pub const MAX_CLIENT_MESSAGE: usize = 1024;

/// A message from the page.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientMessage {
    /// A fader position, 0–1 (clamped).
    Fader {
        /// The strip.
        index: usize,
        /// Where along the travel.
        pos: f64,
    },
    /// Mute on or off.
    Mute {
        /// The strip.
        index: usize,
        /// Muted.
        on: bool,
    },
    /// Solo on or off.
    Solo {
        /// The strip.
        index: usize,
        /// Soloed.
        on: bool,
    },
    /// The stabilizer on or off.
    Stabilizer {
        /// Switched on.
        on: bool,
    },
    /// The stabilizer's target, LUFS (clamped to −40…−5).
    Target {
        /// LUFS.
        lufs: f64,
    },
    /// Recall a scene.
    Scene {
        /// Its slot, 1–99.
        slot: u32,
    },
    /// Are you there?
    Ping,
}

/// Why a page's message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Longer than [`MAX_CLIENT_MESSAGE`].
    #[error("message of {0} bytes is over the {MAX_CLIENT_MESSAGE}-byte limit")]
    TooLong(usize),
    /// Not one of the messages.
    #[error("unreadable message: {0}")]
    Unreadable(String),
}

/// Read one text message from a page.
pub fn parse_client(text: &str) -> Result<ClientMessage, Refusal> {
    if text.len() > MAX_CLIENT_MESSAGE {
        return Err(Refusal::TooLong(text.len()));
    }
    serde_json::from_str(text).map_err(|e| Refusal::Unreadable(e.to_string()))
}

/// One strip as the page shows it. In a `strip` update only the fields that changed are set.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StripOut {
    /// Its place in the list.
    pub index: usize,
    /// `CH 01`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The mixer's name, or the default label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Scribble-strip colour, `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Fader position, 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fader: Option<f64>,
    /// The fader in its unit (`-10.0 dB`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    /// Where 0 dB sits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unity: Option<f64>,
    /// Scale marks: position and label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marks: Option<Vec<(f64, String)>>,
    /// Has a mute button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
    /// Has a solo button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solo: Option<bool>,
    /// Muted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Soloed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soloed: Option<bool>,
    /// Has a meter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter: Option<bool>,
    /// The master strip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<bool>,
}

/// A bank of strips the page can switch to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BankOut {
    /// `CH 1–8`.
    pub label: String,
    /// The strips' indexes.
    pub strips: Vec<usize>,
}

/// The stabilizer as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StabilizerOut {
    /// Switched on.
    pub on: bool,
    /// Target, LUFS.
    pub target: f64,
    /// Lowest target.
    pub min: f64,
    /// Highest target.
    pub max: f64,
    /// Target step.
    pub step: f64,
    /// The preset targets.
    pub presets: [f64; 4],
    /// Momentary loudness, LUFS.
    pub loudness: Option<f64>,
    /// What it is doing, a short phrase.
    pub status: String,
    /// The strip it rides (`MTX 1`).
    pub source: String,
    /// How far it has moved the fader from home, dB.
    pub gain_db: Option<f64>,
}

/// A saved scene.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SceneOut {
    /// Its slot.
    pub slot: u32,
    /// Its name.
    pub name: String,
}

/// A journal line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JournalOut {
    /// `14:03:12`, local time.
    pub at: String,
    /// `web:Anna's phone`.
    pub origin: String,
    /// The parameter.
    pub what: String,
    /// `-10.0 dB → -5.0 dB`.
    pub change: String,
}

/// Everything the page needs to draw itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hello {
    /// The paired browser's name.
    pub device: String,
    /// The desk's language.
    pub lang: &'static str,
    /// The desk's theme.
    pub theme: &'static str,
    /// Every strip; the master last.
    pub strips: Vec<StripOut>,
    /// How the strips page.
    pub banks: Vec<BankOut>,
    /// The stabilizer, when there is an X32 to ride.
    pub stabilizer: Option<StabilizerOut>,
    /// Saved scenes.
    pub scenes: Vec<SceneOut>,
    /// The last recalled scene, 0 for none.
    pub current_scene: u32,
    /// The journal's last lines, newest last.
    pub journal: Vec<JournalOut>,
    /// Each configured mixer's link state.
    pub links: std::collections::BTreeMap<&'static str, &'static str>,
}

/// A message to the page.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// Everything, first (and again after the page fell behind).
    Hello(Hello),
    /// What changed on one strip.
    Strip(StripOut),
    /// Meter positions, one per strip.
    Meters {
        /// 0–1, or none for strips without a meter.
        levels: Vec<Option<f64>>,
        /// Strips that clipped lately.
        clip: Vec<usize>,
    },
    /// The stabilizer, whole.
    Stabilizer(StabilizerOut),
    /// The scene list.
    Scenes {
        /// Saved scenes.
        scenes: Vec<SceneOut>,
        /// The last recalled, 0 for none.
        current_scene: u32,
    },
    /// The journal's last lines.
    Journal {
        /// Newest last.
        journal: Vec<JournalOut>,
    },
    /// The desk's language or theme changed.
    Look {
        /// `en` or `fr`.
        lang: &'static str,
        /// `dark`, `light` or `contrast`.
        theme: &'static str,
    },
    /// The mixers' link states.
    Links {
        /// By mixer.
        links: std::collections::BTreeMap<&'static str, &'static str>,
    },
    /// Something the user should read.
    Notice {
        /// In English.
        message: String,
    },
    /// The answer to a ping.
    Pong,
}

impl ServerMessage {
    /// As the text frame sent.
    pub fn to_text(&self) -> String {
        // Only plain data and finite floats go in: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a web message could not be written");
            String::from("{\"type\":\"notice\",\"message\":\"internal error\"}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_page_messages_read() {
        assert_eq!(
            parse_client(r#"{"type":"fader","index":3,"pos":0.5}"#),
            Ok(ClientMessage::Fader { index: 3, pos: 0.5 })
        );
        assert_eq!(
            parse_client(r#"{"type":"scene","slot":2}"#),
            Ok(ClientMessage::Scene { slot: 2 })
        );
        assert_eq!(parse_client(r#"{"type":"ping"}"#), Ok(ClientMessage::Ping));
        assert_eq!(
            parse_client(r#"{"type":"target","lufs":-16}"#),
            Ok(ClientMessage::Target { lufs: -16.0 })
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "null",
            "[]",
            r#"{"type":"fader","index":-1,"pos":0.5}"#,
            r#"{"type":"fader","index":1}"#,
            r#"{"type":"fader","index":1,"pos":"high"}"#,
            r#"{"type":"fader","index":1,"pos":0.5,"extra":1}"#,
            r#"{"type":"delete-everything"}"#,
            r#"{"index":1,"pos":0.5}"#,
            r#"{"type":"mute","index":1,"on":1}"#,
        ] {
            assert!(
                matches!(parse_client(bad), Err(Refusal::Unreadable(_))),
                "{bad}"
            );
        }
        let long = format!(
            r#"{{"type":"ping","pad":"{}"}}"#,
            "x".repeat(MAX_CLIENT_MESSAGE)
        );
        assert!(matches!(parse_client(&long), Err(Refusal::TooLong(_))));
    }

    #[test]
    fn updates_carry_only_what_changed() {
        let m = ServerMessage::Strip(StripOut {
            index: 2,
            fader: Some(0.25),
            db: Some("-30.0 dB".into()),
            ..StripOut::default()
        });
        assert_eq!(
            m.to_text(),
            r#"{"type":"strip","index":2,"fader":0.25,"db":"-30.0 dB"}"#
        );
        assert_eq!(ServerMessage::Pong.to_text(), r#"{"type":"pong"}"#);
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(text in ".{0,1200}") {
            let _ = parse_client(&text);
        }

        #[test]
        fn near_miss_json_never_panics(
            kind in "(fader|mute|solo|scene|target|stabilizer|ping|x)",
            index in proptest::num::i64::ANY,
            pos in proptest::num::f64::ANY,
        ) {
            let text = format!(r#"{{"type":"{kind}","index":{index},"pos":{pos},"on":true,"slot":{index},"lufs":{pos}}}"#);
            let _ = parse_client(&text);
        }
    }
}
