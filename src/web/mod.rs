//! The web remote: the desk on a phone or another computer, served by the service itself
//! (axum on the service's tokio runtime; off unless `[web] enabled`).
//!
//! - `auth`: pairing codes, tokens kept hashed, the throttle on failed codes;
//! - `server`: routes, cookies, the `Origin` check, TLS;
//! - `session`: one websocket: the strips, meters, stabilizer, scenes and journal out; faders,
//!   mutes, solos, the stabilizer and scene recalls in, as intents with origin `web:<device>`;
//! - `protocol`: the messages, as types (`docs/web-protocol.md`);
//! - `view`: what the page shows, built from the config like the screen's strips.
//!
//! The page itself (`ui/web/`) is compiled into the binary: no CDN, nothing fetched elsewhere.

pub mod auth;
pub mod protocol;
mod server;
mod session;
pub mod view;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use auth::{PairingOffer, TokenError, TokenRecord, TokenStore};
pub use server::{TlsFiles, COOKIE, MAX_PAGES};
pub use view::{ViewInputs, METER_TICK};

use crate::desk::DeskHandle;

/// The default port (a free one among common audio tools: X32 10023, CamillaDSP 1234,
/// CamillaGUI 5005).
pub const DEFAULT_PORT: u16 = 8032;

/// How the web remote is set up (`[web]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// TLS, with the user's certificate and key.
    pub tls: Option<TlsFiles>,
    /// Origins besides the server's own that may open the websocket (a reverse proxy's).
    pub allowed_origins: Vec<String>,
}

/// What the server's parts share: codes, the throttle, the tokens, and where it listens.
#[derive(Debug)]
struct Shared {
    pairing: Mutex<auth::Pairing>,
    throttle: Mutex<auth::Throttle>,
    tokens: Mutex<TokenStore>,
    urls: Vec<String>,
    local_addr: SocketAddr,
    /// Ids of revoked tokens: their open websockets close at once.
    revoked: broadcast::Sender<String>,
}

/// A handle on the running web remote: pairing codes for the screen and the command line,
/// the paired browsers, and where it listens.
#[derive(Clone, Debug)]
pub struct WebHandle {
    shared: Arc<Shared>,
}

/// Lock, even if a holder panicked (the data are codes and counters; a half-done update
/// cannot break an invariant worth more than the remote staying up).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WebHandle {
    fn new(tokens: TokenStore, local_addr: SocketAddr, urls: Vec<String>) -> WebHandle {
        WebHandle {
            shared: Arc::new(Shared {
                pairing: Mutex::new(auth::Pairing::default()),
                throttle: Mutex::new(auth::Throttle::default()),
                tokens: Mutex::new(tokens),
                urls,
                local_addr,
                revoked: broadcast::channel(16).0,
            }),
        }
    }

    /// Listen, and serve until `stop`: the handle and the server's future (run it on the
    /// runtime). Fails at once when the address is taken or the certificate does not read.
    pub fn start(
        settings: &WebSettings,
        view: ViewInputs,
        state: Option<&Path>,
        stop: CancellationToken,
    ) -> anyhow::Result<(WebHandle, impl Future<Output = ()> + Send + 'static)> {
        let tokens = match state {
            Some(dir) => TokenStore::open(dir).unwrap_or_else(|e| {
                warn!("{e}; every web token is refused until the file is fixed or removed");
                // Kept pointing at the file, so fixing it lets paired browsers back in.
                TokenStore::broken(dir)
            }),
            None => {
                warn!("no state folder: web pairings last until the service stops");
                TokenStore::in_memory()
            }
        };
        let tls = settings.tls.as_ref().map(server::tls_config).transpose()?;
        let listener = std::net::TcpListener::bind(settings.listen)
            .with_context(|| format!("the web remote cannot listen on {}", settings.listen))?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let urls = urls(local_addr, tls.is_some());
        let web = WebHandle::new(tokens, local_addr, urls);
        let desk: DeskHandle = view.desk.clone();
        let (view, follow) = view::View::start(view, stop.clone());
        let app = server::App {
            web: web.clone(),
            desk,
            view,
            tls: tls.is_some(),
            allowed_origins: Arc::new(settings.allowed_origins.clone()),
            pages: Arc::new(AtomicUsize::new(0)),
            stop: stop.clone(),
        };
        let service = server::router(app).into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let serving = {
            let handle = handle.clone();
            let tls = tls.clone();
            async move {
                let served = match tls {
                    Some(config) => {
                        let config = axum_server::tls_rustls::RustlsConfig::from_config(config);
                        match axum_server::tls_rustls::from_tcp_rustls(listener, config) {
                            Ok(s) => s.handle(handle).serve(service).await,
                            Err(e) => Err(e),
                        }
                    }
                    None => match axum_server::from_tcp(listener) {
                        Ok(s) => s.handle(handle).serve(service).await,
                        Err(e) => Err(e),
                    },
                };
                if let Err(e) = served {
                    warn!(error = %e, "the web remote stopped serving");
                }
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        info!(address = %local_addr, "web remote listening on {scheme}://{local_addr}/ (pair with `pupitre web pair` or the screen's Phone button)");
        let run = async move {
            let stopper = async move {
                stop.cancelled().await;
                // Open pages are told first (their sessions see `stop`); then the server ends.
                handle.graceful_shutdown(Some(Duration::from_millis(500)));
            };
            tokio::join!(serving, follow, stopper);
        };
        Ok((web, run))
    }

    /// A handle with no server behind it, for the screen's tests and screenshots.
    pub fn detached(urls: Vec<String>) -> WebHandle {
        WebHandle::new(
            TokenStore::in_memory(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
            urls,
        )
    }

    /// A new one-time pairing code (valid 5 minutes) and the addresses to open.
    pub fn pair(&self) -> PairingOffer {
        let (code, expires) = lock(&self.shared.pairing).offer(Instant::now());
        tracing::info!(
            valid_s = auth::CODE_VALID.as_secs(),
            "web pairing code offered"
        );
        PairingOffer {
            code,
            expires,
            urls: self.shared.urls.clone(),
        }
    }

    /// Pair a browser with a code on offer: its new token (in clear, once, for its cookie) and
    /// record, or `None` when the code is wrong, used or expired. The name is checked before
    /// the code is used, so a bad name does not burn it; the throttle is the caller's.
    pub fn redeem(
        &self,
        code: &str,
        device: &str,
    ) -> Result<Option<(String, TokenRecord)>, TokenError> {
        let device = auth::device_name(device)?;
        if !lock(&self.shared.pairing).redeem(code, Instant::now()) {
            return Ok(None);
        }
        lock(&self.shared.tokens).issue(&device).map(Some)
    }

    /// Where the server listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The addresses a browser can open.
    pub fn urls(&self) -> &[String] {
        &self.shared.urls
    }

    /// The paired browsers.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, TokenError> {
        lock(&self.shared.tokens).list()
    }

    /// Unpair by id or device name (`*`: all); their open pages are closed at once.
    pub fn revoke(&self, which: &str) -> Result<Vec<TokenRecord>, TokenError> {
        let gone = lock(&self.shared.tokens).revoke(which)?;
        for r in &gone {
            tracing::info!(device = %r.device, id = %r.id, "web browser unpaired");
            let _ = self.shared.revoked.send(r.id.clone());
        }
        Ok(gone)
    }
}

/// The addresses a phone can open: each of the machine's own when listening on all of them
/// (its main address and `HOSTNAME.local`), else the one given.
fn urls(local: SocketAddr, tls: bool) -> Vec<String> {
    let scheme = if tls { "https" } else { "http" };
    let port = local.port();
    let at = |host: String| format!("{scheme}://{host}:{port}/");
    if !local.ip().is_unspecified() {
        return vec![at(host_text(local.ip()))];
    }
    let mut out = Vec::new();
    if let Some(ip) = main_address() {
        out.push(at(host_text(ip)));
    }
    if let Some(name) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && n != "localhost")
    {
        out.push(at(format!("{name}.local")));
    }
    if out.is_empty() {
        out.push(at("127.0.0.1".into()));
    }
    out
}

fn host_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    }
}

/// The address other machines reach this one by: the source address the system picks for a
/// route off the machine. Connecting a UDP socket sends nothing; it only asks the routing
/// table.
fn main_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    // TEST-NET-1 (RFC 5737): never routed anywhere, only looked up.
    socket.connect(("192.0.2.1", 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}
