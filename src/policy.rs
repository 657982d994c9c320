//! Named security policies: static tables of versions, cipher suites (in
//! preference order), signature schemes and groups, as in s2n-tls.
//!
//! Numbered policies never change. The full set of s2n's charts lands with the
//! TLS 1.2 work; until then the TLS 1.3 policies are here.

use crate::error::{Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// A named, immutable security policy.
#[derive(Debug, PartialEq, Eq)]
pub struct SecurityPolicy {
    /// The policy's name, e.g. `"default_tls13"`.
    pub name: &'static str,
    /// Lowest protocol version offered or accepted.
    pub min_version: ProtocolVersion,
    /// Highest protocol version offered or accepted.
    pub max_version: ProtocolVersion,
    /// Cipher suites in preference order.
    pub cipher_suites: &'static [CipherSuite],
    /// Signature schemes in preference order.
    pub signature_schemes: &'static [SignatureScheme],
    /// Key exchange groups in preference order.
    pub groups: &'static [NamedGroup],
    /// A client that lists ChaCha20 first gets ChaCha20 from a boosted server.
    pub chacha20_boosted: bool,
}

impl SecurityPolicy {
    /// True if the policy allows `v`.
    pub fn allows_version(&self, v: ProtocolVersion) -> bool {
        self.min_version <= v && v <= self.max_version
    }
}

const TLS13_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

const SCHEMES_WITH_PSS: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// Baton's default: TLS 1.3 with every suite and group it implements.
pub static DEFAULT_TLS13: SecurityPolicy = SecurityPolicy {
    name: "default_tls13",
    min_version: ProtocolVersion::TLSV1_3,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: TLS13_SUITES,
    signature_schemes: SCHEMES_WITH_PSS,
    groups: &[
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
    ],
    chacha20_boosted: false,
};

/// CNSA (RFC 9151), TLS 1.3 part: AES-256-GCM, secp384r1, SHA-384 signatures.
pub static RFC9151_TLS13: SecurityPolicy = SecurityPolicy {
    name: "rfc9151",
    min_version: ProtocolVersion::TLSV1_3,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: &[CipherSuite::TLS13_AES_256_GCM_SHA384],
    signature_schemes: &[
        SignatureScheme::ECDSA_SECP384R1_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PKCS1_SHA384,
    ],
    groups: &[NamedGroup::SECP384R1],
    chacha20_boosted: false,
};

static POLICIES: &[&SecurityPolicy] = &[&DEFAULT_TLS13, &RFC9151_TLS13];

/// The policy used when none is named.
pub fn default_policy() -> &'static SecurityPolicy {
    &DEFAULT_TLS13
}

/// Every policy name Baton knows.
pub fn policy_names() -> Vec<&'static str> {
    let mut v: Vec<_> = POLICIES.iter().map(|p| p.name).collect();
    v.push("default");
    v
}

/// Looks a policy up by name; an unknown name is a Usage error listing the valid ones.
pub fn lookup(name: &str) -> Result<&'static SecurityPolicy> {
    if name == "default" {
        return Ok(default_policy());
    }
    POLICIES
        .iter()
        .copied()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            Error::usage(format!(
                "unknown security policy {name:?}; valid names: {}",
                policy_names().join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_names() {
        assert_eq!(lookup("default_tls13").unwrap().name, "default_tls13");
        let e = lookup("nope").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
        assert!(e.message().contains("default_tls13"));
    }
}
