//! `pupitre learn` as a person uses it: a controller on network MIDI, a fader swept, the
//! snippet on stdout.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::free_udp_port;

/// Kills the child when the test ends, passed or failed.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines until one contains `needle`, or a panic with what came after `secs`.
fn read_until(lines: &mpsc::Receiver<String>, needle: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    return seen;
                }
            }
            Err(_) => panic!("no {needle:?} on stdout after {secs} s; got:\n{seen}"),
        }
    }
}

#[test]
fn a_fader_swept_over_network_midi_prints_a_range_snippet() {
    let listen = format!("127.0.0.1:{}", free_udp_port());
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = device.local_addr().unwrap().to_string();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pupitre"))
            .args(["learn", "--listen", &listen, "--peer", &peer])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the pupitre binary runs"),
    );
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    read_until(&lines, "move one control at a time", 10);

    // A fader on CC 7, channel 3, swept up in 16 steps, a few messages per datagram.
    let sweep: Vec<u8> = (0..=127u8).step_by(8).flat_map(|v| [0xB2, 7, v]).collect();
    for chunk in sweep.chunks(6) {
        device.send_to(chunk, &listen).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = read_until(&lines, "character =", 10);
    assert!(out.contains("cc = 7, channel = 3"), "{out}");
    assert!(out.contains("character = \"range\""), "{out}");
    let out = read_until(&lines, "target =", 5);
    assert!(out.contains("# ← set the target"), "{out}");
}

#[test]
fn learn_needs_a_port_or_a_network_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(["learn"])
        .output()
        .expect("the pupitre binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--port") && err.contains("--listen"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_pupitre"))
        .args(["learn", "--help"])
        .output()
        .expect("the pupitre binary runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("move one control at a time"), "{help}");
}
