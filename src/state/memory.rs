//! The desk's memory, running: scenes saved, recalled, renamed and deleted; resets; imports and
//! exports; and the desk state kept on disk and put back at start.
//!
//! One task owns the scene list ([`run`]); the screen, the command line (through the control
//! socket) and later the web remote ask it through a [`MemoryHandle`]; controllers recall scenes
//! by setting `pupitre:scene/recall` on the desk, which the task follows. Every value it applies
//! goes through the desk as an intent, so mixers are written, surfaces follow and the journal
//! records the scene as the origin.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use super::defaults::reset_value;
use super::exchange::{self, Bundle, Format};
use super::scene::{check_name, is_scene_param, SavedValue, Scene, Scope, SLOTS};
use super::settings::{is_setting, Settings};
use super::store::SceneStore;
use super::{write_atomic, StateDir, SAVE_AFTER, SAVE_AT_MOST_AFTER};
use crate::desk::{DeskGone, DeskHandle, Intent, LinkState, MixerId, Op, Origin, ParamId, Value};
use crate::tomlfile::FileError;

/// A scene as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneSummary {
    /// 1–99.
    pub slot: u32,
    /// Its name.
    pub name: String,
    /// What it covers, e.g. `all` or `eq + x32:/ch/01`.
    pub scope: String,
    /// When it was saved (RFC 3339).
    pub saved: String,
    /// How many values it holds.
    pub values: usize,
}

impl SceneSummary {
    fn of(s: &Scene) -> SceneSummary {
        SceneSummary {
            slot: s.slot,
            name: s.name.clone(),
            scope: s.scope.to_string(),
            saved: s.saved.clone(),
            values: s.values.len(),
        }
    }
}

/// What the memory is asked to do. Scenes are named by slot number or by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    /// Every scene.
    List,
    /// Save the desk (or a scope of it) as a scene; in the first free slot when none is given.
    Save {
        /// The slot, 1–99.
        slot: Option<u32>,
        /// Its name; empty is "Scene N".
        #[serde(default)]
        name: String,
        /// Scope patterns; empty is everything.
        #[serde(default)]
        scope: Vec<String>,
    },
    /// Put a scene's values back on the desk (and so on the mixers).
    Recall {
        /// Slot number or name.
        scene: String,
    },
    /// Give a scene another name.
    Rename {
        /// Slot number or name.
        scene: String,
        /// The new name.
        name: String,
    },
    /// Remove a scene.
    Delete {
        /// Slot number or name.
        scene: String,
    },
    /// Put parameters back to their defaults (`state/defaults.rs`).
    Reset {
        /// Scope patterns: a strip (`x32:/ch/01`), a mixer (`x32`), `all`…
        scope: Vec<String>,
    },
    /// Scenes and settings from a document.
    Import {
        /// The document's text.
        document: String,
        /// `json` or `xml`.
        format: DocumentFormat,
        /// Where it came from, for messages.
        source: String,
        /// Replace scenes already in the slots the document uses.
        #[serde(default)]
        replace: bool,
    },
    /// Scenes and settings as a document.
    Export {
        /// `json` or `xml`.
        format: DocumentFormat,
        /// Only these scenes (slots or names); empty is all.
        #[serde(default)]
        scenes: Vec<String>,
    },
}

/// A document syntax, as commands name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

impl From<DocumentFormat> for Format {
    fn from(f: DocumentFormat) -> Format {
        match f {
            DocumentFormat::Json => Format::Json,
            DocumentFormat::Xml => Format::Xml,
        }
    }
}

impl From<Format> for DocumentFormat {
    fn from(f: Format) -> DocumentFormat {
        match f {
            Format::Json => DocumentFormat::Json,
            Format::Xml => DocumentFormat::Xml,
        }
    }
}

/// The answer to a [`Command`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Whether it was done.
    pub ok: bool,
    /// What happened, or why not, as a sentence.
    pub message: String,
    /// The scene list after the command.
    #[serde(default)]
    pub scenes: Vec<SceneSummary>,
    /// An exported document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

impl Reply {
    fn done(message: impl Into<String>) -> Reply {
        Reply {
            ok: true,
            message: message.into(),
            ..Reply::default()
        }
    }

    /// A refusal with its reason.
    pub fn refused_with(message: String) -> Reply {
        Reply::refused(message)
    }

    fn refused(message: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            message: message.into(),
            ..Reply::default()
        }
    }
}

struct Request {
    command: Command,
    origin: Origin,
    reply: oneshot::Sender<Reply>,
}

/// Asks the memory task; cheap to clone.
#[derive(Clone, Debug)]
pub struct MemoryHandle {
    requests: mpsc::Sender<Request>,
    scenes: watch::Receiver<Vec<SceneSummary>>,
}

impl MemoryHandle {
    /// Do `command` on behalf of `origin` and wait for the answer.
    pub async fn ask(&self, command: Command, origin: Origin) -> Result<Reply, DeskGone> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request {
                command,
                origin,
                reply,
            })
            .await
            .map_err(|_| DeskGone)?;
        answer.await.map_err(|_| DeskGone)
    }

    /// The scene list, as it changes.
    pub fn scenes(&self) -> watch::Receiver<Vec<SceneSummary>> {
        self.scenes.clone()
    }
}

/// Which mixers get the saved desk state back at start. The X32 keeps what its own surface
/// shows unless asked (it is the truth by default); CamillaDSP restarts at its config file's
/// values, so its saved state is put back unless asked not to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestorePolicy {
    /// Put the saved X32 values back once the X32 is online.
    pub x32: bool,
    /// Put the saved CamillaDSP values back once CamillaDSP is online.
    pub camilla: bool,
}

impl Default for RestorePolicy {
    fn default() -> Self {
        RestorePolicy {
            x32: false,
            camilla: true,
        }
    }
}

/// How the memory starts.
#[derive(Clone, Debug)]
pub struct MemorySetup {
    /// Where scenes and the desk state live; `None` keeps scenes for this run only.
    pub state: Option<StateDir>,
    /// What goes back to the mixers at start.
    pub restore: RestorePolicy,
}

/// The desk parameters that trigger and show scene recalls (`pupitre:scene/recall`, `current`).
pub fn scene_params() -> Vec<ParamId> {
    ["scene/recall", "scene/current"]
        .into_iter()
        .filter_map(|p| ParamId::pupitre(p).ok())
        .collect()
}

/// The desk state file in a state folder.
pub fn desk_state_file(state: &StateDir) -> PathBuf {
    state.path().join("desk-state.json")
}

/// The scene folder in a state folder.
pub fn scene_store(state: &StateDir) -> SceneStore {
    SceneStore::new(state.path().join("scenes"))
}

/// Start the memory: the handle, and the task to spawn.
pub fn start(
    desk: DeskHandle,
    setup: MemorySetup,
    stop: CancellationToken,
) -> (MemoryHandle, impl std::future::Future<Output = ()> + Send) {
    let (requests, rx) = mpsc::channel(32);
    let store = setup.state.as_ref().map(scene_store);
    let mut scenes = HashMap::new();
    if let Some(store) = &store {
        let (loaded, problems) = store.load_all();
        for p in problems {
            warn!("{p}\nthat scene is skipped (the file is kept as ….broken)");
        }
        scenes.extend(loaded.into_iter().map(|s| (s.slot, s)));
    }
    let (list_tx, list_rx) = watch::channel(summaries(&scenes));
    let memory = Memory {
        desk,
        store,
        desk_state: setup.state.as_ref().map(desk_state_file),
        scenes,
        list: list_tx,
    };
    let task = memory.run(rx, setup.restore, stop);
    (
        MemoryHandle {
            requests,
            scenes: list_rx,
        },
        task.instrument(info_span!("memory")),
    )
}

fn summaries(scenes: &HashMap<u32, Scene>) -> Vec<SceneSummary> {
    let mut list: Vec<_> = scenes.values().map(SceneSummary::of).collect();
    list.sort_by_key(|s| s.slot);
    list
}

struct Memory {
    desk: DeskHandle,
    store: Option<SceneStore>,
    desk_state: Option<PathBuf>,
    scenes: HashMap<u32, Scene>,
    list: watch::Sender<Vec<SceneSummary>>,
}

/// What applying values did.
#[derive(Debug, Default)]
struct Applied {
    changed: usize,
    refused: Vec<String>,
}

impl Memory {
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        restore: RestorePolicy,
        stop: CancellationToken,
    ) {
        let mut changes = self.desk.subscribe();
        // The state saved at the last run, per mixer. A mixer not yet read back in this run
        // keeps these values in the file (its desk values are only defaults), and the policy
        // says which mixers get them back once online.
        let previous = self.saved_desk_state();
        let mut synced: HashSet<MixerId> = HashSet::new();
        let mut x32_link = self.desk.link_status(MixerId::X32);
        let mut camilla_link = self.desk.link_status(MixerId::Camilla);
        // Check the links' state once before waiting for a change.
        x32_link.mark_changed();
        camilla_link.mark_changed();
        let mut dirty: Option<(Instant, Instant)> = None;
        let mut last_saved: Option<Vec<(ParamId, Value)>> = None;
        loop {
            let due =
                dirty.map(|(first, last)| (last + SAVE_AFTER).min(first + SAVE_AT_MOST_AFTER));
            tokio::select! {
                _ = stop.cancelled() => break,
                Some(r) = requests.recv() => {
                    let reply = self.handle(r.command, r.origin).await;
                    let _ = r.reply.send(reply);
                }
                r = changes.recv() => match r {
                    Ok(c) => {
                        if c.param.mixer() == MixerId::Pupitre && c.param.path() == "scene/recall" {
                            if let Value::Index(slot @ 1..) = c.value {
                                self.recall_from_desk(slot, c.origin).await;
                            }
                        }
                        if is_scene_param(&c.param) && self.desk_state.is_some() {
                            let now = Instant::now();
                            dirty = Some((dirty.map_or(now, |(first, _)| first), now));
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        let now = Instant::now();
                        dirty = Some((dirty.map_or(now, |(first, _)| first), now));
                    }
                    Err(RecvError::Closed) => break,
                },
                Ok(()) = x32_link.changed(), if !synced.contains(&MixerId::X32) => {
                    if x32_link.borrow_and_update().state == LinkState::Online {
                        synced.insert(MixerId::X32);
                        if restore.x32 {
                            self.put_back(MixerId::X32, &previous).await;
                        }
                    }
                }
                Ok(()) = camilla_link.changed(), if !synced.contains(&MixerId::Camilla) => {
                    if camilla_link.borrow_and_update().state == LinkState::Online {
                        synced.insert(MixerId::Camilla);
                        if restore.camilla {
                            self.put_back(MixerId::Camilla, &previous).await;
                        }
                    }
                }
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    dirty = None;
                    self.save_desk_state(&mut last_saved, &previous, &synced).await;
                }
            }
        }
        // As the settings: a change may have reached the desk just before the stop unseen. A
        // link that came online just before the stop, unseen here too, counts as read back
        // unless its saved values were still to be put back.
        for (mixer, link, wanted) in [
            (MixerId::X32, &x32_link, restore.x32),
            (MixerId::Camilla, &camilla_link, restore.camilla),
        ] {
            if !wanted && link.borrow().state == LinkState::Online {
                synced.insert(mixer);
            }
        }
        if self.desk_state.is_some() {
            self.save_desk_state(&mut last_saved, &previous, &synced)
                .await;
        }
    }

    /// The desk state saved at the last run, by mixer (X32 and CamillaDSP).
    fn saved_desk_state(&self) -> HashMap<MixerId, Vec<(ParamId, SavedValue)>> {
        let mut out: HashMap<MixerId, Vec<(ParamId, SavedValue)>> = HashMap::new();
        let Some(file) = &self.desk_state else {
            return out;
        };
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
            Err(e) => {
                warn!(file = %file.display(), error = %e, "cannot read the saved desk state");
                return out;
            }
        };
        let state = match exchange::read(&text, Format::Json, file) {
            Ok(b) => b,
            Err(e) => {
                match super::set_aside(file) {
                    Ok(aside) => warn!("{e}\nthe saved desk state is not put back; the unreadable file is kept as {}", aside.display()),
                    Err(io) => warn!("{e}\nthe saved desk state is not put back (cannot move it aside: {io})"),
                }
                return out;
            }
        };
        for scene in state.scenes {
            for (p, v) in scene.values {
                // The config and the command line decide the stabilizer at start.
                if p.mixer() != MixerId::Pupitre {
                    out.entry(p.mixer()).or_default().push((p, v));
                }
            }
        }
        out
    }

    async fn put_back(
        &mut self,
        mixer: MixerId,
        previous: &HashMap<MixerId, Vec<(ParamId, SavedValue)>>,
    ) {
        let Some(values) = previous.get(&mixer).filter(|v| !v.is_empty()) else {
            return;
        };
        info!(%mixer, values = values.len(), "putting the saved desk state back");
        if let Ok(a) = self.apply(values.clone(), Origin::Restore).await {
            info!(%mixer, changed = a.changed, refused = a.refused.len(), "saved desk state put back");
        }
    }

    async fn save_desk_state(
        &mut self,
        last_saved: &mut Option<Vec<(ParamId, Value)>>,
        previous: &HashMap<MixerId, Vec<(ParamId, SavedValue)>>,
        synced: &HashSet<MixerId>,
    ) {
        let Some(file) = self.desk_state.clone() else {
            return;
        };
        let Ok(all) = self.desk.snapshot().await else {
            return;
        };
        let read_back = |p: &ParamId| p.mixer() == MixerId::Pupitre || synced.contains(&p.mixer());
        let values: Vec<_> = all
            .into_iter()
            .filter(|(p, _)| is_scene_param(p) && read_back(p))
            .collect();
        if last_saved.as_ref() == Some(&values) {
            debug!("desk state unchanged");
            return;
        }
        let mut scene = Scene::capture(1, "Desk state", Scope::all(), &values);
        // A mixer not read back in this run keeps what the file said of it.
        for (mixer, kept) in previous {
            if !synced.contains(mixer) {
                scene.values.extend(kept.iter().cloned());
            }
        }
        scene.values.sort_by(|a, b| a.0.cmp(&b.0));
        scene.values.dedup_by(|a, b| a.0 == b.0);
        let text = exchange::write(
            &Bundle {
                settings: Vec::new(),
                scenes: vec![scene],
            },
            Format::Json,
        );
        let path = file.clone();
        let written =
            tokio::task::spawn_blocking(move || write_atomic(&path, text.as_bytes())).await;
        match written {
            Ok(Ok(())) => {
                debug!(values = values.len(), file = %file.display(), "desk state saved");
                *last_saved = Some(values);
            }
            Ok(Err(e)) => {
                warn!(file = %file.display(), error = %e, "cannot save the desk state; will try again at the next change")
            }
            Err(e) => warn!(error = %e, "the desk state writer stopped"),
        }
    }

    fn publish(&self) {
        self.list.send_replace(summaries(&self.scenes));
    }

    fn find(&self, which: &str) -> Result<u32, String> {
        let which = which.trim();
        if let Ok(slot) = which.parse::<u32>() {
            return if self.scenes.contains_key(&slot) {
                Ok(slot)
            } else {
                Err(format!("no scene in slot {slot}"))
            };
        }
        let mut found = self
            .scenes
            .values()
            .filter(|s| s.name.eq_ignore_ascii_case(which));
        match (found.next(), found.next()) {
            (Some(s), None) => Ok(s.slot),
            (Some(_), Some(_)) => Err(format!(
                "several scenes are called {which:?}; name it by its slot"
            )),
            (None, _) => Err(format!(
                "no scene called {which:?} (see `pupitre scene list`)"
            )),
        }
    }

    async fn handle(&mut self, command: Command, origin: Origin) -> Reply {
        let mut reply = match self.command(command, &origin).await {
            Ok(r) => r,
            Err(message) => Reply::refused(message),
        };
        reply.scenes = summaries(&self.scenes);
        reply
    }

    async fn command(&mut self, command: Command, origin: &Origin) -> Result<Reply, String> {
        let gone = |_: DeskGone| "the desk has stopped".to_string();
        match command {
            Command::List => Ok(Reply::done(format!("{} scenes", self.scenes.len()))),
            Command::Save { slot, name, scope } => {
                let scope = Scope::new(&scope)?;
                let slot = match slot {
                    Some(s) if (1..=SLOTS).contains(&s) => s,
                    Some(s) => return Err(format!("slot {s} is not within 1…{SLOTS}")),
                    None => (1..=SLOTS)
                        .find(|s| !self.scenes.contains_key(s))
                        .ok_or("every slot holds a scene; give one to replace")?,
                };
                // A touchscreen has no keyboard: an empty name is "Scene N".
                let name = if name.trim().is_empty() {
                    format!("Scene {slot}")
                } else {
                    name
                };
                check_name(&name)?;
                let all = self.desk.snapshot().await.map_err(gone)?;
                let scene = Scene::capture(slot, &name, scope, &all);
                if scene.values.is_empty() {
                    return Err(format!(
                        "the scope {} covers no parameter on this desk",
                        scene.scope
                    ));
                }
                self.keep(scene.clone())?;
                info!(slot, name = %scene.name, values = scene.values.len(), %origin, "scene saved");
                Ok(Reply::done(format!(
                    "saved {} values as scene {slot} {:?}",
                    scene.values.len(),
                    scene.name
                )))
            }
            Command::Recall { scene } => {
                let slot = self.find(&scene)?;
                let (name, applied) = self.recall(slot).await.map_err(gone)?;
                Ok(Reply::done(recall_message(slot, &name, &applied)))
            }
            Command::Rename { scene, name } => {
                check_name(&name)?;
                let slot = self.find(&scene)?;
                let mut s = self.scenes[&slot].clone();
                let old = std::mem::replace(&mut s.name, name);
                let message = format!("scene {slot} {old:?} is now {:?}", s.name);
                self.keep(s)?;
                Ok(Reply::done(message))
            }
            Command::Delete { scene } => {
                let slot = self.find(&scene)?;
                if let Some(store) = &self.store {
                    store
                        .delete(slot)
                        .map_err(|e| format!("cannot delete the scene file: {e}"))?;
                }
                let s = self.scenes.remove(&slot);
                self.publish();
                Ok(Reply::done(format!(
                    "scene {slot} {:?} deleted",
                    s.map(|s| s.name).unwrap_or_default()
                )))
            }
            Command::Reset { scope } => {
                let scope = Scope::new(&scope)?;
                let all = self.desk.snapshot().await.map_err(gone)?;
                let values: Vec<_> = all
                    .iter()
                    .filter(|(p, _)| scope.covers(p))
                    .filter_map(|(p, _)| Some((p.clone(), SavedValue::of(p, &reset_value(p)?))))
                    .collect();
                let n = values.len();
                let applied = self.apply(values, origin.clone()).await.map_err(gone)?;
                info!(%scope, %origin, changed = applied.changed, "reset");
                Ok(Reply::done(format!(
                    "reset {scope}: {n} parameters at their defaults, {} changed",
                    applied.changed
                )))
            }
            Command::Import {
                document,
                format,
                source,
                replace,
            } => {
                let bundle = exchange::read(&document, format.into(), Path::new(&source))
                    .map_err(|e| e.to_string())?;
                self.import(bundle, replace, origin).await
            }
            Command::Export { format, scenes } => {
                let mut slots = Vec::new();
                for s in &scenes {
                    slots.push(self.find(s)?);
                }
                let all = self.desk.snapshot().await.map_err(gone)?;
                let bundle = Bundle {
                    settings: all
                        .iter()
                        .filter(|(p, _)| is_setting(p))
                        .map(|(p, v)| (p.clone(), SavedValue::of(p, v)))
                        .collect(),
                    scenes: self
                        .scenes
                        .values()
                        .filter(|s| slots.is_empty() || slots.contains(&s.slot))
                        .cloned()
                        .collect(),
                };
                let mut reply = Reply::done(format!(
                    "{} settings and {} scenes",
                    bundle.settings.len(),
                    bundle.scenes.len()
                ));
                reply.document = Some(exchange::write(&bundle, format.into()));
                Ok(reply)
            }
        }
    }

    /// Keep a scene: its file first, then the list.
    fn keep(&mut self, scene: Scene) -> Result<(), String> {
        if let Some(store) = &self.store {
            store.save(&scene).map_err(|e| {
                format!(
                    "cannot write the scene file in {}: {e}",
                    store.dir().display()
                )
            })?;
        }
        self.scenes.insert(scene.slot, scene);
        self.publish();
        Ok(())
    }

    async fn import(
        &mut self,
        bundle: Bundle,
        replace: bool,
        origin: &Origin,
    ) -> Result<Reply, String> {
        may_import(&bundle, replace, |slot| {
            self.scenes.get(&slot).map(|s| s.name.clone())
        })?;
        let n = bundle.scenes.len();
        for s in bundle.scenes {
            self.keep(s)?;
        }
        let settings = bundle.settings.len();
        self.apply(bundle.settings, origin.clone())
            .await
            .map_err(|_| "the desk has stopped".to_string())?;
        Ok(Reply::done(format!(
            "imported {n} scenes and {settings} settings"
        )))
    }

    async fn recall_from_desk(&mut self, slot: u32, origin: Origin) {
        if !self.scenes.contains_key(&slot) {
            warn!(slot, %origin, "no scene in that slot to recall");
        } else if let Ok((name, applied)) = self.recall(slot).await {
            info!(%origin, "{}", recall_message(slot, &name, &applied));
        }
        // Ready for the next press of the same button.
        if let Ok(p) = ParamId::pupitre("scene/recall") {
            let _ = self
                .desk
                .send(Intent {
                    param: p,
                    op: Op::Set(Value::Index(0)),
                    origin: Origin::Scene(Arc::from("recall")),
                })
                .await;
        }
    }

    async fn recall(&mut self, slot: u32) -> Result<(String, Applied), DeskGone> {
        let scene = self.scenes[&slot].clone();
        let origin = Origin::Scene(Arc::from(scene.name.as_str()));
        let applied = self.apply(scene.values, origin.clone()).await?;
        if let Ok(p) = ParamId::pupitre("scene/current") {
            self.desk
                .send(Intent {
                    param: p,
                    op: Op::Set(Value::Index(slot)),
                    origin,
                })
                .await?;
        }
        Ok((scene.name, applied))
    }

    /// Send each value to the desk on the parameter's current range; parameters the desk does
    /// not know yet are registered first (their mixer reads them back, then gets the value).
    async fn apply(
        &mut self,
        values: Vec<(ParamId, SavedValue)>,
        origin: Origin,
    ) -> Result<Applied, DeskGone> {
        let all = self.desk.snapshot().await?;
        let known: HashMap<ParamId, (ParamId, Value)> =
            all.into_iter().map(|(p, v)| (p.clone(), (p, v))).collect();
        let unknown: Vec<ParamId> = values
            .iter()
            .filter(|(p, _)| !known.contains_key(p))
            .map(|(p, _)| p.clone())
            .collect();
        if !unknown.is_empty() {
            debug!(
                count = unknown.len(),
                "registering parameters the desk did not know"
            );
            self.desk.register(unknown).await?;
        }
        let mut applied = Applied::default();
        for (param, saved) in values {
            let (param, current) = match known.get(&param) {
                Some((stored, v)) => (stored.clone(), Some(v)),
                None => (param, None),
            };
            let value = match saved.resolve(param.kind()) {
                Ok(v) => v,
                Err(e) => {
                    applied.refused.push(format!("{param}: {e}"));
                    continue;
                }
            };
            if current != Some(&value) {
                applied.changed += 1;
            }
            self.desk
                .send(Intent {
                    param,
                    op: Op::Set(value),
                    origin: origin.clone(),
                })
                .await?;
        }
        for r in &applied.refused {
            warn!(%origin, "not applied: {r}");
        }
        Ok(applied)
    }
}

/// An import may not overwrite scenes unless asked: `Err` names the slots it would take
/// (`name_in` gives the name of the scene already in a slot).
fn may_import(
    bundle: &Bundle,
    replace: bool,
    name_in: impl Fn(u32) -> Option<String>,
) -> Result<(), String> {
    let taken: Vec<String> = bundle
        .scenes
        .iter()
        .filter_map(|s| name_in(s.slot).map(|name| format!("{} {name:?}", s.slot)))
        .collect();
    if taken.is_empty() || replace {
        return Ok(());
    }
    Err(format!(
        "these slots already hold scenes: {}; nothing was imported (import with --replace to \
         overwrite them)",
        taken.join(", ")
    ))
}

fn recall_message(slot: u32, name: &str, applied: &Applied) -> String {
    let mut m = format!(
        "recalled scene {slot} {name:?}: {} values changed",
        applied.changed
    );
    if !applied.refused.is_empty() {
        m.push_str(&format!(
            "; {} not applied: {}",
            applied.refused.len(),
            applied.refused.join("; ")
        ));
    }
    m
}

/// Without a running service: what the command line can do on the files alone.
pub mod offline {
    use super::*;

    /// The scenes in a state folder.
    pub fn list(state: &StateDir) -> (Vec<SceneSummary>, Vec<FileError>) {
        let (scenes, problems) = scene_store(state).load_all();
        (scenes.iter().map(SceneSummary::of).collect(), problems)
    }

    /// The saved settings and the scenes (all, or these slots) as a document.
    pub fn export(
        state: &StateDir,
        format: Format,
        only: &[u32],
    ) -> Result<(String, Bundle), String> {
        let (scenes, problems) = scene_store(state).load_all();
        if let Some(p) = problems.first() {
            return Err(p.to_string());
        }
        for s in only {
            if !scenes.iter().any(|x| x.slot == *s) {
                return Err(format!("no scene in slot {s}"));
            }
        }
        let settings = Settings::load(&state.settings_file())
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let bundle = Bundle {
            settings: settings
                .values
                .iter()
                .map(|(p, v)| (p.clone(), SavedValue::of(p, v)))
                .collect(),
            scenes: scenes
                .into_iter()
                .filter(|s| only.is_empty() || only.contains(&s.slot))
                .collect(),
        };
        Ok((exchange::write(&bundle, format), bundle))
    }

    /// Write a checked document's scenes and settings into the state folder.
    pub fn import(state: &StateDir, bundle: Bundle, replace: bool) -> Result<String, String> {
        let store = scene_store(state);
        let (existing, _) = store.load_all();
        may_import(&bundle, replace, |slot| {
            existing
                .iter()
                .find(|e| e.slot == slot)
                .map(|e| e.name.clone())
        })?;
        let file = state.settings_file();
        let mut settings = Settings::load(&file)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        for (p, saved) in &bundle.settings {
            let value = saved.resolve(p.kind())?;
            settings.values.retain(|(q, _)| q != p);
            settings.values.push((p.clone(), value));
        }
        settings.values.sort_by(|a, b| a.0.cmp(&b.0));
        for s in &bundle.scenes {
            store
                .save(s)
                .map_err(|e| format!("cannot write the scene file: {e}"))?;
        }
        if !bundle.settings.is_empty() {
            write_atomic(&file, settings.to_toml().as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        }
        Ok(format!(
            "imported {} scenes and {} settings into {}",
            bundle.scenes.len(),
            bundle.settings.len(),
            state.path().display()
        ))
    }

    /// Rename the scene in a slot.
    pub fn rename(state: &StateDir, slot: u32, name: &str) -> Result<String, String> {
        check_name(name)?;
        let store = scene_store(state);
        let mut s = store
            .load(slot)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no scene in slot {slot}"))?;
        let old = std::mem::replace(&mut s.name, name.to_owned());
        store.save(&s).map_err(|e| e.to_string())?;
        Ok(format!("scene {slot} {old:?} is now {name:?}"))
    }

    /// Delete the scene in a slot.
    pub fn delete(state: &StateDir, slot: u32) -> Result<String, String> {
        match scene_store(state).delete(slot) {
            Ok(true) => Ok(format!("scene {slot} deleted")),
            Ok(false) => Err(format!("no scene in slot {slot}")),
            Err(e) => Err(e.to_string()),
        }
    }
}
