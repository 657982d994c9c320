//! Ephemeral (EC)DH key exchange: X25519, P-256, P-384.

use crate::error::Error;
use crate::msgs::enums::NamedGroup;
use crate::secrets::Secret;

/// Groups Baton implements.
pub(crate) const SUPPORTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// An in-progress key exchange: our ephemeral private key and its public share.
pub(crate) struct KeyExchange {
    _p: (),
}

impl KeyExchange {
    /// Generates a key pair; Usage error for a group Baton lacks.
    pub(crate) fn start(group: NamedGroup) -> Result<Self, Error> {
        unimplemented!()
    }
    pub(crate) fn group(&self) -> NamedGroup {
        unimplemented!()
    }
    /// Our public share in TLS encoding (X25519: 32 bytes; NIST: uncompressed point).
    pub(crate) fn public_key(&self) -> &[u8] {
        unimplemented!()
    }
    /// Completes with the peer's share. A malformed share is `illegal_parameter`.
    pub(crate) fn complete(self, peer: &[u8]) -> Result<Secret, Error> {
        unimplemented!()
    }
}

impl core::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyExchange")
    }
}
