//! The TLS 1.3 key schedule (RFC 8446 §7.1) as typestates:
//!
//! ```text
//!              0
//!              |
//!    PSK ->  HKDF-Extract = Early Secret
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//!  (EC)DHE -> HKDF-Extract = Handshake Secret  -> c/s hs traffic (CH..SH)
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//!   0 -> HKDF-Extract = Master Secret -> c/s ap traffic, exporter (CH..server Finished),
//!                                        resumption (CH..client Finished)
//! ```

use crate::crypto::aead::AeadAlg;
use crate::crypto::hash::{HashAlg, HashOutput};
use crate::secrets::Secret;

/// Early Secret stage.
pub(crate) struct EarlySecret {
    _p: (),
}

/// Handshake Secret stage, with both handshake traffic secrets.
pub(crate) struct HandshakeSecret {
    _p: (),
}

/// Master Secret stage, with both application traffic secrets.
pub(crate) struct MasterSecret {
    _p: (),
}

impl EarlySecret {
    /// `psk` = None means a zero-filled PSK (full handshake).
    pub(crate) fn new(alg: HashAlg, psk: Option<&[u8]>) -> Self {
        unimplemented!()
    }
    /// Enters the handshake stage with the (EC)DHE shared secret and Hash(ClientHello..ServerHello).
    pub(crate) fn into_handshake(self, shared: &[u8], hello_hash: &[u8]) -> HandshakeSecret {
        unimplemented!()
    }
}

impl HandshakeSecret {
    pub(crate) fn client_traffic(&self) -> &Secret {
        unimplemented!()
    }
    pub(crate) fn server_traffic(&self) -> &Secret {
        unimplemented!()
    }
    /// Enters the master stage with Hash(ClientHello..server Finished).
    pub(crate) fn into_master(self, server_finished_hash: &[u8]) -> MasterSecret {
        unimplemented!()
    }
}

impl MasterSecret {
    pub(crate) fn client_traffic(&self) -> &Secret {
        unimplemented!()
    }
    pub(crate) fn server_traffic(&self) -> &Secret {
        unimplemented!()
    }
    pub(crate) fn exporter_secret(&self) -> &Secret {
        unimplemented!()
    }
    /// resumption_master_secret with Hash(ClientHello..client Finished).
    pub(crate) fn resumption_secret(&self, client_finished_hash: &[u8]) -> Secret {
        unimplemented!()
    }
}

/// verify_data = HMAC(finished_key, transcript_hash), finished_key = HKDF-Expand-Label(base, "finished", "", Hash.length).
pub(crate) fn finished_verify_data(
    alg: HashAlg,
    base_secret: &Secret,
    transcript_hash: &[u8],
) -> HashOutput {
    unimplemented!()
}

/// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length).
pub(crate) fn next_traffic_secret(alg: HashAlg, secret: &Secret) -> Secret {
    unimplemented!()
}

/// Record key and IV for a traffic secret: (HKDF-Expand-Label(s, "key", "", key_len), ... "iv", 12).
pub(crate) fn traffic_key_iv(alg: HashAlg, aead: AeadAlg, secret: &Secret) -> (Secret, [u8; 12]) {
    unimplemented!()
}
