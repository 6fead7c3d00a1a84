//! The fake desk's signal model: pure functions of (model time, store), no I/O, no clock.
//!
//! Each input (ch 1–32, aux in 1–8, FX returns 1–8) carries a pre-fader programme level;
//! levels flow through the console's own laws (fader, send level, on switches) and add up as
//! energy (square root of the sum of squares). So moving a bus fader by X dB moves that bus's
//! meter by exactly X dB with a steady programme — what a level controller needs to be tested.
//! Values are linear amplitude, 1.0 = 0 dBFS (`x32-osc.md` §1.8).

use crate::desk::{ParamKind, Value};

use super::clients::Bank;
use super::store::Store;
use super::Programme;

/// Inputs: 32 channels, 8 aux ins, 8 FX returns, in bank-0 order.
const INPUTS: usize = 48;
const BUSES: usize = 16;
const MATRICES: usize = 6;

/// Every level the meter banks show, at one instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Levels {
    /// Inputs before their fader.
    pub(crate) input_pre: [f64; INPUTS],
    /// Inputs after fader and on.
    pub(crate) input_post: [f64; INPUTS],
    /// Buses before / after their fader.
    pub(crate) bus_pre: [f64; BUSES],
    pub(crate) bus_post: [f64; BUSES],
    /// Matrices before / after their fader.
    pub(crate) mtx_pre: [f64; MATRICES],
    pub(crate) mtx_post: [f64; MATRICES],
    /// Main LR (the model is mono, so L = R) and mono, before / after the fader.
    pub(crate) main_pre: f64,
    pub(crate) main_post: f64,
    pub(crate) mono_pre: f64,
    pub(crate) mono_post: f64,
}

/// The OSC prefix of input `i` (0-based, bank-0 order).
fn input_prefix(i: usize) -> String {
    match i {
        0..=31 => format!("/ch/{:02}", i + 1),
        32..=39 => format!("/auxin/{:02}", i - 31),
        _ => format!("/fxrtn/{:02}", i - 39),
    }
}

/// A fader- or send-law gain as amplitude; unset is 0 (−∞).
fn gain(store: &Store, address: &str, kind: ParamKind) -> f64 {
    store
        .peek(address)
        .and_then(|v| kind.db(v))
        .map_or(0.0, |db| db.amplitude())
}

fn on(store: &Store, address: &str) -> bool {
    matches!(store.peek(address), Some(Value::Index(i)) if *i != 0)
}

/// Every level at model time `t` seconds.
pub(crate) fn levels(programme: Programme, seed: u64, t: f64, store: &Store) -> Levels {
    let mut l = Levels {
        input_pre: [0.0; INPUTS],
        input_post: [0.0; INPUTS],
        bus_pre: [0.0; BUSES],
        bus_post: [0.0; BUSES],
        mtx_pre: [0.0; MATRICES],
        mtx_post: [0.0; MATRICES],
        main_pre: 0.0,
        main_post: 0.0,
        mono_pre: 0.0,
        mono_post: 0.0,
    };
    let mut bus_energy = [0.0f64; BUSES];
    let mut main_energy = 0.0;
    let mut mono_energy = 0.0;
    for i in 0..INPUTS {
        let p = input_prefix(i);
        let pre = programme_level(programme, seed, i, t);
        l.input_pre[i] = pre;
        let post = if on(store, &format!("{p}/mix/on")) {
            pre * gain(store, &format!("{p}/mix/fader"), ParamKind::Fader)
        } else {
            0.0
        };
        l.input_post[i] = post;
        if post == 0.0 {
            continue;
        }
        add_main_assign(store, &p, post, &mut main_energy, &mut mono_energy);
        add_sends(store, &p, post, &mut bus_energy);
    }
    let mut mtx_energy = [0.0f64; MATRICES];
    for (b, e) in bus_energy.iter().enumerate() {
        let p = format!("/bus/{:02}", b + 1);
        l.bus_pre[b] = e.sqrt();
        let post = strip_post(store, &p, l.bus_pre[b]);
        l.bus_post[b] = post;
        if post == 0.0 {
            continue;
        }
        add_main_assign(store, &p, post, &mut main_energy, &mut mono_energy);
        add_sends(store, &p, post, &mut mtx_energy);
    }
    l.main_pre = main_energy.sqrt();
    l.main_post = strip_post(store, "/main/st", l.main_pre);
    l.mono_pre = mono_energy.sqrt();
    l.mono_post = strip_post(store, "/main/m", l.mono_pre);
    add_sends(store, "/main/st", l.main_post, &mut mtx_energy);
    add_sends(store, "/main/m", l.mono_post, &mut mtx_energy);
    for (m, e) in mtx_energy.iter().enumerate() {
        l.mtx_pre[m] = e.sqrt();
        l.mtx_post[m] = strip_post(store, &format!("/mtx/{:02}", m + 1), l.mtx_pre[m]);
    }
    l
}

/// A strip's output: its input level × fader gain × on.
fn strip_post(store: &Store, prefix: &str, pre: f64) -> f64 {
    if pre > 0.0 && on(store, &format!("{prefix}/mix/on")) {
        pre * gain(store, &format!("{prefix}/mix/fader"), ParamKind::Fader)
    } else {
        0.0
    }
}

/// A strip's contribution to main LR (`mix/st`) and to mono (`mix/mono` at `mix/mlevel`).
fn add_main_assign(store: &Store, prefix: &str, post: f64, main: &mut f64, mono: &mut f64) {
    if on(store, &format!("{prefix}/mix/st")) {
        *main += post * post;
    }
    if on(store, &format!("{prefix}/mix/mono")) {
        let m = post * gain(store, &format!("{prefix}/mix/mlevel"), ParamKind::SendLevel);
        *mono += m * m;
    }
}

/// A strip's sends (`mix/NN/level` when `mix/NN/on`) into the energies of the buses or
/// matrices it feeds, one slot per destination.
fn add_sends(store: &Store, prefix: &str, post: f64, energy: &mut [f64]) {
    if post == 0.0 {
        return;
    }
    for (n, e) in energy.iter_mut().enumerate() {
        let send = format!("{prefix}/mix/{:02}", n + 1);
        if on(store, &format!("{send}/on")) {
            let s = post * gain(store, &format!("{send}/level"), ParamKind::SendLevel);
            *e += s * s;
        }
    }
}

/// The floats of one meter bank (§1.8).
pub(crate) fn bank(l: &Levels, bank: Bank) -> Vec<f32> {
    let f = |v: f64| v as f32;
    match bank {
        Bank::Zero => {
            let mut v: Vec<f32> = l.input_pre.iter().copied().map(f).collect();
            v.extend(l.bus_post.iter().copied().map(f));
            v.extend(l.mtx_post.iter().copied().map(f));
            v
        }
        Bank::Two => {
            let mut v: Vec<f32> = l.bus_post.iter().copied().map(f).collect();
            v.extend(l.mtx_post.iter().copied().map(f));
            v.extend([f(l.main_post), f(l.main_post), f(l.mono_post)]);
            // Dynamics gain reduction (bus 16, mtx 6, LR, M): 1.0 is no reduction.
            v.resize(49, 1.0);
            v
        }
        Bank::Six(id) => {
            let id = usize::from(id);
            let (pre, post) = match id {
                0..=47 => (l.input_pre[id], l.input_post[id]),
                48..=63 => (l.bus_pre[id - 48], l.bus_post[id - 48]),
                64..=69 => (l.mtx_pre[id - 64], l.mtx_post[id - 64]),
                70 => (l.main_pre, l.main_post),
                _ => (l.mono_pre, l.mono_post),
            };
            vec![f(pre), 1.0, 1.0, f(post)]
        }
    }
}

/// splitmix64: a well-mixed hash of the seed and a few small numbers.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash as a number in 0.0–1.0.
fn unit(seed: u64, a: u64, b: u64) -> f64 {
    let h = mix(mix(mix(seed) ^ a) ^ b.wrapping_mul(0x2545_F491_4F6C_DD1D));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Input `input`'s pre-fader level (linear amplitude) at `t` seconds.
pub(crate) fn programme_level(programme: Programme, seed: u64, input: usize, t: f64) -> f64 {
    let db = match programme {
        Programme::Steady(db) => return db.amplitude(),
        Programme::Live => live_db(seed, input as u64, t),
    };
    10f64.powf(db / 20.0)
}

/// Speech-like or music-like level in dBFS, around −30…−12, deterministic from the seed.
fn live_db(seed: u64, ch: u64, t: f64) -> f64 {
    use std::f64::consts::TAU;
    let t = t.max(0.0);
    let base = -30.0 + 18.0 * unit(seed, ch, 1);
    let phase = TAU * unit(seed, ch, 2);
    if unit(seed, ch, 3) < 0.5 {
        // Speech: phrases of 1.5–3.5 s, a quarter of them pauses; syllables at 4–5 Hz.
        let phrase_len = 1.5 + 2.0 * unit(seed, ch, 4);
        let phrase = (t / phrase_len).floor() as u64;
        if unit(seed, ch, 100 + phrase) < 0.25 {
            return base - 30.0;
        }
        let rate = 4.0 + unit(seed, ch, 5);
        let syllable = (TAU * rate * t + phase).sin().max(0.0);
        let emphasis = 6.0 * (unit(seed, ch, 10_000 + phrase) - 0.5);
        base + emphasis - 18.0 * (1.0 - syllable).powi(2)
    } else {
        // Music: slow swells plus a beat.
        let swell =
            4.0 * (TAU * 0.07 * t + phase).sin() + 2.0 * (TAU * 0.23 * t + 2.0 * phase).sin();
        let beat = 1.5 * (TAU * (1.5 + unit(seed, ch, 6)) * t).sin();
        base + swell + beat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::{Db, ParamId};
    use crate::x32::fake::FakeScene;

    fn db(a: f64) -> f64 {
        Db::from_amplitude(a).get()
    }

    fn set_db(store: &mut Store, address: &str, d: f64) {
        let id = ParamId::x32(address).unwrap();
        let v = id.kind().from_db(Db::new_lossy(d)).unwrap();
        store.set(&id, v).unwrap();
    }

    #[test]
    fn a_bus_fader_move_moves_its_meter_by_as_much() {
        let mut store = Store::new(FakeScene::Demo);
        let p = Programme::Steady(Db::new_lossy(-20.0));
        let before = bank(&levels(p, 1, 3.0, &store), Bank::Two)[0];
        set_db(&mut store, "/bus/01/mix/fader", -10.0);
        let after = bank(&levels(p, 1, 3.0, &store), Bank::Two)[0];
        let moved = db(f64::from(after)) - db(f64::from(before));
        assert!((moved + 10.0).abs() < 0.1, "moved {moved} dB");
        // The livestream matrix follows, the other buses do not.
        let l = levels(p, 1, 3.0, &store);
        assert!((db(l.mtx_post[0]) - db(l.bus_post[0])).abs() < 0.05);
        assert!(bank(&l, Bank::Two)[1] > 0.0);
    }

    #[test]
    fn one_channel_through_its_fader_to_main() {
        let mut store = Store::new(FakeScene::Blank);
        for (a, v) in [
            ("/ch/01/mix/on", 1),
            ("/ch/01/mix/st", 1),
            ("/main/st/mix/on", 1),
        ] {
            store
                .set(&ParamId::x32(a).unwrap(), Value::Index(v))
                .unwrap();
        }
        set_db(&mut store, "/ch/01/mix/fader", -6.0);
        set_db(&mut store, "/main/st/mix/fader", 0.0);
        let l = levels(Programme::Steady(Db::new_lossy(-20.0)), 7, 0.0, &store);
        // −20 dBFS − 6 dB (fader grid: within 0.05 dB) − 0.01 dB (main at 767/1023).
        assert!((db(l.main_post) + 26.0).abs() < 0.1, "{}", db(l.main_post));
        let six = bank(&l, Bank::Six(0));
        assert!((db(f64::from(six[0])) + 20.0).abs() < 1e-3);
        assert_eq!(bank(&l, Bank::Zero).len(), 70);
        assert_eq!(bank(&l, Bank::Two).len(), 49);
        assert_eq!(bank(&l, Bank::Six(71)).len(), 4);
        assert_eq!(l.bus_post, [0.0; 16]);
    }

    #[test]
    fn live_programme_is_deterministic_and_plausible() {
        let mut sum = 0.0;
        let n = 2000;
        for k in 0..n {
            let t = f64::from(k) * 0.05;
            let a = programme_level(Programme::Live, 42, 3, t);
            assert_eq!(a, programme_level(Programme::Live, 42, 3, t));
            assert!(a > 0.0 && a < 1.0);
            sum += db(a);
        }
        let mean = sum / f64::from(n);
        assert!((-65.0..-8.0).contains(&mean), "{mean}");
        assert_ne!(
            programme_level(Programme::Live, 1, 0, 1.0),
            programme_level(Programme::Live, 2, 0, 1.0)
        );
    }
}
