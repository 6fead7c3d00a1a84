//! A real CamillaDSP on 127.0.0.1 for the tests: started on a free port with a config of the
//! test's choosing and the Dummy backend, killed when the guard is dropped (even on failure).

#![allow(dead_code)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary `scripts/dev` builds: `$CAMILLADSP_BIN`, else the cache path it uses.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CAMILLADSP_BIN") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/camilladsp-5.0.0-beta.1/bin/camilladsp")
}

/// The demo/test config shipped in `examples/camilladsp/dummy.yml`.
pub fn dummy_config() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/camilladsp/dummy.yml");
    std::fs::read_to_string(path).expect("examples/camilladsp/dummy.yml exists")
}

/// A running CamillaDSP.
pub struct CamillaServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    config: PathBuf,
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl CamillaServer {
    /// Start CamillaDSP with `config` (YAML) on a free loopback port and wait until it listens.
    pub fn start(config: &str) -> CamillaServer {
        let bin = binary();
        assert!(
            bin.exists(),
            "CamillaDSP is not installed at {}: run `scripts/dev test`, which builds it once",
            bin.display()
        );
        let dir = std::env::temp_dir().join(format!(
            "pupitre-cdsp-{}-{}",
            std::process::id(),
            free_tcp_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).expect("config written");
        let mut server = CamillaServer {
            child: None,
            port: free_tcp_port(),
            dir,
            config: config_path,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(binary())
            .args(["-w", "-a", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("-o")
            .arg(self.dir.join("camilladsp.log"))
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("camilladsp starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "camilladsp did not listen on {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The websocket URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Kill the process (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port with the same config file.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The config file on disk (a `Reload` re-reads it).
    pub fn config_path(&self) -> &std::path::Path {
        &self.config
    }
}

impl Drop for CamillaServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a mock CamillaDSP does with one request.
pub enum Answer {
    /// Send this text.
    Reply(String),
    /// Say nothing (a stalled server).
    Nothing,
}

/// A websocket server on 127.0.0.1 that answers like CamillaDSP would (or wouldn't): every
/// request is recorded, connections are counted, and the task stops when the mock is dropped.
pub struct MockCamilla {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl MockCamilla {
    pub async fn start(answer: fn(&str) -> Answer) -> MockCamilla {
        use futures_util::{SinkExt, StreamExt};
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (req, conns) = (requests.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                conns.fetch_add(1, Ordering::SeqCst);
                let req = req.clone();
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    while let Some(Ok(msg)) = ws.next().await {
                        let tokio_tungstenite::tungstenite::Message::Text(t) = msg else {
                            continue;
                        };
                        req.lock().unwrap().push(t.to_string());
                        if let Answer::Reply(r) = answer(&t) {
                            if ws
                                .send(tokio_tungstenite::tungstenite::Message::Text(r.into()))
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                });
            }
        });
        MockCamilla {
            url,
            requests,
            connections,
            task,
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Recorded requests, parsed as JSON (strings for bare v4 commands).
    pub fn requests_json(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect()
    }
}

impl Drop for MockCamilla {
    fn drop(&mut self) {
        self.task.abort();
    }
}
