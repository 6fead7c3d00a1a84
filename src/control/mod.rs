//! The command line's way into a running service: a Unix socket in the state folder
//! (`control.sock`, owner-only) carrying one JSON [`Command`] per line and one JSON [`Reply`]
//! per line back. `pupitre scene …`, `reset` and `import` use it, so the running desk stays the
//! one owner of the values (and the journal shows `cli` as the origin).

use std::path::PathBuf;

use thiserror::Error;

use crate::state::{Command, Reply, StateDir};

/// The socket in a state folder.
pub fn socket_path(state: &StateDir) -> PathBuf {
    state.path().join("control.sock")
}

/// Longest request line: an imported document travels in one.
const MAX_LINE: usize = 32 * 1024 * 1024;

/// Why the running service could not be asked.
#[derive(Debug, Error)]
pub enum ControlError {
    /// Nothing listens: pupitre is not running with this state folder.
    #[error("pupitre is not running with the state folder {} (no answer on {})", .state.display(), .socket.display())]
    NotRunning {
        /// The state folder.
        state: PathBuf,
        /// The socket tried.
        socket: PathBuf,
    },
    /// The exchange failed half-way.
    #[error("talking to the running pupitre on {}: {source}", .socket.display())]
    Io {
        /// The socket.
        socket: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The answer was not a reply.
    #[error("the running pupitre answered something unreadable: {0}")]
    Garbled(String),
    /// Not on this system.
    #[error("the control socket needs a Unix system; run the command on the Pi itself")]
    Unsupported,
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{UnixListener, UnixStream};
    use tokio_util::sync::CancellationToken;
    use tracing::{debug, info, info_span, warn, Instrument};

    use crate::desk::Origin;
    use crate::state::MemoryHandle;

    /// Ask the service whose state folder is `state`.
    pub async fn ask(state: &StateDir, command: &Command) -> Result<Reply, ControlError> {
        let socket = socket_path(state);
        let io = |source| ControlError::Io {
            socket: socket.clone(),
            source,
        };
        let stream = match UnixStream::connect(&socket).await {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(ControlError::NotRunning {
                    state: state.path().to_owned(),
                    socket,
                })
            }
            Err(e) => return Err(io(e)),
        };
        let (read, mut write) = stream.into_split();
        let mut line =
            serde_json::to_string(command).map_err(|e| ControlError::Garbled(e.to_string()))?;
        line.push('\n');
        write.write_all(line.as_bytes()).await.map_err(io)?;
        write.shutdown().await.map_err(io)?;
        let mut answer = String::new();
        BufReader::new(read)
            .take(MAX_LINE as u64)
            .read_line(&mut answer)
            .await
            .map_err(io)?;
        serde_json::from_str(&answer).map_err(|e| ControlError::Garbled(e.to_string()))
    }

    /// Answer commands on the state folder's socket until `stop`; the socket file is removed
    /// at the end. A socket left by a crashed run is replaced; one a running pupitre answers on
    /// is left alone (and this one serves none).
    pub async fn serve(state: StateDir, memory: MemoryHandle, stop: CancellationToken) {
        let path = socket_path(&state);
        let span = info_span!("control", socket = %path.display());
        async move {
            if UnixStream::connect(&path).await.is_ok() {
                warn!("another pupitre already answers on this state folder's socket; the command line will talk to that one");
                return;
            }
            let _ = std::fs::remove_file(&path);
            if let Err(e) = std::fs::create_dir_all(state.path()) {
                warn!(error = %e, "cannot create the state folder; no control socket");
                return;
            }
            let listener = match UnixListener::bind(&path) {
                Ok(l) => l,
                Err(e) => {
                    warn!(error = %e, "cannot open the control socket; `pupitre scene …` will not reach this service");
                    return;
                }
            };
            if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
                warn!(error = %e, "cannot make the control socket owner-only");
            }
            info!("control socket open");
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    r = listener.accept() => match r {
                        Ok((stream, _)) => {
                            let memory = memory.clone();
                            tokio::spawn(answer(stream, memory));
                        }
                        Err(e) => {
                            warn!(error = %e, "control socket accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                    }
                }
            }
            let _ = std::fs::remove_file(&path);
            debug!("control socket closed");
        }
        .instrument(span)
        .await
    }

    async fn answer(stream: UnixStream, memory: MemoryHandle) {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let reply = match BufReader::new(read)
            .take(MAX_LINE as u64)
            .read_line(&mut line)
            .await
        {
            Err(e) => Reply::refused_with(format!("cannot read the request: {e}")),
            Ok(_) => match serde_json::from_str::<Command>(&line) {
                Err(e) => {
                    warn!(error = %e, "unreadable control request dropped");
                    Reply::refused_with(format!("unreadable request: {e}"))
                }
                Ok(command) => match memory.ask(command, Origin::Cli).await {
                    Ok(r) => r,
                    Err(_) => Reply::refused_with("the service is stopping".into()),
                },
            },
        };
        let mut text = serde_json::to_string(&reply)
            .unwrap_or_else(|_| "{\"ok\":false,\"message\":\"reply not serializable\"}".into());
        text.push('\n');
        let _ = write.write_all(text.as_bytes()).await;
        let _ = write.shutdown().await;
    }
}

#[cfg(unix)]
pub use unix::{ask, serve};

/// Ask the service whose state folder is `state` (Unix only).
#[cfg(not(unix))]
pub async fn ask(_state: &StateDir, _command: &Command) -> Result<Reply, ControlError> {
    Err(ControlError::Unsupported)
}
