//! What the screen shows, as plain Rust: the strips built from the config and the mixers, the
//! values the desk holds, meters with peak hold and clip, and the Slint rows made from them.
//! Pure (no window), so it is tested without one.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::desk::{
    law, Db, MeterFrame, MixerId, Normalized, ParamId, ParamKind, Side, Strip, Value,
};

/// Where a strip's meter comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MeterSource {
    /// An X32 strip's level.
    X32(Strip),
    /// A CamillaDSP playback channel.
    Camilla(u8),
    /// The loudest CamillaDSP playback channel (its main).
    CamillaMain,
    /// No meter.
    None,
}

/// One strip on the screen and the desk parameters behind it.
#[derive(Clone, Debug)]
pub struct UiStrip {
    /// Short type label on the scribble strip (`CH 01`, `BUS 3`, `DSP 0`).
    pub kind: String,
    /// The name when the mixer gives none.
    pub default_name: String,
    /// The fader.
    pub fader: ParamId,
    /// The mute, and whether it is an X32 "on" switch (1 = not muted).
    pub mute: Option<(ParamId, bool)>,
    /// The solo.
    pub solo: Option<ParamId>,
    /// The name and colour from the mixer.
    pub name: Option<ParamId>,
    /// The X32 colour (0–15).
    pub color: Option<ParamId>,
    /// Bass and treble, where the target has them.
    pub tone: Option<(ParamId, ParamId)>,
    /// The meter.
    pub meter: MeterSource,
}

fn id(s: &str) -> ParamId {
    match ParamId::parse(s) {
        Ok(p) => p,
        // Only called with ids this file spells out from validated config values.
        Err(e) => unreachable!("{e}"),
    }
}

fn x32_strip(s: Strip) -> UiStrip {
    let kind = match s {
        Strip::Channel(n) => format!("CH {n:02}"),
        Strip::AuxIn(n) => format!("AUX {n:02}"),
        Strip::FxReturn(n) => format!("FX {n:02}"),
        Strip::Bus(n) => format!("BUS {n:02}"),
        Strip::Matrix(n) => format!("MTX {n}"),
        Strip::MainStereo => "MAIN".into(),
        Strip::MainMono => "M/C".into(),
        Strip::Dca(n) => format!("DCA {n}"),
    };
    UiStrip {
        kind,
        default_name: s.default_label(),
        fader: s.fader(),
        mute: Some((s.on(), true)),
        solo: Some(s.solo()),
        name: Some(s.name()),
        color: Some(s.color()),
        tone: None,
        meter: match s {
            Strip::Dca(_) => MeterSource::None,
            other => MeterSource::X32(other),
        },
    }
}

/// The strips and the master the config asks for: the X32's strips in config order (its main
/// LR becomes the master), then CamillaDSP's channels and Aux faders (its main is the master
/// when there is no X32).
pub fn from_config(config: &Config) -> (Vec<UiStrip>, Option<UiStrip>) {
    let mut strips = Vec::new();
    let mut master = None;
    if let Some(x) = &config.x32 {
        for s in &x.strips {
            if *s == Strip::MainStereo {
                master = Some(x32_strip(*s));
            } else {
                strips.push(x32_strip(*s));
            }
        }
    }
    if let Some(c) = &config.camilla {
        for ch in 0..c.channels {
            strips.push(UiStrip {
                kind: format!("DSP {ch}"),
                default_name: format!("DSP {ch}"),
                fader: id(&format!("camilla:ch/{ch}/gain")),
                mute: Some((id(&format!("camilla:ch/{ch}/mute")), false)),
                solo: Some(id(&format!("camilla:ch/{ch}/solo"))),
                name: None,
                color: None,
                tone: Some((
                    id(&format!("camilla:ch/{ch}/bass")),
                    id(&format!("camilla:ch/{ch}/treble")),
                )),
                meter: MeterSource::Camilla(ch),
            });
        }
        for a in 1..=c.aux_faders {
            strips.push(UiStrip {
                kind: format!("DSP AUX {a}"),
                default_name: format!("Aux {a}"),
                fader: id(&format!("camilla:aux/{a}/volume")),
                mute: Some((id(&format!("camilla:aux/{a}/mute")), false)),
                solo: None,
                name: None,
                color: None,
                tone: None,
                meter: MeterSource::None,
            });
        }
        let main = UiStrip {
            kind: "DSP MAIN".into(),
            default_name: "CamillaDSP".into(),
            fader: id("camilla:main/volume"),
            mute: Some((id("camilla:main/mute"), false)),
            solo: None,
            name: None,
            color: None,
            tone: c
                .group_tone
                .then(|| (id("camilla:bass"), id("camilla:treble"))),
            meter: MeterSource::CamillaMain,
        };
        if master.is_none() {
            master = Some(main);
        } else {
            strips.push(main);
        }
    }
    (strips, master)
}

/// Every desk parameter the screen shows, to register with the desk.
pub fn params(strips: &[UiStrip], master: Option<&UiStrip>) -> Vec<ParamId> {
    let mut out = Vec::new();
    for s in strips.iter().chain(master) {
        out.push(s.fader.clone());
        out.extend(s.mute.iter().map(|(p, _)| p.clone()));
        out.extend(s.solo.iter().cloned());
        out.extend(s.name.iter().cloned());
        out.extend(s.color.iter().cloned());
        if let Some((b, t)) = &s.tone {
            out.push(b.clone());
            out.push(t.clone());
        }
    }
    out
}

/// The X32's 16 colours (`config/color`: 0 off, 1 red … 7 white; 8–15 the same, inverted),
/// as scribble-strip backgrounds.
pub fn x32_color(index: u32) -> (u8, u8, u8) {
    match index % 8 {
        1 => (0xf0, 0x50, 0x50),
        2 => (0x5c, 0xd8, 0x6a),
        3 => (0xf2, 0xd2, 0x4a),
        4 => (0x5a, 0x9c, 0xf5),
        5 => (0xe0, 0x6c, 0xe0),
        6 => (0x5a, 0xd8, 0xe0),
        7 => (0xf0, 0xf0, 0xf0),
        _ => (0x9a, 0x9c, 0xa3),
    }
}

/// Scale marks for a fader kind: (position 0–1, label).
pub fn marks(kind: ParamKind) -> Vec<(f32, String)> {
    let at = |db: f64| match kind {
        ParamKind::Fader | ParamKind::SendLevel => law::db_to_level(db),
        ParamKind::Gain { min_db, max_db, .. } => (db - min_db) / (max_db - min_db),
        _ => f64::NAN,
    };
    let list: &[f64] = match kind {
        ParamKind::Fader | ParamKind::SendLevel => {
            &[10.0, 5.0, 0.0, -5.0, -10.0, -20.0, -30.0, -40.0, -60.0]
        }
        ParamKind::Gain { .. } => &[20.0, 10.0, 0.0, -10.0, -20.0, -40.0, -60.0, -80.0, -100.0],
        _ => &[],
    };
    let mut out: Vec<(f32, String)> = list
        .iter()
        .filter_map(|db| {
            let p = at(*db);
            (p.is_finite() && (0.0..=1.0).contains(&p)).then(|| {
                let label = if *db > 0.0 {
                    format!("+{db:.0}")
                } else {
                    format!("{db:.0}")
                };
                (p as f32, label)
            })
        })
        .collect();
    if matches!(kind, ParamKind::Fader | ParamKind::SendLevel) {
        out.push((0.0, "-∞".into()));
    }
    out
}

/// Where 0 dB sits on a fader kind's travel.
pub fn unity(kind: ParamKind) -> f32 {
    kind.from_db(Db::ZERO)
        .map_or(0.75, |v| kind.normalized(&v).get() as f32)
}

/// A meter position 0–1 for a level: −60 dBFS at the bottom, +6 at the top (0 dBFS at 0.91).
pub fn meter_position(db: Db) -> f32 {
    if db.is_silence() {
        return 0.0;
    }
    (((db.get() + 60.0) / 66.0).clamp(0.0, 1.0)) as f32
}

/// How long a peak stays lit, and a clip lamp.
pub const PEAK_HOLD: Duration = Duration::from_millis(1500);
/// How long a clip lamp stays lit.
pub const CLIP_HOLD: Duration = Duration::from_secs(2);
/// Level history kept per strip (the seed's "waveform per channel").
pub const HISTORY: Duration = Duration::from_secs(10);

/// A strip's meter with peak hold, clip hold and its level history.
#[derive(Clone, Debug, Default)]
pub struct MeterState {
    /// Position 0–1.
    pub level: f32,
    /// Held peak 0–1.
    pub peak: f32,
    peak_at: Option<Instant>,
    clip_until: Option<Instant>,
    /// (time, position) over the last 10 s.
    pub history: Vec<(Instant, f32)>,
}

impl MeterState {
    /// A new reading: `db` and whether the mixer said it clipped.
    pub fn update(&mut self, db: Option<Db>, clipped: bool, now: Instant) {
        let level = db.map_or(0.0, meter_position);
        self.level = level;
        let held = self
            .peak_at
            .is_some_and(|t| now.duration_since(t) < PEAK_HOLD);
        if level >= self.peak || !held {
            self.peak = level;
            self.peak_at = Some(now);
        }
        let over = db.is_some_and(|d| !d.is_silence() && d.get() > 0.0);
        if over || clipped {
            self.clip_until = Some(now + CLIP_HOLD);
        }
        self.history.push((now, level));
        let cutoff = now.checked_sub(HISTORY);
        if let Some(cut) = cutoff {
            let first = self.history.partition_point(|(t, _)| *t < cut);
            self.history.drain(..first);
        }
    }

    /// Whether the clip lamp is lit.
    pub fn clip(&self, now: Instant) -> bool {
        self.clip_until.is_some_and(|t| now < t)
    }

    /// The history as Path commands in a 100 × 100 box (time left to right, level upwards).
    pub fn history_path(&self, now: Instant) -> String {
        path(self.history.iter().map(|(t, l)| {
            let age = now.duration_since(*t).as_secs_f64() / HISTORY.as_secs_f64();
            ((1.0 - age) * 100.0, (1.0 - f64::from(*l)) * 100.0)
        }))
    }
}

/// Path commands through the points ("M x y L x y …"); empty for no points.
pub fn path(points: impl IntoIterator<Item = (f64, f64)>) -> String {
    let mut s = String::new();
    for (i, (x, y)) in points.into_iter().enumerate() {
        let x = x.clamp(0.0, 10_000.0);
        let y = y.clamp(0.0, 10_000.0);
        s.push_str(if i == 0 { "M " } else { " L " });
        s.push_str(&format!("{x:.1} {y:.1}"));
    }
    s
}

/// The level (dB) a strip's meter reads in the latest frames.
pub fn meter_reading(
    source: MeterSource,
    x32: &MeterFrame,
    camilla: &MeterFrame,
) -> (Option<Db>, bool) {
    match source {
        MeterSource::X32(s) => (x32.level(s), false),
        MeterSource::Camilla(ch) => camilla
            .channels
            .get(&(Side::Playback, ch))
            .map_or((None, false), |l| (Some(l.rms), l.clipped)),
        MeterSource::CamillaMain => camilla
            .channels
            .iter()
            .filter(|((side, _), _)| *side == Side::Playback)
            .fold((None, false), |(best, clip), (_, l)| {
                let louder = match best {
                    None => Some(l.rms),
                    Some(b) if l.rms > b => Some(l.rms),
                    b => b,
                };
                (louder, clip || l.clipped)
            }),
        MeterSource::None => (None, false),
    }
}

/// The values the screen knows, by parameter.
#[derive(Default, Debug)]
pub struct Values(pub HashMap<ParamId, Value>);

impl Values {
    /// The value of `p`, or its kind's default.
    pub fn get(&self, p: &ParamId) -> Value {
        self.0
            .get(p)
            .cloned()
            .unwrap_or_else(|| p.kind().default_value())
    }

    /// Where `p` sits on its travel.
    pub fn position(&self, p: &ParamId) -> f32 {
        let v = self.get(p);
        p.kind().normalized(&v).get() as f32
    }

    /// `p` as a person reads it.
    pub fn text(&self, p: &ParamId) -> String {
        p.kind().display(&self.get(p))
    }

    /// Whether a switch is on.
    pub fn on(&self, p: &ParamId) -> bool {
        matches!(self.get(p), Value::Index(i) if i != 0)
    }

    /// Whether a strip is muted (an X32 "on" switch is inverted).
    pub fn muted(&self, s: &UiStrip) -> bool {
        match &s.mute {
            Some((p, true)) => !self.on(p),
            Some((p, false)) => self.on(p),
            None => false,
        }
    }

    /// The strip's name: the mixer's, or its default label.
    pub fn name(&self, s: &UiStrip) -> String {
        match s.name.as_ref().map(|p| self.get(p)) {
            Some(Value::Text(t)) if !t.is_empty() => t.to_string(),
            _ => s.default_name.clone(),
        }
    }

    /// The strip's colour as RGB.
    pub fn color(&self, s: &UiStrip) -> (u8, u8, u8) {
        match s.color.as_ref().map(|p| self.get(p)) {
            Some(Value::Index(i)) => x32_color(i),
            _ => match s.fader.mixer() {
                MixerId::Camilla => (0x6c, 0xc7, 0xb0),
                _ => x32_color(0),
            },
        }
    }
}

/// The intent a mute press makes: the inverse of what is shown.
pub fn mute_toggle_value(s: &UiStrip, values: &Values) -> Option<(ParamId, Value)> {
    let (p, inverted) = s.mute.clone()?;
    let muted = values.muted(s);
    let on = if inverted { muted } else { !muted };
    Some((p, Value::Index(u32::from(on))))
}

/// A fader position from the touch, on the parameter's grid.
pub fn fader_value(p: &ParamId, x: f32) -> Value {
    p.kind()
        .from_normalized(Normalized::new_clamped(f64::from(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_follow_the_config_and_main_lr_is_the_master() {
        let mut c = Config::demo("127.0.0.1:10023".parse().unwrap());
        c.camilla = Some(crate::config::CamillaConfig {
            url: "ws://127.0.0.1:1".into(),
            channels: 2,
            aux_faders: 1,
            config: None,
            crossfader: false,
            group_tone: true,
        });
        let (strips, master) = from_config(&c);
        let master = master.unwrap();
        assert_eq!(master.kind, "MAIN");
        assert_eq!(strips[0].kind, "CH 01");
        assert!(strips.iter().any(|s| s.kind == "DSP 1" && s.tone.is_some()));
        assert!(strips.iter().any(|s| s.kind == "DSP MAIN"));
        let all = params(&strips, Some(&master));
        assert!(all.contains(&id("x32:/-stat/solosw/01")));
        assert!(all.contains(&id("camilla:ch/1/treble")));
    }

    #[test]
    fn x32_mutes_are_inverted_on_switches() {
        let s = x32_strip(Strip::Channel(3));
        let mut v = Values::default();
        v.0.insert(s.mute.clone().unwrap().0, Value::Index(1));
        assert!(!v.muted(&s));
        assert_eq!(
            mute_toggle_value(&s, &v),
            Some((id("x32:/ch/03/mix/on"), Value::Index(0)))
        );
    }

    #[test]
    fn fader_marks_sit_on_the_law() {
        let m = marks(ParamKind::Fader);
        assert!(m.contains(&(0.75, "0".to_string())));
        assert!(m.contains(&(0.5, "-10".to_string())));
        assert_eq!(unity(ParamKind::Fader), (767.0 / 1023.0) as f32);
        let g = ParamKind::Gain {
            min_db: -100.0,
            max_db: 20.0,
            step_db: 0.5,
        };
        assert!((unity(g) - 100.0 / 120.0).abs() < 1e-3);
    }

    #[test]
    fn meters_hold_peaks_and_clips_and_keep_ten_seconds() {
        let t0 = Instant::now();
        let mut m = MeterState::default();
        m.update(Some(Db::new_lossy(-6.0)), false, t0);
        m.update(
            Some(Db::new_lossy(-30.0)),
            false,
            t0 + Duration::from_millis(100),
        );
        assert!(m.peak > m.level);
        m.update(
            Some(Db::new_lossy(-30.0)),
            false,
            t0 + Duration::from_secs(2),
        );
        assert_eq!(m.peak, m.level, "the peak falls after its hold");
        m.update(Some(Db::new_lossy(3.0)), false, t0 + Duration::from_secs(3));
        assert!(m.clip(t0 + Duration::from_secs(4)));
        assert!(!m.clip(t0 + Duration::from_secs(6)));
        m.update(None, false, t0 + Duration::from_secs(14));
        assert!(m.history.len() <= 2);
        assert!(m
            .history_path(t0 + Duration::from_secs(14))
            .starts_with("M "));
    }
}
