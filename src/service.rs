//! The running service: the desk, one task per mixer link and per controller, the stabilizer,
//! the settings keeper and the journal, and an orderly stop.

use std::time::Duration;

use anyhow::{anyhow, Result};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::camilla::{self, CamillaSettings};
use crate::config::{Config, StateConfig};
use crate::desk::{Desk, DeskHandle, MixerId, ParamId, Value};
use crate::mapping::{Banks, Mapping, Transport};
use crate::midi::{self, NamePattern, NetSettings, PortSpec};
use crate::stabilizer::{self, StabilizerSetup, StabilizerState};
use crate::state::{
    self, JournalEntry, MemoryHandle, MemorySetup, RestorePolicy, Settings, StateDir,
};
use crate::surface::{self, Engine, SurfaceSpec};
use crate::web::{TlsFiles, ViewInputs, WebHandle, WebSettings};
use crate::x32::{self, X32Settings};

/// The service's tasks, running.
pub struct Service {
    desk: DeskHandle,
    memory: MemoryHandle,
    feeds: watch::Receiver<Vec<crate::ui::memory::FeedLine>>,
    banks: Vec<(String, Banks)>,
    stabilizer: watch::Receiver<StabilizerState>,
    journal: watch::Receiver<Vec<JournalEntry>>,
    web: Option<WebHandle>,
    tasks: JoinSet<()>,
    stop: CancellationToken,
    desk_stop: CancellationToken,
}

impl Service {
    /// Start the desk and every configured mixer link. `stop` ends them all.
    pub fn start(config: &Config, stop: CancellationToken) -> Result<Service> {
        Self::start_with(config, stop, Vec::new())
    }

    /// As [`Service::start`], with controllers whose mappings were built in code rather than
    /// read from the config's files (the demo's scripted deck).
    pub fn start_with(
        config: &Config,
        stop: CancellationToken,
        extra_surfaces: Vec<SurfaceSpec>,
    ) -> Result<Service> {
        // Mappings first: the desk must know every parameter they target so it is read back.
        let mut surfaces = Vec::new();
        for spec in extra_surfaces {
            let port = port_spec(&spec.mapping.device.transport)?;
            surfaces.push((spec, port));
        }
        let mut params: Vec<_> = surfaces
            .iter()
            .flat_map(|(s, _)| Engine::params(&s.mapping))
            .collect();
        params.extend(config.params());
        for s in config.surfaces.iter().filter(|s| s.enabled) {
            let mapping = Mapping::load(&s.mapping).map_err(|e| anyhow!("{e}"))?;
            params.extend(Engine::params(&mapping));
            let port = port_spec(&mapping.device.transport)?;
            surfaces.push((
                SurfaceSpec {
                    name: s.name.clone(),
                    mapping,
                    path: Some(s.mapping.clone()),
                },
                port,
            ));
        }
        for (spec, _) in &surfaces {
            params.extend(Engine::connected_param(&spec.name));
            params.extend(Engine::bank_param(&spec.name, &spec.mapping));
        }
        if config.x32.is_some() {
            params.extend(stabilizer::Controls::new().all());
        }
        params.extend(state::memory::scene_params());
        params.sort();
        params.dedup();
        let mut desk = Desk::new(params);
        let state = StateDir::from_config(&config.state);
        desk.preset(starting_values(config, state.as_ref()));
        let mut tasks = JoinSet::new();
        // Mixer links stop first and flush their writes; the desk stops after them.
        let desk_stop = CancellationToken::new();
        if let Some(x) = &config.x32 {
            let link = desk.attach(MixerId::X32);
            let settings = X32Settings {
                address: x.address.clone(),
                local_port: x.local_port,
                meters: x.meters,
                timing: Default::default(),
            };
            info!(address = %settings.address, strips = x.strips.len(), "X32 link starting");
            tasks.spawn(x32::run(settings, link, stop.child_token()));
        }
        if let Some(c) = &config.camilla {
            let link = desk.attach(MixerId::Camilla);
            let settings = CamillaSettings {
                url: c.url.clone(),
                timing: Default::default(),
            };
            info!(url = %c.url, channels = c.channels, "CamillaDSP link starting");
            tasks.spawn(camilla::run(settings, link, stop.child_token()));
        }
        let handle = desk.handle();
        // The journal follows from before the desk runs, so it misses nothing.
        let (journal_tx, journal) = watch::channel(Vec::new());
        let journal_task = state.as_ref().map(|dir| {
            state::keep_journal(
                handle.clone(),
                dir.path().to_owned(),
                journal_tx,
                stop.child_token(),
            )
        });
        tokio::spawn(desk.run(desk_stop.clone()));
        let setup = stabilizer_setup(config);
        let (state_tx, state_rx) = watch::channel(stabilizer::initial_state(&setup));
        if config.x32.is_some() {
            // Always running, so it can be switched on from the desk; off unless configured.
            tasks.spawn(stabilizer::run(
                handle.clone(),
                setup,
                state_tx,
                stop.child_token(),
            ));
        } else if config.stabilizer.enabled {
            warn!("the stabilizer rides an X32 fader and no X32 is configured; it stays off");
        }
        if let Some(dir) = &state {
            tasks.spawn(state::keep_settings(
                handle.clone(),
                dir.settings_file(),
                stop.child_token(),
            ));
        }
        if let Some(task) = journal_task {
            tasks.spawn(task);
        }
        let (memory, remember) = state::memory::start(
            handle.clone(),
            MemorySetup {
                state: state.clone(),
                restore: RestorePolicy {
                    x32: config.restore.x32,
                    camilla: config.restore.camilla,
                },
            },
            stop.child_token(),
        );
        tasks.spawn(remember);
        let web = match &config.web {
            None => None,
            Some(w) => {
                let settings = WebSettings {
                    listen: w.listen,
                    tls: w.tls.as_ref().map(|(cert, key)| TlsFiles {
                        cert: cert.clone(),
                        key: key.clone(),
                    }),
                    allowed_origins: w.allowed_origins.clone(),
                };
                let (mut strips, master) = crate::ui::strips::from_config(config);
                let has_master = master.is_some();
                strips.extend(master);
                let mut mixers = Vec::new();
                if config.x32.is_some() {
                    mixers.push(MixerId::X32);
                }
                if config.camilla.is_some() {
                    mixers.push(MixerId::Camilla);
                }
                let view = ViewInputs {
                    desk: handle.clone(),
                    strips,
                    has_master,
                    mixers,
                    stabilizer: config.x32.is_some().then(|| state_rx.clone()),
                    journal: journal.clone(),
                    scenes: memory.scenes(),
                };
                let (web, serve) = WebHandle::start(
                    &settings,
                    view,
                    state.as_ref().map(|d| d.path()),
                    stop.child_token(),
                )?;
                tasks.spawn(serve);
                Some(web)
            }
        };
        #[cfg(unix)]
        if let Some(dir) = &state {
            tasks.spawn(crate::control::serve(
                dir.clone(),
                memory.clone(),
                web.clone(),
                stop.child_token(),
            ));
        }
        // The X32's likely livestream feeds, read from its routing each time it comes online.
        let (feeds_tx, feeds) = watch::channel(Vec::new());
        if let Some(x) = &config.x32 {
            tasks.spawn(follow_feeds(
                handle.clone(),
                x.address.clone(),
                feeds_tx,
                stop.child_token(),
            ));
        }
        let banks = surfaces
            .iter()
            .filter_map(|(s, _)| Some((s.name.clone(), s.mapping.banks.clone()?)))
            .collect();
        for (spec, port_spec) in surfaces {
            info!(surface = %spec.name, device = %spec.mapping.device.name, port = %port_spec, "surface starting");
            let token = stop.child_token();
            let port = port_spec.open(token.clone());
            tasks.spawn(surface::run(spec, port, handle.clone(), token));
        }
        Ok(Service {
            desk: handle,
            memory,
            feeds,
            banks,
            stabilizer: state_rx,
            journal,
            web,
            tasks,
            stop,
            desk_stop,
        })
    }

    /// A handle on the desk.
    pub fn desk(&self) -> &DeskHandle {
        &self.desk
    }

    /// What the screen's memory panel follows: scenes, the journal's last lines, stream feeds.
    pub fn ui_memory(&self) -> crate::ui::memory::MemoryInputs {
        crate::ui::memory::MemoryInputs {
            memory: Some(self.memory.clone()),
            journal: self.journal.clone(),
            feeds: self.feeds.clone(),
        }
    }

    /// The web remote, when `[web]` enables it.
    pub fn web(&self) -> Option<&WebHandle> {
        self.web.as_ref()
    }

    /// Scenes, resets, imports and exports.
    pub fn memory(&self) -> &MemoryHandle {
        &self.memory
    }

    /// Each controller that pages across strips: its name and banks, in start order.
    pub fn banks(&self) -> &[(String, Banks)] {
        &self.banks
    }

    /// The stabilizer's state, as it changes.
    pub fn stabilizer(&self) -> watch::Receiver<StabilizerState> {
        self.stabilizer.clone()
    }

    /// The journal's last entries, newest last ([`state::RECENT`] at most); stays empty
    /// without a state folder.
    pub fn journal(&self) -> watch::Receiver<Vec<JournalEntry>> {
        self.journal.clone()
    }

    /// Stop everything (if not already asked) and wait up to `grace` for the tasks to finish.
    pub async fn shutdown(mut self, grace: Duration) {
        self.stop.cancel();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            warn!(
                grace_ms = grace.as_millis(),
                "some links did not stop in time"
            );
            self.tasks.abort_all();
        }
        self.desk_stop.cancel();
    }
}

/// What pupitre's own settings start at: the config's choices, then what was saved (the
/// screen and the controllers change them while running, and that wins). A saved file that
/// cannot be read is set aside as `settings.toml.broken` and said so; nothing else is lost.
fn starting_values(config: &Config, state: Option<&StateDir>) -> Vec<(ParamId, Value)> {
    let mut values = config.initial_values();
    let Some(dir) = state else {
        if config.state == StateConfig::Standard {
            warn!("no state folder (no $STATE_DIRECTORY, $XDG_STATE_HOME or $HOME, and no [state] dir); settings will not be saved");
        }
        return values;
    };
    let file = dir.settings_file();
    match Settings::load(&file) {
        Ok(Some(saved)) => {
            info!(file = %file.display(), values = saved.values.len(), "saved settings restored (they win over the config's [ui])");
            values.extend(saved.values);
        }
        Ok(None) => debug!(file = %file.display(), "no saved settings yet"),
        Err(e) => match state::set_aside(&file) {
            Ok(aside) => warn!(
                "{e}\nstarting from the config's settings; the unreadable file is kept as {}",
                aside.display()
            ),
            Err(io) => {
                warn!("{e}\nstarting from the config's settings (cannot move it aside: {io})")
            }
        },
    }
    values
}

/// The stabilizer as the config sets it up.
fn stabilizer_setup(config: &Config) -> StabilizerSetup {
    let s = &config.stabilizer;
    StabilizerSetup {
        enabled: s.enabled,
        source: s.source,
        settings: stabilizer::Settings {
            target_lufs: s.target_lufs,
            mode: s.mode,
            profile: s.profile,
            max_boost_db: s.max_boost_db,
            max_cut_db: s.max_cut_db,
            meter_position: s.meter_position,
            loop_delay_frames: ((s.loop_delay_ms / 1000.0 / stabilizer::FRAME_S).round() as usize)
                .max(1),
            rates: s.rates,
            pid: s.pid,
        },
        resume_after: Duration::from_secs_f64(s.resume_after_s),
    }
}

/// Where a mapping's device is.
enum DeviceLink {
    /// A MIDI port or network MIDI.
    Midi(PortSpec),
    /// The GPIO header.
    Gpio(crate::gpio::GpioLayout),
}

impl std::fmt::Display for DeviceLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceLink::Midi(spec) => spec.fmt(f),
            DeviceLink::Gpio(layout) => write!(f, "GPIO pins {:?}", layout.pins()),
        }
    }
}

impl DeviceLink {
    fn open(self, stop: CancellationToken) -> midi::MidiPort {
        match self {
            DeviceLink::Midi(spec) => midi::open(spec, stop),
            DeviceLink::Gpio(layout) => crate::gpio::open(layout, stop),
        }
    }
}

/// How to open a mapping's device.
fn port_spec(t: &Transport) -> Result<DeviceLink> {
    Ok(match t {
        Transport::Port { input, output } => DeviceLink::Midi(PortSpec::Midi {
            input: NamePattern::new(input).map_err(|e| anyhow!("input port pattern: {e}"))?,
            output: Some(
                NamePattern::new(output).map_err(|e| anyhow!("output port pattern: {e}"))?,
            ),
        }),
        Transport::Network { listen, peer } => {
            DeviceLink::Midi(PortSpec::Network(NetSettings::new(*listen, *peer)))
        }
        Transport::Gpio(layout) => DeviceLink::Gpio(layout.clone()),
    })
}

/// Read the X32's routing each time it comes online and offer the likely livestream feeds
/// (buses, matrices, mains, best first) to the screen as the stabilizer's source.
async fn follow_feeds(
    desk: DeskHandle,
    address: String,
    feeds: watch::Sender<Vec<crate::ui::memory::FeedLine>>,
    stop: CancellationToken,
) {
    let mut link = desk.link_status(MixerId::X32);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            online = link.wait_for(|s| s.state == crate::desk::LinkState::Online) => {
                if online.is_err() {
                    return;
                }
            }
        }
        let at = address.clone();
        // The reader's progress callback is not Send; it runs on a blocking thread of its own.
        let read = tokio::task::spawn_blocking(move || {
            tokio::runtime::Handle::current().block_on(x32::routing::read_routing(
                &at,
                x32::backup::Pacing::default(),
                &mut |_, _| {},
            ))
        });
        let read = tokio::select! {
            _ = stop.cancelled() => return,
            r = read => r,
        };
        match read {
            Ok(Ok(backup)) => {
                let analysis = x32::routing::analyze(&backup);
                let lines: Vec<_> = analysis
                    .candidates
                    .iter()
                    .filter_map(|c| {
                        Some(crate::ui::memory::FeedLine {
                            source: stabilizer::source_index(c.strip)?,
                            label: if c.name.is_empty() {
                                x32::routing::describe(c.strip)
                            } else {
                                format!("{} \"{}\"", x32::routing::describe(c.strip), c.name)
                            },
                            reasons: c.reasons.join("; "),
                        })
                    })
                    .collect();
                match analysis.candidates.first() {
                    Some(best) => info!(candidates = lines.len(), "likely livestream feed: {best}"),
                    None => info!("{}", x32::routing::Analysis::NOTHING_ROUTED),
                }
                feeds.send_replace(lines);
            }
            Ok(Err(e)) => {
                warn!(error = %e, "cannot read the X32's routing; no stream feeds to offer")
            }
            Err(e) => warn!(error = %e, "the routing reader stopped"),
        }
        // Read again after the next reconnect.
        tokio::select! {
            _ = stop.cancelled() => return,
            r = link.wait_for(|s| s.state != crate::desk::LinkState::Online) => {
                if r.is_err() {
                    return;
                }
            }
        }
    }
}
