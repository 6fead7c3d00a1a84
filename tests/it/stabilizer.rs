//! The live stabilizer against the fake X32 over UDP on 127.0.0.1: it rides the livestream
//! matrix within its bounds, pauses when someone moves the fader at the console, freezes when
//! the meters stop, and leaves the fader alone when switched off.

use std::time::Duration;

use pupitre::config::Config;
use pupitre::desk::{law, Db, DeskHandle, Intent, Op, Origin, Value};
use pupitre::service::Service;
use pupitre::stabilizer::{StabilizerState, Status};
use pupitre::x32::fake::{FakeScene, FakeX32, Programme};
use rosc::OscType;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::support::*;

const MTX: &str = "/mtx/01/mix/fader";

fn fader_db(fake: &FakeX32) -> f64 {
    law::level_to_db(f64::from(float_of(fake.get(MTX)).expect("a float")))
}

/// The service on the fake, riding mtx/01 towards −5 LUFS, out of reach of a −14 dBFS
/// programme (so it rides up to its +4 dB bound), quickly (6 dB/s up), resuming 1 s after a manual move.
fn start(fake: &FakeX32) -> (Service, watch::Receiver<StabilizerState>) {
    let mut config = Config::demo(fake.local_addr());
    let s = &mut config.stabilizer;
    s.enabled = true;
    s.target_lufs = -5.0;
    s.max_boost_db = 4.0;
    s.max_cut_db = 6.0;
    s.resume_after_s = 1.0;
    s.rates.up_db_s = Some(6.0);
    let service = Service::start(&config, CancellationToken::new()).expect("service starts");
    let state = service.stabilizer();
    (service, state)
}

async fn until(
    state: &mut watch::Receiver<StabilizerState>,
    secs: f64,
    what: &str,
    ok: impl Fn(&StabilizerState) -> bool,
) -> StabilizerState {
    let waited = tokio::time::timeout(Duration::from_secs_f64(secs), async {
        state.wait_for(|s| ok(s)).await.map(|s| s.clone())
    })
    .await;
    match waited {
        Ok(s) => s.expect("stabilizer running"),
        Err(_) => panic!(
            "timed out after {secs} s: {what}; state {:?}",
            *state.borrow()
        ),
    }
}

async fn set_control(desk: &DeskHandle, param: &str, value: Value) {
    desk.send(Intent {
        param: param_id(param),
        op: Op::Set(value),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
}

fn param_id(s: &str) -> pupitre::desk::ParamId {
    pupitre::desk::ParamId::parse(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_rides_within_bounds_and_pauses_for_a_hand_on_the_fader() {
    let fake = fake(
        FakeScene::Demo,
        Programme::Steady(Db::new_lossy(-14.0)),
        0.0,
    )
    .await;
    let home = fader_db(&fake);
    let (service, mut state) = start(&fake);
    let s = until(&mut state, 5.0, "riding", |s| {
        s.enabled && matches!(s.status, Status::Active(_))
    })
    .await;
    assert!((s.home_db.unwrap() - home).abs() < 0.05, "{s:?}");
    // It rises to home + 4 dB and never past it, on the console too.
    until(&mut state, 8.0, "at the boost bound", |s| {
        s.fader_db.is_some_and(|f| f >= home + 3.9)
    })
    .await;
    let mut highest = f64::MIN;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        highest = highest.max(fader_db(&fake));
    }
    assert!(
        highest <= home + 4.0 + 1e-6,
        "fader at {highest}, home {home}"
    );
    assert!(highest >= home + 3.8, "fader at {highest}, home {home}");
    let writes = state.borrow().writes;
    assert!(writes >= 1);

    // Someone pulls the matrix down at the console: paused, their value is home.
    assert!(fake.set_local(MTX, OscType::Float(0.65))); // about -4 dB on the fader law
    let hand = fader_db(&fake);
    assert!((hand + 4.0).abs() < 0.1, "{hand}");
    let s = until(&mut state, 2.0, "paused", |s| {
        matches!(s.status, Status::Paused { .. })
    })
    .await;
    assert!((s.home_db.unwrap() - hand).abs() < 0.01, "{s:?}");
    let writes_paused = s.writes;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fader_db(&fake), hand, "nothing written while paused");
    assert_eq!(state.borrow().writes, writes_paused);
    // After the quiet time it rides again, now around the new home: up to −6 dB at most.
    let s = until(&mut state, 3.0, "riding again", |s| {
        matches!(s.status, Status::Active(_))
    })
    .await;
    assert!((s.home_db.unwrap() - hand).abs() < 0.01, "{s:?}");
    until(&mut state, 6.0, "up to the new bound", |s| {
        s.fader_db.is_some_and(|f| f >= hand + 3.9)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fader_db(&fake) <= hand + 4.0 + 1e-6, "{}", fader_db(&fake));

    // Switched off from the desk: the fader stays where it is.
    let desk = service.desk().clone();
    set_control(&desk, "pupitre:stabilizer/enabled", Value::Index(0)).await;
    until(&mut state, 2.0, "off", |s| s.status == Status::Off).await;
    let left = fader_db(&fake);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(fader_db(&fake), left);
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_meters_freeze_it_and_it_says_so() {
    let mut fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let (service, mut state) = start(&fake);
    until(&mut state, 5.0, "riding", |s| {
        matches!(s.status, Status::Active(_))
    })
    .await;
    fake.stop().await;
    let s = until(&mut state, 1.0, "frozen", |s| s.status == Status::Frozen).await;
    let writes = s.writes;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(state.borrow().status, Status::Frozen);
    assert_eq!(
        state.borrow().writes,
        writes,
        "nothing written while frozen"
    );
    fake.restart().await.unwrap();
    until(&mut state, 8.0, "thawed", |s| {
        matches!(s.status, Status::Active(_))
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_drives_its_controls() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let mut config = Config::demo(fake.local_addr());
    config.stabilizer.target_lufs = -16.0;
    let service = Service::start(&config, CancellationToken::new()).unwrap();
    let mut state = service.stabilizer();
    let desk = service.desk().clone();
    // The stabilizer first puts its configured values on the desk (preset 1 = −16 LUFS).
    within(3.0, "controls published", async {
        while desk
            .get(&param_id("pupitre:stabilizer/preset"))
            .await
            .unwrap()
            != Some(Value::Index(1))
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // Preset 3 is −23 LUFS; the target parameter follows.
    set_control(&desk, "pupitre:stabilizer/preset", Value::Index(3)).await;
    until(&mut state, 2.0, "target -23", |s| {
        s.settings.target_lufs == -23.0
    })
    .await;
    let target = desk
        .get(&param_id("pupitre:stabilizer/target"))
        .await
        .unwrap();
    let kind = param_id("pupitre:stabilizer/target").kind();
    assert_eq!(kind.db(&target.unwrap()).unwrap().get(), -23.0);
    set_control(&desk, "pupitre:stabilizer/profile", Value::Index(1)).await;
    set_control(&desk, "pupitre:stabilizer/mode", Value::Index(1)).await;
    // Source 17 is matrix 2.
    set_control(&desk, "pupitre:stabilizer/source", Value::Index(17)).await;
    let s = until(&mut state, 2.0, "music, pid, mtx 2", |s| {
        s.settings.profile == pupitre::stabilizer::Profile::Music
            && s.settings.mode == pupitre::stabilizer::Mode::Pid
            && s.source == pupitre::desk::Strip::Matrix(2)
    })
    .await;
    assert!(!s.enabled);
    set_control(&desk, "pupitre:stabilizer/enabled", Value::Index(1)).await;
    until(&mut state, 5.0, "riding mtx 2", |s| {
        s.enabled && matches!(s.status, Status::Active(_))
    })
    .await;
    service.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_measures_a_post_fader_meter_on_the_fake() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let before = fader_db(&fake);
    let config = Config::demo(fake.local_addr());
    let service = Service::start(&config, CancellationToken::new()).unwrap();
    let mut state = service.stabilizer();
    let desk = service.desk().clone();
    wait_state(&desk, pupitre::desk::LinkState::Online).await;
    // Let the read-back land and the meters flow.
    tokio::time::sleep(Duration::from_millis(500)).await;
    set_control(&desk, "pupitre:stabilizer/calibrate", Value::Index(1)).await;
    let s = until(&mut state, 5.0, "calibrated", |s| s.calibration.is_some()).await;
    let c = s.calibration.unwrap();
    assert_eq!(c.meter_position, pupitre::stabilizer::MeterPosition::Post);
    // Our write, the fake's next meter tick (every 50 ms) and the link: a few frames.
    assert!((1..=6).contains(&c.loop_delay_frames), "{c:?}");
    until(&mut state, 2.0, "calibrate switch back off", |s| {
        s.status == Status::Off
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!((fader_db(&fake) - before).abs() < 0.05, "the fader is back");
    service.shutdown(Duration::from_secs(2)).await;
}
