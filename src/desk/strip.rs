//! Strips: the X32's channels, buses, matrices, mains and DCAs as the screen and meters see
//! them, each owning a handful of parameters (fader, on, name, colour, pan).

use std::fmt;

use super::param::{one_digit, two_digits, ParamId};

/// One X32 strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strip {
    /// Input channel 1–32.
    Channel(u8),
    /// Aux input 1–8.
    AuxIn(u8),
    /// FX return 1–8.
    FxReturn(u8),
    /// Mix bus 1–16.
    Bus(u8),
    /// Matrix 1–6.
    Matrix(u8),
    /// Main stereo (LR).
    MainStereo,
    /// Main mono / centre.
    MainMono,
    /// DCA group 1–8.
    Dca(u8),
}

impl fmt::Display for Strip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strip::Channel(n) => write!(f, "ch/{n:02}"),
            Strip::AuxIn(n) => write!(f, "auxin/{n:02}"),
            Strip::FxReturn(n) => write!(f, "fxrtn/{n:02}"),
            Strip::Bus(n) => write!(f, "bus/{n:02}"),
            Strip::Matrix(n) => write!(f, "mtx/{n:02}"),
            Strip::MainStereo => f.write_str("main/st"),
            Strip::MainMono => f.write_str("main/m"),
            Strip::Dca(n) => write!(f, "dca/{n}"),
        }
    }
}

impl Strip {
    /// Parse one strip (`ch/05`, `main/st`, `dca/3`) or a range of them (`ch/01-16`, `dca/1-8`).
    pub fn parse_range(spec: &str) -> Result<Vec<Strip>, String> {
        let hint = "expected a strip like \"ch/01\", \"ch/01-16\", \"bus/01-08\", \"mtx/01-06\", \
                    \"main/st\", \"main/m\", \"auxin/01-08\", \"fxrtn/01-08\" or \"dca/1-8\"";
        match spec {
            "main/st" => return Ok(vec![Strip::MainStereo]),
            "main/m" => return Ok(vec![Strip::MainMono]),
            _ => {}
        }
        let (family, range) = spec.split_once('/').ok_or_else(|| hint.to_string())?;
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        type Make = fn(u8) -> Strip;
        type ParseIndex = Box<dyn Fn(&str) -> Result<u8, String>>;
        let (make, parse): (Make, ParseIndex) = match family {
            "ch" => (Strip::Channel, Box::new(|s| two_digits(s, 32, "channels"))),
            "auxin" => (Strip::AuxIn, Box::new(|s| two_digits(s, 8, "aux inputs"))),
            "fxrtn" => (
                Strip::FxReturn,
                Box::new(|s| two_digits(s, 8, "FX returns")),
            ),
            "bus" => (Strip::Bus, Box::new(|s| two_digits(s, 16, "buses"))),
            "mtx" => (Strip::Matrix, Box::new(|s| two_digits(s, 6, "matrices"))),
            "dca" => (Strip::Dca, Box::new(|s| one_digit(s, 8, "DCAs"))),
            _ => return Err(hint.to_string()),
        };
        let (a, b) = (parse(first)?, parse(last)?);
        if a > b {
            return Err(format!("the range {first}-{last} runs backwards"));
        }
        Ok((a..=b).map(make).collect())
    }

    /// The strip's OSC address prefix, e.g. `/ch/01`.
    pub fn address(&self) -> String {
        format!("/{self}")
    }

    fn param(&self, tail: &str) -> ParamId {
        let address = format!("/{self}/{tail}");
        match ParamId::x32(&address) {
            Ok(id) => id,
            // Every tail used below exists on every strip it is asked of (pinned by a test).
            Err(e) => unreachable!("strip parameter outside the grammar: {e}"),
        }
    }

    /// The fader (`mix/fader`, or `fader` on a DCA).
    pub fn fader(&self) -> ParamId {
        match self {
            Strip::Dca(_) => self.param("fader"),
            _ => self.param("mix/fader"),
        }
    }

    /// The on switch (1 = not muted).
    pub fn on(&self) -> ParamId {
        match self {
            Strip::Dca(_) => self.param("on"),
            _ => self.param("mix/on"),
        }
    }

    /// The name shown on scribble strips.
    pub fn name(&self) -> ParamId {
        self.param("config/name")
    }

    /// The colour (0–15).
    pub fn color(&self) -> ParamId {
        self.param("config/color")
    }

    /// The pan, where the strip has one.
    pub fn pan(&self) -> Option<ParamId> {
        match self {
            Strip::Matrix(_) | Strip::MainMono | Strip::Dca(_) => None,
            _ => Some(self.param("mix/pan")),
        }
    }

    /// The main LR assignment (`mix/st`), where the strip has one (inputs and buses).
    pub fn main_assign(&self) -> Option<ParamId> {
        match self {
            Strip::Channel(_) | Strip::AuxIn(_) | Strip::FxReturn(_) | Strip::Bus(_) => {
                Some(self.param("mix/st"))
            }
            _ => None,
        }
    }

    /// The strip's solo switch (`/-stat/solosw/NN`).
    pub fn solo(&self) -> ParamId {
        let n = match *self {
            Strip::Channel(n) => n,
            Strip::AuxIn(n) => 32 + n,
            Strip::FxReturn(n) => 40 + n,
            Strip::Bus(n) => 48 + n,
            Strip::Matrix(n) => 64 + n,
            Strip::MainStereo => 71,
            Strip::MainMono => 72,
            Strip::Dca(n) => 72 + n,
        };
        match ParamId::x32(&format!("/-stat/solosw/{n:02}")) {
            Ok(id) => id,
            Err(e) => unreachable!("solo switches cover every strip: {e}"),
        }
    }

    /// Every parameter the desk tracks for a strip it shows.
    pub fn params(&self) -> Vec<ParamId> {
        let mut v = vec![self.fader(), self.on(), self.name(), self.color()];
        v.extend(self.pan());
        v
    }

    /// What to call a strip whose name is empty, as the console does.
    pub fn default_label(&self) -> String {
        match self {
            Strip::Channel(n) => format!("Ch {n:02}"),
            Strip::AuxIn(n) => format!("Aux {n:02}"),
            Strip::FxReturn(n) => format!("FX {n:02}"),
            Strip::Bus(n) => format!("Bus {n:02}"),
            Strip::Matrix(n) => format!("Mtx {n:02}"),
            Strip::MainStereo => "Main LR".into(),
            Strip::MainMono => "Main M/C".into(),
            Strip::Dca(n) => format!("DCA {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strip_has_its_parameters() {
        let all: Vec<Strip> = [
            "ch/01-32",
            "auxin/01-08",
            "fxrtn/01-08",
            "bus/01-16",
            "mtx/01-06",
            "main/st",
            "main/m",
            "dca/1-8",
        ]
        .iter()
        .flat_map(|s| Strip::parse_range(s).unwrap())
        .collect();
        assert_eq!(all.len(), 32 + 8 + 8 + 16 + 6 + 2 + 8);
        for s in all {
            let p = s.params();
            assert!(p.len() >= 4, "{s}");
            assert!(s.solo().path().starts_with("/-stat/solosw/"));
            assert_eq!(
                p[0].to_string(),
                format!(
                    "x32:{}/{}",
                    s.address(),
                    if matches!(s, Strip::Dca(_)) {
                        "fader"
                    } else {
                        "mix/fader"
                    }
                )
            );
        }
    }

    #[test]
    fn ranges_and_errors() {
        assert_eq!(
            Strip::parse_range("bus/03-05").unwrap(),
            vec![Strip::Bus(3), Strip::Bus(4), Strip::Bus(5)]
        );
        assert!(Strip::parse_range("ch/16-01")
            .unwrap_err()
            .contains("backwards"));
        assert!(Strip::parse_range("ch/01-33")
            .unwrap_err()
            .contains("01–32"));
        assert!(Strip::parse_range("dca/01")
            .unwrap_err()
            .contains("leading zero"));
        assert!(Strip::parse_range("desk/1").is_err());
    }
}
