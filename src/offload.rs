//! The hand-off of record protection to the kernel (kTLS).
//!
//! The library itself stays in safe Rust and sets no socket options: it decides
//! *when* a direction may move to the kernel, exports that direction's keys,
//! and after the move routes the connection's I/O through a [`KernelRecordIo`]
//! that the `baton-ktls` crate implements with the real syscalls. Everything
//! the kernel does not handle — alerts, close_notify, TLS 1.3 NewSessionTicket
//! and KeyUpdate, the AEAD usage limit — stays here, in the engine.
//!
//! Most users call `baton_ktls::enable` and never touch this module; it is
//! public so that other kernel back ends (or test doubles) can be plugged in.
//!
//! # The hand-off
//!
//! Keys leave a connection only through an [`OffloadGrant`]
//! ([`KernelSession::begin_kernel_offload`]): it borrows the connection, so
//! nothing else runs on it meanwhile, and it ends in exactly one of three ways:
//!
//! * [`commit`](OffloadGrant::commit) — the back end took the keys
//!   ([`take_keys`](OffloadGrant::take_keys), once) and installed them: the
//!   direction is the back end's from now on, and Baton never again seals or
//!   opens its records in userspace.
//! * [`decline`](OffloadGrant::decline) — the back end did not install the
//!   keys (the kernel refused them): the direction stays in userspace, unharmed.
//! * dropped — if the keys were never taken, nothing happened. If they were,
//!   they may sit in a kernel that nobody drives: the direction is then owned
//!   by no one and the connection fails (every later call returns the error),
//!   so it can neither go on in userspace with keys the kernel may also use,
//!   nor claim the kernel.

use crate::crypto::aead::AeadAlg;
use crate::error::{Error, Result};
use crate::msgs::enums::ProtocolVersion;
use crate::record::protect::TrafficKeys;
use crate::KernelSession;
use std::borrow::Cow;
use std::io::{self, IoSlice};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::Arc;

/// One direction of a connection. (Exhaustive: a connection has two.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Records we write.
    Send,
    /// Records we read.
    Recv,
}

impl core::fmt::Display for Direction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Direction::Send => "send",
            Direction::Recv => "recv",
        })
    }
}

/// The AEAD of a direction's keys, as the kernel names its ciphers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelCipher {
    /// `TLS_CIPHER_AES_GCM_128`.
    Aes128Gcm,
    /// `TLS_CIPHER_AES_GCM_256`.
    Aes256Gcm,
    /// `TLS_CIPHER_CHACHA20_POLY1305`.
    Chacha20Poly1305,
}

impl KernelCipher {
    /// Every cipher Baton can hand to the kernel.
    pub const ALL: [KernelCipher; 3] = [
        KernelCipher::Aes128Gcm,
        KernelCipher::Aes256Gcm,
        KernelCipher::Chacha20Poly1305,
    ];

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            KernelCipher::Aes128Gcm => 16,
            KernelCipher::Aes256Gcm | KernelCipher::Chacha20Poly1305 => 32,
        }
    }

    fn from_aead(a: AeadAlg) -> Self {
        match a {
            AeadAlg::Aes128Gcm => KernelCipher::Aes128Gcm,
            AeadAlg::Aes256Gcm => KernelCipher::Aes256Gcm,
            AeadAlg::ChaCha20Poly1305 => KernelCipher::Chacha20Poly1305,
        }
    }
}

impl core::fmt::Display for KernelCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            KernelCipher::Aes128Gcm => "AES-128-GCM",
            KernelCipher::Aes256Gcm => "AES-256-GCM",
            KernelCipher::Chacha20Poly1305 => "ChaCha20-Poly1305",
        })
    }
}

/// The key material of one direction, laid out the way the kernel's
/// `tls12_crypto_info_*` structs take it. Zeroized on drop; `Debug` shows no
/// secret.
pub struct DirectionKeys {
    inner: TrafficKeys,
}

impl DirectionKeys {
    pub(crate) fn new(inner: TrafficKeys) -> Self {
        Self { inner }
    }

    /// TLS 1.2 or TLS 1.3.
    pub fn version(&self) -> ProtocolVersion {
        self.inner.version
    }

    /// The AEAD.
    pub fn cipher(&self) -> KernelCipher {
        KernelCipher::from_aead(self.inner.aead)
    }

    /// The AEAD key.
    pub fn key(&self) -> &[u8] {
        self.inner.key.as_bytes()
    }

    /// The struct's `salt` field: TLS 1.3 and TLS 1.2 AES-GCM, the first 4 bytes
    /// of the nonce (the TLS 1.3 IV's first 4 bytes, or TLS 1.2's implicit IV);
    /// ChaCha20-Poly1305 has none (its 12-byte IV is all in `iv`).
    pub fn salt(&self) -> &[u8] {
        match (self.cipher(), self.inner.version) {
            (KernelCipher::Chacha20Poly1305, _) => &[],
            (_, ProtocolVersion::TLSV1_2) => self.inner.iv.as_bytes(),
            _ => &self.inner.iv.as_bytes()[..4],
        }
    }

    /// The struct's `iv` field: TLS 1.3 AES-GCM, the IV's last 8 bytes; TLS 1.2
    /// AES-GCM, the next record's explicit nonce (Baton uses the sequence number,
    /// RFC 5288 §3, so the kernel continues the same scheme); ChaCha20-Poly1305,
    /// the whole 12-byte IV.
    pub fn iv(&self) -> Cow<'_, [u8]> {
        match (self.cipher(), self.inner.version) {
            (KernelCipher::Chacha20Poly1305, _) => Cow::Borrowed(self.inner.iv.as_bytes()),
            (_, ProtocolVersion::TLSV1_2) => Cow::Owned(self.inner.seq.to_be_bytes().to_vec()),
            _ => Cow::Borrowed(&self.inner.iv.as_bytes()[4..]),
        }
    }

    /// The full 12-byte nonce base for TLS 1.3 and TLS 1.2 ChaCha20, or the
    /// 4-byte implicit IV for TLS 1.2 AES-GCM (for back ends that want it whole).
    pub fn raw_iv(&self) -> &[u8] {
        self.inner.iv.as_bytes()
    }

    /// Sequence number of the next record (the struct's `rec_seq`, big-endian).
    pub fn seq(&self) -> u64 {
        self.inner.seq
    }

    /// `rec_seq` as the kernel wants it.
    pub fn rec_seq(&self) -> [u8; 8] {
        self.inner.seq.to_be_bytes()
    }
}

impl core::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DirectionKeys")
            .field("version", &self.version())
            .field("cipher", &self.cipher())
            .field("seq", &self.seq())
            .finish_non_exhaustive()
    }
}

/// Permission to move one direction of a connection to a kernel back end,
/// from [`KernelSession::begin_kernel_offload`]; see the [module docs](self) for
/// the three ways it ends.
///
/// It borrows the connection mutably, so one grant at a time exists per
/// connection and it can only be committed to the connection and direction it
/// was taken for:
///
/// ```compile_fail,E0499
/// # fn f(conn: &mut baton::KernelSession) -> baton::Result<()> {
/// use baton::offload::Direction;
/// let send = conn.begin_kernel_offload(Direction::Send)?;
/// let recv = conn.begin_kernel_offload(Direction::Recv)?; // second borrow
/// # drop((send, recv)); Ok(()) }
/// ```
pub struct OffloadGrant<'a> {
    conn: &'a mut KernelSession,
    dir: Direction,
    version: ProtocolVersion,
    cipher: KernelCipher,
    /// `None` once taken.
    keys: Option<TrafficKeys>,
    /// Committed or declined: dropping does nothing more.
    settled: bool,
}

impl<'a> OffloadGrant<'a> {
    pub(crate) fn new(conn: &'a mut KernelSession, dir: Direction, keys: TrafficKeys) -> Self {
        Self {
            conn,
            dir,
            version: keys.version,
            cipher: KernelCipher::from_aead(keys.aead),
            keys: Some(keys),
            settled: false,
        }
    }

    /// The direction this grant moves.
    pub fn direction(&self) -> Direction {
        self.dir
    }

    /// TLS 1.2 or TLS 1.3 (known without taking the keys).
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The AEAD of the keys (known without taking them, so a back end can
    /// decline a cipher it lacks before any key leaves the connection).
    pub fn cipher(&self) -> KernelCipher {
        self.cipher
    }

    /// The connection's socket, if it has one ([`crate::Connection::set_fd`]).
    pub fn socket(&self) -> Option<&Arc<OwnedFd>> {
        self.conn.socket()
    }

    /// The direction's keys, for the back end to install. Works once: a second
    /// call is a Usage error. From here on the grant must be committed or
    /// declined, or the connection fails when it is dropped.
    pub fn take_keys(&mut self) -> Result<DirectionKeys> {
        self.keys
            .take()
            .map(DirectionKeys::new)
            .ok_or_else(|| Error::usage("the offload grant's keys were already taken"))
    }

    /// The back end installed the keys it took and `io` drives that direction
    /// from now on. A Usage error, leaving the direction in userspace
    /// unharmed, if the keys were never taken (nothing can have been installed,
    /// and `io` would send in clear).
    pub fn commit(mut self, io: Box<dyn KernelRecordIo>) -> Result<()> {
        self.settled = true;
        if self.keys.is_some() {
            self.conn.note_userspace(
                self.dir,
                "a kernel back end committed without taking the keys",
            );
            return Err(Error::usage(
                "kernel offload committed without taking the keys: nothing was installed",
            ));
        }
        self.conn.offload_commit(self.dir, io);
        Ok(())
    }

    /// The back end did not install the keys (the kernel refused them, or a
    /// cipher it lacks): the direction stays in userspace, `why` shows in
    /// [`KernelSession::ktls_status`].
    pub fn decline(mut self, why: impl Into<Cow<'static, str>>) {
        self.settled = true;
        self.conn.note_userspace(self.dir, why);
    }
}

impl Drop for OffloadGrant<'_> {
    fn drop(&mut self) {
        if !self.settled && self.keys.is_none() {
            self.conn.offload_abandon(self.dir);
        }
    }
}

impl core::fmt::Debug for OffloadGrant<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OffloadGrant")
            .field("dir", &self.dir)
            .field("version", &self.version)
            .field("cipher", &self.cipher)
            .field("keys_taken", &self.keys.is_none())
            .finish_non_exhaustive()
    }
}

/// Who protects the records of one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordPath {
    /// The kernel seals or opens them (kTLS).
    Kernel,
    /// Baton does, in userspace; the reason says why not the kernel.
    Userspace(Cow<'static, str>),
}

impl RecordPath {
    /// True for [`RecordPath::Kernel`].
    pub fn is_kernel(&self) -> bool {
        matches!(self, RecordPath::Kernel)
    }
}

impl core::fmt::Display for RecordPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RecordPath::Kernel => f.write_str("kernel"),
            RecordPath::Userspace(why) => write!(f, "userspace ({why})"),
        }
    }
}

/// Per direction, who protects the records (see `KernelSession::ktls_status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KtlsStatus {
    /// Records we write.
    pub send: RecordPath,
    /// Records we read.
    pub recv: RecordPath,
}

impl core::fmt::Display for KtlsStatus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "send={} recv={}", self.send, self.recv)
    }
}

/// TLS record content types as the kernel reports them.
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
}

/// The kernel side of a socket with kTLS in one or both directions.
///
/// Implemented by `baton-ktls` with `sendmsg`/`recvmsg`/`setsockopt`; the
/// connection calls it only for the direction whose [`OffloadGrant`] it was
/// committed with (one object per direction; both may share a socket). Errors are plain `io::Error`s; `WouldBlock` means the
/// socket is non-blocking and not ready.
pub trait KernelRecordIo: Send + core::fmt::Debug {
    /// Writes application data; the kernel seals it into records (one record
    /// per call at most 2^14 bytes each). Returns bytes taken.
    fn send(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// Writes `data` as records of `content_type` (alert or handshake).
    fn send_control(&mut self, content_type: u8, data: &[u8]) -> io::Result<usize>;

    /// Reads decrypted bytes of one record type into `buf`: returns the type and
    /// the length (0 with application_data = end of stream). Bytes of different
    /// types never come back from one call.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<(u8, usize)>;

    /// Installs the next key of `dir` after a TLS 1.3 KeyUpdate (kernel rekey).
    /// Fails on kernels that cannot rekey.
    fn rekey(&mut self, dir: Direction, keys: &DirectionKeys) -> io::Result<()>;

    /// True if [`rekey`](Self::rekey) can work on this kernel.
    fn can_rekey(&self) -> bool;

    /// Sequence number of the next record the kernel will seal, read back from
    /// the kernel (it may cut records smaller than the writes asked for).
    fn send_seq(&mut self) -> io::Result<u64>;

    /// Sends `len` bytes of `file` from `offset` through the kernel's TLS
    /// (page cache to socket, no userspace copy). Returns bytes sent.
    fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: usize) -> io::Result<usize>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn keys(version: ProtocolVersion, aead: AeadAlg, iv: &[u8], seq: u64) -> DirectionKeys {
        DirectionKeys::new(TrafficKeys {
            version,
            aead,
            key: Secret::new(&vec![0x42; aead.key_len()]),
            iv: Secret::new(iv),
            seq,
        })
    }

    #[test]
    fn kernel_layouts() {
        let iv12: Vec<u8> = (1..=12).collect();
        // TLS 1.3 AES-GCM: salt = IV[..4], iv = IV[4..].
        let k = keys(ProtocolVersion::TLSV1_3, AeadAlg::Aes128Gcm, &iv12, 7);
        assert_eq!(k.cipher(), KernelCipher::Aes128Gcm);
        assert_eq!(k.salt(), &[1, 2, 3, 4]);
        assert_eq!(&*k.iv(), &iv12[4..]);
        assert_eq!(k.rec_seq(), [0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(k.key().len(), 16);
        // TLS 1.3 ChaCha20: no salt, the 12-byte IV.
        let k = keys(
            ProtocolVersion::TLSV1_3,
            AeadAlg::ChaCha20Poly1305,
            &iv12,
            0,
        );
        assert_eq!(k.salt(), &[] as &[u8]);
        assert_eq!(&*k.iv(), &iv12[..]);
        assert_eq!(k.key().len(), 32);
        // TLS 1.2 AES-GCM: salt = the implicit IV, iv = explicit nonce = seq.
        let k = keys(
            ProtocolVersion::TLSV1_2,
            AeadAlg::Aes256Gcm,
            &[9, 8, 7, 6],
            0x0102,
        );
        assert_eq!(k.salt(), &[9, 8, 7, 6]);
        assert_eq!(&*k.iv(), &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(k.rec_seq(), [0, 0, 0, 0, 0, 0, 1, 2]);
        // TLS 1.2 ChaCha20: the 12-byte IV, no salt.
        let k = keys(
            ProtocolVersion::TLSV1_2,
            AeadAlg::ChaCha20Poly1305,
            &iv12,
            3,
        );
        assert_eq!(k.salt(), &[] as &[u8]);
        assert_eq!(&*k.iv(), &iv12[..]);
        // No secret in Debug.
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("66") && !dbg.contains("42"), "{dbg}");
    }
}

/// The hand-off rules, in memory: a real handshake, then fake kernel back ends
/// that record what they were asked to do.
#[cfg(test)]
mod grant_tests {
    use super::*;
    use crate::{CertChainAndKey, Config, Connection, ErrorKind};
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    type Pipe = Arc<Mutex<VecDeque<u8>>>;
    /// What a fake back end was asked to send: (content type, bytes).
    type Log = Arc<Mutex<Vec<(u8, Vec<u8>)>>>;

    #[derive(Debug)]
    struct FakeKernel {
        sent: Log,
    }

    impl KernelRecordIo for FakeKernel {
        fn send(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let data: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let n = data.len();
            self.sent
                .lock()
                .unwrap()
                .push((content_type::APPLICATION_DATA, data));
            Ok(n)
        }
        fn send_control(&mut self, content_type: u8, data: &[u8]) -> io::Result<usize> {
            self.sent
                .lock()
                .unwrap()
                .push((content_type, data.to_vec()));
            Ok(data.len())
        }
        fn recv(&mut self, _buf: &mut [u8]) -> io::Result<(u8, usize)> {
            Err(io::ErrorKind::WouldBlock.into())
        }
        fn rekey(&mut self, _dir: Direction, _keys: &DirectionKeys) -> io::Result<()> {
            Ok(())
        }
        fn can_rekey(&self) -> bool {
            true
        }
        fn send_seq(&mut self) -> io::Result<u64> {
            Ok(0)
        }
        fn sendfile(&mut self, _: BorrowedFd<'_>, _: u64, _: usize) -> io::Result<usize> {
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    fn fake() -> (Box<dyn KernelRecordIo>, Log) {
        let sent = Log::default();
        (Box::new(FakeKernel { sent: sent.clone() }), sent)
    }

    fn attach(conn: &mut Connection, out: Pipe, inp: Pipe) {
        conn.set_io_callbacks(
            move |b| {
                out.lock().unwrap().extend(b);
                Ok(b.len())
            },
            move |buf| {
                let mut q = inp.lock().unwrap();
                if q.is_empty() {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                let n = buf.len().min(q.len());
                for (d, s) in buf.iter_mut().zip(q.drain(..n)) {
                    *d = s;
                }
                Ok(n)
            },
        );
    }

    /// A handshaken TLS 1.3 pair, the client handed over for kernel TLS, and
    /// the pipe of the client's wire bytes.
    fn pair() -> (KernelSession, Connection, Pipe) {
        let mut sb = Config::builder_minimal();
        sb.add_cert_chain_and_key(
            CertChainAndKey::from_pem(
                include_bytes!("../tests/data/server-p256-chain.pem"),
                include_bytes!("../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        let mut cb = Config::builder_minimal();
        cb.add_pem_to_trust_store(include_bytes!("../tests/data/ca-ecdsa.pem"))
            .unwrap();
        let (c2s, s2c) = (Pipe::default(), Pipe::default());
        let mut client = Connection::new_client(&cb.build().unwrap());
        client.set_server_name("localhost").unwrap();
        attach(&mut client, c2s.clone(), s2c.clone());
        let mut server = Connection::new_server(&sb.build().unwrap());
        attach(&mut server, s2c, c2s.clone());
        for _ in 0..8 {
            let c = client.negotiate();
            let s = server.negotiate();
            if c.is_ok() && s.is_ok() {
                // The server's NewSessionTicket and the like: off the wire.
                let mut buf = [0u8; 64];
                assert!(client
                    .recv(&mut buf)
                    .is_err_and(|e| e.kind() == ErrorKind::Blocked));
                return (client.into_kernel_session().unwrap(), server, c2s);
            }
        }
        panic!("in-memory handshake did not finish");
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn keys_come_out_once_and_a_moved_direction_cannot_be_granted_again() {
        let (mut c, _s, _wire) = pair();
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        assert_eq!(g.direction(), Direction::Send);
        let keys = g.take_keys().unwrap();
        assert_eq!(keys.cipher(), g.cipher());
        let again = g.take_keys().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Usage, "{again}");
        let (io, _) = fake();
        g.commit(io).unwrap();
        assert!(c.ktls_status().send.is_kernel());
        let e = c.begin_kernel_offload(Direction::Send).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        // The other direction is still free to move. (The kernel's socket
        // can't be swapped under it: a KernelSession has no set_fd.)
        assert!(c.begin_kernel_offload(Direction::Recv).is_ok());
    }

    #[test]
    fn commit_without_taking_the_keys_is_refused_and_harmless() {
        let (mut c, mut s, wire) = pair();
        let g = c.begin_kernel_offload(Direction::Send).unwrap();
        let (io, sent) = fake();
        let e = g.commit(io).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        assert!(!c.ktls_status().send.is_kernel(), "{}", c.ktls_status());
        // The back end got nothing; the direction goes on sealed in userspace.
        assert_eq!(c.send(b"top secret").unwrap(), 10);
        assert!(sent.lock().unwrap().is_empty());
        assert!(!contains(
            wire.lock().unwrap().make_contiguous(),
            b"top secret"
        ));
        let mut buf = [0u8; 32];
        assert_eq!(s.recv(&mut buf).unwrap(), 10);
        assert_eq!(&buf[..10], b"top secret");
    }

    #[test]
    fn after_commit_send_never_goes_out_in_clear() {
        let (mut c, _s, wire) = pair();
        let before = wire.lock().unwrap().len();
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        drop(g.take_keys().unwrap());
        let (io, sent) = fake();
        g.commit(io).unwrap();
        assert_eq!(c.send(b"top secret").unwrap(), 10);
        c.shutdown_send().unwrap();
        // Everything went to the back end: the data, then close_notify.
        let log = sent.lock().unwrap().clone();
        assert_eq!(
            log[0],
            (content_type::APPLICATION_DATA, b"top secret".to_vec())
        );
        assert_eq!(log.last().unwrap().0, content_type::ALERT, "{log:?}");
        // Nothing more reached the userspace transport.
        assert_eq!(wire.lock().unwrap().len(), before);
        // And a userspace seal is refused outright.
        assert_eq!(
            c.session_mut().seal_plaintext(b"x").unwrap_err().kind(),
            ErrorKind::Usage
        );
    }

    #[test]
    fn each_direction_only_uses_its_own_back_end() {
        let (mut c, _s, wire) = pair();
        let mut g = c.begin_kernel_offload(Direction::Recv).unwrap();
        g.take_keys().unwrap();
        let (rx, rx_sent) = fake();
        g.commit(rx).unwrap();
        // Send stays in userspace: sealed onto the transport, never handed to
        // the receive back end in clear.
        c.send(b"top secret").unwrap();
        assert!(rx_sent.lock().unwrap().is_empty());
        assert!(!contains(
            wire.lock().unwrap().make_contiguous(),
            b"top secret"
        ));
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        g.take_keys().unwrap();
        let (tx, tx_sent) = fake();
        g.commit(tx).unwrap();
        c.send(b"more").unwrap();
        assert_eq!(tx_sent.lock().unwrap().len(), 1);
        assert!(rx_sent.lock().unwrap().is_empty());
    }

    #[test]
    fn a_later_commit_does_not_take_over_the_other_direction() {
        let (mut c, _s, _wire) = pair();
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        g.take_keys().unwrap();
        let (tx, tx_sent) = fake();
        g.commit(tx).unwrap();
        let mut g = c.begin_kernel_offload(Direction::Recv).unwrap();
        g.take_keys().unwrap();
        let (rx, rx_sent) = fake();
        g.commit(rx).unwrap();
        c.send(b"top secret").unwrap();
        assert_eq!(tx_sent.lock().unwrap().len(), 1);
        assert!(rx_sent.lock().unwrap().is_empty());
    }

    #[test]
    fn a_grant_dropped_untouched_changes_nothing() {
        let (mut c, mut s, _wire) = pair();
        drop(c.begin_kernel_offload(Direction::Send).unwrap());
        drop(c.begin_kernel_offload(Direction::Recv).unwrap());
        assert_eq!(c.send(b"hi").unwrap(), 2);
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf).unwrap(), 2);
        s.send(b"back").unwrap();
        assert_eq!(c.recv(&mut buf).unwrap(), 4);
        assert!(c.begin_kernel_offload(Direction::Send).is_ok());
    }

    #[test]
    fn a_declined_grant_leaves_userspace_working() {
        let (mut c, mut s, _wire) = pair();
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        g.take_keys().unwrap();
        g.decline("the kernel said no");
        assert_eq!(
            c.ktls_status().send,
            RecordPath::Userspace("the kernel said no".into())
        );
        assert_eq!(c.send(b"hi").unwrap(), 2);
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf).unwrap(), 2);
    }

    #[test]
    fn a_grant_dropped_after_its_keys_went_out_fails_the_connection() {
        let (mut c, _s, wire) = pair();
        let before = wire.lock().unwrap().len();
        let mut g = c.begin_kernel_offload(Direction::Send).unwrap();
        let keys = g.take_keys().unwrap();
        drop(g);
        drop(keys);
        assert!(!c.ktls_status().send.is_kernel(), "{}", c.ktls_status());
        assert!(c.send(b"top secret").is_err());
        assert!(c.shutdown_send().is_err());
        c.session_mut().queue_close_notify();
        assert!(c.flush().is_err());
        assert!(c.begin_kernel_offload(Direction::Recv).is_err());
        // Not a byte more on the transport: no data, no alert, no close_notify
        // under a key the kernel may also hold.
        assert_eq!(wire.lock().unwrap().len(), before);
        assert!(c.pending_tls().is_empty());
    }

    #[test]
    fn a_receive_grant_dropped_after_its_keys_went_out_stops_receiving() {
        let (mut c, mut s, _wire) = pair();
        let mut g = c.begin_kernel_offload(Direction::Recv).unwrap();
        g.take_keys().unwrap();
        drop(g);
        s.send(b"for the kernel").unwrap();
        let mut buf = [0u8; 32];
        assert!(c
            .recv(&mut buf)
            .is_err_and(|e| e.kind() != ErrorKind::Blocked));
        assert!(!c.ktls_status().recv.is_kernel());
    }
}
