//! Hashes, HMAC, HKDF and the handshake transcript.

use crate::secrets::Secret;

/// The hash of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
}

/// A hash or HMAC output (not secret by itself; Finished values are compared with `ct_eq`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HashOutput {
    buf: [u8; 64],
    len: u8,
}

impl HashOutput {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl core::fmt::Debug for HashOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        unimplemented!()
    }
}

impl HashAlg {
    pub(crate) fn output_len(self) -> usize {
        unimplemented!()
    }
    pub(crate) fn hash(self, data: &[u8]) -> HashOutput {
        unimplemented!()
    }
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> HashOutput {
        unimplemented!()
    }
    /// HKDF-Extract(salt, ikm) (RFC 5869).
    pub(crate) fn hkdf_extract(self, salt: &[u8], ikm: &[u8]) -> Secret {
        unimplemented!()
    }
    /// HKDF-Expand-Label (RFC 8446 §7.1), "tls13 " prefix added here. `out.len()` ≤ 255*hash_len.
    pub(crate) fn hkdf_expand_label(
        self,
        secret: &[u8],
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) {
        unimplemented!()
    }
    /// Derive-Secret / HKDF-Expand-Label with output length = hash length, as a Secret.
    pub(crate) fn expand_label_secret(self, secret: &[u8], label: &[u8], context: &[u8]) -> Secret {
        unimplemented!()
    }
}

/// The running handshake transcript. Buffers messages until the hash is known
/// (a client sends ClientHello before the suite is chosen), then hashes.
#[derive(Clone)]
pub(crate) struct Transcript {
    _p: (),
}

impl Transcript {
    pub(crate) fn new() -> Self {
        unimplemented!()
    }
    /// Adds one encoded handshake message (header included).
    pub(crate) fn add(&mut self, encoded: &[u8]) {
        unimplemented!()
    }
    /// Fixes the hash: hashes everything buffered so far and stops buffering.
    pub(crate) fn start_hash(&mut self, alg: HashAlg) {
        unimplemented!()
    }
    pub(crate) fn alg(&self) -> Option<HashAlg> {
        unimplemented!()
    }
    /// Hash of everything added so far. Requires `start_hash`.
    pub(crate) fn current_hash(&self) -> HashOutput {
        unimplemented!()
    }
    /// HelloRetryRequest: replaces the transcript so far (ClientHello1) with
    /// message_hash(254) || 00 00 Hash.length || Hash(ClientHello1) (RFC 8446 §4.4.1).
    /// Requires `start_hash`.
    pub(crate) fn rollup_for_hrr(&mut self) {
        unimplemented!()
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Transcript")
    }
}
