//! The desk screen's cost with the software renderer, headless:
//! - full-frame render time at 1280×720 and 800×480 (median and p99 of 200 frames);
//! - the UI thread's work for 32 meters updated at 30 Hz for 10 s, with partial repaints as on
//!   the Pi (wall time of apply + repaint over wall time: an upper bound on its CPU).
//!
//! `cargo bench --bench ui_render`

use std::rc::Rc;
use std::time::{Duration, Instant};

use pupitre::config::Config;
use pupitre::desk::{Db, MeterFrame, MixerId, Strip, StripLevel};
use pupitre::ui::{strips, DeskWindow, Frame, Look, Screen};
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, PhysicalSize};

struct Headless(Rc<MinimalSoftwareWindow>);

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.0.clone())
    }
}

fn desk(
    buffer: RepaintBufferType,
) -> (
    Rc<MinimalSoftwareWindow>,
    DeskWindow,
    Rc<std::cell::RefCell<Screen>>,
) {
    let window = MinimalSoftwareWindow::new(buffer);
    slint::platform::set_platform(Box::new(Headless(window.clone())))
        .expect("one platform per thread");
    let app = DeskWindow::new().expect("desk window");
    let mut config = Config::demo("127.0.0.1:10023".parse().expect("address"));
    if let Some(x) = &mut config.x32 {
        x.strips = Strip::parse_range("ch/01-32").expect("strips");
        x.strips.push(Strip::MainStereo);
    }
    let screen = Screen::new(
        app.clone_strong(),
        strips::from_config(&config),
        Look::default(),
        Box::new(|_| {}),
    );
    app.show().expect("shown");
    (window, app, screen)
}

fn meters(t: f64) -> Frame {
    let mut x32 = MeterFrame::empty(MixerId::X32);
    for n in 1..=32u8 {
        let db = -30.0 + 20.0 * (t * 3.0 + f64::from(n)).sin();
        x32.levels
            .insert(Strip::Channel(n), StripLevel::mono(Db::new_lossy(db)));
    }
    x32.levels
        .insert(Strip::MainStereo, StripLevel::mono(Db::new_lossy(-12.0)));
    Frame {
        x32: Some(x32),
        ..Frame::default()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn full_frames(width: u32, height: u32) -> (f64, f64) {
    let (window, _app, screen) = desk(RepaintBufferType::NewBuffer);
    window.set_size(PhysicalSize::new(width, height));
    let mut buffer = vec![PremultipliedRgbaColor::default(); (width * height) as usize];
    let mut times = Vec::new();
    let mut drawn = 0;
    for i in 0..220 {
        screen
            .borrow_mut()
            .apply(meters(f64::from(i) * 0.033), Instant::now());
        window.request_redraw();
        let t = Instant::now();
        if window.draw_if_needed(|r| {
            r.render(&mut buffer, width as usize);
        }) {
            drawn += 1;
        }
        if i >= 20 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    assert_eq!(drawn, 220, "every frame drew");
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn meters_at_30hz(width: u32, height: u32) -> (f64, f64) {
    let (window, _app, screen) = desk(RepaintBufferType::ReusedBuffer);
    window.set_size(PhysicalSize::new(width, height));
    let mut buffer = vec![PremultipliedRgbaColor::default(); (width * height) as usize];
    let run = Duration::from_secs(10);
    let start = Instant::now();
    let mut frames = 0u32;
    let mut drawn = 0u32;
    let mut next = start;
    let mut busy = Duration::ZERO;
    while start.elapsed() < run {
        let began = Instant::now();
        screen
            .borrow_mut()
            .apply(meters(start.elapsed().as_secs_f64()), Instant::now());
        slint::platform::update_timers_and_animations();
        if window.draw_if_needed(|r| {
            r.render(&mut buffer, width as usize);
        }) {
            drawn += 1;
        }
        busy += began.elapsed();
        frames += 1;
        next += Duration::from_millis(33);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    assert!(
        drawn >= frames * 9 / 10,
        "{drawn} of {frames} frames drew something"
    );
    let wall = start.elapsed().as_secs_f64();
    println!(
        "  {w}x{h}: {:.0} µs of UI-thread work a frame (apply + partial repaint)",
        busy.as_secs_f64() / f64::from(frames) * 1e6,
        w = width,
        h = height
    );
    (busy.as_secs_f64() / wall * 100.0, f64::from(drawn) / wall)
}

fn main() {
    for (w, h) in [(1280, 720), (800, 480)] {
        let (p50, p99) = std::thread::spawn(move || full_frames(w, h))
            .join()
            .expect("render thread");
        println!(
            "full frame {w}x{h}: p50 {p50:.2} ms, p99 {p99:.2} ms (software renderer, 200 frames)"
        );
    }
    for (w, h) in [(1280, 720), (800, 480)] {
        let (cpu, fps) = std::thread::spawn(move || meters_at_30hz(w, h))
            .join()
            .expect("meter thread");
        println!("32 meters at 30 Hz, {w}x{h}, partial repaints: the UI thread busy {cpu:.2} % of the time ({fps:.1} frames/s, 10 s)");
    }
}
