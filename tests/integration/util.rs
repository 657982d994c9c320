//! Helpers for tests against real peers on 127.0.0.1: free ports, `openssl`
//! child processes that are killed on drop, an in-process Baton server thread,
//! deterministic payloads and SHA-256.
//!
//! Everything here is bounded in time: a stuck peer fails the test, it never
//! hangs it. Shared with `tools/tests/` through `#[path]`, so some helpers are
//! unused in one of the two binaries.
#![allow(dead_code)]

use baton::{CertChainAndKey, Config, Connection, Error, KernelSession, Mode};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a child process or a server thread may take to finish its part.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// For the 16 MiB transfers (debug builds on a busy machine).
pub const BULK_TIMEOUT: Duration = Duration::from_secs(120);
/// Socket read/write timeout: a silent peer turns into an error, not a hang.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `openssl s_server` may take to start listening.
pub const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- test data

/// `tests/data/NAME` at the workspace root (from the root package or from
/// `tools/`); panics with a hint when it does not exist.
pub fn data(name: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = [here.join("tests/data"), here.join("../tests/data")]
        .into_iter()
        .find(|d| d.is_dir())
        .unwrap_or_else(|| here.join("tests/data"));
    let p = dir.join(name);
    assert!(
        p.exists(),
        "missing test file {}: generate it with tests/data/gen.sh",
        p.display()
    );
    p
}

/// A per-process scratch directory under the system temp dir.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("baton-tests-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("creating the scratch directory");
        d
    })
}

/// One PEM file holding both test CAs (for `openssl s_client -CAfile`).
pub fn all_cas_file() -> &'static Path {
    static F: OnceLock<PathBuf> = OnceLock::new();
    F.get_or_init(|| {
        let mut pem = std::fs::read(data("ca-rsa.pem")).unwrap();
        pem.extend(std::fs::read(data("ca-ecdsa.pem")).unwrap());
        let p = scratch_dir().join("all-cas.pem");
        std::fs::write(&p, pem).unwrap();
        p
    })
}

/// The DER of the first certificate in a PEM file under `tests/data`.
pub fn leaf_der(pem_name: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    CertificateDer::from_pem_file(data(pem_name))
        .unwrap_or_else(|e| panic!("reading {pem_name}: {e:?}"))
        .to_vec()
}

// ---------------------------------------------------------------- configs

/// A client config trusting exactly the two test CAs.
pub fn client_config() -> Config {
    let mut b = Config::builder_minimal();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        let pem = std::fs::read(data(ca)).unwrap();
        b.add_pem_to_trust_store(&pem)
            .unwrap_or_else(|e| panic!("adding {ca} to the trust store: {e}"));
    }
    b.build().expect("building the client config")
}

/// A server config with one chain and key from `tests/data`.
pub fn server_config(chain: &str, key: &str) -> Config {
    let mut b = Config::builder_minimal();
    let ck = CertChainAndKey::from_pem_files(data(chain), data(key))
        .unwrap_or_else(|e| panic!("loading {chain} and {key}: {e}"));
    b.add_cert_chain_and_key(ck);
    b.build().expect("building the server config")
}

// ---------------------------------------------------------------- openssl

/// Whether `openssl` can be run. When it cannot, prints a visible SKIPPED line
/// and returns false, unless `BATON_REQUIRE_OPENSSL` is set (tools/test sets it),
/// in which case it panics: in CI these tests must run.
pub fn openssl_available(test: &str) -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !found {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "openssl is required (BATON_REQUIRE_OPENSSL is set) but cannot be run"
        );
        eprintln!("SKIPPED {test}: `openssl` not found in PATH (tools/test installs it)");
    }
    found
}

/// Returns from the test (after a visible SKIPPED line) if openssl is missing.
#[macro_export]
macro_rules! require_openssl {
    () => {
        if !$crate::util::openssl_available(module_path!()) {
            return;
        }
    };
}

/// A 127.0.0.1 port that was free a moment ago and that no other test in
/// this process has been given.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
        let port = l.local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap();
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
}

/// Whether something listens on 127.0.0.1:`port` (or the wildcard address),
/// read from /proc/net/tcp so that checking does not use up an accept.
pub fn is_listening(port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table.lines().skip(1).any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.len() > 3 && wanted.iter().any(|w| w == f[1]) && f[3] == "0A"
    })
}

/// A child process with captured stdout/stderr, killed on drop.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
}

/// What a finished child left behind.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl Proc {
    /// Spawns `cmd` with all three standard streams piped.
    pub fn spawn(name: &str, cmd: &mut Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({cmd:?}): {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), Arc::clone(&stdout)),
            collect(child.stderr.take().unwrap(), Arc::clone(&stderr)),
        ];
        Proc {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            readers,
            writer: None,
        }
    }

    /// Writes to the child's stdin (which stays open).
    pub fn write_stdin(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin
            .write_all(data)
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("writing to {}'s stdin: {e}", self.name));
    }

    /// Closes the child's stdin (EOF).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Writes `data` to stdin from a thread (the child may only read while it
    /// can also write), then closes stdin.
    pub fn feed_stdin(&mut self, data: Arc<Vec<u8>>) {
        let mut stdin = self.stdin.take().expect("stdin already closed");
        self.writer = Some(thread::spawn(move || {
            // A child that exits early makes this fail; its exit status says why.
            let _ = stdin.write_all(&data);
        }));
    }

    /// A copy of everything the child has written to stdout so far.
    pub fn stdout_now(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything written to stderr so far, as text.
    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stdout satisfies `pred`, or panics after `timeout`.
    pub fn wait_for_stdout(&self, timeout: Duration, pred: impl Fn(&[u8]) -> bool) {
        let deadline = Instant::now() + timeout;
        while !pred(&self.stdout.lock().unwrap()) {
            assert!(
                Instant::now() < deadline,
                "{}: expected output did not appear within {timeout:?}; stdout: {:?}; stderr: {}",
                self.name,
                String::from_utf8_lossy(&self.stdout_now()),
                self.stderr_now()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the child is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the child to exit (closing its stdin first if still open);
    /// kills it and panics, showing its stderr, after `timeout`.
    pub fn wait(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "{} did not exit within {timeout:?}; stderr: {}",
                        self.name,
                        self.stderr_now()
                    );
                }
                Err(e) => panic!("waiting for {}: {e}", self.name),
            }
        };
        // The pipes hit EOF once the child is gone.
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        Output {
            status,
            stdout: self.stdout_now(),
            stderr: self.stderr_now(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

/// A running `openssl s_server`.
#[derive(Debug)]
pub struct SServer {
    pub port: u16,
    pub proc: Proc,
}

/// Starts `openssl s_server -accept 127.0.0.1:PORT ARGS...` in `cwd` (if given)
/// and waits until it listens. Its stdin stays open: `s_server` ends the
/// connection at stdin EOF, so close it only to make that happen.
pub fn s_server_in(cwd: Option<&Path>, args: &[&str]) -> SServer {
    s_server_env(cwd, &[], args)
}

/// [`s_server_in`] with extra environment variables (e.g. `OPENSSL_CONF`).
pub fn s_server_env(cwd: Option<&Path>, env: &[(&str, &Path)], args: &[&str]) -> SServer {
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let port = free_port();
        let mut cmd = Command::new("openssl");
        cmd.arg("s_server")
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .envs(env.iter().copied());
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        let mut proc = Proc::spawn("openssl s_server", &mut cmd);
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            if is_listening(port) {
                return SServer { port, proc };
            }
            if !proc.running() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "openssl s_server {args:?} did not listen within {LISTEN_TIMEOUT:?}; stderr: {}",
                proc.stderr_now()
            );
            thread::sleep(Duration::from_millis(10));
        }
        last_err = proc.stderr_now();
        if !last_err.contains("in use") {
            break; // not a port race: retrying will not help
        }
    }
    panic!("openssl s_server {args:?} failed to start: {last_err}");
}

/// [`s_server_in`] in the current directory.
pub fn s_server(args: &[&str]) -> SServer {
    s_server_in(None, args)
}

/// Starts `openssl s_client -connect 127.0.0.1:PORT ARGS...`.
pub fn s_client(port: u16, args: &[&str]) -> Proc {
    s_client_env(port, &[], args)
}

/// `openssl s_client -quiet` to a server with the ECDSA test chain for
/// `localhost`, verified against the test CA (stdin out, stdout in).
pub fn s_client_ecdsa_quiet(port: u16) -> Proc {
    let ca = data("ca-ecdsa.pem");
    let ca = ca.to_str().expect("a UTF-8 path");
    s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            ca,
            "-verify_return_error",
            "-quiet",
        ],
    )
}

/// [`s_client`] with extra environment variables (e.g. `OPENSSL_CONF`).
pub fn s_client_env(port: u16, env: &[(&str, &Path)], args: &[&str]) -> Proc {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .envs(env.iter().copied());
    Proc::spawn("openssl s_client", &mut cmd)
}

// ---------------------------------------------------------------- Baton peers

/// A TCP connection to 127.0.0.1:`port` with I/O timeouts set.
pub fn tcp_connect(port: u16) -> TcpStream {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s
}

/// A blocking Baton client connected to `port`: `setup` runs before the
/// handshake (server name, ALPN...). Returns the handshake's result.
pub fn baton_client(
    config: &Config,
    port: u16,
    setup: impl FnOnce(&mut Connection),
) -> Result<Connection, Error> {
    let mut conn = Connection::new(Mode::Client, config);
    setup(&mut conn);
    conn.set_io(tcp_connect(port));
    conn.negotiate()?;
    Ok(conn)
}

/// A Baton server thread that accepts one connection on 127.0.0.1 and runs
/// `f` on it (before the handshake: `f` calls `negotiate`).
#[derive(Debug)]
pub struct BatonServer<T> {
    pub port: u16,
    result: mpsc::Receiver<Result<T, String>>,
}

pub fn baton_server<T, F>(config: Config, f: F) -> BatonServer<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let r = accept_within(&listener, TIMEOUT).and_then(|stream| {
            let mut conn = Connection::new_server(&config);
            conn.set_io(stream);
            f(&mut conn).map_err(|e| format!("{e} [{e:?}]"))
        });
        let _ = tx.send(r);
    });
    BatonServer { port, result: rx }
}

impl<T> BatonServer<T> {
    /// The server's result; panics if it does not finish within `timeout`.
    pub fn join(self, timeout: Duration) -> Result<T, String> {
        self.result.recv_timeout(timeout).unwrap_or_else(|e| {
            panic!("the Baton server thread did not finish within {timeout:?}: {e}")
        })
    }
}

fn accept_within(listener: &TcpListener, timeout: Duration) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
                return Ok(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(format!("no connection within {timeout:?}"));
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

/// The data calls a `Connection` and a `KernelSession` share, so the helpers
/// below drive either.
pub trait DataConn {
    /// `send`.
    fn send(&mut self, data: &[u8]) -> Result<usize, Error>;
    /// `recv`.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error>;
    /// `flush`.
    fn flush(&mut self) -> Result<(), Error>;
}

impl DataConn for Connection {
    fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        Connection::send(self, data)
    }
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        Connection::recv(self, buf)
    }
    fn flush(&mut self) -> Result<(), Error> {
        Connection::flush(self)
    }
}

impl DataConn for KernelSession {
    fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        KernelSession::send(self, data)
    }
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        KernelSession::recv(self, buf)
    }
    fn flush(&mut self) -> Result<(), Error> {
        KernelSession::flush(self)
    }
}

/// Sends all of `data` on a blocking connection, then flushes.
pub fn send_all(conn: &mut impl DataConn, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        let n = conn.send(data)?;
        assert!(n > 0, "send accepted 0 bytes of {}", data.len());
        data = &data[n..];
    }
    conn.flush()
}

/// Receives exactly `len` bytes (fails at close_notify before that).
pub fn recv_exact(conn: &mut impl DataConn, len: usize) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let n = conn.recv(&mut out[got..])?;
        assert!(n > 0, "peer closed after {got} of {len} bytes");
        got += n;
    }
    Ok(out)
}

/// Receives until the peer's close_notify (`recv` returning 0).
pub fn recv_to_end(conn: &mut impl DataConn) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match conn.recv(&mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Receives until `pred(received)` holds.
pub fn recv_until(
    conn: &mut impl DataConn,
    pred: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while !pred(&out) {
        let n = conn.recv(&mut buf)?;
        assert!(
            n > 0,
            "peer closed early; got {:?}",
            String::from_utf8_lossy(&out)
        );
        out.extend_from_slice(&buf[..n]);
    }
    Ok(out)
}

// ---------------------------------------------------------------- payloads

/// 16 MiB.
pub const BULK_LEN: usize = 16 * 1024 * 1024;

/// `len` deterministic pseudo-random bytes (xorshift64*), different per `seed`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn payload_is_deterministic_and_checksummed() {
    let a = payload(1000, 1);
    assert_eq!(a, payload(1000, 1));
    assert_ne!(a, payload(1000, 2));
    assert_eq!(payload(13, 5).len(), 13);
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
