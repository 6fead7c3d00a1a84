//! The controller through the replay model on synthetic programmes: gate, emergency cut, up
//! rate, bounds, determinism. (The benchmark scores real speech and music.)

use super::*;

const RATE: u32 = 8000;

/// A programme of (seconds, dBFS RMS) segments of a 440 Hz tone; `None` is digital silence.
fn programme(segments: &[(f64, Option<f64>)]) -> Audio {
    let mut samples = Vec::new();
    for (secs, level) in segments {
        let n = (f64::from(RATE) * secs) as usize;
        let a = level.map_or(0.0, |db| db_gain(db) * std::f64::consts::SQRT_2);
        let start = samples.len();
        samples.extend((0..n).map(|i| {
            (a * ((start + i) as f64 * 2.0 * std::f64::consts::PI * 440.0 / f64::from(RATE)).sin())
                as f32
        }));
    }
    Audio {
        rate: RATE,
        channels: 1,
        samples,
    }
}

/// The speech profile's figures (a steady tone would read as music under `auto`), then `f`.
fn options(f: impl FnOnce(&mut Settings)) -> ReplayOptions {
    let mut o = ReplayOptions::default();
    o.settings.profile = Profile::Speech;
    o.settings.max_boost_db = 6.0;
    f(&mut o.settings);
    o
}

fn fader_at(r: &Replay, t: f64) -> f64 {
    r.trace[(t / FRAME_S) as usize].fader_db
}

#[test]
fn thirty_seconds_of_silence_never_raise_the_fader() {
    // Quiet programme (the leveler rides up), 30 s of silence, then room noise, then programme.
    let audio = programme(&[
        (20.0, Some(-20.0)),
        (30.0, None),
        (10.0, Some(-70.0)),
        (10.0, Some(-20.0)),
    ]);
    let r = replay(&audio, &options(|_| {}));
    let before = fader_at(&r, 19.95);
    assert!(before > 2.0, "it rode up before the pause: {before}");
    let most = r.trace[400..1000]
        .iter()
        .map(|t| t.fader_db)
        .fold(f64::MIN, f64::max);
    assert!(
        most <= before + 1e-9,
        "rose to {most} in the pause (from {before})"
    );
}

#[test]
fn a_louder_step_is_cut_within_the_emergency_time() {
    let audio = programme(&[(10.0, Some(-16.0)), (10.0, Some(-4.0))]);
    let o = options(|s| s.rates.emergency_db_s = Some(10.0));
    let r = replay(&audio, &o);
    assert!(fader_at(&r, 9.9).abs() < 1.0);
    // 12 dB over: cut to target + 2 LU (10 dB) at 10 dB/s, plus the loop delay and the
    // write limiter's next token: within 10/10 + 0.5 s.
    let t = r
        .trace
        .iter()
        .position(|row| row.time_s >= 10.0 && row.fader_db <= -9.5)
        .map(|i| r.trace[i].time_s - 10.0)
        .expect("the cut happened");
    assert!(t <= 1.5, "took {t:.2} s");
    // It never cut past the bound.
    assert!(r.trace.iter().all(|row| row.fader_db >= -12.0 - 0.05));
}

#[test]
fn a_quieter_step_is_recovered_at_the_up_rate() {
    let audio = programme(&[(10.0, Some(-16.0)), (20.0, Some(-22.0))]);
    let o = options(|s| s.rates.up_db_s = Some(2.0));
    let r = replay(&audio, &o);
    // Recovered to +6 dB (the 6 dB deficit) within the 3 s window, 3 s of travel and 1 s slack.
    let reach = r
        .trace
        .iter()
        .position(|row| row.time_s >= 10.0 && row.fader_db >= 5.5)
        .map(|i| r.trace[i].time_s)
        .expect("recovered");
    assert!(reach - 10.0 <= 7.0, "took {:.2} s", reach - 10.0);
    // The rise itself runs at the configured 2 dB/s: from the first move up to 5.5 dB.
    let first = r
        .trace
        .iter()
        .find(|row| row.time_s >= 10.0 && row.fader_db > 0.1)
        .map(|row| row.time_s)
        .expect("a rise");
    let rate = 5.5 / (reach - first);
    assert!((1.5..=2.5).contains(&rate), "{rate:.2} dB/s");
    // And at the profile's 1 dB/s without the override.
    let r = replay(&audio, &options(|_| {}));
    let at = |db: f64| {
        r.trace
            .iter()
            .find(|row| row.time_s >= 10.0 && row.fader_db >= db)
            .map(|row| row.time_s)
            .expect("a rise")
    };
    let rate = 5.0 / (at(5.4) - at(0.4));
    assert!((0.75..=1.25).contains(&rate), "{rate:.2} dB/s");
}

#[test]
fn bounds_hold_and_writes_stay_under_sixty_a_minute() {
    let audio = programme(&[(30.0, Some(-40.0)), (30.0, Some(0.0)), (30.0, Some(-30.0))]);
    let o = options(|s| {
        s.max_boost_db = 4.0;
        s.max_cut_db = 9.0;
    });
    let mut o = o;
    o.home_db = -5.0;
    let r = replay(&audio, &o);
    for row in &r.trace {
        assert!(row.fader_db <= -1.0 + 1e-9, "{row:?}");
        assert!(row.fader_db >= -14.0 - 1e-9, "{row:?}");
    }
    let minutes = r.trace.len() as f64 * FRAME_S / 60.0;
    assert!(
        (r.writes() as f64) / minutes <= 62.0,
        "{} writes",
        r.writes()
    );
}

#[test]
fn replay_is_deterministic_even_with_frame_loss() {
    let audio = programme(&[(10.0, Some(-25.0)), (5.0, None), (10.0, Some(-8.0))]);
    for mode in [Mode::Leveler, Mode::Pid] {
        let mut o = options(|s| s.mode = mode);
        o.loss = 0.05;
        let a = replay(&audio, &o);
        let b = replay(&audio, &o);
        assert_eq!(a, b);
        assert!(a.writes() > 0);
        o.seed = 2;
        assert_ne!(
            replay(&audio, &o).trace,
            a.trace,
            "the seed drives the loss"
        );
    }
}

#[test]
fn the_classic_pid_steers_to_the_target_and_the_leveler_writes_far_less() {
    let audio = programme(&[(30.0, Some(-22.0))]);
    let pid = replay(&audio, &options(|s| s.mode = Mode::Pid));
    assert!(
        (fader_at(&pid, 29.0) - 6.0).abs() < 1.0,
        "{}",
        fader_at(&pid, 29.0)
    );
    let lev = replay(&audio, &options(|_| {}));
    assert!(
        (fader_at(&lev, 29.0) - 6.0).abs() < 1.0,
        "{}",
        fader_at(&lev, 29.0)
    );
    assert!(
        lev.writes() < pid.writes(),
        "{} vs {}",
        lev.writes(),
        pid.writes()
    );
}

#[test]
fn the_estimate_does_not_depend_on_the_meter_position() {
    let audio = programme(&[(20.0, Some(-22.0))]);
    let post = replay(&audio, &options(|_| {}));
    let pre = replay(&audio, &options(|s| s.meter_position = MeterPosition::Pre));
    assert_eq!(
        post.trace.iter().map(|t| t.fader_db).collect::<Vec<_>>(),
        pre.trace.iter().map(|t| t.fader_db).collect::<Vec<_>>()
    );
}

#[test]
fn relay_tune_gives_gains_for_every_rule() {
    let audio = programme(&[(60.0, Some(-18.0))]);
    let r = relay_tune(&audio, &ReplayOptions::default(), 3.0).expect("a result");
    for rule in Rule::ALL {
        let g = rule.gains(r.ku, r.tu_s);
        assert!(g.kp > 0.0 && g.ki > 0.0, "{rule:?} {g:?}");
    }
}

#[test]
fn auto_tells_speech_pauses_from_continuous_music() {
    // Speech-like: 300 ms of sound, 200 ms of pause; music-like: continuous.
    let mut speechy = Vec::new();
    for _ in 0..30 {
        speechy.push((0.3, Some(-20.0)));
        speechy.push((0.2, None));
    }
    let auto = |segments: &[(f64, Option<f64>)]| {
        let audio = programme(segments);
        let mut c = Controller::new(Settings::default(), 0.0);
        let frame = audio.frame_len();
        for chunk in audio.samples.chunks(frame) {
            let rms = (chunk.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
                / chunk.len() as f64)
                .sqrt();
            c.frame(Some(rms));
        }
        c.reading().profile
    };
    assert_eq!(Settings::default().profile, Profile::Auto);
    assert_eq!(auto(&speechy), Profile::Speech);
    assert_eq!(auto(&[(15.0, Some(-20.0))]), Profile::Music);
}
