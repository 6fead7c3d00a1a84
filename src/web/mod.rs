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

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::broadcast;

pub use auth::{PairingOffer, TokenError, TokenRecord, TokenStore};

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
