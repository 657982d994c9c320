//! The TLS 1.2 client's answer to a CertificateRequest (RFC 5246 §7.4.6,
//! §7.4.8): its Certificate (empty without a usable certificate) first in
//! its flight and, with a certificate, a CertificateVerify after the
//! ClientKeyExchange, signing every handshake message before it. The
//! signature goes through `Common::sign`: with a private-key callback the
//! flight parks ([`State::AwaitingSign`]) until the application completes it.

use super::super::client_auth::choose_client_cert;
use super::super::Common;
use super::{send_ccs_and_finished, Handshake, State};
use crate::cert::CertChainAndKey;
use crate::crypto::hash::Transcript;
use crate::error::{Error, Result};
use crate::msgs::enums::SignatureScheme;
use crate::msgs::handshake::{
    Certificate12, CertificateRequest12, CertificateVerify, HandshakeMessage, HandshakePayload,
};
use crate::pkey::{PendingSign, Signing};
use crate::record::protect::{Decrypter, Encrypter};
use crate::tls12::prf;
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

/// The flight after our ClientKeyExchange, parked until the application's
/// signature arrives: Certificate and ClientKeyExchange stay queued, so the
/// flight leaves in one piece (CertificateVerify, ChangeCipherSpec,
/// Finished) once signed. No `Debug`: it holds the keys.
pub(crate) struct PausedSign {
    hs: Box<Handshake>,
    keys: FlightKeys,
    pending: PendingSign,
}

/// The keys the ClientKeyExchange made: ours for after our
/// ChangeCipherSpec, the server's for after its.
pub(super) struct FlightKeys {
    pub(super) master: prf::MasterSecret,
    pub(super) enc: Encrypter,
    pub(super) dec: Decrypter,
}

/// After the ClientKeyExchange: our CertificateVerify over every message so
/// far when we sent a certificate (signed in place or by the private-key
/// operation, which may answer later), then ChangeCipherSpec and Finished.
pub(super) fn verify_and_finish(
    c: &mut Common,
    mut hs: Box<Handshake>,
    chosen: Option<(Arc<CertChainAndKey>, SignatureScheme)>,
    keys: FlightKeys,
) -> Result<State> {
    if let Some((ck, scheme)) = chosen {
        let signed = hs
            .transcript
            .messages()
            .ok_or_else(|| Error::internal("handshake messages were not kept"))?
            .to_vec();
        let signing = c.sign(&ck, scheme, signed)?;
        c.info.signature_scheme = Some(scheme);
        c.info.client_cert = Some(ck);
        match signing {
            Signing::Done(signature) => queue_verify(c, scheme, signature, &mut hs.transcript)?,
            Signing::Pending(pending) => {
                return Ok(State::AwaitingSign(Box::new(PausedSign {
                    hs,
                    keys,
                    pending,
                })))
            }
        }
    }
    finish(c, hs, keys)
}

impl PausedSign {
    /// Goes on once the signature is in; itself while it is not.
    pub(super) fn poll(self: Box<Self>, c: &mut Common) -> Result<State> {
        let Some(signature) = self.pending.poll() else {
            return Ok(State::AwaitingSign(self));
        };
        let scheme = self.pending.scheme();
        let PausedSign { mut hs, keys, .. } = *self;
        queue_verify(c, scheme, signature?, &mut hs.transcript)?;
        finish(c, hs, keys)
    }
}

fn queue_verify(
    c: &mut Common,
    scheme: SignatureScheme,
    signature: Vec<u8>,
    transcript: &mut Transcript,
) -> Result<()> {
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
            scheme,
            signature,
        })),
        transcript,
    )
}

/// Our ChangeCipherSpec and Finished; then the server's flight.
fn finish(c: &mut Common, mut hs: Box<Handshake>, keys: FlightKeys) -> Result<State> {
    let FlightKeys { master, enc, dec } = keys;
    send_ccs_and_finished(c, enc, &master, &mut hs.transcript, b"client finished")?;
    c.recv.state.set_next(dec)?;
    hs.master = Some(master);
    Ok(hs.after_server_flight())
}
