//! `pupitre demo`: the fake X32 in-process, the service pointed at it, somebody moving things on
//! both sides, and a readable summary in the log every few seconds.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use rosc::OscType;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::Config;
use crate::desk::{law, Change, DeskHandle, Intent, MixerId, Op, Origin, Strip};
use crate::service::Service;
use crate::x32::fake::{FakeOptions, FakeX32};

/// Options of the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where the fake X32 listens.
    pub bind: SocketAddr,
    /// Packet loss the fake applies both ways.
    pub loss: f64,
    /// Seconds between summaries.
    pub summary_every: Duration,
    /// Stop after this long (for scripted runs); `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
}

/// Run the demo until `stop` is cancelled.
pub async fn run(options: DemoOptions, stop: CancellationToken) -> Result<()> {
    let mut fake_options = FakeOptions::new(options.bind);
    fake_options.loss = options.loss;
    let fake = FakeX32::start(fake_options)
        .await
        .with_context(|| format!("cannot start the fake X32 on {}", options.bind))?;
    let addr = fake.local_addr();

    let config = Config::demo(addr);
    let service = Service::start(&config, stop.clone())?;
    let desk = service.desk().clone();

    if let Some(d) = options.duration {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            stop.cancel();
        });
    }
    tokio::spawn(engineer_at_the_console(fake, stop.clone()));
    tokio::spawn(surface_moves(desk.clone(), stop.clone()));
    summarize(desk, options.summary_every, stop.clone()).await;
    service.shutdown(Duration::from_secs(2)).await;
    Ok(())
}

/// Somebody at the console rides the lead vocal: the change reaches pupitre through `/xremote`.
async fn engineer_at_the_console(fake: FakeX32, stop: CancellationToken) {
    let mut up = true;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(7)) => {}
        }
        let db = if up { -3.0 } else { 0.0 };
        up = !up;
        let f = law::quantize_level(law::db_to_level(db), law::FADER_STEPS);
        fake.set_local("/ch/01/mix/fader", OscType::Float(f as f32));
    }
    drop(fake);
}

/// A control surface (scripted here) nudges the stream bus: the desk writes it to the X32.
async fn surface_moves(desk: DeskHandle, stop: CancellationToken) {
    let bus = Strip::Bus(1).fader();
    let mut step = 1;
    let mut n = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
        n += 1;
        if n % 4 == 0 {
            step = -step;
        }
        let intent = Intent {
            param: bus.clone(),
            op: Op::Steps(step * 10),
            origin: Origin::Surface("demo-deck".into()),
        };
        if desk.send(intent).await.is_err() {
            break;
        }
    }
}

/// Log changes as they happen, and a summary of links and levels every `every`.
async fn summarize(desk: DeskHandle, every: Duration, stop: CancellationToken) {
    let mut changes = desk.subscribe();
    let meters = desk.meters().subscribe(MixerId::X32);
    let status = desk.link_status(MixerId::X32);
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let mut counted = 0u64;
    let mut resynced = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            r = changes.recv() => match r {
                Ok(c) => {
                    counted += 1;
                    // A read-back is hundreds of changes at once: counted, not listed.
                    if matches!(c.origin, Origin::Resync(_)) {
                        resynced += 1;
                    } else {
                        log_change(&c);
                    }
                }
                Err(RecvError::Lagged(n)) => warn!(skipped = n, "summary fell behind"),
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                let s = status.borrow().clone();
                let frame = meters.borrow().clone();
                let level = |strip: Strip| {
                    frame.level(strip).map_or("-".to_string(), |d| d.to_string())
                };
                info!(
                    x32 = %s.state,
                    peer = s.peer.as_deref().unwrap_or("-"),
                    main_lr = %level(Strip::MainStereo),
                    bus_01 = %level(Strip::Bus(1)),
                    mtx_01 = %level(Strip::Matrix(1)),
                    ch_01 = %level(Strip::Channel(1)),
                    changes = counted,
                    read_back = resynced,
                    "summary"
                );
                counted = 0;
                resynced = 0;
            }
        }
    }
}

fn log_change(c: &Change) {
    let kind = c.param.kind();
    info!(
        param = %c.param,
        from = %kind.display(&c.previous),
        to = %kind.display(&c.value),
        origin = %c.origin,
        "change"
    );
}
