//! What an idle keep-alive connection costs the runtime: heap bytes per
//! connection once each has moved 16 KiB each way and gone quiet. Its own test
//! binary, since the heap count (glibc `mallinfo2`) covers the whole process
//! and other tests would allocate meanwhile; the clients are `openssl
//! s_client` processes, so their memory isn't counted. In the kTLS VMs the
//! same test measures connections whose records the kernel protects.

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::{CertChainAndKey, Config};
use baton_ktls::uring::{Echo, Runtime, RuntimeConfig};
use baton_ktls::KtlsMode;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use util::*;

const CLIENTS: usize = 24;
const ROUND: usize = 16 * 1024;

/// One `s_client` that sent `ROUND` bytes and got them back, then stays open.
fn idle_client(port: u16) -> Child {
    let ca = data("ca-ecdsa.pem");
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-verify_return_error", "-quiet"])
        .arg("-CAfile")
        .arg(&ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning openssl s_client");
    let mut line = vec![b'x'; ROUND - 1];
    line.push(b'\n');
    child.stdin.as_mut().unwrap().write_all(&line).unwrap();
    let mut back = vec![0u8; ROUND];
    let mut got = 0;
    let deadline = Instant::now() + BULK_TIMEOUT;
    let out = child.stdout.as_mut().unwrap();
    while got < ROUND {
        assert!(Instant::now() < deadline, "echo timed out");
        let n = out.read(&mut back[got..]).unwrap();
        assert!(n > 0, "s_client ended after {got} bytes");
        got += n;
    }
    assert_eq!(back, line);
    child
}

#[test]
fn an_idle_keep_alive_connection_gives_its_buffers_back() {
    if !openssl_available("an_idle_keep_alive_connection_gives_its_buffers_back") {
        return;
    }
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ktls: KtlsMode::Auto,
        shutdown_grace: Duration::from_secs(2),
        ..Default::default()
    };
    let rt = Runtime::start(cfg, b.build().unwrap(), Arc::new(Echo)).unwrap();
    let port = rt.local_addr().port();
    // Warm-up: one-time allocations (probe caches, the worker's first
    // connection slots) come before the count.
    let mut warm = idle_client(port);
    std::thread::sleep(Duration::from_millis(300));
    let before = baton_ktls::heap::heap_in_use();
    let mut clients: Vec<Child> = (0..CLIENTS).map(|_| idle_client(port)).collect();
    let multishot = rt.stats().iter().all(|s| s.multishot_recv);
    // Without releasing, each would hold Baton's record buffer (~21 KiB), its
    // output buffer (16 KiB), the receive buffer (16.5 KiB) and the send queue.
    // Released, what stays is the connection state: keys, secrets, the
    // runtime's slot. The receive buffer stays when receives are single-shot.
    let bound = if multishot {
        8 * 1024
    } else {
        8 * 1024 + 17 * 1024
    };
    // The worker releases a connection's buffers once it has seen its last
    // send complete: wait for that (bounded), rather than for a fixed time.
    let deadline = Instant::now() + BULK_TIMEOUT;
    let per_conn = loop {
        let per_conn = baton_ktls::heap::heap_in_use().saturating_sub(before) / CLIENTS;
        if per_conn <= bound || Instant::now() >= deadline {
            break per_conn;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for c in clients.iter_mut().chain(std::iter::once(&mut warm)) {
        let _ = c.kill();
        let _ = c.wait();
    }
    let stats = rt.shutdown();
    let kernel_recv: u64 = stats.iter().map(|s| s.kernel_recv).sum();
    println!(
        "idle connection: {per_conn} heap bytes each ({CLIENTS} connections; \
         kernel receive {kernel_recv}, multishot receives {multishot})"
    );
    assert!(
        per_conn <= bound,
        "idle connection holds {per_conn} bytes (bound {bound}); {stats:?}"
    );
}
