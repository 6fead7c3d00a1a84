//! The web remote over real HTTP and websockets on loopback (the browser itself is in
//! `web_browser`): nothing but the pairing page without a token, foreign origins refused,
//! guessing throttled, bad messages closing their own socket only, moves reaching the fake X32
//! as `web:<device>` intents, unpairing closing the page, the command line, and TLS.

use std::time::Duration;

use futures_util::SinkExt;
use pupitre::control::{PairingReply, WebCommand};
use pupitre::desk::Origin;
use pupitre::x32::fake::Programme;
use rosc::{OscMessage, OscType};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::web::*;
use crate::support::*;

/// Poll the fake X32 until `address` holds about `x`.
async fn fake_near(rig: &WebRig, address: &str, x: f32) {
    within(5.0, &format!("{address} reaches {x} on the X32"), async {
        loop {
            if float_of(rig.fake.get(address)).is_some_and(|v| (v - x).abs() < 0.002) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_only_the_pairing_page_answers() {
    let rig = WebRig::start("web-refuse").await;
    let login = http(rig.addr, "GET", "/login", &[], "").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("id=\"pair\""), "{}", login.body);
    assert!(login
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'self'")));
    for path in ["/", "/anything", "/app.js", "/app.css", "/session"] {
        for cookie in [
            None,
            Some("pupitre=0123"),
            Some(&*format!("pupitre={}", "ab".repeat(32))),
        ] {
            let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", *c)).collect();
            let r = http(rig.addr, "GET", path, &headers, "").await;
            let refused =
                r.status == 401 || (r.status == 303 && r.header("location") == Some("/login"));
            assert!(refused, "GET {path} with {cookie:?} answered {r:?}");
            assert!(!r.body.contains("app.js"), "no page leaks: {path}");
        }
    }
    let r = http(rig.addr, "POST", "/logout", &[], "").await;
    assert_eq!(r.status, 401);
    // The websocket: no cookie, a wrong one, a right one from a foreign page.
    let origin = rig.origin();
    let no_token = ws(rig.addr, None, Some(&origin)).await;
    assert!(
        matches!(no_token, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 401),
        "{no_token:?}"
    );
    let bad = ws(rig.addr, Some(&"cd".repeat(32)), Some(&origin)).await;
    assert!(
        matches!(bad, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 401),
        "{bad:?}"
    );
    let token = rig.pair("Test phone").await;
    let foreign = ws(rig.addr, Some(&token), Some("http://evil.example")).await;
    assert!(
        matches!(foreign, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{foreign:?}"
    );
    let no_origin = ws(rig.addr, Some(&token), None).await;
    assert!(
        matches!(no_origin, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{no_origin:?}"
    );
    // With the token, from its own page: the desk.
    let r = get_as(rig.addr, "/", &token).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/app.js"));
    let mut page = rig.page(&token).await;
    let hello = next_of(&mut page, "hello").await;
    assert_eq!(hello["device"], "Test phone");
    assert_eq!(hello["strips"][0]["kind"], "CH 01");
    assert_eq!(
        hello["strips"].as_array().unwrap().last().unwrap()["master"],
        true
    );
    assert!(hello["banks"].as_array().unwrap().len() >= 4);
    assert!(hello["stabilizer"]["target"].is_number());
    assert_eq!(hello["links"]["x32"], "online");
    // The X32 goes away: the page is told.
    rig.fake.set_loss(1.0);
    within(20.0, "the page hears the X32 is lost", async {
        use futures_util::StreamExt;
        while let Some(Ok(m)) = page.next().await {
            let m: serde_json::Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
            if m["type"] == "links" && m["links"]["x32"] == "lost" {
                return;
            }
        }
        panic!("the page's socket ended");
    })
    .await;
    rig.fake.set_loss(0.0);
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_bad_codes_in_a_row_are_throttled() {
    let rig = WebRig::start("web-throttle").await;
    let good = rig.web().pair().code;
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let origin = rig.origin();
    let form = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin.as_str()),
    ];
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = http(
            rig.addr,
            "POST",
            "/login",
            &form,
            &format!("code={wrong}&device=guesser"),
        )
        .await;
        if r.status == 429 {
            assert!(r.header("retry-after").is_some(), "{r:?}");
            assert!(r.body.contains("id=\"error\""));
        }
        statuses.push(r.status);
    }
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused, 5, "five tries, then a wait: {statuses:?}");
    assert_eq!(throttled, 15, "{statuses:?}");
    // While throttled, even the right code is not looked at.
    let r = http(
        rig.addr,
        "POST",
        "/login",
        &form,
        &format!("code={good}&device=guesser"),
    )
    .await;
    assert_eq!(r.status, 429);
    // Another address is not held back: from the desk itself over IPv6 loopback would be
    // another peer; here the same peer waits out its second and pairs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = http(
        rig.addr,
        "POST",
        "/login",
        &form,
        &format!("code={good}&device=guesser"),
    )
    .await;
    assert_eq!(r.status, 303, "{r:?}");
    // A form from a foreign page is refused whatever its code.
    let code = rig.web().pair().code;
    let r = http(
        rig.addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        &format!("code={code}&device=x"),
    )
    .await;
    assert_eq!(r.status, 403);
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_close_their_own_socket_and_touch_nothing() {
    let rig = WebRig::start_with("web-bad", steady(), |_| {}).await;
    let token = rig.pair("Test phone").await;
    let mut good = rig.page(&token).await;
    next_of(&mut good, "hello").await;
    let before = rig.desk().snapshot().await.unwrap();
    let long = json!({"type": "ping", "pad": "x".repeat(5000)}).to_string();
    let cases: Vec<(&str, Message, &[u16])> = vec![
        ("not JSON", Message::Text("{{{".into()), &[1007]),
        (
            "unknown type",
            Message::Text(r#"{"type":"erase-all"}"#.into()),
            &[1007],
        ),
        (
            "extra field",
            Message::Text(r#"{"type":"fader","index":0,"pos":0.5,"x":1}"#.into()),
            &[1007],
        ),
        (
            "wrong shape",
            Message::Text(r#"{"type":"mute","index":0,"on":"yes"}"#.into()),
            &[1007],
        ),
        (
            "no such strip",
            Message::Text(r#"{"type":"fader","index":9999,"pos":0.5}"#.into()),
            &[1008],
        ),
        (
            "no such scene",
            Message::Text(r#"{"type":"scene","slot":100}"#.into()),
            &[1008],
        ),
        ("binary", Message::Binary(vec![0u8, 1, 2].into()), &[1003]),
        // tungstenite refuses it while reading; the socket may end without a close frame.
        ("oversized", Message::Text(long.into()), &[1009, 1006]),
    ];
    for (what, message, codes) in cases {
        let mut bad = rig.page(&token).await;
        next_of(&mut bad, "hello").await;
        bad.send(message).await.unwrap();
        let code = closed_with(&mut bad).await;
        assert!(codes.contains(&code), "{what}: closed with {code}");
        // The other page is still served.
        say(&mut good, json!({"type": "ping"})).await;
        next_of(&mut good, "pong").await;
    }
    // Nothing reached the desk.
    let after = rig.desk().snapshot().await.unwrap();
    assert_eq!(before, after, "a refused message changed the desk");
    // And the good page still moves faders.
    say(
        &mut good,
        json!({"type": "fader", "index": 2, "pos": 256.0 / 1023.0}),
    )
    .await;
    fake_near(&rig, "/ch/03/mix/fader", 256.0 / 1023.0).await;
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_moves_are_web_intents_and_the_page_follows_the_console() {
    let rig = WebRig::start_with("web-moves", steady(), |_| {}).await;
    let token = rig.pair("Anna's phone").await;
    let mut page = rig.page(&token).await;
    let hello = next_of(&mut page, "hello").await;
    assert_eq!(hello["strips"][0]["kind"], "CH 01");
    // A page that joins gets the meters even when they hold still (a steady programme); the
    // X32's first frames may still be on their way.
    let meters = within(5.0, "meters with the steady level", async {
        loop {
            let m = next_of(&mut page, "meters").await;
            if m["levels"][0].as_f64().is_some_and(|l| l > 0.0) {
                return m;
            }
        }
    })
    .await;
    assert_eq!(
        meters["levels"].as_array().unwrap().len(),
        hello["strips"].as_array().unwrap().len()
    );
    let mut changes = rig.desk().subscribe();
    // Out of range: clamped to the top.
    say(&mut page, json!({"type": "fader", "index": 0, "pos": 7.5})).await;
    fake_near(&rig, "/ch/01/mix/fader", 1.0).await;
    let change = within(2.0, "the desk's change", async {
        loop {
            let c = changes.recv().await.unwrap();
            if c.param.to_string() == "x32:/ch/01/mix/fader" {
                return c;
            }
        }
    })
    .await;
    assert_eq!(change.origin, Origin::Web("Anna's phone".into()));
    // The page gets its own move back (the value as the desk took it).
    let echo = next_of(&mut page, "strip").await;
    assert_eq!(echo["index"], 0);
    assert_eq!(echo["fader"], 1.0);
    say(&mut page, json!({"type": "mute", "index": 1, "on": true})).await;
    within(3.0, "ch 2 muted on the X32", async {
        while rig.fake.get("/ch/02/mix/on") != Some(OscType::Int(0)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // Someone else on the X32: another OSC client moves channel 4.
    let other = OscPeer::bind().await;
    other
        .send(
            rig.fake.local_addr(),
            OscMessage {
                addr: "/ch/04/mix/fader".into(),
                args: vec![OscType::Float(0.25)],
            },
        )
        .await;
    within(5.0, "the page hears of channel 4", async {
        loop {
            let m = next_of(&mut page, "strip").await;
            if m["index"] == 3
                && m["fader"]
                    .as_f64()
                    .is_some_and(|f| (f - 0.25).abs() < 0.002)
            {
                return;
            }
        }
    })
    .await;
    // The stabilizer's target, clamped; and meters flow.
    say(&mut page, json!({"type": "target", "lufs": -99})).await;
    within(3.0, "the target at its lowest", async {
        loop {
            let s = next_of(&mut page, "stabilizer").await;
            if s["target"] == -40.0 {
                return;
            }
        }
    })
    .await;
    // The journal names the browser.
    rig.journal_names("web:Anna's phone", "x32:/ch/01/mix/fader")
        .await;
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpairing_closes_the_page_and_the_cli_pairs_and_lists() {
    let rig = WebRig::start("web-unpair").await;
    // `pupitre web pair` through the control socket, as a person types it.
    let offer: PairingReply = serde_json::from_str(&rig.cli(&["web", "pair", "--json"])).unwrap();
    assert_eq!(offer.code.len(), 6);
    assert!(offer.urls[0].starts_with(&format!("http://{}", rig.addr)));
    let form = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", &*rig.origin()),
    ];
    let r = http(
        rig.addr,
        "POST",
        "/login",
        &form,
        &format!("code={}&device=Tablet", offer.code),
    )
    .await;
    assert_eq!(r.status, 303, "{r:?}");
    let token = r.header("set-cookie").unwrap()[8..72].to_owned();
    // The same code does not work twice.
    let again = http(
        rig.addr,
        "POST",
        "/login",
        &form,
        &format!("code={}&device=Other", offer.code),
    )
    .await;
    assert_eq!(again.status, 401);
    let listing = rig.cli(&["web", "tokens"]);
    assert!(listing.contains("Tablet"), "{listing}");
    let file = std::fs::read_to_string(rig.state.path("web-tokens.json")).unwrap();
    assert!(!file.contains(&token), "the token itself is not kept");
    let mut page = rig.page(&token).await;
    next_of(&mut page, "hello").await;
    rig.cli(&["web", "tokens", "--revoke", "Tablet"]);
    assert_eq!(closed_with(&mut page).await, 1008);
    let r = get_as(rig.addr, "/session", &token).await;
    assert_eq!(r.status, 401);
    // The control request as the CLI sends it, refused without [web].
    let refused = pupitre::control::answer_web(None, WebCommand::Pair);
    assert!(!refused.ok && refused.message.contains("[web]"));
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_with_the_users_certificate_and_secure_cookies() {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = TempDir::new("web-tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path("web.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path("web.key"), cert.signing_key.serialize_pem()).unwrap();
    let (c, k) = (dir.path("web.crt"), dir.path("web.key"));
    let rig = WebRig::start_with("web-tls-state", Programme::Live, move |config| {
        config.web.as_mut().unwrap().tls = Some((c, k));
    })
    .await;
    assert!(rig.web().urls()[0].starts_with("https://"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let request = |method: &str, path: &str, body: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://localhost:{port}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len(),
            port = rig.addr.port()
        )
    };
    let code = rig.web().pair().code;
    let tcp = tokio::net::TcpStream::connect(rig.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name.clone(), tcp).await.unwrap();
    tls.write_all(request("POST", "/login", &format!("code={code}&device=Laptop")).as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw).await;
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 303, "{answer:?}");
    assert!(answer.header("set-cookie").unwrap().contains("; Secure"));
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = tokio::time::timeout(
        Duration::from_secs(3),
        http(rig.addr, "GET", "/login", &[], ""),
    )
    .await;
    assert!(plain.map_or(true, |a| a.status != 200));
    rig.shutdown().await;
}

#[test]
fn a_bad_certificate_is_named_at_start() {
    let dir = TempDir::new("web-badcert");
    std::fs::write(dir.path("web.crt"), "not a certificate\n").unwrap();
    std::fs::write(dir.path("web.key"), "not a key\n").unwrap();
    let settings = pupitre::web::WebSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: Some(pupitre::web::TlsFiles {
            cert: dir.path("web.crt"),
            key: dir.path("web.key"),
        }),
        allowed_origins: Vec::new(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime.block_on(async {
        let desk = pupitre::desk::Desk::new(Vec::new());
        let handle = desk.handle();
        let view = pupitre::web::ViewInputs {
            desk: handle,
            strips: Vec::new(),
            has_master: false,
            mixers: Vec::new(),
            stabilizer: None,
            journal: tokio::sync::watch::channel(Vec::new()).1,
            scenes: tokio::sync::watch::channel(Vec::new()).1,
        };
        match pupitre::web::WebHandle::start(
            &settings,
            view,
            None,
            tokio_util::sync::CancellationToken::new(),
        ) {
            Ok(_) => panic!("a garbage certificate was accepted"),
            Err(e) => format!("{e:#}"),
        }
    });
    assert!(err.contains("web.crt"), "{err}");
}
