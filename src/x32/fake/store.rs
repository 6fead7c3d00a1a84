//! The fake desk's parameter store: every address the [`ParamId::x32`] grammar accepts, lazily
//! defaulted from its kind, set through the kind's grid like the real desk (`x32-osc.md` §1.7:
//! the console rounds to its steps, the emulator does not — we follow the console).

use std::collections::HashMap;
use std::sync::Arc;

use rosc::OscType;

use crate::desk::{Db, Normalized, ParamId, ParamKind, Value};

use super::FakeScene;

/// Parameter values by address.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    values: HashMap<ParamId, Value>,
    /// Blank defaults everything to the bottom of its travel (like the emulator: pan −100);
    /// Demo defaults to the kind's own default (pan centre).
    blank: bool,
}

impl Store {
    /// A store holding a scene.
    pub(crate) fn new(scene: FakeScene) -> Self {
        let mut store = Store {
            values: HashMap::new(),
            blank: matches!(scene, FakeScene::Blank),
        };
        if let FakeScene::Demo = scene {
            store.load_demo();
        }
        store
    }

    fn default_for(&self, kind: ParamKind) -> Value {
        if self.blank {
            kind.from_normalized(Normalized::MIN)
        } else {
            // On the grid, as the console holds every value (the kinds' defaults for EQ Q
            // sit between two steps).
            let default = kind.default_value();
            kind.conform(default.clone()).unwrap_or(default)
        }
    }

    /// The current value.
    pub(crate) fn get(&self, id: &ParamId) -> Value {
        self.values
            .get(id)
            .cloned()
            .unwrap_or_else(|| self.default_for(id.kind()))
    }

    /// The current value of a level or switch by address, `None` if never set (the signal
    /// model reads this; every level and switch defaults to 0 in both scenes).
    pub(crate) fn peek(&self, address: &str) -> Option<&Value> {
        let id = ParamId::x32(address).ok()?;
        self.values.get(&id)
    }

    /// Put a value on the grid and store it; `Some(new)` if it changed, `None` if it was equal.
    pub(crate) fn set(&mut self, id: &ParamId, value: Value) -> Result<Option<Value>, ()> {
        let value = id.kind().conform(value).map_err(|_| ())?;
        if self.get(id) == value {
            return Ok(None);
        }
        self.values.insert(id.clone(), value.clone());
        Ok(Some(value))
    }

    fn put(&mut self, address: &str, value: Value) {
        if let Ok(id) = ParamId::x32(address) {
            let _ = self.set(&id, value);
        }
    }

    fn put_db(&mut self, address: &str, db: f64) {
        if let Ok(id) = ParamId::x32(address) {
            if let Some(v) = id.kind().from_db(Db::new_lossy(db)) {
                let _ = self.set(&id, v);
            }
        }
    }

    fn put_config(&mut self, strip: &str, name: &str, colour: u32, icon: u32) {
        self.put(&format!("{strip}/config/name"), text(name));
        self.put(&format!("{strip}/config/color"), Value::Index(colour));
        self.put(&format!("{strip}/config/icon"), Value::Index(icon));
    }

    /// A plausible live show: named, coloured channels near 0 dB, 1–12 on and on the main,
    /// sends to buses 1–4, bus 1 "Stream" into matrix 1 "Livestream", LR into matrix 2.
    fn load_demo(&mut self) {
        const CHANNELS: [(&str, u32, f64); 16] = [
            ("Vox 1", 3, 0.0),
            ("Vox 2", 3, -1.5),
            ("Guitar", 2, -3.0),
            ("Bass", 5, -2.0),
            ("Keys", 6, -4.0),
            ("Kick", 1, -1.0),
            ("Snare", 1, -3.5),
            ("Hi-Hat", 1, -8.0),
            ("OH L", 1, -6.0),
            ("OH R", 1, -6.0),
            ("Deck A", 4, -2.5),
            ("Deck B", 4, -2.5),
            ("Sax", 2, -5.0),
            ("Trumpet", 2, -5.0),
            ("Pad L", 6, -10.0),
            ("Pad R", 6, -10.0),
        ];
        const PANS: [f64; 16] = [
            0.0, 0.0, -30.0, 0.0, 20.0, 0.0, 0.0, 40.0, -60.0, 60.0, -100.0, 100.0, -20.0, 20.0,
            -100.0, 100.0,
        ];
        for (i, (name, colour, fader)) in CHANNELS.iter().enumerate() {
            let n = i + 1;
            let ch = format!("/ch/{n:02}");
            self.put_config(&ch, name, *colour, 1 + i as u32);
            self.put(&format!("{ch}/config/source"), Value::Index(n as u32));
            self.put_db(&format!("{ch}/mix/fader"), *fader);
            self.put(
                &format!("{ch}/mix/pan"),
                Value::Level(Normalized::new_clamped((PANS[i] + 100.0) / 200.0)),
            );
            if n <= 12 {
                self.put(&format!("{ch}/mix/on"), Value::Index(1));
                self.put(&format!("{ch}/mix/st"), Value::Index(1));
                for bus in 1..=4u32 {
                    let send = format!("{ch}/mix/{bus:02}");
                    self.put(&format!("{send}/on"), Value::Index(1));
                    let db = -f64::from((n as u32 * 3 + bus * 5) % 12);
                    self.put_db(&format!("{send}/level"), db);
                }
            }
        }
        for n in 17..=32u32 {
            self.put_db(&format!("/ch/{n:02}/mix/fader"), 0.0);
        }
        const BUSES: [(&str, u32); 4] = [("Stream", 7), ("Mon 1", 2), ("Mon 2", 3), ("IEM", 5)];
        for n in 1..=16usize {
            let bus = format!("/bus/{n:02}");
            self.put_db(&format!("{bus}/mix/fader"), 0.0);
            if let Some((name, colour)) = BUSES.get(n - 1) {
                self.put_config(&bus, name, *colour, 60);
                self.put(&format!("{bus}/mix/on"), Value::Index(1));
            }
        }
        self.put("/bus/01/mix/01/on", Value::Index(1));
        self.put_db("/bus/01/mix/01/level", 0.0);
        for n in 1..=6usize {
            let mtx = format!("/mtx/{n:02}");
            self.put_db(&format!("{mtx}/mix/fader"), 0.0);
        }
        self.put_config("/mtx/01", "Livestream", 13, 70);
        self.put("/mtx/01/mix/on", Value::Index(1));
        self.put_config("/mtx/02", "Record", 9, 70);
        self.put("/mtx/02/mix/on", Value::Index(1));
        self.put("/main/st/mix/02/on", Value::Index(1));
        self.put_db("/main/st/mix/02/level", 0.0);
        self.put_config("/main/st", "Main", 7, 72);
        self.put("/main/st/mix/on", Value::Index(1));
        self.put_db("/main/st/mix/fader", 0.0);
        self.put_config("/main/m", "Centre", 7, 72);
        self.put_db("/main/m/mix/fader", 0.0);
        self.load_demo_routing();
        for (n, name, colour) in [(1, "Drums", 1), (2, "Vocals", 3), (3, "Band", 2)] {
            let dca = format!("/dca/{n}");
            self.put(&format!("{dca}/config/name"), text(name));
            self.put(&format!("{dca}/config/color"), Value::Index(colour));
            self.put(&format!("{dca}/on"), Value::Index(1));
            self.put_db(&format!("{dca}/fader"), 0.0);
        }
    }
}

impl Store {
    /// The console's default output blocks, LR on outputs 15-16, the monitor buses on P16 1-3,
    /// and the livestream: matrix 1 on outputs 9-10, matrix 2 "Record" on 11, outputs 9-16 on
    /// card (USB) 1-8 (`x32-osc.md` §1.6, "the typical stream path").
    fn load_demo_routing(&mut self) {
        const OUT_BLOCKS: [(&str, u32); 4] =
            [("1-4", 20), ("9-12", 21), ("5-8", 20), ("13-16", 21)];
        for (group, value) in OUT_BLOCKS {
            self.put(&format!("/config/routing/OUT/{group}"), Value::Index(value));
        }
        // OUT9-16, OUT1-8 (the rest stays on analog inputs, as for a USB recording).
        self.put("/config/routing/CARD/1-8", Value::Index(21));
        self.put("/config/routing/CARD/9-16", Value::Index(20));
        self.put("/config/routing/CARD/17-24", Value::Index(2));
        self.put("/config/routing/CARD/25-32", Value::Index(3));
        // Source 1-3 Main L/R/M, 4-19 buses, 20-25 matrices; tap 8 POST.
        for (n, src) in [(15, 1), (16, 2), (9, 20), (10, 20), (11, 21)] {
            self.put(&format!("/outputs/main/{n:02}/src"), Value::Index(src));
            self.put(&format!("/outputs/main/{n:02}/pos"), Value::Index(8));
        }
        for (n, bus) in [(1, 2u32), (2, 3), (3, 4)] {
            self.put(&format!("/outputs/p16/{n:02}/src"), Value::Index(3 + bus));
            self.put(&format!("/outputs/p16/{n:02}/pos"), Value::Index(8));
        }
        self.put("/bus/01/mix/01/type", Value::Index(4));
    }
}

fn text(s: &str) -> Value {
    Value::Text(Arc::from(s))
}

/// A value as the wire carries it: levels as `f`, switches and choices as `i`, names as `s`.
pub(crate) fn to_wire(value: &Value) -> OscType {
    match value {
        Value::Level(n) => OscType::Float(n.get() as f32),
        Value::Index(i) => OscType::Int(i32::try_from(*i).unwrap_or(i32::MAX)),
        Value::Text(t) => OscType::String(t.to_string()),
    }
}

/// A wire argument as a value to conform, `None` for shapes the desk does not take (NaN,
/// negative ints, blobs, …). Out-of-range floats are clamped: the console snaps to its grid.
pub(crate) fn from_wire(arg: &OscType) -> Option<Value> {
    match arg {
        OscType::Float(f) if !f.is_nan() => {
            Some(Value::Level(Normalized::new_clamped(f64::from(*f))))
        }
        OscType::Double(f) if !f.is_nan() => Some(Value::Level(Normalized::new_clamped(*f))),
        OscType::Int(i) => u32::try_from(*i).ok().map(Value::Index),
        OscType::String(s) => Some(text(s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(a: &str) -> ParamId {
        ParamId::x32(a).unwrap()
    }

    #[test]
    fn blank_is_all_zero_demo_is_a_show() {
        let blank = Store::new(FakeScene::Blank);
        assert_eq!(
            blank.get(&id("/ch/01/mix/pan")),
            Value::Level(Normalized::MIN)
        );
        assert_eq!(blank.get(&id("/ch/01/config/name")), text(""));
        let demo = Store::new(FakeScene::Demo);
        assert_eq!(demo.get(&id("/ch/01/config/name")), text("Vox 1"));
        assert_eq!(demo.get(&id("/ch/12/mix/on")), Value::Index(1));
        assert_eq!(demo.get(&id("/ch/13/mix/on")), Value::Index(0));
        assert_eq!(demo.get(&id("/mtx/01/config/name")), text("Livestream"));
        assert_eq!(
            demo.get(&id("/bus/01/mix/fader")),
            Value::Level(Normalized::new_clamped(767.0 / 1023.0))
        );
    }

    #[test]
    fn set_quantizes_and_reports_changes_only() {
        let mut s = Store::new(FakeScene::Blank);
        let fader = id("/ch/01/mix/fader");
        let v = from_wire(&OscType::Float(0.75)).unwrap();
        let changed = s.set(&fader, v.clone()).unwrap().unwrap();
        assert_eq!(
            to_wire(&changed),
            OscType::Float((767.0f64 / 1023.0) as f32)
        );
        assert_eq!(s.set(&fader, v), Ok(None));
        assert!(s.set(&fader, text("x")).is_err());
        assert!(from_wire(&OscType::Float(f32::NAN)).is_none());
    }
}
