//! The live stabilizer: rides one X32 fader through the desk, like any other surface, with the
//! safety rules always on:
//! - meters stop arriving (no new frame for 150 ms) → frozen, said in the state and the log;
//! - someone else moves the fader (a change from any other origin) → paused, their value becomes
//!   home, riding resumes after a quiet time;
//! - never outside [home − max cut, home + max boost] (the controller's bounds);
//! - disabling it leaves the fader where it is.
//!
//! Its controls are desk parameters (`pupitre:stabilizer/…`), so surfaces, the screen and the
//! web remote drive it the way they drive a fader; its state goes out on a `watch` channel.

use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::time::{interval, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use super::calibrate::{Calibrated, Calibration, Step};
use super::controller::{Activity, Controller};
use super::loudness::db_gain;
use super::tuning::{Mode, Profile, Settings, FRAME_S, TARGET_PRESETS};
use crate::desk::{
    Change, Db, DeskHandle, Intent, LinkState, MixerId, Op, Origin, ParamId, ParamKind, Strip,
    Value,
};

/// No meter frame for this long freezes the stabilizer (three frames).
pub const METER_TIMEOUT: Duration = Duration::from_millis(150);

/// Where the stabilizer starts (from the config and the command line).
#[derive(Clone, Debug, PartialEq)]
pub struct StabilizerSetup {
    /// Riding at start.
    pub enabled: bool,
    /// The bus, matrix or main it rides.
    pub source: Strip,
    /// Controller settings.
    pub settings: Settings,
    /// Quiet time after someone else moves the fader.
    pub resume_after: Duration,
}

/// What the stabilizer is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Status {
    /// Switched off: the fader is left alone.
    Off,
    /// Running the calibration step.
    Calibrating,
    /// Riding: what the controller is doing.
    Active(Activity),
    /// No meters: nothing is written until they come back.
    Frozen,
    /// Someone else moved the fader; riding resumes after the quiet time.
    Paused {
        /// Seconds left before it resumes.
        resume_in_s: f64,
    },
}

impl Status {
    /// A short word for the log and the screen.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Off => "off",
            Status::Calibrating => "calibrating",
            Status::Active(a) => a.name(),
            Status::Frozen => "frozen (no meters)",
            Status::Paused { .. } => "paused (manual move)",
        }
    }
}

/// The stabilizer's state, for the screen and the logs.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilizerState {
    /// Switched on.
    pub enabled: bool,
    /// The strip it rides.
    pub source: Strip,
    /// Target, mode, profile, bounds, calibration figures in use.
    pub settings: Settings,
    /// What it is doing.
    pub status: Status,
    /// The profile in use (the auto profile's current guess).
    pub profile_in_use: Profile,
    /// Momentary loudness of the output, LUFS.
    pub momentary_lufs: Option<f64>,
    /// The loudness estimate the leveler steers by, LUFS.
    pub estimate_lufs: Option<f64>,
    /// The fader as it set or found it, dB.
    pub fader_db: Option<f64>,
    /// Home: where it found the fader or someone last put it, dB.
    pub home_db: Option<f64>,
    /// The last calibration's result.
    pub calibration: Option<Calibrated>,
    /// The last thing worth telling (a refused enable, a failed calibration).
    pub message: Option<String>,
    /// Fader writes since start.
    pub writes: u64,
}

/// The desk parameters that drive the stabilizer.
#[derive(Clone, Debug)]
pub struct Controls {
    /// `pupitre:stabilizer/enabled`.
    pub enabled: ParamId,
    /// `pupitre:stabilizer/target`, LUFS as a gain.
    pub target: ParamId,
    /// `pupitre:stabilizer/preset`: −14, −16, −18, −23, custom.
    pub preset: ParamId,
    /// `pupitre:stabilizer/profile`: speech, music, auto.
    pub profile: ParamId,
    /// `pupitre:stabilizer/mode`: leveler, pid.
    pub mode: ParamId,
    /// `pupitre:stabilizer/source`: bus 1–16, matrix 1–6, main stereo, main mono.
    pub source: ParamId,
    /// `pupitre:stabilizer/calibrate`: set to start; back to off when done.
    pub calibrate: ParamId,
}

impl Controls {
    /// The parameters.
    pub fn new() -> Controls {
        let p = |s: &str| match ParamId::pupitre(s) {
            Ok(p) => p,
            // The grammar in desk/param.rs lists exactly these.
            Err(e) => unreachable!("{e}"),
        };
        Controls {
            enabled: p("stabilizer/enabled"),
            target: p("stabilizer/target"),
            preset: p("stabilizer/preset"),
            profile: p("stabilizer/profile"),
            mode: p("stabilizer/mode"),
            source: p("stabilizer/source"),
            calibrate: p("stabilizer/calibrate"),
        }
    }

    /// All of them, to register with the desk.
    pub fn all(&self) -> Vec<ParamId> {
        vec![
            self.enabled.clone(),
            self.target.clone(),
            self.preset.clone(),
            self.profile.clone(),
            self.mode.clone(),
            self.source.clone(),
            self.calibrate.clone(),
        ]
    }
}

impl Default for Controls {
    fn default() -> Self {
        Controls::new()
    }
}

/// The strip behind a `stabilizer/source` choice, and back.
pub fn source_strip(index: u32) -> Option<Strip> {
    match index {
        0..=15 => Some(Strip::Bus(index as u8 + 1)),
        16..=21 => Some(Strip::Matrix(index as u8 - 15)),
        22 => Some(Strip::MainStereo),
        23 => Some(Strip::MainMono),
        _ => None,
    }
}

/// The `stabilizer/source` choice of a strip.
pub fn source_index(strip: Strip) -> Option<u32> {
    match strip {
        Strip::Bus(n @ 1..=16) => Some(u32::from(n) - 1),
        Strip::Matrix(n @ 1..=6) => Some(u32::from(n) + 15),
        Strip::MainStereo => Some(22),
        Strip::MainMono => Some(23),
        _ => None,
    }
}

fn preset_index(target: f64) -> u32 {
    TARGET_PRESETS
        .iter()
        .position(|p| (p - target).abs() < 0.01)
        .map_or(4, |i| i as u32)
}

/// The kind of `pupitre:stabilizer/target` (desk/param.rs).
const TARGET_KIND: ParamKind = ParamKind::Gain {
    min_db: -40.0,
    max_db: -5.0,
    step_db: 0.5,
};

fn target_value(lufs: f64) -> Value {
    TARGET_KIND
        .from_db(Db::new_lossy(lufs))
        .unwrap_or(Value::Index(0))
}

fn fader_db(v: &Value) -> Option<f64> {
    ParamKind::Fader.db(v).map(Db::get)
}

struct Rider {
    desk: DeskHandle,
    controls: Controls,
    state: watch::Sender<StabilizerState>,
    enabled: bool,
    source: Strip,
    settings: Settings,
    resume_after: Duration,
    controller: Option<Controller>,
    calibration: Option<Calibration>,
    calibrated: Option<Calibrated>,
    paused_until: Option<Instant>,
    frozen: bool,
    last_meter: Option<Instant>,
    latest: Option<f64>,
    fresh: bool,
    message: Option<String>,
    writes: u64,
    /// Switched on at start: waits for the X32's fader to be read before riding.
    waiting_for_fader: bool,
    ticks: u64,
}

/// Run the stabilizer until `stop`; its state goes out on `state`.
pub async fn run(
    desk: DeskHandle,
    setup: StabilizerSetup,
    state: watch::Sender<StabilizerState>,
    stop: CancellationToken,
) {
    let span = info_span!("stabilizer", source = %setup.source.address());
    async move {
        let mut changes = desk.subscribe();
        let mut meters = desk.meters().subscribe(MixerId::X32);
        let mut rider = Rider {
            controls: Controls::new(),
            state,
            enabled: false,
            source: setup.source,
            settings: setup.settings,
            resume_after: setup.resume_after,
            controller: None,
            calibration: None,
            calibrated: None,
            paused_until: None,
            frozen: false,
            last_meter: None,
            latest: None,
            fresh: false,
            message: None,
            writes: 0,
            waiting_for_fader: setup.enabled,
            ticks: 0,
            desk,
        };
        if rider.publish_controls(setup.enabled).await.is_err() {
            return;
        }
        let mut tick = interval(Duration::from_secs_f64(FRAME_S));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                change = changes.recv() => match change {
                    Ok(c) => rider.on_change(c).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        debug!(missed = n, "changes lagged; reading the controls again");
                        rider.reread().await;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                changed = meters.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    // Borrowed, not cloned: frames come at up to 40 Hz.
                    let level = meters.borrow_and_update().level(rider.source);
                    rider.on_level(level);
                }
                _ = tick.tick() => rider.on_tick().await,
            }
        }
        debug!("stabilizer stopped; the fader stays where it is");
    }
    .instrument(span)
    .await
}

impl Rider {
    async fn set(&self, param: &ParamId, value: Value) -> Result<(), crate::desk::DeskGone> {
        self.desk
            .send(Intent {
                param: param.clone(),
                op: Op::Set(value),
                origin: Origin::Stabilizer,
            })
            .await
    }

    /// Put the configured values on the desk, then switch on if asked.
    async fn publish_controls(&mut self, enabled: bool) -> Result<(), crate::desk::DeskGone> {
        self.desk.register(self.controls.all()).await?;
        self.desk.register(vec![self.source.fader()]).await?;
        let s = self.settings;
        self.set(&self.controls.target, target_value(s.target_lufs))
            .await?;
        self.set(
            &self.controls.preset,
            Value::Index(preset_index(s.target_lufs)),
        )
        .await?;
        let profile = Profile::ALL
            .iter()
            .position(|p| *p == s.profile)
            .unwrap_or(0) as u32;
        self.set(&self.controls.profile, Value::Index(profile))
            .await?;
        let mode = Mode::ALL.iter().position(|m| *m == s.mode).unwrap_or(0) as u32;
        self.set(&self.controls.mode, Value::Index(mode)).await?;
        if let Some(i) = source_index(self.source) {
            self.set(&self.controls.source, Value::Index(i)).await?;
        }
        self.set(&self.controls.calibrate, Value::Index(0)).await?;
        if enabled {
            // The X32's fader may not be read yet: the enable waits for it (on_tick).
            self.set(&self.controls.enabled, Value::Index(1)).await?;
        } else {
            self.publish();
        }
        Ok(())
    }

    async fn reread(&mut self) {
        let Ok(all) = self.desk.snapshot().await else {
            return;
        };
        for (param, value) in all {
            if param.mixer() == MixerId::Pupitre {
                let change = Change {
                    param,
                    previous: value.clone(),
                    value,
                    origin: Origin::Stabilizer,
                    seq: 0,
                };
                self.on_change(change).await;
            }
        }
    }

    async fn on_change(&mut self, c: Change) {
        if c.param == self.source.fader() {
            self.on_fader(&c);
            return;
        }
        if c.param.mixer() != MixerId::Pupitre {
            return;
        }
        let index = match c.value {
            Value::Index(i) => Some(i),
            _ => None,
        };
        let p = &c.param;
        let ctl = self.controls.clone();
        if *p == ctl.enabled {
            let on = index == Some(1);
            if on != self.enabled {
                if on {
                    self.enable().await;
                } else {
                    self.disable("switched off");
                }
            }
        } else if *p == ctl.target {
            if let Some(db) = TARGET_KIND.db(&c.value) {
                if (db.get() - self.settings.target_lufs).abs() > 1e-9 {
                    self.settings.target_lufs = db.get();
                    info!(target_lufs = db.get(), "new target");
                    self.apply_settings();
                }
                let preset = preset_index(db.get());
                let _ = self.set(&ctl.preset, Value::Index(preset)).await;
            }
        } else if *p == ctl.preset {
            if let Some(&lufs) = index.and_then(|i| TARGET_PRESETS.get(i as usize)) {
                let _ = self.set(&ctl.target, target_value(lufs)).await;
            }
        } else if *p == ctl.profile {
            if let Some(&profile) = index.and_then(|i| Profile::ALL.get(i as usize)) {
                if profile != self.settings.profile {
                    info!(%profile, "new profile");
                    self.settings.profile = profile;
                    self.apply_settings();
                }
            }
        } else if *p == ctl.mode {
            if let Some(&mode) = index.and_then(|i| Mode::ALL.get(i as usize)) {
                if mode != self.settings.mode {
                    info!(%mode, "new mode");
                    self.settings.mode = mode;
                    self.apply_settings();
                }
            }
        } else if *p == ctl.source {
            if let Some(strip) = index.and_then(source_strip) {
                if strip != self.source {
                    info!(source = %strip.address(), "new source");
                    let was = self.enabled;
                    self.disable("source changed");
                    self.source = strip;
                    let _ = self.desk.register(vec![strip.fader()]).await;
                    if was {
                        self.enable().await;
                    }
                }
            }
        } else if *p == ctl.calibrate && index == Some(1) && c.origin != Origin::Stabilizer {
            self.start_calibration().await;
        }
        self.publish();
    }

    fn apply_settings(&mut self) {
        if let Some(c) = &mut self.controller {
            c.set_settings(self.settings);
        }
        self.publish();
    }

    async fn current_fader(&self) -> Option<f64> {
        let v = self.desk.get(&self.source.fader()).await.ok()??;
        fader_db(&v).filter(|db| db.is_finite())
    }

    async fn enable(&mut self) {
        match self.current_fader().await {
            Some(home) => {
                self.enabled = true;
                self.waiting_for_fader = false;
                self.controller = Some(Controller::new(self.settings, home));
                self.paused_until = None;
                self.message = None;
                info!(
                    home_db = (home * 10.0).round() / 10.0,
                    target_lufs = self.settings.target_lufs,
                    mode = %self.settings.mode,
                    profile = %self.settings.profile,
                    "riding"
                );
            }
            None if self.waiting_for_fader || !self.x32_in_sync() => {
                // Not read from the X32 yet: ride as soon as it is.
                if !self.waiting_for_fader {
                    info!("switched on; waiting for the X32 to tell where the fader is");
                }
                self.waiting_for_fader = true;
                self.message = Some("waiting for the X32 to tell where the fader is".into());
            }
            None => {
                let why = format!(
                    "cannot ride {}: its fader is at -inf or not known yet; raise it first",
                    self.source.address()
                );
                warn!("{why}");
                self.message = Some(why);
                self.enabled = false;
                let _ = self.set(&self.controls.enabled, Value::Index(0)).await;
            }
        }
        self.publish();
    }

    fn x32_in_sync(&self) -> bool {
        self.desk.link_status(MixerId::X32).borrow().state == LinkState::Online
    }

    fn disable(&mut self, why: &str) {
        self.waiting_for_fader = false;
        if self.enabled {
            info!(why, "stopped riding; the fader stays where it is");
        }
        self.enabled = false;
        self.controller = None;
        self.calibration = None;
        self.paused_until = None;
        self.publish();
    }

    fn on_fader(&mut self, c: &Change) {
        if c.origin == Origin::Stabilizer {
            return;
        }
        let Some(db) = fader_db(&c.value) else {
            return;
        };
        let Some(controller) = &mut self.controller else {
            return;
        };
        let ours = controller.reading().fader_db;
        if matches!(c.origin, Origin::Resync(_)) && (db - ours).abs() < 0.05 {
            return;
        }
        if !db.is_finite() {
            // Pulled to -inf: a mute by hand. Nothing to ride until it comes back.
            self.paused_until = Some(Instant::now() + self.resume_after);
            info!(origin = %c.origin, "fader pulled down to -inf; paused");
            self.publish();
            return;
        }
        controller.adopt(db);
        self.calibration = None;
        let first = self.paused_until.is_none();
        self.paused_until = Some(Instant::now() + self.resume_after);
        if first {
            info!(
                origin = %c.origin,
                home_db = (db * 10.0).round() / 10.0,
                resume_after_s = self.resume_after.as_secs_f64(),
                "someone moved the fader; paused, their value is the new home"
            );
        }
        self.publish();
    }

    /// The source's level in the newest meter frame (`None`: the frame does not have it).
    fn on_level(&mut self, level: Option<Db>) {
        let Some(level) = level else {
            return;
        };
        self.latest = Some(if level.is_silence() {
            0.0
        } else {
            db_gain(level.get())
        });
        self.fresh = true;
        self.last_meter = Some(Instant::now());
    }

    async fn on_tick(&mut self) {
        let now = Instant::now();
        self.ticks += 1;
        if self.waiting_for_fader && self.ticks.is_multiple_of(10) {
            self.enable().await;
        }
        if let Some(until) = self.paused_until {
            if now >= until {
                self.paused_until = None;
                let fader = self.current_fader().await;
                if let (Some(c), Some(db)) = (&mut self.controller, fader) {
                    c.adopt(db);
                    info!(
                        home_db = (db * 10.0).round() / 10.0,
                        "quiet again; riding from the fader as left"
                    );
                }
            }
        }
        let stale = self
            .last_meter
            .is_none_or(|t| now.duration_since(t) > METER_TIMEOUT);
        if self.enabled || self.calibration.is_some() {
            if stale && !self.frozen {
                self.frozen = true;
                warn!("no meters from the X32; frozen until they come back");
            } else if !stale && self.frozen {
                self.frozen = false;
                info!("meters are back; riding again");
            }
        }
        let meter = if std::mem::take(&mut self.fresh) {
            self.latest
        } else {
            None
        };
        if self.frozen {
            self.publish();
            return;
        }
        if let Some(cal) = &mut self.calibration {
            match cal.frame(meter) {
                Step::Continue => {}
                Step::Write(db) => self.write(db).await,
                Step::Done(back, result) => {
                    self.calibration = None;
                    self.write(back).await;
                    self.finish_calibration(result).await;
                }
            }
            self.publish();
            return;
        }
        if self.paused_until.is_some() {
            self.publish();
            return;
        }
        let write = self.controller.as_mut().and_then(|c| c.frame(meter));
        if let Some(db) = write {
            self.write(db).await;
        }
        self.publish();
    }

    async fn write(&mut self, db: f64) {
        let Some(value) = ParamKind::Fader.from_db(Db::new_lossy(db)) else {
            return;
        };
        self.writes += 1;
        debug!(fader_db = db, "write");
        let _ = self.set(&self.source.fader(), value).await;
    }

    async fn start_calibration(&mut self) {
        let Some(f0) = self.current_fader().await else {
            self.message =
                Some("cannot calibrate: the source fader is at -inf or not known".into());
            let _ = self.set(&self.controls.calibrate, Value::Index(0)).await;
            return;
        };
        info!(
            fader_db = f0,
            "calibrating: a 3 dB step down for up to a second"
        );
        self.calibration = Some(Calibration::new(f0));
        self.message = None;
    }

    async fn finish_calibration(
        &mut self,
        result: Result<Calibrated, super::calibrate::CalibrationError>,
    ) {
        match result {
            Ok(c) => {
                self.settings.meter_position = c.meter_position;
                self.settings.loop_delay_frames = c.loop_delay_frames;
                self.calibrated = Some(c);
                let ms = (c.loop_delay_frames as f64 * FRAME_S * 1000.0).round();
                info!(
                    meter_position = %c.meter_position,
                    loop_delay_ms = ms,
                    "calibrated; keep it with meter_position = \"{}\" and loop_delay_ms = {ms} in [stabilizer]",
                    c.meter_position
                );
                self.message = Some(format!(
                    "calibrated: {}-fader meter, {ms} ms loop",
                    c.meter_position
                ));
                if let Some(ctl) = &mut self.controller {
                    ctl.set_settings(self.settings);
                }
            }
            Err(e) => {
                warn!(error = %e, "calibration failed; the fader is back where it was");
                self.message = Some(format!("calibration failed: {e}"));
            }
        }
        let _ = self.set(&self.controls.calibrate, Value::Index(0)).await;
    }

    fn publish(&self) {
        let now = Instant::now();
        let reading = self.controller.as_ref().map(Controller::reading);
        let status = if self.calibration.is_some() {
            Status::Calibrating
        } else if !self.enabled {
            Status::Off
        } else if self.frozen {
            Status::Frozen
        } else if let Some(until) = self.paused_until {
            Status::Paused {
                resume_in_s: until.saturating_duration_since(now).as_secs_f64(),
            }
        } else {
            Status::Active(reading.map_or(Activity::Listening, |r| r.activity))
        };
        let next = StabilizerState {
            enabled: self.enabled,
            source: self.source,
            settings: self.settings,
            status,
            profile_in_use: reading.map_or(self.settings.profile, |r| r.profile),
            momentary_lufs: reading.and_then(|r| r.momentary_lufs),
            estimate_lufs: reading.and_then(|r| r.estimate_lufs),
            fader_db: reading.map(|r| r.fader_db),
            home_db: reading.map(|r| r.home_db),
            calibration: self.calibrated,
            message: self.message.clone(),
            writes: self.writes,
        };
        self.state.send_if_modified(|s| {
            if *s == next {
                false
            } else {
                if s.status.name() != next.status.name() {
                    debug!(from = s.status.name(), to = next.status.name(), "status");
                }
                *s = next;
                true
            }
        });
    }
}

/// The state before the stabilizer has run.
pub fn initial_state(setup: &StabilizerSetup) -> StabilizerState {
    StabilizerState {
        enabled: false,
        source: setup.source,
        settings: setup.settings,
        status: Status::Off,
        profile_in_use: setup.settings.profile,
        momentary_lufs: None,
        estimate_lufs: None,
        fader_db: None,
        home_db: None,
        calibration: None,
        message: None,
        writes: 0,
    }
}
