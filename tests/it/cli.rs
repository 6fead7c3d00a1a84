//! The `pupitre` binary as a person uses it.

use std::path::Path;
use std::process::{Command, Output};

fn pupitre(args: &[&str]) -> Output {
    // What the runs remember stays in the build folder, never in the user's home.
    let state = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-state");
    Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .env("XDG_STATE_HOME", &state)
        .env_remove("STATE_DIRECTORY")
        .output()
        .expect("the pupitre binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_teaches_every_command() {
    let out = pupitre(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["run", "demo", "fake-x32", "check", "pupitre.example.toml"] {
        assert!(
            help.contains(word),
            "--help does not mention {word}:\n{help}"
        );
    }
    let out = pupitre(&["fake-x32", "--help"]);
    assert!(text(&out.stdout).contains("--loss"));
}

#[test]
fn unknown_flags_and_bad_values_are_clear_errors() {
    let out = pupitre(&["run", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unexpected argument '--bogus'"),
        "{}",
        text(&out.stderr)
    );

    let out = pupitre(&["demo", "--loss", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("outside 0 to 1"),
        "{}",
        text(&out.stderr)
    );

    let out = pupitre(&["fake-x32", "--bind", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid socket address"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn run_with_a_missing_config_names_the_file() {
    // 78 (EX_CONFIG): systemd does not restart a service whose config cannot be used.
    let out = pupitre(&["run", "--config", "no/such/pupitre.toml"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out.stderr).contains("no/such/pupitre.toml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_accepts_the_example_and_rejects_broken_files_with_positions() {
    let out = pupitre(&["check", "pupitre.example.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("pupitre.example.toml: ok"));

    let out = pupitre(&[
        "check",
        "mappings/behringer-x-touch-mcu.toml",
        "mappings/numark-mixtrack-pro-3.toml",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("mapping for Behringer X-Touch (MCU), 53 controls"));

    let mut broken = Vec::new();
    for kind in ["config", "mapping"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(kind);
        broken.extend(
            std::fs::read_dir(&dir)
                .expect("fixtures exist")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml")),
        );
    }
    broken.sort();
    assert!(broken.len() >= 10);
    for file in broken {
        let rel = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let out = pupitre(&["check", &rel]);
        assert_eq!(out.status.code(), Some(1), "{rel} should fail");
        let err = text(&out.stderr);
        // Every problem line starts with file:line:column.
        let first = err.lines().next().unwrap_or_default();
        let mut parts = first.splitn(4, ':');
        assert_eq!(parts.next(), Some(rel.as_str()), "{err}");
        assert!(
            parts.next().is_some_and(|l| l.parse::<u32>().is_ok()),
            "{err}"
        );
        assert!(
            parts.next().is_some_and(|c| c.parse::<u32>().is_ok()),
            "{err}"
        );
    }
}

#[test]
fn demo_runs_end_to_end_and_says_what_happens() {
    let out = pupitre(&[
        "demo",
        "--bind",
        "127.0.0.1:0",
        "--duration",
        "6",
        "--summary-every",
        "1",
    ]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    for needle in [
        "fake X32 listening",
        "connected",
        "in sync",
        "summary",
        "x32=online",
        "origin=surface:mixtrack",
        "mixtrack LED",
        "stopped",
    ] {
        assert!(log.contains(needle), "demo log lacks {needle:?}:\n{log}");
    }
}

#[test]
fn check_compares_a_camilladsp_config_with_what_pupitre_drives() {
    let out = pupitre(&[
        "check",
        "examples/camilladsp/dummy.yml",
        "examples/camilladsp/pi-dac.yml",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("gain/mute on channels 0, 1"));

    let dir = std::env::temp_dir().join(format!("pupitre-cli-camilla-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("pupitre.toml");
    let yml = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/camilladsp/dummy.yml");
    let write = |channels: u8| {
        std::fs::write(
            &cfg,
            format!("[mixers.camilla]\nurl = \"ws://127.0.0.1:1234\"\nchannels = {channels}\nconfig = {:?}\n", yml.display().to_string()),
        )
        .unwrap()
    };
    write(2);
    let out = pupitre(&["check", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    write(3);
    let out = pupitre(&["check", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no filter \"ch2_gain\" (Gain)"),
        "{}",
        text(&out.stderr)
    );
    // A mapping's named-filter targets are checked against the filters' types.
    std::fs::write(
        dir.join("knobs.toml"),
        "[device]\nname = \"knobs\"\ninput = \"K\"\n\n[[control]]\nsource = { cc = 1 }\n\
         target = \"camilla:filter/ch0_bass/slope\"\n\n[[control]]\nsource = { cc = 2 }\n\
         target = \"camilla:filter/ch0_bass/mute\"\n",
    )
    .unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[mixers.camilla]\nurl = \"ws://127.0.0.1:1234\"\nconfig = {:?}\n\n\
             [[surfaces]]\nname = \"knobs\"\nmapping = \"knobs.toml\"\n",
            yml.display().to_string()
        ),
    )
    .unwrap();
    let out = pupitre(&["check", cfg.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "camilla:filter/ch0_bass/mute: a Biquad Lowshelf filter has no parameter \"mute\"; \
             it has freq, gain, q and slope"
        ),
        "{err}"
    );
    assert!(!err.contains("slope:"), "{err}");
}

#[test]
fn stabilizer_replay_is_deterministic_and_writes_trace_and_audio() {
    use pupitre::stabilizer::{db_gain, Audio};
    let dir = std::env::temp_dir().join(format!("pupitre-cli-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 8 s at −30 dBFS, 4 s of silence, 8 s at −6 dBFS: quiet speech, a pause, a loud source.
    let rate = 16_000u32;
    let samples: Vec<f32> = (0..rate as usize * 20)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let level = if t < 8.0 {
                -30.0
            } else if t < 12.0 {
                -200.0
            } else {
                -6.0
            };
            (db_gain(level)
                * std::f64::consts::SQRT_2
                * (t * 2.0 * std::f64::consts::PI * 300.0).sin()) as f32
        })
        .collect();
    let input = dir.join("in.wav");
    Audio {
        rate,
        channels: 1,
        samples,
    }
    .write_wav(&input)
    .unwrap();
    let run = |trace: &str, extra: &[&str]| {
        let t = dir.join(trace);
        let mut args = vec![
            "stabilizer",
            "replay",
            "--input",
            input.to_str().unwrap(),
            "--target",
            "-16",
            "--loss",
            "0.05",
            "--trace",
            t.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = pupitre(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        (std::fs::read_to_string(t).unwrap(), text(&out.stdout))
    };
    let out_wav = dir.join("out.wav");
    let (a, summary) = run("a.csv", &["--output", out_wav.to_str().unwrap()]);
    let (b, _) = run("b.csv", &[]);
    assert_eq!(a, b, "same input and flags, same trace");
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines[0], "time_s,meter_dbfs,fader_db,written");
    assert_eq!(lines.len(), 1 + 400, "one row per 50 ms frame");
    assert!(summary.contains("writes"), "{summary}");
    // Quiet at first: the fader rides up to the +6 dB bound; the loud part is cut.
    let fader = |row: &str| row.split(',').nth(2).unwrap().parse::<f64>().unwrap();
    assert!(fader(lines[160]) > 5.0, "{}", lines[160]);
    assert!(fader(lines[400]) < -5.0, "{}", lines[400]);
    let (pid, _) = run("pid.csv", &["--mode", "pid"]);
    assert_ne!(pid, a);
    let out = Audio::read_wav(&out_wav).unwrap();
    assert_eq!(out.samples.len(), rate as usize * 20);
    // Bad flags are refused with what was expected.
    let bad = pupitre(&[
        "stabilizer",
        "replay",
        "--input",
        input.to_str().unwrap(),
        "--trace",
        "x.csv",
        "--meter",
        "vu",
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("expected rms or peak"),
        "{}",
        text(&bad.stderr)
    );
    let missing = pupitre(&[
        "stabilizer",
        "replay",
        "--input",
        "nope.wav",
        "--trace",
        "x.csv",
    ]);
    assert!(
        text(&missing.stderr).contains("nope.wav"),
        "{}",
        text(&missing.stderr)
    );
    let tune = pupitre(&[
        "stabilizer",
        "tune",
        "--input",
        input.to_str().unwrap(),
        "--target",
        "-30",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    let tuned = text(&tune.stdout);
    assert!(tune.status.success(), "{}", text(&tune.stderr));
    for rule in ["astrom-hagglund", "ziegler-nichols", "tyreus-luyben"] {
        assert!(tuned.contains(rule), "{tuned}");
    }
}

#[test]
fn latency_json_against_the_fake_x32() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(crate::support::fake(
        pupitre::x32::fake::FakeScene::Demo,
        crate::support::steady(),
        0.0,
    ));
    let addr = fake.local_addr().to_string();
    let out = pupitre(&["latency", "--x32", &addr, "--probes", "20", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // stdout is the JSON alone; progress goes to stderr.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(json["plan"]["probes"], 20);
    let links = json["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    let x32 = &links[0];
    assert_eq!(x32["kind"], "x32");
    assert_eq!(x32["status"], "measured");
    assert_eq!(x32["target"], addr.as_str());
    assert_eq!(x32["peer"], "X32 4.06");
    assert_eq!(
        (
            x32["sent"].as_u64(),
            x32["answered"].as_u64(),
            x32["lost"].as_u64()
        ),
        (Some(20), Some(20), Some(0))
    );
    let rtt = &x32["rtt_ms"];
    let at = |k: &str| {
        rtt[k]
            .as_f64()
            .unwrap_or_else(|| panic!("rtt_ms.{k} in {rtt}"))
    };
    assert!(at("min") <= at("p50") && at("p50") <= at("p95"));
    assert!(at("p95") <= at("p99") && at("p99") <= at("max"));
    assert!(text(&out.stderr).contains("probing x32"));
    drop(fake);
}

#[test]
fn latency_with_a_config_probes_mixers_and_surfaces_and_skips_gpio() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(crate::support::fake(
        pupitre::x32::fake::FakeScene::Demo,
        crate::support::steady(),
        0.0,
    ));
    // A network MIDI controller that answers every Device Inquiry.
    let device = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let device_addr = device.local_addr().unwrap();
    device.set_nonblocking(true).unwrap();
    let answering = rt.spawn(async move {
        let device = tokio::net::UdpSocket::from_std(device).unwrap();
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = device.recv_from(&mut buf).await {
            if buf[..n].starts_with(&pupitre::midi::DEVICE_INQUIRY) {
                let reply = [0xF0, 0x7E, 0, 6, 2, 0x47, 1, 0, 2, 0, 0, 0, 0, 1, 0xF7];
                let _ = device.send_to(&reply, from).await;
            }
        }
    });
    let listen = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pupitre-cli-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pads.toml"),
        format!("[device]\nname = \"pads\"\nnetwork = {{ listen = \"{listen}\", peer = \"{device_addr}\" }}\n"),
    )
    .unwrap();
    let encoders = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/pi-encoders.toml");
    let cfg = dir.join("pupitre.toml");
    std::fs::write(
        &cfg,
        format!(
            "[mixers.x32]\naddress = \"{}\"\n\n[[surfaces]]\nname = \"knobs\"\nmapping = {:?}\n\n\
             [[surfaces]]\nname = \"pads\"\nmapping = \"pads.toml\"\n",
            fake.local_addr(),
            encoders.display().to_string()
        ),
    )
    .unwrap();
    let out = pupitre(&[
        "latency",
        "--config",
        cfg.to_str().unwrap(),
        "--probes",
        "10",
    ]);
    let table = text(&out.stdout);
    assert!(out.status.success(), "{table}{}", text(&out.stderr));
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_owned()
    };
    // Each measured row: sent 10, lost 0, then five times.
    for name in ["x32", "pads"] {
        let fields: Vec<String> = row(name).split_whitespace().map(str::to_owned).collect();
        let n = fields.len();
        assert!(n > 7, "{fields:?}");
        assert_eq!(&fields[n - 7..n - 5], ["10", "0"], "{table}");
    }
    assert!(row("pads").contains("Device Inquiry"), "{table}");
    assert!(row("knobs").contains("skipped: a GPIO surface"), "{table}");
    assert!(
        table.contains("manufacturer 47, family 1, model 2"),
        "{table}"
    );

    // Only one surface; a name the config lacks is refused with the names it has.
    let out = pupitre(&[
        "latency",
        "--config",
        cfg.to_str().unwrap(),
        "--probes",
        "2",
        "--surface",
        "knobs",
    ]);
    assert!(
        !text(&out.stdout).contains("pads "),
        "{}",
        text(&out.stdout)
    );
    let out = pupitre(&[
        "latency",
        "--config",
        cfg.to_str().unwrap(),
        "--surface",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("--surface \"nope\": the config has no such surface (it has: knobs, pads)"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    answering.abort();
    drop(fake);
}

#[test]
fn journal_filters_and_prints_one_line_per_entry() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-journal");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let line = |t: &str, origin: &str, param: &str, old: &str, new: &str, count: u32| {
        format!(
            "{{\"time\":\"2026-11-22T{t}Z\",\"seq\":{count},\"origin\":\"{origin}\",\"param\":\"{param}\",\
             \"old\":\"{old}\",\"new\":\"{new}\",\"old_raw\":0.5,\"new_raw\":0.7,\"count\":{count}}}\n"
        )
    };
    // An older, rotated file; then the current one, torn at the end by a power cut.
    std::fs::write(
        dir.join("journal.1.jsonl"),
        line(
            "13:59:00.000",
            "surface:xtouch",
            "x32:/ch/02/mix/fader",
            "-inf dB",
            "-20.0 dB",
            3,
        ),
    )
    .unwrap();
    let current = [
        line(
            "14:03:07.412",
            "surface:xtouch",
            "x32:/ch/01/mix/fader",
            "-12.0 dB",
            "-3.5 dB",
            14,
        ),
        line(
            "14:03:08.000",
            "mixer:x32",
            "x32:/ch/03/mix/fader",
            "-10.0 dB",
            "-5.0 dB",
            1,
        ),
        line(
            "14:03:09.500",
            "surface:xtouch2",
            "x32:/ch/04/mix/on",
            "ON",
            "OFF",
            1,
        ),
        "{\"time\":\"2026-11-22T14:04".to_string(),
    ]
    .concat();
    std::fs::write(dir.join("journal.jsonl"), &current).unwrap();
    let journal = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pupitre"))
            .arg("journal")
            .arg("--state-dir")
            .arg(&dir)
            .args(args)
            .env("TZ", "UTC")
            .env_remove("RUST_LOG")
            .output()
            .expect("the pupitre binary runs")
    };

    let out = journal(&["--origin", "surface:xtouch", "--last", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "2026-11-22 13:59:00.000  surface:xtouch  x32:/ch/02/mix/fader    -inf dB → -20.0 dB  (×3)\n\
         2026-11-22 14:03:07.412  surface:xtouch  x32:/ch/01/mix/fader    -12.0 dB → -3.5 dB  (×14)\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("journal.jsonl:4:") && err.contains("torn last line"),
        "{err}"
    );

    // Families of origins, parameter globs, JSON lines as the file has them.
    let out = journal(&[
        "--origin", "surface", "--origin", "mixer", "--param", "*/fader", "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert_eq!(json.lines().count(), 3, "{json}");
    // Written back exactly as the file holds it.
    let expected = line(
        "14:03:08.000",
        "mixer:x32",
        "x32:/ch/03/mix/fader",
        "-10.0 dB",
        "-5.0 dB",
        1,
    );
    assert!(json.ends_with(&expected), "{json}");
    let out = journal(&["--since", "2026-11-22T14:03:09Z"]);
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "{}",
        text(&out.stdout)
    );

    let out = journal(&["--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("10m, 2h, 1d"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary with its stdin fed `input`, off the async runtime (the fakes run on it).
async fn pupitre_async(args: Vec<String>, input: &'static str) -> Output {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let state = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-state");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pupitre"))
            .args(&args)
            .env_remove("RUST_LOG")
            .env("XDG_STATE_HOME", &state)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the pupitre binary runs");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_and_analyze_from_the_command_line() {
    use crate::support::{fake, steady};
    use pupitre::x32::backup::{nodes_for, Backup, Section};
    use pupitre::x32::fake::FakeScene;
    use rosc::OscType;

    let a = fake(FakeScene::Demo, steady(), 0.0).await;
    let b = fake(FakeScene::Blank, steady(), 0.0).await;
    let (a_addr, b_addr) = (a.local_addr().to_string(), b.local_addr().to_string());
    let dir = std::env::temp_dir().join(format!("pupitre-cli-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("show.json");
    let file_s = file.to_str().unwrap().to_owned();

    let out = pupitre_async(args(&["backup", "--x32", &a_addr, "--out", &file_s]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1607 nodes"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("\"pupitre fake X32\", X32"));
    let backup = Backup::load(&file).unwrap();
    assert_eq!(backup.nodes.0.len(), nodes_for(&Section::ALL).len());

    let out = pupitre_async(args(&["analyze", "--from", &file_s]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("  1. matrix 1 \"Livestream\""), "{report}");
    assert!(
        report.contains("patched to card (USB) outputs 1-2"),
        "{report}"
    );
    let out = pupitre_async(args(&["analyze", "--x32", &b_addr]), "").await;
    assert!(text(&out.stdout).contains("none: no bus, matrix or main reaches an output"));

    // A dry run shows the differences and changes nothing.
    let restore = |extra: &[&str]| {
        let mut v = args(&["restore", &file_s, "--x32", &b_addr]);
        v.extend(args(extra));
        v
    };
    let out = pupitre_async(restore(&["--dry-run"]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(listing.contains("/ch/01/config\n    name"), "{listing}");
    assert!(listing.contains("parameters differ in"), "{listing}");
    assert_eq!(
        b.get("/ch/01/config/name"),
        Some(OscType::String(String::new()))
    );

    // Asked block by block: yes to the first, then quit.
    let out = pupitre_async(restore(&[]), "y\nq\n").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("wrote 1 nodes; every parameter took"));
    assert!(text(&out.stderr).contains("[y]es/[n]o/[a]ll/[q]uit"));
    let first = listing.lines().next().unwrap().to_owned();
    let line = backup.nodes.line(&first).unwrap();
    let written = pupitre::x32::node::parse_write(&line).unwrap();
    for (id, value) in written {
        let want = pupitre::x32::osc_arg(&value);
        assert_eq!(b.get(id.path()), Some(want), "{id}");
    }
    assert_eq!(
        b.get("/mtx/01/config/name"),
        Some(OscType::String(String::new()))
    );

    let out = pupitre_async(restore(&["--yes"]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("every parameter took"));
    assert_eq!(
        b.get("/mtx/01/config/name"),
        Some(OscType::String("Livestream".into()))
    );
    let out = pupitre_async(restore(&[]), "").await;
    assert!(text(&out.stdout).contains("the desk already matches"));

    // A broken file: FILE:LINE:COLUMN, and the desk is left alone.
    assert!(b.set_local("/ch/02/mix/on", OscType::Int(0)));
    let broken = dir.join("broken.json");
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&broken, good.replacen("\"ON ", "\"MAYBE ", 1)).unwrap();
    let mut v = args(&[
        "restore",
        broken.to_str().unwrap(),
        "--x32",
        &b_addr,
        "--yes",
    ]);
    v.push("--only=channels".into());
    let out = pupitre_async(v, "").await;
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("broken.json:"), "{err}");
    assert!(err.contains(": cannot read \"MAYBE\" (ON or OFF)"), "{err}");
    assert_eq!(b.get("/ch/02/mix/on"), Some(OscType::Int(0)));

    let help = text(&pupitre(&["restore", "--help"]).stdout);
    assert!(help.contains("[y]es/[n]o/[a]ll/[q]uit") && help.contains("Example: pupitre restore"));
    let help = text(&pupitre(&["backup", "--help"]).stdout);
    assert!(
        help.contains("--only <LIST>") && help.contains("mutegroups"),
        "{help}"
    );

    let out = pupitre_async(args(&["analyze"]), "").await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("give --from FILE.json, --x32 ADDR or --config FILE"));
}
