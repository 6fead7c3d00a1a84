//! The HTTP side: routes, the cookie, the `Origin` check, security headers, TLS.
//!
//! Without a valid token only the pairing page (and its stylesheet) answer; everything else is
//! a redirect to it (pages) or 401 (the rest, the websocket).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::auth::{self, TokenRecord, Verdict};
use super::protocol::MAX_CLIENT_MESSAGE;
use super::session::{self, SessionContext};
use super::view::View;
use super::{lock, WebHandle};
use crate::desk::DeskHandle;

/// The cookie's name.
pub const COOKIE: &str = "pupitre";
/// A paired browser keeps its token a year (or until unpaired).
const COOKIE_MAX_AGE_S: u64 = 365 * 24 * 3600;
/// Open pages at once; more are refused (503) rather than slow everyone.
pub const MAX_PAGES: usize = 32;
/// Largest request body (the pairing form is under 100 bytes).
const MAX_BODY: usize = 2048;

const INDEX_HTML: &str = include_str!("../../ui/web/index.html");
const APP_JS: &str = include_str!("../../ui/web/app.js");
const APP_CSS: &str = include_str!("../../ui/web/app.css");
const LOGIN_HTML: &str = include_str!("../../ui/web/login.html");
const LOGIN_CSS: &str = include_str!("../../ui/web/login.css");

/// Scripts, styles, pictures and connections from this origin only; never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// What the routes share.
#[derive(Clone)]
pub(super) struct App {
    pub web: WebHandle,
    pub desk: DeskHandle,
    pub view: View,
    pub tls: bool,
    pub allowed_origins: Arc<Vec<String>>,
    pub pages: Arc<AtomicUsize>,
    pub stop: CancellationToken,
}

/// The routes.
pub(super) fn router(app: App) -> Router {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login.css", get(login_css))
        // Browsers ask for it on every site; nothing to hide, nothing to show.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/", get(index))
        .route("/app.js", get(app_js))
        .route("/app.css", get(app_css))
        .route("/session", get(session_info))
        .route("/logout", post(logout))
        .route("/ws", get(websocket))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not "no-referrer": with it Chromium sends `Origin: null` on the pairing form's post.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The token in the request's cookies, if any.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

impl App {
    /// The paired browser making this request.
    fn paired(&self, headers: &HeaderMap) -> Option<TokenRecord> {
        let token = cookie_token(headers)?;
        // A token is 64 hex digits; anything else is not worth hashing.
        if token.len() != 64 {
            return None;
        }
        lock(&self.web.shared.tokens).check(token)
    }

    /// Whether `Origin` names this server (as the browser reached it) or an allowed origin.
    /// A request with no `Origin` passes only where `required` is false (a plain form post
    /// from an old browser); a websocket always has one.
    fn origin_ok(&self, headers: &HeaderMap, required: bool) -> bool {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            return !required;
        };
        let scheme = if self.tls { "https" } else { "http" };
        let same = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")));
        same || self.allowed_origins.iter().any(|o| o == origin)
    }

    fn cookie(&self, token: &str, max_age: u64) -> HeaderValue {
        let secure = if self.tls { "; Secure" } else { "" };
        let text = format!(
            "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The language of the pairing page: French when the browser asks for it first.
fn language(headers: &HeaderMap) -> &'static str {
    let first = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .unwrap_or("");
    if first.trim().to_ascii_lowercase().starts_with("fr") {
        "fr"
    } else {
        "en"
    }
}

/// Escape text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Why the pairing page is shown again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    WrongCode,
    Throttled(u64),
    BadName,
    NotSaved,
    ForeignOrigin,
}

fn login_text(lang: &str, key: &str) -> &'static str {
    let fr = lang == "fr";
    match (key, fr) {
        ("title", false) => "Pair this browser — pupitre",
        ("title", true) => "Associer ce navigateur — pupitre",
        ("heading", false) => "Pair this browser with the desk",
        ("heading", true) => "Associer ce navigateur à la console",
        ("hint", false) => "On the desk's screen, tap “Phone” (or run “pupitre web pair” on the Pi) and type the code it shows. It works once, for 5 minutes.",
        ("hint", true) => "Sur l’écran de la console, touchez « Téléphone » (ou lancez « pupitre web pair » sur le Pi) et tapez le code affiché. Il sert une fois, pendant 5 minutes.",
        ("code", false) => "Pairing code",
        ("code", true) => "Code d’association",
        ("device", false) => "Name for this device",
        ("device", true) => "Nom de cet appareil",
        ("device_hint", false) => "e.g. Anna's phone — the journal shows it",
        ("device_hint", true) => "p. ex. Téléphone d’Anna — le journal l’affiche",
        ("submit", false) => "Pair",
        ("submit", true) => "Associer",
        ("wrong", false) => "That code is wrong or has expired. Ask the desk for a new one.",
        ("wrong", true) => "Ce code est faux ou a expiré. Demandez-en un nouveau à la console.",
        ("throttled", false) => "Too many wrong codes. Wait {s} s before trying again.",
        ("throttled", true) => "Trop de codes faux. Attendez {s} s avant de réessayer.",
        ("badname", false) => "Give this device a name of 1 to 40 characters.",
        ("badname", true) => "Donnez à cet appareil un nom de 1 à 40 caractères.",
        ("notsaved", false) => "The desk could not keep the pairing (see its log). Try again.",
        ("notsaved", true) => "La console n’a pas pu garder l’association (voir son journal). Réessayez.",
        ("origin", false) => "This form must be sent from the desk's own page.",
        ("origin", true) => "Ce formulaire doit être envoyé depuis la page de la console.",
        _ => "",
    }
}

fn login_response(
    status: StatusCode,
    lang: &str,
    refused: Option<Refused>,
    device: &str,
) -> Response {
    let t = |k| login_text(lang, k);
    let error = match refused {
        None => String::new(),
        Some(r) => {
            let msg = match r {
                Refused::WrongCode => t("wrong").to_owned(),
                Refused::Throttled(s) => t("throttled").replace("{s}", &s.to_string()),
                Refused::BadName => t("badname").to_owned(),
                Refused::NotSaved => t("notsaved").to_owned(),
                Refused::ForeignOrigin => t("origin").to_owned(),
            };
            format!("<p id=\"error\" role=\"alert\">{}</p>", escape(&msg))
        }
    };
    let html = LOGIN_HTML
        .replace("{{lang}}", lang)
        .replace("{{title}}", t("title"))
        .replace("{{heading}}", t("heading"))
        .replace("{{hint}}", t("hint"))
        .replace("{{code}}", t("code"))
        .replace("{{device}}", t("device"))
        .replace("{{device_hint}}", t("device_hint"))
        .replace("{{device_value}}", &escape(device))
        .replace("{{submit}}", t("submit"))
        .replace("{{error}}", &error);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    if let Some(Refused::Throttled(s)) = refused {
        if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn login_page(headers: HeaderMap) -> Response {
    login_response(StatusCode::OK, language(&headers), None, "")
}

async fn login_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        LOGIN_CSS,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct PairForm {
    code: String,
    device: String,
}

async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<PairForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = language(&headers);
    if !app.origin_ok(&headers, false) {
        warn!(%peer, "pairing form from a foreign page refused");
        return login_response(
            StatusCode::FORBIDDEN,
            lang,
            Some(Refused::ForeignOrigin),
            "",
        );
    }
    let ip = canonical(peer.ip());
    let now = Instant::now();
    if let Err(wait) = lock(&app.web.shared.throttle).check(ip, now) {
        let s = wait.as_secs() + 1;
        debug!(%ip, wait_s = s, "pairing attempt while throttled");
        return login_response(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            Some(Refused::Throttled(s)),
            "",
        );
    }
    let Ok(Form(form)) = form else {
        return login_response(StatusCode::BAD_REQUEST, lang, Some(Refused::WrongCode), "");
    };
    let device = match auth::device_name(&form.device) {
        Ok(d) => d,
        Err(_) => return login_response(StatusCode::BAD_REQUEST, lang, Some(Refused::BadName), ""),
    };
    match app.web.redeem(&form.code, &device) {
        Ok(Some((token, record))) => {
            lock(&app.web.shared.throttle).succeeded(ip);
            info!(device = %record.device, id = %record.id, %ip, "web browser paired");
            let mut response = Redirect::to("/").into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, app.cookie(&token, COOKIE_MAX_AGE_S));
            response
        }
        Ok(None) => {
            let verdict = lock(&app.web.shared.throttle).failed(ip, now);
            match verdict {
                Verdict::Counted => info!(%ip, "wrong web pairing code"),
                Verdict::Wait(w) => {
                    warn!(%ip, wait_s = w.as_secs(), "wrong web pairing codes again; this address waits")
                }
                Verdict::BurnCodes => {
                    lock(&app.web.shared.pairing).burn_all();
                    warn!("many wrong web pairing codes from several addresses; every code on offer was cancelled")
                }
            }
            login_response(
                StatusCode::UNAUTHORIZED,
                lang,
                Some(Refused::WrongCode),
                &device,
            )
        }
        Err(e) => {
            warn!("cannot keep a web pairing: {e}");
            login_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                Some(Refused::NotSaved),
                &device,
            )
        }
    }
}

/// IPv4 seen through an IPv6 socket counts as IPv4 (one throttle entry per address).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not paired: open /login\n",
    )
        .into_response()
}

async fn index(State(app): State<App>, headers: HeaderMap) -> Response {
    if app.paired(&headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        INDEX_HTML,
    )
        .into_response()
}

async fn app_js(State(app): State<App>, headers: HeaderMap) -> Response {
    if app.paired(&headers).is_none() {
        return unauthorized();
    }
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

async fn app_css(State(app): State<App>, headers: HeaderMap) -> Response {
    if app.paired(&headers).is_none() {
        return unauthorized();
    }
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

async fn session_info(State(app): State<App>, headers: HeaderMap) -> Response {
    match app.paired(&headers) {
        Some(r) => {
            axum::Json(serde_json::json!({ "device": r.device, "id": r.id })).into_response()
        }
        None => unauthorized(),
    }
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    if !app.origin_ok(&headers, false) {
        return (StatusCode::FORBIDDEN, "foreign origin\n").into_response();
    }
    let Some(record) = app.paired(&headers) else {
        return unauthorized();
    };
    if let Err(e) = app.web.revoke(&record.id) {
        warn!("cannot forget the web browser {}: {e}", record.device);
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, app.cookie("", 0));
    response
}

async fn fallback(State(app): State<App>, method: Method, headers: HeaderMap) -> Response {
    if app.paired(&headers).is_none() {
        return if method == Method::GET {
            Redirect::to("/login").into_response()
        } else {
            unauthorized()
        };
    }
    (StatusCode::NOT_FOUND, "no such page\n").into_response()
}

async fn websocket(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if !app.origin_ok(&headers, true) {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)");
        warn!(%peer, origin, "websocket from a foreign origin refused");
        return (StatusCode::FORBIDDEN, "foreign origin\n").into_response();
    }
    let Some(record) = app.paired(&headers) else {
        debug!(%peer, "websocket without a valid token refused");
        return unauthorized();
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    // Count the page before upgrading, so a burst of upgrades cannot pass the limit.
    let open = app.pages.fetch_add(1, Ordering::SeqCst);
    if open >= MAX_PAGES {
        app.pages.fetch_sub(1, Ordering::SeqCst);
        warn!(%peer, open, "too many web pages open; refused");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many pages open\n").into_response();
    }
    let context = SessionContext {
        device: record.device,
        token_id: record.id,
        peer,
        web: app.web.clone(),
        desk: app.desk.clone(),
        view: app.view.clone(),
        stop: app.stop.clone(),
        pages: app.pages.clone(),
    };
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_failed_upgrade(|e| debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| session::run(socket, context))
}

/// The certificate and key for TLS (PEM files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Read the certificate and key; errors name the file.
pub(super) fn tls_config(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use anyhow::Context;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("{}: cannot read the TLS certificate", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: not a PEM certificate", files.cert.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "{}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
        files.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&files.key).with_context(|| {
        format!(
            "{}: cannot read a PEM private key from it",
            files.key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS setup")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .with_context(|| {
            format!(
                "{} and {} do not make a usable certificate and key",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_among_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; pupitre=abc ; b=2"),
        );
        assert_eq!(cookie_token(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("pupitrex=1"));
        assert_eq!(cookie_token(&h), None);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }

    #[test]
    fn every_login_text_has_both_languages() {
        for key in [
            "title",
            "heading",
            "hint",
            "code",
            "device",
            "device_hint",
            "submit",
            "wrong",
            "throttled",
            "badname",
            "notsaved",
            "origin",
        ] {
            assert!(!login_text("en", key).is_empty(), "{key}");
            assert!(!login_text("fr", key).is_empty(), "{key}");
            assert_ne!(login_text("en", key), login_text("fr", key), "{key}");
        }
    }
}
