//! A MIDI loop round trip through a controller: send, and time what comes back.
//!
//! - [`LoopMethod::Identity`]: a Universal Device Inquiry `F0 7E 7F 06 01 F7` (MIDI 1.0,
//!   Universal Non-Real-Time SysEx, General Information) answered by an Identity Reply
//!   `F0 7E <device> 06 02 <manufacturer> <family> <model> <version> F7`. Most controllers
//!   answer it (the X-Touch and X-Touch Mini do), so nothing needs rewiring.
//! - [`LoopMethod::NoteEcho`]: for a device that does not, with its output wired back to its
//!   input (or a MIDI interface with a cable from out to in): a note on channel 16, each probe
//!   a different note and velocity so an echo is matched to its own probe.
//!
//! The time runs from handing the bytes to the port to the moment the port's task parsed the
//! answer ([`PortEvent::Message`]'s `at`). Events still queued before a probe are read first,
//! so an answer that arrives after its probe was counted lost is counted late, not timed.

use std::fmt;
use std::time::Duration;

use futures_util::FutureExt;
use thiserror::Error;
use tokio::time::{sleep_until, timeout_at, Instant};
use tracing::{debug, info};

use super::codec::{to_bytes, MidiMessage};
use super::port::{MidiPort, PortEvent};
use crate::latency::{ProbePlan, RoundTrips};

/// Universal Device Inquiry to every device (`7F`).
pub const DEVICE_INQUIRY: [u8; 6] = [0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7];

/// How the loop is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LoopMethod {
    /// Device Inquiry → Identity Reply: the controller answers by itself.
    #[default]
    Identity,
    /// A note echoed back through a cable from the output to the input.
    NoteEcho,
}

impl LoopMethod {
    /// What is timed, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            LoopMethod::Identity => "Device Inquiry → Identity Reply",
            LoopMethod::NoteEcho => "note echo, out wired to in",
        }
    }
}

/// What a controller answered.
#[derive(Clone, Debug, PartialEq)]
pub struct MidiProbe {
    /// The port's name, as the port announced it.
    pub device: String,
    /// The first Identity Reply, in identity mode.
    pub identity: Option<IdentityReply>,
    /// The round trips.
    pub round_trips: RoundTrips,
    /// Anything the report should say.
    pub notes: Vec<String>,
}

/// The port could not be probed at all.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MidiProbeError {
    /// No device showed up in time (no port matches, or network MIDI could not bind).
    #[error("no MIDI device connected within {0:?} (see `pupitre ports`)")]
    NotConnected(Duration),
    /// The port's task stopped.
    #[error("the MIDI port stopped")]
    Closed,
}

/// An Identity Reply, `F0 7E <device> 06 02 <manufacturer> <family> <model> <version> F7`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityReply {
    /// The device ID (SysEx channel) it answered on.
    pub device_id: u8,
    /// The manufacturer ID: one byte, or `00` and two more.
    pub manufacturer: Vec<u8>,
    /// Device family code (14 bits, sent LSB first).
    pub family: u16,
    /// Family member (model) code.
    pub model: u16,
    /// Software revision, four bytes as sent.
    pub version: [u8; 4],
}

impl IdentityReply {
    /// Read an Identity Reply; `None` for anything else (too short, another SysEx).
    pub fn parse(bytes: &[u8]) -> Option<IdentityReply> {
        let [0xF0, 0x7E, device_id, 0x06, 0x02, rest @ ..] = bytes else {
            return None;
        };
        let (body, [0xF7]) = rest.split_at(rest.len().checked_sub(1)?) else {
            return None;
        };
        let mfr_len = if body.first() == Some(&0) { 3 } else { 1 };
        let manufacturer = body.get(..mfr_len)?;
        let fields = body.get(mfr_len..mfr_len + 8)?;
        if body.iter().any(|&b| b >= 0x80) {
            return None;
        }
        let word = |lsb: u8, msb: u8| u16::from(lsb) | (u16::from(msb) << 7);
        Some(IdentityReply {
            device_id: *device_id,
            manufacturer: manufacturer.to_vec(),
            family: word(fields[0], fields[1]),
            model: word(fields[2], fields[3]),
            version: [fields[4], fields[5], fields[6], fields[7]],
        })
    }
}

impl fmt::Display for IdentityReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: Vec<String> = self
            .manufacturer
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let v = self.version;
        write!(
            f,
            "manufacturer {}, family {}, model {}, version {}.{}.{}.{}",
            hex.join(" "),
            self.family,
            self.model,
            v[0],
            v[1],
            v[2],
            v[3]
        )
    }
}

/// The note-echo probe `i`: note on, channel 16, a note and velocity of its own.
fn echo_note(i: u32) -> [u8; 3] {
    [0x9F, (i % 128) as u8, (1 + (i / 128) % 127) as u8]
}

/// Wait for the port to connect, then time `plan.probes` loops, one at a time.
///
/// Errors only when no device connects within `wait_connect`; a device that never answers
/// gives a probe with everything lost and a note saying what to try.
pub async fn probe_latency(
    port: &mut MidiPort,
    method: LoopMethod,
    plan: &ProbePlan,
    wait_connect: Duration,
) -> Result<MidiProbe, MidiProbeError> {
    let device = connected(port, wait_connect).await?;
    info!(%device, method = method.describe(), probes = plan.probes, "probing the MIDI loop");
    let mut probe = MidiProbe {
        device,
        identity: None,
        round_trips: RoundTrips::new(),
        notes: Vec::new(),
    };
    let mut disconnected = false;
    for i in 0..plan.probes {
        // What is already here answers earlier probes: late.
        while let Some(event) = port.recv().now_or_never() {
            let event = event.ok_or(MidiProbeError::Closed)?;
            if answer(&event, method, None).is_some() {
                probe.round_trips.late();
            }
        }
        let out = match method {
            LoopMethod::Identity => DEVICE_INQUIRY.to_vec(),
            LoopMethod::NoteEcho => echo_note(i).to_vec(),
        };
        let expect = (method == LoopMethod::NoteEcho).then(|| echo_note(i));
        let sent = Instant::now();
        port.send(out).map_err(|_| MidiProbeError::Closed)?;
        let deadline = sent + plan.timeout;
        let mut answered = false;
        while let Ok(event) = timeout_at(deadline, port.recv()).await {
            let event = event.ok_or(MidiProbeError::Closed)?;
            if event == PortEvent::Disconnected {
                disconnected = true;
            }
            match answer(&event, method, expect) {
                Some(Answer::Mine { at, identity }) => {
                    probe
                        .round_trips
                        .answered(at.saturating_duration_since(sent));
                    if probe.identity.is_none() {
                        probe.identity = identity;
                    }
                    answered = true;
                    break;
                }
                Some(Answer::Earlier) => probe.round_trips.late(),
                None => {}
            }
        }
        if !answered {
            probe.round_trips.lost();
        }
        if let Some([_, note, _]) = expect {
            // Release the note (its echo is ignored): a synth on the loop must not hang.
            port.send(vec![0x8F, note, 0])
                .map_err(|_| MidiProbeError::Closed)?;
        }
        sleep_until(sent + plan.interval).await;
    }
    if disconnected {
        probe
            .notes
            .push("the device was disconnected during the probes".into());
    }
    if probe.round_trips.answered_count() == 0 {
        probe.notes.push(match method {
            LoopMethod::Identity => "no Identity Reply: this device may not answer a Device \
                Inquiry; wire its MIDI out to its MIDI in and use --midi-loop note-echo"
                .into(),
            LoopMethod::NoteEcho => "no echo: is the output wired back to the input?".into(),
        });
    }
    Ok(probe)
}

/// The port's first `Connected`, within `wait`: its name.
async fn connected(port: &mut MidiPort, wait: Duration) -> Result<String, MidiProbeError> {
    let deadline = Instant::now() + wait;
    loop {
        match timeout_at(deadline, port.recv()).await {
            Err(_) => return Err(MidiProbeError::NotConnected(wait)),
            Ok(None) => return Err(MidiProbeError::Closed),
            Ok(Some(PortEvent::Connected { name })) => return Ok(name),
            Ok(Some(other)) => debug!(?other, "before the device connected"),
        }
    }
}

enum Answer {
    /// The answer to the current probe, parsed when.
    Mine {
        at: Instant,
        identity: Option<IdentityReply>,
    },
    /// An answer to an earlier probe.
    Earlier,
}

/// Whether `event` answers a probe: in identity mode every Identity Reply is the current
/// probe's (`expect` is `None`; earlier ones were drained first); in echo mode the note must
/// be the expected one.
fn answer(event: &PortEvent, method: LoopMethod, expect: Option<[u8; 3]>) -> Option<Answer> {
    let PortEvent::Message { message, at } = event else {
        return None;
    };
    match (method, message) {
        (LoopMethod::Identity, MidiMessage::SysEx(s)) => {
            IdentityReply::parse(s.as_bytes()).map(|identity| Answer::Mine {
                at: *at,
                identity: Some(identity),
            })
        }
        (LoopMethod::NoteEcho, MidiMessage::NoteOn { .. }) => {
            let bytes = to_bytes(message);
            let is_probe = bytes.first() == Some(&0x9F);
            match expect {
                Some(e) if bytes == e => Some(Answer::Mine {
                    at: *at,
                    identity: None,
                }),
                _ if is_probe => Some(Answer::Earlier),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::MidiPort;
    use proptest::prelude::*;

    /// An X-Touch's reply as the MCU spec lays it out: Behringer 00 20 32, family 0x58.
    const XTOUCH: [u8; 17] = [
        0xF0, 0x7E, 0x00, 0x06, 0x02, 0x00, 0x20, 0x32, 0x58, 0x00, 0x14, 0x00, 0x01, 0x00, 0x02,
        0x03, 0xF7,
    ];

    #[test]
    fn identity_reply_with_a_three_byte_manufacturer() {
        let r = IdentityReply::parse(&XTOUCH).unwrap();
        assert_eq!(r.device_id, 0);
        assert_eq!(r.manufacturer, vec![0x00, 0x20, 0x32]);
        assert_eq!((r.family, r.model), (0x58, 0x14));
        assert_eq!(r.version, [1, 0, 2, 3]);
        assert_eq!(
            r.to_string(),
            "manufacturer 00 20 32, family 88, model 20, version 1.0.2.3"
        );
    }

    #[test]
    fn identity_reply_with_a_one_byte_manufacturer_and_14_bit_codes() {
        // Roland (41), family 0x0123 sent LSB first as 23 02 (7-bit bytes: 0x23 | 2 << 7).
        let bytes = [
            0xF0, 0x7E, 0x10, 0x06, 0x02, 0x41, 0x23, 0x02, 0x05, 0x00, 0, 0, 0, 1, 0xF7,
        ];
        let r = IdentityReply::parse(&bytes).unwrap();
        assert_eq!(r.manufacturer, vec![0x41]);
        assert_eq!(r.family, 0x23 | (2 << 7));
        assert_eq!(r.model, 5);
    }

    #[test]
    fn other_sysex_is_not_an_identity_reply() {
        for bytes in [
            &DEVICE_INQUIRY[..],
            &[0xF0, 0x7E, 0x00, 0x06, 0x02, 0x41, 0xF7][..],
            &[
                0xF0, 0x7F, 0x00, 0x06, 0x02, 0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0xF7,
            ][..],
            &XTOUCH[..16],
            &[][..],
        ] {
            assert_eq!(IdentityReply::parse(bytes), None, "{bytes:02X?}");
        }
    }

    #[test]
    fn echo_notes_differ_for_16k_probes() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..128 * 127 {
            let n = echo_note(i);
            assert!(n[1] < 0x80 && (1..0x80).contains(&n[2]));
            assert!(seen.insert(n), "probe {i} repeats");
        }
    }

    fn fast() -> ProbePlan {
        ProbePlan {
            probes: 5,
            interval: Duration::ZERO,
            timeout: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn identity_round_trips_through_an_answering_device() {
        let (mut port, mut dev) = MidiPort::in_memory();
        let device = tokio::spawn(async move {
            dev.connect("X-TOUCH").await.unwrap();
            while let Some(bytes) = dev.recv().await {
                assert_eq!(bytes, DEVICE_INQUIRY);
                dev.send(&XTOUCH).await.unwrap();
            }
        });
        let p = probe_latency(
            &mut port,
            LoopMethod::Identity,
            &fast(),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        drop(port);
        device.await.unwrap();
        assert_eq!(p.device, "X-TOUCH");
        assert_eq!(p.round_trips.answered_count(), 5);
        assert_eq!(p.round_trips.lost_count(), 0);
        assert_eq!(p.identity.unwrap().family, 0x58);
        assert!(p.notes.is_empty());
    }

    #[tokio::test]
    async fn a_silent_device_loses_every_probe_and_says_what_to_try() {
        let (mut port, dev) = MidiPort::in_memory();
        dev.connect("mute box").await.unwrap();
        let mut plan = fast();
        plan.timeout = Duration::from_millis(20);
        let p = probe_latency(
            &mut port,
            LoopMethod::Identity,
            &plan,
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        assert_eq!(p.round_trips.lost_count(), 5);
        assert!(
            p.notes[0].contains("--midi-loop note-echo"),
            "{:?}",
            p.notes
        );
        drop(dev);
    }

    #[tokio::test]
    async fn note_echo_matches_each_probe_to_its_own_note() {
        let (mut port, mut dev) = MidiPort::in_memory();
        let device = tokio::spawn(async move {
            dev.connect("loop cable").await.unwrap();
            let mut held_back = None;
            while let Some(bytes) = dev.recv().await {
                // The first note comes back only after the second is sent: late, not timed.
                if bytes == echo_note(0) {
                    held_back = Some(bytes);
                    continue;
                }
                if let Some(old) = held_back.take() {
                    dev.send(&old).await.unwrap();
                }
                dev.send(&bytes).await.unwrap();
            }
        });
        let mut plan = fast();
        plan.timeout = Duration::from_millis(50);
        let p = probe_latency(
            &mut port,
            LoopMethod::NoteEcho,
            &plan,
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        drop(port);
        device.await.unwrap();
        let s = p.round_trips.summary();
        assert_eq!((s.sent, s.answered, s.lost, s.late), (5, 4, 1, 1));
    }

    #[tokio::test]
    async fn no_device_is_an_error() {
        let (mut port, _dev) = MidiPort::in_memory();
        let err = probe_latency(
            &mut port,
            LoopMethod::Identity,
            &fast(),
            Duration::from_millis(20),
        )
        .await
        .unwrap_err();
        assert_eq!(err, MidiProbeError::NotConnected(Duration::from_millis(20)));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = IdentityReply::parse(&bytes);
        }

        #[test]
        fn parse_reads_back_what_was_built(
            device in 0u8..0x80,
            long_mfr in any::<bool>(),
            mfr in proptest::collection::vec(0u8..0x80, 2),
            family in 0u16..0x4000,
            model in 0u16..0x4000,
            version in proptest::collection::vec(0u8..0x80, 4),
        ) {
            let mut bytes = vec![0xF0, 0x7E, device, 0x06, 0x02];
            let manufacturer = if long_mfr {
                vec![0, mfr[0], mfr[1]]
            } else {
                vec![mfr[0].max(1)]
            };
            bytes.extend(&manufacturer);
            bytes.extend([(family & 0x7F) as u8, (family >> 7) as u8]);
            bytes.extend([(model & 0x7F) as u8, (model >> 7) as u8]);
            bytes.extend(&version);
            bytes.push(0xF7);
            let r = IdentityReply::parse(&bytes).unwrap();
            prop_assert_eq!(r.device_id, device);
            prop_assert_eq!(r.manufacturer, manufacturer);
            prop_assert_eq!((r.family, r.model), (family, model));
            prop_assert_eq!(r.version.to_vec(), version);
        }
    }
}
