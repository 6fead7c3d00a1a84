//! The `pupitre` command line. Everything else lives in the library.

mod cmd_journal;
mod cmd_latency;
mod cmd_memory;
mod cmd_stabilizer;
mod cmd_web;
mod cmd_x32;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use pupitre::camilla::check as camilla_check;
use pupitre::config::Config;
use pupitre::desk::Db;
use pupitre::mapping::Mapping;
use pupitre::x32::fake::{FakeOptions, FakeScene, FakeX32, Programme};

/// pupitre turns MIDI controllers, GPIO encoders and a touchscreen into a mixing desk for a
/// Behringer X32 (OSC over UDP) and CamillaDSP.
///
/// Start with `pupitre demo`: it runs the whole desk against a built-in fake X32, no hardware
/// needed. Then copy pupitre.example.toml, set your X32's address, check it with
/// `pupitre check pupitre.toml`, and start the service with `pupitre run --config pupitre.toml`.
#[derive(Parser, Debug)]
#[command(
    name = "pupitre",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Log level or filter: error, warn, info, debug, trace, or a tracing filter such as
    /// "pupitre=debug". Overrides the config file's [log] level and RUST_LOG.
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the service with a config file (see pupitre.example.toml).
    ///
    /// Connects to the mixers in the config, reads back their state, and keeps the desk, the
    /// mixers and the surfaces in step until stopped with Ctrl-C or SIGTERM.
    Run {
        /// The service config file (TOML).
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// Run without a screen even if the config asks for one.
        #[arg(long)]
        headless: bool,
        /// Switch the level stabilizer on at start (overrides [stabilizer] enabled).
        #[arg(long, conflicts_with = "no_stabilize")]
        stabilize: bool,
        /// Keep the level stabilizer off at start (it can still be switched on from the desk).
        #[arg(long)]
        no_stabilize: bool,
        /// Stabilizer target, LUFS (presets: -14, -16, -18, -23).
        #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
        target: Option<f64>,
        /// Stabilizer profile: speech, music or auto.
        #[arg(long, value_parser = |s: &str| s.parse::<pupitre::stabilizer::Profile>())]
        profile: Option<pupitre::stabilizer::Profile>,
        /// Stabilizer source: bus/NN, mtx/NN, main/st or main/m.
        #[arg(long, value_name = "STRIP")]
        source: Option<String>,
        /// Where pupitre keeps what it remembers (overrides [state] dir; default:
        /// $STATE_DIRECTORY, else $XDG_STATE_HOME/pupitre, else ~/.local/state/pupitre).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// The level stabilizer offline: replay a WAV file through it, or relay-tune its PID mode.
    Stabilizer {
        #[command(subcommand)]
        command: cmd_stabilizer::StabilizerCommand,
    },
    /// Read the action journal: every change the desk accepted, when, from where, old → new.
    ///
    /// `pupitre run` keeps it in its state folder (journal.jsonl, rotated at 1 MiB, five old
    /// files kept). Filter by time, origin and parameter, print JSON lines for tools, or follow
    /// it as it grows.
    Journal(cmd_journal::JournalArgs),
    /// Save the X32's channels, buses, matrices, mains, DCAs, routing and outputs to a JSON file.
    ///
    /// Reads every node with /node on a socket of its own, a few at a time, asking again when
    /// an answer is lost; a progress bar shows on a terminal. The file (docs/backup.md) holds
    /// the console's own node text, one node a line.
    ///
    /// Example: pupitre backup --x32 192.168.1.62 --out sunday.json
    Backup(cmd_x32::BackupArgs),
    /// Put a backup back on the X32: shows what differs, then applies it block by block.
    ///
    /// Reads the live desk for the backup's nodes, lists every parameter that differs (desk →
    /// backup), asks for each node ([y]es/[n]o/[a]ll/[q]uit; --yes applies all, --dry-run only
    /// shows), writes paced, then reads back and reports what did not take (exit status 1).
    /// A backup file that does not read is reported as FILE:LINE:COLUMN and changes nothing.
    ///
    /// Example: pupitre restore sunday.json --x32 192.168.1.62 --only routing,outputs
    Restore(cmd_x32::RestoreArgs),
    /// Which buses and matrices reach the outputs, the card (USB) and AES50, and which most
    /// likely feeds the livestream.
    ///
    /// Follows output sources, user outputs and block routing to every destination, and ranks
    /// the buses, matrices and mains by where they go (card and AES50 before analog), what
    /// feeds them and their names, with the reasons.
    ///
    /// Example: pupitre analyze --x32 192.168.1.62   (or --from sunday.json)
    Analyze(cmd_x32::AnalyzeArgs),
    /// Run the whole desk against a built-in fake X32: no hardware, no network.
    ///
    /// Starts a fake X32 on 127.0.0.1, points the service at it, and shows what happens: a
    /// scripted controller rides bus 1, "someone at the console" rides channel 1, and a summary
    /// of links and levels is logged every few seconds. Stop with Ctrl-C.
    Demo {
        /// Where the fake X32 listens (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:10023", value_name = "ADDR")]
        bind: SocketAddr,
        /// Packet loss the fake applies both ways, from 0 to 1 (e.g. 0.1 for 10 %).
        #[arg(long, default_value_t = 0.0, value_parser = parse_loss, value_name = "P")]
        loss: f64,
        /// Seconds between summaries.
        #[arg(long, default_value_t = 3, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        summary_every: u64,
        /// Stop after this many seconds instead of waiting for Ctrl-C.
        #[arg(long, value_name = "SECS")]
        duration: Option<u64>,
        /// The CamillaDSP binary to run beside the X32 (default: $CAMILLADSP_BIN, else the one
        /// scripts/dev builds under ~/.cache).
        #[arg(long, value_name = "PATH")]
        camilladsp: Option<PathBuf>,
        /// Run the X32 side only, without CamillaDSP.
        #[arg(long, conflicts_with = "camilladsp")]
        no_camilladsp: bool,
        /// Do not open the desk screen even when a display exists.
        #[arg(long)]
        headless: bool,
        /// Where the demo keeps its settings (default: the "demo" folder inside the standard
        /// state folder, apart from a real desk's).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Where the web remote listens (the pairing code is logged at start). Use
        /// 0.0.0.0:8032 to reach it from a phone on the same network.
        #[arg(long, default_value = "127.0.0.1:8032", value_name = "ADDR")]
        web: SocketAddr,
        /// Run without the web remote.
        #[arg(long)]
        no_web: bool,
    },
    /// Render the desk screen to PNG files, headless, with the demo running behind it.
    ///
    /// Starts the fake X32 and the service as the demo does, lets the show run for a few
    /// seconds (meters, the stabilizer's graph), then writes desk-WxH-THEME-LANG.png for every
    /// size, theme and language asked. No display needed.
    Screenshot {
        /// Folder for the PNG files.
        #[arg(long, default_value = "screenshots", value_name = "DIR")]
        out: PathBuf,
        /// Sizes as WIDTHxHEIGHT (repeatable).
        #[arg(long = "size", value_name = "WxH", default_values = ["800x480", "1024x600", "1280x720", "1920x1080"])]
        sizes: Vec<String>,
        /// Themes: dark, light, high-contrast (repeatable).
        #[arg(long = "theme", default_values = ["dark", "light"])]
        themes: Vec<String>,
        /// Languages: en, fr (repeatable).
        #[arg(long = "lang", default_values = ["en", "fr"])]
        langs: Vec<String>,
        /// Seconds of show before the pictures.
        #[arg(long, default_value_t = 6, value_name = "SECS")]
        seconds: u64,
    },
    /// Run only the fake X32, for other clients (X32-Edit style tools, a second pupitre).
    ///
    /// It answers /info, /xinfo, /status, gets and sets, /xremote (4 clients, 10 s), /node and
    /// / writes, and /meters/0, /2 and /6 computed from a signal model through the faders.
    FakeX32 {
        /// Address to listen on. Keep it on loopback unless you mean to share it.
        #[arg(long, default_value = "127.0.0.1:10023", value_name = "ADDR")]
        bind: SocketAddr,
        /// Packet loss applied both ways, from 0 to 1.
        #[arg(long, default_value_t = 0.0, value_parser = parse_loss, value_name = "P")]
        loss: f64,
        /// Starting state: a named live show, or everything at zero like the emulator.
        #[arg(long, value_enum, default_value_t = SceneArg::Demo)]
        scene: SceneArg,
        /// Feed every channel a steady tone at this level in dBFS instead of live programme.
        #[arg(long, value_name = "DBFS", allow_negative_numbers = true)]
        steady: Option<f64>,
    },
    /// List the MIDI inputs and outputs this machine has.
    ///
    /// Use a part of a name as the input/output pattern in a mapping file's [device] section
    /// (case-insensitive; `*` matches anything).
    Ports,
    /// Scenes: save the running desk (or a scope of it), recall, list, rename, delete.
    ///
    /// A scene holds desk values in a numbered slot (1–99); recalling one writes them to the
    /// mixers and the controllers follow. Controllers recall with `action = "scene:N"`. With
    /// pupitre running these commands go to it; list, rename and delete also work on the files
    /// alone.
    Scene {
        #[command(flatten)]
        state: cmd_memory::StateArgs,
        #[command(subcommand)]
        command: cmd_memory::SceneCommand,
    },
    /// The web remote: pairing codes for phones, and the paired browsers.
    ///
    /// The service serves the desk to browsers when its config has [web] enabled = true.
    /// A browser is paired once with a code from `pupitre web pair` (or the screen's Phone
    /// button); `pupitre web tokens` lists and unpairs them.
    Web {
        #[command(flatten)]
        state: cmd_memory::StateArgs,
        #[command(subcommand)]
        command: cmd_web::WebSubcommand,
    },
    /// Put parameters of the running desk back to their defaults.
    ///
    /// Examples:
    ///   pupitre reset x32:/ch/01          one channel strip
    ///   pupitre reset camilla             every CamillaDSP control
    ///   pupitre reset eq                  the EQ gains everywhere
    ///   pupitre reset all
    ///   pupitre reset --list              what the defaults are
    Reset {
        #[command(flatten)]
        state: cmd_memory::StateArgs,
        /// What to reset: a strip (x32:/ch/01), a mixer (x32, camilla), a section (faders,
        /// mutes, eq, sends) or all; several add up.
        #[arg(value_name = "SCOPE")]
        scope: Vec<String>,
        /// Print the defaults table and exit.
        #[arg(long)]
        list: bool,
    },
    /// Write the scenes and settings to a JSON or XML file (by its extension).
    ///
    /// The schema is versioned and documented in docs/exchange.md; importing the file gives
    /// back exactly the same scenes and settings.
    Export {
        #[command(flatten)]
        state: cmd_memory::StateArgs,
        /// The file to write: NAME.json or NAME.xml.
        #[arg(value_name = "FILE")]
        out: PathBuf,
        /// Only these scenes (slot or name; repeatable). Default: all.
        #[arg(long, value_name = "SCENE")]
        scene: Vec<String>,
    },
    /// Read scenes and settings from a JSON or XML file written by `export`.
    ///
    /// The whole file is checked first: a problem is reported with its line and column and
    /// nothing changes. Scenes already in the slots the file uses are kept unless --replace.
    Import {
        #[command(flatten)]
        state: cmd_memory::StateArgs,
        /// The file: NAME.json or NAME.xml.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Replace scenes in the slots the file uses.
        #[arg(long)]
        replace: bool,
        /// Only check the file.
        #[arg(long)]
        check: bool,
    },
    /// Learn controls: move one control at a time; a snippet is printed for each.
    ///
    /// Listens on a MIDI input (--port) or on network MIDI (--listen and --peer). Move one
    /// control at a time, then leave it: once it has been still for the settle time, its
    /// [[control]] block is printed, ready to paste into a mapping file. The block guesses the
    /// source (note, cc, cc14, pitch bend, NRPN) and the character (button, toggle-button,
    /// range, relative encoder) and says why in a comment; set its target yourself.
    ///
    /// Tips: sweep faders and knobs over their whole travel; press buttons and let go (press a
    /// button twice, apart, to tell a toggle button); turn encoders slowly a few clicks each
    /// way. Stop with Ctrl-C. Status lines are TOML comments, so stdout can be redirected into
    /// a file.
    #[command(group(clap::ArgGroup::new("from").required(true).args(["port", "listen"])))]
    Learn {
        /// MIDI input port name pattern (case-insensitive substring, or a glob with `*`); see
        /// `pupitre ports`.
        #[arg(long, value_name = "PATTERN", conflicts_with_all = ["listen", "peer"])]
        port: Option<String>,
        /// Network MIDI: the local address to receive on, e.g. 0.0.0.0:21928.
        #[arg(long, value_name = "ADDR", requires = "peer")]
        listen: Option<SocketAddr>,
        /// Network MIDI: the device's (or its bridge's) address.
        #[arg(long, value_name = "ADDR", requires = "listen")]
        peer: Option<SocketAddr>,
        /// Milliseconds a control must be still before its snippet is printed.
        #[arg(long, default_value_t = 600, value_name = "MS", value_parser = clap::value_parser!(u64).range(50..=10_000))]
        settle_ms: u64,
    },
    /// Measure the control round trip to each mixer and controller, and CamillaDSP's latency.
    ///
    /// Times one probe at a time on links of its own: an OSC get and its answer from the X32,
    /// a GetState over CamillaDSP's websocket, a Device Inquiry and the controller's Identity
    /// Reply (or, with --midi-loop note-echo, a note through a cable from its MIDI out to its
    /// MIDI in). Each link gets min/p50/p95/p99/max and how many probes were lost (no answer
    /// within --timeout-ms; never counted as a long time). For CamillaDSP it also reads the
    /// active config and prints the audio latency chunksize + target_level + resampler give,
    /// and the playback buffer level it measures. Exits with 1 if a link lost every probe or
    /// could not be reached.
    Latency(cmd_latency::LatencyArgs),
    /// Validate config and mapping files without touching any hardware or network.
    ///
    /// Every problem is reported as FILE:LINE:COLUMN with what was expected. A config's mapping
    /// files are checked with it. Exits with 1 if any file has a problem.
    Check {
        /// Config files (pupitre.toml), mapping files (mappings/*.toml) or CamillaDSP configs
        /// (*.yml) to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SceneArg {
    /// Named channels, faders near 0 dB, buses and a livestream matrix.
    Demo,
    /// Everything at zero and names empty.
    Blank,
}

/// Every (width, height, theme, language) asked for.
fn screenshot_plan(
    sizes: &[String],
    themes: &[String],
    langs: &[String],
) -> Result<Vec<pupitre::ui::shots::Shot>> {
    let mut out = Vec::new();
    for size in sizes {
        let (w, h) = size
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
            .filter(|(w, h)| (200..=4096).contains(w) && (200..=4096).contains(h))
            .with_context(|| format!("--size {size:?}: expected WIDTHxHEIGHT such as 800x480"))?;
        for theme in themes {
            let t = match theme.as_str() {
                "dark" => 0,
                "light" => 1,
                "high-contrast" => 2,
                other => anyhow::bail!("--theme {other:?}: expected dark, light or high-contrast"),
            };
            for lang in langs {
                anyhow::ensure!(
                    lang == "en" || lang == "fr",
                    "--lang {lang:?}: expected en or fr"
                );
                out.push(pupitre::ui::shots::Shot {
                    width: w,
                    height: h,
                    theme: t,
                    theme_name: theme.clone(),
                    language: lang.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn parse_loss(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number; give a fraction such as 0.1"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!(
            "{p} is outside 0 to 1; 0.1 means 10 % of packets are dropped"
        ))
    }
}

/// The exit status for a config (or mapping) that cannot be used, as sysexits.h's EX_CONFIG:
/// systemd's unit names it in `RestartPreventExitStatus=`, so a broken file is not retried.
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pupitre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    if let Command::Check { files } = &cli.command {
        return Ok(check(files));
    }
    if let Command::Stabilizer { command } = cli.command {
        init_logging(cli.log.as_deref(), "warn");
        cmd_stabilizer::run(command)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Journal(args) = cli.command {
        init_logging(cli.log.as_deref(), "warn");
        return cmd_journal::run(args);
    }
    match cli.command {
        Command::Backup(args) => {
            init_logging(cli.log.as_deref(), "warn");
            return cmd_x32::backup(args);
        }
        Command::Restore(args) => {
            init_logging(cli.log.as_deref(), "warn");
            return cmd_x32::restore(args);
        }
        Command::Analyze(args) => {
            init_logging(cli.log.as_deref(), "warn");
            return cmd_x32::analyze_cmd(args);
        }
        _ => {}
    }
    if let Command::Ports = &cli.command {
        return Ok(ports());
    }
    if matches!(
        cli.command,
        Command::Scene { .. }
            | Command::Reset { .. }
            | Command::Export { .. }
            | Command::Import { .. }
            | Command::Web { .. }
    ) {
        init_logging(cli.log.as_deref(), "warn");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            match cli.command {
                Command::Scene { state, command } => cmd_memory::scene(state, command).await,
                Command::Reset { state, scope, list } => {
                    cmd_memory::reset(state, scope, list).await
                }
                Command::Export { state, out, scene } => {
                    cmd_memory::export(state, out, scene).await
                }
                Command::Import {
                    state,
                    file,
                    replace,
                    check,
                } => cmd_memory::import(state, file, replace, check).await,
                Command::Web { state, command } => cmd_web::run(state, command).await,
                _ => Ok(()),
            }
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Latency(args) = cli.command {
        init_logging(cli.log.as_deref(), "warn");
        return cmd_latency::run(args);
    }
    let config = match &cli.command {
        Command::Run { config, .. } => match Config::load(config) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("pupitre: {e}");
                return Ok(ExitCode::from(EX_CONFIG));
            }
        },
        _ => None,
    };
    let default_level = config
        .as_ref()
        .map(|c| c.log.filter())
        .unwrap_or_else(|| "info".into());
    init_logging(cli.log.as_deref(), &default_level);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signal(stop.clone()));
        match cli.command {
            Command::Run {
                headless,
                stabilize,
                no_stabilize,
                target,
                profile,
                source,
                state_dir,
                ..
            } => {
                let Some(mut config) = config else {
                    unreachable!("run always loads its config")
                };
                let s = &mut config.stabilizer;
                if stabilize || no_stabilize {
                    s.enabled = stabilize;
                }
                if let Some(t) = target {
                    anyhow::ensure!(
                        (-40.0..=-5.0).contains(&t),
                        "--target {t} is outside -40 to -5 LUFS"
                    );
                    s.target_lufs = t;
                }
                if let Some(p) = profile {
                    s.profile = p;
                }
                if let Some(src) = source {
                    s.source = pupitre::config::stabilizer_source(&src)
                        .map_err(|why| anyhow::anyhow!("--source {src:?} {why}"))?;
                }
                if let Some(dir) = state_dir {
                    config.state = pupitre::config::StateConfig::Dir(dir);
                }
                let service = match pupitre::service::Service::start(&config, stop.clone()) {
                    Ok(s) => s,
                    // A mapping file the config names is broken or missing.
                    Err(e) => {
                        eprintln!("pupitre: {e:#}");
                        return Ok(ExitCode::from(EX_CONFIG));
                    }
                };
                pupitre::notify::ready("desk running");
                tokio::spawn(pupitre::notify::watchdog(
                    service.desk().clone(),
                    stop.clone(),
                ));
                let mut shown = Err("running headless (--headless or [ui] headless)".to_string());
                if !headless && !config.ui.headless {
                    let inputs = pupitre::ui::app::UiInputs {
                        desk: service.desk().clone(),
                        stabilizer: Some(service.stabilizer()),
                        config: config.clone(),
                        banks: service.banks().to_vec(),
                        memory: service.ui_memory(),
                        web: service.web().cloned(),
                    };
                    let rt = tokio::runtime::Handle::current();
                    let ui_stop = stop.clone();
                    // The screen needs this (main) thread; the runtime's workers carry on.
                    shown = tokio::task::block_in_place(|| {
                        pupitre::ui::app::run_window(inputs, &rt, ui_stop)
                    });
                }
                if let Err(why) = shown {
                    info!("{why}");
                    stop.cancelled().await;
                }
                // Within systemd's patience and the 2 s a stop should take: links flush their
                // pending writes, the settings are saved, the mixers are left as they are.
                service.shutdown(Duration::from_millis(1500)).await;
            }
            Command::Demo {
                bind,
                loss,
                summary_every,
                duration,
                camilladsp,
                no_camilladsp,
                headless,
                state_dir,
                web,
                no_web,
            } => {
                let camilladsp = if no_camilladsp {
                    None
                } else {
                    camilladsp.or_else(pupitre::demo::find_camilladsp)
                };
                let options = pupitre::demo::DemoOptions {
                    bind,
                    loss,
                    summary_every: Duration::from_secs(summary_every),
                    duration: duration.map(Duration::from_secs),
                    camilladsp,
                    screen: !headless,
                    state_dir,
                    web: (!no_web).then_some(web),
                };
                pupitre::demo::run(options, stop.clone()).await?;
            }
            Command::FakeX32 {
                bind,
                loss,
                scene,
                steady,
            } => {
                let mut options = FakeOptions::new(bind);
                options.loss = loss;
                options.scene = match scene {
                    SceneArg::Demo => FakeScene::Demo,
                    SceneArg::Blank => FakeScene::Blank,
                };
                if let Some(db) = steady {
                    let db = Db::try_new(db).map_err(|e| anyhow::anyhow!("--steady: {e}"))?;
                    options.programme = Programme::Steady(db);
                }
                let mut fake = FakeX32::start(options)
                    .await
                    .with_context(|| format!("cannot listen on {bind}"))?;
                info!("Ctrl-C stops the fake X32");
                stop.cancelled().await;
                fake.stop().await;
            }
            Command::Learn {
                port,
                listen,
                peer,
                settle_ms,
            } => learn(port, listen.zip(peer), settle_ms, stop.clone()).await?,
            Command::Screenshot {
                out,
                sizes,
                themes,
                langs,
                seconds,
            } => {
                let shots = screenshot_plan(&sizes, &themes, &langs)?;
                let rt = tokio::runtime::Handle::current();
                tokio::task::block_in_place(|| {
                    pupitre::ui::shots::demo_screenshots(
                        &rt,
                        &out,
                        &shots,
                        Duration::from_secs(seconds),
                    )
                })
                .map_err(anyhow::Error::msg)?;
            }
            Command::Check { .. }
            | Command::Ports
            | Command::Stabilizer { .. }
            | Command::Scene { .. }
            | Command::Reset { .. }
            | Command::Export { .. }
            | Command::Import { .. }
            | Command::Web { .. }
            | Command::Latency(_)
            | Command::Journal(_)
            | Command::Backup(_)
            | Command::Restore(_)
            | Command::Analyze(_) => {
                unreachable!("handled above")
            }
        }
        info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// `pupitre learn`: snippets on stdout until Ctrl-C.
async fn learn(
    port: Option<String>,
    network: Option<(SocketAddr, SocketAddr)>,
    settle_ms: u64,
    stop: CancellationToken,
) -> Result<()> {
    use pupitre::midi::{NamePattern, NetSettings, PortSpec};
    let spec = match (port, network) {
        (Some(p), _) => PortSpec::Midi {
            input: NamePattern::new(&p).with_context(|| format!("--port {p:?}"))?,
            output: None,
        },
        (None, Some((listen, peer))) => PortSpec::Network(NetSettings::new(listen, peer)),
        (None, None) => anyhow::bail!("give --port PATTERN, or --listen ADDR and --peer ADDR"),
    };
    let settle = Duration::from_millis(settle_ms);
    let mut out = std::io::stdout();
    pupitre::learn::run(spec, settle, stop, &mut out).await?;
    Ok(())
}

fn ports() -> ExitCode {
    match pupitre::midi::list_ports() {
        Ok(list) => {
            let show = |title: &str, names: &[String]| {
                println!("{title}:");
                if names.is_empty() {
                    println!("  (none)");
                }
                for n in names {
                    println!("  {n}");
                }
            };
            show("MIDI inputs", &list.inputs);
            show("MIDI outputs", &list.outputs);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pupitre: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in files {
        let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
        let ok = if yaml {
            check_camilla_file(path)
        } else if is_mapping_file(path) {
            check_mapping(path)
        } else {
            check_config(path)
        };
        if !ok {
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} files have problems", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A mapping file has `[device]`, `[[control]]`, `[[display]]` or `[[meter]]` at its top level;
/// when the text is not even TOML, a `mappings` folder in its path decides.
fn is_mapping_file(path: &Path) -> bool {
    const KEYS: [&str; 5] = ["device", "banks", "control", "display", "meter"];
    match std::fs::read_to_string(path).map(|t| t.parse::<toml::Table>()) {
        Ok(Ok(table)) => table.keys().any(|k| KEYS.contains(&k.as_str())),
        _ => path.components().any(|c| c.as_os_str() == "mappings"),
    }
}

fn check_mapping(path: &Path) -> bool {
    match Mapping::load(path) {
        Ok(m) => {
            println!(
                "{}: ok — mapping for {}, {} controls, {} displays, {} meters",
                path.display(),
                m.device.name,
                m.controls.len(),
                m.displays.len(),
                m.meters.len()
            );
            true
        }
        Err(e) => {
            eprintln!("{e}");
            false
        }
    }
}

fn check_config(path: &Path) -> bool {
    let c = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    // The mapping files it names must be valid too, and CamillaDSP's config must have the
    // filters it drives.
    let mut ok = true;
    let mut params = c.params();
    for s in &c.surfaces {
        ok &= check_mapping(&s.mapping);
        if let Ok(m) = Mapping::load(&s.mapping) {
            params.extend(pupitre::surface::Engine::params(&m));
        }
    }
    if let Some(cd) = &c.camilla {
        if let Some(file) = &cd.config {
            let problems = std::fs::read_to_string(file)
                .map_err(|e| e.to_string())
                .and_then(|y| {
                    let o = camilla_check::offer(&y)?;
                    let mut problems = camilla_check::missing(
                        &o,
                        cd.channels,
                        cd.aux_faders,
                        cd.crossfader,
                        cd.group_tone,
                    );
                    problems.extend(camilla_check::filter_problems(&y, &params)?);
                    Ok(problems)
                })
                .unwrap_or_else(|e| vec![e]);
            for p in &problems {
                eprintln!("{}: {p}", file.display());
            }
            ok &= problems.is_empty();
        }
    }
    if !ok {
        eprintln!(
            "{}: the files it names have problems (above)",
            path.display()
        );
        return false;
    }
    let mixers: Vec<String> = c
        .x32
        .iter()
        .map(|x| format!("X32 at {} ({} strips)", x.address, x.strips.len()))
        .chain(
            c.camilla
                .iter()
                .map(|cd| format!("CamillaDSP at {}", cd.url)),
        )
        .collect();
    println!(
        "{}: ok — {}; {} parameters, {} surfaces",
        path.display(),
        mixers.join(", "),
        c.params().len(),
        c.surfaces.len()
    );
    true
}

/// A CamillaDSP config given on its own: say what pupitre can drive in it.
fn check_camilla_file(path: &Path) -> bool {
    let offer = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|y| camilla_check::offer(&y));
    match offer {
        Ok(o) => {
            let list = |v: &[u8]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
                }
            };
            println!(
                "{}: ok — CamillaDSP config; pupitre can drive gain/mute on channels {}, bass on {}, \
                 treble on {}, Aux faders {}, crossfader {}, group tone {}",
                path.display(),
                list(&o.gain_channels),
                list(&o.bass_channels),
                list(&o.treble_channels),
                list(&o.aux_faders),
                if o.crossfader { "yes" } else { "no" },
                if o.group_tone { "yes" } else { "no" }
            );
            true
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            false
        }
    }
}

/// Human-readable logs on a terminal; plain lines without colours or timestamps under systemd
/// (journald adds its own), so `journalctl -u pupitre` reads cleanly.
fn init_logging(cli_filter: Option<&str>, config_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = cli_filter
        .map(str::to_owned)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| config_level.to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|e| {
        eprintln!("pupitre: bad log filter {filter:?} ({e}); using info");
        EnvFilter::new("info")
    });
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(!under_journald && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if under_journald {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

async fn stop_on_signal(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            error!("cannot listen for SIGTERM");
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    info!("stopping");
    pupitre::notify::stopping();
    stop.cancel();
}
