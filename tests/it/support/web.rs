//! The web remote under test: the service with `[web]` on 127.0.0.1 and a free port, beside
//! the fake X32; plain HTTP requests, websocket clients, and pairing as a browser does it.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pupitre::config::{Config, StateConfig, WebConfig};
use pupitre::service::Service;
use pupitre::web::WebHandle;
use pupitre::x32::fake::{FakeScene, FakeX32, Programme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::{fake, wait_state, within, TempDir};
use pupitre::desk::LinkState;

/// The fake X32 and the service serving the web remote.
pub struct WebRig {
    pub fake: FakeX32,
    pub service: Option<Service>,
    pub stop: CancellationToken,
    pub state: TempDir,
    pub addr: SocketAddr,
}

impl WebRig {
    /// Start, and wait for the X32 link to be online.
    pub async fn start(name: &str) -> WebRig {
        Self::start_with(name, Programme::Live, |_| {}).await
    }

    pub async fn start_with(
        name: &str,
        programme: Programme,
        adjust: impl FnOnce(&mut Config),
    ) -> WebRig {
        let fake = fake(FakeScene::Demo, programme, 0.0).await;
        let state = TempDir::new(name);
        let mut config = Config::demo(fake.local_addr());
        config.state = StateConfig::Dir(state.0.clone());
        config.web = Some(WebConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: None,
            allowed_origins: Vec::new(),
        });
        adjust(&mut config);
        let stop = CancellationToken::new();
        let service = Service::start(&config, stop.clone()).expect("service starts");
        let addr = service.web().expect("web is on").local_addr();
        wait_state(service.desk(), LinkState::Online).await;
        WebRig {
            fake,
            service: Some(service),
            stop,
            state,
            addr,
        }
    }

    pub fn desk(&self) -> &pupitre::desk::DeskHandle {
        self.service.as_ref().expect("running").desk()
    }

    /// `pupitre ARGS… --state-dir STATE` as a person types it; its output, once it succeeded.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pupitre"))
            .args(args)
            .arg("--state-dir")
            .arg(&self.state.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pupitre {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn web(&self) -> &WebHandle {
        self.service
            .as_ref()
            .expect("running")
            .web()
            .expect("web is on")
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.service.take() {
            s.shutdown(Duration::from_secs(2)).await;
        }
    }

    /// Pair as a browser does: a code from the desk, the form posted; the cookie's token.
    pub async fn pair(&self, device: &str) -> String {
        let code = self.web().pair().code;
        let body = format!("code={code}&device={}", device.replace(' ', "+"));
        let r = http(
            self.addr,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &self.origin()),
            ],
            &body,
        )
        .await;
        assert_eq!(r.status, 303, "pairing answers with a redirect: {r:?}");
        let cookie = r.header("set-cookie").expect("a cookie").to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        let token = cookie
            .strip_prefix("pupitre=")
            .and_then(|c| c.split(';').next())
            .expect("the token")
            .to_owned();
        assert_eq!(token.len(), 64);
        token
    }

    /// A websocket as a paired page opens it.
    pub async fn page(&self, token: &str) -> Page {
        match ws(self.addr, Some(token), Some(&self.origin())).await {
            Ok(p) => p,
            Err(e) => panic!("the page's websocket is refused: {e}"),
        }
    }
}

impl WebRig {
    /// Wait until the journal has an entry for `param` from `origin`.
    pub async fn journal_names(&self, origin: &str, param: &str) {
        let mut journal = self.service.as_ref().expect("running").journal();
        within(5.0, &format!("the journal names {origin}"), async {
            loop {
                if journal
                    .borrow_and_update()
                    .iter()
                    .any(|e| e.origin == origin && e.param == param)
                {
                    return;
                }
                journal.changed().await.unwrap();
            }
        })
        .await
    }
}

impl Drop for WebRig {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), read to the end.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    within(5.0, "an HTTP answer", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    parse_answer(&raw)
}

/// GET `path` as the browser holding `token`.
pub async fn get_as(addr: SocketAddr, path: &str, token: &str) -> Answer {
    http(
        addr,
        "GET",
        path,
        &[("Cookie", &format!("pupitre={token}"))],
        "",
    )
    .await
}

pub fn parse_answer(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

pub type Page = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open the websocket with this cookie and `Origin`.
pub async fn ws(
    addr: SocketAddr,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Page, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    if let Some(t) = token {
        request.headers_mut().insert(
            "Cookie",
            HeaderValue::from_str(&format!("pupitre={t}")).unwrap(),
        );
    }
    if let Some(o) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(o).unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
}

/// The next text message of this type, skipping others (meters, …).
pub async fn next_of(page: &mut Page, kind: &str) -> serde_json::Value {
    within(5.0, &format!("a {kind} message"), async {
        loop {
            match page.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == kind {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the page's socket ended: {other:?}"),
            }
        }
    })
    .await
}

/// Send one JSON message.
pub async fn say(page: &mut Page, json: serde_json::Value) {
    page.send(Message::Text(json.to_string().into()))
        .await
        .unwrap();
}

/// Read until the server closes; the close code (1006 when it just went away).
pub async fn closed_with(page: &mut Page) -> u16 {
    within(5.0, "the socket closes", async {
        loop {
            match page.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return 1006,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
}
