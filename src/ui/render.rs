//! Headless renders of the desk to PNG with the software renderer (no display needed): for the
//! README, CI artifacts and the screenshot tests.

use std::path::Path;
use std::rc::Rc;

use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter};
use slint::PhysicalSize;

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

/// A software window for this thread; call once, before creating the [`super::DeskWindow`].
pub fn headless_window() -> Result<Rc<MinimalSoftwareWindow>, String> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless {
        window: window.clone(),
    }))
    .map_err(|e| format!("cannot set up headless rendering: {e}"))?;
    Ok(window)
}

/// Render the window at `width × height` into RGBA bytes.
pub fn render(window: &MinimalSoftwareWindow, width: u32, height: u32) -> Vec<u8> {
    window.set_size(PhysicalSize::new(width, height));
    window.request_redraw();
    let mut buffer = vec![PremultipliedRgbaColor::default(); (width * height) as usize];
    // Layout settles over a couple of passes after a resize.
    for _ in 0..3 {
        slint::platform::update_timers_and_animations();
        window.request_redraw();
        window.draw_if_needed(|renderer| {
            renderer.render(&mut buffer, width as usize);
        });
    }
    let mut rgba = Vec::with_capacity(buffer.len() * 4);
    for p in buffer {
        rgba.extend_from_slice(&[p.red, p.green, p.blue, 255]);
    }
    rgba
}

/// Write RGBA bytes as a PNG.
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<(), String> {
    let what = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| what(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| what(&e))?;
    writer.write_image_data(rgba).map_err(|e| what(&e))?;
    writer.finish().map_err(|e| what(&e))
}
