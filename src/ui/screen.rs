//! The screen on the UI thread: it owns the Slint models, applies one [`Frame`] at a time (one
//! closure per frame from the tokio side), and turns touches into desk intents.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use super::banks::{Controllers, Update};
use super::strips::{self, MeterState, UiStrip, Values};
use super::{
    ControllerView, DeskLogic, DeskWindow, LinkView, MeterData, Meters, ScaleMark, StabilizerView,
    StripData, Theme,
};
use crate::desk::{
    DspStatus, Intent, LinkState, MeterFrame, Op, Origin, ParamId, ParamKind, Value,
};
use crate::stabilizer::{Activity, StabilizerState, Status, TARGET_PRESETS};

/// What changed since the last frame, as plain data (it crosses from tokio to the UI thread).
#[derive(Clone, Debug, Default)]
pub struct Frame {
    /// Parameter values that changed (coalesced: the newest per parameter).
    pub values: Vec<(ParamId, Value)>,
    /// The change that came last: what and who.
    pub last: Option<(String, String)>,
    /// The X32's latest meters.
    pub x32: Option<MeterFrame>,
    /// CamillaDSP's latest meters.
    pub camilla: Option<MeterFrame>,
    /// Each mixer link: name, state, DSP figures.
    pub links: Vec<(String, LinkState, Option<DspStatus>)>,
    /// The stabilizer's state, when it runs.
    pub stabilizer: Option<StabilizerState>,
}

/// Look and language, saved between runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Look {
    /// `en` or `fr`.
    pub language: String,
    /// 0 dark, 1 light, 2 high contrast.
    pub theme: i32,
    /// 0 compact, 1 normal, 2 large.
    pub density: i32,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            language: "en".into(),
            theme: 0,
            density: 1,
        }
    }
}

/// The screen's state.
pub struct Screen {
    app: DeskWindow,
    strips: Vec<UiStrip>,
    master: Option<UiStrip>,
    values: Values,
    meters: Vec<MeterState>,
    master_meter: MeterState,
    history_on: Vec<bool>,
    page: usize,
    rows: Rc<VecModel<StripData>>,
    meter_rows: Rc<VecModel<MeterData>>,
    loudness: VecDeque<(Instant, Option<f64>, Option<f64>)>,
    stabilizer: Option<StabilizerState>,
    send: Box<dyn Fn(Intent)>,
    look: Look,
    /// The controllers: connected or not, where their banks are, which one the pages follow.
    controllers: Controllers,
    crossfader: Option<ParamId>,
    /// Each strip's fader scale, built once (index: strip, then the master last).
    marks: Vec<ModelRc<ScaleMark>>,
    /// Which strips show each parameter (−1: the master), so a change redraws only those.
    shown_by: std::collections::HashMap<ParamId, Vec<i32>>,
    /// Each DSP's clipped-sample count last seen, and until when its clip lamp stays lit.
    dsp_clips: std::collections::HashMap<String, (u64, Option<Instant>)>,
}

/// 60 s of stabilizer history.
const STABILIZER_GRAPH_S: f64 = 60.0;
/// One point of it every 100 ms.
const STABILIZER_GRAPH_STEP: std::time::Duration = std::time::Duration::from_millis(100);

fn rgb((r, g, b): (u8, u8, u8)) -> slint::Color {
    slint::Color::from_rgb_u8(r, g, b)
}

impl Screen {
    /// Build the screen for `strips` and `master`; `send` takes the intents touches make
    /// (the language, theme and density too: they are desk settings, saved with its state).
    pub fn new(
        app: DeskWindow,
        (strips, master): (Vec<UiStrip>, Option<UiStrip>),
        look: Look,
        send: Box<dyn Fn(Intent)>,
    ) -> Rc<RefCell<Screen>> {
        let n = strips.len();
        let marks = strips
            .iter()
            .chain(master.as_ref())
            .map(|s| {
                let m: Vec<ScaleMark> = strips::marks(s.fader.kind())
                    .into_iter()
                    .map(|(pos, label)| ScaleMark {
                        pos,
                        label: label.into(),
                    })
                    .collect();
                ModelRc::new(VecModel::from(m))
            })
            .collect();
        let mut shown_by: std::collections::HashMap<ParamId, Vec<i32>> =
            std::collections::HashMap::new();
        for (i, s) in strips.iter().enumerate() {
            for p in strips::params(std::slice::from_ref(s), None) {
                shown_by.entry(p).or_default().push(i as i32);
            }
        }
        for p in strips::params(&[], master.as_ref()) {
            shown_by.entry(p).or_default().push(-1);
        }
        let rows = Rc::new(VecModel::default());
        let meter_rows = Rc::new(VecModel::from(vec![MeterData::default(); n]));
        app.set_strips(ModelRc::from(rows.clone()));
        app.global::<Meters>()
            .set_strips(ModelRc::from(meter_rows.clone()));
        let screen = Rc::new(RefCell::new(Screen {
            app: app.clone_strong(),
            strips,
            master,
            values: Values::default(),
            meters: vec![MeterState::default(); n],
            master_meter: MeterState::default(),
            history_on: vec![false; n],
            page: 0,
            rows,
            meter_rows,
            loudness: VecDeque::new(),
            stabilizer: None,
            send,
            look: look.clone(),
            controllers: Controllers::default(),
            crossfader: None,
            marks,
            shown_by,
            dsp_clips: std::collections::HashMap::new(),
        }));
        Self::connect(&screen);
        {
            let mut s = screen.borrow_mut();
            s.set_look(look);
            s.refresh_rows();
            s.refresh_master();
        }
        screen
    }

    fn connect(screen: &Rc<RefCell<Screen>>) {
        let app = screen.borrow().app.clone_strong();
        let logic = app.global::<DeskLogic>();
        let s = Rc::downgrade(screen);
        let with = move |f: &dyn Fn(&mut Screen)| {
            if let Some(s) = s.upgrade() {
                if let Ok(mut s) = s.try_borrow_mut() {
                    f(&mut s);
                }
            }
        };
        let w = with.clone();
        logic.on_fader_moved(move |i, x| w(&|s| s.fader_moved(i, x)));
        let w = with.clone();
        logic.on_mute_toggled(move |i| w(&|s| s.mute_toggled(i)));
        let w = with.clone();
        logic.on_solo_toggled(move |i| w(&|s| s.solo_toggled(i)));
        let w = with.clone();
        logic.on_knob_moved(move |i, k, x| w(&|s| s.knob_moved(i, k, x)));
        let w = with.clone();
        logic.on_history_toggled(move |i| w(&|s| s.history_toggled(i)));
        let w = with.clone();
        logic.on_page(move |d| w(&|s| s.turn_page(d)));
        let w = with.clone();
        logic.on_stabilizer_toggled(move || w(&|s| s.stabilizer_toggled()));
        let w = with.clone();
        logic.on_target_preset(move |i| w(&|s| s.target_preset(i)));
        let w = with.clone();
        logic.on_profile(move |i| w(&|s| s.profile(i)));
        let w = with.clone();
        logic.on_crossfader_moved(move |x| w(&|s| s.crossfader_moved(x)));
        let w = with.clone();
        logic.on_language(move |l| {
            let lang = l.to_string();
            w(&|s| {
                let mut look = s.look.clone();
                look.language = lang.clone();
                s.choose_look(look);
            })
        });
        let w = with.clone();
        logic.on_theme(move |t| {
            w(&|s| {
                let mut look = s.look.clone();
                look.theme = t;
                s.choose_look(look);
            })
        });
        logic.on_density(move |d| {
            with(&|s| {
                let mut look = s.look.clone();
                look.density = d;
                s.choose_look(look);
            })
        });
    }

    /// The window.
    pub fn app(&self) -> &DeskWindow {
        &self.app
    }

    /// The look in use.
    pub fn look(&self) -> &Look {
        &self.look
    }

    /// The person chose a look on the screen: shown at once, and told to the desk, which
    /// keeps it with its settings (and the web remote follows).
    fn choose_look(&mut self, look: Look) {
        let before = self.look.clone();
        self.set_look(look);
        let now = self.look.clone();
        let language = u32::from(now.language == "fr");
        for (path, changed, index) in [
            ("ui/language", before.language != now.language, language),
            (
                "ui/theme",
                before.theme != now.theme,
                now.theme.clamp(0, 2) as u32,
            ),
            (
                "ui/density",
                before.density != now.density,
                now.density.clamp(0, 2) as u32,
            ),
        ] {
            if let (true, Ok(p)) = (changed, ParamId::pupitre(path)) {
                self.send(p, Op::Set(Value::Index(index)));
            }
        }
    }

    /// A look setting from the desk.
    fn look_value(&mut self, param: &ParamId, value: &Value) -> bool {
        let (crate::desk::MixerId::Pupitre, Value::Index(i)) = (param.mixer(), value) else {
            return false;
        };
        let mut look = self.look.clone();
        let i = (*i).min(2) as i32;
        match param.path() {
            "ui/language" => look.language = if i == 1 { "fr" } else { "en" }.into(),
            "ui/theme" => look.theme = i,
            "ui/density" => look.density = i,
            _ => return false,
        }
        if look != self.look {
            self.set_look(look);
        }
        true
    }

    /// The controllers with banks, and which one the pages follow (see [`Controllers`]).
    pub fn set_controllers(&mut self, controllers: Controllers) {
        self.controllers = controllers;
        self.refresh_controllers();
        self.refresh_rows();
    }

    fn refresh_controllers(&self) {
        let views: Vec<ControllerView> = self
            .controllers
            .status()
            .into_iter()
            .map(|c| ControllerView {
                name: c.name.into(),
                connected: c.connected,
                on: c.on.into(),
            })
            .collect();
        self.app
            .set_controllers(ModelRc::new(VecModel::from(views)));
    }

    /// Switch language, theme and density (live), on this screen only.
    pub fn set_look(&mut self, look: Look) {
        let lang = if look.language == "fr" { "fr" } else { "en" };
        // "en" is the source language: no bundle, the strings as written.
        if let Err(e) = slint::select_bundled_translation(if lang == "en" { "" } else { lang }) {
            tracing::warn!(language = lang, error = %e, "translation not available");
        }
        self.app.set_language(lang.into());
        let theme = self.app.global::<Theme>();
        theme.set_mode(look.theme.clamp(0, 2));
        theme.set_density(look.density.clamp(0, 2));
        self.look = look;
        self.refresh_rows();
    }

    fn strip(&self, i: i32) -> Option<&UiStrip> {
        if i < 0 {
            self.master.as_ref()
        } else {
            self.strips.get(i as usize)
        }
    }

    fn send(&self, param: ParamId, op: Op) {
        (self.send)(Intent {
            param,
            op,
            origin: Origin::Ui,
        });
    }

    fn fader_moved(&mut self, i: i32, x: f32) {
        let Some(p) = self.strip(i).map(|s| s.fader.clone()) else {
            return;
        };
        // Shown at once (the desk confirms with a change); the desk coalesces the burst.
        let v = strips::fader_value(&p, x);
        self.values.0.insert(p.clone(), v.clone());
        self.refresh_one(i);
        self.send(p, Op::Set(v));
    }

    fn mute_toggled(&mut self, i: i32) {
        if let Some((p, v)) = self
            .strip(i)
            .and_then(|s| strips::mute_toggle_value(s, &self.values))
        {
            self.send(p, Op::Set(v));
        }
    }

    fn solo_toggled(&mut self, i: i32) {
        if let Some(p) = self.strip(i).and_then(|s| s.solo.clone()) {
            self.send(p, Op::Toggle);
        }
    }

    fn knob_moved(&mut self, i: i32, which: i32, x: f32) {
        let Some((b, t)) = self.strip(i).and_then(|s| s.tone.clone()) else {
            return;
        };
        let p = if which == 0 { b } else { t };
        let v = strips::fader_value(&p, x);
        self.values.0.insert(p.clone(), v.clone());
        self.refresh_one(i);
        self.send(p, Op::Set(v));
    }

    fn history_toggled(&mut self, i: i32) {
        if let Some(on) = usize::try_from(i)
            .ok()
            .and_then(|i| self.history_on.get_mut(i))
        {
            *on = !*on;
        }
        self.refresh_rows();
    }

    fn per_page(&self) -> usize {
        usize::try_from(self.app.get_strips_per_page())
            .unwrap_or(1)
            .max(1)
    }

    /// Page by `delta` (0: the page size changed). A page turned by hand takes the followed
    /// controller along to its first strip it has.
    fn turn_page(&mut self, delta: i32) {
        let pages = self.strips.len().div_ceil(self.per_page()).max(1);
        self.page = (self.page as i64 + i64::from(delta)).rem_euclid(pages as i64) as usize;
        self.refresh_rows();
        if delta != 0 {
            let faders: Vec<ParamId> = self
                .visible()
                .map(|i| self.strips[i].fader.clone())
                .collect();
            if let Some((param, at)) = self.controllers.bank_for_page(&faders) {
                self.send(param, Op::Set(Value::Index(at)));
            }
        }
    }

    /// The followed controller banked: turn to the page with its first strip, if not in view
    /// (the caller redraws the rows).
    fn follow_bank(&mut self) {
        let Some(first) = self.controllers.followed_first() else {
            return;
        };
        let Some(k) = self.strips.iter().position(|s| &s.fader == first) else {
            return;
        };
        if !self.visible().contains(&k) {
            self.page = k / self.per_page();
        }
    }

    fn stabilizer_toggled(&mut self) {
        if let Ok(p) = ParamId::parse("pupitre:stabilizer/enabled") {
            self.send(p, Op::Toggle);
        }
    }

    fn target_preset(&mut self, i: i32) {
        if let (Ok(p), Ok(i)) = (
            ParamId::parse("pupitre:stabilizer/preset"),
            u32::try_from(i),
        ) {
            self.send(p, Op::Set(Value::Index(i)));
        }
    }

    /// Show the crossfader (a CamillaDSP one, when the config has it).
    pub fn set_crossfader(&mut self, param: Option<ParamId>) {
        self.app.set_has_crossfader(param.is_some());
        self.crossfader = param;
        self.refresh_crossfader();
    }

    fn refresh_crossfader(&self) {
        if let Some(p) = &self.crossfader {
            self.app.set_crossfader(self.values.position(p));
            self.app.set_crossfader_text(self.values.text(p).into());
        }
    }

    fn crossfader_moved(&mut self, x: f32) {
        if let Some(p) = self.crossfader.clone() {
            let v = strips::fader_value(&p, x);
            self.values.0.insert(p.clone(), v.clone());
            self.refresh_crossfader();
            self.send(p, Op::Set(v));
        }
    }

    fn profile(&mut self, i: i32) {
        if let (Ok(p), Ok(i)) = (
            ParamId::parse("pupitre:stabilizer/profile"),
            u32::try_from(i),
        ) {
            self.send(p, Op::Set(Value::Index(i)));
        }
    }

    fn row(&self, index: i32, s: &UiStrip) -> StripData {
        let v = &self.values;
        let kind = s.fader.kind();
        let marks = usize::try_from(index)
            .unwrap_or(self.strips.len())
            .min(self.marks.len().saturating_sub(1));
        let meter = usize::try_from(index)
            .ok()
            .and_then(|i| self.meters.get(i))
            .unwrap_or(&self.master_meter);
        let history_on = usize::try_from(index)
            .ok()
            .and_then(|i| self.history_on.get(i).copied())
            .unwrap_or(false);
        let (bass, treble) = match &s.tone {
            Some((b, t)) => (Some(b), Some(t)),
            None => (None, None),
        };
        StripData {
            index,
            kind: s.kind.as_str().into(),
            name: v.name(s).into(),
            color: rgb(v.color(s)),
            fader: v.position(&s.fader),
            fader_text: v.text(&s.fader).into(),
            unity: strips::unity(kind),
            marks: self.marks.get(marks).cloned().unwrap_or_default(),
            muted: v.muted(s),
            has_solo: s.solo.is_some(),
            soloed: s.solo.as_ref().is_some_and(|p| v.on(p)),
            has_tone: s.tone.is_some(),
            bass: bass.map_or(0.5, |p| v.position(p)),
            bass_text: bass.map_or_else(SharedString::new, |p| v.text(p).into()),
            treble: treble.map_or(0.5, |p| v.position(p)),
            treble_text: treble.map_or_else(SharedString::new, |p| v.text(p).into()),
            history_on,
            history: if history_on {
                meter.history_path(Instant::now()).into()
            } else {
                SharedString::new()
            },
            bank: if index < 0 {
                SharedString::new()
            } else {
                self.controllers.on_strip(&s.fader).join(" ").into()
            },
        }
    }

    /// Scope patterns naming the strips on the current page (`x32:/ch/01`, `camilla:ch/0`):
    /// what "reset this page" resets.
    pub fn page_scope(&self) -> Vec<String> {
        self.visible()
            .map(|i| strip_scope(&self.strips[i].fader))
            .collect()
    }

    fn visible(&self) -> std::ops::Range<usize> {
        let per = self.per_page();
        let start = (self.page * per).min(self.strips.len());
        start..(start + per).min(self.strips.len())
    }

    fn refresh_rows(&mut self) {
        let pages = self.strips.len().div_ceil(self.per_page()).max(1);
        if self.page >= pages {
            self.page = pages - 1;
        }
        let rows: Vec<StripData> = self
            .visible()
            .map(|i| self.row(i as i32, &self.strips[i]))
            .collect();
        if rows.len() == self.rows.row_count() {
            for (i, r) in rows.into_iter().enumerate() {
                self.rows.set_row_data(i, r);
            }
        } else {
            self.rows.set_vec(rows);
        }
        self.app.set_has_pages(pages > 1);
        let label = match self.controllers.followed() {
            Some(name) => format!("{}/{} · {name}", self.page + 1, pages),
            None => format!("{}/{}", self.page + 1, pages),
        };
        self.app.set_page_label(label.into());
    }

    fn refresh_one(&mut self, i: i32) {
        if i < 0 {
            self.refresh_master();
            return;
        }
        let range = self.visible();
        let i = i as usize;
        if range.contains(&i) {
            let row = self.row(i as i32, &self.strips[i]);
            self.rows.set_row_data(i - range.start, row);
        }
    }

    fn refresh_master(&mut self) {
        match self.master.clone() {
            Some(m) => {
                self.app.set_has_master(true);
                self.app.set_master(self.row(-1, &m));
            }
            None => self.app.set_has_master(false),
        }
    }

    /// Apply one frame from the desk.
    pub fn apply(&mut self, frame: Frame, now: Instant) {
        let mut dirty: Vec<i32> = Vec::new();
        let (mut presence, mut banked, mut follow) = (false, false, false);
        for (p, v) in frame.values {
            if let Some(shown) = self.shown_by.get(&p) {
                dirty.extend(shown);
            }
            if p.mixer() == crate::desk::MixerId::Pupitre {
                super::memory::follow_value(&self.app, &p, &v);
            }
            if self.look_value(&p, &v) {
                continue;
            }
            match self.controllers.apply(&p, &v) {
                Update::None => {}
                Update::Presence => presence = true,
                Update::Bank(followed) => {
                    banked = true;
                    follow |= followed;
                }
            }
            let crossfader = self.crossfader.as_ref() == Some(&p);
            self.values.0.insert(p, v);
            if crossfader {
                self.refresh_crossfader();
            }
        }
        let empty_x32 = MeterFrame::empty(crate::desk::MixerId::X32);
        let empty_camilla = MeterFrame::empty(crate::desk::MixerId::Camilla);
        let x32 = frame.x32.as_ref().unwrap_or(&empty_x32);
        let camilla = frame.camilla.as_ref().unwrap_or(&empty_camilla);
        if frame.x32.is_some() || frame.camilla.is_some() {
            for (i, s) in self.strips.iter().enumerate() {
                let (db, clipped) = strips::meter_reading(s.meter, x32, camilla);
                let m = &mut self.meters[i];
                m.update(db, clipped, now);
                self.meter_rows.set_row_data(
                    i,
                    MeterData {
                        level: m.level,
                        peak: m.peak,
                        clip: m.clip(now),
                    },
                );
            }
            if let Some(s) = &self.master {
                let (db, clipped) = strips::meter_reading(s.meter, x32, camilla);
                self.master_meter.update(db, clipped, now);
                let m = &self.master_meter;
                self.app.set_master_meter(MeterData {
                    level: m.level,
                    peak: m.peak,
                    clip: m.clip(now),
                });
            }
        }
        if presence || banked {
            self.refresh_controllers();
        }
        if banked {
            // Tags move with any controller's bank; the page with the followed one's.
            if follow {
                self.follow_bank();
            }
            self.refresh_rows();
        }
        // Strips whose values changed, and those drawing their level history.
        dirty.extend(
            self.history_on
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| i as i32),
        );
        dirty.sort_unstable();
        dirty.dedup();
        for i in dirty {
            self.refresh_one(i);
        }
        if let Some((what, who)) = frame.last {
            self.app.set_last_what(what.into());
            self.app.set_last_who(who.into());
        }
        if !frame.links.is_empty() {
            let links: Vec<LinkView> = frame
                .links
                .iter()
                .map(|(name, state, dsp)| LinkView {
                    clipped: dsp.as_ref().is_some_and(|d| {
                        let seen = self
                            .dsp_clips
                            .entry(name.clone())
                            .or_insert((d.clipped_samples, None));
                        if d.clipped_samples > seen.0 {
                            seen.1 = Some(now + strips::CLIP_HOLD);
                        }
                        seen.0 = d.clipped_samples;
                        seen.1.is_some_and(|t| now < t)
                    }),
                    name: name.as_str().into(),
                    state: match state {
                        LinkState::Disabled => 0,
                        LinkState::Connecting => 1,
                        LinkState::Syncing => 2,
                        LinkState::Online => 3,
                        LinkState::Lost => 4,
                    },
                    has_dsp: dsp.is_some(),
                    load: dsp.as_ref().map_or(0.0, |d| d.load_percent as f32),
                })
                .collect();
            self.app.set_links(ModelRc::new(VecModel::from(links)));
        }
        let new_state = frame.stabilizer.is_some();
        if let Some(st) = frame.stabilizer {
            self.stabilizer = Some(st);
        }
        self.refresh_stabilizer(now, new_state);
    }

    /// Redraw the leveler panel when its state changed or the graph is due to scroll.
    fn refresh_stabilizer(&mut self, now: Instant, new_state: bool) {
        let Some(st) = &self.stabilizer else {
            return;
        };
        // 10 points a second: 600 over the graph's 600 units of width.
        let due = self
            .loudness
            .back()
            .is_none_or(|(t, _, _)| now.duration_since(*t) >= STABILIZER_GRAPH_STEP);
        if !due && !new_state {
            return;
        }
        if due {
            self.loudness
                .push_back((now, st.momentary_lufs, st.fader_db));
        }
        while self
            .loudness
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t).as_secs_f64() > STABILIZER_GRAPH_S)
        {
            self.loudness.pop_front();
        }
        let target = st.settings.target_lufs;
        let x =
            |t: &Instant| 600.0 * (1.0 - now.duration_since(*t).as_secs_f64() / STABILIZER_GRAPH_S);
        // ±12 LU around the target fills the height; the fader ±12 dB around home.
        let loud = strips::path(
            self.loudness
                .iter()
                .filter_map(|(t, l, _)| l.map(|l| (x(t), 50.0 - (l - target) / 12.0 * 50.0))),
        );
        let home = st.home_db.unwrap_or(0.0);
        let fader = strips::path(
            self.loudness
                .iter()
                .filter_map(|(t, _, f)| f.map(|f| (x(t), 50.0 - (f - home) / 12.0 * 50.0))),
        );
        let status = match st.status {
            Status::Off => 0,
            Status::Calibrating => 1,
            Status::Active(Activity::Listening) => 2,
            Status::Active(Activity::Holding) => 3,
            Status::Active(Activity::Riding) => 4,
            Status::Active(Activity::Emergency) => 5,
            Status::Active(Activity::Gated) => 6,
            Status::Frozen => 7,
            Status::Paused { .. } => 8,
        };
        self.app.set_stabilizer(StabilizerView {
            available: true,
            enabled: st.enabled,
            status,
            target: target as f32,
            estimate: st.estimate_lufs.unwrap_or(target) as f32,
            has_estimate: st.estimate_lufs.is_some(),
            fader_text: st
                .fader_db
                .map_or_else(
                    || "-".to_string(),
                    |f| {
                        ParamKind::Fader.display(
                            &ParamKind::Fader
                                .from_db(crate::desk::Db::new_lossy(f))
                                .unwrap_or(Value::Index(0)),
                        )
                    },
                )
                .into(),
            profile: st.profile_in_use.name().into(),
            profile_set: crate::stabilizer::Profile::ALL
                .iter()
                .position(|p| *p == st.settings.profile)
                .unwrap_or(0) as i32,
            loudness_path: loud.into(),
            fader_path: fader.into(),
        });
    }

    /// The presets' targets, in button order.
    pub fn presets() -> [f64; 4] {
        TARGET_PRESETS
    }
}

/// The scope pattern of the strip a fader belongs to: its id without the fader's own leaf
/// (`x32:/ch/01/mix/fader` → `x32:/ch/01`, `x32:/dca/3/fader` → `x32:/dca/3`,
/// `camilla:ch/0/gain` → `camilla:ch/0`).
pub fn strip_scope(fader: &ParamId) -> String {
    let id = fader.to_string();
    let base = id.strip_suffix("/mix/fader").unwrap_or(&id);
    match base.rsplit_once('/') {
        Some((strip, _)) if base.len() == id.len() => strip.to_owned(),
        _ => base.to_owned(),
    }
}
