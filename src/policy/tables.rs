//! The tables. Contents come from s2n-tls's `tls/s2n_security_policies.c`,
//! `s2n_cipher_preferences.c`, `s2n_signature_scheme.c` and `s2n_ecc_preferences.c`
//! as of commit b3ee9af0c (2024-04-19; the usage guide edition that names
//! 20240417/20240416 as the numbered defaults). The shared lists keep the name of
//! the s2n list they mirror, so each can be checked against its source by eye.
//! Numbered policies never change; `tests/data/policies.snapshot` guards that.

use super::tables_pq as pq;
use super::SecurityPolicy;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

pub(super) const CERT_SCHEMES_20201110: &[SignatureScheme] = &[
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

const CERT_SCHEMES_RFC9151: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
];

const GROUPS_20140601: &[NamedGroup] = &[NamedGroup::SECP256R1, NamedGroup::SECP384R1];

const GROUPS_20200310: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

const GROUPS_20201021: &[NamedGroup] = &[
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

const GROUPS_20210816: &[NamedGroup] = &[NamedGroup::SECP384R1];

const GROUPS_DEFAULT_FIPS: &[NamedGroup] = &[NamedGroup::SECP256R1, NamedGroup::SECP384R1];

const GROUPS_TEST_ALL: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

const SCHEMES_20140601: &[SignatureScheme] = &[
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA224,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ECDSA_SHA224,
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1,
];

const SCHEMES_20200207: &[SignatureScheme] = &[
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
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1,
];

const SCHEMES_20201021: &[SignatureScheme] = &[
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
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1,
];

pub(super) const SCHEMES_20230317: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
];

const SCHEMES_DEFAULT_FIPS: &[SignatureScheme] = &[
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ECDSA_SHA224,
];

const SCHEMES_RFC9151: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
];

const SUITES_20140601: &[CipherSuite] = &[
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_MD5,
];

const SUITES_20141001: &[CipherSuite] = &[
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_MD5,
];

const SUITES_20150202: &[CipherSuite] = &[
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20150214: &[CipherSuite] = &[
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20150306: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20160411: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20160804: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20160824: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
];

const SUITES_20170210: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
];

const SUITES_20170328: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
];

const SUITES_20170405: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20170718: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
];

const SUITES_20190120: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20190121: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20190122: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const SUITES_20190214: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
];

const SUITES_20190801: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
];

const SUITES_20210831: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
];

pub(super) const SUITES_20230317: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
];

const SUITES_20240331: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
];

const SUITES_CLOUDFRONT_TLS_1_2_2021: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

const SUITES_DEFAULT_FIPS: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
];

const SUITES_RFC9151: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
];

const SUITES_TEST_ALL_TLS13: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

/// s2n `20140601`.
pub(super) static POLICY_20140601: SecurityPolicy = SecurityPolicy {
    name: "20140601",
    min_version: ProtocolVersion::SSLV3,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20140601,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20141001`.
pub(super) static POLICY_20141001: SecurityPolicy = SecurityPolicy {
    name: "20141001",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20141001,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20150202`.
pub(super) static POLICY_20150202: SecurityPolicy = SecurityPolicy {
    name: "20150202",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20150202,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20150214`.
pub(super) static POLICY_20150214: SecurityPolicy = SecurityPolicy {
    name: "20150214",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20150214,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20150306`.
pub(super) static POLICY_20150306: SecurityPolicy = SecurityPolicy {
    name: "20150306",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20150306,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20160411`.
pub(super) static POLICY_20160411: SecurityPolicy = SecurityPolicy {
    name: "20160411",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20160411,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20160804`.
pub(super) static POLICY_20160804: SecurityPolicy = SecurityPolicy {
    name: "20160804",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20160804,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20160824`.
pub(super) static POLICY_20160824: SecurityPolicy = SecurityPolicy {
    name: "20160824",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20160824,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20170210`.
pub(super) static POLICY_20170210: SecurityPolicy = SecurityPolicy {
    name: "20170210",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20170210,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20170328`.
pub(super) static POLICY_20170328: SecurityPolicy = SecurityPolicy {
    name: "20170328",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20170328,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20170405`.
pub(super) static POLICY_20170405: SecurityPolicy = SecurityPolicy {
    name: "20170405",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20170405,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20170718`.
pub(super) static POLICY_20170718: SecurityPolicy = SecurityPolicy {
    name: "20170718",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20170718,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20190120`.
pub(super) static POLICY_20190120: SecurityPolicy = SecurityPolicy {
    name: "20190120",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20190120,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20190121`.
pub(super) static POLICY_20190121: SecurityPolicy = SecurityPolicy {
    name: "20190121",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20190121,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20190122`.
pub(super) static POLICY_20190122: SecurityPolicy = SecurityPolicy {
    name: "20190122",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20190122,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20190214`.
pub(super) static POLICY_20190214: SecurityPolicy = SecurityPolicy {
    name: "20190214",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20190214,
    signature_schemes: SCHEMES_20140601,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `20190801`.
pub(super) static POLICY_20190801: SecurityPolicy = SecurityPolicy {
    name: "20190801",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_20190801,
    signature_schemes: SCHEMES_20200207,
    certificate_signature_schemes: None,
    groups: GROUPS_20200310,
    chacha20_boosted: false,
};

/// s2n `20190802`.
pub(super) static POLICY_20190802: SecurityPolicy = SecurityPolicy {
    name: "20190802",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_20190801,
    signature_schemes: SCHEMES_20200207,
    certificate_signature_schemes: None,
    groups: GROUPS_20140601,
    chacha20_boosted: false,
};

/// s2n `test_all_tls13`.
pub(super) static POLICY_20200207: SecurityPolicy = SecurityPolicy {
    name: "20200207",
    min_version: ProtocolVersion::SSLV3,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_TEST_ALL_TLS13,
    signature_schemes: SCHEMES_20201021,
    certificate_signature_schemes: None,
    groups: GROUPS_TEST_ALL,
    chacha20_boosted: false,
};

/// s2n `20230317`.
pub(super) static POLICY_20230317: SecurityPolicy = SecurityPolicy {
    name: "20230317",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_20230317,
    signature_schemes: SCHEMES_20230317,
    certificate_signature_schemes: Some(SCHEMES_20230317),
    groups: GROUPS_20201021,
    chacha20_boosted: false,
};

/// s2n `20240331`.
pub(super) static POLICY_20240331: SecurityPolicy = SecurityPolicy {
    name: "20240331",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_20240331,
    signature_schemes: SCHEMES_20230317,
    certificate_signature_schemes: Some(SCHEMES_20230317),
    groups: GROUPS_20201021,
    chacha20_boosted: false,
};

/// s2n `20240416`.
pub(super) static POLICY_20240416: SecurityPolicy = SecurityPolicy {
    name: "20240416",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: SUITES_DEFAULT_FIPS,
    signature_schemes: SCHEMES_DEFAULT_FIPS,
    certificate_signature_schemes: Some(SCHEMES_DEFAULT_FIPS),
    groups: GROUPS_DEFAULT_FIPS,
    chacha20_boosted: false,
};

/// s2n `20240417`.
pub(super) static POLICY_20240417: SecurityPolicy = SecurityPolicy {
    name: "20240417",
    min_version: ProtocolVersion::TLSV1_0,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_20210831,
    signature_schemes: SCHEMES_20200207,
    certificate_signature_schemes: Some(CERT_SCHEMES_20201110),
    groups: GROUPS_20200310,
    chacha20_boosted: false,
};

/// s2n `rfc9151`.
pub(super) static POLICY_RFC9151: SecurityPolicy = SecurityPolicy {
    name: "rfc9151",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_RFC9151,
    signature_schemes: SCHEMES_RFC9151,
    certificate_signature_schemes: Some(CERT_SCHEMES_RFC9151),
    groups: GROUPS_20210816,
    chacha20_boosted: false,
};

/// s2n `cloudfront_tls_1_2_2021`.
pub(super) static POLICY_CLOUDFRONT_TLS_1_2_2021: SecurityPolicy = SecurityPolicy {
    name: "CloudFront-TLS-1-2-2021",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_3,
    cipher_suites: SUITES_CLOUDFRONT_TLS_1_2_2021,
    signature_schemes: SCHEMES_20200207,
    certificate_signature_schemes: None,
    groups: GROUPS_20200310,
    chacha20_boosted: false,
};

/// s2n `cloudfront_tls_1_2_2021_chacha20_boosted` (registered as "CloudFront-TLS-1-2-2021-Chacha20-Boosted").
pub(super) static POLICY_CLOUDFRONT_TLS_1_2_2021_CHACHA20_BOOSTED: SecurityPolicy =
    SecurityPolicy {
        name: "CloudFront-TLS-1-2-2021-ChaCha20-Boosted",
        min_version: ProtocolVersion::TLSV1_2,
        max_version: ProtocolVersion::TLSV1_3,
        cipher_suites: SUITES_CLOUDFRONT_TLS_1_2_2021,
        signature_schemes: SCHEMES_20200207,
        certificate_signature_schemes: None,
        groups: GROUPS_20200310,
        chacha20_boosted: true,
    };

/// Every table, numbered ones first (oldest first), then the named ones.
pub(super) static POLICIES: &[&SecurityPolicy] = &[
    &POLICY_20140601,
    &POLICY_20141001,
    &POLICY_20150202,
    &POLICY_20150214,
    &POLICY_20150306,
    &POLICY_20160411,
    &POLICY_20160804,
    &POLICY_20160824,
    &POLICY_20170210,
    &POLICY_20170328,
    &POLICY_20170405,
    &POLICY_20170718,
    &POLICY_20190120,
    &POLICY_20190121,
    &POLICY_20190122,
    &POLICY_20190214,
    &POLICY_20190801,
    &POLICY_20190802,
    &POLICY_20200207,
    &POLICY_20230317,
    &pq::POLICY_20230317_PQ,
    &POLICY_20240331,
    &POLICY_20240416,
    &POLICY_20240417,
    &pq::POLICY_20241001,
    &pq::POLICY_20241001_PQ_MIXED,
    &pq::POLICY_20250512,
    &pq::POLICY_20250721,
    &POLICY_RFC9151,
    &POLICY_CLOUDFRONT_TLS_1_2_2021,
    &POLICY_CLOUDFRONT_TLS_1_2_2021_CHACHA20_BOOSTED,
    &pq::POLICY_ELB_TLS13_1_2_PQ_2025_09,
];
