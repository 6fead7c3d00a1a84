//! The web remote in a real browser: Debian's Chromium, headless, at a phone's size. It is
//! sent to the pairing page, pairs with a code from the desk, sees the strips, drags a fader
//! (the fake X32's store follows), sees a fader move that another OSC client made on the X32,
//! and its meters move.

use std::collections::BTreeSet;
use std::time::Duration;

use fantoccini::actions::{InputSource, PointerAction, TouchActions};
use fantoccini::{Client, Locator};
use pupitre::desk::{Intent, Op, Origin, Value};
use rosc::{OscMessage, OscType};

use crate::support::browser::Browser;
use crate::support::web::WebRig;
use crate::support::*;

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .ok()?
        .attr(name)
        .await
        .ok()
        .flatten()
}

/// Poll `css`'s attribute until `ok` says so.
async fn until_attr(
    client: &Client,
    css: &str,
    name: &str,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let mut last = None;
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            last = attr(client, css, name).await;
            if let Some(v) = &last {
                if ok(v) {
                    return v.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    match found {
        Ok(v) => v,
        Err(_) => panic!("timed out after 10 s: {what} ({css} {name} is {last:?})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_pairs_sees_the_strips_drags_a_fader_and_follows_the_desk() {
    let rig = WebRig::start("web-browser").await;
    let browser = Browser::start("phone", 390, 844).await;
    let client = browser.client();
    let base = format!("http://{}", rig.addr);

    // Unpaired: sent to the pairing page.
    client.goto(&format!("{base}/")).await.unwrap();
    let here = client.current_url().await.unwrap();
    assert_eq!(here.path(), "/login", "{here}");
    // A wrong code is refused with a message, on the same page.
    client
        .find(Locator::Css("#code"))
        .await
        .unwrap()
        .send_keys("000000")
        .await
        .unwrap();
    client
        .find(Locator::Css("#device"))
        .await
        .unwrap()
        .send_keys("Headless phone")
        .await
        .unwrap();
    let good = rig.web().pair().code;
    if good != "000000" {
        client
            .find(Locator::Css("#pair-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let error = client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#error"))
            .await
            .unwrap();
        assert!(!error.text().await.unwrap().is_empty());
    }
    // The code from the desk.
    let code = client.find(Locator::Css("#code")).await.unwrap();
    code.clear().await.unwrap();
    code.send_keys(&good).await.unwrap();
    let device = client.find(Locator::Css("#device")).await.unwrap();
    device.clear().await.unwrap();
    device.send_keys("Headless phone").await.unwrap();
    client
        .find(Locator::Css("#pair-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // The desk: strips with their names, the socket open.
    let fader1 = ".strip[data-index=\"0\"] .fader";
    if client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(fader1))
        .await
        .is_err()
    {
        let url = client.current_url().await.unwrap();
        let source = client.source().await.unwrap_or_default();
        panic!("the strips are not shown after pairing; at {url}:\n{source}");
    }
    until_attr(client, "#link", "data-state", "the socket opens", |s| {
        s == "open"
    })
    .await;
    let name = client
        .find(Locator::Css(".strip[data-index=\"0\"] .name"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(name, "Vox 1", "the X32's channel name");
    assert_eq!(
        attr(client, "html", "data-theme").await.as_deref(),
        Some("dark")
    );
    let strips = client.find_all(Locator::Css(".strip")).await.unwrap();
    assert!(strips.len() >= 3, "a bank and the master: {}", strips.len());
    // The desk's theme switched on its screen: the page follows.
    rig.desk()
        .send(Intent {
            param: param("pupitre:ui/theme"),
            op: Op::Set(Value::Index(1)),
            origin: Origin::Ui,
        })
        .await
        .unwrap();
    until_attr(
        client,
        "html",
        "data-theme",
        "the page turns light with the desk",
        |t| t == "light",
    )
    .await;

    // Drag channel 1's fader down with a finger.
    let start = float_of(rig.fake.get("/ch/01/mix/fader")).expect("the fake holds ch 1");
    let before: f64 = attr(client, fader1, "data-pos")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (before - f64::from(start)).abs() < 0.002,
        "the page shows the X32: {before} vs {start}"
    );
    let cap = client
        .find(Locator::Css(&format!("{fader1} .cap")))
        .await
        .unwrap();
    let finger = TouchActions::new("finger".into())
        .then(PointerAction::MoveToElement {
            element: cap,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 0.0,
            y: 30.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 0.0,
            y: 30.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 0.0,
            y: 30.0,
        })
        .then(PointerAction::Up { button: 0 });
    client.perform_actions(finger).await.unwrap();
    let moved = within(10.0, "the drag reaches the fake X32", async {
        loop {
            if let Some(v) = float_of(rig.fake.get("/ch/01/mix/fader")) {
                if v < start - 0.05 {
                    return v;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let shown: f64 = until_attr(
        client,
        fader1,
        "data-pos",
        "the page settles where the X32 is",
        |p| {
            p.parse::<f64>()
                .is_ok_and(|p| (p - f64::from(moved)).abs() < 0.01)
        },
    )
    .await
    .parse()
    .unwrap();
    assert!(shown < before);

    // Someone else moves channel 2 on the X32 (another OSC client): the page's fader follows.
    let other = OscPeer::bind().await;
    other
        .send(
            rig.fake.local_addr(),
            OscMessage {
                addr: "/ch/02/mix/fader".into(),
                args: vec![OscType::Float(0.25)],
            },
        )
        .await;
    until_attr(
        client,
        ".strip[data-index=\"1\"] .fader",
        "data-pos",
        "channel 2's fader moves on the page",
        |p| p.parse::<f64>().is_ok_and(|p| (p - 0.25).abs() < 0.002),
    )
    .await;

    // The meters move (the fake X32 plays a live programme).
    let mut levels = BTreeSet::new();
    within(10.0, "the meters animate", async {
        while levels.len() < 4 {
            if let Some(l) = attr(client, ".strip[data-index=\"0\"] .meter", "data-level").await {
                levels.insert(l);
            }
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    })
    .await;

    // The journal names the phone.
    rig.journal_names("web:Headless phone", "x32:/ch/01/mix/fader")
        .await;
    browser.close().await;
    rig.shutdown().await;
}
