//! What a TLS 1.3 (and 1.2) server picks from a ClientHello: cipher suite,
//! certificate, ALPN protocol.

use super::super::Common;
use crate::cert::{check_host_name, CertChainAndKey};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, SignatureScheme};
use crate::suites::{is_chacha20, tls13_suite, Tls13Suite};
use std::sync::Arc;

/// The suites both sides allow, in the server's order — except that a boosted
/// policy moves ChaCha20 first when the client lists a ChaCha20 suite first
/// among those `usable` ones (s2n's "ChaCha20 boosting").
pub(crate) fn suite_preference(
    c: &Common,
    offered: &[CipherSuite],
    usable: impl Fn(CipherSuite) -> bool,
) -> Vec<CipherSuite> {
    let policy = c.config.inner.policy;
    let mut ours: Vec<CipherSuite> = policy
        .cipher_suites
        .iter()
        .copied()
        .filter(|cs| usable(*cs) && offered.contains(cs))
        .collect();
    let client_first = offered.iter().copied().find(|cs| ours.contains(cs));
    if policy.chacha20_boosted && client_first.is_some_and(is_chacha20) {
        // Stable: the ChaCha20 suites keep their relative order, ahead of the rest.
        ours.sort_by_key(|cs| !is_chacha20(*cs));
    }
    ours
}

pub(crate) fn choose_suite(c: &Common, offered: &[CipherSuite]) -> Option<&'static Tls13Suite> {
    suite_preference(c, offered, |cs| tls13_suite(cs).is_some())
        .first()
        .and_then(|cs| tls13_suite(*cs))
}

/// As [`choose_suite`], among the suites of `hash` only (for an external PSK,
/// which is bound to its hash).
pub(crate) fn choose_suite_of_hash(
    c: &Common,
    offered: &[CipherSuite],
    hash: crate::crypto::hash::HashAlg,
) -> Option<&'static Tls13Suite> {
    suite_preference(c, offered, |cs| {
        tls13_suite(cs).is_some_and(|s| s.hash == hash)
    })
    .first()
    .and_then(|cs| tls13_suite(*cs))
}

/// How well a certificate fits a ClientHello; smaller is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CertFit {
    /// False if the leaf is valid for the client's SNI (or there is none to match).
    sni_mismatch: bool,
    /// False if every signature in the chain uses an algorithm the client accepts
    /// in certificates and the policy allows there.
    chain_not_accepted: bool,
}

impl CertFit {
    /// Nothing fits better than this.
    pub(crate) fn is_best(self) -> bool {
        !self.sni_mismatch && !self.chain_not_accepted
    }
}

/// A server certificate for this handshake and the scheme its key signs with.
pub(crate) struct ChosenCert {
    pub cert: Arc<CertChainAndKey>,
    pub scheme: SignatureScheme,
    pub fit: CertFit,
}

/// The certificate whose key can sign a scheme both sides allow, best fit first
/// (config order among equals): valid for the client's SNI, then signed only
/// with what the client accepts in certificates (RFC 8446 §4.2.3: its
/// `signature_algorithms_cert`, else `signature_algorithms`; RFC 5246 §7.4.2)
/// and the policy's `certificate_signature_schemes` allow. If no chain is, the
/// best remaining one is still sent (RFC 8446 §4.4.2.2: the client may accept
/// it anyway, e.g. when it trusts an intermediate directly).
pub(crate) fn choose_cert(
    c: &Common,
    client_schemes: &[SignatureScheme],
    client_cert_schemes: Option<&[SignatureScheme]>,
    tls13: bool,
    key_ok: impl Fn(crate::crypto::sign::KeyType) -> bool,
) -> Option<ChosenCert> {
    let policy = c.config.inner.policy;
    let allowed: Vec<SignatureScheme> = client_schemes
        .iter()
        .copied()
        .filter(|s| policy.signature_schemes.contains(s))
        .collect();
    let chain_ok: Vec<SignatureScheme> = client_cert_schemes
        .unwrap_or(client_schemes)
        .iter()
        .copied()
        .filter(|s| {
            policy
                .certificate_signature_schemes
                .is_none_or(|ours| ours.contains(s))
        })
        .collect();
    let sni = c.info.server_name.as_deref();
    let sni_mismatch = |ck: &CertChainAndKey| {
        sni.is_some_and(|n| {
            ck.chain()
                .first()
                .is_none_or(|l| check_host_name(l, n).is_err())
        })
    };
    // A resolver narrows the candidates to the SNI's (see `cert::resolver`).
    let store = c.config.inner.cert_resolver.as_ref().map(|r| r.current());
    let own = &c.config.inner.certs;
    let candidates: Box<dyn Iterator<Item = &Arc<CertChainAndKey>>> = match &store {
        Some(store) => Box::new(store.candidates(sni, own)),
        None => Box::new(own.iter()),
    };
    candidates
        .filter(|ck| key_ok(ck.signing_key().key_type()))
        .filter_map(|ck| {
            let scheme = ck.signing_key().choose_scheme(&allowed, tls13)?;
            let fit = CertFit {
                sni_mismatch: sni_mismatch(ck),
                chain_not_accepted: !ck.chain_signed_with(&chain_ok),
            };
            Some(ChosenCert {
                cert: ck.clone(),
                scheme,
                fit,
            })
        })
        // The first of the best: min_by_key keeps the earliest of equal keys.
        .min_by_key(|chosen| chosen.fit)
}

/// Server-preference ALPN; no overlap is `no_application_protocol` (RFC 7301 §3.2).
pub(crate) fn choose_alpn(c: &Common, offered: Option<&[Vec<u8>]>) -> Result<Option<Vec<u8>>> {
    let ours = c.alpn_prefs();
    match offered {
        Some(theirs) if !ours.is_empty() => ours
            .iter()
            .find(|p| theirs.contains(p))
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                Error::protocol(
                    AlertDescription::NO_APPLICATION_PROTOCOL,
                    "no ALPN protocol in common",
                )
            }),
        _ => Ok(None),
    }
}
