//! The TLS 1.3 server's client authentication (RFC 8446 §4.3.2, §4.4.2-3):
//! the CertificateRequest after EncryptedExtensions, then the client's
//! Certificate and CertificateVerify before its Finished.

use super::super::client13::cert_verify_content;
use super::super::client_auth::{self, Requested, CLIENT_CV_CONTEXT};
use super::super::Common;
use super::{ExpectFinished, State};
use crate::cert::ClientAuth;
use crate::crypto::hash::Transcript;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::handshake::{
    Certificate13, CertificateVerify, HandshakeMessage, HandshakePayload,
};
use crate::msgs::joiner::RawHandshake;

/// Queues a CertificateRequest when this connection asks for a client
/// certificate; what it offered, for the answer.
pub(super) fn send_request(
    c: &mut Common,
    transcript: &mut Transcript,
) -> Result<Option<Requested>> {
    if c.client_auth_mode() == ClientAuth::None {
        return Ok(None);
    }
    let (cr, requested) = client_auth::request13(c)?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::CertificateRequest13(cr)),
        transcript,
    )?;
    Ok(Some(requested))
}

impl ExpectFinished {
    /// The client's Certificate: empty, or a chain that must validate.
    pub(super) fn handle_client_certificate(
        mut self: Box<Self>,
        c: &mut Common,
        cert: Certificate13,
        msg: &RawHandshake,
    ) -> Result<State> {
        if !cert.context.is_empty() {
            // Ours was empty, and the answer echoes it (§4.4.2).
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                "client Certificate has a request context we did not send",
            ));
        }
        // Our request asked for no per-certificate extension (OCSP, SCT).
        cert.check_entry_extensions(|_| false)?;
        let chain = cert.entries.into_iter().map(|e| e.cert).collect();
        let verify_follows = client_auth::take_client_chain(c, chain, true)?;
        self.transcript.add(&msg.encoded);
        Ok(if verify_follows {
            State::ExpectCertificateVerify(self)
        } else {
            State::ExpectFinished(self)
        })
    }

    /// The client's CertificateVerify over the transcript through its Certificate.
    pub(super) fn handle_client_verify(
        mut self: Box<Self>,
        c: &mut Common,
        cv: CertificateVerify,
        msg: &RawHandshake,
    ) -> Result<State> {
        let requested = self
            .client_auth
            .as_ref()
            .ok_or_else(|| Error::internal("no CertificateRequest was sent"))?;
        let content =
            cert_verify_content(CLIENT_CV_CONTEXT, self.transcript.current_hash().as_bytes());
        client_auth::check_client_verify(c, requested, cv.scheme, &cv.signature, &content, true)?;
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectFinished(self))
    }
}
