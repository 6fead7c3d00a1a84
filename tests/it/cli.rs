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
    assert!(text(&out.stdout).contains("mapping for Behringer X-Touch (MCU), 45 controls"));

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
