//! The midir adapter: system MIDI devices (ALSA, CoreMIDI, WinMM) found by name, kept open
//! across unplug and replug.
//!
//! midir never tells an input callback that its device went away, and `send()` to an
//! unplugged ALSA device succeeds silently (`controllers.md` §6), so the port list is polled
//! every [`POLL_EVERY`] and diffed by name ([`super::names::diff`]). midir is blocking: all of
//! it lives on one dedicated thread per port, never on the tokio runtime.
//!
//! Quirks handled here:
//! - midir's ALSA `send()` encodes a single event per call, so outgoing bytes are re-parsed and
//!   sent one message at a time;
//! - without an ALSA sequencer (`/dev/snd/seq` missing: CI, containers) midir cannot start:
//!   that is logged once and retried every [`RETRY_NO_SYSTEM`];
//! - if a device is unplugged and replugged between two polls under the *same* name (ALSA
//!   names end with the client number, which usually changes), the dead connection is kept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use midir::{Ignore, MidiInput, MidiInputConnection, MidiOutput, MidiOutputConnection};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, trace, warn};

use super::codec::{to_bytes, MidiParser};
use super::names::{diff, NamePattern, PortChange};
use super::port::{PortEvent, PortLink, OUT_CAPACITY};

/// How often the port list is read.
pub const POLL_EVERY: Duration = Duration::from_secs(1);
/// How often to try again when there is no MIDI system at all.
pub const RETRY_NO_SYSTEM: Duration = Duration::from_secs(10);
/// midir's client name, as other MIDI software will show it.
const CLIENT_NAME: &str = "pupitre";

/// The system's MIDI cannot be used.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MidiError {
    /// midir could not start (on Linux: no ALSA sequencer, `/dev/snd/seq` missing or not
    /// readable by this user, who needs the `audio` group).
    #[error("no MIDI system available: {0} (on Linux: is /dev/snd/seq there and readable, is the user in the audio group?)")]
    NoMidiSystem(String),
}

/// The MIDI ports the system shows now, for `pupitre ports`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortList {
    /// Input port names (where a controller's messages come from).
    pub inputs: Vec<String>,
    /// Output port names (where feedback goes).
    pub outputs: Vec<String>,
}

/// List the system's MIDI ports.
pub fn list_ports() -> Result<PortList, MidiError> {
    let (input, output) = clients()?;
    Ok(PortList {
        inputs: input_names(&input),
        outputs: output_names(&output),
    })
}

fn clients() -> Result<(MidiInput, MidiOutput), MidiError> {
    let input = MidiInput::new(CLIENT_NAME).map_err(|e| MidiError::NoMidiSystem(e.to_string()))?;
    let output =
        MidiOutput::new(CLIENT_NAME).map_err(|e| MidiError::NoMidiSystem(e.to_string()))?;
    Ok((input, output))
}

fn input_names(input: &MidiInput) -> Vec<String> {
    input
        .ports()
        .iter()
        .filter_map(|p| input.port_name(p).ok())
        .collect()
}

fn output_names(output: &MidiOutput) -> Vec<String> {
    output
        .ports()
        .iter()
        .filter_map(|p| output.port_name(p).ok())
        .collect()
}

/// Start the thread that owns the device, and the task that feeds it outgoing bytes.
pub(crate) fn spawn(
    input: NamePattern,
    output: Option<NamePattern>,
    link: PortLink,
    stop: CancellationToken,
) {
    let PortLink { events, mut out } = link;
    let span = info_span!("midi", port = %input);
    // The thread waits on a std channel with a timeout (its poll clock); this task moves
    // bytes there without ever blocking: when the thread lags, bytes are dropped and counted.
    let (tx, rx) = std_mpsc::sync_channel::<Vec<u8>>(OUT_CAPACITY);
    let forward_stop = stop.clone();
    let forward_span = span.clone();
    tokio::spawn(async move {
        let mut dropped = 0u64;
        loop {
            let chunk = tokio::select! {
                _ = forward_stop.cancelled() => break,
                c = out.recv() => c,
            };
            let Some(chunk) = chunk else { break };
            match tx.try_send(chunk) {
                Ok(()) => {}
                Err(std_mpsc::TrySendError::Full(_)) => {
                    dropped += 1;
                    let _g = forward_span.enter();
                    debug!(dropped, "MIDI output lagging: bytes dropped");
                }
                Err(std_mpsc::TrySendError::Disconnected(_)) => break,
            }
        }
        // Dropping `tx` wakes the thread, which then closes the device and ends.
    });
    let out_pattern = output.unwrap_or_else(|| input.clone());
    let name = format!("midi-{input}");
    let spawned = std::thread::Builder::new().name(name).spawn(move || {
        let _g = span.enter();
        Device::new(input, out_pattern, events).run(rx, stop);
    });
    if let Err(e) = spawned {
        warn!(error = %e, "cannot start the MIDI thread");
    }
}

/// Everything the thread owns.
struct Device {
    in_pattern: NamePattern,
    out_pattern: NamePattern,
    events: mpsc::Sender<PortEvent>,
    /// Clients used only to list ports (connecting consumes a client).
    lister: Option<(MidiInput, MidiOutput)>,
    input: Option<(String, MidiInputConnection<MidiParser>)>,
    output: Option<(String, MidiOutputConnection)>,
    /// Re-splits outgoing bytes into single messages for midir.
    out_parser: MidiParser,
    /// Incoming messages dropped because the surface was not reading.
    dropped_in: Arc<AtomicU64>,
    /// "No MIDI system" was already logged.
    warned_no_system: bool,
    /// The last port that failed to open, so the warning is not repeated every poll.
    failed: Option<String>,
}

impl Device {
    fn new(
        in_pattern: NamePattern,
        out_pattern: NamePattern,
        events: mpsc::Sender<PortEvent>,
    ) -> Self {
        Device {
            in_pattern,
            out_pattern,
            events,
            lister: None,
            input: None,
            output: None,
            out_parser: MidiParser::new(),
            dropped_in: Arc::new(AtomicU64::new(0)),
            warned_no_system: false,
            failed: None,
        }
    }

    fn run(mut self, rx: std_mpsc::Receiver<Vec<u8>>, stop: CancellationToken) {
        let mut next_poll = StdInstant::now();
        while !stop.is_cancelled() {
            let now = StdInstant::now();
            if now >= next_poll {
                let ok = self.poll();
                next_poll = now + if ok { POLL_EVERY } else { RETRY_NO_SYSTEM };
                if self.events.is_closed() {
                    break;
                }
            }
            match rx.recv_timeout(next_poll.saturating_duration_since(StdInstant::now())) {
                Ok(bytes) => self.send(&bytes),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
                Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        if let Some((_, conn)) = self.input.take() {
            conn.close();
        }
        if let Some((_, conn)) = self.output.take() {
            conn.close();
        }
        debug!("MIDI device thread ended");
    }

    /// Read the port list and open or close ports; false when there is no MIDI system.
    fn poll(&mut self) -> bool {
        if self.lister.is_none() {
            match clients() {
                Ok(c) => {
                    if self.warned_no_system {
                        info!("MIDI system available again");
                    }
                    self.warned_no_system = false;
                    self.lister = Some(c);
                }
                Err(e) => {
                    if !self.warned_no_system {
                        warn!(error = %e, retry_in = ?RETRY_NO_SYSTEM, "MIDI port not opened");
                        self.warned_no_system = true;
                    }
                    return false;
                }
            }
        }
        let Some((lin, lout)) = &self.lister else {
            return false;
        };
        let (inputs, outputs) = (input_names(lin), output_names(lout));
        let was_connected = self.input.is_some();
        let mut input_lost = false;
        let mut opened = false;

        match diff(
            self.input.as_ref().map(|(n, _)| n.as_str()),
            &inputs,
            &self.in_pattern,
        ) {
            None => {}
            Some(PortChange::Close) => {
                self.close_input();
                input_lost = true;
            }
            Some(PortChange::Open(n)) => opened |= self.open_input(&n),
            Some(PortChange::Reopen(n)) => {
                self.close_input();
                input_lost = true;
                opened |= self.open_input(&n);
            }
        }
        match diff(
            self.output.as_ref().map(|(n, _)| n.as_str()),
            &outputs,
            &self.out_pattern,
        ) {
            None => {}
            Some(PortChange::Close) => self.close_output(),
            Some(PortChange::Open(n)) => opened |= self.open_output(&n),
            Some(PortChange::Reopen(n)) => {
                self.close_output();
                opened |= self.open_output(&n);
            }
        }

        if was_connected && input_lost {
            self.status(PortEvent::Disconnected);
        }
        if let (Some((name, _)), true) = (&self.input, opened) {
            let name = name.clone();
            self.status(PortEvent::Connected { name });
        }
        true
    }

    fn open_input(&mut self, name: &str) -> bool {
        let result = MidiInput::new(CLIENT_NAME)
            .map_err(|e| e.to_string())
            .and_then(|mut client| {
                client.ignore(Ignore::None);
                let port = client
                    .ports()
                    .into_iter()
                    .find(|p| client.port_name(p).as_deref() == Ok(name))
                    .ok_or_else(|| "the port vanished".to_owned())?;
                let events = self.events.clone();
                let dropped = Arc::clone(&self.dropped_in);
                let callback = move |_stamp: u64, bytes: &[u8], parser: &mut MidiParser| {
                    let mut msgs = Vec::new();
                    parser.push(bytes, &mut msgs);
                    let at = Instant::now();
                    for message in msgs {
                        if events.try_send(PortEvent::Message { message, at }).is_err() {
                            dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                };
                client
                    .connect(&port, "pupitre-in", callback, MidiParser::new())
                    .map_err(|e| e.to_string())
            });
        let result = result.map(|c| self.input = Some((name.to_owned(), c)));
        self.opened("input", name, result)
    }

    fn open_output(&mut self, name: &str) -> bool {
        let result = MidiOutput::new(CLIENT_NAME)
            .map_err(|e| e.to_string())
            .and_then(|client| {
                let port = client
                    .ports()
                    .into_iter()
                    .find(|p| client.port_name(p).as_deref() == Ok(name))
                    .ok_or_else(|| "the port vanished".to_owned())?;
                client
                    .connect(&port, "pupitre-out")
                    .map_err(|e| e.to_string())
            });
        let result = result.map(|c| self.output = Some((name.to_owned(), c)));
        self.opened("output", name, result)
    }

    /// Log an open attempt (failures once per port name); true if it worked.
    fn opened(&mut self, direction: &str, name: &str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => {
                info!(direction, name, "MIDI port opened");
                self.failed = None;
                true
            }
            Err(e) => {
                if self.failed.as_deref() != Some(name) {
                    warn!(direction, name, error = %e, "cannot open MIDI port; retrying");
                    self.failed = Some(name.to_owned());
                }
                false
            }
        }
    }

    fn close_input(&mut self) {
        if let Some((name, conn)) = self.input.take() {
            let (_, parser) = conn.close();
            let dropped_in = self.dropped_in.swap(0, Ordering::Relaxed);
            info!(
                direction = "input",
                name,
                dropped_bytes = parser.dropped(),
                dropped_in,
                "MIDI port gone"
            );
        }
    }

    fn close_output(&mut self) {
        if let Some((name, conn)) = self.output.take() {
            conn.close();
            info!(direction = "output", name, "MIDI port gone");
        }
    }

    /// Report a status change; blocks this thread (never the runtime) if the surface lags.
    fn status(&self, e: PortEvent) {
        if self.events.blocking_send(e).is_err() {
            debug!("the surface dropped its port");
        }
    }

    /// Send outgoing bytes one message at a time; dropped while no output is open.
    fn send(&mut self, bytes: &[u8]) {
        let mut msgs = Vec::new();
        self.out_parser.push(bytes, &mut msgs);
        let Some((name, conn)) = &mut self.output else {
            trace!(messages = msgs.len(), "no output port: dropped");
            return;
        };
        for m in &msgs {
            if let Err(e) = conn.send(&to_bytes(m)) {
                debug!(name = %name, error = %e, message = %m, "MIDI send failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Nothing here needs a MIDI system: both outcomes are accepted where one is queried.
    use super::*;
    use crate::midi::port::{open, PortSpec};

    #[test]
    fn list_ports_never_panics() {
        match list_ports() {
            Ok(list) => println!("{list:?}"),
            Err(e) => assert!(e.to_string().starts_with("no MIDI system available: ")),
        }
    }

    #[tokio::test]
    async fn a_port_with_no_device_stops_cleanly() {
        let stop = CancellationToken::new();
        let spec = PortSpec::Midi {
            input: NamePattern::new("no such device, pupitre test").expect("pattern"),
            output: None,
        };
        let mut port = open(spec, stop.clone());
        port.send(vec![0x90, 60, 1]).expect("port open");
        stop.cancel();
        let end = tokio::time::timeout(Duration::from_secs(5), port.recv()).await;
        assert_eq!(end, Ok(None));
    }
}
