//! One controller's state, as pure logic (time is an argument, no I/O): messages in → intents;
//! desk changes and meters in → feedback bytes, coalesced per address and rate-limited.
//!
//! Rules users asked for (`controllers.md` §5):
//! - no feedback to a fader or knob for 100 ms after it moved its target (it would fight the
//!   hand), and none at all while an MCU fader is touched;
//! - a motor fader's input is ignored for 50 ms after a motor move (the motor's own travel);
//! - LEDs always show the state, even right after their own button (Behringer buttons light
//!   themselves on press);
//! - switching bank or layer asks every fader without a motor to pick up again, and re-sends
//!   the whole feedback state, as does every (re)connect (after the init messages).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use std::time::Instant;

use super::feedback::{
    address_of, cc_meter, lcd_line, mcu_meter, raw_message, ring_message, value_message,
    xtouch_colors, Address,
};
use crate::desk::{Change, Intent, MeterFrame, Op, Origin, ParamId, Strip, SurfaceParam, Value};
use crate::mapping::{
    feedback_value, interpret, Action, ControlValue, Display, Feedback, GlueState, Mapping, Meter,
    MeterStrip, ShortMessage, Source, SourceDecoder, StripParam, Target,
};

/// No feedback to a control this long after it moved its target.
pub const ECHO_WINDOW: Duration = Duration::from_millis(100);
/// A motor fader's input is ignored this long after a motor move.
pub const MOTOR_SQUELCH: Duration = Duration::from_millis(50);
/// Meters are sent at most this often.
pub const METER_PERIOD: Duration = Duration::from_millis(100);

/// What the engine asks of the service.
#[derive(Clone, Debug)]
pub enum Output {
    /// A change for the desk.
    Intent(Intent),
}

/// Feedback waiting to be sent: one message per address, last one wins, each address at most
/// once per `min_interval`.
#[derive(Debug, Default)]
struct Outgoing {
    pending: BTreeMap<Address, Vec<u8>>,
    last_sent: HashMap<Address, Instant>,
    min_interval: Duration,
}

impl Outgoing {
    fn push(&mut self, address: Address, bytes: Vec<u8>) {
        self.pending.insert(address, bytes);
    }

    fn due(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let min = self.min_interval;
        let last = &mut self.last_sent;
        self.pending.retain(|address, bytes| {
            if last.get(address).is_some_and(|t| now < *t + min) {
                return true;
            }
            last.insert(*address, now);
            out.push(std::mem::take(bytes));
            false
        });
        out
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.pending
            .keys()
            .map(|a| {
                self.last_sent
                    .get(a)
                    .map_or_else(Instant::now, |t| *t + self.min_interval)
            })
            .min()
    }
}

/// A controller's running state.
pub struct Engine {
    name: Arc<str>,
    mapping: Mapping,
    decoder: SourceDecoder,
    glue: Vec<GlueState>,
    by_source: HashMap<Source, Vec<usize>>,
    touch: HashMap<Source, usize>,
    last_control: Vec<Option<Instant>>,
    last_motor: Vec<Option<Instant>>,
    touched: Vec<bool>,
    bank_offset: usize,
    /// `pupitre:surface/NAME/bank`, where the bank position is shared with the screen and
    /// anyone else following it (`None` without banks).
    bank_param: Option<ParamId>,
    layer: Option<String>,
    values: HashMap<ParamId, Value>,
    targets: HashMap<ParamId, Vec<usize>>,
    out: Outgoing,
    last_meters: Option<Instant>,
}

impl Engine {
    /// A controller named `name` (its intents carry `Origin::Surface(name)`), running `mapping`,
    /// starting from the desk's `snapshot`.
    pub fn new(name: &str, mapping: Mapping, snapshot: Vec<(ParamId, Value)>) -> Engine {
        let mut e = Engine {
            name: Arc::from(name),
            decoder: SourceDecoder::new(&[]),
            glue: Vec::new(),
            by_source: HashMap::new(),
            touch: HashMap::new(),
            last_control: Vec::new(),
            last_motor: Vec::new(),
            touched: Vec::new(),
            bank_offset: 0,
            bank_param: None,
            layer: None,
            values: snapshot.into_iter().collect(),
            targets: HashMap::new(),
            out: Outgoing::default(),
            last_meters: None,
            mapping: mapping.clone(),
        };
        e.load(mapping);
        // A bank position already on the desk (a restarted task, a restored state) is kept.
        if let Some(Value::Index(at)) = e.bank_param.as_ref().and_then(|p| e.values.get(p)) {
            e.bank_offset = e.clamp_offset(*at as usize);
            e.rebuild_targets();
        }
        e
    }

    /// `pupitre:surface/NAME/bank`, when the mapping has banks.
    pub fn bank_param(name: &str, mapping: &Mapping) -> Option<ParamId> {
        mapping.banks.as_ref()?;
        ParamId::surface(name, SurfaceParam::Bank)
    }

    /// `pupitre:surface/NAME/connected`.
    pub fn connected_param(name: &str) -> Option<ParamId> {
        ParamId::surface(name, SurfaceParam::Connected)
    }

    fn clamp_offset(&self, at: usize) -> usize {
        let len = self.mapping.banks.as_ref().map_or(0, |b| b.channels.len());
        at.min(len.saturating_sub(1))
    }

    /// Swap in an edited mapping (hot reload), keeping the bank position where it still fits.
    pub fn replace_mapping(&mut self, mapping: Mapping) {
        self.load(mapping);
        self.resync_feedback();
    }

    fn load(&mut self, mapping: Mapping) {
        let n = mapping.controls.len();
        let mut sources: Vec<Source> = mapping.controls.iter().map(|c| c.source).collect();
        self.by_source.clear();
        self.touch.clear();
        for (i, c) in mapping.controls.iter().enumerate() {
            self.by_source.entry(c.source).or_default().push(i);
            if let Some(t) = c.motor.and_then(|m| m.touch) {
                self.touch.insert(t, i);
                sources.push(t);
            }
        }
        self.decoder = SourceDecoder::new(&sources);
        self.glue = mapping
            .controls
            .iter()
            .map(|c| GlueState::for_character(c.character))
            .collect();
        self.last_control = vec![None; n];
        self.last_motor = vec![None; n];
        self.touched = vec![false; n];
        self.out.min_interval = Duration::from_secs(1) / mapping.device.feedback_rate.max(1);
        let len = mapping.banks.as_ref().map_or(0, |b| b.channels.len());
        if self.bank_offset >= len {
            self.bank_offset = 0;
        }
        self.bank_param = Self::bank_param(&self.name, &mapping);
        self.mapping = mapping;
        self.layer = None;
        self.rebuild_targets();
    }

    /// The mapping being run.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The first bank strip's position in the bank channels (0-based).
    pub fn bank_offset(&self) -> usize {
        self.bank_offset
    }

    /// The layer held right now.
    pub fn layer(&self) -> Option<&str> {
        self.layer.as_deref()
    }

    /// Every desk parameter this mapping can target or show, for the desk to know and read back.
    pub fn params(mapping: &Mapping) -> Vec<ParamId> {
        let channels: &[Strip] = mapping.banks.as_ref().map_or(&[], |b| &b.channels);
        let mut out = Vec::new();
        for c in &mapping.controls {
            match &c.target {
                Target::Param(p) => out.push(p.clone()),
                Target::Strip { param, .. } => {
                    out.extend(channels.iter().filter_map(|s| strip_param(*s, *param)))
                }
                Target::Action(_) => {}
            }
        }
        if !mapping.displays.is_empty() {
            for s in channels {
                out.push(s.name());
                out.push(s.color());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn bank_strip(&self, index: u8) -> Option<Strip> {
        let banks = self.mapping.banks.as_ref()?;
        banks
            .channels
            .get(self.bank_offset + usize::from(index))
            .copied()
    }

    fn resolve(&self, i: usize) -> Option<ParamId> {
        match &self.mapping.controls[i].target {
            Target::Param(p) => Some(p.clone()),
            Target::Strip { index, param } => strip_param(self.bank_strip(*index)?, *param),
            Target::Action(_) => None,
        }
    }

    /// The control that listens to `source` right now: the held layer's, else the base one's.
    fn active(&self, source: &Source) -> Option<usize> {
        let list = self.by_source.get(source)?;
        let controls = &self.mapping.controls;
        if let Some(l) = &self.layer {
            if let Some(&i) = list
                .iter()
                .find(|&&i| controls[i].layer.as_deref() == Some(l))
            {
                return Some(i);
            }
        }
        list.iter().copied().find(|&i| controls[i].layer.is_none())
    }

    fn is_active(&self, i: usize) -> bool {
        self.active(&self.mapping.controls[i].source) == Some(i)
    }

    fn rebuild_targets(&mut self) {
        self.targets.clear();
        for i in 0..self.mapping.controls.len() {
            if self.is_active(i) {
                if let Some(p) = self.resolve(i) {
                    self.targets.entry(p).or_default().push(i);
                }
            }
        }
    }

    fn normalized(&self, param: &ParamId) -> crate::desk::Normalized {
        let kind = param.kind();
        match self.values.get(param) {
            Some(v) => kind.normalized(v),
            None => kind.normalized(&kind.default_value()),
        }
    }

    /// A message from the controller.
    pub fn on_input(&mut self, msg: ShortMessage, now: Instant) -> Vec<Output> {
        let mut outputs = Vec::new();
        for (source, raw) in self.decoder.feed(&msg) {
            if let Some(&i) = self.touch.get(&source) {
                let touched = raw.value > 0;
                self.touched[i] = touched;
                if !touched {
                    // Released: put the fader where the desk says, in case it disagreed.
                    self.queue_control(i);
                }
                continue;
            }
            let Some(i) = self.active(&source) else {
                continue;
            };
            let control = &self.mapping.controls[i];
            let Some(value) = interpret(control.character, raw) else {
                continue;
            };
            if let Target::Action(action) = &control.target {
                let action = action.clone();
                self.on_action(&action, &value, now, &mut outputs);
                continue;
            }
            let has_motor = control.motor.is_some();
            if has_motor
                && !self.touched[i]
                && self.last_motor[i].is_some_and(|t| now < t + MOTOR_SQUELCH)
            {
                continue;
            }
            let Some(param) = self.resolve(i) else {
                continue;
            };
            let current = self.normalized(&param);
            let glue = control.glue;
            if let Some(out) = self.glue[i].control(&glue, value, current, now) {
                self.last_control[i] = Some(now);
                outputs.push(self.intent(param, out.into()));
            }
        }
        outputs
    }

    fn on_action(
        &mut self,
        action: &Action,
        value: &ControlValue,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let pressed = match value {
            ControlValue::Press => true,
            ControlValue::Release => false,
            ControlValue::Absolute(x) => x.get() > 0.0,
            ControlValue::Relative(_) => true,
        };
        let strips = self
            .mapping
            .banks
            .as_ref()
            .map_or(0, |b| usize::from(b.strips));
        let len = self.mapping.banks.as_ref().map_or(0, |b| b.channels.len());
        let last_page = len.saturating_sub(1) / strips.max(1) * strips.max(1);
        let before = (self.bank_offset, self.layer.clone());
        match action {
            Action::Layer(l) => self.layer = pressed.then(|| l.clone()),
            _ if !pressed => {}
            Action::BankNext => self.bank_offset = (self.bank_offset + strips).min(last_page),
            Action::BankPrev => self.bank_offset = self.bank_offset.saturating_sub(strips),
            Action::StripNext => {
                self.bank_offset = (self.bank_offset + 1).min(len.saturating_sub(1))
            }
            Action::StripPrev => self.bank_offset = self.bank_offset.saturating_sub(1),
            Action::StabilizerToggle => {
                if let Ok(param) = ParamId::pupitre("stabilizer/enabled") {
                    out.push(self.intent(param, Op::Toggle));
                }
            }
            // The scene keeper follows this parameter and sets it back to 0 after the recall.
            Action::SceneRecall(slot) => {
                if let Ok(param) = ParamId::pupitre("scene/recall") {
                    out.push(self.intent(param, Op::Set(Value::Index(*slot))));
                }
            }
        }
        if before.0 != self.bank_offset {
            if let Some(p) = self.bank_param.clone() {
                out.push(self.intent(p, Op::Set(Value::Index(self.bank_offset as u32))));
            }
        }
        if before != (self.bank_offset, self.layer.clone()) {
            self.retarget(now);
        }
    }

    fn intent(&self, param: ParamId, op: Op) -> Output {
        Output::Intent(Intent {
            param,
            op,
            origin: Origin::Surface(self.name.clone()),
        })
    }

    /// The bank or layer moved: new targets under the same hands.
    fn retarget(&mut self, now: Instant) {
        self.rebuild_targets();
        // Faders must pick up again, never jump.
        for i in 0..self.glue.len() {
            if let Some(p) = self.resolve(i) {
                let v = self.normalized(&p);
                self.glue[i].target_changed(v, false, now);
            }
        }
        self.resync_feedback();
    }

    /// A change the desk accepted. Returns a correction when someone else moved this
    /// controller's bank past its end.
    pub fn on_change(&mut self, change: &Change, now: Instant) -> Vec<Output> {
        self.values
            .insert(change.param.clone(), change.value.clone());
        let ours = change.origin == Origin::Surface(self.name.clone());
        if !ours && self.bank_param.as_ref() == Some(&change.param) {
            return self.follow_bank(&change.value, now);
        }
        let value = self.normalized(&change.param);
        for i in self.targets.get(&change.param).cloned().unwrap_or_default() {
            let caused = ours && self.last_control[i].is_some_and(|t| now < t + ECHO_WINDOW);
            self.glue[i].target_changed(value, caused, now);
            let control = &self.mapping.controls[i];
            let shows_state = matches!(control.feedback, Feedback::Led { .. } | Feedback::Table(_));
            let has_motor = control.motor.is_some();
            if (caused && !shows_state) || self.touched[i] {
                continue;
            }
            self.queue_control(i);
            if has_motor {
                self.last_motor[i] = Some(now);
            }
        }
        if self.is_bank_display_param(&change.param) {
            self.queue_displays();
        }
        Vec::new()
    }

    /// The screen (or a scene, the web…) moved this controller's bank.
    fn follow_bank(&mut self, value: &Value, now: Instant) -> Vec<Output> {
        let Value::Index(at) = value else {
            return Vec::new();
        };
        let offset = self.clamp_offset(*at as usize);
        if offset != self.bank_offset {
            self.bank_offset = offset;
            self.retarget(now);
        }
        match &self.bank_param {
            Some(p) if offset != *at as usize => {
                vec![self.intent(p.clone(), Op::Set(Value::Index(offset as u32)))]
            }
            _ => Vec::new(),
        }
    }

    /// The desk was lost track of (a lagging change stream): start again from a snapshot.
    pub fn reset_values(&mut self, snapshot: Vec<(ParamId, Value)>) {
        self.values = snapshot.into_iter().collect();
        self.resync_feedback();
    }

    fn is_bank_display_param(&self, p: &ParamId) -> bool {
        if self.mapping.displays.is_empty() {
            return false;
        }
        let strips = self.mapping.banks.as_ref().map_or(0, |b| b.strips);
        (0..strips)
            .filter_map(|k| self.bank_strip(k))
            .any(|s| &s.name() == p || &s.color() == p)
    }

    /// Levels from a mixer.
    pub fn on_meters(&mut self, frame: &MeterFrame, now: Instant) {
        if self.mapping.meters.is_empty()
            || self.last_meters.is_some_and(|t| now < t + METER_PERIOD)
        {
            return;
        }
        self.last_meters = Some(now);
        for i in 0..self.mapping.meters.len() {
            match self.mapping.meters[i] {
                Meter::Mcu { channel, strips } => {
                    for k in 0..strips {
                        let level = self.bank_strip(k).and_then(|s| frame.level(s));
                        self.out.push(
                            Address::McuMeter(channel.wire(), k),
                            mcu_meter(channel, k, level),
                        );
                    }
                }
                Meter::Cc {
                    channel,
                    cc,
                    strip,
                    max,
                    floor_db,
                } => {
                    let strip = match strip {
                        MeterStrip::Fixed(s) => Some(s),
                        MeterStrip::Bank(k) => self.bank_strip(k),
                    };
                    let level = strip.and_then(|s| frame.level(s));
                    self.out.push(
                        Address::Cc(channel.wire(), cc),
                        cc_meter(channel, cc, max, floor_db, level),
                    );
                }
            }
        }
    }

    /// The device (re)connected: its init messages, to send first, then the whole state queued.
    pub fn on_connected(&mut self) -> Vec<Vec<u8>> {
        for t in self.touched.iter_mut() {
            *t = false;
        }
        self.out.last_sent.clear();
        self.resync_feedback();
        self.mapping.device.init.clone()
    }

    /// Queue every LED, fader, ring and display for the current bank and layer.
    pub fn resync_feedback(&mut self) {
        for i in 0..self.mapping.controls.len() {
            if self.is_active(i) {
                self.queue_control(i);
            }
        }
        self.queue_displays();
    }

    fn queue_control(&mut self, i: usize) {
        if let Some((address, bytes)) = self.feedback_for(i) {
            self.out.push(address, bytes);
        }
    }

    fn feedback_for(&self, i: usize) -> Option<(Address, Vec<u8>)> {
        let c = &self.mapping.controls[i];
        // A control whose bank strip does not exist (past the end, or no pan there) shows zero.
        let x = self
            .resolve(i)
            .map_or(0.0, |p| feedback_value(&c.glue, self.normalized(&p)).get());
        match &c.feedback {
            Feedback::None => None,
            Feedback::Auto => Some((address_of(&c.source), value_message(&c.source, x))),
            Feedback::Led { on, off, at } => {
                let at = at.unwrap_or(c.source);
                Some((
                    address_of(&at),
                    raw_message(&at, if x >= 0.5 { *on } else { *off }),
                ))
            }
            Feedback::Table(values) => {
                let idx = (x * (values.len() - 1) as f64).round() as usize;
                let v = values.get(idx).copied().unwrap_or(0);
                Some((address_of(&c.source), raw_message(&c.source, v)))
            }
            Feedback::Ring { channel, cc, style } => {
                let bytes = if self.resolve(i).is_some() {
                    ring_message(*channel, *cc, *style, x)
                } else {
                    vec![0xB0 | channel.wire(), *cc, 0]
                };
                Some((Address::Cc(channel.wire(), *cc), bytes))
            }
        }
    }

    fn strip_name(&self, s: Strip) -> String {
        match self.values.get(&s.name()) {
            Some(Value::Text(t)) if !t.is_empty() => t.to_string(),
            _ => s.default_label(),
        }
    }

    fn queue_displays(&mut self) {
        for d in self.mapping.displays.clone() {
            match d {
                Display::McuLcd {
                    model,
                    line,
                    strips,
                } => {
                    let names: Vec<String> = (0..strips)
                        .map(|k| {
                            self.bank_strip(k)
                                .map(|s| self.strip_name(s))
                                .unwrap_or_default()
                        })
                        .collect();
                    self.out
                        .push(Address::Lcd(model, line), lcd_line(model, line, &names));
                }
                Display::XTouchColors { strips } => {
                    let colors: Vec<u32> = (0..strips)
                        .map(|k| {
                            match self.bank_strip(k).and_then(|s| self.values.get(&s.color())) {
                                Some(Value::Index(c)) => *c,
                                _ => 0,
                            }
                        })
                        .collect();
                    self.out.push(Address::Colors, xtouch_colors(&colors));
                }
            }
        }
    }

    /// Feedback messages due at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Vec<u8>> {
        self.out.due(now)
    }

    /// When feedback is next due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.out.next_deadline()
    }
}

fn strip_param(strip: Strip, param: StripParam) -> Option<ParamId> {
    match param {
        StripParam::Fader => Some(strip.fader()),
        StripParam::On => Some(strip.on()),
        StripParam::Pan => strip.pan(),
        StripParam::Solo => Some(strip.solo()),
        StripParam::MainAssign => strip.main_assign(),
    }
}
