//! Debian's Chromium, headless, driven over WebDriver (its chromedriver) with fantoccini: no
//! browser download. chromedriver runs in its own process group and is killed with it when the
//! test ends, pass or fail.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use super::{within, TempDir};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver and one headless Chromium session.
pub struct Browser {
    pub client: Option<Client>,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// A headless Chromium with a window of `width` × `height` CSS pixels.
    pub async fn start(name: &str, width: u32, height: u32) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: the browser tests need Debian's chromium and chromium-driver \
                 (`scripts/dev test` installs them)"
            );
        }
        let port = super::free_udp_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let driver = command.spawn().expect("chromedriver starts");
        let profile = TempDir::new(&format!("chromium-{name}"));
        let mut browser = Browser {
            client: None,
            driver,
            _profile: profile,
        };
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // As root in CI containers, Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-extensions",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--lang=en-GB",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", browser._profile.0.display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let client = within(30.0, "chromedriver and Chromium start", async {
            loop {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector)
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await
                {
                    Ok(c) => return c,
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        })
        .await;
        browser.client = Some(client);
        browser
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    /// End the session (Chromium exits), then chromedriver.
    pub async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and any Chromium it left behind. Signalled directly:
        // the `kill` command of procps-ng 4.0.2 misreads `kill -KILL -PGID` and took down every
        // process of the user on this machine.
        #[cfg(unix)]
        if let Ok(group) = i32::try_from(self.driver.id()) {
            if group > 1 {
                // SAFETY: kill(2) with a negative pid signals that process group only.
                unsafe {
                    libc::kill(-group, libc::SIGKILL);
                }
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
