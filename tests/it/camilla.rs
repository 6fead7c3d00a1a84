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
    let mut c = Config::demo("127.0.0.1:9".parse().unwrap());
    c.x32 = None;
    c.camilla = Some(CamillaConfig {
        url: url.into(),
        channels: 2,
        aux_faders: 2,
    });
    c
}

async fn start(server: &CamillaServer) -> (Service, DeskHandle) {
    let service =
        Service::start(&config(&server.url()), CancellationToken::new()).expect("service");
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

/// Ask the real server directly, as another client would.
async fn config_value(url: &str, pointer: &str) -> serde_json::Value {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let req = serde_json::json!({"command": "GetConfigValue", "value": pointer}).to_string();
    ws.send(Message::Text(req.into())).await.unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["reply"] == "GetConfigValue" {
                return v["value"].clone();
            }
        }
    }
    panic!("no reply to GetConfigValue")
}

/// The server's instantaneous playback RMS of `channel` (`GetSignalLevels`, not smoothed).
async fn instant_playback(url: &str, channel: usize) -> f64 {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let req = serde_json::json!({"command": "GetSignalLevels"}).to_string();
    ws.send(Message::Text(req.into())).await.unwrap();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["reply"] == "GetSignalLevels" {
                return v["value"]["playback_rms"][channel].as_f64().unwrap();
            }
        }
    }
    panic!("no reply to GetSignalLevels")
}

/// A muted channel: the server's instantaneous level reads its silence floor, and the streamed
/// meter (VU ballistics, 300 ms release: it falls about 29 dB/s) drops below −60 dBFS.
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

async fn command(url: &str, cmd: serde_json::Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::Text(cmd.to_string().into()))
        .await
        .unwrap();
    let _ = ws.next().await;
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
