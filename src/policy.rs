//! Named security policies: static tables of versions, cipher suites (in
//! preference order), signature schemes and groups, as in s2n-tls.
//!
//! Every policy in s2n-tls's usage guide is here, with s2n's exact lists
//! (legacy entries included) so that a numbered name means the same thing in
//! both libraries. Numbered policies never change. Baton does not implement
//! every algorithm those lists name yet: the `active_*` methods and
//! [`SecurityPolicy::entries`] say which entries Baton really negotiates today;
//! the others are skipped. See `docs/security-policies.md`.
//!
//! ```
//! let p = baton::policy::lookup("20230317").unwrap();
//! assert_eq!(p.max_version, baton::ProtocolVersion::TLSV1_3);
//! // s2n's list includes CBC suites; Baton negotiates only the AEAD ones today.
//! assert!(p.active_cipher_suites().len() < p.cipher_suites.len());
//! ```

use crate::error::{Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

mod tables;
mod tables_pq;
#[cfg(test)]
mod tests;

/// A named, immutable security policy.
#[derive(Debug, PartialEq, Eq)]
pub struct SecurityPolicy {
    /// The policy's name, e.g. `"20240417"`.
    pub name: &'static str,
    /// Lowest protocol version offered or accepted (s2n's `minimum_protocol_version`).
    pub min_version: ProtocolVersion,
    /// Highest protocol version offered or accepted: TLS 1.3 exactly when the
    /// cipher suite list has TLS 1.3 suites (s2n policies have no maximum).
    pub max_version: ProtocolVersion,
    /// Cipher suites in preference order (all of s2n's list, legacy ones included).
    pub cipher_suites: &'static [CipherSuite],
    /// Signature schemes for handshake signatures, in preference order (all of
    /// s2n's list, SHA-1 and SHA-224 ones included).
    pub signature_schemes: &'static [SignatureScheme],
    /// Signature schemes allowed on the certificates of the peer's chain, where the
    /// policy restricts them (s2n's `certificate_signature_preferences`); `None`:
    /// any algorithm the verifier supports.
    pub certificate_signature_schemes: Option<&'static [SignatureScheme]>,
    /// Key exchange groups in preference order.
    pub groups: &'static [NamedGroup],
    /// A client that lists ChaCha20 first gets ChaCha20 from a boosted server.
    pub chacha20_boosted: bool,
}

/// What a [`PolicyEntry`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntryKind {
    /// A protocol version the policy can negotiate.
    Version,
    /// A cipher suite.
    CipherSuite,
    /// A signature scheme for handshake signatures.
    SignatureScheme,
    /// A signature scheme allowed on certificates of the peer's chain.
    CertificateSignatureScheme,
    /// A key exchange group.
    Group,
}

/// One entry of a policy, and whether Baton uses it today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyEntry {
    /// Which list the entry is from.
    pub kind: EntryKind,
    /// The wire code point.
    pub code: u16,
    /// The IANA name (`"unknown"` for a code point Baton has no name for).
    pub name: &'static str,
    /// True if Baton implements it and will negotiate it under this policy;
    /// false if it is skipped until Baton implements it.
    pub active: bool,
}

// ------------------------------------------------------------------------------
// What Baton implements today. Everything "active" below derives from these
// functions, which read the engine's own tables (suites, kx, verify, cert), so
// implementing an algorithm there makes it active here.

/// Protocol versions Baton negotiates.
pub(crate) fn version_implemented(v: ProtocolVersion) -> bool {
    matches!(v, ProtocolVersion::TLSV1_2 | ProtocolVersion::TLSV1_3)
}

/// Cipher suites Baton negotiates: the TLS 1.3 AEAD suites and the TLS 1.2 ECDHE
/// AEAD suites (no CBC, DHE, RSA key exchange, 3DES or RC4).
pub(crate) fn suite_implemented(cs: CipherSuite) -> bool {
    crate::suites::tls13_suite(cs).is_some() || crate::suites::tls12_suite(cs).is_some()
}

/// Handshake signature schemes Baton signs and verifies (no SHA-1 or SHA-224;
/// `crypto::verify` refuses SHA-1).
pub(crate) fn scheme_implemented(s: SignatureScheme) -> bool {
    crate::crypto::verify::TLS12_VERIFY_SCHEMES.contains(&s)
}

/// Key exchange groups Baton implements (the hybrids for TLS 1.3 only; see
/// [`SecurityPolicy::active_groups`]).
pub(crate) fn group_implemented(g: NamedGroup) -> bool {
    crate::crypto::kx::SUPPORTED_GROUPS.contains(&g)
}

/// Certificate signature schemes the chain verifier (webpki) can check.
pub(crate) fn certificate_scheme_implemented(s: SignatureScheme) -> bool {
    !crate::cert::certificate_signature_algorithms(s).is_empty()
}

// ------------------------------------------------------------------------------
// What a cipher suite is made of, for deciding which versions a policy can
// negotiate (and, in the tests, for the charts and the preference order).

/// Key exchange of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kx {
    /// Ephemeral elliptic-curve Diffie-Hellman (TLS 1.2).
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
    /// RSA key transport (no forward secrecy).
    Rsa,
    /// TLS 1.3: (EC)DHE through key_share, not named by the suite.
    Tls13,
}

/// Who signs in a cipher suite (TLS 1.2 and earlier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    Rsa,
    Ecdsa,
    /// TLS 1.3: decided by the certificate and signature_algorithms.
    Tls13,
}

/// Bulk cipher, in the guide's preference order (AES128, AES256, ChaCha20, 3DES, RC4).
/// AES is GCM or CBC depending on the [`Mac`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cipher {
    Aes128,
    Aes256,
    ChaCha20,
    TripleDes,
    Rc4,
}

/// Record authentication, in the guide's preference order (GCM, Poly1305, SHA256, SHA1, MD5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mac {
    Gcm,
    Poly1305,
    /// HMAC-SHA256 or HMAC-SHA384 (both TLS 1.2 only).
    Sha2,
    Sha1,
    Md5,
}

/// The parts of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SuiteInfo {
    pub kx: Kx,
    pub auth: Auth,
    pub cipher: Cipher,
    pub mac: Mac,
}

impl SuiteInfo {
    /// True for the TLS 1.3 suites.
    pub(crate) fn is_tls13(self) -> bool {
        self.kx == Kx::Tls13
    }

    /// True if the suite can be used at `v` (as in s2n: SHA-2 MACs and AEADs need
    /// TLS 1.2; TLS 1.3 suites only work in TLS 1.3 and no other suite does).
    pub(crate) fn usable_at(self, v: ProtocolVersion) -> bool {
        if self.is_tls13() || v == ProtocolVersion::TLSV1_3 {
            return self.is_tls13() && v == ProtocolVersion::TLSV1_3;
        }
        match self.mac {
            Mac::Gcm | Mac::Poly1305 | Mac::Sha2 => v >= ProtocolVersion::TLSV1_2,
            Mac::Sha1 | Mac::Md5 => v >= ProtocolVersion::SSLV3,
        }
    }
}

/// The parts of every cipher suite a policy may name; `None` for others.
pub(crate) fn suite_info(cs: CipherSuite) -> Option<SuiteInfo> {
    use Auth::{Ecdsa, Rsa as RsaAuth};
    use Cipher::{Aes128, Aes256, ChaCha20, Rc4, TripleDes};
    use CipherSuite as C;
    use Kx::{Dhe, Ecdhe, Rsa};
    use Mac::*;
    let i = |kx, auth, cipher, mac| {
        Some(SuiteInfo {
            kx,
            auth,
            cipher,
            mac,
        })
    };
    let t13 = |cipher, mac| i(Kx::Tls13, Auth::Tls13, cipher, mac);
    match cs {
        C::TLS13_AES_128_GCM_SHA256 => t13(Aes128, Gcm),
        C::TLS13_AES_256_GCM_SHA384 => t13(Aes256, Gcm),
        C::TLS13_CHACHA20_POLY1305_SHA256 => t13(ChaCha20, Poly1305),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => i(Ecdhe, Ecdsa, Aes128, Gcm),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => i(Ecdhe, Ecdsa, Aes256, Gcm),
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => i(Ecdhe, Ecdsa, ChaCha20, Poly1305),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA => i(Ecdhe, Ecdsa, Aes128, Sha1),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA => i(Ecdhe, Ecdsa, Aes256, Sha1),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 => i(Ecdhe, Ecdsa, Aes128, Sha2),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 => i(Ecdhe, Ecdsa, Aes256, Sha2),
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => i(Ecdhe, RsaAuth, Aes128, Gcm),
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => i(Ecdhe, RsaAuth, Aes256, Gcm),
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => i(Ecdhe, RsaAuth, ChaCha20, Poly1305),
        C::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA => i(Ecdhe, RsaAuth, Aes128, Sha1),
        C::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA => i(Ecdhe, RsaAuth, Aes256, Sha1),
        C::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 => i(Ecdhe, RsaAuth, Aes128, Sha2),
        C::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 => i(Ecdhe, RsaAuth, Aes256, Sha2),
        C::TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA => i(Ecdhe, RsaAuth, TripleDes, Sha1),
        C::TLS_ECDHE_RSA_WITH_RC4_128_SHA => i(Ecdhe, RsaAuth, Rc4, Sha1),
        C::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 => i(Dhe, RsaAuth, Aes128, Gcm),
        C::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 => i(Dhe, RsaAuth, Aes256, Gcm),
        C::TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => i(Dhe, RsaAuth, ChaCha20, Poly1305),
        C::TLS_DHE_RSA_WITH_AES_128_CBC_SHA => i(Dhe, RsaAuth, Aes128, Sha1),
        C::TLS_DHE_RSA_WITH_AES_256_CBC_SHA => i(Dhe, RsaAuth, Aes256, Sha1),
        C::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 => i(Dhe, RsaAuth, Aes128, Sha2),
        C::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 => i(Dhe, RsaAuth, Aes256, Sha2),
        C::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA => i(Dhe, RsaAuth, TripleDes, Sha1),
        C::TLS_RSA_WITH_AES_128_GCM_SHA256 => i(Rsa, RsaAuth, Aes128, Gcm),
        C::TLS_RSA_WITH_AES_256_GCM_SHA384 => i(Rsa, RsaAuth, Aes256, Gcm),
        C::TLS_RSA_WITH_AES_128_CBC_SHA => i(Rsa, RsaAuth, Aes128, Sha1),
        C::TLS_RSA_WITH_AES_256_CBC_SHA => i(Rsa, RsaAuth, Aes256, Sha1),
        C::TLS_RSA_WITH_AES_128_CBC_SHA256 => i(Rsa, RsaAuth, Aes128, Sha2),
        C::TLS_RSA_WITH_AES_256_CBC_SHA256 => i(Rsa, RsaAuth, Aes256, Sha2),
        C::TLS_RSA_WITH_3DES_EDE_CBC_SHA => i(Rsa, RsaAuth, TripleDes, Sha1),
        C::TLS_RSA_WITH_RC4_128_SHA => i(Rsa, RsaAuth, Rc4, Sha1),
        C::TLS_RSA_WITH_RC4_128_MD5 => i(Rsa, RsaAuth, Rc4, Md5),
        _ => None,
    }
}

/// Every version a policy can name, oldest first.
const ALL_VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::SSLV3,
    ProtocolVersion::TLSV1_0,
    ProtocolVersion::TLSV1_1,
    ProtocolVersion::TLSV1_2,
    ProtocolVersion::TLSV1_3,
];

fn usable_at(cs: CipherSuite, v: ProtocolVersion) -> bool {
    suite_info(cs).is_some_and(|i| i.usable_at(v))
}

impl SecurityPolicy {
    /// True if `v` is within the policy's `min_version..=max_version`.
    pub fn allows_version(&self, v: ProtocolVersion) -> bool {
        self.min_version <= v && v <= self.max_version
    }

    /// The versions this policy can negotiate, oldest first: those it allows for
    /// which it has at least one usable cipher suite (so `"20200207"`, which
    /// allows SSLv3 up but lists only TLS 1.3 suites, negotiates TLS 1.3 only).
    pub fn versions(&self) -> Vec<ProtocolVersion> {
        ALL_VERSIONS
            .into_iter()
            .filter(|&v| {
                self.allows_version(v) && self.cipher_suites.iter().any(|&cs| usable_at(cs, v))
            })
            .collect()
    }

    /// The versions Baton negotiates under this policy today, oldest first: those of
    /// [`versions`](Self::versions) that Baton implements and for which it has an
    /// active cipher suite.
    pub fn active_versions(&self) -> Vec<ProtocolVersion> {
        let suites = self.active_cipher_suites();
        self.versions()
            .into_iter()
            .filter(|&v| version_implemented(v) && suites.iter().any(|&cs| usable_at(cs, v)))
            .collect()
    }

    /// True if Baton negotiates `v` under this policy today (it is one of
    /// [`active_versions`](Self::active_versions)). The engine decides what to
    /// offer and accept with this, so a policy without an active TLS 1.3 suite
    /// never offers or accepts TLS 1.3, whatever its `max_version` says.
    pub fn negotiates(&self, v: ProtocolVersion) -> bool {
        // `active_versions().contains(&v)` without its two allocations (the
        // engine asks this on every handshake): an implemented suite usable
        // at an allowed, implemented `v` is active by definition.
        version_implemented(v)
            && self.allows_version(v)
            && self
                .cipher_suites
                .iter()
                .any(|&cs| suite_implemented(cs) && usable_at(cs, v))
    }

    /// Checks that Baton can complete a handshake under this policy: it needs an
    /// active version (so an active cipher suite), an active group and an active
    /// signature scheme, and, if it restricts certificate signatures, one that
    /// the chain verifier can check. `ConfigBuilder::security_policy` and
    /// `custom_security_policy` refuse a policy that fails this, with a Usage
    /// error naming what is missing, rather than failing every handshake later.
    pub(crate) fn check_usable(&self) -> Result<()> {
        let missing = if self.active_versions().is_empty() {
            Some(
                "no cipher suite Baton implements (it lists only suites that are not \
                 implemented yet, such as CBC, DHE, RSA key exchange, 3DES or RC4), \
                 so no protocol version can be negotiated",
            )
        } else if self.active_groups().is_empty() {
            Some("no key exchange group Baton implements")
        } else if self.active_signature_schemes().is_empty() {
            Some("no signature scheme Baton implements")
        } else if self
            .certificate_signature_schemes
            .is_some_and(|l| !l.iter().any(|&s| certificate_scheme_implemented(s)))
        {
            Some("no certificate signature scheme Baton can verify")
        } else {
            None
        };
        match missing {
            Some(why) => Err(Error::usage(format!(
                "security policy {:?} cannot be used: it has {why}; see docs/security-policies.md",
                self.name
            ))),
            None => Ok(()),
        }
    }

    /// The cipher suites Baton negotiates under this policy, in the policy's order.
    pub fn active_cipher_suites(&self) -> Vec<CipherSuite> {
        let versions = self.versions();
        self.cipher_suites
            .iter()
            .copied()
            .filter(|&cs| {
                suite_implemented(cs)
                    && versions
                        .iter()
                        .any(|&v| version_implemented(v) && usable_at(cs, v))
            })
            .collect()
    }

    /// The handshake signature schemes Baton uses under this policy, in its order:
    /// those it implements, or none if Baton can negotiate nothing under the policy.
    pub fn active_signature_schemes(&self) -> Vec<SignatureScheme> {
        if self.active_versions().is_empty() {
            return Vec::new();
        }
        self.signature_schemes
            .iter()
            .copied()
            .filter(|&s| scheme_implemented(s))
            .collect()
    }

    /// The key exchange groups Baton uses under this policy, in its order: those it
    /// implements, or none if no active cipher suite uses (EC)DHE over a group.
    /// The post-quantum hybrids count only where TLS 1.3 is negotiated: they
    /// have no TLS 1.2 form.
    pub fn active_groups(&self) -> Vec<NamedGroup> {
        let kxs: Vec<Kx> = self
            .active_cipher_suites()
            .into_iter()
            .filter_map(suite_info)
            .map(|i| i.kx)
            .collect();
        let tls13 = kxs.contains(&Kx::Tls13);
        if !tls13 && !kxs.contains(&Kx::Ecdhe) {
            return Vec::new();
        }
        self.groups
            .iter()
            .copied()
            .filter(|&g| group_implemented(g) && (tls13 || !crate::crypto::kx::is_hybrid(g)))
            .collect()
    }

    /// Every entry of the policy (versions it can negotiate, then cipher suites,
    /// signature schemes, certificate signature schemes and groups, each in the
    /// policy's order), each marked with whether Baton uses it today.
    pub fn entries(&self) -> Vec<PolicyEntry> {
        fn entry(
            kind: EntryKind,
            code: u16,
            name: Option<&'static str>,
            active: bool,
        ) -> PolicyEntry {
            PolicyEntry {
                kind,
                code,
                name: name.unwrap_or("unknown"),
                active,
            }
        }
        let active_versions = self.active_versions();
        let active_suites = self.active_cipher_suites();
        let active_schemes = self.active_signature_schemes();
        let active_groups = self.active_groups();
        let mut v = Vec::new();
        for ver in self.versions() {
            let active = active_versions.contains(&ver);
            v.push(entry(EntryKind::Version, ver.0, ver.name(), active));
        }
        for &cs in self.cipher_suites {
            let active = active_suites.contains(&cs);
            v.push(entry(EntryKind::CipherSuite, cs.0, cs.name(), active));
        }
        for &s in self.signature_schemes {
            let active = active_schemes.contains(&s);
            v.push(entry(EntryKind::SignatureScheme, s.0, s.name(), active));
        }
        for &s in self.certificate_signature_schemes.unwrap_or(&[]) {
            let active = !active_versions.is_empty() && certificate_scheme_implemented(s);
            v.push(entry(
                EntryKind::CertificateSignatureScheme,
                s.0,
                s.name(),
                active,
            ));
        }
        for &g in self.groups {
            let active = active_groups.contains(&g);
            v.push(entry(EntryKind::Group, g.0, g.name(), active));
        }
        v
    }
}

// ------------------------------------------------------------------------------
// FIPS policies.

/// The policies s2n-tls marks FIPS 140-3 compliant (its `S2N_FIPS_140_3` rule),
/// in the edition whose tables Baton carries: `20230317`, `20240331` and
/// `20240416` (`default_fips`). `rfc9151` is not one: in that edition s2n gives
/// it no FIPS rule (it lists RSA key exchange and DHE suites).
const FIPS_POLICIES: &[&str] = &["20230317", "20240331", "20240416"];

impl SecurityPolicy {
    /// True for the FIPS policies (those s2n-tls marks FIPS 140-3 compliant:
    /// `20230317`, `20240331`, `20240416` = `default_fips`), matched by name.
    pub fn is_fips(&self) -> bool {
        FIPS_POLICIES.contains(&self.name)
    }

    /// True if a TLS 1.2 handshake under this policy needs the extended master
    /// secret (RFC 7627): under the FIPS policies, as in rustls's FIPS mode
    /// (FIPS 140-3 guidance D.Q approves the TLS 1.2 KDF only with EMS). Other policies
    /// accept a full handshake without it, as OpenSSL and rustls do by default.
    /// `ConfigBuilder::require_extended_master_secret` overrides this.
    pub fn requires_extended_master_secret(&self) -> bool {
        self.is_fips()
    }
}

// ------------------------------------------------------------------------------
// Names.

/// s2n's moving names and the numbered policy each means in this edition of
/// Baton (the usage guide's "numbered equivalents of the default policies").
static ALIASES: &[(&str, &SecurityPolicy)] = &[
    ("default", &tables::POLICY_20170210),
    ("default_tls13", &tables::POLICY_20240417),
    ("default_fips", &tables::POLICY_20240416),
    // s2n's moving post-quantum default.
    ("default_pq", &tables_pq::POLICY_20250721),
];

/// Every policy table, numbered ones first (oldest first), then `rfc9151` and the
/// CloudFront ones. Aliases (see [`aliases`]) are not repeated.
pub fn policies() -> impl Iterator<Item = &'static SecurityPolicy> {
    tables::POLICIES.iter().copied()
}

/// The alias names (`"default"`, `"default_tls13"`, `"default_fips"`) and the
/// numbered policy each resolves to.
pub fn aliases() -> impl Iterator<Item = (&'static str, &'static SecurityPolicy)> {
    ALIASES.iter().copied()
}

/// Every name [`lookup`] accepts: the aliases, then every table's name.
pub fn policy_names() -> Vec<&'static str> {
    aliases()
        .map(|(n, _)| n)
        .chain(policies().map(|p| p.name))
        .collect()
}

/// Looks a policy up by name, ignoring ASCII case as s2n does. An alias returns
/// the numbered table it stands for (whose `name` is the number). An unknown name
/// is a Usage error listing the valid ones.
pub fn lookup(name: &str) -> Result<&'static SecurityPolicy> {
    aliases()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p)| p)
        .or_else(|| policies().find(|p| p.name.eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            Error::usage(format!(
                "unknown security policy {name:?}; valid names: {}",
                policy_names().join(", ")
            ))
        })
}

/// The policy used when none is named: `"default_tls13"` (today `"20240417"`), so
/// TLS 1.3 is on by default. (s2n's own `"default"` is `"20170210"`, TLS 1.2 at most.)
pub fn default_policy() -> &'static SecurityPolicy {
    &tables::POLICY_20240417
}
