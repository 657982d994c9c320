//! Private-key operations done outside the handshake (as s2n's
//! `s2n_async_pkey_op`): with a callback set
//! ([`ConfigBuilder::set_private_key_callback`](crate::ConfigBuilder::set_private_key_callback)),
//! the handshake does not sign with the certificate's key itself. It hands
//! the callback a [`PrivateKeyOp`], which carries the exact bytes to sign
//! (the message, not a digest, so that an HSM or a key server can sign it
//! with the scheme named), and returns
//! [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
//! until the operation is completed, from any thread; the next
//! negotiate/poll goes on. An operation completed inside the callback lets
//! the handshake go on at once.
//!
//! Only signatures occur: Baton has no RSA key exchange suite (every TLS 1.2
//! suite is ECDHE), so the decryption s2n offers for it never happens.
//!
//! Where the handshake signs, always through `Common::sign`: the server's
//! TLS 1.3 CertificateVerify (`engine/server13/sign.rs`) and TLS 1.2
//! ServerKeyExchange (`engine/server12/sign.rs`), and the client's
//! CertificateVerify under client authentication
//! (`engine/client13/client_auth.rs`, `engine/client12/client_auth.rs`).
//! Each parks its flight on `Signing::Pending`, polled from
//! `Engine::resume_awaiting`.

use crate::cert::CertChainAndKey;
use crate::error::{Error, Result};
use crate::msgs::enums::SignatureScheme;
use crate::oneshot::{self, Answer, Slot};
use std::sync::Arc;

/// What a [`PrivateKeyOp`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivateKeyOpKind {
    /// Sign [`PrivateKeyOp::input`] with [`PrivateKeyOp::scheme`].
    Sign,
}

/// Whether the handshake checks a signature the application returns
/// (s2n's `s2n_async_pkey_op_set_validation_mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkeyValidation {
    /// Send the signature as returned (a wrong one makes the peer fail the
    /// handshake).
    #[default]
    Fast,
    /// Verify it against the certificate's public key first: one that does
    /// not verify is never sent; the handshake fails with
    /// [`ErrorKind::PrivateKey`](crate::ErrorKind::PrivateKey) and an
    /// `internal_error` alert. Costs one verification per handshake.
    Strict,
}

/// The application's private-key callback: it receives each operation and
/// completes it now or later, on any thread.
pub type PrivateKeyCallback = dyn Fn(PrivateKeyOp) + Send + Sync;

/// One private-key operation the handshake waits for. Complete it once with
/// [`complete`](Self::complete), [`sign_with`](Self::sign_with),
/// [`sign`](Self::sign) or [`fail`](Self::fail); dropping it unanswered fails
/// the handshake.
pub struct PrivateKeyOp {
    kind: PrivateKeyOpKind,
    scheme: SignatureScheme,
    input: Vec<u8>,
    cert: Arc<CertChainAndKey>,
    answer: Answer<Option<Vec<u8>>>,
}

impl PrivateKeyOp {
    /// What to do (always [`PrivateKeyOpKind::Sign`] today).
    pub fn kind(&self) -> PrivateKeyOpKind {
        self.kind
    }

    /// The signature scheme to sign with (its hash and padding).
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The exact message to sign (hashed by the signer per the scheme): the
    /// TLS 1.3 CertificateVerify content (server's or client's), the TLS 1.2
    /// ServerKeyExchange parameters with both randoms, or, for a TLS 1.2
    /// client certificate, every handshake message before its
    /// CertificateVerify.
    pub fn input(&self) -> &[u8] {
        &self.input
    }

    /// The certificate whose key must sign (the one the handshake sends: the
    /// server's, or the client certificate chosen for a CertificateRequest).
    pub fn certificate(&self) -> &Arc<CertChainAndKey> {
        &self.cert
    }

    /// Gives the signature; the handshake goes on at its next call.
    pub fn complete(mut self, signature: Vec<u8>) {
        self.answer.give(Some(signature));
    }

    /// Fails the operation: the handshake fails with
    /// [`ErrorKind::PrivateKey`](crate::ErrorKind::PrivateKey).
    pub fn fail(mut self) {
        self.answer.give(None);
    }

    /// Signs with `key`'s private key and completes (or fails, if that key
    /// cannot sign with the scheme): the "offload" case, where the key is in
    /// this process but the work runs elsewhere.
    pub fn sign_with(self, key: &CertChainAndKey) {
        match key.signing_key().sign(self.scheme, &self.input) {
            Ok(sig) => self.complete(sig),
            Err(_) => self.fail(),
        }
    }

    /// Signs with the key of [`certificate`](Self::certificate) (loaded with
    /// it) and completes: offload to another thread.
    pub fn sign(self) {
        let cert = Arc::clone(&self.cert);
        self.sign_with(&cert);
    }
}

impl core::fmt::Debug for PrivateKeyOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateKeyOp")
            .field("kind", &self.kind)
            .field("scheme", &self.scheme)
            .field("input_len", &self.input.len())
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}

/// A config's private-key settings.
#[derive(Clone, Default)]
pub(crate) struct PkeySettings {
    pub(crate) callback: Option<Arc<PrivateKeyCallback>>,
    pub(crate) validation: PkeyValidation,
}

impl core::fmt::Debug for PkeySettings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PkeySettings")
            .field("callback", &self.callback.is_some())
            .field("validation", &self.validation)
            .finish()
    }
}

/// A private-key operation's outcome, as the handshake sees it.
pub(crate) enum Signing {
    /// The signature, ready to send.
    Done(Vec<u8>),
    /// Handed to the application: poll until it answers.
    Pending(PendingSign),
}

/// The handshake's half of an operation given to the application.
pub(crate) struct PendingSign {
    slot: Slot<Option<Vec<u8>>>,
    scheme: SignatureScheme,
    /// Kept for Strict validation (the transcript's hash and randoms: public).
    input: Vec<u8>,
    cert: Arc<CertChainAndKey>,
    validation: PkeyValidation,
}

/// Signs `input` for the handshake: with the certificate's key in place, or
/// through `callback` (the connection's, else the config's).
pub(crate) fn sign(
    callback: Option<&Arc<PrivateKeyCallback>>,
    validation: PkeyValidation,
    cert: &Arc<CertChainAndKey>,
    scheme: SignatureScheme,
    input: Vec<u8>,
) -> Result<Signing> {
    let Some(callback) = callback else {
        return cert.signing_key().sign(scheme, &input).map(Signing::Done);
    };
    // Dropped unanswered: a failure, never a wait without end.
    let (slot, answer) = oneshot::pair(None, None);
    let pending = PendingSign {
        slot,
        scheme,
        input: input.clone(),
        cert: Arc::clone(cert),
        validation,
    };
    callback(PrivateKeyOp {
        kind: PrivateKeyOpKind::Sign,
        scheme,
        input,
        cert: Arc::clone(cert),
        answer,
    });
    match pending.poll() {
        Some(done) => done.map(Signing::Done),
        None => Ok(Signing::Pending(pending)),
    }
}

impl PendingSign {
    /// `None` while unanswered; then the signature (checked when Strict) or
    /// the failure.
    pub(crate) fn poll(&self) -> Option<Result<Vec<u8>>> {
        let answer = self.slot.poll()?;
        let Some(sig) = answer else {
            return Some(Err(Error::private_key(
                "the private key operation failed (or was dropped unanswered)",
            )));
        };
        if self.validation == PkeyValidation::Strict {
            let leaf = self.cert.chain().first().map(Vec::as_slice).unwrap_or(&[]);
            // The TLS 1.2 rules accept every scheme a key signs with.
            if crate::crypto::verify::verify_signature(leaf, self.scheme, &self.input, &sig, false)
                .is_err()
            {
                return Some(Err(Error::private_key(
                    "the private key operation's signature does not verify with the certificate",
                )));
            }
        }
        Some(Ok(sig))
    }

    /// The scheme the signature is for.
    pub(crate) fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

impl core::fmt::Debug for PendingSign {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingSign")
            .field("scheme", &self.scheme)
            .field("answered", &self.slot.is_answered())
            .finish()
    }
}

#[cfg(test)]
mod client_tests;
#[cfg(test)]
pub(crate) mod tests;
