//! The service as systemd runs it: `pupitre run` reports READY=1 and a watchdog heartbeat on
//! $NOTIFY_SOCKET, and SIGTERM stops it cleanly: STOPPING=1, settings saved (even a change made
//! a moment before), exit status 0, within 2 s.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pupitre::x32::fake::FakeScene;
use tokio::net::UdpSocket;

use crate::support::*;

/// Messages on the notify socket until one contains `want`, or `secs` pass.
fn notified(socket: &UnixDatagram, want: &str, secs: f64) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        if let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = text.contains(want);
            seen.push(text);
            if done {
                break;
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_saves_state_and_exits_0_within_2_s() {
    let fake = fake(FakeScene::Demo, steady(), 0.0).await;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lifecycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let deck = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let listen = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(
        dir.join("mini.toml"),
        format!(
            "[device]\nname = \"mini\"\nnetwork = {{ listen = \"{listen}\", peer = \"{}\" }}\n\n\
             [banks]\nstrips = 8\nchannels = [\"ch/01-16\"]\n\n\
             [[control]]\nname = \"knob\"\nrepeat = 8\nsource = {{ cc = 1, channel = 11 }}\ntarget = \"strip:fader\"\n\n\
             [[control]]\nname = \"bank right\"\nsource = {{ note = 23, channel = 11 }}\naction = \"bank-next\"\n",
            deck.local_addr().unwrap()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("pupitre.toml"),
        format!(
            "[mixers.x32]\naddress = \"{}\"\nstrips = [\"ch/01-16\"]\n\n\
             [[surfaces]]\nname = \"mini\"\nmapping = \"mini.toml\"\n\n[state]\ndir = \"state\"\n",
            fake.local_addr()
        ),
    )
    .unwrap();
    let notify_path = dir.join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(["run", "--headless", "--config"])
        .arg(dir.join("pupitre.toml"))
        .env("NOTIFY_SOCKET", &notify_path)
        // A 200 ms watchdog: a heartbeat every 100 ms.
        .env("WATCHDOG_USEC", "200000")
        .env_remove("WATCHDOG_PID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Whatever happens below, the child does not outlive the test.
    struct Kill(u32);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(self.0.to_string())
                .stderr(Stdio::null())
                .status();
        }
    }
    let _guard = Kill(child.id());

    let seen = notified(&notify, "READY=1", 10.0);
    assert!(seen.iter().any(|m| m.contains("READY=1")), "{seen:?}");
    let beats = notified(&notify, "WATCHDOG=1", 3.0);
    assert!(beats.iter().any(|m| m.contains("WATCHDOG=1")), "{beats:?}");

    // The controller banks right; its new position is a setting, saved by the stop at the
    // latest (the debounced save would come a second later).
    let mut buf = vec![0u8; 2048];
    within(5.0, "the controller is fed", async {
        deck.recv_from(&mut buf).await.unwrap();
    })
    .await;
    deck.send_to(&[0x9A, 23, 0x7F], listen).await.unwrap();
    deck.send_to(&[0x8A, 23, 0x00], listen).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;

    let asked = Instant::now();
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "still running 2 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = asked.elapsed();
    eprintln!("SIGTERM to exit: {took:?}");
    let mut log = String::new();
    use std::io::Read;
    let _ = child.stderr.take().unwrap().read_to_string(&mut log);
    assert!(status.success(), "{status:?}\n{log}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let stopping = notified(&notify, "STOPPING=1", 1.0);
    assert!(
        stopping.iter().any(|m| m.contains("STOPPING=1")),
        "{stopping:?}"
    );
    let settings = std::fs::read_to_string(dir.join("state/settings.toml")).unwrap_or_default();
    assert!(
        settings.contains("\"pupitre:surface/mini/bank\" = 8"),
        "{settings}\n{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
