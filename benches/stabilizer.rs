//! The stabilizer benchmark (`stabilizer.md` §4 and §5).
//!
//! - Builds programme A, 623 s of mono 48 kHz audio: espeak-ng host speech, LibriVox
//!   and other read speech from `pocketsphinx-testdata`, music from `asc-music` and
//!   `fb-music-high`, room noise from sox and digital silence. Each part is scaled with BS.1770
//!   (`ebur128`) to a set integrated loudness, so the input steps 5–17 dB between segments.
//! - Replays it through the controller that rides the live desk (`pupitre::stabilizer::replay`:
//!   the frame-level X32 model, post-fader meter, 1024-step fader) for the leveler and its
//!   variants, the classic PID, and a PID tuned by the relay experiment (Tyreus–Luyben).
//! - Scores what the stream hears with BS.1770 (short-term 3 s at a 100 ms hop, momentary, gated
//!   integrated), against an oracle (a static gain per segment) and no control, and prints the
//!   goals of `stabilizer.md` §5 with pass/fail.
//!
//! Run with `cargo bench --bench stabilizer`. Decoded parts are cached in
//! `$PUPITRE_BENCH_CACHE` (default `~/.cache/pupitre-stabilizer-bench/`), so only the first run
//! needs the tools. Missing Debian packages are installed with apt-get when running as root
//! (unless `PUPITRE_BENCH_NO_INSTALL` is set); otherwise the bench names them and exits non-zero.
//! Nothing else is fetched.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use ebur128::EbuR128;
use pupitre::stabilizer::{
    relay_tune, replay, Audio, MeterKind, MeterPosition, Mode, Profile, ReplayOptions, Rule,
    Settings, TraceRow, FRAME_S,
};

const RATE: u32 = 48_000;
const TARGET: f64 = -16.0;
/// Short-term and momentary loudness are read every 100 ms.
const HOP_S: f64 = 0.1;
/// Scoring starts this long after a segment starts (the short-term window is then inside it).
const SCORE_FROM_S: f64 = 3.0;
/// Settled: |S − T| ≤ 2 LU held this long.
const HOLD_S: f64 = 5.0;
/// Momentary overshoot is looked for this long after a louder step.
const OVERSHOOT_S: f64 = 10.0;
/// Relay amplitude, dB around home.
const RELAY_D_DB: f64 = 3.0;
/// Bump when the parts change, so stale cached audio is not reused.
const CACHE_VERSION: &str = "v1";
/// The command-line tools; each comes in the Debian package of the same name.
const TOOLS: [&str; 3] = ["ffmpeg", "sox", "espeak-ng"];

const HOST_A: &str =
    "Good evening, and welcome back to the Thursday night stream. Tonight we have a \
full programme for you. First, a short reading from a classic novel, then some music from the \
community, and after that we will talk about the new mixing desk that runs this whole show. If you \
are joining us for the first time, the chat is open, so say hello and tell us where you are \
listening from. We read every message, even the ones that arrive while the music is playing. A \
quick note on the sound. We are testing a loudness stabilizer tonight. It rides the stream fader, \
so that quiet guests and loud songs arrive at roughly the same level in your headphones. If \
anything sounds odd, too quiet or suddenly too loud, please tell us in the chat and include the \
time, so we can find the spot in the recording afterwards. Right, enough housekeeping. Let us \
start with our reader, who has chosen a chapter from Sense and Sensibility.";

const HOST_B: &str = "Well, that was quite a change of pace. Thank you to our reader, and to the \
band for that very loud track. Before the next piece, let me explain how the stabilizer decides \
when to move. It listens to the programme in windows of a few seconds and compares what it hears \
with the target loudness. When the programme is quieter than the target, it raises the fader \
slowly, about one decibel per second, so that you hardly notice. When the programme is much \
louder, it pulls the fader down quickly, because a sudden loud passage is far more annoying than \
a quiet one. And when nobody is talking at all, it holds still, so that the hum of the room does \
not creep up during a pause. That is the theory, anyway. The practice is what we are testing \
tonight, with real voices and real songs. We will take a short pause now, and then play \
something much gentler, recorded by a friend of the show on a small keyboard at home.";

const HOST_C: &str = "Welcome back. That piece was a lot quieter than the rest of tonight's \
music, which is exactly the kind of change that a fixed fader handles badly. Somebody in the chat \
asks whether the stabilizer makes everything sound the same. It should not. It only moves the \
fader, slowly, and it leaves the dynamics inside a song alone. A compressor would squash the \
loud notes and lift the quiet ones, but a fader just shifts the whole thing up or down. Another \
question: what happens if the stream drops a few meter readings? The answer is that it holds the \
fader where it is and carries on with the next reading. Coming up next is another track from the \
community, and after that a few words from a guest who joins us on the phone line. The phone \
line is always quieter than the studio, so listen for how long it takes the fader to catch up \
with her.";

/// Where a part's audio comes from.
enum Source {
    /// espeak-ng, US English.
    Speak(&'static str),
    /// Files of a Debian package (found with `dpkg -L` by their path's end), one after another.
    Clips {
        package: &'static str,
        files: &'static [&'static str],
    },
    /// `secs` of a file of a Debian package, from `from_s`.
    Music {
        package: &'static str,
        file: &'static str,
        from_s: f64,
        secs: f64,
    },
    /// sox noise (`pinknoise`, `brownnoise`).
    Noise { colour: &'static str, secs: f64 },
    /// Digital silence.
    Silence { secs: f64 },
}

/// One segment of the programme before scaling.
struct Part {
    label: &'static str,
    /// Scored programme; false for noise and silence.
    active: bool,
    /// Integrated loudness it is scaled to, LUFS.
    lufs: f64,
    source: Source,
}

/// LibriVox read speech (Sense and Sensibility), 24.7 s.
const LIBRIVOX: &[&str] = &[
    "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
];
/// Short read utterances with pauses between them, like a guest on a phone line, 19.5 s.
const UTTERANCES: &[&str] = &[
    "cards/001.wav",
    "cards/002.wav",
    "cards/003.wav",
    "cards/004.wav",
    "cards/005.wav",
    "data/goforward.raw",
    "data/numbers.raw",
    "data/something.raw",
];

/// Programme A of `stabilizer.md` §4.
fn programme_a() -> Vec<Part> {
    use Source::{Clips, Music, Noise, Silence, Speak};
    let (ps, asc, fb) = ("pocketsphinx-testdata", "asc-music", "fb-music-high");
    let music = |package, file, from_s| Music {
        package,
        file,
        from_s,
        secs: 120.0,
    };
    let noise = |colour| Noise { colour, secs: 30.0 };
    let part = |label, lufs, source: Source| Part {
        label,
        active: !matches!(source, Noise { .. } | Silence { .. }),
        lufs,
        source,
    };
    vec![
        part("host (espeak)", -20.0, Speak(HOST_A)),
        part(
            "reader (LibriVox)",
            -25.0,
            Clips {
                package: ps,
                files: LIBRIVOX,
            },
        ),
        part("pink noise", -60.0, noise("pinknoise")),
        part("loud music (asc)", -8.0, music(asc, "frontiers.mp3", 20.0)),
        part("host (espeak)", -18.0, Speak(HOST_B)),
        part("silence", f64::NEG_INFINITY, Silence { secs: 8.0 }),
        part(
            "quiet music (fb)",
            -26.0,
            music(fb, "frozen-mainzik-2p.xm", 0.0),
        ),
        part("host (espeak)", -20.0, Speak(HOST_C)),
        part("brown noise", -60.0, noise("brownnoise")),
        part("music (asc)", -14.0, music(asc, "time_to_strike.mp3", 10.0)),
        part(
            "speaker (pocketsphinx)",
            -24.0,
            Clips {
                package: ps,
                files: UTTERANCES,
            },
        ),
    ]
}

// ---- Setup: packages, tools, decoding, cache -------------------------------------------------

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
}

fn package_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.ends_with(b"install ok installed"))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Run a command; on failure, the error names it and carries its stderr.
fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        bail!("{shown} failed ({}):\n{tail}", out.status);
    }
    Ok(())
}

/// Install (as root, with apt-get) what the parts still to decode need, or say what to install.
fn ensure_packages(todo: &[&Part]) -> Result<()> {
    let mut want: Vec<&str> = Vec::new();
    let mut add = |p: &'static str| {
        if !want.contains(&p) {
            want.push(p);
        }
    };
    for part in todo {
        match part.source {
            Source::Speak(_) => {
                add("espeak-ng");
                add("ffmpeg");
            }
            Source::Clips { package, .. } | Source::Music { package, .. } => {
                add(package);
                add("ffmpeg");
            }
            Source::Noise { .. } => add("sox"),
            Source::Silence { .. } => {}
        }
    }
    let missing = |want: &[&'static str]| -> Vec<&'static str> {
        want.iter()
            .copied()
            .filter(|p| {
                if TOOLS.contains(p) {
                    !on_path(p)
                } else {
                    !package_installed(p)
                }
            })
            .collect()
    };
    let need = missing(&want);
    if need.is_empty() {
        return Ok(());
    }
    let list = need.join(" ");
    let may =
        is_root() && on_path("apt-get") && std::env::var_os("PUPITRE_BENCH_NO_INSTALL").is_none();
    if !may {
        bail!(
            "the programme needs Debian packages that are not installed: {list}\n\
             install them with:  sudo apt-get install -y --no-install-recommends {list}\n\
             then run `cargo bench --bench stabilizer` again"
        );
    }
    eprintln!("stabilizer bench: installing {list} with apt-get (Debian packages only) …");
    let install = || {
        run(Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&need))
    };
    if install().is_err() {
        run(Command::new("apt-get").args(["update", "-q"])).context("apt-get update")?;
        install().with_context(|| format!("apt-get install {list}"))?;
    }
    let still = missing(&want);
    if !still.is_empty() {
        bail!(
            "apt-get installed {list}, but {} is still missing",
            still.join(" ")
        );
    }
    Ok(())
}

/// The installed file of `package` whose path ends in `suffix`.
fn package_file(package: &str, suffix: &str) -> Result<PathBuf> {
    let out = Command::new("dpkg")
        .args(["-L", package])
        .output()
        .context("cannot run dpkg -L (the bench needs a Debian system)")?;
    if !out.status.success() {
        bail!("{package} is not installed: sudo apt-get install -y {package}");
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with(suffix))
        .map(PathBuf::from)
        .ok_or_else(|| {
            anyhow!("`dpkg -L {package}` lists no file ending in {suffix}: update programme_a()")
        })
}

fn read_wav(path: &Path) -> Result<Audio> {
    let a = Audio::read_wav(path).map_err(|e| anyhow!(e))?;
    if a.rate != RATE || a.channels != 1 {
        bail!(
            "{}: {} Hz × {} channels, expected 48 kHz mono",
            path.display(),
            a.rate,
            a.channels
        );
    }
    Ok(a)
}

/// Decode with ffmpeg to 48 kHz mono f32 (`args` hold the input and any output options).
fn ffmpeg(args: &[OsString], tmp: &Path) -> Result<Vec<f32>> {
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .args(["-ac", "1", "-ar", "48000", "-c:a", "pcm_f32le"])
        .arg(tmp))?;
    let audio = read_wav(tmp)?;
    let _ = std::fs::remove_file(tmp);
    Ok(audio.samples)
}

fn input(path: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if path.extension().is_some_and(|e| e == "raw") {
        // pocketsphinx's raw files: 16 kHz, 16-bit little-endian, mono.
        args.extend(["-f", "s16le", "-ar", "16000", "-ac", "1"].map(OsString::from));
    }
    args.push("-i".into());
    args.push(path.into());
    args
}

/// Decode a part from its source (no scaling).
fn decode(part: &Part, dir: &Path) -> Result<Vec<f32>> {
    let tmp = dir.join("decode.tmp.wav");
    Ok(match &part.source {
        Source::Silence { secs } => vec![0.0; (secs * f64::from(RATE)) as usize],
        Source::Speak(text) => {
            let (txt, spoken) = (dir.join("speak.tmp.txt"), dir.join("speak.tmp.wav"));
            std::fs::write(&txt, text).with_context(|| format!("write {}", txt.display()))?;
            run(Command::new("espeak-ng")
                .args(["-v", "en-us", "-w"])
                .arg(&spoken)
                .arg("-f")
                .arg(&txt))?;
            let s = ffmpeg(&input(&spoken), &tmp)?;
            let _ = std::fs::remove_file(&txt);
            let _ = std::fs::remove_file(&spoken);
            s
        }
        Source::Clips { package, files } => {
            let mut all = Vec::new();
            for f in *files {
                all.extend(ffmpeg(&input(&package_file(package, f)?), &tmp)?);
            }
            all
        }
        Source::Music {
            package,
            file,
            from_s,
            secs,
        } => {
            let mut args = input(&package_file(package, file)?);
            args.extend([
                "-ss".into(),
                format!("{from_s}").into(),
                "-t".into(),
                format!("{secs}").into(),
            ]);
            let s = ffmpeg(&args, &tmp)?;
            let got = s.len() as f64 / f64::from(RATE);
            if got < secs - 1.0 {
                eprintln!("stabilizer bench: {file} gave {got:.1} s of the {secs} s asked for");
            }
            s
        }
        Source::Noise { colour, secs } => {
            // -R: sox's repeatable mode, the same noise on every machine.
            run(Command::new("sox")
                .args("-R -n -r 48000 -c 1 -b 32 -e floating-point".split(' '))
                .arg(&tmp)
                .args(["synth", &format!("{secs}"), colour]))?;
            let s = read_wav(&tmp)?.samples;
            let _ = std::fs::remove_file(&tmp);
            s
        }
    })
}

fn cache_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("PUPITRE_BENCH_CACHE") {
        Some(d) => PathBuf::from(d),
        None => {
            let home =
                std::env::var_os("HOME").context("HOME is not set: set PUPITRE_BENCH_CACHE")?;
            PathBuf::from(home).join(".cache/pupitre-stabilizer-bench")
        }
    };
    let dir = base.join(CACHE_VERSION);
    std::fs::create_dir_all(&dir).with_context(|| format!("create cache {}", dir.display()))?;
    Ok(dir)
}

// ---- The programme ---------------------------------------------------------------------------

/// A segment of the built programme.
struct Segment {
    label: &'static str,
    active: bool,
    lufs: f64,
    start_s: f64,
    end_s: f64,
}

struct Programme {
    audio: Audio,
    segments: Vec<Segment>,
}

fn integrated(samples: &[f32]) -> Result<f64> {
    let mut m = EbuR128::new(1, RATE, ebur128::Mode::I)?;
    m.add_frames_f32(samples)?;
    Ok(m.loudness_global()?)
}

fn db_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Decode (or load from the cache) and scale every part; returns the programme and a note.
fn build_programme() -> Result<(Programme, String)> {
    let began = Instant::now();
    let dir = cache_dir()?;
    let parts = programme_a();
    let cached = |i: usize| dir.join(format!("{i:02}.wav"));
    let todo: Vec<&Part> = parts
        .iter()
        .enumerate()
        .filter(|(i, p)| !matches!(p.source, Source::Silence { .. }) && !cached(*i).is_file())
        .map(|(_, p)| p)
        .collect();
    ensure_packages(&todo)?;
    let mut samples: Vec<f32> = Vec::new();
    let mut segments = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let path = cached(i);
        let raw = match &part.source {
            Source::Silence { .. } => decode(part, &dir)?,
            _ if path.is_file() => read_wav(&path)?.samples,
            _ => {
                let s = decode(part, &dir).with_context(|| format!("decode {}", part.label))?;
                let tmp = dir.join("part.tmp.wav");
                Audio {
                    rate: RATE,
                    channels: 1,
                    samples: s.clone(),
                }
                .write_wav(&tmp)
                .map_err(|e| anyhow!(e))?;
                std::fs::rename(&tmp, &path)
                    .with_context(|| format!("cache {}", path.display()))?;
                s
            }
        };
        let gain = match integrated(&raw)? {
            l if l.is_finite() => db_gain(part.lufs - l),
            _ => 1.0,
        };
        let start_s = samples.len() as f64 / f64::from(RATE);
        samples.extend(raw.iter().map(|s| (f64::from(*s) * gain) as f32));
        segments.push(Segment {
            label: part.label,
            active: part.active,
            lufs: part.lufs,
            start_s,
            end_s: samples.len() as f64 / f64::from(RATE),
        });
    }
    let note = format!(
        "programme A: {} segments, {:.1} s, built in {:.1} s ({} parts decoded; cache {})",
        segments.len(),
        samples.len() as f64 / f64::from(RATE),
        began.elapsed().as_secs_f64(),
        todo.len(),
        dir.display()
    );
    let audio = Audio {
        rate: RATE,
        channels: 1,
        samples,
    };
    Ok((Programme { audio, segments }, note))
}

// ---- Scoring ---------------------------------------------------------------------------------

/// BS.1770 loudness of an output, every 100 ms (entry k ends at (k + 1) × 100 ms).
struct Loudness {
    short: Vec<f64>,
    momentary: Vec<f64>,
    integrated: f64,
}

fn measure(samples: &[f32]) -> Result<Loudness> {
    let mut m = EbuR128::new(1, RATE, ebur128::Mode::I | ebur128::Mode::S)?;
    let hop = (f64::from(RATE) * HOP_S) as usize;
    let (mut short, mut momentary) = (Vec::new(), Vec::new());
    for chunk in samples.chunks(hop) {
        m.add_frames_f32(chunk)?;
        short.push(m.loudness_shortterm()?);
        momentary.push(m.loudness_momentary()?);
    }
    let integrated = m.loudness_global()?;
    Ok(Loudness {
        short,
        momentary,
        integrated,
    })
}

/// The hops whose window ends in [from, to] s.
fn hops(from: f64, to: f64, n: usize) -> std::ops::Range<usize> {
    let first = (from / HOP_S - 1.0 - 1e-6).ceil().max(0.0) as usize;
    let end = ((to / HOP_S - 1.0 + 1e-6).floor() + 1.0).max(0.0) as usize;
    first.min(n)..end.min(n)
}

/// A static gain per segment: `gain_of` for programme, held through the noise and silence after.
fn static_gains(p: &Programme, gain_of: impl Fn(&Segment) -> f64) -> Vec<f64> {
    let mut g = 0.0;
    p.segments
        .iter()
        .map(|s| {
            if s.active {
                g = gain_of(s);
            }
            g
        })
        .collect()
}

/// The programme with a static gain per segment, switched exactly at the segment boundaries.
fn apply_gains(p: &Programme, gains: &[f64]) -> Audio {
    let mut out = p.audio.clone();
    for (s, g) in p.segments.iter().zip(gains) {
        let (a, b) = (
            sample_at(s.start_s),
            sample_at(s.end_s).min(out.samples.len()),
        );
        let g = db_gain(*g);
        out.samples[a..b]
            .iter_mut()
            .for_each(|x| *x = (f64::from(*x) * g) as f32);
    }
    out
}

fn sample_at(t: f64) -> usize {
    (t * f64::from(RATE)).round() as usize
}

/// The fader, one value per 50 ms frame, and whether a write was sent in the frame.
struct Fader {
    db: Vec<f64>,
    written: Vec<bool>,
}

impl Fader {
    fn from_trace(trace: &[TraceRow]) -> Fader {
        Fader {
            db: trace.iter().map(|r| r.fader_db).collect(),
            written: trace.iter().map(|r| r.written).collect(),
        }
    }

    /// Static gains as a fader: a frame takes the gain of the segment its start lies in.
    fn of_gains(p: &Programme, gains: &[f64]) -> Fader {
        let db: Vec<f64> = (0..p.audio.frames())
            .map(|n| {
                let t = n as f64 * FRAME_S + 1e-9;
                let i = p.segments.iter().rposition(|s| s.start_s <= t).unwrap_or(0);
                gains[i]
            })
            .collect();
        let written = (0..db.len()).map(|n| n > 0 && db[n] != db[n - 1]).collect();
        Fader { db, written }
    }
}

/// A level step: a programme segment after another (noise or silence may lie between).
struct Step {
    seg: usize,
    from_lufs: f64,
}

impl Step {
    fn change_db(&self, p: &Programme) -> f64 {
        p.segments[self.seg].lufs - self.from_lufs
    }
}

fn steps(p: &Programme) -> Vec<Step> {
    let mut out = Vec::new();
    let mut last: Option<f64> = None;
    for (i, s) in p.segments.iter().enumerate().filter(|(_, s)| s.active) {
        if let Some(from_lufs) = last {
            out.push(Step { seg: i, from_lufs });
        }
        last = Some(s.lufs);
    }
    out
}

/// Everything measured of one controller.
struct Scored {
    name: String,
    pct1: f64,
    pct2: f64,
    integrated: f64,
    /// Per programme segment: % within ±2 LU and the median S − T.
    per_segment: Vec<(f64, f64)>,
    /// Per step: s from the segment's start until settled, `None` if never.
    settle: Vec<Option<f64>>,
    /// Per step: the largest M − T in its first 10 s (louder steps only).
    overshoot: Vec<Option<f64>>,
    max_rise_db: f64,
    travel: f64,
    reversals: f64,
    writes: f64,
    replay_s: Option<f64>,
    peak_mib: Option<f64>,
}

fn score(name: &str, p: &Programme, out: &Audio, fader: &Fader) -> Result<Scored> {
    let l = measure(&out.samples)?;
    let n = l.short.len();
    let t = |k: usize| (k + 1) as f64 * HOP_S;
    let (mut all, mut in1, mut in2) = (0usize, 0usize, 0usize);
    let mut per_segment = Vec::new();
    for s in p.segments.iter().filter(|s| s.active) {
        let mut dev: Vec<f64> = hops(s.start_s + SCORE_FROM_S, s.end_s, n)
            .map(|k| l.short[k] - TARGET)
            .collect();
        let ok2 = dev.iter().filter(|d| d.abs() <= 2.0).count();
        all += dev.len();
        in1 += dev.iter().filter(|d| d.abs() <= 1.0).count();
        in2 += ok2;
        dev.sort_by(f64::total_cmp);
        let median = dev.get(dev.len() / 2).copied().unwrap_or(f64::NAN);
        per_segment.push((pct(ok2, dev.len()), median));
    }
    let (mut settle, mut overshoot) = (Vec::new(), Vec::new());
    for step in steps(p) {
        let s = &p.segments[step.seg];
        let (mut run_from, mut settled) = (None, None);
        for k in hops(s.start_s + SCORE_FROM_S, s.end_s, n) {
            if (l.short[k] - TARGET).abs() > 2.0 {
                run_from = None;
                continue;
            }
            let from = *run_from.get_or_insert(t(k));
            if t(k) - from >= HOLD_S - 1e-6 {
                settled = Some(from - s.start_s);
                break;
            }
        }
        settle.push(settled);
        overshoot.push((step.change_db(p) > 0.0).then(|| {
            hops(s.start_s + 0.4, s.start_s + OVERSHOOT_S, n)
                .map(|k| l.momentary[k] - TARGET)
                .fold(f64::NEG_INFINITY, f64::max)
        }));
    }
    // Rise in noise and silence: frames wholly inside, against the frame the segment starts in.
    let mut max_rise_db = f64::NEG_INFINITY;
    for s in p.segments.iter().filter(|s| !s.active) {
        let a = (s.start_s / FRAME_S + 1e-9).floor() as usize;
        let b = ((s.end_s / FRAME_S + 1e-9).floor() as usize).min(fader.db.len());
        if let Some(f0) = fader.db.get(a) {
            for f in fader.db.get(a..b).unwrap_or(&[]) {
                max_rise_db = max_rise_db.max(f - f0);
            }
        }
    }
    let minutes = out.samples.len() as f64 / f64::from(RATE) / 60.0;
    let (mut travel, mut reversals, mut last_sign) = (0.0, 0usize, 0.0);
    for d in fader
        .db
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d != 0.0)
    {
        travel += d.abs();
        if last_sign != 0.0 && d.signum() != last_sign {
            reversals += 1;
        }
        last_sign = d.signum();
    }
    Ok(Scored {
        name: name.to_string(),
        pct1: pct(in1, all),
        pct2: pct(in2, all),
        integrated: l.integrated,
        per_segment,
        settle,
        overshoot,
        max_rise_db,
        travel: travel / minutes,
        reversals: reversals as f64 / minutes,
        writes: fader.written.iter().filter(|w| **w).count() as f64 / minutes,
        replay_s: None,
        peak_mib: None,
    })
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        f64::NAN
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// Reset the process's peak RSS (Linux ≥ 4.0); false if it cannot be.
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Replay through the stabilizer and score; times the replay and takes its peak memory.
fn run_controller(name: &str, p: &Programme, o: &ReplayOptions) -> Result<Scored> {
    let reset = reset_peak_memory();
    let began = Instant::now();
    let r = replay(&p.audio, o);
    let secs = began.elapsed().as_secs_f64();
    let peak = peak_memory_mib().filter(|_| reset);
    let mut s = score(name, p, &r.output, &Fader::from_trace(&r.trace))?;
    s.replay_s = Some(secs);
    s.peak_mib = peak;
    Ok(s)
}

/// Settle time minus the oracle's after a step, a step never settled counting as the segment's
/// length (so one neither settled in counts 0).
struct Excess {
    secs: f64,
    /// It never settled where the oracle did.
    never: bool,
}

fn settle_excess(p: &Programme, s: &Scored, oracle: &Scored) -> Vec<Excess> {
    steps(p)
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let len = p.segments[step.seg].end_s - p.segments[step.seg].start_s;
            Excess {
                secs: s.settle[i].unwrap_or(len) - oracle.settle[i].unwrap_or(len),
                never: s.settle[i].is_none() && oracle.settle[i].is_some(),
            }
        })
        .collect()
}

// ---- Report ----------------------------------------------------------------------------------

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

fn short_name(s: &Scored, width: usize) -> String {
    s.name
        .split(" (")
        .next()
        .unwrap_or(&s.name)
        .chars()
        .take(width)
        .collect()
}

fn print_report(p: &Programme, rows: &[Scored]) {
    let oracle = &rows[0];
    println!(
        "\n{:<32} {:>6} {:>6} {:>5} {:>7} {:>5} {:>8} {:>5} {:>6} {:>6} {:>6} {:>8} {:>7} {:>6}",
        "controller",
        "±1LU%",
        "±2LU%",
        "×orc",
        "I LUFS",
        "|I-T|",
        "settle+s",
        "never",
        "rise",
        "trav/m",
        "rev/m",
        "writes/m",
        "replay",
        "peakMB"
    );
    for s in rows {
        let excess = settle_excess(p, s, oracle);
        let never = s.settle.iter().filter(|v| v.is_none()).count();
        let mean = excess.iter().map(|e| e.secs).sum::<f64>() / excess.len().max(1) as f64;
        println!(
            "{:<32} {:>6.1} {:>6.1} {:>5.2} {:>7.2} {:>5.2} {:>+8.1} {:>5} {:>+6.2} {:>6.1} {:>6.1} {:>8.1} {:>7} {:>6}",
            s.name,
            s.pct1,
            s.pct2,
            s.pct2 / oracle.pct2,
            s.integrated,
            (s.integrated - TARGET).abs(),
            mean,
            never,
            s.max_rise_db,
            s.travel,
            s.reversals,
            s.writes,
            opt(s.replay_s, |v| format!("{v:.2}s")),
            opt(s.peak_mib, |v| format!("{v:.0}")),
        );
    }
    let head = |first: &str| {
        let cols: String = rows
            .iter()
            .map(|s| format!(" {:>11}", short_name(s, 11)))
            .collect();
        format!("{first:<44}{cols}")
    };
    println!("\nper segment: % of scored time within ±2 LU / median S − T (LU)");
    println!("{}", head("segment, its loudness (LUFS), time (s)"));
    for (a, seg) in p.segments.iter().filter(|s| s.active).enumerate() {
        let name = format!(
            "{} {:.0}, {:.0}–{:.0}",
            seg.label, seg.lufs, seg.start_s, seg.end_s
        );
        let cols: String = rows
            .iter()
            .map(|s| format!(" {:>5.0}/{:>+5.1}", s.per_segment[a].0, s.per_segment[a].1))
            .collect();
        println!("{name:<44}{cols}");
    }
    println!(
        "\nafter each step: settle time, s from the segment's start (- = never) / largest M − T in its first 10 s (louder steps)"
    );
    println!("{}", head("step: input level change, time (s)"));
    for (i, step) in steps(p).iter().enumerate() {
        let seg = &p.segments[step.seg];
        let name = format!(
            "{:.0} → {} {:.0} ({:+.0} dB), {:.0}",
            step.from_lufs,
            seg.label,
            seg.lufs,
            step.change_db(p),
            seg.start_s
        );
        let cols: String = rows
            .iter()
            .map(|s| {
                let st = opt(s.settle[i], |v| format!("{v:.1}"));
                let cell = match s.overshoot[i] {
                    Some(o) => format!("{st}/{o:+.1}"),
                    None => st,
                };
                format!(" {cell:>11}")
            })
            .collect();
        println!("{name:<44}{cols}");
    }
}

/// A goal of `stabilizer.md` §5, and a controller's figure with whether it passes (`None`
/// where the goal does not apply).
type Goal = (&'static str, Option<(String, bool)>);

/// The goals for one controller.
fn goals(p: &Programme, s: &Scored, oracle: &Scored, lossless: Option<&Scored>) -> Vec<Goal> {
    let fig = |v: f64, ok: bool| Some((format!("{v:.2}"), ok));
    let excess = settle_excess(p, s, oracle);
    // The worst settle excess over the steps `pick` selects; "never" fails.
    let worst_settle = |pick: &dyn Fn(f64) -> bool, limit: f64| {
        let picked: Vec<&Excess> = steps(p)
            .iter()
            .zip(&excess)
            .filter(|(st, _)| pick(st.change_db(p)))
            .map(|(_, e)| e)
            .collect();
        if picked.iter().any(|e| e.never) {
            return Some(("never".to_string(), false));
        }
        let w = picked
            .iter()
            .map(|e| e.secs)
            .fold(f64::NEG_INFINITY, f64::max);
        Some((format!("{w:+.2}"), w <= limit))
    };
    let overshoot = steps(p)
        .iter()
        .enumerate()
        .filter(|(_, st)| st.change_db(p) >= 8.0)
        .filter_map(|(i, _)| Some(s.overshoot[i]? - oracle.overshoot[i]?))
        .fold(f64::NEG_INFINITY, f64::max);
    let ratio = s.pct2 / oracle.pct2;
    let off = (s.integrated - TARGET).abs();
    vec![
        (
            "G1 time within ±2 LU ≥ 0.8 × oracle's",
            fig(ratio, ratio >= 0.8),
        ),
        ("G2 whole-programme |I − T| ≤ 1 LU", fig(off, off <= 1.0)),
        (
            "G3 louder step ≥ 8 dB: settle ≤ oracle + 3 s",
            worst_settle(&|d| d >= 8.0, 3.0),
        ),
        (
            "G3 louder step ≥ 8 dB: M − T ≤ oracle's + 4 LU",
            Some((format!("{overshoot:+.2}"), overshoot <= 4.0)),
        ),
        (
            "G3 quieter step ≥ 8 dB: settle ≤ oracle + 10 s",
            worst_settle(&|d| d <= -8.0, 10.0),
        ),
        (
            "G4 fader rise in noise/silence ≤ 0.5 dB",
            fig(s.max_rise_db, s.max_rise_db <= 0.5),
        ),
        ("G5 travel ≤ 15 dB/min", fig(s.travel, s.travel <= 15.0)),
        (
            "G5 reversals ≤ 6 /min",
            fig(s.reversals, s.reversals <= 6.0),
        ),
        ("G5 writes ≤ 60 /min", fig(s.writes, s.writes <= 60.0)),
        (
            "G6 5 % frame loss moves ±2LU% ≤ 2 points",
            lossless.map(|l| {
                let d = (s.pct2 - l.pct2).abs();
                (format!("{d:.2}"), d <= 2.0)
            }),
        ),
    ]
}

fn print_goals(p: &Programme, rows: &[Scored], judged: &[usize], loss: (usize, usize)) {
    let oracle = &rows[0];
    let table: Vec<Vec<Goal>> = judged
        .iter()
        .map(|&i| goals(p, &rows[i], oracle, (i == loss.1).then(|| &rows[loss.0])))
        .collect();
    let cols: String = judged
        .iter()
        .map(|&i| format!(" {:>12}", short_name(&rows[i], 12)))
        .collect();
    println!(
        "\n{:<48}{cols}",
        "goal (stabilizer.md §5, meter-float mode)"
    );
    for g in 0..table.first().map_or(0, Vec::len) {
        let cols: String = table
            .iter()
            .map(|t| match &t[g].1 {
                Some((v, ok)) => format!(
                    " {:>12}",
                    format!("{v} {}", if *ok { "pass" } else { "FAIL" })
                ),
                None => format!(" {:>12}", "-"),
            })
            .collect();
        println!("{:<48}{cols}", table[0][g].0);
    }
}

const LEGEND: &str = "\
legend (target −16 LUFS; S = BS.1770 short-term 3 s every 100 ms, M = momentary 400 ms, I = gated integrated; ebur128 crate)
  ±1LU% ±2LU%  share of scored time with |S − T| ≤ 1 / 2 LU. Scored = programme segments (not noise or silence), from 3 s
               after each segment's start to its end. ×orc = ±2LU% over the oracle's.
  I LUFS |I-T| the whole output's integrated loudness (noise and silence fall under its gates) and its distance from target.
  settle+s     mean over the steps of (settle time − oracle's); settle = time from the segment's start until |S − T| ≤ 2 LU has
               held 5 s (looked for from 3 s in). A step never settled counts as the segment's length; never = how many.
  rise         largest fader rise in a noise or silence segment above the fader where the segment starts, dB.
  trav/m       Σ|Δfader| per minute, dB; rev/m = sign changes of fader movement per minute; writes/m = fader writes per minute.
  replay       wall time of replay() over the whole programme (one thread); peakMB = peak RSS during it (the programme and
               replay()'s output copy, ~120 MB each, plus the trace).
  oracle       a static gain per programme segment, T − its integrated loudness, held through noise and silence; unbounded.
  oracle ±     the same gain clamped to the stabilizer's fader bounds (home −12 … +6 dB, Settings::default()).
  controllers  replay(): the live controller on the X32 model (50 ms RMS or peak meter frames, post-fader, one frame of meter
               and one of fader latency, 1024-step fader law), home 0 dB, Settings::default() except as named.
  G1–G6        stabilizer.md §5 proposed goals, meter-float column; G3 figures are the worst step's excess over the oracle.";

fn main() {
    if let Err(e) = bench() {
        eprintln!("stabilizer bench: {e:#}");
        std::process::exit(1);
    }
}

fn bench() -> Result<()> {
    let (p, note) = build_programme()?;
    println!("{note}");
    for s in &p.segments {
        let scored = if s.active { "" } else { "  (not scored)" };
        println!(
            "  {:>6.1}–{:>6.1} s  {:<24} {:>4.0} LUFS{scored}",
            s.start_s, s.end_s, s.label, s.lufs
        );
    }
    // The defaults a user gets: profile auto, bounds +10/−12 dB.
    let leveler = ReplayOptions {
        settings: Settings {
            mode: Mode::Leveler,
            meter_position: MeterPosition::Post,
            target_lufs: TARGET,
            ..Settings::default()
        },
        meter: MeterKind::Rms,
        ..ReplayOptions::default()
    };
    let with = |f: &dyn Fn(&mut ReplayOptions)| {
        let mut o = leveler;
        f(&mut o);
        o
    };
    let (cut, boost) = (leveler.settings.max_cut_db, leveler.settings.max_boost_db);
    let mut rows = Vec::new();
    for (name, bounded) in [("oracle", false), ("oracle ± (within fader bounds)", true)] {
        let gains = static_gains(&p, |s| {
            let g = TARGET - s.lufs;
            if bounded {
                g.clamp(-cut, boost)
            } else {
                g
            }
        });
        rows.push(score(
            name,
            &p,
            &apply_gains(&p, &gains),
            &Fader::of_gains(&p, &gains),
        )?);
    }
    let flat = static_gains(&p, |_| 0.0);
    rows.push(score(
        "no control",
        &p,
        &p.audio,
        &Fader::of_gains(&p, &flat),
    )?);
    let first = rows.len();
    let pid = with(&|o| o.settings.mode = Mode::Pid);
    let runs = [
        ("leveler (defaults: auto, +10/-12)", leveler),
        (
            "lev speech (profile speech)",
            with(&|o| o.settings.profile = Profile::Speech),
        ),
        ("lev loss (5 % frames lost)", with(&|o| o.loss = 0.05)),
        (
            "lev peak (peak meter)",
            with(&|o| o.meter = MeterKind::Peak),
        ),
        (
            "lev boost6 (max boost +6 dB)",
            with(&|o| o.settings.max_boost_db = 6.0),
        ),
        ("PID (default: kp 0.1, ki 0.3/s)", pid),
    ];
    for (name, o) in &runs {
        rows.push(run_controller(name, &p, o)?);
    }
    let (loss_base, lossy) = (first, first + 2);

    println!("\nrelay auto-tune over the whole programme (±{RELAY_D_DB} dB around home, switching when momentary crosses T):");
    let began = Instant::now();
    let relay = relay_tune(&p.audio, &pid, RELAY_D_DB);
    let relay_s = began.elapsed().as_secs_f64();
    match relay {
        Some(r) => {
            println!(
                "  Ku = {:.3} dB/LU, Tu = {:.2} s (amplitude {:.2} LU, {} cycles; {relay_s:.2} s)",
                r.ku, r.tu_s, r.amplitude_lu, r.cycles
            );
            for rule in Rule::ALL {
                let g = rule.gains(r.ku, r.tu_s);
                println!(
                    "  {:<16} kp {:.3}  ki {:.3} /s  kd {:.3} s",
                    rule.name(),
                    g.kp,
                    g.ki,
                    g.kd
                );
            }
            let gains = Rule::TyreusLuyben.gains(r.ku, r.tu_s);
            let tl = with(&|o| {
                o.settings.mode = Mode::Pid;
                o.settings.pid = gains;
            });
            let name = format!("PID T-L (kp {:.2}, ki {:.2}/s)", gains.kp, gains.ki);
            rows.push(run_controller(&name, &p, &tl)?);
        }
        None => println!("  no result: fewer than two full relay cycles ({relay_s:.2} s)"),
    }
    print_report(&p, &rows);
    let judged: Vec<usize> = (first..rows.len()).collect();
    print_goals(&p, &rows, &judged, (loss_base, lossy));
    println!("\n{LEGEND}");
    Ok(())
}
