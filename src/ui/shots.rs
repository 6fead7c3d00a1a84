//! `pupitre screenshot`: the desk rendered headless to PNG with the demo running behind it.

use std::path::Path;
use std::time::{Duration, Instant};

use slint::ComponentHandle;
use tokio_util::sync::CancellationToken;

use super::screen::{Look, Screen};
use super::{live, render, strips, DeskWindow};
use crate::config::Config;
use crate::desk::{LinkState, MixerId};
use crate::service::Service;
use crate::x32::fake::{FakeOptions, FakeX32};

/// One picture to take.
#[derive(Clone, Debug)]
pub struct Shot {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 0 dark, 1 light, 2 high contrast.
    pub theme: i32,
    /// The theme's name, for the file name.
    pub theme_name: String,
    /// `en` or `fr`.
    pub language: String,
}

/// Run the demo's X32 side for `show`, then write every shot into `out` (on this thread; the
/// runtime `rt` carries the fake X32 and the service).
pub fn demo_screenshots(
    rt: &tokio::runtime::Handle,
    out: &Path,
    shots: &[Shot],
    show: Duration,
) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let stop = CancellationToken::new();
    let (mut fake, service, config) = rt.block_on(async {
        let fake = FakeX32::start(FakeOptions::new(([127, 0, 0, 1], 0).into()))
            .await
            .map_err(|e| format!("fake X32: {e}"))?;
        let mut config = Config::demo(fake.local_addr());
        config.stabilizer.enabled = true;
        // Pictures change the look on the screen only: nothing to save.
        config.state = crate::config::StateConfig::Nowhere;
        // The demo's deck, so the status bar shows a controller and what it last did.
        let (deck, player) = crate::demo::scripted_mixtrack()
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(player.play(stop.clone()));
        let service =
            Service::start_with(&config, stop.clone(), vec![deck]).map_err(|e| e.to_string())?;
        let mut link = service.desk().link_status(MixerId::X32);
        let online = tokio::time::timeout(
            Duration::from_secs(5),
            link.wait_for(|s| s.state == LinkState::Online),
        )
        .await;
        if !matches!(online, Ok(Ok(_))) {
            return Err("the fake X32 did not come online in 5 s".to_string());
        }
        Ok((fake, service, config))
    })?;
    let window = render::headless_window()?;
    let app = DeskWindow::new().map_err(|e| format!("desk window: {e}"))?;
    let layout = strips::from_config(&config);
    let params = strips::params(&layout.0, layout.1.as_ref());
    let desk = service.desk().clone();
    let _ = rt.block_on(desk.register(params));
    let screen = Screen::new(
        app.clone_strong(),
        layout,
        Look::default(),
        Box::new(|_| {}),
    );
    let stabilizer = service.stabilizer();
    let started = Instant::now();
    while started.elapsed() < show {
        if let Some(frame) = rt.block_on(live::full_frame(&desk, Some(&stabilizer))) {
            screen.borrow_mut().apply(frame, Instant::now());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut written = Vec::new();
    for s in shots {
        screen.borrow_mut().set_look(Look {
            language: s.language.clone(),
            theme: s.theme,
            density: 1,
        });
        let rgba = render::render(&window, s.width, s.height);
        let file = out.join(format!(
            "desk-{}x{}-{}-{}.png",
            s.width, s.height, s.theme_name, s.language
        ));
        render::write_png(&file, s.width, s.height, &rgba)?;
        written.push(file);
    }
    rt.block_on(async {
        service.shutdown(Duration::from_secs(2)).await;
        fake.stop().await;
    });
    for f in &written {
        println!("{}", f.display());
    }
    Ok(())
}
