//! Who may use the web remote: one-time pairing codes shown on the desk, long-lived tokens a
//! browser gets for one (kept only as SHA-256 hashes, in `web-tokens.json`), and a throttle on
//! failed codes.
//!
//! A token is 32 random bytes: hashing it with SHA-256 is enough to keep a stolen file useless
//! (a slow password hash only matters for secrets people choose).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Digits in a pairing code.
pub const CODE_DIGITS: usize = 6;
/// How long a pairing code may be used.
pub const CODE_VALID: Duration = Duration::from_secs(300);
/// Codes alive at once (each screen or `pupitre web pair` makes one); the oldest goes first.
const LIVE_CODES: usize = 4;
/// Failed codes a peer may try before it is made to wait.
pub const FREE_ATTEMPTS: u32 = 5;
/// The longest a peer is made to wait.
const MAX_LOCKOUT: Duration = Duration::from_secs(300);
/// Failed codes from everyone, within [`GLOBAL_WINDOW`], after which every live code is
/// burnt (someone is guessing from many addresses).
const GLOBAL_FAILURES: usize = 30;
const GLOBAL_WINDOW: Duration = Duration::from_secs(600);
/// Longest device name.
pub const DEVICE_NAME_MAX: usize = 40;
/// The token file in the state folder.
pub const TOKEN_FILE: &str = "web-tokens.json";
const TOKEN_FORMAT: &str = "pupitre-web-tokens";

/// A pairing code on offer, and where to use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingOffer {
    /// The code, digits only (`"042917"`).
    pub code: String,
    /// When it stops working.
    pub expires: Instant,
    /// Addresses a browser can open (`http://192.168.1.20:8032/`).
    pub urls: Vec<String>,
}

impl PairingOffer {
    /// The code split in two for reading aloud (`"042 917"`).
    pub fn spaced(&self) -> String {
        spaced(&self.code)
    }
}

/// A code split in two for reading aloud (`"042 917"`); any text, split by characters.
pub fn spaced(code: &str) -> String {
    let half = code.chars().count() / 2;
    let first: String = code.chars().take(half).collect();
    let second: String = code.chars().skip(half).collect();
    format!("{first} {second}")
}

/// The codes on offer.
#[derive(Debug, Default)]
pub struct Pairing {
    codes: VecDeque<(String, Instant)>,
}

impl Pairing {
    /// A fresh code, valid for [`CODE_VALID`] from `now`.
    pub fn offer(&mut self, now: Instant) -> (String, Instant) {
        self.forget_expired(now);
        let mut rng = rand::rng();
        let code: String = (0..CODE_DIGITS)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        let expires = now + CODE_VALID;
        if self.codes.len() >= LIVE_CODES {
            self.codes.pop_front();
        }
        self.codes.push_back((code.clone(), expires));
        (code, expires)
    }

    /// Use a code: true (and the code is gone) if it is on offer and not expired. Every live
    /// code is compared in full, so the time taken tells nothing of how close a guess was.
    pub fn redeem(&mut self, code: &str, now: Instant) -> bool {
        self.forget_expired(now);
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let mut found = None;
        for (i, (live, _)) in self.codes.iter().enumerate() {
            if same_bytes(live.as_bytes(), typed.as_bytes()) {
                found = Some(i);
            }
        }
        match found {
            Some(i) => {
                self.codes.remove(i);
                true
            }
            None => false,
        }
    }

    /// Burn every code (guessing from many addresses).
    pub fn burn_all(&mut self) {
        self.codes.clear();
    }

    /// Codes still on offer.
    pub fn live(&self, now: Instant) -> usize {
        self.codes.iter().filter(|(_, e)| *e > now).count()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.codes.retain(|(_, e)| *e > now);
    }
}

/// Compare without stopping at the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Failed codes, per peer and overall.
#[derive(Debug, Default)]
pub struct Throttle {
    peers: HashMap<IpAddr, Failures>,
    recent: VecDeque<Instant>,
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    until: Option<Instant>,
}

/// What the throttle says of a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Counted; the peer may try again now.
    Counted,
    /// The peer must wait this long.
    Wait(Duration),
    /// Too many failures from everyone: every code was burnt.
    BurnCodes,
}

impl Throttle {
    /// Whether `peer` may try a code now; if not, how long until it may.
    pub fn check(&mut self, peer: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.peers.get(&peer).and_then(|f| f.until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Count a wrong or expired code from `peer`. After [`FREE_ATTEMPTS`] the peer waits
    /// 1 s, then twice as long at each further failure, up to 5 minutes.
    pub fn failed(&mut self, peer: IpAddr, now: Instant) -> Verdict {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > GLOBAL_WINDOW)
        {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        // A long-gone peer's count does not grow forever (a map entry per address ever seen).
        if self.peers.len() > 4096 {
            self.peers
                .retain(|_, f| f.until.is_some_and(|u| u > now) || f.count > FREE_ATTEMPTS);
        }
        let f = self.peers.entry(peer).or_insert(Failures {
            count: 0,
            until: None,
        });
        f.count = f.count.saturating_add(1);
        let verdict = if f.count >= FREE_ATTEMPTS {
            let doublings = (f.count - FREE_ATTEMPTS).min(16);
            let wait = Duration::from_secs(1u64 << doublings).min(MAX_LOCKOUT);
            f.until = Some(now + wait);
            Verdict::Wait(wait)
        } else {
            Verdict::Counted
        };
        if self.recent.len() >= GLOBAL_FAILURES {
            self.recent.clear();
            return Verdict::BurnCodes;
        }
        verdict
    }

    /// A good code from `peer`: its count starts again.
    pub fn succeeded(&mut self, peer: IpAddr) {
        self.peers.remove(&peer);
    }
}

/// One paired browser, as kept on disk (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// A short id to name it by (`pupitre web tokens --revoke 3f9a01c2`).
    pub id: String,
    /// The name given when pairing (`web:<device>` in the journal).
    pub device: String,
    /// When it was paired (RFC 3339).
    pub created: String,
    /// SHA-256 of the token, hex.
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    format: String,
    version: u32,
    tokens: Vec<TokenRecord>,
}

/// Why the token file could not be used.
#[derive(Debug, Error)]
pub enum TokenError {
    /// Reading or writing it failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// It is not a token file.
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
    },
    /// A device name that cannot be used.
    #[error("{0}")]
    DeviceName(String),
    /// Nothing matched a revoke.
    #[error("no paired browser has the id or device name {0:?} (see `pupitre web tokens`)")]
    NoMatch(String),
}

/// The paired browsers: kept in `web-tokens.json` when there is a state folder, else for this
/// run only. The file is read again when it changes on disk (`pupitre web tokens --revoke`
/// with no service running, or an edit by hand).
#[derive(Debug)]
pub struct TokenStore {
    path: Option<PathBuf>,
    records: Vec<TokenRecord>,
    seen: Option<SystemTime>,
    broken: bool,
}

/// A device name as typed, trimmed and checked: 1–40 printable characters.
pub fn device_name(typed: &str) -> Result<String, TokenError> {
    let name = typed.trim();
    if name.is_empty() {
        return Err(TokenError::DeviceName(
            "give this browser a name (e.g. \"Anna's phone\")".into(),
        ));
    }
    if name.chars().count() > DEVICE_NAME_MAX {
        return Err(TokenError::DeviceName(format!(
            "a device name has at most {DEVICE_NAME_MAX} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(TokenError::DeviceName(
            "a device name cannot hold control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenStore {
    /// Tokens for this run only.
    pub fn in_memory() -> TokenStore {
        TokenStore {
            path: None,
            records: Vec::new(),
            seen: None,
            broken: false,
        }
    }

    /// The token file in `folder` (it need not exist yet).
    pub fn open(folder: &Path) -> Result<TokenStore, TokenError> {
        let mut store = TokenStore {
            path: Some(folder.join(TOKEN_FILE)),
            records: Vec::new(),
            seen: None,
            broken: false,
        };
        store.reload()?;
        Ok(store)
    }

    /// A store for a folder whose token file does not read: it refuses every token and reads
    /// the file again at each request, so fixing it lets the paired browsers back in.
    pub fn broken(folder: &Path) -> TokenStore {
        TokenStore {
            path: Some(folder.join(TOKEN_FILE)),
            records: Vec::new(),
            seen: None,
            broken: true,
        }
    }

    /// The file, if kept in one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Read the file again if it changed on disk. A file that does not read refuses every
    /// token until fixed (the error says where), rather than letting anyone in.
    pub fn refresh(&mut self) -> Result<(), TokenError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified != self.seen || self.broken {
            self.reload()?;
        }
        Ok(())
    }

    fn reload(&mut self) -> Result<(), TokenError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let io = |source| TokenError::Io {
            path: path.clone(),
            source,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.records.clear();
                self.seen = None;
                self.broken = false;
                return Ok(());
            }
            Err(e) => {
                self.records.clear();
                self.broken = true;
                return Err(io(e));
            }
        };
        self.seen = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        match parse_token_file(&text, &path) {
            Ok(records) => {
                self.records = records;
                self.broken = false;
                Ok(())
            }
            Err(e) => {
                self.records.clear();
                self.broken = true;
                Err(e)
            }
        }
    }

    fn save(&mut self) -> Result<(), TokenError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let file = TokenFile {
            format: TOKEN_FORMAT.into(),
            version: 1,
            tokens: self.records.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| TokenError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| TokenError::Io {
                path: path.clone(),
                source,
            })?;
        }
        crate::state::write_atomic(&path, text.as_bytes()).map_err(|source| TokenError::Io {
            path: path.clone(),
            source,
        })?;
        restrict(&path);
        self.seen = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        Ok(())
    }

    /// Pair a browser: a new token for `device`, kept (hashed) and returned once in clear.
    pub fn issue(&mut self, device: &str) -> Result<(String, TokenRecord), TokenError> {
        let device = device_name(device)?;
        // Pairing is refused rather than the broken file overwritten.
        self.refresh()?;
        let mut rng = rand::rng();
        let secret: [u8; 32] = rng.random();
        let token = hex(&secret);
        let id_bytes: [u8; 4] = rng.random();
        let record = TokenRecord {
            id: hex(&id_bytes),
            device,
            created: crate::state::now_rfc3339(),
            sha256: hash_token(&token),
        };
        self.records.push(record.clone());
        if let Err(e) = self.save() {
            self.records.pop();
            return Err(e);
        }
        Ok((token, record))
    }

    /// The paired browser this token belongs to, if it is still paired.
    pub fn check(&mut self, token: &str) -> Option<TokenRecord> {
        if let Err(e) = self.refresh() {
            tracing::error!("{e}; every web token is refused until the file is fixed or removed");
            return None;
        }
        let hash = hash_token(token);
        self.records
            .iter()
            .find(|r| same_bytes(r.sha256.as_bytes(), hash.as_bytes()))
            .cloned()
    }

    /// Whether the token with this id is still paired.
    pub fn holds(&mut self, id: &str) -> bool {
        if self.refresh().is_err() {
            return false;
        }
        self.records.iter().any(|r| r.id == id)
    }

    /// Every paired browser, oldest first.
    pub fn list(&mut self) -> Result<Vec<TokenRecord>, TokenError> {
        self.refresh()?;
        Ok(self.records.clone())
    }

    /// Unpair by id or device name (`*` for all); returns what was removed.
    pub fn revoke(&mut self, which: &str) -> Result<Vec<TokenRecord>, TokenError> {
        self.refresh()?;
        let (gone, kept): (Vec<_>, Vec<_>) = self
            .records
            .drain(..)
            .partition(|r| which == "*" || r.id == which || r.device == which);
        self.records = kept;
        if gone.is_empty() {
            return Err(TokenError::NoMatch(which.to_owned()));
        }
        if let Err(e) = self.save() {
            self.records.extend(gone);
            return Err(e);
        }
        Ok(gone)
    }
}

/// The token file owner-only: it proves nothing alone, but there is no reason to share it.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Read a token file's text; errors name the line and column.
pub fn parse_token_file(text: &str, path: &Path) -> Result<Vec<TokenRecord>, TokenError> {
    let syntax = |line, column, message: String| TokenError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let file: TokenFile = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; the prefix carries it already.
        let msg = msg
            .rsplit_once(" at line ")
            .map(|(m, _)| m.to_owned())
            .unwrap_or(msg);
        syntax(e.line(), e.column(), msg)
    })?;
    if file.format != TOKEN_FORMAT || file.version != 1 {
        return Err(syntax(
            1,
            1,
            format!(
                "expected format \"{TOKEN_FORMAT}\" version 1, found {:?} version {}",
                file.format, file.version
            ),
        ));
    }
    for r in &file.tokens {
        if r.sha256.len() != 64 || !r.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(syntax(
                1,
                1,
                format!(
                    "the token {:?} has no SHA-256 (64 hex digits) in \"sha256\"",
                    r.id
                ),
            ));
        }
    }
    Ok(file.tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_works_once_and_not_after_it_expires() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let (code, _) = p.offer(t0);
        assert_eq!(code.len(), CODE_DIGITS);
        assert!(!p.redeem("000000x", t0));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(p.redeem(&spaced, t0), "spaces are ignored");
        assert!(!p.redeem(&code, t0), "a code works once");
        let (late, _) = p.offer(t0);
        assert!(!p.redeem(&late, t0 + CODE_VALID + Duration::from_secs(1)));
        assert_eq!(p.live(t0), 0);
    }

    #[test]
    fn codes_read_in_two_halves_whatever_they_hold() {
        assert_eq!(spaced("042917"), "042 917");
        assert_eq!(spaced("ééé"), "é éé");
        assert_eq!(spaced(""), " ");
    }

    #[test]
    fn only_the_newest_codes_live() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let first = p.offer(t0).0;
        for _ in 0..LIVE_CODES {
            p.offer(t0);
        }
        assert_eq!(p.live(t0), LIVE_CODES);
        // The first may have been drawn again by chance; only check when it was not.
        if p.codes.iter().all(|(c, _)| *c != first) {
            assert!(!p.redeem(&first, t0));
        }
    }

    #[test]
    fn a_guessing_peer_waits_longer_each_time_and_others_do_not() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        let a: IpAddr = "10.0.0.2".parse().unwrap();
        let b: IpAddr = "10.0.0.3".parse().unwrap();
        for _ in 1..FREE_ATTEMPTS {
            assert_eq!(t.failed(a, t0), Verdict::Counted);
            assert!(t.check(a, t0).is_ok());
        }
        assert_eq!(t.failed(a, t0), Verdict::Wait(Duration::from_secs(1)));
        assert!(t.check(a, t0).is_err());
        assert!(t.check(b, t0).is_ok());
        let later = t0 + Duration::from_secs(2);
        assert!(t.check(a, later).is_ok());
        assert_eq!(t.failed(a, later), Verdict::Wait(Duration::from_secs(2)));
        t.succeeded(a);
        assert!(t.check(a, later).is_ok());
    }

    #[test]
    fn many_failures_from_everywhere_burn_the_codes() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        let verdicts: Vec<_> = (0..GLOBAL_FAILURES)
            .map(|i| t.failed(IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]), t0))
            .collect();
        assert_eq!(verdicts.last(), Some(&Verdict::BurnCodes));
        assert!(verdicts[..GLOBAL_FAILURES - 1]
            .iter()
            .all(|v| *v == Verdict::Counted));
    }

    #[test]
    fn tokens_are_kept_hashed_checked_and_revoked() {
        let dir = std::env::temp_dir().join(format!("pupitre-tokens-{}", rand::random::<u64>()));
        let mut store = TokenStore::open(&dir).unwrap();
        let (token, record) = store.issue("  Anna's phone ").unwrap();
        assert_eq!(record.device, "Anna's phone");
        let text = std::fs::read_to_string(dir.join(TOKEN_FILE)).unwrap();
        assert!(!text.contains(&token), "the token itself is never written");
        assert!(text.contains(&hash_token(&token)));
        assert_eq!(store.check(&token), Some(record.clone()));
        assert_eq!(store.check("not a token"), None);
        // Another reader (the command line) sees it, and its revoke reaches this one.
        let mut cli = TokenStore::open(&dir).unwrap();
        assert_eq!(cli.list().unwrap(), vec![record.clone()]);
        assert!(matches!(cli.revoke("nobody"), Err(TokenError::NoMatch(_))));
        assert_eq!(cli.revoke(&record.id).unwrap(), vec![record.clone()]);
        // The file's time may not move within the same clock tick; force a reread.
        store.seen = None;
        assert_eq!(store.check(&token), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_token_file_refuses_everyone_and_says_where() {
        let dir = std::env::temp_dir().join(format!("pupitre-tokens-{}", rand::random::<u64>()));
        let mut store = TokenStore::open(&dir).unwrap();
        let (token, _) = store.issue("tablet").unwrap();
        std::fs::write(
            dir.join(TOKEN_FILE),
            "{\n  \"format\": \"pupitre-web-tokens\",\n  \"version\": 1,\n  \"tokens\": [ { \"id\": 3 } ]\n}\n",
        )
        .unwrap();
        store.seen = None;
        assert_eq!(store.check(&token), None);
        let err = TokenStore::open(&dir).unwrap_err().to_string();
        assert!(err.contains("web-tokens.json:4:"), "{err}");
        assert!(
            store.issue("other").is_err(),
            "a broken file is not overwritten"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn device_names_are_checked() {
        assert!(device_name("").is_err());
        assert!(device_name(&"x".repeat(DEVICE_NAME_MAX + 1)).is_err());
        assert!(device_name("a\u{7}b").is_err());
        assert_eq!(device_name(" iPad ").unwrap(), "iPad");
    }

    proptest! {
        #[test]
        fn token_files_never_panic(text in ".{0,300}") {
            let _ = parse_token_file(&text, Path::new("t.json"));
        }

        #[test]
        fn codes_from_anyone_never_panic(code in ".{0,40}") {
            let mut p = Pairing::default();
            let t0 = Instant::now();
            p.offer(t0);
            let _ = p.redeem(&code, t0);
        }
    }
}
