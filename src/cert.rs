//! Certificates: server chains with their keys, the trust store, and chain validation
//! through rustls-webpki (never hand-written path validation).

use crate::crypto::sign::{KeyType, SigningKey};
use crate::error::Error;
use std::path::Path;

/// A certificate chain (leaf first, DER) and its private key, loaded from PEM.
/// Shared by many connections through `Config`.
pub struct CertChainAndKey {
    chain: Vec<Vec<u8>>,
    key: SigningKey,
}

impl CertChainAndKey {
    /// Loads a PEM chain (leaf first) and a PEM private key; fails if the key does not match the leaf.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        unimplemented!()
    }
    /// Same as [`from_pem`](Self::from_pem), reading two files.
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        unimplemented!()
    }
    /// The chain, leaf first, DER.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
    /// The key type (decides which signature schemes it serves).
    pub fn key_type(&self) -> KeyType {
        self.key.key_type()
    }
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

impl core::fmt::Debug for CertChainAndKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertChainAndKey")
            .field("certs", &self.chain.len())
            .field("key", &self.key)
            .finish()
    }
}

/// Trust anchors for validating peers.
#[derive(Clone, Default)]
pub(crate) struct TrustStore {
    _p: (),
}

impl TrustStore {
    pub(crate) fn new() -> Self {
        unimplemented!()
    }
    /// Adds every CERTIFICATE in a PEM buffer. Error if none parse.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        unimplemented!()
    }
    /// A PEM file, or a directory of PEM files (`*.pem`, `*.crt`, OpenSSL hash links).
    pub(crate) fn add_location(&mut self, path: &Path) -> Result<usize, Error> {
        unimplemented!()
    }
    /// The system's default trust store (SSL_CERT_FILE / SSL_CERT_DIR, then Debian, RHEL, Alpine, SUSE locations).
    pub(crate) fn add_system_defaults(&mut self) -> Result<usize, Error> {
        unimplemented!()
    }
    pub(crate) fn wipe(&mut self) {
        unimplemented!()
    }
    pub(crate) fn len(&self) -> usize {
        unimplemented!()
    }
    /// Validates `chain` (leaf first, DER) for TLS server auth at `now` (Unix seconds).
    /// unknown issuer → `unknown_ca`; expired/not yet valid → `certificate_expired`; others → `bad_certificate`.
    /// Does NOT check the host name.
    pub(crate) fn verify_server_chain(
        &self,
        chain: &[Vec<u8>],
        now_unix: u64,
    ) -> Result<(), Error> {
        unimplemented!()
    }
}

impl core::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TrustStore({} anchors)", self.len())
    }
}

/// Checks the leaf is valid for `name` (DNS name or IP address literal); failure → `bad_certificate`
/// with a message naming the host.
pub(crate) fn check_host_name(leaf_der: &[u8], name: &str) -> Result<(), Error> {
    unimplemented!()
}

/// The DNS names (SAN dNSName) of a leaf certificate, for verify-host callbacks.
pub(crate) fn leaf_dns_names(leaf_der: &[u8]) -> Result<Vec<String>, Error> {
    unimplemented!()
}
