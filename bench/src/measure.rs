//! The measurement loops, the same for every library.

use crate::{mem, pattern, Case, Library, Pair, Resume, Side, SideTimes};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Bytes sent per round of the bulk loop (then all received).
pub const ROUND_BYTES: usize = 256 * 1024;

/// Bulk throughput in bytes per second, each direction timed on its own.
#[derive(Clone, Copy, Debug)]
pub struct Bulk {
    /// Client: application writes sealed and written into the transport.
    pub send: f64,
    /// Server: records read from the transport, opened and read out.
    pub recv: f64,
}

/// Receives exactly `buf.len()` bytes on the server.
fn recv_exact<P: Pair>(pair: &mut P, buf: &mut [u8], scratch: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let want = (buf.len() - got).min(scratch.len());
        let n = pair.recv(&mut scratch[..want]);
        assert!(
            n > 0,
            "receiver starved: the sender's data did not all arrive"
        );
        buf[got..got + n].copy_from_slice(&scratch[..n]);
        got += n;
    }
}

/// A connected, checked pair for `case`.
pub fn connected<L: Library>(lib: &L, case: Case) -> Result<L::Pair, String> {
    let pair = lib.handshake(&mut SideTimes::default());
    pair.check(case)?;
    Ok(pair)
}

/// Sends `ROUND_BYTES` in `write`-byte application writes, then receives them
/// (reads of up to 16 KiB), for `budget`; first a round whose every byte is checked.
pub fn bulk<L: Library>(case: Case, write: usize, budget: Duration) -> Result<Bulk, String> {
    let lib = L::setup(case, false)?;
    let mut pair = connected(&lib, case)?;
    let data = pattern(ROUND_BYTES);
    let writes = ROUND_BYTES / write;
    let mut scratch = vec![0u8; 16 * 1024];
    // One checked round: what arrives is exactly what was sent.
    for i in 0..writes {
        pair.send(&data[i * write..(i + 1) * write]);
    }
    let mut got = vec![0u8; writes * write];
    recv_exact(&mut pair, &mut got, &mut scratch);
    if got[..] != data[..writes * write] {
        return Err(format!(
            "{}: received bytes differ from those sent",
            L::NAME
        ));
    }
    let (mut send, mut recv, mut bytes) = (Duration::ZERO, Duration::ZERO, 0usize);
    let start = Instant::now();
    while start.elapsed() < budget || bytes == 0 {
        let t = Instant::now();
        for i in 0..writes {
            pair.send(&data[i * write..(i + 1) * write]);
        }
        send += t.elapsed();
        let t = Instant::now();
        let mut left = writes * write;
        while left > 0 {
            let want = left.min(scratch.len());
            let n = pair.recv(&mut scratch[..want]);
            assert!(n > 0, "receiver starved");
            left -= n;
        }
        recv += t.elapsed();
        black_box(&scratch);
        bytes += writes * write;
    }
    Ok(Bulk {
        send: bytes as f64 / send.as_secs_f64(),
        recv: bytes as f64 / recv.as_secs_f64(),
    })
}

/// Full handshakes per second, each side's own time.
#[derive(Clone, Copy, Debug)]
pub struct Handshakes {
    /// Client handshakes per second of client time.
    pub client: f64,
    /// Server handshakes per second of server time.
    pub server: f64,
}

/// Full handshakes for `budget` (after one checked handshake).
pub fn handshakes<L: Library>(case: Case, budget: Duration) -> Result<Handshakes, String> {
    let lib = L::setup(case, false)?;
    drop(connected(&lib, case)?);
    let mut t = SideTimes::default();
    let mut n = 0u32;
    let start = Instant::now();
    while start.elapsed() < budget || n < 3 {
        drop(black_box(lib.handshake(&mut t)));
        n += 1;
    }
    Ok(Handshakes {
        client: f64::from(n) / t.client.as_secs_f64(),
        server: f64::from(n) / t.server.as_secs_f64(),
    })
}

/// Resumed handshakes for `budget` (after one checked resumed handshake),
/// each side's own time; every one is checked to have resumed.
pub fn resumed<L: Resume>(case: Case, budget: Duration) -> Result<Handshakes, String> {
    let mut lib = L::setup_resumption(case)?;
    lib.resumed_handshake(case, &mut SideTimes::default())?;
    let mut t = SideTimes::default();
    let mut n = 0u32;
    let start = Instant::now();
    while start.elapsed() < budget || n < 3 {
        lib.resumed_handshake(case, &mut t)?;
        n += 1;
    }
    Ok(Handshakes {
        client: f64::from(n) / t.client.as_secs_f64(),
        server: f64::from(n) / t.server.as_secs_f64(),
    })
}

/// When a connection's heap bytes are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemState {
    /// Right after the handshake.
    AfterHandshake,
    /// After 16 KiB each way, everything read: idle, buffers as the library left them.
    Idle,
    /// Idle, then the library's buffer release (s2n `release_buffers`, Baton
    /// `release_buffers`, OpenSSL `SSL_MODE_RELEASE_BUFFERS`; rustls has none).
    Released,
}

impl MemState {
    /// Every state, in table order.
    pub const ALL: [MemState; 3] = [MemState::AfterHandshake, MemState::Idle, MemState::Released];

    /// Table label.
    pub fn label(self) -> &'static str {
        match self {
            MemState::AfterHandshake => "after handshake",
            MemState::Idle => "idle (16 KiB each way done)",
            MemState::Released => "idle, buffers released",
        }
    }
}

/// Heap bytes one connection (`side`) holds in `state`: what dropping it frees.
/// `Ok(None)`: the library has no way to release buffers (state `Released`).
pub fn memory<L: Library>(
    case: Case,
    side: Side,
    state: MemState,
) -> Result<Option<usize>, String> {
    let lib = L::setup(case, state == MemState::Released)?;
    // Warm-up: anything allocated once per process (tables, error strings)
    // is not a connection's.
    for _ in 0..2 {
        let mut p = connected(&lib, case)?;
        exchange(&mut p);
    }
    let mut pair = connected(&lib, case)?;
    if state != MemState::AfterHandshake {
        exchange(&mut pair);
    }
    if state == MemState::Released && !pair.release_buffers(side)? && L::NAME == "rustls" {
        return Ok(None);
    }
    let (client, server, io) = pair.into_parts();
    let (measured, other) = match side {
        Side::Client => (client, server),
        Side::Server => (server, client),
    };
    // Baton keeps receive buffers in a per-thread pool: empty it around the
    // drop so what the connection held is counted as freed.
    baton::trim_buffer_pool();
    let before = mem::heap_in_use();
    drop(measured);
    baton::trim_buffer_pool();
    let after = mem::heap_in_use();
    drop(other);
    drop(io);
    Ok(Some(before.saturating_sub(after)))
}

fn exchange<P: Pair>(pair: &mut P) {
    let data = pattern(16 * 1024);
    pair.send(&data);
    let mut got = vec![0u8; data.len()];
    recv_exact(pair, &mut got, &mut vec![0u8; 16 * 1024]);
    assert_eq!(got, data);
    pair.echo_back(&data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{baton_lib::Baton, openssl_lib::OpenSsl, rustls_lib::Rustls, s2n_lib::S2n};
    use crate::{KeyType, Suite};

    /// Each library negotiates exactly the case and moves bytes intact, so a
    /// misconfigured peer cannot enter the table.
    fn harness_checks<L: Library>(cases: &[Case]) {
        for &case in cases {
            let lib = L::setup(case, false).unwrap_or_else(|e| panic!("{} {case:?}: {e}", L::NAME));
            let mut pair = connected(&lib, case).unwrap_or_else(|e| panic!("{e}"));
            exchange(&mut pair);
            // A case with another key type must fail the check.
            let other = Case {
                key: match case.key {
                    KeyType::EcdsaP256 => KeyType::Rsa2048,
                    KeyType::Rsa2048 => KeyType::EcdsaP256,
                },
                ..case
            };
            assert!(
                pair.check(other).is_err(),
                "{} accepted the wrong key type",
                L::NAME
            );
        }
    }

    /// One test, under the crate's heap lock, so nothing else in this binary
    /// allocates while the heap is being counted (the counter sees every
    /// thread).
    #[test]
    fn harness() {
        let _heap = crate::mem::exclusive();
        crate::mem::self_check();
        baton_release_buffers_frees_the_idle_buffers();
        every_library_negotiates_what_it_is_asked();
        bulk_and_handshake_loops_produce_figures();
        every_library_resumes_and_a_full_handshake_is_caught();
    }

    /// Each library's resumed cases resume (OpenSSL's server with a rustls
    /// client), and a handshake the server did not resume is an error, not
    /// a figure.
    fn every_library_resumes_and_a_full_handshake_is_caught() {
        use crate::baton_lib::BatonResume;
        use crate::openssl_lib::OpenSslResume;
        use crate::rustls_lib::RustlsResume;
        use crate::s2n_lib::S2nResume;
        for case in Case::RESUMED {
            for (name, r) in [
                ("Baton", resumed::<BatonResume>(case, Duration::ZERO)),
                ("s2n-tls", resumed::<S2nResume>(case, Duration::ZERO)),
                ("rustls", resumed::<RustlsResume>(case, Duration::ZERO)),
                ("OpenSSL", resumed::<OpenSslResume>(case, Duration::ZERO)),
            ] {
                let h = r.unwrap_or_else(|e| panic!("{name} {case:?}: {e}"));
                assert!(h.client > 0.0 && h.server > 0.0);
            }
            let mut lib = BatonResume::setup_resumption(case).unwrap();
            lib.resumed_handshake(case, &mut SideTimes::default())
                .unwrap();
            lib.new_server_keys(case).unwrap();
            let e = lib
                .resumed_handshake(case, &mut SideTimes::default())
                .unwrap_err();
            assert!(e.contains("did not resume"), "{e}");
        }
    }

    fn every_library_negotiates_what_it_is_asked() {
        let all = [
            Case::HANDSHAKES[0],
            Case::HANDSHAKES[1],
            Case::HANDSHAKES[2],
            Case::records(Suite::Tls13Aes256Gcm),
            Case::records(Suite::Tls13Chacha20),
        ];
        harness_checks::<Baton>(&all);
        harness_checks::<Rustls>(&all);
        harness_checks::<OpenSsl>(&all);
        // s2n's named policies cover these (see the table's notes for the rest).
        harness_checks::<S2n>(&all[..2]);
        assert!(S2n::setup(Case::records(Suite::Tls13Chacha20), false).is_err());
        // The hybrid: each library negotiates it, and a check for X25519 fails.
        let pq = [Case::HANDSHAKES_PQ[1]];
        harness_checks::<Baton>(&pq);
        harness_checks::<Rustls>(&pq);
        harness_checks::<S2n>(&pq);
        assert!(OpenSsl::setup(pq[0], false).is_err());
    }

    fn bulk_and_handshake_loops_produce_figures() {
        let case = Case::HANDSHAKES[0];
        let b = bulk::<Baton>(case, 16 * 1024, Duration::ZERO).unwrap();
        assert!(b.send > 0.0 && b.recv > 0.0);
        let h = handshakes::<Rustls>(case, Duration::ZERO).unwrap();
        assert!(h.client > 0.0 && h.server > 0.0);
    }

    fn baton_release_buffers_frees_the_idle_buffers() {
        let case = Case::HANDSHAKES[0];
        for side in [Side::Client, Side::Server] {
            let idle = memory::<Baton>(case, side, MemState::Idle)
                .unwrap()
                .unwrap();
            let released = memory::<Baton>(case, side, MemState::Released)
                .unwrap()
                .unwrap();
            // The record buffer alone is over 16 KiB; releasing frees it.
            assert!(
                released + 16 * 1024 < idle,
                "{side:?}: {released} vs {idle}"
            );
        }
        assert_eq!(
            memory::<Rustls>(case, Side::Client, MemState::Released),
            Ok(None)
        );
    }
}
