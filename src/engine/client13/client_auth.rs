//! The TLS 1.3 client's answer to a CertificateRequest (RFC 8446 §4.4.2-3):
//! a Certificate (empty without a usable certificate) and, with one, a
//! CertificateVerify, before the client's Finished.

use super::super::client_auth::{choose_client_cert, CLIENT_CV_CONTEXT};
use super::super::Common;
use super::cert_verify_content;
use crate::crypto::hash::Transcript;
use crate::error::Result;
use crate::msgs::extensions::CertRequestExtensions;
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify, HandshakeMessage,
    HandshakePayload,
};

/// What the server's CertificateRequest asked for.
pub(super) struct CertRequest {
    context: Vec<u8>,
    exts: CertRequestExtensions,
}

/// Checks a CertificateRequest of the handshake (empty context,
/// signature_algorithms present) and keeps what the answer needs.
pub(super) fn parse_request(cr: CertificateRequest13) -> Result<CertRequest> {
    cr.check_in_handshake()?;
    let exts = CertRequestExtensions::parse(&cr.extensions)?;
    Ok(CertRequest {
        context: cr.context,
        exts,
    })
}

/// Queues our Certificate and, when we have a certificate the request
/// allows, our CertificateVerify.
pub(super) fn answer(c: &mut Common, req: CertRequest, transcript: &mut Transcript) -> Result<()> {
    let chosen = choose_client_cert(
        c,
        &req.exts.signature_algorithms,
        &req.exts.authorities,
        true,
    );
    let entries = chosen.as_ref().map_or_else(Vec::new, |(ck, _)| {
        ck.chain()
            .iter()
            .map(|der| CertificateEntry {
                cert: der.clone(),
                extensions: Vec::new(),
            })
            .collect()
    });
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::Certificate13(Certificate13 {
            context: req.context,
            entries,
        })),
        transcript,
    )?;
    let Some((ck, scheme)) = chosen else {
        return Ok(());
    };
    let content = cert_verify_content(CLIENT_CV_CONTEXT, transcript.current_hash().as_bytes());
    let signature = ck.signing_key().sign(scheme, &content)?;
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
