//! The TLS 1.3 client's answer to a CertificateRequest (RFC 8446 §4.4.2-3):
//! a Certificate (empty without a usable certificate) and, with one, a
//! CertificateVerify, before the client's Finished. The signature goes
//! through `Common::sign`: with a private-key callback the flight parks
//! ([`State::AwaitingSign`]) until the application completes it.

use super::super::client_auth::{choose_client_cert, CLIENT_CV_CONTEXT};
use super::super::Common;
use super::cert_verify_content;
use super::State;
use crate::crypto::hash::Transcript;
use crate::error::Result;
use crate::msgs::enums::SignatureScheme;
use crate::msgs::extensions::CertRequestExtensions;
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify, HandshakeMessage,
    HandshakePayload,
};
use crate::pkey::{PendingSign, Signing};
use crate::secrets::Secret;
use crate::suites::Tls13Suite;
use crate::tls13::key_schedule::{finished_verify_data, MasterSecret};

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

/// The client's second flight from its Certificate on: what its
/// CertificateVerify and Finished need, and what the keys after them need.
pub(super) struct SecondFlight {
    pub(super) transcript: Transcript,
    pub(super) suite: &'static Tls13Suite,
    pub(super) client_hs: Secret,
    pub(super) master: MasterSecret,
}

/// The flight parked until the application's signature arrives: our
/// Certificate stays queued, so the flight leaves in one piece once signed.
/// No `Debug`: it holds the traffic secrets.
pub(crate) struct PausedSign {
    flight: SecondFlight,
    pending: PendingSign,
}

/// Queues our Certificate and, when we have a certificate the request
/// allows, our CertificateVerify (signed in place or by the private-key
/// operation, which may answer later), then the Finished.
pub(super) fn answer(c: &mut Common, req: CertRequest, mut flight: SecondFlight) -> Result<State> {
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
        &mut flight.transcript,
    )?;
    let Some((ck, scheme)) = chosen else {
        return flight.finish(c);
    };
    let content = cert_verify_content(
        CLIENT_CV_CONTEXT,
        flight.transcript.current_hash().as_bytes(),
    );
    let signing = c.sign(&ck, scheme, content)?;
    c.info.signature_scheme = Some(scheme);
    c.info.client_cert = Some(ck);
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

impl SecondFlight {
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

    /// Our Finished, the application write key, and what the connection
    /// keeps of the key schedule.
    pub(super) fn finish(mut self, c: &mut Common) -> Result<State> {
        let (suite, hash) = (self.suite, self.suite.hash);
        let master = &self.master;
        let ours = finished_verify_data(
            hash,
            &self.client_hs,
            self.transcript.current_hash().as_bytes(),
        );
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::Finished(ours.as_bytes().to_vec())),
            &mut self.transcript,
        )?;
        c.install_app_write(suite, master.client_traffic())?;
        c.resumption.ticket_base = Some(crate::engine::resume::TicketBase {
            hash,
            suite: suite.suite,
            secret: master.resumption_secret(self.transcript.current_hash().as_bytes()),
            auth_time: 0,
            next_nonce: 0,
        });
        c.exporter = Some(crate::engine::common::Exporter::Tls13(
            hash,
            master.exporter_secret().clone(),
        ));
        c.traffic = Some(crate::engine::common::Traffic13 {
            suite,
            ours: master.client_traffic().clone(),
            theirs: master.server_traffic().clone(),
        });
        Ok(State::Done)
    }
}
