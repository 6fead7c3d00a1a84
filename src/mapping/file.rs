//! A mapping file as written: serde types, unknown keys refused, spans kept on everything a
//! later check must point back to. `build.rs` turns this into the checked [`super::Mapping`].

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MappingFile {
    pub device: Spanned<DeviceFile>,
    pub banks: Option<Spanned<BanksFile>>,
    #[serde(default, rename = "control")]
    pub controls: Vec<Spanned<ControlFile>>,
    #[serde(default, rename = "display")]
    pub displays: Vec<Spanned<DisplayFile>>,
    #[serde(default, rename = "meter")]
    pub meters: Vec<Spanned<MeterFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceFile {
    pub name: String,
    pub input: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub network: Option<Spanned<NetworkFile>>,
    pub gpio: Option<Spanned<bool>>,
    #[serde(default)]
    pub init: Vec<Spanned<String>>,
    pub feedback_rate: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkFile {
    pub listen: Spanned<String>,
    pub peer: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BanksFile {
    pub strips: Spanned<i64>,
    pub channels: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ControlFile {
    pub name: Option<String>,
    pub repeat: Option<Spanned<i64>>,
    pub strip: Option<Spanned<i64>>,
    pub source: Spanned<SourceFile>,
    pub character: Option<Spanned<CharacterFile>>,
    pub target: Option<Spanned<String>>,
    pub action: Option<Spanned<String>>,
    pub layer: Option<Spanned<String>>,
    pub source_range: Option<Spanned<Vec<f64>>>,
    pub target_range: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub invert: bool,
    pub step: Option<Spanned<i64>>,
    pub acceleration: Option<Spanned<i64>>,
    pub takeover: Option<TakeoverFile>,
    pub button: Option<ButtonFile>,
    pub feedback: Option<Spanned<FeedbackFile>>,
    pub motor: Option<Spanned<MotorFile>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceFile {
    pub channel: Option<Spanned<i64>>,
    pub note: Option<Spanned<i64>>,
    pub cc: Option<Spanned<i64>>,
    pub cc14: Option<Spanned<i64>>,
    #[serde(default)]
    pub lsb_first: bool,
    #[serde(default)]
    pub pitch_bend: bool,
    pub nrpn: Option<Spanned<i64>>,
    #[serde(default)]
    pub fourteen_bit: bool,
    #[serde(default)]
    pub program_change: bool,
    pub gpio: Option<Spanned<String>>,
    pub a: Option<Spanned<i64>>,
    pub b: Option<Spanned<i64>>,
    pub pin: Option<Spanned<i64>>,
    pub steps_per_detent: Option<Spanned<i64>>,
    pub pull: Option<Spanned<String>>,
    pub long_press_ms: Option<Spanned<i64>>,
    pub debounce_ms: Option<Spanned<i64>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub(super) enum CharacterFile {
    Range,
    Button,
    ToggleButton,
    RelativeTwosComplement,
    RelativeOffset64,
    RelativeSignBit,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub(super) enum TakeoverFile {
    Off,
    Pickup,
    PickupTolerant,
    CatchUp,
    Parallel,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub(super) enum ButtonFile {
    Momentary,
    Toggle,
    OnPress,
    OnRelease,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RingFile {
    Dot,
    BoostCut,
    Wrap,
    Spread,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MotorFile {
    pub touch_note: Option<Spanned<i64>>,
    pub touch_channel: Option<Spanned<i64>>,
}

/// `feedback = "auto" | "none"`, or a table: `{ on = 127, off = 0 }`, `{ values = [...] }`,
/// `{ ring = "dot", cc = 48 }`.
pub(super) enum FeedbackFile {
    Keyword(String),
    Table(FeedbackTable),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedbackTable {
    pub on: Option<Spanned<i64>>,
    pub off: Option<Spanned<i64>>,
    pub values: Option<Spanned<Vec<i64>>>,
    pub ring: Option<RingFile>,
    pub note: Option<Spanned<i64>>,
    pub cc: Option<Spanned<i64>>,
    pub channel: Option<Spanned<i64>>,
}

impl<'de> Deserialize<'de> for FeedbackFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeedbackFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "\"auto\", \"none\", { on = 127, off = 0 }, { values = [...] } or \
                     { ring = \"dot\", cc = 48 }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FeedbackFile, E> {
                Ok(FeedbackFile::Keyword(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FeedbackFile, A::Error> {
                FeedbackTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(FeedbackFile::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DisplayFile {
    pub kind: Spanned<String>,
    pub line: Option<Spanned<i64>>,
    pub strips: Option<Spanned<i64>>,
    pub model: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MeterFile {
    pub kind: Spanned<String>,
    pub channel: Option<Spanned<i64>>,
    pub cc: Option<Spanned<i64>>,
    pub strips: Option<Spanned<i64>>,
    pub strip: Option<Spanned<StripRef>>,
    pub max: Option<Spanned<i64>>,
    pub floor_db: Option<Spanned<f64>>,
}

/// `strip = "ch/01"` (fixed) or `strip = 2` (the second bank strip).
pub(super) enum StripRef {
    Name(String),
    Position(i64),
}

impl<'de> Deserialize<'de> for StripRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StripRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a strip like \"ch/01\" or a bank position like 1")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StripRef, E> {
                Ok(StripRef::Name(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StripRef, E> {
                Ok(StripRef::Position(v))
            }
        }
        d.deserialize_any(V)
    }
}
