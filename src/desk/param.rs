//! Parameter ids: `x32:/ch/01/mix/fader`, `camilla:main/volume`. Parsed once, checked against
//! each mixer's address grammar (which also gives the parameter's kind), and printed back as
//! typed. Everything downstream takes a [`ParamId`], never a string.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;

use super::kind::ParamKind;

/// Which mixer a parameter lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MixerId {
    /// A Behringer X32 / M32 over OSC.
    X32,
    /// CamillaDSP over its websocket API.
    Camilla,
    /// pupitre's own functions (the stabilizer's controls): no mixer link, the desk holds them
    /// and the function follows their changes.
    Pupitre,
}

impl MixerId {
    /// The prefix used in parameter ids and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            MixerId::X32 => "x32",
            MixerId::Camilla => "camilla",
            MixerId::Pupitre => "pupitre",
        }
    }
}

impl fmt::Display for MixerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter id that does not name a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown parameter {input:?} ({reason})")]
pub struct ParamIdError {
    /// What was given.
    pub input: String,
    /// Why it is not a parameter, with a hint.
    pub reason: String,
}

/// One control on one mixer. Cheap to clone; compares and hashes by mixer and path.
#[derive(Clone)]
pub struct ParamId(Arc<Inner>);

struct Inner {
    mixer: MixerId,
    path: Box<str>,
    kind: ParamKind,
}

impl ParamId {
    /// Parse `mixer:path`.
    pub fn parse(s: &str) -> Result<ParamId, ParamIdError> {
        let err = |reason: String| ParamIdError {
            input: s.to_owned(),
            reason,
        };
        let (mixer, path) = s
            .split_once(':')
            .ok_or_else(|| err("expected \"x32:/…\", \"camilla:…\" or \"pupitre:…\"".into()))?;
        match mixer {
            "x32" => ParamId::x32(path).map_err(|e| err(e.reason)),
            "camilla" => ParamId::camilla(path).map_err(|e| err(e.reason)),
            "pupitre" => ParamId::pupitre(path).map_err(|e| err(e.reason)),
            other => Err(err(format!(
                "no mixer called {other:?}; mixers are \"x32\" and \"camilla\", and \
                 \"pupitre\" names pupitre's own controls"
            ))),
        }
    }

    /// A controller's own parameter: `pupitre:surface/NAME/bank` or `…/connected`. `None` when
    /// `name` is not a surface name.
    pub fn surface(name: &str, which: SurfaceParam) -> Option<ParamId> {
        let leaf = match which {
            SurfaceParam::Bank => "bank",
            SurfaceParam::Connected => "connected",
        };
        ParamId::pupitre(&format!("surface/{name}/{leaf}")).ok()
    }

    /// Whose and which controller parameter this is, if it is one.
    pub fn as_surface(&self) -> Option<(&str, SurfaceParam)> {
        if self.mixer() != MixerId::Pupitre {
            return None;
        }
        let (name, leaf) = self.path().strip_prefix("surface/")?.rsplit_once('/')?;
        match leaf {
            "bank" => Some((name, SurfaceParam::Bank)),
            "connected" => Some((name, SurfaceParam::Connected)),
            _ => None,
        }
    }

    /// One of pupitre's own controls, e.g. `stabilizer/enabled`.
    pub fn pupitre(path: &str) -> Result<ParamId, ParamIdError> {
        let kind = pupitre_kind(path).map_err(|reason| ParamIdError {
            input: format!("pupitre:{path}"),
            reason,
        })?;
        Ok(ParamId::new(MixerId::Pupitre, path, kind))
    }

    /// An X32 parameter from its OSC address, e.g. `/ch/01/mix/fader`.
    pub fn x32(address: &str) -> Result<ParamId, ParamIdError> {
        let kind = x32_kind(address).map_err(|reason| ParamIdError {
            input: format!("x32:{address}"),
            reason,
        })?;
        Ok(ParamId::new(MixerId::X32, address, kind))
    }

    /// A CamillaDSP parameter, e.g. `main/volume` or `ch/0/bass`.
    pub fn camilla(path: &str) -> Result<ParamId, ParamIdError> {
        let kind = camilla_kind(path).map_err(|reason| ParamIdError {
            input: format!("camilla:{path}"),
            reason,
        })?;
        Ok(ParamId::new(MixerId::Camilla, path, kind))
    }

    fn new(mixer: MixerId, path: &str, kind: ParamKind) -> ParamId {
        ParamId(Arc::new(Inner {
            mixer,
            path: path.into(),
            kind,
        }))
    }

    /// The same parameter with another kind: for a mixer that tells a parameter's range itself
    /// (a CamillaDSP filter's, from its type). Equal to `self`; the desk adopts the new kind.
    pub fn with_kind(&self, kind: ParamKind) -> ParamId {
        ParamId::new(self.0.mixer, &self.0.path, kind)
    }

    /// The mixer it lives on.
    pub fn mixer(&self) -> MixerId {
        self.0.mixer
    }

    /// The mixer-side path: the OSC address for the X32.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// What kind of values it takes.
    pub fn kind(&self) -> ParamKind {
        self.0.kind
    }
}

impl fmt::Display for ParamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.mixer, self.0.path)
    }
}

impl fmt::Debug for ParamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for ParamId {
    type Err = ParamIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ParamId::parse(s)
    }
}

impl PartialEq for ParamId {
    fn eq(&self, other: &Self) -> bool {
        self.0.mixer == other.0.mixer && self.0.path == other.0.path
    }
}
impl Eq for ParamId {}

impl Hash for ParamId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.mixer.hash(state);
        self.0.path.hash(state);
    }
}

impl PartialOrd for ParamId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ParamId {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.0.mixer, &self.0.path).cmp(&(other.0.mixer, &other.0.path))
    }
}

/// A zero-padded two-digit index in `1..=max`, as X32 addresses write channels, buses, sends.
pub(crate) fn two_digits(seg: &str, max: u8, what: &str) -> Result<u8, String> {
    let range = format!("{what} are 01–{max:02}");
    if seg.len() != 2 || !seg.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{range}, written with two digits"));
    }
    match seg.parse::<u8>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(range),
    }
}

/// A single-digit index in `1..=max` (DCAs, EQ bands, mute groups have no leading zero).
pub(crate) fn one_digit(seg: &str, max: u8, what: &str) -> Result<u8, String> {
    let range = format!("{what} are 1–{max}, written without a leading zero");
    if seg.len() != 1 {
        return Err(range);
    }
    match seg.parse::<u8>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(range),
    }
}

/// What an X32 strip type offers below its own address.
struct StripRules {
    /// Sends to buses (channels) or matrices (buses, main): how many, and tap-point choices.
    sends: Option<(u8, &'static str, u32)>,
    eq_bands: u8,
    pan: bool,
    main_assign: bool,
    source: bool,
    /// A compressor (`dyn/on`): channels, buses, matrices, mains.
    dynamics: bool,
    /// A gate (`gate/on`): channels only.
    gate: bool,
    /// DCA and mute-group membership (`grp/dca`, `grp/mute`).
    groups: bool,
}

const INPUT: StripRules = StripRules {
    sends: Some((16, "buses", 6)),
    eq_bands: 4,
    pan: true,
    main_assign: true,
    source: true,
    dynamics: false,
    gate: false,
    groups: true,
};
const CHANNEL: StripRules = StripRules {
    dynamics: true,
    gate: true,
    ..INPUT
};
const BUS: StripRules = StripRules {
    sends: Some((6, "matrices", 5)),
    eq_bands: 6,
    pan: true,
    main_assign: true,
    source: false,
    dynamics: true,
    gate: false,
    groups: true,
};
const MATRIX: StripRules = StripRules {
    sends: None,
    eq_bands: 6,
    pan: false,
    main_assign: false,
    source: false,
    dynamics: true,
    gate: false,
    groups: false,
};
const MAIN_ST: StripRules = StripRules {
    sends: Some((6, "matrices", 5)),
    eq_bands: 6,
    pan: true,
    main_assign: false,
    source: false,
    dynamics: true,
    gate: false,
    groups: false,
};
const MAIN_M: StripRules = StripRules {
    sends: Some((6, "matrices", 5)),
    eq_bands: 6,
    pan: false,
    main_assign: false,
    source: false,
    dynamics: true,
    gate: false,
    groups: false,
};

/// The X32 address grammar (`x32-osc.md` §1.6) for the parameters pupitre maps.
fn x32_kind(address: &str) -> Result<ParamKind, String> {
    let Some(rest) = address.strip_prefix('/') else {
        return Err("X32 addresses start with '/', e.g. x32:/ch/01/mix/fader".into());
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let unknown = || {
        Err(
            "not an X32 parameter pupitre knows; see x32-osc.md §1.6 for ch, auxin, fxrtn, bus, \
             mtx, main/st, main/m, dca, config/mute, outputs, config/routing and config/userrout"
                .to_string(),
        )
    };
    match segs.as_slice() {
        ["ch", n, tail @ ..] => {
            two_digits(n, 32, "channels")?;
            strip_tail(tail, &CHANNEL)
        }
        ["auxin", n, tail @ ..] => {
            two_digits(n, 8, "aux inputs")?;
            strip_tail(tail, &INPUT)
        }
        ["fxrtn", n, tail @ ..] => {
            two_digits(n, 8, "FX returns")?;
            strip_tail(tail, &INPUT)
        }
        ["bus", n, tail @ ..] => {
            two_digits(n, 16, "buses")?;
            strip_tail(tail, &BUS)
        }
        ["mtx", n, tail @ ..] => {
            two_digits(n, 6, "matrices")?;
            strip_tail(tail, &MATRIX)
        }
        ["main", "st", tail @ ..] => strip_tail(tail, &MAIN_ST),
        ["main", "m", tail @ ..] => strip_tail(tail, &MAIN_M),
        ["main", other, ..] => Err(format!(
            "the main strips are main/st and main/m, not main/{other}"
        )),
        ["dca", n, tail @ ..] => {
            one_digit(n, 8, "DCAs")?;
            match tail {
                ["fader"] => Ok(ParamKind::Fader),
                ["on"] => Ok(ParamKind::Switch),
                ["config", "name"] => Ok(ParamKind::Name { max_len: 12 }),
                ["config", "color"] => Ok(ParamKind::Choice { count: 16 }),
                _ => Err("a DCA has fader, on, config/name and config/color".into()),
            }
        }
        // Solo switches 01–80: ch 1-32, aux 33-40, fx 41-48, bus 49-64, mtx 65-70, main 71-72,
        // DCA 73-80 (`x32-osc.md` §1.6).
        ["-stat", "solosw", n] => {
            two_digits(n, 80, "solo switches")?;
            Ok(ParamKind::Switch)
        }
        ["config", "mute", n] => {
            one_digit(n, 6, "mute groups")?;
            Ok(ParamKind::Switch)
        }
        ["outputs", family, n, leaf] => output_kind(family, n, leaf),
        ["config", "routing", "routswitch"] => Ok(ParamKind::Choice { count: 2 }),
        ["config", "routing", block, group] => routing_kind(block, group),
        // User patch slots (§1.6): 0–208, 169–184 being outputs 1–16.
        ["config", "userrout", "out", n] => {
            two_digits(n, 48, "user outputs")?;
            Ok(ParamKind::Choice { count: 209 })
        }
        _ => unknown(),
    }
}

/// `/outputs/FAMILY/NN/{src,pos,invert}` (§1.6): `src` 0–76, `pos` 0–8 (IN/LC … POST).
fn output_kind(family: &str, n: &str, leaf: &str) -> Result<ParamKind, String> {
    let (count, what, invert) = match family {
        "main" => (16, "main outputs", true),
        "aux" => (6, "aux outputs", true),
        "p16" => (16, "P16 outputs", false),
        "aes" => (2, "AES outputs", false),
        "rec" => (2, "recorder outputs", false),
        other => {
            return Err(format!(
                "outputs are main/01-16, aux/01-06, p16/01-16, aes/01-02 and rec/01-02, \
                 not {other:?}"
            ))
        }
    };
    two_digits(n, count, what)?;
    match leaf {
        "src" => Ok(ParamKind::Choice { count: 77 }),
        "pos" => Ok(ParamKind::Choice { count: 9 }),
        "invert" if invert => Ok(ParamKind::Switch),
        _ if invert => Err("an output has src, pos and invert".into()),
        _ => Err("this output has src and pos".into()),
    }
}

/// The block routing enums `/config/routing/BLOCK/GROUP` (§1.6, "Routing analysis").
fn routing_kind(block: &str, group: &str) -> Result<ParamKind, String> {
    const EIGHTS: [&str; 6] = ["1-8", "9-16", "17-24", "25-32", "33-40", "41-48"];
    // Output blocks choose among 36 groups (AN…, A…, B…, CARD…, OUT…, P16…, AUX, UOUT…,
    // UIN…); input blocks among the first 20 (the doc lists AN, A, B and CARD); the 6-channel
    // AUX blocks among 16.
    let groups: &[&str] = match block {
        "IN" | "PLAY" => &["1-8", "9-16", "17-24", "25-32", "AUX"],
        "AES50A" | "AES50B" => &EIGHTS,
        "CARD" => &EIGHTS[..4],
        "OUT" => &["1-4", "9-12", "5-8", "13-16"],
        other => {
            return Err(format!(
                "routing blocks are IN, AES50A, AES50B, CARD, OUT and PLAY, not {other:?}"
            ))
        }
    };
    if !groups.contains(&group) {
        return Err(format!(
            "the {block} block's groups are {}",
            groups.join(", ")
        ));
    }
    let count = match (block, group) {
        (_, "AUX") => 16,
        ("IN" | "PLAY", _) => 20,
        _ => 36,
    };
    Ok(ParamKind::Choice { count })
}

fn strip_tail(tail: &[&str], rules: &StripRules) -> Result<ParamKind, String> {
    match tail {
        ["dyn", "on"] if rules.dynamics => Ok(ParamKind::Switch),
        ["gate", "on"] if rules.gate => Ok(ParamKind::Switch),
        ["grp", "dca"] if rules.groups => Ok(ParamKind::Choice { count: 256 }),
        ["grp", "mute"] if rules.groups => Ok(ParamKind::Choice { count: 64 }),
        ["config", "name"] => Ok(ParamKind::Name { max_len: 12 }),
        ["config", "color"] => Ok(ParamKind::Choice { count: 16 }),
        ["config", "icon"] => Ok(ParamKind::Choice { count: 75 }),
        ["config", "source"] if rules.source => Ok(ParamKind::Choice { count: 65 }),
        ["mix", "fader"] => Ok(ParamKind::Fader),
        ["mix", "on"] => Ok(ParamKind::Switch),
        ["mix", "pan"] if rules.pan => Ok(ParamKind::Pan),
        ["mix", "st" | "mono"] if rules.main_assign => Ok(ParamKind::Switch),
        ["mix", "mlevel"] if rules.main_assign => Ok(ParamKind::SendLevel),
        ["mix", n, leaf] if rules.sends.is_some() && n.len() == 2 => {
            let Some((count, what, types)) = rules.sends else {
                return Err("this strip has no sends".into());
            };
            let idx = two_digits(n, count, &format!("sends to {what}"))?;
            match *leaf {
                "level" => Ok(ParamKind::SendLevel),
                "on" => Ok(ParamKind::Switch),
                "pan" | "type" if idx % 2 == 0 => Err(format!(
                    "send {leaf} exists only on odd sends (01, 03, …): the pair's first send"
                )),
                "pan" => Ok(ParamKind::Pan),
                "type" => Ok(ParamKind::Choice { count: types }),
                _ => Err("a send has level, on, pan and type".into()),
            }
        }
        ["eq", "on"] => Ok(ParamKind::Switch),
        ["eq", band, leaf] => {
            one_digit(band, rules.eq_bands, "EQ bands")?;
            match *leaf {
                "type" => Ok(ParamKind::Choice { count: 6 }),
                "f" => Ok(ParamKind::EqFreq),
                "g" => Ok(ParamKind::EqGain),
                "q" => Ok(ParamKind::EqQ),
                _ => Err("an EQ band has type, f, g and q".into()),
            }
        }
        _ => Err(
            "this strip's parameters are config/{name,color,icon}, mix/{fader,on,pan,st,mono,mlevel}, \
             mix/NN/{level,on,pan,type}, eq/…, dyn/on, gate/on (channels) and grp/{dca,mute}"
                .into(),
        ),
    }
}

fn filter_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// CamillaDSP parameters pupitre exposes as desk controls.
fn camilla_kind(path: &str) -> Result<ParamKind, String> {
    const VOLUME: ParamKind = ParamKind::Gain {
        min_db: -100.0,
        max_db: 20.0,
        step_db: 0.5,
    };
    const TONE: ParamKind = ParamKind::Gain {
        min_db: -12.0,
        max_db: 12.0,
        step_db: 0.5,
    };
    let segs: Vec<&str> = path.split('/').collect();
    let index = |s: &str| -> Result<u8, String> {
        s.parse::<u8>()
            .map_err(|_| format!("channel numbers are 0–255, not {s:?}"))
    };
    match segs.as_slice() {
        ["main", "volume"] => Ok(VOLUME),
        ["main", "mute"] => Ok(ParamKind::Switch),
        ["aux", n, leaf] => {
            one_digit(n, 4, "Aux faders")?;
            match *leaf {
                "volume" => Ok(VOLUME),
                "mute" => Ok(ParamKind::Switch),
                _ => Err("an Aux fader has volume and mute".into()),
            }
        }
        ["ch", n, leaf] => {
            index(n)?;
            match *leaf {
                "gain" => Ok(VOLUME),
                "mute" | "solo" => Ok(ParamKind::Switch),
                "bass" | "treble" => Ok(TONE),
                _ => Err("a channel has gain, mute, solo, bass and treble".into()),
            }
        }
        // Group tone controls: the `Bass` and `Treble` shelves CamillaGUI names.
        ["bass" | "treble"] => Ok(TONE),
        ["crossfader"] => Ok(ParamKind::Fraction { steps: 100 }),
        ["crossfader", "curve"] => Ok(ParamKind::Choice { count: 3 }),
        // Any named filter's parameters. The range here holds until the CamillaDSP link has
        // read the filter's type from the config and refined it (`camilla/filters.rs`).
        ["filter", name, leaf] if filter_name_ok(name) => {
            filter_param_guess(leaf).ok_or_else(|| {
                format!(
                "{leaf:?} is not a CamillaDSP filter parameter; those are gain, freq, q, mute, \
                 inverted, bandwidth, slope, order, delay, subsample, ramp_time_ms, limit, \
                 reference_level, high_boost, low_boost, attenuate_mid, clip_limit, soft_clip, \
                 bits, freq_act, q_act, freq_target, q_target, freq_p, freq_z, q_p, \
                 normalize_at_dc, freq_min, freq_max and the FivePointPeq fls…qhs"
            )
            })
        }
        ["filter", ..] => {
            Err("a filter is filter/NAME/PARAM, NAME in letters, digits, _ and -".into())
        }
        _ => Err(
            "CamillaDSP parameters are main/{volume,mute}, aux/N/{volume,mute}, \
             ch/N/{gain,mute,solo,bass,treble}, crossfader, crossfader/curve and \
             filter/NAME/PARAM (any parameter of a named filter: gain, freq, q, mute, …)"
                .into(),
        ),
    }
}

/// A controller's parameters on the desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SurfaceParam {
    /// The position of its first bank strip in its bank channels (the screen follows it).
    Bank,
    /// Whether its port is open.
    Connected,
}

/// Scene slots are numbered 1 to this, as on a console's scene list.
pub const SCENE_SLOTS: u32 = 99;

/// Most strips a controller's bank can page across (the X32 has 80, CamillaDSP up to 64).
pub const MAX_BANK_CHANNELS: u32 = 256;

/// pupitre's own controls: the stabilizer's (`stabilizer/task.rs` follows them), each
/// controller's presence and bank (`surface/task.rs` publishes them, the screen follows them)
/// and the screen's settings.
fn pupitre_kind(path: &str) -> Result<ParamKind, String> {
    if let Some(rest) = path.strip_prefix("surface/") {
        let (name, what) = rest.rsplit_once('/').unwrap_or((rest, ""));
        let named = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        return match what {
            _ if !named => Err(format!(
                "{name:?} is not a surface name (lowercase letters, digits, \"_\" and \"-\")"
            )),
            "connected" => Ok(ParamKind::Switch),
            // The first bank strip's position in the controller's bank channels.
            "bank" => Ok(ParamKind::Choice {
                count: MAX_BANK_CHANNELS,
            }),
            _ => {
                Err("a surface's controls are surface/NAME/connected and surface/NAME/bank".into())
            }
        };
    }
    match path {
        // A scene slot to recall (1–99; 0 = none): controllers' scene buttons set it, the
        // scene keeper recalls it and sets it back to 0. `current` is the last one recalled.
        "scene/recall" | "scene/current" => Ok(ParamKind::Choice {
            count: SCENE_SLOTS + 1,
        }),
        // English, French.
        "ui/language" => Ok(ParamKind::Choice { count: 2 }),
        // Dark, light, high contrast.
        "ui/theme" => Ok(ParamKind::Choice { count: 3 }),
        // Compact, normal, large.
        "ui/density" => Ok(ParamKind::Choice { count: 3 }),
        "stabilizer/enabled" | "stabilizer/calibrate" => Ok(ParamKind::Switch),
        // The config's range.
        "stabilizer/target" => Ok(ParamKind::Gain {
            min_db: -40.0,
            max_db: -5.0,
            step_db: 0.5,
        }),
        // −14, −16, −18, −23 LUFS, or 4 = custom (the target as set).
        "stabilizer/preset" => Ok(ParamKind::Choice { count: 5 }),
        // speech, music, auto.
        "stabilizer/profile" => Ok(ParamKind::Choice { count: 3 }),
        // leveler, pid.
        "stabilizer/mode" => Ok(ParamKind::Choice { count: 2 }),
        // bus 1–16, matrix 1–6, main stereo, main mono.
        "stabilizer/source" => Ok(ParamKind::Choice { count: 24 }),
        _ => Err(
            "pupitre's controls are stabilizer/{enabled,target,preset,profile,mode,source,calibrate}, \
             surface/NAME/{connected,bank}, ui/{language,theme,density} and \
             scene/{recall,current}"
                .into(),
        ),
    }
}

/// A CamillaDSP filter parameter's kind by its name alone, as on its most common filter type;
/// the CamillaDSP link refines the few that depend on the type (`camilla/filters.rs`).
pub fn filter_param_guess(param: &str) -> Option<ParamKind> {
    let gain = |min_db, max_db, step_db| ParamKind::Gain {
        min_db,
        max_db,
        step_db,
    };
    let number = |min, max, step, unit| ParamKind::Number {
        min,
        max,
        step,
        unit,
    };
    Some(match param {
        "gain" | "gls" | "gp1" | "gp2" | "gp3" | "ghs" => gain(-20.0, 20.0, 0.1),
        "freq" | "freq_act" | "freq_target" | "freq_p" | "freq_z" | "freq_min" | "freq_max"
        | "fls" | "fp1" | "fp2" | "fp3" | "fhs" => ParamKind::EqFreq,
        "q" | "q_act" | "q_target" | "q_p" | "qls" | "qp1" | "qp2" | "qp3" | "qhs" => {
            ParamKind::EqQ
        }
        "mute" | "inverted" | "subsample" | "attenuate_mid" | "soft_clip" | "normalize_at_dc" => {
            ParamKind::Switch
        }
        "bandwidth" => number(0.1, 4.0, 0.01, "oct"),
        "slope" => number(0.5, 12.0, 0.1, "dB/oct"),
        "order" => number(1.0, 8.0, 1.0, ""),
        "delay" => number(0.0, 1000.0, 0.01, "ms"),
        "ramp_time_ms" | "ramp_time" => number(0.0, 2000.0, 10.0, "ms"),
        "limit" => gain(-50.0, 50.0, 0.5),
        "reference_level" => gain(-100.0, 20.0, 0.5),
        "high_boost" | "low_boost" => gain(0.0, 20.0, 0.5),
        "clip_limit" => gain(-40.0, 0.0, 0.1),
        "bits" => number(2.0, 32.0, 1.0, "bits"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_round_trip_and_carry_their_kind() {
        for (s, kind) in [
            ("x32:/ch/01/mix/fader", ParamKind::Fader),
            ("x32:/ch/32/mix/16/level", ParamKind::SendLevel),
            ("x32:/bus/03/mix/on", ParamKind::Switch),
            ("x32:/mtx/06/config/name", ParamKind::Name { max_len: 12 }),
            ("x32:/main/st/mix/fader", ParamKind::Fader),
            ("x32:/dca/8/fader", ParamKind::Fader),
            ("x32:/ch/05/eq/4/f", ParamKind::EqFreq),
            ("x32:/bus/01/mix/05/type", ParamKind::Choice { count: 5 }),
            ("x32:/-stat/solosw/49", ParamKind::Switch),
            (
                "camilla:ch/0/bass",
                ParamKind::Gain {
                    min_db: -12.0,
                    max_db: 12.0,
                    step_db: 0.5,
                },
            ),
        ] {
            let id = ParamId::parse(s).unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(id.kind(), kind, "{s}");
        }
    }

    #[test]
    fn errors_say_what_is_valid() {
        let e = ParamId::parse("x32:/ch/33/mix/fader").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown parameter \"x32:/ch/33/mix/fader\" (channels are 01–32)"
        );
        // Companion PR #171: DCAs have no zero padding.
        let e = ParamId::parse("x32:/dca/01/fader").unwrap_err();
        assert!(e.reason.contains("without a leading zero"), "{e}");
        assert!(ParamId::parse("x32:/bus/02/mix/02/pan")
            .unwrap_err()
            .reason
            .contains("odd"));
        assert!(ParamId::parse("x32:/mtx/01/mix/01/level").is_err());
        assert!(ParamId::parse("x32:/ch/1/mix/fader")
            .unwrap_err()
            .reason
            .contains("two digits"));
        assert!(ParamId::parse("mixer:/ch/01")
            .unwrap_err()
            .reason
            .contains("no mixer"));
        assert!(ParamId::parse("no colon").is_err());
    }

    #[test]
    fn backup_and_routing_addresses() {
        for (a, kind) in [
            ("/ch/01/dyn/on", ParamKind::Switch),
            ("/ch/32/gate/on", ParamKind::Switch),
            ("/bus/16/dyn/on", ParamKind::Switch),
            ("/main/st/dyn/on", ParamKind::Switch),
            ("/ch/05/grp/dca", ParamKind::Choice { count: 256 }),
            ("/bus/02/grp/mute", ParamKind::Choice { count: 64 }),
            ("/outputs/main/16/src", ParamKind::Choice { count: 77 }),
            ("/outputs/aux/06/invert", ParamKind::Switch),
            ("/outputs/p16/01/pos", ParamKind::Choice { count: 9 }),
            ("/outputs/rec/02/src", ParamKind::Choice { count: 77 }),
            (
                "/config/routing/CARD/25-32",
                ParamKind::Choice { count: 36 },
            ),
            ("/config/routing/OUT/9-12", ParamKind::Choice { count: 36 }),
            ("/config/routing/IN/AUX", ParamKind::Choice { count: 16 }),
            (
                "/config/routing/AES50B/41-48",
                ParamKind::Choice { count: 36 },
            ),
            ("/config/routing/routswitch", ParamKind::Choice { count: 2 }),
            ("/config/userrout/out/48", ParamKind::Choice { count: 209 }),
        ] {
            assert_eq!(ParamId::x32(a).unwrap().kind(), kind, "{a}");
        }
        for bad in [
            "/auxin/01/dyn/on",
            "/ch/01/gate/thr",
            "/mtx/01/gate/on",
            "/mtx/01/grp/dca",
            "/outputs/main/17/src",
            "/outputs/p16/01/invert",
            "/outputs/xlr/01/src",
            "/config/routing/CARD/33-40",
            "/config/routing/OUT/1-8",
            "/config/userrout/out/49",
        ] {
            assert!(ParamId::x32(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = ParamId::parse(&s);
        }

        #[test]
        fn parsed_ids_print_back(s in "x32:/(ch|bus|mtx|dca|main)/[0-9a-z]{1,3}/(mix|config|eq)/[a-z0-9]{1,6}") {
            if let Ok(id) = ParamId::parse(&s) {
                prop_assert_eq!(id.to_string(), s);
            }
        }
    }
}
