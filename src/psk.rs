//! External pre-shared keys for TLS 1.3 (RFC 8446 §2.2, §4.2.11; RFC 9257).
//!
//! An external PSK is a secret both ends hold before they connect, named by an
//! identity sent in the clear. A handshake that uses one needs no
//! certificate: the PSK authenticates both ends. With `psk_dhe_ke` (the
//! default) an (EC)DHE exchange still gives forward secrecy; `psk_ke` (only
//! with [`ConfigBuilder::allow_psk_ke`](crate::ConfigBuilder::allow_psk_ke))
//! skips it.
//!
//! Add PSKs to a [`Config`](crate::Config) with
//! [`ConfigBuilder::add_psk`](crate::ConfigBuilder::add_psk) or to one
//! connection with [`Session::add_psk`](crate::Session::add_psk). A client
//! offers them (config first, in the order added; at most 8, only those whose
//! hash one of its TLS 1.3 suites has, and no ticket in the same hello; after
//! a HelloRetryRequest only those of the chosen suite's hash); a server takes the
//! first identity the client offers that it holds, or lets a
//! [`PskSelectionCallback`] choose. [`Session::negotiated_psk_identity`](crate::Session::negotiated_psk_identity)
//! tells which one was used.
//!
//! A PSK must be shared by one client and one server only, never used in
//! both roles by one party (the "Selfie" attack), and made from at least 128
//! bits of entropy: never derive it from a password (RFC 9257 §4, §6).

use crate::error::{Error, Result};
use crate::secrets::Secret;
use std::sync::Arc;

/// The hash a PSK is bound to: it may only be used with TLS 1.3 cipher
/// suites of that hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PskHash {
    /// SHA-256 (TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256); the
    /// default, as in s2n-tls and OpenSSL.
    #[default]
    Sha256,
    /// SHA-384 (TLS_AES_256_GCM_SHA384).
    Sha384,
}

impl PskHash {
    pub(crate) fn alg(self) -> crate::crypto::hash::HashAlg {
        match self {
            PskHash::Sha256 => crate::crypto::hash::HashAlg::Sha256,
            PskHash::Sha384 => crate::crypto::hash::HashAlg::Sha384,
        }
    }
}

/// An external PSK: identity, secret and hash. The secret is zeroized on
/// drop and never shown by `Debug`; the identity is public (it crosses the
/// network in the clear, so it must not hold anything confidential).
#[derive(Clone)]
pub struct ExternalPsk {
    identity: Vec<u8>,
    secret: Secret,
    hash: PskHash,
    early: Option<PskEarlyData>,
}

/// What 0-RTT an external PSK allows (as s2n's `s2n_psk_configure_early_data`
/// and `s2n_psk_set_application_protocol`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PskEarlyData {
    pub(crate) max_size: u32,
    pub(crate) suite: crate::CipherSuite,
    pub(crate) alpn: Option<Vec<u8>>,
}

impl ExternalPsk {
    /// The longest secret accepted (and the most a hash-sized PSK needs).
    pub const MAX_SECRET_LEN: usize = 64;
    /// The shortest secret accepted: 128 bits (RFC 9257 §6).
    pub const MIN_SECRET_LEN: usize = 16;
    /// The longest identity accepted. The wire allows 2^16 - 1 bytes; a
    /// ClientHello must stay within one handshake message, so Baton keeps
    /// identities to a size every peer takes.
    pub const MAX_IDENTITY_LEN: usize = 1024;

    /// A PSK from its identity (1 to [`MAX_IDENTITY_LEN`](Self::MAX_IDENTITY_LEN)
    /// bytes) and secret ([`MIN_SECRET_LEN`](Self::MIN_SECRET_LEN) to
    /// [`MAX_SECRET_LEN`](Self::MAX_SECRET_LEN) bytes). Anything else is a
    /// Usage error.
    pub fn new(identity: &[u8], secret: &[u8], hash: PskHash) -> Result<Self> {
        if identity.is_empty() || identity.len() > Self::MAX_IDENTITY_LEN {
            return Err(Error::usage(format!(
                "a PSK identity is 1 to {} bytes",
                Self::MAX_IDENTITY_LEN
            )));
        }
        if !(Self::MIN_SECRET_LEN..=Self::MAX_SECRET_LEN).contains(&secret.len()) {
            return Err(Error::usage(format!(
                "a PSK secret is {} to {} bytes (RFC 9257 §6: at least 128 bits of entropy)",
                Self::MIN_SECRET_LEN,
                Self::MAX_SECRET_LEN
            )));
        }
        Ok(Self {
            identity: identity.to_vec(),
            secret: Secret::new(secret),
            hash,
            early: None,
        })
    }

    /// Allows TLS 1.3 early data with this PSK: up to `max_size` bytes, in a
    /// handshake that negotiates `suite` (a TLS 1.3 suite of the PSK's hash)
    /// and the ALPN protocol set by
    /// [`set_application_protocol`](Self::set_application_protocol) (none
    /// by default). A server also needs `ConfigBuilder::set_max_early_data_size`
    /// and an early data callback: an external PSK has no ticket age, so the
    /// anti-replay store can only stop replays within its window, and the
    /// application must judge the rest (see `docs/usage.md`).
    pub fn set_early_data(
        &mut self,
        max_size: u32,
        suite: crate::CipherSuite,
    ) -> Result<&mut Self> {
        let ok = crate::suites::tls13_suite(suite).is_some_and(|s| s.hash == self.hash.alg());
        if !ok {
            return Err(Error::usage(format!(
                "{suite:?} is not a TLS 1.3 suite of the PSK's hash"
            )));
        }
        let alpn = self.early.take().and_then(|e| e.alpn);
        self.early = Some(PskEarlyData {
            max_size,
            suite,
            alpn,
        });
        Ok(self)
    }

    /// The ALPN protocol a handshake must negotiate for this PSK's early
    /// data (call after [`set_early_data`](Self::set_early_data)).
    pub fn set_application_protocol(&mut self, protocol: &[u8]) -> Result<&mut Self> {
        let Some(early) = self.early.as_mut() else {
            return Err(Error::usage("set_early_data first"));
        };
        if protocol.is_empty() || protocol.len() > 255 {
            return Err(Error::usage("an ALPN protocol is 1 to 255 bytes"));
        }
        early.alpn = Some(protocol.to_vec());
        Ok(self)
    }

    pub(crate) fn early(&self) -> Option<&PskEarlyData> {
        self.early.as_ref()
    }

    /// The identity.
    pub fn identity(&self) -> &[u8] {
        &self.identity
    }

    /// The hash it is bound to.
    pub fn hash(&self) -> PskHash {
        self.hash
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl core::fmt::Debug for ExternalPsk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExternalPsk")
            .field("identity", &String::from_utf8_lossy(&self.identity))
            .field("hash", &self.hash)
            .field("early", &self.early)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What a server's [`PskSelectionCallback`] sees: the identities the client
/// offered, in its order (as s2n's offered PSK list).
#[derive(Debug)]
pub struct OfferedPsks<'a> {
    pub(crate) identities: Vec<&'a [u8]>,
}

impl<'a> OfferedPsks<'a> {
    /// The offered identities, in the client's order.
    pub fn identities(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        self.identities.iter().copied()
    }

    /// How many identities the client offered (at most the first few are
    /// shown; see [`MAX_IDENTITIES_SHOWN`](Self::MAX_IDENTITIES_SHOWN)).
    pub fn len(&self) -> usize {
        self.identities.len()
    }

    /// Whether the client offered none.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
    }

    /// The most identities a server looks at in one ClientHello; later ones
    /// are ignored, as RFC 8446 §4.2.11 allows.
    pub const MAX_IDENTITIES_SHOWN: usize = 8;
}

/// A server's choice among the offered identities: `Some(i)` uses the
/// `i`-th offered identity, which must name a PSK on the config or the
/// connection (else the handshake goes on without a PSK); `None` uses none.
pub type PskSelectionCallback = dyn Fn(&OfferedPsks<'_>) -> Option<usize> + Send + Sync;

/// The PSK settings of a [`Config`](crate::Config).
#[derive(Clone, Default)]
pub(crate) struct PskSettings {
    pub(crate) psks: Vec<ExternalPsk>,
    pub(crate) select: Option<Arc<PskSelectionCallback>>,
}

impl core::fmt::Debug for PskSettings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PskSettings")
            .field("psks", &self.psks)
            .field("select", &self.select.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_debug() {
        assert!(ExternalPsk::new(b"", &[1; 32], PskHash::Sha256).is_err());
        assert!(ExternalPsk::new(&[b'a'; 1025], &[1; 32], PskHash::Sha256).is_err());
        assert!(ExternalPsk::new(b"id", &[1; 15], PskHash::Sha256).is_err());
        assert!(ExternalPsk::new(b"id", &[1; 65], PskHash::Sha256).is_err());
        let p = ExternalPsk::new(b"client-7", &[0xab; 32], PskHash::Sha384).unwrap();
        assert_eq!(p.identity(), b"client-7");
        assert_eq!(p.hash(), PskHash::Sha384);
        let shown = format!("{p:?}");
        assert!(shown.contains("client-7") && shown.contains("redacted"));
        assert!(!shown.contains("ab, ab") && !shown.contains("171"));
    }

    #[test]
    fn early_data_settings() {
        let mut p = ExternalPsk::new(b"id", &[7; 32], PskHash::Sha256).unwrap();
        assert!(
            p.set_application_protocol(b"h2").is_err(),
            "before set_early_data"
        );
        assert!(p
            .set_early_data(1024, crate::CipherSuite::TLS13_AES_256_GCM_SHA384)
            .is_err());
        assert!(p
            .set_early_data(
                1024,
                crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            )
            .is_err());
        p.set_early_data(1024, crate::CipherSuite::TLS13_AES_128_GCM_SHA256)
            .unwrap();
        assert!(p.set_application_protocol(b"").is_err());
        p.set_application_protocol(b"h2").unwrap();
        let e = p.early().unwrap();
        assert_eq!((e.max_size, e.alpn.as_deref()), (1024, Some(&b"h2"[..])));
        // Setting it again keeps the protocol.
        p.set_early_data(2048, crate::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
            .unwrap();
        assert_eq!(p.early().unwrap().alpn.as_deref(), Some(&b"h2"[..]));
    }
}
