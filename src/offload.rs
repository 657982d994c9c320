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

use crate::crypto::aead::AeadAlg;
use crate::msgs::enums::ProtocolVersion;
use crate::record::protect::TrafficKeys;
use std::borrow::Cow;
use std::io::{self, IoSlice};
use std::os::fd::BorrowedFd;

/// One direction of a connection.
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

/// Who protects the records of one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Per direction, who protects the records (see `Connection::ktls_status`).
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
/// connection calls it only for directions that [`commit`](crate::Connection::commit_kernel_offload)
/// moved to the kernel. Errors are plain `io::Error`s; `WouldBlock` means the
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
