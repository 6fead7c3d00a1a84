//! `pupitre demo`: the fake X32 in-process, the service pointed at it, a scripted Numark
//! Mixtrack Pro 3 speaking network MIDI through the shipped mapping, somebody moving things at
//! the console, and a readable summary in the log every few seconds.

use std::net::SocketAddr;
use std::time::Duration;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use rosc::OscType;
use tokio::net::UdpSocket;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::{Config, StateConfig};
use crate::desk::{law, Change, DeskHandle, MixerId, Origin, Strip};
use crate::mapping::Mapping;
use crate::midi::{parse_all, MidiMessage};
use crate::service::Service;
use crate::surface::SurfaceSpec;
use crate::x32::fake::{FakeOptions, FakeX32};

/// The shipped Mixtrack mapping; the demo swaps its MIDI port for network MIDI on loopback.
const MIXTRACK: &str = include_str!("../mappings/numark-mixtrack-pro-3.toml");

/// Options of the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where the fake X32 listens.
    pub bind: SocketAddr,
    /// Packet loss the fake applies both ways.
    pub loss: f64,
    /// Seconds between summaries.
    pub summary_every: Duration,
    /// Stop after this long (for scripted runs); `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
    /// The CamillaDSP binary to run beside the X32 (`None`: X32 only).
    pub camilladsp: Option<std::path::PathBuf>,
    /// Open the desk screen (when this build has a windowing backend and a display exists).
    pub screen: bool,
    /// Where the demo keeps its settings (`None`: the `demo` folder in the standard state
    /// folder, so it never touches a real desk's).
    pub state_dir: Option<std::path::PathBuf>,
    /// Where the web remote listens (`None`: off).
    pub web: Option<SocketAddr>,
}

/// The demo's CamillaDSP config (Dummy devices: no sound hardware).
const CAMILLA_CONFIG: &str = include_str!("../examples/camilladsp/dummy.yml");

/// The CamillaDSP `scripts/dev` builds: `$CAMILLADSP_BIN`, else its cache path, if it exists.
pub fn find_camilladsp() -> Option<std::path::PathBuf> {
    let path = match std::env::var_os("CAMILLADSP_BIN") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?)
            .join(".cache/camilladsp-5.0.0-beta.1/bin/camilladsp"),
    };
    path.exists().then_some(path)
}

/// Start CamillaDSP on a free loopback port with the demo config; it is killed when dropped.
async fn start_camilladsp(bin: &Path) -> Result<(tokio::process::Child, String)> {
    let dir = std::env::temp_dir().join(format!("pupitre-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("cannot create the demo's CamillaDSP folder")?;
    let config = dir.join("camilladsp.yml");
    std::fs::write(&config, CAMILLA_CONFIG).context("cannot write the demo's CamillaDSP config")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("cannot find a free port for CamillaDSP")?
        .port();
    let child = tokio::process::Command::new(bin)
        .args(["-w", "-a", "127.0.0.1", "-p", &port.to_string()])
        .arg("-o")
        .arg(dir.join("camilladsp.log"))
        .arg(&config)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    info!(port, bin = %bin.display(), "CamillaDSP started (Dummy devices)");
    Ok((child, format!("ws://127.0.0.1:{port}")))
}

/// Run the demo until `stop` is cancelled.
pub async fn run(options: DemoOptions, stop: CancellationToken) -> Result<()> {
    let mut fake_options = FakeOptions::new(options.bind);
    fake_options.loss = options.loss;
    let fake = FakeX32::start(fake_options)
        .await
        .with_context(|| format!("cannot start the fake X32 on {}", options.bind))?;
    let addr = fake.local_addr();
    let (spec, deck) = scripted_mixtrack().await?;
    let mut config = Config::demo(addr);
    // The stabilizer rides the livestream matrix towards −16 LUFS.
    config.stabilizer.enabled = true;
    config.state = match (&options.state_dir, crate::state::StateDir::standard()) {
        (Some(dir), _) => StateConfig::Dir(dir.clone()),
        (None, Some(standard)) => StateConfig::Dir(standard.join("demo").path().to_owned()),
        (None, None) => StateConfig::Nowhere,
    };
    if let StateConfig::Dir(dir) = &config.state {
        info!(
            "the demo keeps its settings, scenes and journal in {0}; try `pupitre scene save Demo --state-dir {0}` \
             and `pupitre journal --state-dir {0} --follow`",
            dir.display()
        );
    }
    let camilla = match &options.camilladsp {
        Some(bin) => {
            let (child, url) = start_camilladsp(bin).await?;
            config.camilla = Some(crate::config::CamillaConfig {
                url,
                channels: 2,
                aux_faders: 2,
                config: None,
                crossfader: true,
                group_tone: true,
            });
            Some(child)
        }
        None => {
            warn!("no CamillaDSP binary: the demo runs with the X32 only (scripts/dev demo builds it)");
            None
        }
    };
    config.web = options.web.map(|listen| crate::config::WebConfig {
        listen,
        tls: None,
        allowed_origins: Vec::new(),
    });
    let service = Service::start_with(&config, stop.clone(), vec![spec])?;
    let desk = service.desk().clone();
    if let Some(web) = service.web() {
        let offer = web.pair();
        let state = match &config.state {
            StateConfig::Dir(d) => format!(" --state-dir {}", d.display()),
            _ => String::new(),
        };
        info!(
            "web remote: open {} in a browser and type the pairing code {} (valid 5 minutes, once; \
             `pupitre web pair{state}` gives another)",
            offer.urls.join(" or "),
            offer.spaced()
        );
    }

    if let Some(d) = options.duration {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            stop.cancel();
        });
    }
    tokio::spawn(engineer_at_the_console(fake, stop.clone()));
    tokio::spawn(deck.play(stop.clone()));
    if camilla.is_some() {
        tokio::spawn(tone_rider(desk.clone(), stop.clone()));
    }
    let summary = tokio::spawn(summarize(
        desk.clone(),
        service.stabilizer(),
        options.summary_every,
        stop.clone(),
    ));
    if options.screen {
        let inputs = crate::ui::app::UiInputs {
            desk,
            stabilizer: Some(service.stabilizer()),
            config: config.clone(),
            banks: service.banks().to_vec(),
            memory: service.ui_memory(),
            web: service.web().cloned(),
        };
        let rt = tokio::runtime::Handle::current();
        let ui_stop = stop.clone();
        // The screen needs this (main) thread; the runtime's workers carry on meanwhile.
        let shown =
            tokio::task::block_in_place(|| crate::ui::app::run_window(inputs, &rt, ui_stop));
        if let Err(why) = shown {
            info!("{why}; the demo runs without a screen");
        }
    }
    let _ = summary.await;
    service.shutdown(Duration::from_secs(2)).await;
    drop(camilla);
    Ok(())
}

/// Somebody at the console rides the lead vocal and switches channel 2 on and off: the changes
/// reach pupitre through `/xremote`, and the deck's LEDs follow.
async fn engineer_at_the_console(fake: FakeX32, stop: CancellationToken) {
    let mut n = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(7)) => {}
        }
        n += 1;
        if n % 2 == 1 {
            let db = if n % 4 == 1 { -3.0 } else { 0.0 };
            let f = law::quantize_level(law::db_to_level(db), law::FADER_STEPS);
            fake.set_local("/ch/01/mix/fader", OscType::Float(f as f32));
        } else {
            let on = i32::from(n.is_multiple_of(4));
            fake.set_local("/ch/02/mix/on", OscType::Int(on));
        }
    }
    drop(fake);
}

/// The demo's Numark Mixtrack Pro 3 over network MIDI on loopback: the surface for the service,
/// and the deck's side, to [`ScriptedDeck::play`].
pub async fn scripted_mixtrack() -> Result<(SurfaceSpec, ScriptedDeck)> {
    let deck = UdpSocket::bind("127.0.0.1:0")
        .await
        .context("cannot open the demo deck's socket")?;
    let deck_addr = deck.local_addr()?;
    let listen = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .context("cannot find a free port for the demo deck")?;
    let text = MIXTRACK.replace(
        "input = \"Mixtrack Pro 3\"",
        &format!("network = {{ listen = \"{listen}\", peer = \"{deck_addr}\" }}"),
    );
    let mapping = Mapping::parse(&text, Path::new("mappings/numark-mixtrack-pro-3.toml"))
        .map_err(|e| anyhow!("{e}"))?;
    let spec = SurfaceSpec {
        name: "mixtrack".into(),
        mapping,
        path: None,
    };
    Ok((
        spec,
        ScriptedDeck {
            socket: deck,
            pupitre: listen,
        },
    ))
}

/// The deck's side of the demo's Mixtrack.
pub struct ScriptedDeck {
    socket: UdpSocket,
    pupitre: std::net::SocketAddr,
}

impl ScriptedDeck {
    /// Play until `stop`: the jog wheel trims the stream bus (bus 1) in bursts of ticks, and the
    /// LEDs pupitre lights on the deck are logged.
    pub async fn play(self, stop: CancellationToken) {
        scripted_deck(self.socket, self.pupitre, stop).await
    }
}

async fn scripted_deck(deck: UdpSocket, pupitre: std::net::SocketAddr, stop: CancellationToken) {
    let mut leds: HashMap<(u8, u8), u8> = HashMap::new();
    let mut buf = vec![0u8; 2048];
    // Every 3 s: under network MIDI's 5 s silence rule, which would announce a replug.
    let mut tick = tokio::time::interval(Duration::from_secs(3));
    tick.tick().await;
    let mut n = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {
                n += 1;
                // Four ticks up, four up, four down, four down… (two's complement: 7F is −1).
                let step = if (n / 2).is_multiple_of(2) { 0x01 } else { 0x7F };
                for _ in 0..4 {
                    let _ = deck.send_to(&[0xB1, 0x11, step], pupitre).await;
                }
            }
            r = deck.recv_from(&mut buf) => {
                let Ok((len, _)) = r else { continue };
                for m in parse_all(&buf[..len]) {
                    if let MidiMessage::NoteOn { channel, note, velocity } = m {
                        let (deck_no, name) = match (channel.get(), note.get()) {
                            (1, 1) => (1, "play"),
                            (2, 1) => (2, "play"),
                            (1, 3) => (1, "cue"),
                            (2, 3) => (2, "cue"),
                            (1, 2) => (1, "sync"),
                            (2, 2) => (2, "sync"),
                            _ => continue,
                        };
                        let v = velocity.get();
                        if leds.insert((channel.get(), note.get()), v) != Some(v) {
                            info!(deck = deck_no, led = name, lit = v > 0, "mixtrack LED");
                        }
                    }
                }
            }
        }
    }
}

/// Somebody on the screen boosts and flattens CamillaDSP channel 0's bass every 8 s; the
/// summary shows its playback level follow.
async fn tone_rider(desk: DeskHandle, stop: CancellationToken) {
    let bass = match crate::desk::ParamId::camilla("ch/0/bass") {
        Ok(p) => p,
        Err(_) => return,
    };
    let mut boost = true;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(8)) => {}
        }
        let db = if boost { 6.0 } else { 0.0 };
        boost = !boost;
        let Some(value) = crate::desk::Db::try_new(db)
            .ok()
            .and_then(|d| bass.kind().from_db(d))
        else {
            continue;
        };
        let intent = crate::desk::Intent {
            param: bass.clone(),
            op: crate::desk::Op::Set(value),
            origin: Origin::Ui,
        };
        if desk.send(intent).await.is_err() {
            break;
        }
    }
}

/// Log changes as they happen, and a summary of links and levels every `every`.
async fn summarize(
    desk: DeskHandle,
    stabilizer: tokio::sync::watch::Receiver<crate::stabilizer::StabilizerState>,
    every: Duration,
    stop: CancellationToken,
) {
    let mut changes = desk.subscribe();
    let meters = desk.meters().subscribe(MixerId::X32);
    let status = desk.link_status(MixerId::X32);
    let camilla_meters = desk.meters().subscribe(MixerId::Camilla);
    let camilla_status = desk.link_status(MixerId::Camilla);
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let mut counted = 0u64;
    let mut resynced = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            r = changes.recv() => match r {
                Ok(c) => {
                    counted += 1;
                    // A read-back is hundreds of changes at once: counted, not listed.
                    if matches!(c.origin, Origin::Resync(_)) {
                        resynced += 1;
                    } else {
                        log_change(&c);
                    }
                }
                Err(RecvError::Lagged(n)) => warn!(skipped = n, "summary fell behind"),
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                let s = status.borrow().clone();
                let frame = meters.borrow().clone();
                let level = |strip: Strip| {
                    frame.level(strip).map_or("-".to_string(), |d| d.to_string())
                };
                info!(
                    x32 = %s.state,
                    peer = s.peer.as_deref().unwrap_or("-"),
                    main_lr = %level(Strip::MainStereo),
                    bus_01 = %level(Strip::Bus(1)),
                    mtx_01 = %level(Strip::Matrix(1)),
                    ch_01 = %level(Strip::Channel(1)),
                    changes = counted,
                    read_back = resynced,
                    "summary"
                );
                let c = camilla_status.borrow().clone();
                if c.state != crate::desk::LinkState::Disabled {
                    let frame = camilla_meters.borrow().clone();
                    let level = |ch: u8| {
                        frame
                            .channels
                            .get(&(crate::desk::Side::Playback, ch))
                            .map_or("-".to_string(), |l| l.rms.to_string())
                    };
                    info!(
                        camilla = %c.state,
                        peer = c.peer.as_deref().unwrap_or("-"),
                        out_0 = %level(0),
                        out_1 = %level(1),
                        "summary"
                    );
                }
                let st = stabilizer.borrow().clone();
                let lufs = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1} LUFS"));
                info!(
                    stabilizer = st.status.name(),
                    source = %st.source.address(),
                    target = %format!("{:.1} LUFS", st.settings.target_lufs),
                    estimate = %lufs(st.estimate_lufs),
                    fader = %st.fader_db.map_or("-".to_string(), |f| format!("{f:.1} dB")),
                    writes = st.writes,
                    "summary"
                );
                counted = 0;
                resynced = 0;
            }
        }
    }
}

fn log_change(c: &Change) {
    let kind = c.param.kind();
    info!(
        param = %c.param,
        from = %kind.display(&c.previous),
        to = %kind.display(&c.value),
        origin = %c.origin,
        "change"
    );
}
