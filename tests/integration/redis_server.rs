//! A `redis-server` on a free 127.0.0.1 port for one test, killed on drop.
//! Shared by the integration tests and the `baton` CLI tests (which include
//! it by path, beside `util.rs`).

use super::util::free_port;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long redis-server has to answer PING after a start.
const START_WAIT: Duration = Duration::from_secs(20);

/// A `redis-server` child on 127.0.0.1 (no persistence), killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one, or returns `None` after a SKIPPED line if `redis-server`
    /// cannot be run (a panic instead when `BATON_REQUIRE_REDIS` is set:
    /// tools/test installs it and sets it).
    pub fn start(test: &str) -> Option<Self> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("BATON_REQUIRE_REDIS").is_none(),
                "redis-server is required (BATON_REQUIRE_REDIS is set) but cannot be run"
            );
            eprintln!("SKIPPED {test}: `redis-server` not found in PATH (tools/test installs it)");
            return None;
        }
        let mut s = Self {
            port: free_port(),
            child: None,
        };
        s.restart();
        Some(s)
    }

    /// (Re)starts it on its port and waits until it answers PING.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + START_WAIT;
        while !self.ping() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// PING in the inline protocol, answered `+PONG`.
    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Kills it (SIGKILL: like a crash, nothing flushed) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `redis://127.0.0.1:PORT/PREFIX`.
    pub fn url(&self, prefix: &str) -> String {
        format!("redis://127.0.0.1:{}/{prefix}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
