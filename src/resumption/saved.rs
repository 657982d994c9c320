//! The client's saved session (SKELETON).

use crate::error::Result;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::secrets::Secret;

/// What a client keeps to resume a session: the ticket or session id, the
/// secret that goes with it, and what the original handshake negotiated.
///
/// **It holds a secret**: whoever has these bytes can resume the session and
/// read what is sent in it. Store it as you would a private key; it is
/// zeroized on drop and redacted in `Debug`.
#[derive(Clone)]
pub struct SavedSession {
    pub(crate) version: ProtocolVersion,
    pub(crate) suite: CipherSuite,
    /// TLS 1.3: the ticket's PSK. TLS 1.2: the master secret.
    pub(crate) secret: Secret,
    pub(crate) ems: bool,
    /// The ticket (TLS 1.3, or TLS 1.2 RFC 5077); empty for a TLS 1.2 session id only.
    pub(crate) ticket: Vec<u8>,
    /// TLS 1.2: the session id the server gave (may be empty with a ticket).
    pub(crate) session_id: Vec<u8>,
    /// Unix seconds when the ticket arrived (its age counts from here).
    pub(crate) received_at: u64,
    /// Seconds the server said the ticket is good for.
    pub(crate) lifetime: u32,
    pub(crate) age_add: u32,
    pub(crate) max_early_data: u32,
    pub(crate) server_name: Option<String>,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The server's certificate chain from the original handshake.
    pub(crate) peer_chain: Vec<Vec<u8>>,
}

impl SavedSession {
    /// The versioned byte form (see the type's warning: it holds a secret).
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        todo!()
    }

    /// Reads [`to_bytes`](Self::to_bytes)' output. A typed error for bytes
    /// of another format version or malformed ones.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let _ = bytes;
        todo!()
    }

    /// The protocol version of the session.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The cipher suite of the session.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    /// The server name it was made for.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Seconds the server said it is good for.
    pub fn lifetime_secs(&self) -> u32 {
        self.lifetime
    }

    /// Its age at `now` (Unix seconds).
    pub fn age_secs(&self, now: u64) -> u64 {
        now.saturating_sub(self.received_at)
    }

    /// TLS 1.3 tickets are for one use (RFC 8446 §C.4).
    pub fn is_single_use(&self) -> bool {
        self.version == ProtocolVersion::TLSV1_3
    }
}

impl core::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SavedSession")
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("server_name", &self.server_name)
            .field("ticket_len", &self.ticket.len())
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}
