//! The client's side of TLS 1.3 resumption: which saved session to offer, the
//! `pre_shared_key` extension with its binder, and the ServerHello's answer.

use crate::crypto::hash::{HashAlg, Transcript};
use crate::engine::Common;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::ProtocolVersion;
use crate::msgs::extensions::{ClientExtensions, PskIdentity, PskOffer};
use crate::msgs::handshake::{
    client_hello_binders_offset, ClientHello, HandshakeMessage, HandshakePayload,
};
use crate::resumption::SavedSession;
use crate::suites::{tls12_suite, tls13_suite};
use crate::tls13::key_schedule::{finished_verify_data, EarlySecret};

/// The TLS 1.3 session a ClientHello offers.
pub(crate) struct OfferedPsk {
    pub session: SavedSession,
    pub hash: HashAlg,
    /// The early secret from its PSK (made for the binder; the handshake
    /// goes on from it if the server resumes).
    pub early: EarlySecret,
}

/// The session set on the connection (else one from the config's store for
/// this server name), if this ClientHello may offer it: the
/// versions and suites still allowed, the same server name (a session is
/// never offered to another name: RFC 8446 §4.6.1), an ALPN protocol we
/// still offer, and not past its lifetime. It is taken either way: a TLS 1.3
/// ticket is for one use (RFC 8446 §C.4).
pub(super) fn usable_offer(c: &mut Common, offer13: bool, offer12: bool) -> Option<SavedSession> {
    let r = &c.config.inner.resumption;
    let from_store = || {
        let store = r.client_store.as_ref().filter(|_| r.tickets)?;
        store.take(c.info.server_name.as_deref()?)
    };
    let s = c.resumption.offer.take().or_else(from_store)?;
    let policy = c.config.inner.policy;
    // TLS 1.3 resumes with any suite of the ticket's hash (§4.2.11); TLS 1.2
    // with the session's own suite.
    let suite_ok = match s.version {
        ProtocolVersion::TLSV1_3 => {
            offer13
                && tls13_suite(s.suite).is_some_and(|t| {
                    policy
                        .cipher_suites
                        .iter()
                        .any(|cs| tls13_suite(*cs).is_some_and(|o| o.hash == t.hash))
                })
        }
        ProtocolVersion::TLSV1_2 => {
            offer12 && tls12_suite(s.suite).is_some() && policy.cipher_suites.contains(&s.suite)
        }
        _ => false,
    };
    let name_ok = s.server_name == c.info.server_name;
    let alpn_ok = s.alpn.as_ref().is_none_or(|p| c.alpn_prefs().contains(p));
    let fresh = s.age_secs(c.now()) < u64::from(s.lifetime);
    let ems_ok = s.version != ProtocolVersion::TLSV1_2 || s.ems || !c.config.inner.ems_required();
    if !(suite_ok && name_ok && alpn_ok && fresh && ems_ok) {
        return None;
    }
    // Kept for the ServerHello's answer (client12 reads it for TLS 1.2).
    c.resumption.offer = Some(s.clone());
    Some(s)
}

/// Tests: whether `usable_offer` would offer `s` from `e`.
#[cfg(test)]
pub(crate) fn offer_is_usable_for_test(
    e: &mut crate::engine::Engine,
    s: SavedSession,
) -> Option<SavedSession> {
    e.c.resumption.offer = Some(s);
    usable_offer(&mut e.c, true, true)
}

/// One identity of a `pre_shared_key` offer with what its binder needs.
pub(super) struct BinderInput<'a> {
    pub identity: PskIdentity,
    pub hash: HashAlg,
    pub early: &'a EarlySecret,
    /// An external PSK ("ext binder") rather than a ticket ("res binder").
    pub external: bool,
}

/// Adds `pre_shared_key` with `entries` as the hello's last extension and
/// fills in their binders. Every binder covers the same bytes (what
/// `transcript` holds, then the hello up to the binders list: RFC 8446
/// §4.2.11.2), each hashed with its own PSK's hash; the placeholders are of
/// the final lengths so that the length fields in the covered bytes are
/// already right.
pub(super) fn attach_binders(
    hello: &mut ClientHello,
    exts: &mut ClientExtensions,
    transcript: &Transcript,
    entries: &[BinderInput<'_>],
) -> Result<()> {
    let mut offer = PskOffer {
        identities: entries.iter().map(|e| e.identity.clone()).collect(),
        binders: entries
            .iter()
            .map(|e| vec![0; e.hash.output_len()])
            .collect(),
    };
    exts.pre_shared_key = Some(offer.encode()?);
    hello.extensions = exts.to_extensions()?;
    let encoded = HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())).to_bytes()?;
    let offset = client_hello_binders_offset(&encoded)
        .ok_or_else(|| Error::internal("pre_shared_key is not the last extension"))?;
    let partial = &encoded[..offset];
    for (binder, e) in offer.binders.iter_mut().zip(entries) {
        let hash = transcript.hash_given(e.hash, partial);
        let key = e.early.binder_key(e.external);
        *binder = finished_verify_data(e.hash, &key, hash.as_bytes())
            .as_bytes()
            .to_vec();
    }
    exts.pre_shared_key = Some(offer.encode()?);
    hello.extensions = exts.to_extensions()?;
    Ok(())
}

/// Adds `pre_shared_key` for `session` as the hello's last extension and
/// fills in its binder, computed over the hello up to the binders list after
/// what `transcript` holds (nothing, or ClientHello1 and a HelloRetryRequest).
pub(super) fn attach_psk(
    c: &Common,
    session: SavedSession,
    hello: &mut ClientHello,
    exts: &mut ClientExtensions,
    transcript: &Transcript,
) -> Result<Option<OfferedPsk>> {
    let suite =
        tls13_suite(session.suite).ok_or_else(|| Error::internal("offered a non-TLS 1.3 suite"))?;
    let hash = suite.hash;
    let age_ms = session.age_secs(c.now()).saturating_mul(1000);
    let obfuscated_age = (age_ms.min(u64::from(u32::MAX)) as u32).wrapping_add(session.age_add);
    let early = EarlySecret::new(hash, Some(session.secret.as_bytes()));
    let entry = BinderInput {
        identity: PskIdentity {
            identity: session.ticket.clone(),
            obfuscated_age,
        },
        hash,
        early: &early,
        external: false,
    };
    attach_binders(hello, exts, transcript, &[entry])?;
    Ok(Some(OfferedPsk {
        session,
        hash,
        early,
    }))
}

/// The PSK a ServerHello selected.
pub(super) enum Chosen {
    /// A ticket: the session it resumes.
    Ticket(SavedSession),
    /// An external PSK: its identity.
    External(Vec<u8>),
}

/// What the ServerHello's `pre_shared_key` answer means: `Some` (the PSK it
/// uses, with its early secret) or `None` (a certificate handshake). The
/// index must name an identity we offered and the suite must have that PSK's
/// hash (RFC 8446 §4.2.11): else illegal_parameter.
pub(super) fn check_answer(
    selected: Option<u16>,
    ticket: Option<OfferedPsk>,
    external: Vec<super::external::ExternalOffer>,
    hash: HashAlg,
) -> Result<Option<(Chosen, EarlySecret)>> {
    let Some(index) = selected else {
        return Ok(None);
    };
    if !external.is_empty() {
        return super::external::check_answer(index, external, hash).map(Some);
    }
    let offered = ticket.ok_or_else(|| {
        Error::protocol(
            AlertDescription::UNSUPPORTED_EXTENSION,
            "server selected a PSK but we offered none",
        )
    })?;
    if index != 0 {
        return Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "server selected a PSK identity we did not offer",
        ));
    }
    // RFC 8446 §4.2.11: the suite must have the PSK's hash.
    if hash != offered.hash {
        return Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "server resumed with a cipher suite of another hash",
        ));
    }
    Ok(Some((Chosen::Ticket(offered.session), offered.early)))
}

/// Client: a NewSessionTicket turned into a session to resume later.
pub(crate) fn session_from_ticket(
    c: &Common,
    nst: &crate::msgs::handshake::NewSessionTicket13,
    max_early_data: u32,
) -> Result<Option<SavedSession>> {
    let Some(t) = &c.resumption.ticket_base else {
        return Ok(None);
    };
    // Kept only by a client that asked for tickets: tickets on, or a session
    // offered on this connection (the same rule as psk_key_exchange_modes in
    // the hello). Some servers send tickets to clients that named no mode.
    if !c.config.inner.resumption.tickets && c.resumption.offer.is_none() {
        return Ok(None);
    }
    // Zero: discard at once (RFC 8446 §4.6.1). Over seven days: the server
    // broke a MUST; keep the ticket for at most seven days.
    if nst.lifetime == 0 {
        return Ok(None);
    }
    let lifetime = nst
        .lifetime
        .min(crate::resumption::settings::MAX_TICKET_LIFETIME.as_secs() as u32);
    let psk = crate::tls13::key_schedule::resumption_psk(t.hash, &t.secret, &nst.nonce)?;
    Ok(Some(SavedSession {
        version: ProtocolVersion::TLSV1_3,
        suite: t.suite,
        secret: psk,
        ems: false,
        ticket: nst.ticket.clone(),
        session_id: Vec::new(),
        received_at: c.now(),
        lifetime,
        age_add: nst.age_add,
        max_early_data,
        server_name: c.info.server_name.clone(),
        alpn: c.info.alpn.clone(),
        peer_chain: c.info.peer_chain.clone(),
    }))
}
