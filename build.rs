//! Compiles the desk screen (`ui/desk.slint`) with its French translation bundled and the DejaVu
//! Sans font embedded from Debian's `fonts-dejavu-core`, so the screen looks the same everywhere.

use std::path::PathBuf;

fn main() {
    let fonts = PathBuf::from(
        std::env::var("PUPITRE_FONT_DIR")
            .unwrap_or_else(|_| "/usr/share/fonts/truetype/dejavu".to_string()),
    );
    println!("cargo:rerun-if-env-changed=PUPITRE_FONT_DIR");
    if !fonts.join("DejaVuSans.ttf").is_file() {
        panic!(
            "the desk screen embeds DejaVu Sans, looked for {}: install it with \
             `apt-get install fonts-dejavu-core` (scripts/dev does), or point PUPITRE_FONT_DIR \
             at a folder holding DejaVuSans.ttf",
            fonts.join("DejaVuSans.ttf").display()
        );
    }
    // Element queries in the UI tests need debug info; release builds go without.
    let debug = std::env::var("PROFILE").is_ok_and(|p| p == "debug");
    let config = slint_build::CompilerConfiguration::new()
        .with_include_paths(vec![fonts])
        .with_bundled_translations("ui/lang")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(debug);
    if let Err(e) = slint_build::compile_with_config("ui/desk.slint", config) {
        panic!("ui/desk.slint: {e}");
    }
}
