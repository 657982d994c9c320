//! Certificate status in the handshake, both versions: what a server staples
//! to its certificate (OCSP response, SCT list), what a client takes from the
//! server's flight, and the client's OCSP check. The state machines only call
//! in here at the few points where the messages pass.

use super::Common;
use crate::cert::CertChainAndKey;
use crate::config::OcspValidation;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::codec::Codec;
use crate::msgs::enums::ExtensionType;
use crate::msgs::extensions::{ClientExtensions, Extension};
use crate::msgs::handshake::{check_sct_list, CertificateStatus};
use std::sync::Arc;

/// Server: what one handshake staples, read once from the chain so the
/// TLS 1.2 ServerHello's acknowledgement and the CertificateStatus agree
/// even if the application swaps the response meanwhile.
#[derive(Default)]
pub(crate) struct Staple {
    pub(crate) ocsp: Option<Arc<[u8]>>,
    pub(crate) sct: Option<Arc<[u8]>>,
}

impl Staple {
    /// Only what the client asked for (RFC 6066 §8, RFC 6962 §3.3.1).
    pub(crate) fn for_hello(cert: &CertChainAndKey, exts: &ClientExtensions) -> Self {
        Self {
            ocsp: exts.status_request.then(|| cert.ocsp_response()).flatten(),
            sct: exts.sct.then(|| cert.sct_list()).flatten(),
        }
    }

    /// TLS 1.3: the extensions of the leaf's CertificateEntry (RFC 8446 §4.4.2.1).
    pub(crate) fn leaf_extensions13(&self) -> Result<Vec<Extension>> {
        let mut v = Vec::new();
        if let Some(ocsp) = &self.ocsp {
            let status = CertificateStatus {
                ocsp_response: ocsp.to_vec(),
            };
            v.push(Extension::build(ExtensionType::STATUS_REQUEST, |o| {
                status.encode(o)
            })?);
        }
        if let Some(sct) = &self.sct {
            v.push(Extension {
                typ: ExtensionType::SCT,
                data: sct.to_vec(),
            });
        }
        Ok(v)
    }

    /// TLS 1.2: the CertificateStatus message that follows Certificate.
    pub(crate) fn certificate_status12(&self) -> Option<CertificateStatus> {
        self.ocsp.as_ref().map(|ocsp| CertificateStatus {
            ocsp_response: ocsp.to_vec(),
        })
    }
}

fn decode_error(what: &'static str, e: crate::msgs::codec::DecodeError) -> Error {
    Error::protocol(
        AlertDescription::DECODE_ERROR,
        format!("malformed {what}: {}", e.0),
    )
}

/// TLS 1.3 client: the staple and SCTs in the leaf's CertificateEntry. The
/// caller already refused types our ClientHello did not carry; other
/// entries' extensions are ignored (Baton checks the leaf only).
pub(crate) fn read_leaf13(c: &mut Common, exts: &[Extension]) -> Result<()> {
    crate::msgs::extensions::check_no_duplicates(exts, AlertDescription::ILLEGAL_PARAMETER)?;
    for e in exts {
        match e.typ {
            ExtensionType::STATUS_REQUEST => {
                let cs = CertificateStatus::read_bytes(&e.data)
                    .map_err(|err| decode_error("status_request in CertificateEntry", err))?;
                c.info.ocsp_response = Some(cs.ocsp_response);
            }
            ExtensionType::SCT => {
                check_sct_list(&e.data)
                    .map_err(|err| decode_error("signed_certificate_timestamp", err))?;
                c.info.sct_list = Some(e.data.clone());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Client: the OCSP check the config asks for, once the chain validated and
/// any staple arrived. Nothing when verification is off.
pub(crate) fn check_ocsp(c: &Common) -> Result<()> {
    let cfg = &c.config.inner;
    if !cfg.verify_peer {
        return Ok(());
    }
    match (cfg.status.ocsp_validation, &c.info.ocsp_response) {
        (OcspValidation::Off, _) => Ok(()),
        (OcspValidation::IfStapled, None) => Ok(()),
        (OcspValidation::Required, None) => Err(Error::protocol(
            AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE,
            "the server stapled no OCSP response, which this configuration requires",
        )),
        (_, Some(resp)) => cfg
            .trust
            .validate_ocsp(resp, &c.info.peer_chain, (cfg.now)()),
    }
}

/// Hands the CRL lookup callback, if set (and verification is on), one
/// lookup per certificate of the peer's chain (a client's: the server's; a
/// server's: its client's). True if it did: the
/// engine holds the next messages until every lookup is answered
/// ([`crl_pending`]), and the chain is validated after that.
pub(crate) fn start_crl_lookups(c: &mut Common) -> bool {
    let cfg = &c.config.inner;
    let Some(cb) = cfg.crl_lookup.as_ref().filter(|_| cfg.verify_peer) else {
        return false;
    };
    c.crl_lookups = Some(crate::cert::PendingCrls::start(
        cb.as_ref(),
        &c.info.peer_chain,
    ));
    true
}

/// True while the handshake waits for the lookups or has messages held
/// back for them.
pub(crate) fn crl_waiting(c: &Common) -> bool {
    c.crl_lookups
        .as_ref()
        .is_some_and(|p| p.held || !p.all_answered())
}

/// The engine stops handing messages to the state machine (they stay in
/// the joiner) if a lookup is unanswered; true if it must.
pub(crate) fn hold_for_crls(c: &mut Common) -> bool {
    match &mut c.crl_lookups {
        Some(p) if !p.all_answered() => {
            p.held = true;
            true
        }
        _ => false,
    }
}

/// Once every lookup is answered: true (once) if messages were held back,
/// which the engine then hands on.
pub(crate) fn release_crl_hold(c: &mut Common) -> bool {
    match &mut c.crl_lookups {
        Some(p) if p.all_answered() => std::mem::take(&mut p.held),
        _ => false,
    }
}

/// The trust store to validate the peer's chain with: the config's, plus
/// the CRLs the lookups gave.
pub(crate) fn trust_for_peer(c: &Common) -> std::borrow::Cow<'_, crate::cert::TrustStore> {
    let trust = &c.config.inner.trust;
    match &c.crl_lookups {
        Some(p) => std::borrow::Cow::Owned(trust.with_extra_crls(p.crls())),
        None => std::borrow::Cow::Borrowed(trust),
    }
}
