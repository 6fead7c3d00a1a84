//! Meter frames: high-rate and disposable, so they never pass through the desk. Each mixer
//! publishes its latest frame on a `watch` channel; a slow reader skips frames, never slows a mixer.

use std::collections::BTreeMap;
use std::time::Instant;

use tokio::sync::watch;

use super::param::MixerId;
use super::strip::Strip;
use super::units::Db;

/// A strip's level at one instant, in dBFS (mono strips have `left == right`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StripLevel {
    /// Left (or only) side.
    pub left: Db,
    /// Right side.
    pub right: Db,
}

impl StripLevel {
    /// A mono level.
    pub fn mono(db: Db) -> Self {
        StripLevel {
            left: db,
            right: db,
        }
    }

    /// The louder side.
    pub fn max(&self) -> Db {
        if self.left >= self.right {
            self.left
        } else {
            self.right
        }
    }
}

/// Which side of a DSP a channel level was taken on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Before processing (what comes in).
    Capture,
    /// After processing (what goes out).
    Playback,
}

/// One DSP channel's level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelLevel {
    /// RMS in dBFS; silence for "no signal".
    pub rms: Db,
    /// Peak in dBFS.
    pub peak: Db,
    /// The peak went above 0 dBFS, or clipped samples rose.
    pub clipped: bool,
}

/// All levels one mixer reported at one instant.
#[derive(Clone, Debug)]
pub struct MeterFrame {
    /// Which mixer measured it.
    pub mixer: MixerId,
    /// Counts frames since start, so a reader can tell how many it skipped.
    pub seq: u64,
    /// When it was received.
    pub at: Instant,
    /// Levels by strip; a strip the mixer did not report is absent.
    pub levels: BTreeMap<Strip, StripLevel>,
    /// Per-channel levels of a DSP (CamillaDSP), by side and 0-based channel.
    pub channels: BTreeMap<(Side, u8), ChannelLevel>,
}

impl MeterFrame {
    /// An empty frame: nothing measured yet.
    pub fn empty(mixer: MixerId) -> Self {
        MeterFrame {
            mixer,
            seq: 0,
            at: Instant::now(),
            levels: BTreeMap::new(),
            channels: BTreeMap::new(),
        }
    }

    /// The louder side of a strip's level, if it was measured.
    pub fn level(&self, strip: Strip) -> Option<Db> {
        self.levels.get(&strip).map(StripLevel::max)
    }
}

/// One latest-value channel per mixer.
#[derive(Clone, Debug)]
pub struct Meters {
    x32: watch::Sender<MeterFrame>,
    camilla: watch::Sender<MeterFrame>,
    /// pupitre's own functions publish no meters; this stays empty.
    pupitre: watch::Sender<MeterFrame>,
}

impl Default for Meters {
    fn default() -> Self {
        Meters {
            x32: watch::Sender::new(MeterFrame::empty(MixerId::X32)),
            camilla: watch::Sender::new(MeterFrame::empty(MixerId::Camilla)),
            pupitre: watch::Sender::new(MeterFrame::empty(MixerId::Pupitre)),
        }
    }
}

impl Meters {
    /// The sender a mixer adapter publishes on.
    pub fn publisher(&self, mixer: MixerId) -> watch::Sender<MeterFrame> {
        match mixer {
            MixerId::X32 => self.x32.clone(),
            MixerId::Camilla => self.camilla.clone(),
            MixerId::Pupitre => self.pupitre.clone(),
        }
    }

    /// Follow one mixer's latest frame.
    pub fn subscribe(&self, mixer: MixerId) -> watch::Receiver<MeterFrame> {
        match mixer {
            MixerId::X32 => self.x32.subscribe(),
            MixerId::Camilla => self.camilla.subscribe(),
            MixerId::Pupitre => self.pupitre.subscribe(),
        }
    }
}
