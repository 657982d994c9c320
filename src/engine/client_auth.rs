//! Client authentication in both versions: what a server asks for and
//! checks, what a client answers with. The state machines call in here at
//! their CertificateRequest, Certificate and CertificateVerify steps.

use super::Common;
use crate::cert::{chain_matches_names, run_verify_callback, CertChainAndKey, ClientAuth};
use crate::crypto::verify::{verify_signature, TLS12_VERIFY_SCHEMES, TLS13_VERIFY_SCHEMES};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::SignatureScheme;
use crate::msgs::extensions::{names_fit, CertRequestExtensions};
use crate::msgs::handshake::{CertificateRequest12, CertificateRequest13};
use crate::resumption::state::ServerSessionState;
use crate::resumption::ResumptionRefusal;
use std::sync::Arc;

/// The context string of a client's TLS 1.3 CertificateVerify (RFC 8446 §4.4.3).
pub(crate) const CLIENT_CV_CONTEXT: &[u8] = b"TLS 1.3, client CertificateVerify";

/// TLS 1.2 ClientCertificateType values (RFC 5246 §7.4.4, RFC 8422 §5.5).
const RSA_SIGN: u8 = 1;
const ECDSA_SIGN: u8 = 64;

/// Server: what its CertificateRequest offered, for the answer.
#[derive(Debug)]
pub(crate) struct Requested {
    pub schemes: Vec<SignatureScheme>,
}

impl Common {
    /// Server: this connection's client authentication (its own or the config's).
    pub(crate) fn client_auth_mode(&self) -> ClientAuth {
        self.client_auth
            .unwrap_or(self.config.inner.client_auth.mode)
    }
}

impl super::Engine {
    /// Server: this connection's client authentication, before the handshake.
    pub(crate) fn set_client_auth(&mut self, mode: ClientAuth) -> Result<()> {
        if self.c.mode != super::Mode::Server {
            return Err(Error::usage("client authentication is set on servers"));
        }
        if self.c.info.client_version.is_some() {
            return Err(Error::usage(
                "client authentication is set before the ClientHello arrives",
            ));
        }
        self.c.client_auth = Some(mode);
        Ok(())
    }
}

/// Server: the schemes to ask for: the policy's that Baton verifies in `tls13`'s version.
fn request_schemes(c: &Common, tls13: bool) -> Vec<SignatureScheme> {
    let ours = if tls13 {
        TLS13_VERIFY_SCHEMES
    } else {
        TLS12_VERIFY_SCHEMES
    };
    c.config
        .inner
        .policy
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| ours.contains(s))
        .collect()
}

/// Server: the trust store's names, when the config sends them and they fit.
fn ca_names(c: &Common) -> Vec<Vec<u8>> {
    if !c.config.inner.client_auth.send_ca_names {
        return Vec::new();
    }
    let names = c.config.inner.trust.subject_names();
    if names_fit(&names) {
        names
    } else {
        Vec::new()
    }
}

/// Server, TLS 1.3: the CertificateRequest (empty context: RFC 8446 §4.3.2).
pub(crate) fn request13(c: &Common) -> Result<(CertificateRequest13, Requested)> {
    let schemes = request_schemes(c, true);
    if schemes.is_empty() {
        return Err(Error::internal(
            "the policy has no scheme to ask a client for",
        ));
    }
    let exts = CertRequestExtensions {
        signature_algorithms: schemes.clone(),
        authorities: ca_names(c),
    };
    let extensions = exts
        .to_extensions()
        .map_err(|_| Error::internal("CertificateRequest does not encode"))?;
    Ok((
        CertificateRequest13 {
            context: Vec::new(),
            extensions,
        },
        Requested { schemes },
    ))
}

/// Server, TLS 1.2: the CertificateRequest.
pub(crate) fn request12(c: &Common) -> Result<(CertificateRequest12, Requested)> {
    let schemes = request_schemes(c, false);
    if schemes.is_empty() {
        return Err(Error::internal(
            "the policy has no scheme to ask a client for",
        ));
    }
    Ok((
        CertificateRequest12 {
            cert_types: vec![RSA_SIGN, ECDSA_SIGN],
            schemes: schemes.clone(),
            authorities: ca_names(c),
        },
        Requested { schemes },
    ))
}

/// Server: takes the client's Certificate. An empty one is refused when
/// required (`certificate_required` in TLS 1.3, RFC 8446 §4.4.2.4;
/// `handshake_failure` in TLS 1.2, RFC 5246 §7.4.6) and otherwise leaves
/// the client unauthenticated. A chain is validated for client auth and
/// shown to the verify callback. Returns whether a CertificateVerify follows.
pub(crate) fn take_client_chain(c: &mut Common, chain: Vec<Vec<u8>>, tls13: bool) -> Result<bool> {
    if chain.is_empty() {
        if c.client_auth_mode() == ClientAuth::Required {
            let alert = if tls13 {
                AlertDescription::CERTIFICATE_REQUIRED
            } else {
                AlertDescription::HANDSHAKE_FAILURE
            };
            return Err(Error::protocol(
                alert,
                "the client sent no certificate, which this server requires",
            ));
        }
        return Ok(false);
    }
    c.info.peer_chain = chain;
    // With CRL lookups the chain is validated once they are answered: the
    // engine holds the client's next message back till then, and its
    // handler calls `check_looked_up_chain`.
    if !super::status::start_crl_lookups(c) {
        validate_client_chain(c)?;
    }
    Ok(true)
}

/// Server: validates the client's chain (with the CRLs the lookups gave,
/// if any) and runs the verify callback.
fn validate_client_chain(c: &Common) -> Result<()> {
    let cfg = &c.config.inner;
    // Off (tests, or a callback that pins): the callback alone decides.
    if cfg.verify_peer {
        super::status::trust_for_peer(c).verify_client_chain(
            &c.info.peer_chain,
            (cfg.now)(),
            cfg.policy.certificate_signature_schemes,
        )?;
    }
    run_verify_callback(cfg.client_auth.verify.as_deref(), &c.info.peer_chain, true)
}

/// Server: the message after the client's Certificate arrived, so the CRL
/// lookups are answered (the engine held it back till then): validates the
/// chain with their CRLs, once. Nothing without lookups.
pub(crate) fn check_looked_up_chain(c: &mut Common) -> Result<()> {
    if c.crl_lookups.is_none() {
        return Ok(());
    }
    let r = validate_client_chain(c);
    // Validated once: the lookups' CRLs are not needed again.
    c.crl_lookups = None;
    r
}

/// Server: checks the client's CertificateVerify over `signed` with its
/// leaf's key, in a scheme the request offered.
pub(crate) fn check_client_verify(
    c: &mut Common,
    requested: &Requested,
    scheme: SignatureScheme,
    signature: &[u8],
    signed: &[u8],
    tls13: bool,
) -> Result<()> {
    check_looked_up_chain(c)?;
    if !requested.schemes.contains(&scheme) {
        return Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "client CertificateVerify uses a signature scheme we did not offer",
        ));
    }
    let leaf = c
        .info
        .peer_chain
        .first()
        .ok_or_else(|| Error::internal("no client certificate"))?;
    verify_signature(leaf, scheme, signed, signature, tls13)?;
    c.info.peer_signature_scheme = Some(scheme);
    c.info.client_cert_verified = true;
    Ok(())
}

/// Client: the certificate to answer a CertificateRequest with, and the
/// scheme it signs with: the first whose key signs one of the server's
/// schemes (that our policy allows) and, when the server named CAs, whose
/// chain one of them issued; else the first whose key can sign.
pub(crate) fn choose_client_cert(
    c: &Common,
    offered: &[SignatureScheme],
    authorities: &[Vec<u8>],
    tls13: bool,
) -> Option<(Arc<CertChainAndKey>, SignatureScheme)> {
    let policy = c.config.inner.policy;
    let allowed: Vec<SignatureScheme> = offered
        .iter()
        .copied()
        .filter(|s| policy.signature_schemes.contains(s))
        .collect();
    let usable: Vec<(Arc<CertChainAndKey>, SignatureScheme)> = c
        .config
        .inner
        .client_auth
        .certs
        .iter()
        .filter_map(|ck| {
            let scheme = ck.signing_key().choose_scheme(&allowed, tls13)?;
            Some((ck.clone(), scheme))
        })
        .collect();
    if !authorities.is_empty() {
        if let Some(hit) = usable
            .iter()
            .find(|(ck, _)| chain_matches_names(ck.chain(), authorities))
        {
            return Some(hit.clone());
        }
    }
    usable.into_iter().next()
}

/// Server: what a new session keeps of the client's authentication.
pub(crate) fn chain_for_session(c: &Common) -> Vec<Vec<u8>> {
    if c.info.client_cert_verified {
        crate::resumption::state::chain_to_keep(&c.info.peer_chain)
    } else {
        Vec::new()
    }
}

/// Server: a session whose client was not authenticated does not resume
/// where a certificate is required now (a full handshake asks for one).
pub(crate) fn check_resumable(
    c: &Common,
    state: &ServerSessionState,
) -> core::result::Result<(), ResumptionRefusal> {
    if state.peer_chain.is_empty() && c.client_auth_mode() == ClientAuth::Required {
        return Err(ResumptionRefusal::ClientAuthMissing);
    }
    Ok(())
}

/// Server: a resumed session's client authentication stands for this
/// handshake (RFC 8446 §2.2: the PSK carries the original's identity).
pub(crate) fn resumed(c: &mut Common, state: &ServerSessionState) {
    if !state.peer_chain.is_empty() {
        c.info.peer_chain.clone_from(&state.peer_chain);
        c.info.client_cert_verified = true;
    }
}

#[cfg(test)]
mod crl_tests;
#[cfg(test)]
mod tests;
