//! Ephemeral (EC)DH key exchange: X25519, P-256, P-384.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};

use crate::error::{AlertDescription, Error};
use crate::msgs::enums::NamedGroup;
use crate::secrets::Secret;

/// Groups Baton implements.
pub(crate) const SUPPORTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// Largest public share we produce (P-384 uncompressed point: 1 + 2 * 48).
const MAX_SHARE_LEN: usize = 97;

fn algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::SECP256R1 => Some(&agreement::ECDH_P256),
        NamedGroup::SECP384R1 => Some(&agreement::ECDH_P384),
        _ => None,
    }
}

/// The exact TLS encoding length of a public share (RFC 8446 §4.2.8.2).
fn share_len(group: NamedGroup) -> usize {
    match group {
        NamedGroup::X25519 => 32,
        NamedGroup::SECP256R1 => 65,
        NamedGroup::SECP384R1 => 97,
        _ => 0,
    }
}

/// An in-progress key exchange: our ephemeral private key and its public share.
///
/// The key is an `agreement::PrivateKey` (what `EphemeralPrivateKey` wraps) so
/// tests can load fixed keys; it is generated fresh in `start`, used once by
/// `complete(self)`, and freed (and cleansed by aws-lc) on drop.
pub(crate) struct KeyExchange {
    group: NamedGroup,
    private: PrivateKey,
    public: [u8; MAX_SHARE_LEN],
    public_len: usize,
}

impl KeyExchange {
    /// Generates a key pair; Usage error for a group Baton lacks.
    pub(crate) fn start(group: NamedGroup) -> Result<Self, Error> {
        let alg = algorithm(group)
            .ok_or_else(|| Error::usage(format!("key exchange group {group} not supported")))?;
        let private = PrivateKey::generate(alg)
            .map_err(|_| Error::internal("key exchange key generation failed"))?;
        Self::from_private(group, private)
    }

    fn from_private(group: NamedGroup, private: PrivateKey) -> Result<Self, Error> {
        let public = private
            .compute_public_key()
            .map_err(|_| Error::internal("key exchange public key failed"))?;
        let bytes = public.as_ref();
        if bytes.len() != share_len(group) {
            return Err(Error::internal("key exchange public key has wrong length"));
        }
        let mut buf = [0u8; MAX_SHARE_LEN];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(Self {
            group,
            private,
            public: buf,
            public_len: bytes.len(),
        })
    }

    /// A key exchange with a fixed private key (RFC 8448 known answers).
    #[cfg(test)]
    pub(crate) fn from_private_key_for_test(group: NamedGroup, key: &[u8]) -> Result<Self, Error> {
        let alg = algorithm(group).ok_or_else(|| Error::usage("group not supported"))?;
        let private = PrivateKey::from_private_key(alg, key)
            .map_err(|_| Error::usage("bad test private key"))?;
        Self::from_private(group, private)
    }

    pub(crate) fn group(&self) -> NamedGroup {
        self.group
    }
    /// Our public share in TLS encoding (X25519: 32 bytes; NIST: uncompressed point).
    pub(crate) fn public_key(&self) -> &[u8] {
        &self.public[..self.public_len]
    }
    /// Completes with the peer's share. A malformed share is `illegal_parameter`.
    ///
    /// TLS allows exactly one encoding: 32 raw bytes for X25519, an uncompressed
    /// point (0x04 || x || y) for the NIST curves. aws-lc would also take
    /// compressed points and SubjectPublicKeyInfo, so the form is checked here
    /// first; aws-lc then checks the point is on the curve, and for X25519
    /// rejects an all-zero shared secret (a low-order peer share).
    pub(crate) fn complete(self, peer: &[u8]) -> Result<Secret, Error> {
        let alg = self.private.algorithm();
        let well_formed = peer.len() == share_len(self.group)
            && (self.group == NamedGroup::X25519 || peer.first() == Some(&0x04));
        if !well_formed {
            return Err(illegal_share());
        }
        agreement::agree(
            &self.private,
            UnparsedPublicKey::new(alg, peer),
            illegal_share(),
            |shared| Ok(Secret::new(shared)),
        )
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
        f.write_str("KeyExchange")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls13::rfc8448::{self, unhex};

    fn assert_illegal(r: Result<Secret, Error>) {
        assert_eq!(
            r.unwrap_err().sent_alert(),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
    }

    #[test]
    fn both_sides_agree_every_group() {
        for &g in SUPPORTED_GROUPS {
            let a = KeyExchange::start(g).unwrap();
            let b = KeyExchange::start(g).unwrap();
            assert_eq!(a.group(), g);
            assert_eq!(a.public_key().len(), share_len(g));
            if g != NamedGroup::X25519 {
                assert_eq!(a.public_key()[0], 0x04);
            }
            assert_ne!(a.public_key(), b.public_key());
            let a_pub = a.public_key().to_vec();
            let b_pub = b.public_key().to_vec();
            let s1 = a.complete(&b_pub).unwrap();
            let s2 = b.complete(&a_pub).unwrap();
            assert_eq!(s1.as_bytes(), s2.as_bytes());
            let want = if g == NamedGroup::SECP384R1 { 48 } else { 32 };
            assert_eq!(s1.len(), want);
        }
    }

    #[test]
    fn unsupported_group_is_usage() {
        let e = KeyExchange::start(NamedGroup::X448).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
        assert!(KeyExchange::start(NamedGroup::SECP521R1).is_err());
    }

    #[test]
    fn bad_shares_are_illegal_parameter() {
        for &g in SUPPORTED_GROUPS {
            let other = KeyExchange::start(g).unwrap();
            let good = other.public_key().to_vec();
            let kx = || KeyExchange::start(g).unwrap();
            // Wrong lengths.
            assert_illegal(kx().complete(&[]));
            assert_illegal(kx().complete(&good[..good.len() - 1]));
            assert_illegal(kx().complete(&[&good[..], &[0]].concat()));
            // Wrong group's share.
            let foreign = if g == NamedGroup::X25519 {
                KeyExchange::start(NamedGroup::SECP256R1).unwrap()
            } else {
                KeyExchange::start(NamedGroup::X25519).unwrap()
            };
            assert_illegal(kx().complete(foreign.public_key()));
            // The good share still works.
            assert!(kx().complete(&good).is_ok());
        }
    }

    #[test]
    fn nist_points_off_curve_or_not_uncompressed() {
        for g in [NamedGroup::SECP256R1, NamedGroup::SECP384R1] {
            let good = KeyExchange::start(g).unwrap().public_key().to_vec();
            // Flip a bit of y: no longer on the curve.
            let mut off = good.clone();
            let last = off.len() - 1;
            off[last] ^= 1;
            assert_illegal(KeyExchange::start(g).unwrap().complete(&off));
            // Compressed and hybrid forms are not allowed in TLS 1.3.
            let coord = (good.len() - 1) / 2;
            let mut compressed = vec![0x02 | (good[good.len() - 1] & 1)];
            compressed.extend_from_slice(&good[1..1 + coord]);
            assert_illegal(KeyExchange::start(g).unwrap().complete(&compressed));
            let mut hybrid = good.clone();
            hybrid[0] = 0x06 | (good[good.len() - 1] & 1);
            assert_illegal(KeyExchange::start(g).unwrap().complete(&hybrid));
            // All zeros (the point at infinity is not encodable this way).
            let mut zero = vec![0u8; good.len()];
            zero[0] = 0x04;
            assert_illegal(KeyExchange::start(g).unwrap().complete(&zero));
        }
    }

    #[test]
    fn x25519_low_order_points_rejected() {
        // All-zero and the order-1 point u=1 give an all-zero shared secret.
        let mut one = [0u8; 32];
        one[0] = 1;
        for bad in [[0u8; 32], one] {
            assert_illegal(
                KeyExchange::start(NamedGroup::X25519)
                    .unwrap()
                    .complete(&bad),
            );
        }
    }

    #[test]
    fn rfc8448_x25519_shared_secret() {
        let client = KeyExchange::from_private_key_for_test(
            NamedGroup::X25519,
            &unhex(rfc8448::CLIENT_PRIV),
        )
        .unwrap();
        let server = KeyExchange::from_private_key_for_test(
            NamedGroup::X25519,
            &unhex(rfc8448::SERVER_PRIV),
        )
        .unwrap();
        assert_eq!(client.public_key(), unhex(rfc8448::CLIENT_PUB));
        assert_eq!(server.public_key(), unhex(rfc8448::SERVER_PUB));
        let s1 = client.complete(&unhex(rfc8448::SERVER_PUB)).unwrap();
        let s2 = server.complete(&unhex(rfc8448::CLIENT_PUB)).unwrap();
        assert_eq!(s1.as_bytes(), unhex(rfc8448::ECDHE));
        assert_eq!(s2.as_bytes(), unhex(rfc8448::ECDHE));
    }
}
