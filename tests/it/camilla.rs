//! The CamillaDSP link against the real CamillaDSP 5.0.0-beta.1 on 127.0.0.1 (Dummy backend,
//! the shipped `examples/camilladsp/dummy.yml`), started and killed by the tests themselves.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pupitre::config::{CamillaConfig, Config};
use pupitre::desk::{Db, DeskHandle, Intent, LinkState, MixerId, Op, Origin, ParamId, Side, Value};
use pupitre::service::Service;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::support::camilla::{dummy_config, CamillaServer};
use crate::support::within;

fn config(url: &str) -> Config {
    config_with(url, false)
}

fn config_with(url: &str, crossfader: bool) -> Config {
    let mut c = Config::demo("127.0.0.1:9".parse().unwrap());
    c.x32 = None;
    c.camilla = Some(CamillaConfig {
        url: url.into(),
        channels: 2,
        aux_faders: 2,
        config: None,
        crossfader,
        group_tone: true,
    });
    c
}

async fn start(server: &CamillaServer) -> (Service, DeskHandle) {
    start_with(server, false).await
}

async fn start_with(server: &CamillaServer, crossfader: bool) -> (Service, DeskHandle) {
    let service = Service::start(
        &config_with(&server.url(), crossfader),
        CancellationToken::new(),
    )
    .expect("service");
    let desk = service.desk().clone();
    within(5.0, "CamillaDSP online", async {
        desk.link_status(MixerId::Camilla)
            .wait_for(|s| s.state == LinkState::Online)
            .await
            .unwrap();
    })
    .await;
    (service, desk)
}

fn p(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

async fn set_db(desk: &DeskHandle, param: &str, db: f64) {
    let param = p(param);
    let value = param.kind().from_db(Db::try_new(db).unwrap()).unwrap();
    desk.send(Intent {
        param,
        op: Op::Set(value),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
}

async fn set_switch(desk: &DeskHandle, param: &str, on: bool) {
    desk.send(Intent {
        param: p(param),
        op: Op::Set(Value::Index(u32::from(on))),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
}

/// Playback RMS of `channel`, once a level frame satisfying `ok` arrives.
async fn playback_until(desk: &DeskHandle, channel: u8, ok: impl Fn(Db) -> bool) -> Db {
    let mut rx = desk.meters().subscribe(MixerId::Camilla);
    loop {
        rx.changed().await.unwrap();
        if let Some(l) = rx
            .borrow_and_update()
            .channels
            .get(&(Side::Playback, channel))
        {
            if ok(l.rms) {
                return l.rms;
            }
        }
    }
}

/// A channel's playback level once the (VU-smoothed) meter has settled: eight frames in a row
/// (0.8 s) within 0.05 dB, so a level from before a change that is still on its way through a
/// loaded machine is not taken for the new one.
async fn settled(desk: &DeskHandle, channel: u8) -> f64 {
    let mut rx = desk.meters().subscribe(MixerId::Camilla);
    let mut last = f64::NAN;
    let mut steady = 0;
    within(5.0, "a settled level", async {
        loop {
            rx.changed().await.unwrap();
            let Some(l) = rx
                .borrow_and_update()
                .channels
                .get(&(Side::Playback, channel))
                .map(|l| l.rms)
            else {
                continue;
            };
            if l.is_silence() {
                continue;
            }
            steady = if (l.get() - last).abs() < 0.05 {
                steady + 1
            } else {
                0
            };
            last = l.get();
            if steady >= 8 {
                return last;
            }
        }
    })
    .await
}

/// Ask the real server one v5 question directly, as another client would; the reply's value.
async fn ask_server(url: &str, request: serde_json::Value) -> serde_json::Value {
    let name = request["command"].as_str().unwrap_or_default().to_owned();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::Text(request.to_string().into()))
        .await
        .unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["reply"] == name.as_str() {
                return v["value"].clone();
            }
        }
    }
    panic!("no reply to {name}")
}

async fn config_value(url: &str, pointer: &str) -> serde_json::Value {
    ask_server(
        url,
        serde_json::json!({"command": "GetConfigValue", "value": pointer}),
    )
    .await
}

async fn main_state(url: &str, cmd: &str) -> serde_json::Value {
    ask_server(url, serde_json::json!({"command": cmd})).await
}

async fn command(url: &str, cmd: serde_json::Value) {
    ask_server(url, cmd).await;
}

/// The server's instantaneous playback RMS of `channel` (`GetSignalLevels`, not smoothed).
async fn instant_playback(url: &str, channel: usize) -> f64 {
    ask_server(url, serde_json::json!({"command": "GetSignalLevels"})).await["playback_rms"]
        [channel]
        .as_f64()
        .unwrap()
}

/// A muted channel: the server's instantaneous level reads its silence floor, and the streamed
/// meter (VU ballistics, 100 ms release) drops below −60 dBFS.
async fn muted(desk: &DeskHandle, url: &str, channel: u8) {
    within(
        3.0,
        "meter falls",
        playback_until(desk, channel, |d| d.is_silence() || d.get() < -60.0),
    )
    .await;
    within(2.0, "floor", async {
        while instant_playback(url, usize::from(channel)).await > -199.0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gain_mute_bass_and_solo_are_audible_in_the_real_levels() {
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    let base0 = within(
        3.0,
        "ch 0 level",
        playback_until(&desk, 0, |d| !d.is_silence()),
    )
    .await
    .get();
    let base1 = within(
        3.0,
        "ch 1 level",
        playback_until(&desk, 1, |d| !d.is_silence()),
    )
    .await
    .get();

    // Gain −12 dB → playback RMS drops by 12 ± 0.5 dB.
    set_db(&desk, "camilla:ch/0/gain", -12.0).await;
    let low = within(
        3.0,
        "ch 0 down 12 dB",
        playback_until(&desk, 0, |d| (d.get() - (base0 - 12.0)).abs() <= 0.5),
    )
    .await;
    eprintln!("ch0 {base0:.2} → {low}");
    set_db(&desk, "camilla:ch/0/gain", 0.0).await;
    within(
        3.0,
        "ch 0 back",
        playback_until(&desk, 0, |d| (d.get() - base0).abs() <= 0.5),
    )
    .await;

    // Mute → the silence floor.
    set_switch(&desk, "camilla:ch/1/mute", true).await;
    muted(&desk, &server.url(), 1).await;
    set_switch(&desk, "camilla:ch/1/mute", false).await;
    within(
        3.0,
        "ch 1 back",
        playback_until(&desk, 1, |d| (d.get() - base1).abs() <= 0.5),
    )
    .await;

    // Bass +6 dB on the 220 Hz sine (shelf corner 250 Hz) raises it.
    set_db(&desk, "camilla:ch/0/bass", 6.0).await;
    within(
        3.0,
        "bass boost",
        playback_until(&desk, 0, |d| d.get() > base0 + 3.0),
    )
    .await;
    set_db(&desk, "camilla:ch/0/bass", 0.0).await;
    within(
        3.0,
        "bass flat",
        playback_until(&desk, 0, |d| (d.get() - base0).abs() <= 0.5),
    )
    .await;

    // Solo ch 0 with ch 1 at −6 dB: ch 1 goes silent; unsolo restores its gain and mute exactly.
    set_db(&desk, "camilla:ch/1/gain", -6.0).await;
    within(
        3.0,
        "ch 1 at −6",
        playback_until(&desk, 1, |d| (d.get() - (base1 - 6.0)).abs() <= 0.5),
    )
    .await;
    set_switch(&desk, "camilla:ch/0/solo", true).await;
    muted(&desk, &server.url(), 1).await;
    within(
        3.0,
        "ch 0 still plays",
        playback_until(&desk, 0, |d| !d.is_silence()),
    )
    .await;
    set_switch(&desk, "camilla:ch/0/solo", false).await;
    within(
        3.0,
        "ch 1 restored",
        playback_until(&desk, 1, |d| (d.get() - (base1 - 6.0)).abs() <= 0.5),
    )
    .await;
    assert_eq!(
        config_value(&server.url(), "/filters/ch1_gain/parameters/mute").await,
        serde_json::json!(false)
    );
    assert_eq!(
        config_value(&server.url(), "/filters/ch1_gain/parameters/gain").await,
        serde_json::json!(-6.0)
    );
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_and_reload_are_repaired_from_pupitres_own_state() {
    let mut server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    set_db(&desk, "camilla:ch/0/gain", -12.0).await;
    set_db(&desk, "camilla:aux/1/volume", -7.5).await;
    let url = server.url();
    within(3.0, "written", async {
        while config_value(&url, "/filters/ch0_gain/parameters/gain").await
            != serde_json::json!(-12.0)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    // Killed and restarted: the patch is gone from CamillaDSP, pupitre puts it back.
    server.restart();
    let back = std::time::Instant::now();
    within(3.0, "re-applied after a restart", async {
        while config_value(&url, "/filters/ch0_gain/parameters/gain").await
            != serde_json::json!(-12.0)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    eprintln!("re-applied {:?} after the restart", back.elapsed());

    // A Reload re-reads the file and drops patches: repaired by the periodic check.
    command(&url, serde_json::json!({"command": "Reload"})).await;
    let reload = std::time::Instant::now();
    within(4.0, "repaired after a reload", async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if config_value(&url, "/filters/ch0_gain/parameters/gain").await
                == serde_json::json!(-12.0)
                && reload.elapsed() > Duration::from_millis(300)
            {
                return;
            }
        }
    })
    .await;
    assert_eq!(
        desk.link_status(MixerId::Camilla).borrow().state,
        LinkState::Online
    );
    service.shutdown(Duration::from_secs(2)).await;
}

use crate::support::camilla::{Answer, MockCamilla};

fn v4(req: &str) -> Answer {
    match pupitre::camilla::testing::v4_reply_for(req) {
        Some(r) => Answer::Reply(r),
        None => Answer::Nothing,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speaks_the_v4_wire_format_to_a_v4_server_and_survives_its_errors() {
    let mock = MockCamilla::start(v4).await;
    let service = Service::start(&config(&mock.url), CancellationToken::new()).expect("service");
    let desk = service.desk().clone();
    within(5.0, "online with v4", async {
        desk.link_status(MixerId::Camilla)
            .wait_for(|s| s.state == LinkState::Online)
            .await
            .unwrap();
    })
    .await;
    // Version detection: v5 first, then the bare v4 string.
    let reqs = mock.requests_json();
    assert_eq!(reqs[0], serde_json::json!({"command": "GetVersion"}));
    assert!(reqs.contains(&serde_json::json!("GetVersion")));

    set_db(&desk, "camilla:ch/0/gain", -12.0).await;
    set_db(&desk, "camilla:aux/1/volume", -6.0).await;
    // The recorded v4 config has no ch0_bass filter: an InvalidRequestError the link survives.
    set_db(&desk, "camilla:ch/0/bass", 3.0).await;
    set_switch(&desk, "camilla:main/mute", true).await;
    within(3.0, "v4 requests", async {
        let want = [
            serde_json::json!({"SetConfigValue": ["/filters/ch0_gain/parameters/gain", -12.0]}),
            serde_json::json!({"SetFaderVolume": [1, -6.0]}),
            serde_json::json!({"SetConfigValue": ["/filters/ch0_bass/parameters/gain", 3.0]}),
            serde_json::json!({"SetMute": true}),
        ];
        while !want.iter().all(|w| mock.requests_json().contains(w)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // Levels are polled in v4, and its −1000 floor reads as no signal.
    let mut meters = desk.meters().subscribe(MixerId::Camilla);
    within(3.0, "v4 levels", async {
        loop {
            meters.changed().await.unwrap();
            if !meters.borrow_and_update().channels.is_empty() {
                return;
            }
        }
    })
    .await;
    assert!(mock
        .requests_json()
        .iter()
        .any(|r| r.get("GetSignalLevelsSince").is_some()));
    assert_eq!(
        desk.link_status(MixerId::Camilla).borrow().state,
        LinkState::Online
    );
    assert_eq!(
        mock.connections(),
        2,
        "one command and one levels connection, no reconnects"
    );
    service.shutdown(Duration::from_secs(2)).await;
}

fn truncated(_: &str) -> Answer {
    Answer::Reply(r#"{"reply":"GetVersion","result":"Ok","val"#.into())
}
fn unknown_replies(_: &str) -> Answer {
    Answer::Reply(r#"{"reply":"Bogus","result":"Ok","value":[1,2,3]}"#.into())
}
fn wrong_types(req: &str) -> Answer {
    if req.contains("GetVersion") {
        Answer::Reply(r#"{"reply":"GetVersion","result":"Ok","value":{"major":5}}"#.into())
    } else {
        Answer::Reply(r#"{"reply":"GetState","result":"Ok","value":12}"#.into())
    }
}
fn stalled(_: &str) -> Answer {
    Answer::Nothing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_or_broken_servers_are_logged_and_reconnected_without_panic() {
    let mocks = [
        MockCamilla::start(truncated).await,
        MockCamilla::start(unknown_replies).await,
        MockCamilla::start(wrong_types).await,
        MockCamilla::start(stalled).await,
    ];
    let services: Vec<Service> = mocks
        .iter()
        .map(|m| Service::start(&config(&m.url), CancellationToken::new()).expect("service"))
        .collect();
    // The stalled one needs its 2 s request timeout before each retry.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    for (m, s) in mocks.iter().zip(&services) {
        assert!(
            m.connections() >= 2,
            "{}: {} connections",
            m.url,
            m.connections()
        );
        assert_ne!(
            s.desk().link_status(MixerId::Camilla).borrow().state,
            LinkState::Online
        );
    }
    for s in services {
        s.shutdown(Duration::from_secs(2)).await;
    }
}

async fn until_value(
    url: &str,
    what: &str,
    read: impl AsyncFn(&str) -> serde_json::Value,
    want: serde_json::Value,
) {
    within(3.0, what, async {
        while read(url).await != want {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_aux_treble_filters_and_crossfader_round_trip_on_the_real_server() {
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    let url = server.url();

    set_db(&desk, "camilla:main/volume", -10.0).await;
    set_switch(&desk, "camilla:main/mute", true).await;
    set_db(&desk, "camilla:aux/2/volume", -4.5).await;
    set_switch(&desk, "camilla:aux/2/mute", true).await;
    set_db(&desk, "camilla:ch/1/treble", -3.5).await;
    until_value(
        &url,
        "main volume",
        async |u| main_state(u, "GetVolume").await,
        serde_json::json!(-10.0),
    )
    .await;
    until_value(
        &url,
        "main mute",
        async |u| main_state(u, "GetMute").await,
        serde_json::json!(true),
    )
    .await;
    until_value(
        &url,
        "aux 2",
        async |u| main_state(u, "GetFaders").await[2].clone(),
        serde_json::json!({"volume": -4.5, "mute": true}),
    )
    .await;
    until_value(
        &url,
        "treble",
        async |u| config_value(u, "/filters/ch1_treble/parameters/gain").await,
        serde_json::json!(-3.5),
    )
    .await;
    set_switch(&desk, "camilla:main/mute", false).await;
    set_db(&desk, "camilla:main/volume", 0.0).await;
    set_switch(&desk, "camilla:aux/2/mute", false).await;
    set_db(&desk, "camilla:aux/2/volume", 0.0).await;
    set_db(&desk, "camilla:ch/1/treble", 0.0).await;

    // Any named filter: the treble shelf's corner frequency.
    let freq = p("camilla:filter/ch0_treble/freq");
    let value = freq
        .kind()
        .from_normalized(pupitre::desk::Normalized::new_clamped(
            pupitre::desk::law::eq_freq_from_hz(2000.0),
        ));
    desk.send(Intent {
        param: freq.clone(),
        op: Op::Set(value),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
    within(3.0, "filter freq", async {
        loop {
            let hz = config_value(&url, "/filters/ch0_treble/parameters/freq")
                .await
                .as_f64()
                .unwrap_or(0.0);
            if (hz - 2000.0).abs() < 80.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    })
    .await;

    // The crossfader is in its own test (its default centre position takes 3 dB off each side).
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crossfader_follows_its_curve_on_the_real_server() {
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start_with(&server, true).await;
    let url = server.url();
    let xf = |x: f64| Intent {
        param: p("camilla:crossfader"),
        op: Op::Normalized(pupitre::desk::Normalized::new_clamped(x)),
        origin: Origin::Surface("deck".into()),
    };
    // All A: B is silent, A at its full level; all B: the reverse.
    desk.send(xf(0.0)).await.unwrap();
    muted(&desk, &url, 1).await;
    let full0 = settled(&desk, 0).await;
    desk.send(xf(1.0)).await.unwrap();
    muted(&desk, &url, 0).await;
    let full1 = settled(&desk, 1).await;
    // Equal power (the default): −3 dB each at the centre.
    desk.send(xf(0.5)).await.unwrap();
    within(
        3.0,
        "A −3 dB",
        playback_until(&desk, 0, |d| (d.get() - (full0 - 3.0)).abs() <= 0.5),
    )
    .await;
    within(
        3.0,
        "B −3 dB",
        playback_until(&desk, 1, |d| (d.get() - (full1 - 3.0)).abs() <= 0.5),
    )
    .await;
    // Linear (curve 1): −6 dB each at the centre.
    set_switch(&desk, "camilla:crossfader/curve", true).await;
    within(
        3.0,
        "A −6 dB",
        playback_until(&desk, 0, |d| (d.get() - (full0 - 6.0)).abs() <= 0.5),
    )
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

/// CamillaDSP 3: the v4 wire format without GetConfigValue/SetConfigValue; its config lives
/// here so that SetConfigJson can be observed.
static V3_CONFIG: std::sync::Mutex<Option<serde_json::Value>> = std::sync::Mutex::new(None);

fn v3(req: &str) -> Answer {
    let parsed: serde_json::Value = serde_json::from_str(req).unwrap_or_default();
    let mut config = V3_CONFIG.lock().unwrap();
    let cfg = config.get_or_insert_with(|| {
        serde_json::json!({"filters": {"ch0_gain": {"type": "Gain", "parameters": {"gain": 0.0, "mute": false}}}})
    });
    let reply = |name: &str, body: serde_json::Value| {
        Answer::Reply(serde_json::json!({ name: body }).to_string())
    };
    match &parsed {
        serde_json::Value::String(s) if s == "GetVersion" => reply(
            "GetVersion",
            serde_json::json!({"result": "Ok", "value": "3.0.1"}),
        ),
        serde_json::Value::String(s) if s == "GetConfigJson" => reply(
            "GetConfigJson",
            serde_json::json!({"result": "Ok", "value": cfg.to_string()}),
        ),
        serde_json::Value::Object(m) if m.contains_key("SetConfigJson") => {
            if let Some(text) = m["SetConfigJson"].as_str() {
                *cfg = serde_json::from_str(text).unwrap_or_default();
            }
            reply("SetConfigJson", serde_json::json!({"result": "Ok"}))
        }
        serde_json::Value::Object(m)
            if m.contains_key("GetConfigValue") || m.contains_key("SetConfigValue") =>
        {
            Answer::Reply(r#"{"Invalid":{"error":"unknown variant in CamillaDSP 3"}}"#.into())
        }
        _ => v4(req),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camilladsp_3_gets_filter_changes_through_the_whole_config() {
    let mock = MockCamilla::start(v3).await;
    let mut c = config(&mock.url);
    if let Some(cd) = &mut c.camilla {
        cd.channels = 1;
    }
    let service = Service::start(&c, CancellationToken::new()).expect("service");
    let desk = service.desk().clone();
    within(5.0, "online with v3", async {
        desk.link_status(MixerId::Camilla)
            .wait_for(|s| s.state == LinkState::Online)
            .await
            .unwrap();
    })
    .await;
    set_db(&desk, "camilla:ch/0/gain", -12.0).await;
    within(3.0, "gain in the v3 config", async {
        loop {
            let gain = V3_CONFIG
                .lock()
                .unwrap()
                .as_ref()
                .and_then(|c| c.pointer("/filters/ch0_gain/parameters/gain").cloned());
            if gain == Some(serde_json::json!(-12.0)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        !mock
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.contains("ConfigValue")),
        "no v4-only commands to v3"
    );
    assert_eq!(
        desk.link_status(MixerId::Camilla).borrow().state,
        LinkState::Online
    );
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clipping_lights_the_clip_lamp_and_is_counted() {
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    // −15 dBFS + 20 dB: over full scale.
    set_db(&desk, "camilla:ch/0/gain", 20.0).await;
    let mut rx = desk.meters().subscribe(MixerId::Camilla);
    within(3.0, "clip lamp", async {
        loop {
            rx.changed().await.unwrap();
            if rx
                .borrow_and_update()
                .channels
                .get(&(Side::Playback, 0))
                .is_some_and(|l| l.clipped)
            {
                return;
            }
        }
    })
    .await;
    let mut status = desk.link_status(MixerId::Camilla);
    within(3.0, "clipped samples in the status", async {
        status
            .wait_for(|s| {
                s.peer
                    .as_deref()
                    .is_some_and(|p| !p.ends_with(" 0 clipped") && p.ends_with(" clipped"))
            })
            .await
            .unwrap();
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_tone_moves_every_channel_and_is_clamped() {
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    let base0 = settled(&desk, 0).await;
    let base1 = settled(&desk, 1).await;
    set_db(&desk, "camilla:bass", 6.0).await;
    within(
        3.0,
        "ch 0 up",
        playback_until(&desk, 0, |d| d.get() > base0 + 3.0),
    )
    .await;
    within(
        3.0,
        "ch 1 up",
        playback_until(&desk, 1, |d| d.get() > base1 + 3.0),
    )
    .await;
    // The desk clamps to ±12 dB before anything is sent.
    set_db(&desk, "camilla:treble", 40.0).await;
    until_value(
        &server.url(),
        "treble clamped",
        async |u| config_value(u, "/filters/Treble/parameters/gain").await,
        serde_json::json!(12.0),
    )
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

/// The desk's own id for `param`, with the kind the link gave it.
async fn desk_id(desk: &DeskHandle, param: &str) -> ParamId {
    let want = p(param);
    desk.snapshot()
        .await
        .unwrap()
        .into_iter()
        .find(|(id, _)| *id == want)
        .map(|(id, _)| id)
        .unwrap_or(want)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_filter_takes_its_range_from_its_type_on_the_real_server() {
    use pupitre::desk::ParamKind;
    let server = CamillaServer::start(&dummy_config());
    let (service, desk) = start(&server).await;
    let url = server.url();
    // By name alone "gain" reads as an EQ gain (±20 dB in 0.1 dB); ch0_gain is a Gain filter.
    let gain = "camilla:filter/ch0_gain/gain";
    assert_eq!(p(gain).kind().steps(), Some(400));
    let no_mute = "camilla:filter/ch0_bass/mute";
    desk.register(vec![p(gain), p(no_mute)]).await.unwrap();
    let want = ParamKind::Gain {
        min_db: -100.0,
        max_db: 20.0,
        step_db: 0.5,
    };
    within(3.0, "the Gain filter's range", async {
        while desk_id(&desk, gain).await.kind() != want {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // The bottom of the travel is the Gain filter's −100 dB, not the EQ guess's −20 dB.
    desk.send(Intent {
        param: p(gain),
        op: Op::Normalized(pupitre::desk::Normalized::MIN),
        origin: Origin::Surface("knob".into()),
    })
    .await
    .unwrap();
    until_value(
        &url,
        "gain at the bottom of its type's range",
        async |u| config_value(u, "/filters/ch0_gain/parameters/gain").await,
        serde_json::json!(-100.0),
    )
    .await;
    // One encoder step is the type's 0.5 dB grid.
    desk.send(Intent {
        param: p(gain),
        op: Op::Steps(1),
        origin: Origin::Surface("knob".into()),
    })
    .await
    .unwrap();
    until_value(
        &url,
        "one step up",
        async |u| config_value(u, "/filters/ch0_gain/parameters/gain").await,
        serde_json::json!(-99.5),
    )
    .await;
    // A Lowshelf has no mute: never written, so the config keeps its shape.
    set_switch(&desk, no_mute, true).await;
    set_db(&desk, "camilla:ch/1/bass", 2.0).await;
    until_value(
        &url,
        "a later write",
        async |u| config_value(u, "/filters/ch1_bass/parameters/gain").await,
        serde_json::json!(2.0),
    )
    .await;
    let bass = ask_server(
        &url,
        serde_json::json!({"command": "GetConfigValue", "value": "/filters/ch0_bass/parameters"}),
    )
    .await;
    assert!(bass.get("mute").is_none(), "{bass}");
    assert_eq!(bass["type"], "Lowshelf");
    // The processing figures come as fields.
    let mut status = desk.link_status(MixerId::Camilla);
    let dsp = within(3.0, "DSP status", async {
        status
            .wait_for(|s| s.dsp.is_some())
            .await
            .unwrap()
            .dsp
            .clone()
            .unwrap()
    })
    .await;
    assert_eq!(dsp.state, "Running", "{dsp:?}");
    // The Dummy device does not measure its rate (0 here); the field says what the server says.
    let rate = main_state(&url, "GetCaptureRate").await.as_f64().unwrap();
    assert_eq!(f64::from(dsp.capture_rate_hz), rate.trunc(), "{dsp:?}");
    assert!(
        dsp.load_percent >= 0.0 && dsp.load_percent < 100.0,
        "{dsp:?}"
    );
    service.shutdown(Duration::from_secs(2)).await;
}
