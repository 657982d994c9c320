//! The client's side of TLS 1.3 early data (0-RTT, RFC 8446 §4.2.10).
//!
//! Early data is offered only with a resumption ticket that allows it
//! (`max_early_data > 0`), or with an external PSK set up for it
//! (`ExternalPsk::set_early_data`, the first PSK offered), in the first
//! ClientHello. After the ClientHello
//! the compatibility ChangeCipherSpec goes out, then the records sealed under
//! client_early_traffic_secret with the ticket's suite. The write side stays
//! on that key through the ServerHello; the EncryptedExtensions says whether
//! the server took the data: if so, EndOfEarlyData follows the server's
//! Finished under the same key; if not, the handshake key takes over at once
//! (the server skips what it cannot open) and the application sends the
//! data again after the handshake.

use super::{illegal, Negotiated, State};
use crate::crypto::hash::HashAlg;
use crate::crypto::hash::Transcript;
use crate::early::EarlyDataStatus;
use crate::engine::{Common, KeyPhase};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::record::MAX_PLAINTEXT;
use crate::resumption::SavedSession;
use crate::secrets::Secret;
use crate::suites::{tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::EarlySecret;

/// 0-RTT offered and not answered yet.
pub(super) struct EarlyOut {
    /// Bytes we may still send (the ticket's max_early_data_size).
    left: u32,
    /// The ticket's suite: early data is sealed with it, and a server that
    /// accepts must resume with exactly it.
    suite: CipherSuite,
    /// The ticket's ALPN protocol: a server that accepts must negotiate it.
    alpn: Option<Vec<u8>>,
}

/// After the ServerHello: the offer, and whether the server resumed the
/// ticket with its suite (the only way it may accept).
pub(super) struct EarlyAnswer {
    out: EarlyOut,
    /// The suite the first PSK was selected with (`None`: it was not).
    resumed_suite: Option<CipherSuite>,
    /// EncryptedExtensions accepted it: EndOfEarlyData is owed.
    accepted: bool,
}

/// Whether this ClientHello offers early data: with the first external PSK
/// it offers (when it offers any) if that PSK allows it, else with `offer`
/// (the TLS 1.3 ticket it resumes) if the ticket allows it; the application
/// asked for it, and the PSK's or ticket's exact suite is offered.
pub(super) fn wanted(
    c: &Common,
    offer: Option<&SavedSession>,
    suites: &[CipherSuite],
    external: &[super::external::ExternalOffer],
) -> Option<EarlyOut> {
    if !c.resumption.want_early_data {
        return None;
    }
    if let Some(first) = external.first() {
        let e = first.early_data.as_ref().filter(|e| e.max_size > 0)?;
        if !suites.contains(&e.suite) {
            return None;
        }
        return Some(EarlyOut {
            left: e.max_size,
            suite: e.suite,
            alpn: e.alpn.clone(),
        });
    }
    let s = offer.filter(|s| s.version == ProtocolVersion::TLSV1_3)?;
    if s.max_early_data == 0 {
        return None;
    }
    if !suites.contains(&s.suite) {
        return None;
    }
    Some(EarlyOut {
        left: s.max_early_data,
        suite: s.suite,
        alpn: s.alpn.clone(),
    })
}

/// Right after the ClientHello went out: the compatibility CCS (before any
/// protected record, as OpenSSL and BoringSSL send it), then the early key
/// from the first PSK's early secret (`early`, of hash `hash`).
/// `transcript` holds the ClientHello alone.
pub(super) fn begin(
    c: &mut Common,
    out: &EarlyOut,
    early: &EarlySecret,
    hash: HashAlg,
    transcript: &Transcript,
) -> Result<()> {
    let suite = tls13_suite(out.suite).ok_or_else(|| Error::internal("early data suite"))?;
    let ch_hash = transcript.hash_given(hash, &[]);
    let key = early.client_early_traffic(ch_hash.as_bytes());
    c.log_key("CLIENT_EARLY_TRAFFIC_SECRET", key.as_bytes());
    c.send_ccs()?;
    c.set_encrypter(suite, &key, KeyPhase::EarlyData)?;
    c.info.early_data = EarlyDataStatus::Requested;
    Ok(())
}

impl State {
    /// Seals what fits of `data` as early data; 0 when this handshake sends
    /// none (not offered, or the ServerHello already came).
    pub(crate) fn send_early(&mut self, c: &mut Common, data: &[u8]) -> Result<usize> {
        let State::ExpectServerHello(s) = self else {
            return Ok(0);
        };
        let Some(out) = s.early.as_mut() else {
            return Ok(0);
        };
        let n = data.len().min(out.left as usize);
        for chunk in data[..n].chunks(MAX_PLAINTEXT) {
            c.seal_early(chunk)?;
        }
        // `n` ≤ `left`, a u32.
        out.left -= n as u32;
        Ok(n)
    }
}

/// A HelloRetryRequest refuses 0-RTT: the second ClientHello offers none
/// and goes out in clear (RFC 8446 §4.2.10).
pub(super) fn after_hrr(c: &mut Common, early: Option<EarlyOut>) {
    if early.is_some() {
        c.send.state.drop_early_key();
        c.info.early_data = EarlyDataStatus::Rejected;
    }
}

/// The ServerHello came: the offer waits for the EncryptedExtensions.
pub(super) fn after_server_hello(out: EarlyOut, resumed_suite: Option<CipherSuite>) -> EarlyAnswer {
    EarlyAnswer {
        resumed_suite,
        out,
        accepted: false,
    }
}

/// The EncryptedExtensions' answer (`accepted`: it carries `early_data`);
/// the negotiated ALPN protocol is already in `c.info`.
pub(super) fn on_encrypted_extensions(
    c: &mut Common,
    n: &mut Negotiated,
    accepted: bool,
) -> Result<()> {
    let Some(early) = n.early.as_mut() else {
        if accepted {
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "early_data accepted but not offered",
            ));
        }
        return Ok(());
    };
    if !accepted {
        // The server skips our early records; the rest of our flight (an
        // alert included) goes under the handshake key from now on.
        n.early = None;
        c.info.early_data = EarlyDataStatus::Rejected;
        return c.set_encrypter(n.suite, n.hs.client_traffic(), KeyPhase::Handshake);
    }
    match early.resumed_suite {
        None => {
            return Err(illegal(
                "server accepted early data without resuming the first PSK offered",
            ))
        }
        Some(s) if s != early.out.suite => {
            return Err(illegal(
                "server accepted early data under another cipher suite than the PSK's",
            ))
        }
        Some(_) => {}
    }
    if c.info.alpn != early.out.alpn {
        return Err(illegal(
            "server accepted early data under another ALPN protocol than the PSK's",
        ));
    }
    early.accepted = true;
    c.info.early_data = EarlyDataStatus::Accepted;
    Ok(())
}

/// The server's Finished checked out: an accepted 0-RTT ends with
/// EndOfEarlyData under the early key (RFC 8446 §4.5), then the handshake
/// key takes over for our Finished.
pub(super) fn finish(
    c: &mut Common,
    early: Option<EarlyAnswer>,
    transcript: &mut Transcript,
    suite: &'static Tls13Suite,
    client_hs: &Secret,
) -> Result<()> {
    match early {
        Some(e) if e.accepted => {
            c.queue_handshake(
                &HandshakeMessage::new(HandshakePayload::EndOfEarlyData),
                transcript,
            )?;
            c.set_encrypter(suite, client_hs, KeyPhase::Handshake)
        }
        Some(_) => Err(Error::internal(
            "early data unanswered at the server's Finished",
        )),
        None => Ok(()),
    }
}
