//! `pupitre latency`: the control round trip to each mixer and controller, and CamillaDSP's
//! processing latency, as a table or JSON. The probes live in their rooms (`x32`, `camilla`,
//! `midi`); this file picks the links from the flags or the config and runs them one after
//! the other, so one link's traffic never blurs another's figures.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use tokio_util::sync::CancellationToken;

use pupitre::config::Config;
use pupitre::latency::{LatencyReport, LinkKind, LinkOutcome, LinkReport, Measured, ProbePlan};
use pupitre::mapping::{Mapping, Transport};
use pupitre::midi::{LoopMethod, NamePattern, NetSettings, PortSpec};

/// How long a MIDI device may take to show up (midir reads the port list every second).
const MIDI_CONNECT_WAIT: Duration = Duration::from_secs(3);

const EXAMPLES: &str = "\
Examples:
  pupitre latency --config /etc/pupitre/pupitre.toml
  pupitre latency --x32 192.168.1.20 --camilla ws://127.0.0.1:1234 --probes 500
  pupitre latency --midi-in \"X-TOUCH MINI\" --json
  pupitre latency --midi-in \"UM-ONE\" --midi-loop note-echo   (a cable from OUT to IN)

Stop the service first for the figures of the links alone: network MIDI cannot share its
listening port with a running service, and the desk's own traffic would blur the times.";

#[derive(Debug, Args)]
#[command(after_long_help = EXAMPLES)]
#[command(group(
    ArgGroup::new("links")
        .required(true)
        .multiple(true)
        .args(["config", "x32", "camilla", "midi_in", "midi_net"])
))]
pub struct LatencyArgs {
    /// The service config: probe every mixer in it and every surface with a MIDI output.
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["x32", "camilla", "midi_in", "midi_net"])]
    config: Option<PathBuf>,
    /// An X32 or M32: HOST or HOST:PORT (port 10023 when left out).
    #[arg(long, value_name = "ADDR")]
    x32: Option<String>,
    /// CamillaDSP's websocket, e.g. ws://127.0.0.1:1234.
    #[arg(long, value_name = "URL")]
    camilla: Option<String>,
    /// A controller's MIDI input port: part of its name or a glob with `*` (see `pupitre
    /// ports`).
    #[arg(long, value_name = "PATTERN")]
    midi_in: Option<String>,
    /// The controller's MIDI output port (default: the input's pattern, as most controllers
    /// name both alike).
    #[arg(long, value_name = "PATTERN", requires = "midi_in")]
    midi_out: Option<String>,
    /// A controller on network MIDI: the local address to receive on and the device's address,
    /// e.g. 0.0.0.0:21928,192.168.1.50:21928.
    #[arg(long, value_name = "LISTEN,PEER", value_parser = parse_net_pair, conflicts_with = "midi_in")]
    midi_net: Option<NetPair>,
    /// How the MIDI loop is closed: the controller answers a Device Inquiry (most do), or its
    /// output is wired back to its input and a note comes back.
    #[arg(long, value_enum, default_value_t = LoopArg::Identity)]
    midi_loop: LoopArg,
    /// With --config: probe only this surface (repeatable). The mixers are probed all the
    /// same.
    #[arg(long, value_name = "NAME", requires = "config")]
    surface: Vec<String>,
    /// Probes per link.
    #[arg(long, default_value_t = ProbePlan::DEFAULT_PROBES, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    probes: u32,
    /// Least time from one probe to the next, in milliseconds.
    #[arg(long, default_value_t = 10, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    interval_ms: u64,
    /// How long an answer may take before the probe counts as lost, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    timeout_ms: u64,
    /// Print the report as JSON on stdout instead of a table.
    #[arg(long)]
    json: bool,
}

/// How the MIDI loop is closed.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LoopArg {
    /// Universal Device Inquiry → Identity Reply.
    Identity,
    /// A note on channel 16, out wired to in.
    NoteEcho,
}

/// `--midi-net LISTEN,PEER`.
#[derive(Clone, Copy, Debug)]
struct NetPair {
    listen: SocketAddr,
    peer: SocketAddr,
}

fn parse_net_pair(s: &str) -> Result<NetPair, String> {
    let (listen, peer) = s.split_once(',').ok_or_else(|| {
        format!("{s:?}: expected LISTEN,PEER such as 0.0.0.0:21928,192.168.1.50:21928")
    })?;
    let addr = |a: &str| {
        a.trim()
            .parse::<SocketAddr>()
            .map_err(|_| format!("{a:?} is not an address with a port, such as 192.168.1.50:21928"))
    };
    Ok(NetPair {
        listen: addr(listen)?,
        peer: addr(peer)?,
    })
}

/// One link to probe.
enum Link {
    X32 {
        name: String,
        address: String,
    },
    Camilla {
        name: String,
        url: String,
    },
    Midi {
        name: String,
        spec: PortSpec,
    },
    /// Not probed: a row that says why.
    Row(LinkReport),
}

/// Run `pupitre latency`: exit 0 when every link answered, 1 when one could not be reached
/// or lost every probe, 78 when the config cannot be used.
pub fn run(args: LatencyArgs) -> Result<ExitCode> {
    let plan = ProbePlan {
        probes: args.probes,
        interval: Duration::from_millis(args.interval_ms),
        timeout: Duration::from_millis(args.timeout_ms),
    };
    let method = match args.midi_loop {
        LoopArg::Identity => LoopMethod::Identity,
        LoopArg::NoteEcho => LoopMethod::NoteEcho,
    };
    let links = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(config) => links_of_config(&config, &args.surface)?,
            Err(e) => {
                eprintln!("pupitre: {e}");
                return Ok(ExitCode::from(crate::EX_CONFIG));
            }
        },
        None => links_of_flags(&args)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let mut rows = Vec::with_capacity(links.len());
        for link in links {
            rows.push(probe(link, &plan, method).await);
        }
        LatencyReport { plan, links: rows }
    });
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{report}");
    }
    Ok(if report.any_unreachable() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn links_of_flags(args: &LatencyArgs) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    if let Some(address) = &args.x32 {
        links.push(Link::X32 {
            name: "x32".into(),
            address: address.clone(),
        });
    }
    if let Some(url) = &args.camilla {
        links.push(Link::Camilla {
            name: "camilla".into(),
            url: url.clone(),
        });
    }
    if let Some(input) = &args.midi_in {
        let pattern =
            |p: &str, flag: &str| NamePattern::new(p).with_context(|| format!("{flag} {p:?}"));
        links.push(Link::Midi {
            name: "midi".into(),
            spec: PortSpec::Midi {
                input: pattern(input, "--midi-in")?,
                output: args
                    .midi_out
                    .as_deref()
                    .map(|o| pattern(o, "--midi-out"))
                    .transpose()?,
            },
        });
    }
    if let Some(NetPair { listen, peer }) = args.midi_net {
        links.push(Link::Midi {
            name: "midi".into(),
            spec: PortSpec::Network(NetSettings::new(listen, peer)),
        });
    }
    Ok(links)
}

fn links_of_config(config: &Config, only: &[String]) -> Result<Vec<Link>> {
    let known: Vec<&str> = config.surfaces.iter().map(|s| s.name.as_str()).collect();
    for name in only {
        anyhow::ensure!(
            known.contains(&name.as_str()),
            "--surface {name:?}: the config has no such surface (it has: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    let mut links = Vec::new();
    if let Some(x32) = &config.x32 {
        links.push(Link::X32 {
            name: "x32".into(),
            address: x32.address.clone(),
        });
    }
    if let Some(camilla) = &config.camilla {
        links.push(Link::Camilla {
            name: "camilla".into(),
            url: camilla.url.clone(),
        });
    }
    for surface in &config.surfaces {
        if !only.is_empty() && !only.contains(&surface.name) {
            continue;
        }
        let row = |target: String, outcome| {
            Link::Row(LinkReport {
                name: surface.name.clone(),
                kind: LinkKind::Midi,
                target,
                method: "-".into(),
                outcome,
            })
        };
        let file = surface.mapping.display().to_string();
        if !surface.enabled {
            links.push(row(
                file,
                LinkOutcome::Skipped {
                    reason: "disabled in the config".into(),
                },
            ));
            continue;
        }
        let mapping = match Mapping::load(&surface.mapping) {
            Ok(m) => m,
            Err(e) => {
                links.push(row(
                    file,
                    LinkOutcome::Failed {
                        error: e.to_string(),
                    },
                ));
                continue;
            }
        };
        let spec = match &mapping.device.transport {
            Transport::Port { input, output } => {
                match (NamePattern::new(input), NamePattern::new(output)) {
                    (Ok(input), Ok(output)) => PortSpec::Midi {
                        input,
                        output: Some(output),
                    },
                    (Err(e), _) | (_, Err(e)) => {
                        links.push(row(
                            file,
                            LinkOutcome::Failed {
                                error: format!("port pattern: {e}"),
                            },
                        ));
                        continue;
                    }
                }
            }
            Transport::Network { listen, peer } => {
                PortSpec::Network(NetSettings::new(*listen, *peer))
            }
            Transport::Gpio(_) => {
                links.push(row(
                    "GPIO header".into(),
                    LinkOutcome::Skipped {
                        reason: "a GPIO surface has no MIDI output to loop through (its encoders \
                             are read on the Pi itself)"
                            .into(),
                    },
                ));
                continue;
            }
        };
        links.push(Link::Midi {
            name: surface.name.clone(),
            spec,
        });
    }
    Ok(links)
}

async fn probe(link: Link, plan: &ProbePlan, method: LoopMethod) -> LinkReport {
    match link {
        Link::Row(row) => row,
        Link::X32 { name, address } => {
            eprintln!("probing {name} at {address}…");
            let mut report = LinkReport {
                name,
                kind: LinkKind::X32,
                target: address.clone(),
                method: pupitre::x32::PROBE_METHOD.into(),
                outcome: LinkOutcome::Skipped {
                    reason: String::new(),
                },
            };
            report.outcome = match resolve_x32(&address).await {
                Err(error) => LinkOutcome::Failed { error },
                Ok(addr) => {
                    report.target = addr.to_string();
                    match pupitre::x32::probe_latency(addr, plan).await {
                        Err(e) => LinkOutcome::Failed {
                            error: format!("cannot open a UDP socket: {e}"),
                        },
                        Ok(p) => {
                            let mut notes = Vec::new();
                            if p.round_trips.answered_count() == 0 {
                                notes.push(
                                    "no answer: is the address right, the console on and on \
                                     this network?"
                                        .into(),
                                );
                            }
                            LinkOutcome::Measured(Measured {
                                peer: p.console,
                                rtt: p.round_trips.summary(),
                                processing: None,
                                buffer_level: None,
                                notes,
                            })
                        }
                    }
                }
            };
            report
        }
        Link::Camilla { name, url } => {
            eprintln!("probing {name} at {url}…");
            let outcome = match pupitre::camilla::probe_latency(&url, plan).await {
                Err(e) => LinkOutcome::Failed {
                    error: e.to_string(),
                },
                Ok(p) => {
                    let mut notes = p.notes;
                    let processing = match p.processing {
                        Ok(processing) => Some(processing),
                        Err(why) => {
                            notes.push(format!("processing latency unknown: {why}"));
                            None
                        }
                    };
                    LinkOutcome::Measured(Measured {
                        peer: Some(format!("CamillaDSP {}", p.version)),
                        rtt: p.round_trips.summary(),
                        processing,
                        buffer_level: (!p.buffer_level.readings.is_empty())
                            .then_some(p.buffer_level),
                        notes,
                    })
                }
            };
            LinkReport {
                name,
                kind: LinkKind::Camilla,
                target: url,
                method: pupitre::camilla::PROBE_METHOD.into(),
                outcome,
            }
        }
        Link::Midi { name, spec } => {
            let target = spec.to_string();
            eprintln!("probing {name} on {target}…");
            let stop = CancellationToken::new();
            let mut port = pupitre::midi::open(spec, stop.clone());
            let result =
                pupitre::midi::probe_latency(&mut port, method, plan, MIDI_CONNECT_WAIT).await;
            stop.cancel();
            let outcome = match result {
                Err(e) => LinkOutcome::Failed {
                    error: e.to_string(),
                },
                Ok(p) => LinkOutcome::Measured(Measured {
                    // A system port's name says more than its pattern; network MIDI's is the
                    // target again.
                    peer: Some(match (&p.identity, p.device == target) {
                        (Some(id), true) => id.to_string(),
                        (Some(id), false) => format!("{}: {id}", p.device),
                        (None, _) => p.device.clone(),
                    }),
                    rtt: p.round_trips.summary(),
                    processing: None,
                    buffer_level: None,
                    notes: p.notes,
                }),
            };
            LinkReport {
                name,
                kind: LinkKind::Midi,
                target,
                method: method.describe().into(),
                outcome,
            }
        }
    }
}

/// HOST, HOST:PORT, an IP or `[v6]:port`; the X32's port 10023 when none is given.
async fn resolve_x32(address: &str) -> Result<SocketAddr, String> {
    let port = pupitre::x32::X32_PORT;
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let has_port = address
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let found: Vec<SocketAddr> = if has_port {
        tokio::net::lookup_host(address)
            .await
            .map(Iterator::collect)
    } else {
        tokio::net::lookup_host((address, port))
            .await
            .map(Iterator::collect)
    }
    .map_err(|e| format!("cannot resolve {address:?}: {e}"))?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| format!("{address:?} resolves to no address"))
}
