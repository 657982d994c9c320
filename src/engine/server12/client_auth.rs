//! The TLS 1.2 server's client authentication (RFC 5246 §7.4.4, §7.4.6,
//! §7.4.8): a CertificateRequest before ServerHelloDone, then the client's
//! Certificate, ClientKeyExchange and (for a non-empty Certificate)
//! CertificateVerify over every handshake message before it.

use super::super::client_auth::{self, Requested};
use super::super::{require_boundary, Common};
use super::{Handshake, State};
use crate::cert::ClientAuth;
use crate::crypto::hash::Transcript;
use crate::error::{Error, Result};
use crate::msgs::handshake::{CertificateVerify, HandshakeMessage, HandshakePayload};
use crate::msgs::joiner::RawHandshake;

/// Keeps the messages when a CertificateVerify may have to be checked
/// over them (before the transcript's hash starts).
pub(super) fn prepare_transcript(c: &Common, transcript: &mut Transcript) {
    if c.client_auth_mode() != ClientAuth::None {
        transcript.keep_messages();
    }
}

/// Queues a CertificateRequest when this connection asks for a client certificate.
pub(super) fn send_request(
    c: &mut Common,
    transcript: &mut Transcript,
) -> Result<Option<Requested>> {
    if c.client_auth_mode() == ClientAuth::None {
        return Ok(None);
    }
    let (cr, requested) = client_auth::request12(c)?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::CertificateRequest12(cr)),
        transcript,
    )?;
    Ok(Some(requested))
}

impl Handshake {
    /// The client's Certificate (answering our request): empty, or a chain
    /// that must validate; a CertificateVerify then follows its ClientKeyExchange.
    pub(super) fn handle_client_certificate(
        mut self: Box<Self>,
        c: &mut Common,
        chain: Vec<Vec<u8>>,
        msg: &RawHandshake,
    ) -> Result<State> {
        self.client_verify_follows = client_auth::take_client_chain(c, chain, false)?;
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectClientKeyExchange(self))
    }

    /// The client's CertificateVerify: its signature over the messages so
    /// far (RFC 5246 §7.4.8), with the key of the chain it sent. Its
    /// ChangeCipherSpec follows, so the record must end here.
    pub(super) fn handle_client_verify(
        mut self: Box<Self>,
        c: &mut Common,
        cv: CertificateVerify,
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        require_boundary(boundary, "CertificateVerify")?;
        let requested = self
            .client_auth
            .as_ref()
            .ok_or_else(|| Error::internal("no CertificateRequest was sent"))?;
        let signed = self
            .transcript
            .messages()
            .ok_or_else(|| Error::internal("handshake messages were not kept"))?;
        client_auth::check_client_verify(c, requested, cv.scheme, &cv.signature, signed, false)?;
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectFinished(self))
    }
}
