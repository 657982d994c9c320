//! The TLS 1.2 client's answer to a CertificateRequest (RFC 5246 §7.4.6,
//! §7.4.8): its Certificate (empty without a usable certificate) first in
//! its flight and, with a certificate, a CertificateVerify after the
//! ClientKeyExchange, signing every handshake message before it.

use super::super::client_auth::choose_client_cert;
use super::super::Common;
use crate::cert::CertChainAndKey;
use crate::crypto::hash::Transcript;
use crate::error::{Error, Result};
use crate::msgs::enums::SignatureScheme;
use crate::msgs::handshake::{
    Certificate12, CertificateRequest12, CertificateVerify, HandshakeMessage, HandshakePayload,
};
use std::sync::Arc;

const RSA_SIGN: u8 = 1;
const ECDSA_SIGN: u8 = 64;

/// Keeps the messages for a CertificateVerify when we have a certificate
/// to send (before the transcript's hash starts).
pub(super) fn prepare_transcript(c: &Common, transcript: &mut Transcript) {
    if !c.config.inner.client_auth.certs.is_empty() {
        transcript.keep_messages();
    }
}

/// Our certificate for the request: the schemes it lists, narrowed to the
/// key types its certificate_types allow.
pub(super) fn choose(
    c: &Common,
    cr: &CertificateRequest12,
) -> Option<(Arc<CertChainAndKey>, SignatureScheme)> {
    use SignatureScheme as S;
    let ecdsa = cr.cert_types.contains(&ECDSA_SIGN);
    let rsa = cr.cert_types.contains(&RSA_SIGN);
    let schemes: Vec<SignatureScheme> = cr
        .schemes
        .iter()
        .copied()
        .filter(|s| match *s {
            S::ECDSA_SECP256R1_SHA256 | S::ECDSA_SECP384R1_SHA384 | S::ECDSA_SECP521R1_SHA512 => {
                ecdsa
            }
            _ => rsa,
        })
        .collect();
    choose_client_cert(c, &schemes, &cr.authorities, false)
}

/// Queues our Certificate: the chosen chain, or an empty list.
pub(super) fn send_certificate(
    c: &mut Common,
    chosen: Option<&(Arc<CertChainAndKey>, SignatureScheme)>,
    transcript: &mut Transcript,
) -> Result<()> {
    let chain = chosen.map_or_else(Vec::new, |(ck, _)| ck.chain().to_vec());
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::Certificate12(Certificate12(chain))),
        transcript,
    )
}

/// Queues our CertificateVerify over every message so far.
pub(super) fn send_verify(
    c: &mut Common,
    (ck, scheme): (Arc<CertChainAndKey>, SignatureScheme),
    transcript: &mut Transcript,
) -> Result<()> {
    let signed = transcript
        .messages()
        .ok_or_else(|| Error::internal("handshake messages were not kept"))?;
    let signature = ck.signing_key().sign(scheme, signed)?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
            scheme,
            signature,
        })),
        transcript,
    )?;
    c.info.signature_scheme = Some(scheme);
    c.info.client_cert = Some(ck);
    Ok(())
}
