//! The command line's way into a running service: a Unix socket in the state folder
//! (`control.sock`, owner-only) carrying one JSON [`Command`] per line and one JSON [`Reply`]
//! per line back. `pupitre scene …`, `reset` and `import` use it, so the running desk stays the
//! one owner of the values (and the journal shows `cli` as the origin).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::state::{Command, Reply, StateDir};

/// What `pupitre web …` asks the running service (a line `{"web": "pair"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "web", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WebCommand {
    /// A new pairing code; the reply's document is a [`PairingReply`].
    Pair,
    /// The paired browsers; the reply's document is their list.
    Tokens,
    /// Unpair by id or device name (`*`: all); their open pages close.
    Revoke {
        /// Id or device name.
        which: String,
    },
}

/// A pairing code, as the command line gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingReply {
    /// The digits.
    pub code: String,
    /// Seconds it stays valid.
    pub valid_s: u64,
    /// Addresses to open.
    pub urls: Vec<String>,
}

/// Answer a web command with the running remote (`None`: `[web]` is off).
pub fn answer_web(web: Option<&crate::web::WebHandle>, command: WebCommand) -> Reply {
    let Some(web) = web else {
        return Reply::refused_with(
            "the web remote is off in this service's config; add [web] enabled = true".into(),
        );
    };
    match command {
        WebCommand::Pair => {
            let offer = web.pair();
            let valid_s = offer
                .expires
                .saturating_duration_since(std::time::Instant::now())
                .as_secs();
            let reply = PairingReply {
                code: offer.code.clone(),
                valid_s,
                urls: offer.urls.clone(),
            };
            Reply {
                ok: true,
                message: format!("pairing code {} (valid {valid_s} s)", offer.spaced()),
                scenes: Vec::new(),
                document: serde_json::to_string(&reply).ok(),
            }
        }
        WebCommand::Tokens => match web.tokens() {
            Ok(list) => Reply {
                ok: true,
                message: format!("{} paired browser(s)", list.len()),
                scenes: Vec::new(),
                document: serde_json::to_string(&list).ok(),
            },
            Err(e) => Reply::refused_with(e.to_string()),
        },
        WebCommand::Revoke { which } => match web.revoke(&which) {
            Ok(gone) => Reply {
                ok: true,
                message: gone
                    .iter()
                    .map(|r| format!("unpaired {} ({})", r.device, r.id))
                    .collect::<Vec<_>>()
                    .join("\n"),
                scenes: Vec::new(),
                document: serde_json::to_string(&gone).ok(),
            },
            Err(e) => Reply::refused_with(e.to_string()),
        },
    }
}

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
    use crate::web::WebHandle;

    /// A web request names `"web"`; a memory one `"command"`.
    fn is_web(line: &str) -> bool {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
            .is_ok_and(|m| m.contains_key("web"))
    }

    /// Ask the service whose state folder is `state`.
    pub async fn ask(state: &StateDir, command: &Command) -> Result<Reply, ControlError> {
        let line =
            serde_json::to_string(command).map_err(|e| ControlError::Garbled(e.to_string()))?;
        ask_line(state, line).await
    }

    /// Ask the service's web remote.
    pub async fn ask_web(state: &StateDir, command: &WebCommand) -> Result<Reply, ControlError> {
        let line =
            serde_json::to_string(command).map_err(|e| ControlError::Garbled(e.to_string()))?;
        ask_line(state, line).await
    }

    async fn ask_line(state: &StateDir, mut line: String) -> Result<Reply, ControlError> {
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
    pub async fn serve(
        state: StateDir,
        memory: MemoryHandle,
        web: Option<WebHandle>,
        stop: CancellationToken,
    ) {
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
                            tokio::spawn(answer(stream, memory, web.clone()));
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

    async fn answer(stream: UnixStream, memory: MemoryHandle, web: Option<WebHandle>) {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let reply = match BufReader::new(read)
            .take(MAX_LINE as u64)
            .read_line(&mut line)
            .await
        {
            Err(e) => Reply::refused_with(format!("cannot read the request: {e}")),
            Ok(_) if is_web(&line) => match serde_json::from_str::<WebCommand>(&line) {
                Err(e) => {
                    warn!(error = %e, "unreadable control request dropped");
                    Reply::refused_with(format!("unreadable request: {e}"))
                }
                Ok(command) => answer_web(web.as_ref(), command),
            },
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
pub use unix::{ask, ask_web, serve};

/// Ask the service's web remote (Unix only).
#[cfg(not(unix))]
pub async fn ask_web(_state: &StateDir, _command: &WebCommand) -> Result<Reply, ControlError> {
    Err(ControlError::Unsupported)
}

/// Ask the service whose state folder is `state` (Unix only).
#[cfg(not(unix))]
pub async fn ask(_state: &StateDir, _command: &Command) -> Result<Reply, ControlError> {
    Err(ControlError::Unsupported)
}
