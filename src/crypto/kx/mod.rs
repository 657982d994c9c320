//! Ephemeral key exchange: (EC)DH over X25519, P-256, P-384 and P-521, and the
//! TLS 1.3 hybrids X25519MLKEM768 and SecP256r1MLKEM768 (ML-KEM-768 with an
//! ECDH, draft-ietf-tls-ecdhe-mlkem).
//!
//! The two sides are asymmetric, because a KEM is: the side that speaks first
//! ([`KeyExchange::start`]: the TLS 1.3 client, the TLS 1.2 server) holds a
//! private key until the peer's share arrives; the side that answers
//! ([`respond`]: the TLS 1.3 server, the TLS 1.2 client) never holds a key
//! pair for a KEM, it encapsulates to the peer's share and returns its own
//! share (the ciphertext) and the secret at once.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};

use crate::error::{AlertDescription, Error};
use crate::msgs::enums::NamedGroup;
use crate::secrets::Secret;

mod hybrid;
#[cfg(test)]
mod tests;

/// Groups Baton implements (the order is not a preference: policies give that).
pub(crate) const SUPPORTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// True for the ML-KEM hybrids: TLS 1.3 only (RFC 8422 ECDHE in TLS 1.2 has no
/// KEM, so a TLS 1.2 handshake must neither pick nor accept them).
pub(crate) fn is_hybrid(group: NamedGroup) -> bool {
    hybrid::Hybrid::of(group).is_some()
}

/// Groups usable for TLS 1.2 ECDHE: the implemented ones minus the hybrids.
pub(crate) fn tls12_group(group: NamedGroup) -> bool {
    SUPPORTED_GROUPS.contains(&group) && !is_hybrid(group)
}

fn ecdh_algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::SECP256R1 => Some(&agreement::ECDH_P256),
        NamedGroup::SECP384R1 => Some(&agreement::ECDH_P384),
        NamedGroup::SECP521R1 => Some(&agreement::ECDH_P521),
        _ => None,
    }
}

/// The exact TLS encoding length of an (EC)DH public share (RFC 8446 §4.2.8.2).
fn ecdh_share_len(group: NamedGroup) -> usize {
    match group {
        NamedGroup::X25519 => 32,
        NamedGroup::SECP256R1 => 65,
        NamedGroup::SECP384R1 => 97,
        NamedGroup::SECP521R1 => 133,
        _ => 0,
    }
}

/// An ephemeral ECDH private key and its public share.
///
/// The key is an `agreement::PrivateKey` (what `EphemeralPrivateKey` wraps) so
/// tests can load fixed keys; it is generated fresh, used once by
/// `agree(self)`, and freed (and cleansed by aws-lc) on drop.
struct Ecdh {
    group: NamedGroup,
    private: PrivateKey,
    public: Vec<u8>,
}

impl Ecdh {
    fn generate(group: NamedGroup) -> Result<Self, Error> {
        let alg = ecdh_algorithm(group)
            .ok_or_else(|| Error::usage(format!("key exchange group {group} not supported")))?;
        let private = PrivateKey::generate(alg)
            .map_err(|_| Error::internal("key exchange key generation failed"))?;
        Self::from_private(group, private)
    }

    fn from_private(group: NamedGroup, private: PrivateKey) -> Result<Self, Error> {
        let public = private
            .compute_public_key()
            .map_err(|_| Error::internal("key exchange public key failed"))?;
        if public.as_ref().len() != ecdh_share_len(group) {
            return Err(Error::internal("key exchange public key has wrong length"));
        }
        Ok(Self {
            group,
            private,
            public: public.as_ref().to_vec(),
        })
    }

    /// TLS allows exactly one encoding: 32 raw bytes for X25519, an uncompressed
    /// point (0x04 || x || y) for the NIST curves. aws-lc would also take
    /// compressed points and SubjectPublicKeyInfo, so the form is checked here
    /// first; aws-lc then checks the point is on the curve, and for X25519
    /// rejects an all-zero shared secret (a low-order peer share).
    fn agree(self, peer: &[u8]) -> Result<Secret, Error> {
        let well_formed = peer.len() == ecdh_share_len(self.group)
            && (self.group == NamedGroup::X25519 || peer.first() == Some(&0x04));
        if !well_formed {
            return Err(illegal_share());
        }
        agreement::agree(
            &self.private,
            UnparsedPublicKey::new(self.private.algorithm(), peer),
            illegal_share(),
            |shared| Ok(Secret::new(shared)),
        )
    }
}

enum Pending {
    Ecdh(Ecdh),
    Hybrid(hybrid::Initiator),
}

/// The first mover's side of a key exchange: a private key and the public
/// share sent with it, waiting for the peer's share.
pub(crate) struct KeyExchange {
    group: NamedGroup,
    pending: Pending,
}

impl KeyExchange {
    /// Generates a key pair (for a hybrid, an ML-KEM decapsulation key and an
    /// ECDH key); Usage error for a group Baton lacks.
    pub(crate) fn start(group: NamedGroup) -> Result<Self, Error> {
        let pending = match hybrid::Hybrid::of(group) {
            Some(h) => Pending::Hybrid(hybrid::Initiator::generate(h)?),
            None => Pending::Ecdh(Ecdh::generate(group)?),
        };
        Ok(Self { group, pending })
    }

    /// A key exchange with a fixed private key (RFC 8448 known answers).
    #[cfg(test)]
    pub(crate) fn from_private_key_for_test(group: NamedGroup, key: &[u8]) -> Result<Self, Error> {
        let alg = ecdh_algorithm(group).ok_or_else(|| Error::usage("group not supported"))?;
        let private = PrivateKey::from_private_key(alg, key)
            .map_err(|_| Error::usage("bad test private key"))?;
        Ok(Self {
            group,
            pending: Pending::Ecdh(Ecdh::from_private(group, private)?),
        })
    }

    pub(crate) fn group(&self) -> NamedGroup {
        self.group
    }

    /// Our public share in TLS encoding (X25519: 32 bytes; NIST: uncompressed
    /// point; hybrid: the ML-KEM encapsulation key and the ECDH share, in the
    /// group's order).
    pub(crate) fn public_key(&self) -> &[u8] {
        match &self.pending {
            Pending::Ecdh(e) => &e.public,
            Pending::Hybrid(h) => h.public(),
        }
    }

    /// Completes with the peer's share. A malformed share is `illegal_parameter`.
    pub(crate) fn complete(self, peer: &[u8]) -> Result<Secret, Error> {
        match self.pending {
            Pending::Ecdh(e) => e.agree(peer),
            Pending::Hybrid(h) => h.complete(peer),
        }
    }
}

/// The answering side's result: the share to send back and the shared secret.
pub(crate) struct Response {
    /// Our share in TLS encoding (for a hybrid: the ML-KEM ciphertext and our ECDH share).
    pub(crate) share: Vec<u8>,
    pub(crate) secret: Secret,
}

/// Answers a peer's share: for (EC)DH, a fresh key pair and the agreement; for
/// a hybrid, an ML-KEM encapsulation to the peer's key plus the ECDH part.
/// A malformed share (wrong length, point off the curve, invalid ML-KEM key)
/// is `illegal_parameter`; a group Baton lacks is a Usage error.
pub(crate) fn respond(group: NamedGroup, peer: &[u8]) -> Result<Response, Error> {
    match hybrid::Hybrid::of(group) {
        Some(h) => hybrid::respond(h, peer),
        None => {
            let ours = Ecdh::generate(group)?;
            let share = ours.public.clone();
            let secret = ours.agree(peer)?;
            Ok(Response { share, secret })
        }
    }
}

#[track_caller]
fn illegal_share() -> Error {
    Error::protocol(
        AlertDescription::ILLEGAL_PARAMETER,
        "peer key share is invalid",
    )
}

impl core::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyExchange({})", self.group)
    }
}

impl core::fmt::Debug for Response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Response")
    }
}
