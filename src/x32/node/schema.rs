//! The node schema: which parameters a node lists, in order, and how each is written.
//!
//! Enumerations are written with the console's names where the doc gives them (colours, EQ
//! types, send and output taps, routing groups such as `AN1-8`, `CARD1-8`, `OUT9-16`); an
//! index without a known name is written as an integer, and integers are always read.

use crate::desk::{ParamId, ParamKind};

/// The X32's colour names, index 0–15 (`/…/config/color`).
pub const COLOURS: [&str; 16] = [
    "OFF", "RD", "GN", "YE", "BL", "MG", "CY", "WH", "OFFi", "RDi", "GNi", "YEi", "BLi", "MGi",
    "CYi", "WHi",
];

/// EQ band types, from the doc's parameter table (`eq/N/type enum {LCut,…,HCut}`).
pub const EQ_TYPES: [&str; 6] = ["LCut", "LShv", "PEQ", "VEQ", "HShv", "HCut"];

/// Send tap points (`mix/NN/type`, `x32-osc.md` §1.6); bus→matrix sends use the first five.
pub const SEND_TAPS: [&str; 6] = ["IN/LC", "<-EQ", "EQ->", "PRE", "POST", "GRP"];

/// Output tap points (`outputs/…/pos`, 0–8). §1.6 gives the ends (`IN/LC … POST`) and
/// §1.5's reply `/outputs/main/01 0 IN/LC OFF`; the middle names are the console's
/// (each tap with or without the mute, `+M`).
pub const OUTPUT_TAPS: [&str; 9] = [
    "IN/LC", "IN/LC+M", "<-EQ", "<-EQ+M", "EQ->", "EQ->+M", "PRE", "PRE+M", "POST",
];

/// `config/routing/routswitch`: the input blocks follow REC (0) or PLAY (1) (§1.6).
pub const ROUTE_SWITCH: [&str; 2] = ["REC", "PLAY"];

/// What a routing block value selects: a group of 8 signals (§1.6 "Routing analysis").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalGroup {
    /// Local analog inputs (`AN1-8` …).
    Analog,
    /// AES50 port A inputs (`A1-8` …).
    Aes50A,
    /// AES50 port B inputs (`B1-8` …).
    Aes50B,
    /// Expansion card (USB) inputs (`CARD1-8` …).
    Card,
    /// The console's outputs 1–16 (`OUT1-8`, `OUT9-16`), whose sources `/outputs/main/NN/src` set.
    Outputs,
    /// The P16 (Ultranet) outputs (`P161-8`, `P169-16`).
    P16,
    /// Aux outputs 1–6 and the monitor pair (`AUX/CR`).
    AuxMonitor,
    /// Aux inputs 1–6 and talkback.
    AuxInTalkback,
    /// User outputs 1–48 (`UOUT1-8` …), patched by `/config/userrout/out/NN`.
    UserOut,
    /// User inputs 1–32.
    UserIn,
}

/// How many signals a routing block carries, and which half of an 8-group for 4-wide blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockWidth {
    /// 8 signals (CARD, AES50, IN, PLAY blocks).
    Eight,
    /// 4 signals, the first half of each group (OUT blocks 1-4 and 9-12: `AN1-4`, `OUT9-12`).
    FourLow,
    /// 4 signals, the second half (OUT blocks 5-8 and 13-16: `AN5-8`, `OUT13-16`).
    FourHigh,
}

/// A routing block value as its group and first signal (1-based) of the 8 it picks from.
/// Order from the doc's enum (AN, A, B, CARD, OUT, P16, AUX/CR) and the v4 firmware's
/// additions (aux in/talkback, UOUT1-8 … UOUT41-48, UIN1-8 … UIN25-32).
pub fn block_group(value: u32) -> Option<(SignalGroup, u32)> {
    let eight = |base: u32| (value - base) * 8 + 1;
    Some(match value {
        0..=3 => (SignalGroup::Analog, eight(0)),
        4..=9 => (SignalGroup::Aes50A, eight(4)),
        10..=15 => (SignalGroup::Aes50B, eight(10)),
        16..=19 => (SignalGroup::Card, eight(16)),
        20..=21 => (SignalGroup::Outputs, eight(20)),
        22..=23 => (SignalGroup::P16, eight(22)),
        24 => (SignalGroup::AuxMonitor, 1),
        25 => (SignalGroup::AuxInTalkback, 1),
        26..=31 => (SignalGroup::UserOut, eight(26)),
        32..=35 => (SignalGroup::UserIn, eight(32)),
        _ => return None,
    })
}

/// The console's name for a block value, `None` where the doc gives none (written as an
/// integer then): aux in/talkback and the user inputs, and the aux group of 4-wide blocks.
pub fn block_name(width: BlockWidth, value: u32) -> Option<String> {
    let (group, first) = block_group(value)?;
    let prefix = match group {
        SignalGroup::Analog => "AN",
        SignalGroup::Aes50A => "A",
        SignalGroup::Aes50B => "B",
        SignalGroup::Card => "CARD",
        SignalGroup::Outputs => "OUT",
        SignalGroup::P16 => "P16",
        SignalGroup::UserOut => "UOUT",
        SignalGroup::AuxMonitor if width == BlockWidth::Eight => return Some("AUX/CR".into()),
        SignalGroup::AuxMonitor | SignalGroup::AuxInTalkback | SignalGroup::UserIn => return None,
    };
    let (a, b) = match width {
        BlockWidth::Eight => (first, first + 7),
        BlockWidth::FourLow => (first, first + 3),
        BlockWidth::FourHigh => (first + 4, first + 7),
    };
    Some(format!("{prefix}{a}-{b}"))
}

/// How a child parameter is written in a node line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldUnit {
    /// `ON` / `OFF`.
    OnOff,
    /// dB with sign and one decimal, `-oo` for −∞.
    Db,
    /// Signed integer, `+0`, `-100`.
    Pan,
    /// Double-quoted text.
    Name,
    /// One of these names by index (an index past the list, or an empty name, as an integer).
    Names(&'static [&'static str]),
    /// A routing block value (`AN1-8`, `OUT9-16`, …).
    Block(BlockWidth),
    /// A bitmap of this many bits, `%` then bits, highest first (`%00000011`: DCA 1 and 2).
    Bitmap(u8),
    /// EQ frequency in Hz (`1k02` is read too).
    Hz,
    /// EQ gain in dB with two decimals (`+0.25`).
    EqDb,
    /// EQ Q with two decimals.
    Q,
    /// A plain integer (icons, sources, patch slots).
    Integer,
    /// The raw 0.0–1.0 float with four decimals (kinds no node here lists).
    Raw,
}

/// One child of a node.
#[derive(Debug, Clone)]
pub struct NodeChild {
    /// Full address, e.g. `/ch/01/mix/fader`.
    pub address: String,
    /// Its name within the node, e.g. `fader` (the whole address for a single parameter).
    pub label: String,
    /// Its kind.
    pub kind: ParamKind,
    /// Its id; `None` for a field the console lists but pupitre's grammar does not hold
    /// (`/dca/N/config/icon`): such a field is written as its default and ignored on writes.
    pub id: Option<ParamId>,
    /// How it is written.
    pub unit: FieldUnit,
}

/// A node: its children in order, and whether the console lists more fields after them.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The node path without its leading slash, e.g. `ch/01/mix`.
    pub path: String,
    /// The fields pupitre keeps, in the console's order.
    pub children: Vec<NodeChild>,
    /// The console's reply has more fields after these (dynamics, gate, sends, outputs, EQ
    /// on): they are read and ignored, and a write of the leading ones alone is valid (§1.5).
    pub open: bool,
}

/// The node schema for `path` (leading slash optional); `None` for a path that is neither a
/// node pupitre knows nor a single parameter of the grammar.
pub fn schema(path: &str) -> Option<Schema> {
    const INPUT_MIX: &[&str] = &["on", "fader", "st", "pan", "mono", "mlevel"];
    const INPUT_CONFIG: &[&str] = &["name", "icon", "color", "source"];
    const CONFIG: &[&str] = &["name", "icon", "color"];
    const MTX_MIX: &[&str] = &["on", "fader"];
    const MAIN_ST_MIX: &[&str] = &["on", "fader", "pan"];
    const ODD_SEND: &[&str] = &["on", "level", "pan", "type"];
    const EVEN_SEND: &[&str] = &["on", "level"];
    const ON: &[&str] = &["on"];
    const EQ_BAND: &[&str] = &["type", "f", "g", "q"];
    const GROUPS: &[&str] = &["dca", "mute"];
    const OUT_INVERT: &[&str] = &["src", "pos", "invert"];
    const OUT: &[&str] = &["src", "pos"];
    const MUTE_GROUPS: &[&str] = &["1", "2", "3", "4", "5", "6"];
    const ROUTE_IN: &[&str] = &["1-8", "9-16", "17-24", "25-32", "AUX"];
    const ROUTE_AES: &[&str] = &["1-8", "9-16", "17-24", "25-32", "33-40", "41-48"];
    const ROUTE_CARD: &[&str] = &["1-8", "9-16", "17-24", "25-32"];
    // The console's order (§1.5: `/config/routing/OUT AN1-4 AN1-4 AN5-8 AN5-8`).
    const ROUTE_OUT: &[&str] = &["1-4", "9-12", "5-8", "13-16"];
    let path = path.strip_prefix('/').unwrap_or(path);
    let segs: Vec<&str> = path.split('/').collect();
    let user_outs: Vec<String>;
    let (leaves, open): (&[&str], bool) = match segs.as_slice() {
        ["ch" | "auxin" | "fxrtn", _, "mix"] | ["bus", _, "mix"] => (INPUT_MIX, false),
        ["ch" | "auxin" | "fxrtn", _, "config"] => (INPUT_CONFIG, false),
        ["bus" | "mtx", _, "config"] | ["main", "st" | "m", "config"] | ["dca", _, "config"] => {
            (CONFIG, false)
        }
        ["mtx", _, "mix"] | ["main", "m", "mix"] | ["dca", _] => (MTX_MIX, false),
        ["main", "st", "mix"] => (MAIN_ST_MIX, false),
        ["ch" | "auxin" | "fxrtn" | "bus", _, "mix", n] | ["main", "st" | "m", "mix", n] => {
            let odd = n.parse::<u8>().is_ok_and(|n| n % 2 == 1);
            (if odd { ODD_SEND } else { EVEN_SEND }, true)
        }
        [_, _, "eq"] => (ON, true),
        [_, _, "eq", _] => (EQ_BAND, false),
        [_, _, "dyn" | "gate"] => (ON, true),
        [_, _, "grp"] => (GROUPS, false),
        ["outputs", "main" | "aux", _] => (OUT_INVERT, true),
        ["outputs", _, _] => (OUT, true),
        ["config", "mute"] => (MUTE_GROUPS, false),
        ["config", "routing", "IN" | "PLAY"] => (ROUTE_IN, false),
        ["config", "routing", "AES50A" | "AES50B"] => (ROUTE_AES, false),
        ["config", "routing", "CARD"] => (ROUTE_CARD, false),
        ["config", "routing", "OUT"] => (ROUTE_OUT, false),
        ["config", "userrout", "out"] => {
            user_outs = (1..=48).map(|n| format!("{n:02}")).collect();
            let refs: Vec<&str> = user_outs.iter().map(String::as_str).collect();
            return finish(path, &refs, false);
        }
        _ => return single(path),
    };
    // `ch/01/mix/fader` looks like a send node but is a single parameter.
    finish(path, leaves, open).or_else(|| single(path))
}

fn finish(path: &str, leaves: &[&str], open: bool) -> Option<Schema> {
    let children: Vec<NodeChild> = leaves
        .iter()
        .map(|leaf| child(&format!("/{path}/{leaf}"), leaf))
        .collect();
    // The strip number must be valid: at least one child is in the grammar.
    children.iter().any(|c| c.id.is_some()).then(|| Schema {
        path: path.to_owned(),
        children,
        open,
    })
}

/// A single parameter read or written as a node (`/node ,s config/routing/routswitch`).
fn single(path: &str) -> Option<Schema> {
    let address = format!("/{path}");
    let id = ParamId::x32(&address).ok()?;
    let kind = id.kind();
    Some(Schema {
        path: path.to_owned(),
        children: vec![NodeChild {
            unit: unit_of(&address, kind),
            label: path.rsplit('/').next().unwrap_or(path).to_owned(),
            address,
            kind,
            id: Some(id),
        }],
        open: false,
    })
}

fn child(address: &str, label: &str) -> NodeChild {
    match ParamId::x32(address) {
        Ok(id) => {
            let kind = id.kind();
            NodeChild {
                address: address.to_owned(),
                label: label.to_owned(),
                kind,
                unit: unit_of(address, kind),
                id: Some(id),
            }
        }
        Err(_) => {
            // Only `/dca/N/config/icon` gets here from the schema above (and invalid strip
            // numbers, which `schema` then refuses as a whole).
            let kind = ParamKind::Choice { count: 75 };
            NodeChild {
                address: address.to_owned(),
                label: label.to_owned(),
                kind,
                unit: FieldUnit::Integer,
                id: None,
            }
        }
    }
}

/// How the parameter at `address` is written.
pub(crate) fn unit_of(address: &str, kind: ParamKind) -> FieldUnit {
    let segs: Vec<&str> = address.trim_start_matches('/').split('/').collect();
    match kind {
        ParamKind::Switch => FieldUnit::OnOff,
        ParamKind::Fader | ParamKind::SendLevel => FieldUnit::Db,
        ParamKind::Pan => FieldUnit::Pan,
        ParamKind::Name { .. } => FieldUnit::Name,
        ParamKind::EqFreq => FieldUnit::Hz,
        ParamKind::EqGain => FieldUnit::EqDb,
        ParamKind::EqQ => FieldUnit::Q,
        ParamKind::Choice { .. } => match segs.as_slice() {
            [.., "color"] => FieldUnit::Names(&COLOURS),
            [.., "eq", _, "type"] => FieldUnit::Names(&EQ_TYPES),
            [.., "mix", _, "type"] => FieldUnit::Names(&SEND_TAPS),
            ["outputs", .., "pos"] => FieldUnit::Names(&OUTPUT_TAPS),
            ["config", "routing", "routswitch"] => FieldUnit::Names(&ROUTE_SWITCH),
            // The 6-channel AUX blocks: the doc gives no names for their choices.
            ["config", "routing", _, "AUX"] => FieldUnit::Integer,
            ["config", "routing", "OUT", "1-4" | "9-12"] => FieldUnit::Block(BlockWidth::FourLow),
            ["config", "routing", "OUT", _] => FieldUnit::Block(BlockWidth::FourHigh),
            ["config", "routing", _, _] => FieldUnit::Block(BlockWidth::Eight),
            [.., "grp", "dca"] => FieldUnit::Bitmap(8),
            [.., "grp", "mute"] => FieldUnit::Bitmap(6),
            _ => FieldUnit::Integer,
        },
        _ => FieldUnit::Raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_names_follow_the_console() {
        assert_eq!(block_name(BlockWidth::Eight, 0).as_deref(), Some("AN1-8"));
        assert_eq!(
            block_name(BlockWidth::Eight, 17).as_deref(),
            Some("CARD9-16")
        );
        assert_eq!(
            block_name(BlockWidth::Eight, 21).as_deref(),
            Some("OUT9-16")
        );
        assert_eq!(block_name(BlockWidth::Eight, 22).as_deref(), Some("P161-8"));
        assert_eq!(block_name(BlockWidth::Eight, 24).as_deref(), Some("AUX/CR"));
        assert_eq!(
            block_name(BlockWidth::Eight, 26).as_deref(),
            Some("UOUT1-8")
        );
        assert_eq!(block_name(BlockWidth::Eight, 25), None);
        assert_eq!(block_name(BlockWidth::Eight, 36), None);
        // §1.5's reply `/config/routing/OUT AN1-4 AN1-4 AN5-8 AN5-8` is all zeros.
        assert_eq!(block_name(BlockWidth::FourLow, 0).as_deref(), Some("AN1-4"));
        assert_eq!(
            block_name(BlockWidth::FourHigh, 0).as_deref(),
            Some("AN5-8")
        );
        assert_eq!(
            block_name(BlockWidth::FourLow, 21).as_deref(),
            Some("OUT9-12")
        );
        assert_eq!(
            block_name(BlockWidth::FourHigh, 21).as_deref(),
            Some("OUT13-16")
        );
        assert_eq!(block_group(21), Some((SignalGroup::Outputs, 9)));
        assert_eq!(block_group(31), Some((SignalGroup::UserOut, 41)));
    }

    #[test]
    fn nodes_and_their_openness() {
        let s = schema("ch/01/mix/01").unwrap();
        assert_eq!(s.children.len(), 4);
        assert!(s.open);
        assert_eq!(schema("ch/01/mix/02").unwrap().children.len(), 2);
        assert_eq!(schema("bus/03/mix/05").unwrap().children.len(), 4);
        assert!(schema("bus/03/mix/07").is_none());
        assert!(schema("mtx/01/mix/01").is_none());
        assert!(schema("auxin/01/dyn").is_none());
        assert!(schema("ch/01/dyn").unwrap().open);
        assert_eq!(schema("main/st/eq/6").unwrap().children.len(), 4);
        assert!(schema("ch/01/eq/5").is_none());
        assert_eq!(schema("/config/userrout/out").unwrap().children.len(), 48);
        let one = schema("config/routing/routswitch").unwrap();
        assert_eq!(one.children[0].address, "/config/routing/routswitch");
        assert_eq!(one.children[0].label, "routswitch");
        assert_eq!(
            schema("config/routing/OUT").unwrap().children[1].unit,
            FieldUnit::Block(BlockWidth::FourLow)
        );
    }
}
