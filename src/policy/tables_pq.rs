//! s2n-tls's post-quantum policies: the numbered and ELB ones whose kem
//! preferences are the IETF ML-KEM hybrids (`kem_preferences_pq_tls_1_3_ietf_2024_10`
//! and `_2025_07`), from s2n-tls-sys 0.3.47's `tls/s2n_security_policies.c`.
//!
//! s2n keeps kem groups and ECC curves in two lists and sends the kem groups
//! first in supported_groups (TLS 1.3 only); its server prefers a mutually
//! supported kem group over any curve. Baton has one list, so each group list
//! here is the kem groups (in s2n's order) followed by the ECC curves: the
//! same supported_groups on the wire, and the same server preference. The
//! hybrids are skipped for TLS 1.2.

use super::SecurityPolicy;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// `pq_kem_groups_ietf_2024_10` then `s2n_ecc_preferences_20240501`.
const GROUPS_PQ_2024_10_20240501: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::SECP256R1,
    NamedGroup::X25519,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// `pq_kem_groups_ietf_2025_07` then `s2n_ecc_preferences_20240501`.
const GROUPS_PQ_2025_07_20240501: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::SECP384R1MLKEM1024,
    NamedGroup::SECP256R1,
    NamedGroup::X25519,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// `pq_kem_groups_ietf_2025_07` then `s2n_ecc_preferences_20201021`.
const GROUPS_PQ_2025_07_20201021: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::SECP384R1MLKEM1024,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// `pq_kem_groups_ietf_2025_07` then `s2n_ecc_preferences_20240603`.
const GROUPS_PQ_2025_07_20240603: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::SECP384R1MLKEM1024,
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// `cipher_preferences_cloudfront_tls_1_2_2019`.
const SUITES_CLOUDFRONT_TLS_1_2_2019: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
];

/// `elb_security_policy_tls13_1_2_2021_06`.
const SUITES_ELB_TLS13_1_2_2021_06: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
];

/// `s2n_signature_preferences_20240501`.
const SCHEMES_20240501: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// `s2n_signature_preferences_20250512`: 20240501 with ML-DSA first.
const SCHEMES_20250512: &[SignatureScheme] = &[
    SignatureScheme::MLDSA44,
    SignatureScheme::MLDSA65,
    SignatureScheme::MLDSA87,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// `s2n_certificate_signature_preferences_20250512`.
const CERT_SCHEMES_20250512: &[SignatureScheme] = &[
    SignatureScheme::MLDSA44,
    SignatureScheme::MLDSA65,
    SignatureScheme::MLDSA87,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA224,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ECDSA_SHA224,
];

/// `s2n_signature_preferences_20261013_no_sha224`.
const SCHEMES_20261013_NO_SHA224: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// s2n `20230317_pq`: `20230317` (FIPS-minded) with the 2025-07 kem groups.
pub(super) static POLICY_20230317_PQ: SecurityPolicy = SecurityPolicy {
    name: "20230317_pq",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: super::tables::SUITES_20230317,
    signature_schemes: super::tables::SCHEMES_20230317,
    certificate_signature_schemes: Some(super::tables::SCHEMES_20230317),
    groups: GROUPS_PQ_2025_07_20201021,
    chacha20_boosted: false,
};

/// s2n `20241001`.
pub(super) static POLICY_20241001: SecurityPolicy = SecurityPolicy {
    name: "20241001",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_CLOUDFRONT_TLS_1_2_2019,
    signature_schemes: SCHEMES_20240501,
    certificate_signature_schemes: Some(super::tables::CERT_SCHEMES_20201110),
    groups: GROUPS_PQ_2024_10_20240501,
    chacha20_boosted: false,
};

/// s2n `20241001_pq_mixed` (today the same lists as `20241001`).
pub(super) static POLICY_20241001_PQ_MIXED: SecurityPolicy = SecurityPolicy {
    name: "20241001_pq_mixed",
    ..POLICY_20241001
};

/// s2n `20250512`: `20241001` with ML-DSA added.
pub(super) static POLICY_20250512: SecurityPolicy = SecurityPolicy {
    name: "20250512",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_CLOUDFRONT_TLS_1_2_2019,
    signature_schemes: SCHEMES_20250512,
    certificate_signature_schemes: Some(CERT_SCHEMES_20250512),
    groups: GROUPS_PQ_2024_10_20240501,
    chacha20_boosted: false,
};

/// s2n `20250721` (`default_pq`): `20250512` with the 2025-07 kem groups.
pub(super) static POLICY_20250721: SecurityPolicy = SecurityPolicy {
    name: "20250721",
    groups: GROUPS_PQ_2025_07_20240501,
    ..POLICY_20250512
};

/// s2n `ELBSecurityPolicy-TLS13-1-2-PQ-2025-09`.
pub(super) static POLICY_ELB_TLS13_1_2_PQ_2025_09: SecurityPolicy = SecurityPolicy {
    name: "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_ELB_TLS13_1_2_2021_06,
    signature_schemes: SCHEMES_20261013_NO_SHA224,
    certificate_signature_schemes: Some(SCHEMES_20261013_NO_SHA224),
    groups: GROUPS_PQ_2025_07_20240603,
    chacha20_boosted: false,
};
