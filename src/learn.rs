//! `pupitre learn`: listen on a MIDI port and print a `[[control]]` snippet for each control
//! the user moves, as soon as it settles. The guessing is [`crate::mapping::Learner`] (pure);
//! this module only runs it on a port.
//!
//! Everything goes to one writer (stdout in the CLI), so the output can be pasted or
//! redirected into a mapping file as is: snippets are TOML, status lines are TOML comments.

use std::io::Write;
use std::time::Duration;

use thiserror::Error;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::mapping::{snippet, Learned, Learner};
use crate::midi::{self, MidiError, MidiPort, PortEvent, PortSpec};
use crate::surface::short_message;

/// Why learning could not run.
#[derive(Debug, Error)]
pub enum LearnError {
    /// The system's MIDI cannot be used (the port layer's error, with its hint).
    #[error(transparent)]
    NoMidi(#[from] MidiError),
    /// Writing the snippets failed (stdout closed?).
    #[error("cannot write the snippets: {0}")]
    Output(#[from] std::io::Error),
}

/// Open `spec` and learn until `stop` is cancelled; each control's snippet goes to `out` as
/// soon as it settles. For a system MIDI port, a missing MIDI system is an error at once
/// (rather than the port layer's patient retry): there is nothing to learn from.
pub async fn run(
    spec: PortSpec,
    settle: Duration,
    stop: CancellationToken,
    out: &mut (dyn Write + Send),
) -> Result<(), LearnError> {
    if let PortSpec::Midi { input, .. } = &spec {
        let listed = tokio::task::spawn_blocking(midi::list_ports)
            .await
            .map_err(|e| MidiError::NoMidiSystem(format!("the port listing failed: {e}")))??;
        if !listed.inputs.iter().any(|n| input.matches(n)) {
            let available = if listed.inputs.is_empty() {
                "none".to_owned()
            } else {
                listed.inputs.join(", ")
            };
            writeln!(
                out,
                "# no MIDI input matches \"{input}\" yet (inputs now: {available}); waiting for it"
            )?;
            out.flush()?;
        }
    }
    let port = midi::open(spec, stop.clone());
    listen(port, settle, stop, out).await
}

/// Learn from an open port until `stop` is cancelled or the port stops. A control still
/// moving when learning stops is printed too.
pub async fn listen(
    mut port: MidiPort,
    settle: Duration,
    stop: CancellationToken,
    out: &mut (dyn Write + Send),
) -> Result<(), LearnError> {
    let mut learner = Learner::new(settle);
    loop {
        let wake = learner.deadline().map(Instant::from_std);
        tokio::select! {
            _ = stop.cancelled() => break,
            ev = port.recv() => match ev {
                None => break,
                Some(PortEvent::Connected { name }) => {
                    writeln!(out, "# listening on {name}; move one control at a time")?;
                    out.flush()?;
                }
                Some(PortEvent::Disconnected) => {
                    writeln!(out, "# the device went away; waiting for it")?;
                    out.flush()?;
                }
                Some(PortEvent::Message { message, at }) => {
                    let Some(msg) = short_message(&message) else {
                        debug!(%message, "not a channel message; ignored");
                        continue;
                    };
                    if let Some(l) = learner.feed(&msg, at.into_std()) {
                        print(out, &l)?;
                    }
                }
            },
            _ = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                // tokio's clock, as the port stamps messages with it (and tests pause it).
                if let Some(l) = learner.poll(Instant::now().into_std()) {
                    print(out, &l)?;
                }
            }
        }
    }
    if let Some(l) = learner.finish() {
        print(out, &l)?;
    }
    Ok(())
}

fn print(out: &mut (dyn Write + Send), learned: &Learned) -> std::io::Result<()> {
    writeln!(out, "\n{}", snippet(learned))?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::SETTLE;

    /// A writer the test can read while `listen` holds it.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_button_then_a_fader_each_print_a_snippet_when_they_settle() {
        let (port, mut dev) = MidiPort::in_memory();
        let stop = CancellationToken::new();
        let out = Shared::default();
        let mut w = out.clone();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move { listen(port, SETTLE, stop, &mut w).await }
        });
        dev.connect("X-TOUCH MINI").await.unwrap();
        dev.send(&[0x9A, 8, 127, 0x8A, 8, 0]).await.unwrap();
        tokio::time::sleep(SETTLE * 2).await;
        assert!(
            out.text().contains("listening on X-TOUCH MINI"),
            "{}",
            out.text()
        );
        assert!(
            out.text().contains("source = { note = 8, channel = 11 }"),
            "{}",
            out.text()
        );
        for v in (0..=127).step_by(16) {
            dev.send(&[0xBA, 9, v]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Stopping prints the control still moving.
        stop.cancel();
        task.await.unwrap().unwrap();
        let text = out.text();
        assert!(text.contains("source = { cc = 9, channel = 11 }"), "{text}");
        assert!(text.contains("character = \"range\""), "{text}");
    }
}
