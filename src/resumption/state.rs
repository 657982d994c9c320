//! What a server puts in a ticket or a cache entry (SKELETON).

use crate::msgs::codec::DecodeError;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::secrets::Secret;

/// The plaintext of a ticket (TLS 1.3 or 1.2) or a TLS 1.2 cache entry.
/// Versioned on the wire; sealed by `TicketKeys` before it leaves the process.
#[derive(Clone, Debug)]
pub(crate) struct ServerSessionState {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    /// TLS 1.3: this ticket's PSK (from resumption_master_secret and the
    /// nonce). TLS 1.2: the master secret.
    pub secret: Secret,
    /// TLS 1.2: the session used the extended master secret.
    pub ems: bool,
    /// Unix seconds when this ticket or entry was made.
    pub issued_at: u64,
    /// Unix seconds of the full handshake that authenticated the peer (a
    /// resumed session carries it on; the keying-material lifetime counts from it).
    pub auth_time: u64,
    /// Seconds the ticket is good for (what NewSessionTicket said).
    pub lifetime: u32,
    /// TLS 1.3: `ticket_age_add`.
    pub age_add: u32,
    /// TLS 1.3: the NewSessionTicket's max_early_data_size (0: none).
    pub max_early_data: u32,
    /// The SNI of the original handshake.
    pub server_name: Option<String>,
    /// The ALPN protocol of the original handshake.
    pub alpn: Option<Vec<u8>>,
}

impl ServerSessionState {
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        todo!()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let _ = bytes;
        todo!()
    }
}
