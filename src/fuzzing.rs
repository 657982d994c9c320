//! Entry points for fuzzers (`tests/fuzz/`). Not a stable API.
//!
//! Each function takes arbitrary bytes and must never panic. Where input
//! parses, they also check that re-encoding and re-parsing gives the same
//! value, so an `assert!` firing here is a real codec bug.

use crate::msgs::codec::Codec;
use crate::msgs::enums::HandshakeType;
use crate::msgs::extensions::{ClientExtensions, ServerExtContext, ServerExtensions};
use crate::msgs::handshake::{
    client_hello_binders_offset, ClientHello, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::joiner::HandshakeJoiner;

mod client_auth;
mod early;
mod hello;
mod pkey;
mod psk;
mod status;
mod ticket;
pub use client_auth::client_auth_on;
pub use early::{early_data_on, FUZZ_MAX_EARLY_DATA};
pub use hello::hello_callback_on;
pub use pkey::pkey_on;
pub use psk::{psk_on, PSK384_IDENTITY, PSK_IDENTITY, PSK_SECRET};
pub use status::{ocsp_response, status_client_on, status_server_on, FUZZ_SCT_LIST};
pub use ticket::{
    resumption_on, seal_ticket, ticket, ticket_keys, TICKET_KEY_NAME, TICKET_KEY_SECRET, TICKET_NOW,
};

fn check_client_extensions(ch: &ClientHello) {
    if let Ok(exts) = ClientExtensions::parse(&ch.extensions) {
        // ok-panic: fuzz oracle; what parsed fits its length fields again.
        let encoded = exts.to_extensions().expect("parsed extensions re-encode");
        let again = ClientExtensions::parse(&encoded);
        let expected = ClientExtensions {
            unknown: Vec::new(),
            ..exts
        };
        assert_eq!(again.ok(), Some(expected), "ClientExtensions round trip");
    }
}

fn check_server_extensions(ctx: ServerExtContext, exts: &[crate::msgs::extensions::Extension]) {
    if let Ok(parsed) = ServerExtensions::parse(ctx, exts) {
        // ok-panic: fuzz oracle; what parsed fits its length fields again.
        let encoded = parsed
            .to_extensions(ctx)
            .expect("parsed extensions re-encode");
        let again = ServerExtensions::parse(ctx, &encoded);
        assert_eq!(again.ok(), Some(parsed), "ServerExtensions round trip");
    }
}

fn check_message(msg: &HandshakeMessage) {
    // ok-panic: fuzz oracle; a message that parsed fits its length fields again.
    let bytes = msg.to_bytes().expect("a parsed message re-encodes");
    let body = bytes.get(4..).unwrap_or(&[]);
    let again = HandshakeMessage::read_tls13(msg.typ, body);
    assert_eq!(
        again.as_ref().ok(),
        Some(msg),
        "handshake message round trip"
    );
    match &msg.payload {
        HandshakePayload::ClientHello(ch) => {
            check_client_extensions(ch);
            let _ = client_hello_binders_offset(&bytes);
        }
        HandshakePayload::ServerHello(sh) => {
            let ctx = if sh.is_hrr() {
                ServerExtContext::HelloRetryRequest
            } else {
                ServerExtContext::ServerHello13
            };
            check_server_extensions(ctx, &sh.extensions);
            check_server_extensions(ServerExtContext::ServerHello12, &sh.extensions);
        }
        HandshakePayload::EncryptedExtensions(exts) => {
            check_server_extensions(ServerExtContext::EncryptedExtensions, exts);
        }
        HandshakePayload::NewSessionTicket13(nst) => {
            let _ = nst.max_early_data_size();
            let _ = crate::msgs::extensions::TicketExtensions::parse(&nst.extensions);
        }
        HandshakePayload::Certificate13(cert) => {
            let _ = cert.check_entry_extensions(|_| false);
            let chain: Vec<Vec<u8>> = cert.entries.iter().map(|e| e.cert.clone()).collect();
            check_peer_chain(&chain, &[]);
            // The leaf's status_request (a CertificateStatus) and SCT list.
            for e in cert.entries.iter().flat_map(|e| &e.extensions) {
                status::ocsp_response(&[[0].as_slice(), &e.data].concat());
            }
        }
        HandshakePayload::CertificateRequest13(cr) => {
            let _ = cr.check_in_handshake();
            check_cert_request13(&cr.extensions);
        }
        _ => {}
    }
}

/// A CertificateRequest's typed extensions re-encode to what parses the same.
fn check_cert_request13(exts: &[crate::msgs::extensions::Extension]) {
    use crate::msgs::extensions::CertRequestExtensions;
    if let Ok(parsed) = CertRequestExtensions::parse(exts) {
        // ok-panic: fuzz oracle; what parsed fits its length fields again.
        let encoded = parsed.to_extensions().expect("parsed extensions re-encode");
        let again = CertRequestExtensions::parse(&encoded);
        assert_eq!(again.ok(), Some(parsed), "CertRequestExtensions round trip");
    }
}

/// What client authentication reads from a peer's chain (names, CA
/// matching), on arbitrary certificates: never a panic.
fn check_peer_chain(chain: &[Vec<u8>], authorities: &[Vec<u8>]) {
    let _ = crate::cert::chain_matches_names(chain, authorities);
    if let Some(peer) = crate::cert::PeerCert::new(chain, true) {
        let _ = (peer.uri_names(), peer.dns_names(), peer.common_name());
    }
}

/// A ClientHello body (no handshake header); also through the public
/// `baton::ClientHello` view and its JA4.
pub fn client_hello(data: &[u8]) {
    if let Ok(ch) = ClientHello::read_bytes(data) {
        check_message(&HandshakeMessage::new(HandshakePayload::ClientHello(ch)));
    }
    if let Ok(len) = u32::try_from(data.len()) {
        let mut msg = vec![1];
        msg.extend_from_slice(&len.to_be_bytes()[1..]);
        msg.extend_from_slice(data);
        if len < 1 << 24 {
            if let Ok(hello) = crate::ClientHello::parse(&msg) {
                let _ = hello.ja4();
            }
        }
    }
}

/// A ServerHello or HelloRetryRequest body (no handshake header).
pub fn server_hello(data: &[u8]) {
    if let Ok(sh) = ServerHello::read_bytes(data) {
        check_message(&HandshakeMessage::new(HandshakePayload::ServerHello(sh)));
    }
}

/// Any TLS 1.3 handshake message: the first byte is the type, the rest the body.
pub fn handshake13(data: &[u8]) {
    let Some((&typ, body)) = data.split_first() else {
        return;
    };
    if let Ok(msg) = HandshakeMessage::read_tls13(HandshakeType(typ), body) {
        check_message(&msg);
    }
}

/// Any TLS 1.2 handshake message: the first byte is the type, the rest the body.
pub fn handshake12(data: &[u8]) {
    let Some((&typ, body)) = data.split_first() else {
        return;
    };
    if let Ok(msg) = HandshakeMessage::read_tls12(HandshakeType(typ), body) {
        check_message12(&msg);
    }
}

/// Re-encoding a TLS 1.2 message that parsed gives back the same message.
fn check_message12(msg: &HandshakeMessage) {
    // ok-panic: fuzz oracle; a message that parsed fits its length fields again.
    let bytes = msg.to_bytes().expect("a parsed message re-encodes");
    let back = HandshakeMessage::read_tls12(msg.typ, &bytes[4..]);
    // ok-panic: fuzz oracle; the fuzzer is meant to find a re-encoding mismatch.
    assert_eq!(
        back.as_ref().ok(),
        Some(msg),
        "TLS 1.2 re-encoding changed the message"
    );
    match &msg.payload {
        HandshakePayload::Certificate12(c) => check_peer_chain(&c.0, &[]),
        HandshakePayload::CertificateRequest12(cr) => check_peer_chain(&[], &cr.authorities),
        _ => {}
    }
}

/// The joiner: the first byte gives the number of size bytes that follow
/// (`n % 8`); each size byte is the length of one push (0 counts as 1), and the remaining
/// data is pushed in those sizes (the last push takes what is left).
pub fn joiner(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, mut payload) = rest.split_at(n);
    let mut j = HandshakeJoiner::new();
    let mut popped = Vec::new();
    let mut sizes = sizes
        .iter()
        .map(|&s| usize::from(s))
        .chain(Some(usize::MAX));
    while !payload.is_empty() {
        let size = sizes.next().unwrap_or(usize::MAX).clamp(1, payload.len());
        let (chunk, tail) = payload.split_at(size);
        payload = tail;
        if j.push(chunk).is_err() {
            return;
        }
        loop {
            match j.pop() {
                Ok(Some(m)) => {
                    assert_eq!(m.typ.0, m.encoded.first().copied().unwrap_or(0));
                    popped.extend_from_slice(&m.encoded);
                    if let Ok(msg) = HandshakeMessage::read_tls13(m.typ, m.body()) {
                        check_message(&msg);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    // Everything popped is a prefix of the input; the rest is still buffered.
    let input = &rest[n..];
    assert!(input.starts_with(&popped), "joiner reordered bytes");
    assert_eq!(j.is_empty(), popped.len() == input.len());
}

/// The deframer and record opening: `data` is a byte stream cut into reads by
/// its own first byte; every complete record is opened with a fixed key. The
/// low two bits of that byte pick TLS 1.3, TLS 1.2 AES-GCM or TLS 1.2 ChaCha20.
pub fn records(data: &[u8]) {
    use crate::crypto::aead::AeadAlg;
    use crate::record::deframer::Deframer;
    use crate::record::protect::Decrypter;
    use crate::secrets::Secret;
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let dec = match cut % 4 {
        0 | 1 => Decrypter::new_tls13(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 12]),
        2 => Decrypter::new_tls12(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 4]),
        _ => Decrypter::new_tls12(AeadAlg::ChaCha20Poly1305, &Secret::new(&[7; 32]), &[9; 12]),
    };
    let Ok(mut dec) = dec else {
        return;
    };
    let mut df = Deframer::new();
    let step = usize::from(cut).max(1);
    for chunk in stream.chunks(step) {
        let mut off = 0;
        while off < chunk.len() {
            let space = df.space(usize::MAX);
            if space.is_empty() {
                return;
            }
            let n = space.len().min(chunk.len() - off);
            space[..n].copy_from_slice(&chunk[off..off + n]);
            df.commit(n);
            off += n;
            loop {
                match df.next_record() {
                    Ok(Some(rec)) => {
                        if let Ok((_, range)) = dec.open(&rec.header_bytes, rec.payload) {
                            // ok-panic: fuzz oracle; the fuzzer is meant to find these.
                            assert!(range.len() <= crate::record::MAX_PLAINTEXT);
                            assert!(range.end <= rec.payload.len());
                        }
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
        }
    }
}

/// Stands in the fuzz input for the client's legacy_session_id, which is random
/// but must be echoed by a ServerHello or HelloRetryRequest: [`drive`] puts the
/// real one wherever the input has this, so the fuzzer gets past that check
/// into the HelloRetryRequest and ServerHello handling (see the seeds in
/// `tests/fuzz/seeds/client_handshake/`).
pub const ECHO_SESSION_ID: &[u8; 32] = b"BATON-FUZZ-SESSION-ID-ECHO-HERE!";

/// The legacy_session_id of the ClientHello that starts `out`, if it does.
fn sent_session_id(out: &[u8]) -> Option<&[u8]> {
    // Record header (5), handshake header (4), version (2), random (32).
    if out.first() != Some(&22) || out.get(5) != Some(&1) {
        return None;
    }
    let len = usize::from(*out.get(43)?);
    out.get(44..44 + len)
}

fn replace_all(stream: &mut [u8], from: &[u8], to: &[u8]) {
    if from.len() != to.len() || from.is_empty() {
        return;
    }
    let mut i = 0;
    while i + from.len() <= stream.len() {
        if &stream[i..i + from.len()] == from {
            stream[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
}

/// Feeds `data` to a connection as everything its peer says, in reads cut by
/// `data`'s first byte; the handshake must end in an error or success, never a panic.
/// For a client, [`ECHO_SESSION_ID`] in `data` becomes the session id it sent.
/// A signature parked by [`pkey_on`]'s callback is answered as `data`'s last
/// byte says.
pub fn drive(conn: &mut crate::Connection, data: &[u8]) {
    drive_answering(conn, data, data.last().copied().unwrap_or(0));
}

/// [`drive`], answering parked signatures as `choice` says: the result of
/// the last `negotiate` if a signature was parked, else `None`.
pub(crate) fn drive_answering(
    conn: &mut crate::Connection,
    data: &[u8],
    choice: u8,
) -> Option<crate::Result<()>> {
    let (step, mut stream) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s).max(1), rest.to_vec()),
        None => (1, Vec::new()),
    };
    // The start of what the connection sent: enough for the ClientHello's session id.
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sent_w = sent.clone();
    let mut pos = 0;
    let mut patched = false;
    conn.set_io_callbacks(
        move |b| {
            if let Ok(mut v) = sent_w.lock() {
                let room = 128usize.saturating_sub(v.len());
                v.extend_from_slice(&b[..room.min(b.len())]);
            }
            Ok(b.len())
        },
        move |buf| {
            if !patched {
                // A client has sent its ClientHello before its first read.
                patched = true;
                if let Ok(v) = sent.lock() {
                    if let Some(id) = sent_session_id(&v) {
                        replace_all(&mut stream, ECHO_SESSION_ID, id);
                    }
                }
            }
            let n = step.min(buf.len()).min(stream.len() - pos);
            buf[..n].copy_from_slice(&stream[pos..pos + n]);
            pos += n;
            Ok(n)
        },
    );
    let mut r = conn.negotiate();
    let mut signed = false;
    // Bounded: one ClientHello answer and one signature per handshake. The
    // fuzz callbacks answer at once: drive the parked handshake on, as an
    // event loop's wake-up does, answering a parked signature first.
    for _ in 0..4 {
        match &r {
            Err(e) if e.blocked_on() == Some(crate::Blocked::OnApplicationInput) => {
                signed |= pkey::answer_pending(choice);
                r = conn.negotiate();
            }
            _ => break,
        }
    }
    if r.is_ok() {
        let mut buf = [0u8; 512];
        for _ in 0..64 {
            match conn.recv(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    signed.then_some(r)
}

/// Pins the handshake fuzz targets to a numbered policy (it never changes,
/// unlike the `default_tls13` alias) that enables both TLS 1.3 and TLS 1.2, so
/// the fuzzer reaches every client and server state machine.
pub fn pin_both_versions_policy(b: &mut crate::ConfigBuilder) {
    const POLICY: &str = "20240417";
    let ok = crate::policy::lookup(POLICY).is_ok_and(|p| {
        p.negotiates(crate::ProtocolVersion::TLSV1_3)
            && p.negotiates(crate::ProtocolVersion::TLSV1_2)
    });
    // ok-panic: fuzz set-up, not input: the fuzzer must not run on the wrong policy.
    assert!(ok, "{POLICY} must enable TLS 1.3 and TLS 1.2");
    // ok-panic: the same set-up check.
    b.security_policy(POLICY).expect("a named policy");
}

/// Pins the server fuzz target to s2n's `20250721` (`default_pq`): TLS 1.3
/// and 1.2 like [`pin_both_versions_policy`], plus the ML-KEM hybrids and
/// P-521, so a mutated ClientHello reaches the hybrid encapsulation (a
/// 1,216-byte share) and every key share parser.
pub fn pin_post_quantum_policy(b: &mut crate::ConfigBuilder) {
    const POLICY: &str = "20250721";
    let ok = crate::policy::lookup(POLICY).is_ok_and(|p| {
        p.negotiates(crate::ProtocolVersion::TLSV1_3)
            && p.negotiates(crate::ProtocolVersion::TLSV1_2)
            && p.active_groups()
                .contains(&crate::NamedGroup::X25519MLKEM768)
    });
    // ok-panic: fuzz set-up, not input: the fuzzer must not run on the wrong policy.
    assert!(
        ok,
        "{POLICY} must enable TLS 1.3, TLS 1.2 and X25519MLKEM768"
    );
    // ok-panic: the same set-up check.
    b.security_policy(POLICY).expect("a named policy");
}

/// A kernel back end that plays the peer's decrypted records from the fuzz input.
#[derive(Debug)]
struct FuzzKernel {
    /// (content type, plaintext) records to return, in order.
    records: std::collections::VecDeque<(u8, Vec<u8>)>,
    can_rekey: bool,
    seq: u64,
    /// Keys installed after KeyUpdates (shared with the test that made it).
    rekeys: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// Records a test wrote "to the socket" itself, past `send` (io_uring SPLICE).
    side_records: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl crate::offload::KernelRecordIo for FuzzKernel {
    fn send(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let n: usize = bufs.iter().map(|b| b.len()).sum();
        self.seq += n.div_ceil(crate::record::MAX_PLAINTEXT) as u64;
        Ok(n)
    }
    fn send_control(&mut self, _typ: u8, data: &[u8]) -> std::io::Result<usize> {
        self.seq += 1;
        Ok(data.len())
    }
    fn recv(&mut self, buf: &mut [u8]) -> std::io::Result<(u8, usize)> {
        let Some((typ, mut data)) = self.records.pop_front() else {
            return Ok((crate::offload::content_type::APPLICATION_DATA, 0));
        };
        // Like the kernel: a record longer than the buffer comes in pieces.
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        if n < data.len() {
            self.records.push_front((typ, data.split_off(n)));
        }
        Ok((typ, n))
    }
    fn rekey(
        &mut self,
        _dir: crate::offload::Direction,
        keys: &crate::offload::DirectionKeys,
    ) -> std::io::Result<()> {
        // ok-panic: fuzz oracle; a next key always starts at record 0.
        assert_eq!(keys.seq(), 0);
        if self.can_rekey {
            self.rekeys
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if _dir == crate::offload::Direction::Send {
                self.seq = 0;
                self.side_records
                    .store(0, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(libc::EBUSY))
        }
    }
    fn can_rekey(&self) -> bool {
        self.can_rekey
    }
    fn send_seq(&mut self) -> std::io::Result<u64> {
        Ok(self.seq + self.side_records.load(std::sync::atomic::Ordering::Relaxed))
    }
    fn sendfile(
        &mut self,
        _file: std::os::fd::BorrowedFd<'_>,
        _offset: u64,
        len: usize,
    ) -> std::io::Result<usize> {
        Ok(len)
    }
}

/// An in-memory byte pipe for the handshake before the kernel takes over.
type Pipe = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u8>>>;

fn pipe_io(conn: &mut crate::Connection, out: Pipe, inp: Pipe) {
    conn.set_io_callbacks(
        move |b| {
            out.lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend(b);
            Ok(b.len())
        },
        move |buf| {
            let mut q = inp.lock().map_err(|_| std::io::Error::other("poisoned"))?;
            if q.is_empty() {
                return Err(std::io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(q.len());
            for (d, s) in buf.iter_mut().zip(q.drain(..n)) {
                *d = s;
            }
            Ok(n)
        },
    );
}

/// A client and server handshaken in memory (TLS 1.3, or TLS 1.2 if `tls12`).
fn connected_pair(tls12: bool) -> Option<(crate::Connection, crate::Connection)> {
    use crate::{CertChainAndKey, Config, Connection};
    let mut sb = Config::builder_minimal();
    sb.add_cert_chain_and_key(
        CertChainAndKey::from_pem(
            include_bytes!("../tests/data/server-p256-chain.pem"),
            include_bytes!("../tests/data/server-p256.key"),
        )
        .ok()?,
    );
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(include_bytes!("../tests/data/ca-ecdsa.pem"))
        .ok()?;
    // 20240331: TLS 1.2 only, ECDHE-ECDSA first (the test certificate is P-256).
    let policy = if tls12 { "20240331" } else { "default_tls13" };
    sb.security_policy(policy).ok()?;
    cb.security_policy(policy).ok()?;
    let (sc, cs): (Pipe, Pipe) = Default::default();
    let mut client = Connection::new_client(&cb.build().ok()?);
    client.set_server_name("localhost").ok()?;
    pipe_io(&mut client, cs.clone(), sc.clone());
    let mut server = Connection::new_server(&sb.build().ok()?);
    pipe_io(&mut server, sc, cs);
    for _ in 0..8 {
        let c = client.negotiate();
        let s = server.negotiate();
        if c.is_ok() && s.is_ok() {
            return Some((client, server));
        }
    }
    None
}

/// The receive path of a kernel-offloaded connection: after a real in-memory
/// handshake, the client's records come "from the kernel" as `data` says —
/// a sequence of (type, 2-byte length, bytes) — and go through recv, KeyUpdate
/// (with or without kernel rekey) and shutdown. Never a panic, never a hang.
pub fn kernel_records(data: &[u8]) {
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let Some((client, _server)) = connected_pair(sel & 1 == 1) else {
        return;
    };
    let Ok(mut client) = client.into_kernel_session() else {
        return;
    };
    let mut records = std::collections::VecDeque::new();
    while let [typ, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        records.push_back((*typ, tail[..len].to_vec()));
        rest = &tail[len..];
    }
    let kernel = FuzzKernel {
        records,
        can_rekey: sel & 2 == 2,
        seq: 0,
        rekeys: Default::default(),
        side_records: Default::default(),
    };
    for dir in [
        crate::offload::Direction::Send,
        crate::offload::Direction::Recv,
    ] {
        let Ok(mut grant) = client.begin_kernel_offload(dir) else {
            return;
        };
        let _keys = grant.take_keys();
        let committed = grant.commit(Box::new(FuzzKernel {
            records: kernel.records.clone(),
            can_rekey: kernel.can_rekey,
            seq: 0,
            rekeys: Default::default(),
            side_records: Default::default(),
        }));
        if committed.is_err() {
            return;
        }
    }
    let mut buf = vec![0u8; if sel & 4 == 4 { 7 } else { 1 << 15 }];
    for _ in 0..256 {
        match client.recv(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = client.send(b"bye");
    let _ = client.shutdown();
}

#[cfg(test)]
mod tests {
    use super::kernel_records;
    use crate::{AlertDescription, Config, Connection};

    /// A handshaken client whose two directions were handed to `FuzzKernel`
    /// back ends that return `records` (each direction its own copy).
    fn offloaded_client(
        records: &[(u8, Vec<u8>)],
        can_rekey: bool,
        rekeys: &std::sync::Arc<std::sync::atomic::AtomicU32>,
        side: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> crate::KernelSession {
        use crate::offload::Direction;
        let (c, _s) = super::connected_pair(false).unwrap();
        let mut c = c.into_kernel_session().unwrap();
        for dir in [Direction::Send, Direction::Recv] {
            let mut grant = c.begin_kernel_offload(dir).unwrap();
            grant.take_keys().unwrap();
            let k = super::FuzzKernel {
                records: records.to_vec().into(),
                can_rekey,
                seq: 0,
                rekeys: rekeys.clone(),
                side_records: side.clone(),
            };
            grant.commit(Box::new(k)).unwrap();
        }
        c
    }

    /// The client the `client_handshake` fuzz target drives.
    fn fuzz_client() -> Connection {
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(include_bytes!("../tests/data/ca-ecdsa.pem"))
            .unwrap();
        super::pin_both_versions_policy(&mut b);
        super::psk_on(&mut b);
        let mut conn = Connection::new_client(&b.build().unwrap());
        conn.set_server_name("localhost").unwrap();
        conn
    }

    /// The `server_handshake` seed (Go 1.27's default ClientHello) reaches the
    /// server's ML-KEM encapsulation under the target's policy.
    #[test]
    fn server_handshake_seed_reaches_the_hybrid_key_exchange() {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            crate::CertChainAndKey::from_pem(
                include_bytes!("../tests/data/server-p256-chain.pem"),
                include_bytes!("../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        super::pin_post_quantum_policy(&mut b);
        super::psk_on(&mut b);
        let mut conn = Connection::new_server(&b.build().unwrap());
        let seed = std::fs::read(format!(
            "{}/tests/fuzz/seeds/server_handshake/go-x25519mlkem768-client-hello",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        super::drive(&mut conn, &seed);
        assert_eq!(conn.kx_group(), Some(crate::NamedGroup::X25519MLKEM768));
    }

    /// The committed seeds reach the client's HelloRetryRequest handling, so
    /// libFuzzer starts from there (it cannot guess the random session id).
    #[test]
    fn client_handshake_seeds_reach_hello_retry_request() {
        let seeds = "tests/fuzz/seeds/client_handshake";
        for name in ["hrr_group_and_cookie", "hrr_cookie_only"] {
            let seed =
                std::fs::read(format!("{}/{seeds}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let mut conn = fuzz_client();
            super::drive(&mut conn, &seed);
            assert!(conn.used_hello_retry(), "{name}");
        }
        // 64 KiB inputs (the fuzz targets run with -max_len=65536) reach the
        // cookie limit: an alert, not the encoder's old panic.
        let seed = std::fs::read(format!(
            "{}/{seeds}/hrr_64k_cookie",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(seed.len() <= 65536);
        let mut conn = fuzz_client();
        super::drive(&mut conn, &seed);
        let err = conn.last_error().expect("the handshake failed");
        assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    }

    fn rec(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![typ];
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn kernel_record_path_survives_malformed_input() {
        let key_update = [24u8, 0, 0, 1, 1];
        let nst = [4u8, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0];
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            [rec(23, b"hello"), rec(21, &[1, 0])].concat(),
            [rec(22, &key_update), rec(23, b"after")].concat(),
            [rec(21, &[2, 40, 7])].concat(),
            [rec(21, &[2])].concat(),
            [rec(20, &[1])].concat(),
            [rec(22, &[24, 0, 0, 1])].concat(),
            [rec(22, &nst), rec(22, &[0xff; 300])].concat(),
            [rec(99, b"x"), rec(23, &[])].concat(),
        ];
        for sel in 0u8..8 {
            for c in &cases {
                let mut input = vec![sel];
                input.extend_from_slice(c);
                kernel_records(&input);
            }
        }
    }

    /// The outcomes, not just the absence of panics: what recv makes of each
    /// kind of kernel record.
    #[test]
    fn kernel_record_outcomes() {
        use super::connected_pair;
        use crate::{AlertDescription, ErrorKind};
        let rekeys = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let side = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let run = |records: Vec<(u8, Vec<u8>)>, can_rekey: bool| {
            let mut c = offloaded_client(&records, can_rekey, &rekeys, &side);
            assert!(c.ktls_status().send.is_kernel() && c.ktls_status().recv.is_kernel());
            let mut buf = vec![0u8; 1 << 15];
            let mut got = Vec::new();
            let r = loop {
                match c.recv(&mut buf) {
                    Ok(0) => break Ok(got),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => break Err(e),
                }
            };
            (r, c)
        };
        for tls12 in [false, true] {
            let (c, _) = connected_pair(tls12).expect("in-memory handshake");
            let v = c.actual_protocol_version().unwrap();
            assert_eq!(v == crate::ProtocolVersion::TLSV1_2, tls12);
        }
        // Data, then close_notify: recv returns the data, then 0.
        let (r, _) = run(vec![(23, b"hello".to_vec()), (21, vec![1, 0])], false);
        assert_eq!(r.unwrap(), b"hello");
        // A peer KeyUpdate: with kernel rekey the data after it arrives...
        let ku = vec![24u8, 0, 0, 1, 1];
        let (r, mut c) = run(
            vec![(22, ku.clone()), (23, b"after".to_vec()), (21, vec![1, 0])],
            true,
        );
        assert_eq!(r.unwrap(), b"after");
        assert!(c.send(b"x").is_ok());
        // ... without it the connection fails, saying why, rather than misread records.
        let (r, _) = run(vec![(22, ku), (23, b"after".to_vec())], false);
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.message().contains("6.14"), "{e}");
        // A fatal alert from the peer.
        let (r, _) = run(vec![(21, vec![2, 40])], false);
        assert_eq!(
            r.unwrap_err().kind(),
            ErrorKind::Alert(AlertDescription::HANDSHAKE_FAILURE)
        );
        // A malformed alert and a stray change_cipher_spec are fatal protocol errors.
        for bad in [(21u8, vec![2u8, 40, 0]), (20, vec![1])] {
            let (r, _) = run(vec![bad], false);
            let e = r.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
            assert!(e.sent_alert().is_some());
        }
        // The send key's usage limit: one big write is cut so that the key is
        // replaced every 8 records (5 KeyUpdates for 40 records), or, without
        // kernel rekey, the connection closes cleanly at the limit.
        let (_, mut c) = run(vec![], true);
        let before = rekeys.load(std::sync::atomic::Ordering::Relaxed);
        c.set_kernel_send_key_limit_for_test(8);
        let big = vec![7u8; 40 * 16384];
        let mut sent = 0;
        while sent < big.len() {
            sent += c.send(&big[sent..]).unwrap();
        }
        let after = rekeys.load(std::sync::atomic::Ordering::Relaxed);
        assert!(after - before >= 4, "{} rekeys", after - before);
        let (_, mut c) = run(vec![], false);
        c.set_kernel_send_key_limit_for_test(8);
        let mut sent = 0;
        let e = loop {
            match c.send(&big[sent..]) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
        assert!(sent <= 8 * 16384, "{sent} bytes went past the limit");
        // The same limit for a caller that writes to the socket itself (io_uring
        // SPLICE): the budget never lets a write carry the key past a check, and
        // the key is replaced or the connection closed as with send.
        let (_, mut c) = run(vec![], true);
        let before = rekeys.load(std::sync::atomic::Ordering::Relaxed);
        side.store(0, std::sync::atomic::Ordering::Relaxed);
        c.set_kernel_send_key_limit_for_test(8);
        let mut sent = 0;
        while sent < big.len() {
            let b = c.kernel_write_budget().unwrap();
            assert!(b.max >= 1 && b.max <= 8 * 16384, "{b:?}");
            let n = b.max.min(big.len() - sent);
            // What the kernel would seal: full records.
            side.fetch_add(
                n.div_ceil(16384) as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            c.kernel_wrote(n);
            sent += n;
        }
        let after = rekeys.load(std::sync::atomic::Ordering::Relaxed);
        assert!(after - before >= 4, "{} rekeys", after - before);
        let (_, mut c) = run(vec![], false);
        side.store(0, std::sync::atomic::Ordering::Relaxed);
        c.set_kernel_send_key_limit_for_test(8);
        let mut sent = 0;
        let e = loop {
            match c.kernel_write_budget() {
                Ok(b) => {
                    let n = b.max.min(big.len() - sent);
                    side.fetch_add(
                        n.div_ceil(16384) as u64,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    c.kernel_wrote(n);
                    sent += n;
                }
                Err(e) => break e,
            }
            assert!(sent < big.len(), "the key limit never stopped the writes");
        };
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
        assert!(sent <= 8 * 16384, "{sent} bytes went past the limit");
        // Record sizing: small records first, full ones after the threshold,
        // and the budget says when a write must end its record.
        let (_, mut c) = run(vec![], true);
        c.set_dynamic_record_threshold(4000, std::time::Duration::from_secs(60));
        let b = c.kernel_write_budget().unwrap();
        assert!(b.small && b.max < 1400, "{b:?}");
        let mut small = 0;
        while c.kernel_write_budget().unwrap().small {
            let m = c.kernel_write_budget().unwrap().max;
            c.kernel_wrote(m);
            small += 1;
            assert!(small < 10);
        }
        assert_eq!(small, 3, "4000 bytes in small records");
        assert!(c.kernel_write_budget().unwrap().max >= 16384);
        // Without kernel send there is no budget to give.
        let (u, _s) = connected_pair(false).unwrap();
        let mut u = u.into_kernel_session().unwrap();
        assert_eq!(
            u.kernel_write_budget().unwrap_err().kind(),
            ErrorKind::Usage
        );
        // The transport ending without close_notify is not a clean end.
        let (r, _) = run(vec![(23, b"cut".to_vec())], false);
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Closed);
    }

    /// The engine's receive limits hold on the kernel path, whichever way the
    /// data came: many KeyUpdates with data between them (the data straight
    /// into the caller's buffer) are fine, a run of them without is cut off.
    #[test]
    fn kernel_record_limits() {
        use crate::AlertDescription;
        let run = |records: Vec<(u8, Vec<u8>)>| {
            let mut c = offloaded_client(&records, true, &Default::default(), &Default::default());
            let mut buf = vec![0u8; 1 << 15];
            let mut got = 0;
            loop {
                match c.recv(&mut buf) {
                    Ok(0) => break Ok(got),
                    Ok(n) => got += n,
                    Err(e) => break Err(e),
                }
            }
        };
        let ku = vec![24u8, 0, 0, 1, 1];
        let mut records = Vec::new();
        for _ in 0..200 {
            records.push((22, ku.clone()));
            records.push((23, b"data".to_vec()));
        }
        records.push((21, vec![1, 0]));
        assert_eq!(run(records).unwrap(), 800);
        let flood = vec![(22, ku); 200];
        let e = run(flood).unwrap_err();
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::UNEXPECTED_MESSAGE),
            "{e}"
        );
    }
}
