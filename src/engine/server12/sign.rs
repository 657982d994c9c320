//! The TLS 1.2 server's ServerKeyExchange signature, made in place or by the
//! application's private-key operation, which may answer later.
//!
//! A signature that waits parks the handshake ([`State::AwaitingSign`]) with
//! the ServerKeyExchange to sign and the ECDHE key pair; ServerHello and
//! Certificate stay queued, so the flight leaves in one piece once signed.

use super::{Handshake, State};
use crate::engine::Common;
use crate::error::Result;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload, ServerKeyExchange};
use crate::pkey::{PendingSign, Signing};

/// A flight parked until the application's signature arrives.
pub(crate) struct PausedSign {
    hs: Box<Handshake>,
    ske: ServerKeyExchange,
    pending: PendingSign,
}

/// The ServerKeyExchange and ServerHelloDone once signed, or the flight
/// parked.
pub(super) fn after_signing(
    c: &mut Common,
    hs: Box<Handshake>,
    ske: ServerKeyExchange,
    signing: Signing,
) -> Result<State> {
    match signing {
        Signing::Done(signature) => finish(c, hs, ske, signature),
        Signing::Pending(pending) => Ok(State::AwaitingSign(Box::new(PausedSign {
            hs,
            ske,
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
                let PausedSign { hs, ske, .. } = *self;
                finish(c, hs, ske, signature?)
            }
        }
    }
}

fn finish(
    c: &mut Common,
    mut hs: Box<Handshake>,
    mut ske: ServerKeyExchange,
    signature: Vec<u8>,
) -> Result<State> {
    ske.signature = signature;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::ServerKeyExchange(ske)),
        &mut hs.transcript,
    )?;
    hs.client_auth = super::client_auth::send_request(c, &mut hs.transcript)?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::ServerHelloDone),
        &mut hs.transcript,
    )?;
    c.flush_handshake()?;
    if hs.client_auth.is_some() {
        return Ok(State::ExpectCertificate(hs));
    }
    Ok(State::ExpectClientKeyExchange(hs))
}
