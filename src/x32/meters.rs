//! Which float in which meter bank belongs to which strip (`x32-osc.md` §1.8), and the
//! conversion of the console's linear amplitudes (1.0 = 0 dBFS) into dBFS.

use std::collections::BTreeMap;

use crate::desk::{Db, Strip, StripLevel};

/// Floats in a `/meters/0` blob: ch 1-32, aux 8, fx returns 8, buses 16, matrices 6.
pub const BANK0_LEN: usize = 70;
/// Floats in a `/meters/2` blob: buses 16, matrices 6, main L/R, mono, then gain reductions.
pub const BANK2_LEN: usize = 49;

/// A blob whose length is not its bank's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("/meters/{bank} blob has {got} floats, expected {expected}")]
pub struct BankShapeError {
    /// The bank.
    pub bank: u8,
    /// Floats received.
    pub got: usize,
    /// Floats the bank has.
    pub expected: usize,
}

fn db(v: f32) -> Db {
    Db::from_amplitude(f64::from(v))
}

/// Merge one bank's blob into `levels`.
pub fn apply_bank(
    bank: u8,
    floats: &[f32],
    levels: &mut BTreeMap<Strip, StripLevel>,
) -> Result<(), BankShapeError> {
    let expected = match bank {
        0 => BANK0_LEN,
        2 => BANK2_LEN,
        _ => {
            return Err(BankShapeError {
                bank,
                got: floats.len(),
                expected: 0,
            })
        }
    };
    if floats.len() != expected {
        return Err(BankShapeError {
            bank,
            got: floats.len(),
            expected,
        });
    }
    let mut put = |strip: Strip, v: f32| {
        levels.insert(strip, StripLevel::mono(db(v)));
    };
    if bank == 0 {
        for (i, &v) in floats[..32].iter().enumerate() {
            put(Strip::Channel(i as u8 + 1), v);
        }
        for (i, &v) in floats[32..40].iter().enumerate() {
            put(Strip::AuxIn(i as u8 + 1), v);
        }
        for (i, &v) in floats[40..48].iter().enumerate() {
            put(Strip::FxReturn(i as u8 + 1), v);
        }
        for (i, &v) in floats[48..64].iter().enumerate() {
            put(Strip::Bus(i as u8 + 1), v);
        }
        for (i, &v) in floats[64..70].iter().enumerate() {
            put(Strip::Matrix(i as u8 + 1), v);
        }
    } else {
        for (i, &v) in floats[..16].iter().enumerate() {
            put(Strip::Bus(i as u8 + 1), v);
        }
        for (i, &v) in floats[16..22].iter().enumerate() {
            put(Strip::Matrix(i as u8 + 1), v);
        }
        put(Strip::MainMono, floats[24]);
        levels.insert(
            Strip::MainStereo,
            StripLevel {
                left: db(floats[22]),
                right: db(floats[23]),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_floats_any_bank_never_panic(
            bank in 0u8..20,
            floats in proptest::collection::vec(any::<f32>(), 0..80),
        ) {
            let mut levels = BTreeMap::new();
            if apply_bank(bank, &floats, &mut levels).is_ok() {
                prop_assert!(levels.values().all(|l| !l.left.get().is_nan()));
            }
        }
    }

    #[test]
    fn bank2_positions() {
        let mut f = vec![0.0f32; BANK2_LEN];
        f[2] = 1.0; // bus 3 at 0 dBFS
        f[16] = 0.5; // matrix 1 at −6 dBFS
        f[22] = 0.1;
        f[23] = 0.2;
        let mut levels = BTreeMap::new();
        apply_bank(2, &f, &mut levels).unwrap();
        assert_eq!(levels[&Strip::Bus(3)].left, Db::ZERO);
        assert!((levels[&Strip::Matrix(1)].left.get() + 6.02).abs() < 0.01);
        assert!(levels[&Strip::Bus(1)].left.is_silence());
        assert!((levels[&Strip::MainStereo].max().get() + 13.98).abs() < 0.01);
    }

    #[test]
    fn bank0_positions_and_bad_shapes() {
        let mut f = vec![0.0f32; BANK0_LEN];
        f[48] = 1.0;
        f[69] = 1.0;
        f[31] = f32::NAN;
        let mut levels = BTreeMap::new();
        apply_bank(0, &f, &mut levels).unwrap();
        assert_eq!(levels[&Strip::Bus(1)].left, Db::ZERO);
        assert_eq!(levels[&Strip::Matrix(6)].left, Db::ZERO);
        assert!(levels[&Strip::Channel(32)].left.is_silence());
        assert!(apply_bank(0, &f[..69], &mut levels).is_err());
        assert!(apply_bank(5, &f, &mut levels).is_err());
    }
}
