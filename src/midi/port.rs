//! The transport every MIDI surface talks through: a [`MidiPort`] yields [`PortEvent`]s
//! (connected, disconnected, messages) and takes raw bytes to send. One task per port owns the
//! device and survives unplug/replug, so a surface only has to resend its whole feedback state
//! on every [`PortEvent::Connected`].
//!
//! Channel policy: events are a bounded queue the surface drains; outgoing bytes are a bounded
//! queue that never blocks the surface: when it is full the bytes are dropped and counted
//! (feedback is coalesced upstream and resent whole on reconnect).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::codec::{to_bytes, MidiMessage, MidiParser};
use super::names::NamePattern;
use super::net::NetSettings;

/// Events a port can hold before its task waits for the surface.
pub const EVENT_CAPACITY: usize = 1024;
/// Outgoing chunks a port can hold before `send` starts dropping.
pub const OUT_CAPACITY: usize = 512;

/// What a surface receives from its device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortEvent {
    /// The device is (again) reachable: send it the whole feedback state.
    Connected {
        /// The device's port name (or the network link), for logs and the UI.
        name: String,
    },
    /// The device went away; bytes sent now are lost.
    Disconnected,
    /// A message from the device.
    Message {
        /// The message.
        message: MidiMessage,
        /// When it arrived, so glue logic can take time as an argument.
        at: Instant,
    },
}

/// The port's task has stopped (the stop token was cancelled).
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("the MIDI port has stopped")]
pub struct PortClosed;

/// A device connection that survives unplug/replug: events in, raw bytes out.
#[derive(Debug)]
pub struct MidiPort {
    events: mpsc::Receiver<PortEvent>,
    out: mpsc::Sender<Vec<u8>>,
    /// Outgoing chunks dropped because the queue was full.
    dropped: Arc<AtomicU64>,
}

/// The task's side of a port: where it puts events and takes outgoing bytes.
#[derive(Debug)]
pub(crate) struct PortLink {
    pub(crate) events: mpsc::Sender<PortEvent>,
    pub(crate) out: mpsc::Receiver<Vec<u8>>,
}

/// A connected pair: the surface's [`MidiPort`] and the transport's [`PortLink`].
pub(crate) fn channel() -> (MidiPort, PortLink) {
    let (events_tx, events_rx) = mpsc::channel(EVENT_CAPACITY);
    let (out_tx, out_rx) = mpsc::channel(OUT_CAPACITY);
    (
        MidiPort {
            events: events_rx,
            out: out_tx,
            dropped: Arc::new(AtomicU64::new(0)),
        },
        PortLink {
            events: events_tx,
            out: out_rx,
        },
    )
}

impl MidiPort {
    /// The next event; `None` once the port's task has stopped.
    pub async fn recv(&mut self) -> Option<PortEvent> {
        self.events.recv().await
    }

    /// Queue raw MIDI bytes (whole messages) for the device. Never blocks: when the queue is
    /// full the bytes are dropped and counted in [`MidiPort::dropped_sends`].
    pub fn send(&self, bytes: Vec<u8>) -> Result<(), PortClosed> {
        match self.out.try_send(bytes) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(PortClosed),
        }
    }

    /// Queue one message (see [`MidiPort::send`]).
    pub fn send_message(&self, message: &MidiMessage) -> Result<(), PortClosed> {
        self.send(to_bytes(message))
    }

    /// Outgoing chunks dropped so far because the queue was full.
    pub fn dropped_sends(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// A port wired to an in-memory device, for tests.
    pub fn in_memory() -> (MidiPort, MemoryDevice) {
        let (port, link) = channel();
        (
            port,
            MemoryDevice {
                link,
                parser: MidiParser::new(),
            },
        )
    }
}

/// The device end of [`MidiPort::in_memory`]: plays the device in tests.
#[derive(Debug)]
pub struct MemoryDevice {
    link: PortLink,
    /// Bytes the device "sends" go through a real stream parser, as from hardware.
    parser: MidiParser,
}

impl MemoryDevice {
    /// Announce the device as plugged in.
    pub async fn connect(&self, name: &str) -> Result<(), PortClosed> {
        self.event(PortEvent::Connected {
            name: name.to_owned(),
        })
        .await
    }

    /// Announce the device as unplugged.
    pub async fn disconnect(&self) -> Result<(), PortClosed> {
        self.event(PortEvent::Disconnected).await
    }

    /// Send bytes as the device; each complete message becomes a [`PortEvent::Message`].
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), PortClosed> {
        let mut msgs = Vec::new();
        self.parser.push(bytes, &mut msgs);
        let at = Instant::now();
        for message in msgs {
            self.event(PortEvent::Message { message, at }).await?;
        }
        Ok(())
    }

    /// The next chunk the port sent; `None` once the port is dropped.
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        self.link.out.recv().await
    }

    /// A chunk the port sent, if one is waiting.
    pub fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.link.out.try_recv().ok()
    }

    async fn event(&self, e: PortEvent) -> Result<(), PortClosed> {
        self.link.events.send(e).await.map_err(|_| PortClosed)
    }
}

/// Which device a port connects to.
#[derive(Clone, Debug)]
pub enum PortSpec {
    /// A MIDI device of the system (ALSA, CoreMIDI, WinMM) found by port name.
    Midi {
        /// Pattern for the input port.
        input: NamePattern,
        /// Pattern for the output port; `None` uses the input pattern (most controllers
        /// name both directions alike).
        output: Option<NamePattern>,
    },
    /// Raw MIDI over UDP.
    Network(NetSettings),
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Midi {
                input,
                output: None,
            } => write!(f, "midi \"{input}\""),
            PortSpec::Midi {
                input,
                output: Some(o),
            } => write!(f, "midi in \"{input}\" out \"{o}\""),
            PortSpec::Network(n) => write!(f, "udp {} ⇄ {}", n.listen, n.peer),
        }
    }
}

/// Open a port: spawns the task (or thread, for midir) that manages the connection until
/// `stop` is cancelled or the [`MidiPort`] is dropped. Must be called inside a tokio runtime.
pub fn open(spec: PortSpec, stop: CancellationToken) -> MidiPort {
    let (port, link) = channel();
    match spec {
        PortSpec::Midi { input, output } => {
            super::midir_port::spawn(input, output, link, stop);
        }
        PortSpec::Network(settings) => super::net::spawn(settings, None, link, stop),
    }
    port
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::codec::parse_all;

    #[tokio::test]
    async fn memory_device_both_ways() {
        let (mut port, mut dev) = MidiPort::in_memory();
        dev.connect("X-TOUCH MINI").await.unwrap();
        dev.send(&[0xB0, 1, 64, 2]).await.unwrap();
        dev.send(&[65]).await.unwrap();
        assert_eq!(
            port.recv().await,
            Some(PortEvent::Connected {
                name: "X-TOUCH MINI".into()
            })
        );
        for expect in ["CC ch1 #1 = 64", "CC ch1 #2 = 65"] {
            match port.recv().await {
                Some(PortEvent::Message { message, .. }) => {
                    assert_eq!(message.to_string(), expect)
                }
                other => panic!("expected a message, got {other:?}"),
            }
        }
        dev.disconnect().await.unwrap();
        assert_eq!(port.recv().await, Some(PortEvent::Disconnected));

        let msg = parse_all(&[0x90, 60, 127]).remove(0);
        port.send_message(&msg).unwrap();
        assert_eq!(dev.recv().await, Some(vec![0x90, 60, 127]));
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts() {
        let (port, mut dev) = MidiPort::in_memory();
        for _ in 0..OUT_CAPACITY + 3 {
            port.send(vec![0xF8]).unwrap();
        }
        assert_eq!(port.dropped_sends(), 3);
        let mut n = 0;
        while dev.try_recv().is_some() {
            n += 1;
        }
        assert_eq!(n, OUT_CAPACITY);
    }

    #[tokio::test]
    async fn send_after_the_task_is_gone_is_an_error() {
        let (mut port, dev) = MidiPort::in_memory();
        drop(dev);
        assert_eq!(port.send(vec![0xF8]), Err(PortClosed));
        assert_eq!(port.recv().await, None);
    }
}
