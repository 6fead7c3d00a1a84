//! What pupitre remembers: the screen's settings and the controllers' banks, saved by the real
//! service into its state folder shortly after they change and on a clean stop, restored at the
//! next start (winning over the config), and a broken file set aside rather than lost.

use std::path::PathBuf;
use std::time::Duration;

use pupitre::config::Config;
use pupitre::desk::{DeskHandle, Intent, Op, Origin, ParamId, Value};
use pupitre::service::Service;
use pupitre::x32::fake::FakeScene;
use tokio_util::sync::CancellationToken;

use crate::support::*;

fn p(s: &str) -> ParamId {
    ParamId::parse(s).unwrap()
}

async fn set(desk: &DeskHandle, param: &str, i: u32) {
    desk.send(Intent {
        param: p(param),
        op: Op::Set(Value::Index(i)),
        origin: Origin::Ui,
    })
    .await
    .unwrap();
}

async fn value(desk: &DeskHandle, param: &str) -> Option<Value> {
    desk.get(&p(param)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_saved_restored_and_a_broken_file_is_kept_aside() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let dir = std::env::temp_dir().join(format!("pupitre-it-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config_file = dir.join("pupitre.toml");
    std::fs::write(
        &config_file,
        format!(
            "[mixers.x32]\naddress = \"{}\"\nstrips = [\"ch/01-02\"]\n\n[ui]\ntheme = \"light\"\n\n\
             [state]\ndir = \"state\"\n",
            fake.local_addr()
        ),
    )
    .unwrap();
    let config = Config::load(&config_file).unwrap();
    let settings: PathBuf = dir.join("state/settings.toml");
    let start = || {
        let stop = CancellationToken::new();
        Service::start(&config, stop).expect("service starts")
    };

    // First start: the config's choice, and nothing written while nothing changes.
    let service = start();
    let desk = service.desk().clone();
    assert_eq!(
        value(&desk, "pupitre:ui/theme").await,
        Some(Value::Index(1))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!settings.exists());
    // The screen switches to high contrast and French: saved about a second later.
    set(&desk, "pupitre:ui/theme", 2).await;
    set(&desk, "pupitre:ui/language", 1).await;
    within(4.0, "the settings file", async {
        while !std::fs::read_to_string(&settings)
            .unwrap_or_default()
            .contains("\"pupitre:ui/theme\" = 2")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // A change right before a clean stop is not lost.
    set(&desk, "pupitre:ui/density", 2).await;
    service.shutdown(Duration::from_secs(2)).await;
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(text.contains("\"pupitre:ui/density\" = 2"), "{text}");
    assert!(text.contains("\"pupitre:ui/language\" = 1"), "{text}");

    // Next start: what was saved wins over the config.
    let service = start();
    let desk = service.desk().clone();
    assert_eq!(
        value(&desk, "pupitre:ui/theme").await,
        Some(Value::Index(2))
    );
    assert_eq!(
        value(&desk, "pupitre:ui/density").await,
        Some(Value::Index(2))
    );
    service.shutdown(Duration::from_secs(2)).await;

    // A file broken by hand: set aside whole, and the config's settings used.
    std::fs::write(
        &settings,
        "version = 1\n[values]\n\"pupitre:ui/theme\" = \"dark\n",
    )
    .unwrap();
    let service = start();
    let desk = service.desk().clone();
    assert_eq!(
        value(&desk, "pupitre:ui/theme").await,
        Some(Value::Index(1))
    );
    let aside = dir.join("state/settings.toml.broken");
    assert!(std::fs::read_to_string(&aside)
        .unwrap()
        .contains("\"dark\n"));
    service.shutdown(Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
