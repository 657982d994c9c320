//! The end of the TLS 1.3 server's first flight: Certificate,
//! CertificateVerify (signed in place or by the application's private-key
//! operation, which may answer later) and Finished.
//!
//! A signature that waits parks the whole flight ([`State::AwaitingSign`]):
//! the transcript up to the Certificate and the handshake secret, which is
//! everything the Finished and the keys after it need. ServerHello,
//! EncryptedExtensions and Certificate stay queued, so the flight leaves in
//! one piece once signed.

use super::{ExpectFinished, State, SERVER_CV_CONTEXT};
use crate::cert::CertChainAndKey;
use crate::crypto::hash::Transcript;
use crate::engine::client13::cert_verify_content;
use crate::engine::Common;
use crate::error::Result;
use crate::msgs::enums::SignatureScheme;
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateVerify, HandshakeMessage, HandshakePayload,
};
use crate::pkey::{PendingSign, Signing};
use crate::suites::Tls13Suite;
use crate::tls13::key_schedule::{finished_verify_data, HandshakeSecret};
use std::sync::Arc;

/// What the flight carries from the EncryptedExtensions to its Finished.
pub(super) struct Flight {
    pub(super) transcript: Transcript,
    pub(super) suite: &'static Tls13Suite,
    pub(super) hs: HandshakeSecret,
    /// 0-RTT accepted: EndOfEarlyData comes next.
    pub(super) early: bool,
    pub(super) tickets: bool,
    pub(super) auth_time: u64,
    /// Our CertificateRequest, if we sent one: the client's Certificate
    /// comes first.
    pub(super) client_auth: Option<crate::engine::client_auth::Requested>,
}

/// A flight parked until the application's signature arrives.
pub(crate) struct PausedSign {
    flight: Flight,
    pending: PendingSign,
}

/// Certificate and CertificateVerify of a full handshake, then the rest of
/// the flight; or the flight parked while the signature is made elsewhere.
pub(super) fn certificate(
    c: &mut Common,
    mut flight: Flight,
    cert: Arc<CertChainAndKey>,
    scheme: SignatureScheme,
    staple: &super::super::status::Staple,
) -> Result<State> {
    let mut entries: Vec<CertificateEntry> = cert
        .chain()
        .iter()
        .map(|der| CertificateEntry {
            cert: der.clone(),
            extensions: Vec::new(),
        })
        .collect();
    // The staple and SCTs the client asked for ride on the leaf's entry.
    if let Some(leaf) = entries.first_mut() {
        leaf.extensions = staple.leaf_extensions13()?;
    }
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::Certificate13(Certificate13 {
            context: Vec::new(),
            entries,
        })),
        &mut flight.transcript,
    )?;
    let content = cert_verify_content(
        SERVER_CV_CONTEXT,
        flight.transcript.current_hash().as_bytes(),
    );
    let signing = c.sign(&cert, scheme, content)?;
    c.info.selected_cert = Some(cert);
    c.info.signature_scheme = Some(scheme);
    match signing {
        Signing::Done(signature) => flight.verify_and_finish(c, scheme, signature),
        Signing::Pending(pending) => Ok(State::AwaitingSign(Box::new(PausedSign {
            flight,
            pending,
        }))),
    }
}

impl PausedSign {
    /// Goes on once the signature is in; itself while it is not.
    pub(super) fn poll(self: Box<Self>, c: &mut Common) -> Result<State> {
        match self.pending.poll() {
            None => Ok(State::AwaitingSign(self)),
            Some(signature) => {
                let scheme = self.pending.scheme();
                self.flight.verify_and_finish(c, scheme, signature?)
            }
        }
    }
}

impl Flight {
    fn verify_and_finish(
        mut self,
        c: &mut Common,
        scheme: SignatureScheme,
        signature: Vec<u8>,
    ) -> Result<State> {
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
                scheme,
                signature,
            })),
            &mut self.transcript,
        )?;
        self.finish(c)
    }

    /// Our Finished, the application write key, and the state that waits
    /// for the client's second flight.
    pub(super) fn finish(mut self, c: &mut Common) -> Result<State> {
        let suite = self.suite;
        let vd = finished_verify_data(
            suite.hash,
            self.hs.server_traffic(),
            self.transcript.current_hash().as_bytes(),
        );
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::Finished(vd.as_bytes().to_vec())),
            &mut self.transcript,
        )?;
        let client_hs = self.hs.client_traffic().clone();
        let master = self
            .hs
            .into_master(self.transcript.current_hash().as_bytes());
        crate::engine::client13::log_master(c, &master);
        c.install_app_write(suite, master.server_traffic())?;
        c.exporter = Some(crate::engine::common::Exporter::Tls13(
            suite.hash,
            master.exporter_secret().clone(),
        ));
        let next = if self.early {
            State::ExpectEndOfEarlyData
        } else if self.client_auth.is_some() {
            State::ExpectCertificate
        } else {
            State::ExpectFinished
        };
        Ok(next(Box::new(ExpectFinished {
            transcript: self.transcript,
            suite,
            client_hs,
            master,
            tickets: self.tickets,
            auth_time: self.auth_time,
            client_auth: self.client_auth,
        })))
    }
}
