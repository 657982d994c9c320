//! The server's side of TLS 1.3 resumption: choosing the ticket a client
//! offers (RFC 8446 §4.2.11), checking its binder, and issuing tickets (§4.6.1).

use crate::crypto::hash::Transcript;
use crate::crypto::rand;
use crate::engine::resume::TicketBase;
use crate::engine::Common;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{ExtensionType, ProtocolVersion};
use crate::msgs::extensions::{ClientExtensions, Extension, PskOffer, PSK_DHE_KE, PSK_KE};
use crate::msgs::handshake::{
    client_hello_binders_offset, HandshakeMessage, HandshakePayload, NewSessionTicket13,
};
use crate::msgs::joiner::RawHandshake;
use crate::psk::{ExternalPsk, OfferedPsks};
use crate::resumption::state::ServerSessionState;
use crate::resumption::ResumptionRefusal;
use crate::secrets::ct_eq;
use crate::suites::{tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::{finished_verify_data, resumption_psk, EarlySecret};

/// Identities tried per ClientHello: each costs an AEAD open. Clients offer
/// one or two; the rest are ignored, as a server may (§4.2.11).
const MAX_IDENTITIES_TRIED: usize = 4;

/// A PSK the server will use: a ticket it resumes, or an external PSK.
pub(super) struct Accepted {
    pub index: u16,
    pub source: Source,
    /// The identity and its verified binder (keys for anti-replay).
    pub identity: Vec<u8>,
    pub binder: Vec<u8>,
    /// The early secret from the ticket's PSK (made for the binder; the
    /// handshake goes on from it).
    pub early: Option<EarlySecret>,
    /// psk_dhe_ke (else psk_ke: no key exchange).
    pub dhe: bool,
}

/// Where an accepted PSK comes from.
pub(super) enum Source {
    /// A ticket of ours: the session it resumes.
    Ticket(ServerSessionState),
    /// An external PSK (its identity is in `Info::psk_identity`), with
    /// the 0-RTT it allows.
    External(Option<crate::psk::PskEarlyData>),
}

/// Which PSK modes of the client's this server uses: (psk_dhe_ke, psk_ke).
pub(super) fn modes(c: &Common, exts: &ClientExtensions) -> (bool, bool) {
    let offered = exts.psk_modes.as_deref().unwrap_or_default();
    (
        offered.contains(&PSK_DHE_KE),
        offered.contains(&PSK_KE) && c.config.inner.resumption.allow_psk_ke,
    )
}

/// The external PSK the client offers that this server will use, if any:
/// with a selection callback, the one it picks (if the server holds it);
/// else the first offered identity the server holds. Only the first
/// [`OfferedPsks::MAX_IDENTITIES_SHOWN`] identities are considered. Its
/// binder is checked later, by [`choose`], once the suite is known.
pub(super) fn pick_external(
    c: &Common,
    exts: &ClientExtensions,
) -> Result<Option<(usize, ExternalPsk)>> {
    let settings = &c.config.inner.psk;
    if settings.psks.is_empty() && c.resumption.psks.is_empty() {
        return Ok(None);
    }
    let Some(body) = exts.pre_shared_key.as_deref() else {
        return Ok(None);
    };
    let offer = PskOffer::parse(body)?;
    let held = |id: &[u8]| {
        settings
            .psks
            .iter()
            .chain(&c.resumption.psks)
            .find(|p| p.identity() == id)
            .cloned()
    };
    let shown: Vec<&[u8]> = offer
        .identities
        .iter()
        .take(OfferedPsks::MAX_IDENTITIES_SHOWN)
        .map(|i| i.identity.as_slice())
        .collect();
    let index = match &settings.select {
        Some(select) => select(&OfferedPsks {
            identities: shown.clone(),
        }),
        None => shown.iter().position(|id| held(id).is_some()),
    };
    Ok(index
        .filter(|&i| i < shown.len())
        .and_then(|i| held(shown[i]).map(|p| (i, p))))
}

/// The ticket to resume, if any: the first of the client's identities that
/// opens, was made for this name and a suite of `suite`'s hash, and is
/// within its lifetimes and the age window. A refused offer records why in
/// `c.info.refusal` and the handshake goes on in full; a chosen identity
/// whose binder does not verify fails it (`decrypt_error`).
pub(super) fn choose(
    c: &mut Common,
    exts: &ClientExtensions,
    msg: &RawHandshake,
    prior: Option<&Transcript>,
    suite: &'static Tls13Suite,
    external: Option<(usize, ExternalPsk)>,
) -> Result<Option<Accepted>> {
    // A second ClientHello (after HelloRetryRequest) decides afresh.
    c.info.ticket_age_skew = None;
    c.info.psk_identity = None;
    let Some(body) = exts.pre_shared_key.as_deref() else {
        return Ok(None);
    };
    // Parsed even when unused: a malformed offer is the client's error.
    let offer = PskOffer::parse(body)?;
    let (dhe, ke) = modes(c, exts);
    if let Some((i, psk)) = external.filter(|(_, p)| p.hash().alg() == suite.hash) {
        if !dhe && !ke {
            return Ok(None);
        }
        let binder = offer.binders.get(i).ok_or_else(|| {
            Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                "fewer binders than identities",
            )
        })?;
        let early = verify_binder(msg, prior, suite, psk.secret().as_bytes(), true, binder)?;
        c.info.refusal = None;
        c.info.psk_identity = Some(psk.identity().to_vec());
        return Ok(Some(Accepted {
            index: i as u16,
            source: Source::External(psk.early().cloned()),
            identity: psk.identity().to_vec(),
            binder: binder.clone(),
            early: Some(early),
            dhe,
        }));
    }
    if !c.config.inner.resumption.tickets {
        return Ok(None);
    }
    if !dhe && !ke {
        c.info.refusal = Some(ResumptionRefusal::PskModeRefused);
        return Ok(None);
    }
    let now = c.now();
    let mut first_refusal = None;
    for (i, id) in offer
        .identities
        .iter()
        .enumerate()
        .take(MAX_IDENTITIES_TRIED)
    {
        match check_ticket(c, exts, suite, now, &id.identity, id.obfuscated_age) {
            Ok((state, skew)) => {
                let binder = offer.binders.get(i).ok_or_else(|| {
                    Error::protocol(
                        AlertDescription::ILLEGAL_PARAMETER,
                        "fewer binders than identities",
                    )
                })?;
                let early =
                    verify_binder(msg, prior, suite, state.secret.as_bytes(), false, binder)?;
                c.info.refusal = None;
                c.info.ticket_age_skew = Some(skew);
                return Ok(Some(Accepted {
                    index: i as u16,
                    source: Source::Ticket(state),
                    identity: id.identity.clone(),
                    binder: binder.clone(),
                    early: Some(early),
                    dhe,
                }));
            }
            Err(r) => {
                first_refusal.get_or_insert(r);
            }
        }
    }
    c.info.refusal = first_refusal;
    Ok(None)
}

/// The ticket's session state and the age skew in seconds (the client's
/// age minus ours, as BoringSSL reports it), if the ticket may resume here.
fn check_ticket(
    c: &Common,
    exts: &ClientExtensions,
    suite: &'static Tls13Suite,
    now: u64,
    ticket: &[u8],
    obfuscated_age: u32,
) -> core::result::Result<(ServerSessionState, i64), ResumptionRefusal> {
    let r = &c.config.inner.resumption;
    let plain = r.ticket_keys.open(now, ticket, &r.context)?;
    let state = ServerSessionState::decode(&plain).map_err(|_| ResumptionRefusal::Malformed)?;
    let same_hash = tls13_suite(state.suite).is_some_and(|s| s.hash == suite.hash);
    if state.version != ProtocolVersion::TLSV1_3
        || !same_hash
        || state.server_name != exts.server_name
    {
        return Err(ResumptionRefusal::Mismatch);
    }
    let age = now.checked_sub(state.issued_at);
    if age.is_none_or(|a| a >= u64::from(state.lifetime)) {
        return Err(ResumptionRefusal::Expired);
    }
    if now.saturating_sub(state.auth_time) > r.keying_material_lifetime.as_secs() {
        return Err(ResumptionRefusal::KeyingMaterialExpired);
    }
    super::super::client_auth::check_resumable(c, &state)?;
    // The client counts in milliseconds, this clock in seconds: allow the
    // window plus one second of rounding either way (§8.3).
    let client_ms = i64::from(obfuscated_age.wrapping_sub(state.age_add));
    let server_secs = age.unwrap_or(0).min(1 << 40) as i64;
    let window_ms = r.age_window.as_millis().min(1 << 40) as i64 + 1000;
    if (client_ms - server_secs * 1000).abs() > window_ms {
        return Err(ResumptionRefusal::AgeOutOfWindow);
    }
    Ok((state, client_ms / 1000 - server_secs))
}

fn verify_binder(
    msg: &RawHandshake,
    prior: Option<&Transcript>,
    suite: &'static Tls13Suite,
    secret: &[u8],
    external: bool,
    binder: &[u8],
) -> Result<EarlySecret> {
    let offset = client_hello_binders_offset(&msg.encoded).ok_or_else(|| {
        Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "pre_shared_key is not the last extension",
        )
    })?;
    let fresh = Transcript::new();
    let partial = prior
        .unwrap_or(&fresh)
        .hash_given(suite.hash, &msg.encoded[..offset]);
    let early = EarlySecret::new(suite.hash, Some(secret));
    let key = early.binder_key(external);
    let expected = finished_verify_data(suite.hash, &key, partial.as_bytes());
    if !ct_eq(expected.as_bytes(), binder) {
        return Err(Error::protocol(
            AlertDescription::DECRYPT_ERROR,
            "PSK binder does not verify",
        ));
    }
    Ok(early)
}

/// Sends `n` NewSessionTickets from `c.resumption.ticket_base`. Stops early,
/// without an error, when no ticket key may encrypt or the keying material
/// has no lifetime left.
pub(crate) fn send_tickets(c: &mut Common, n: u8) -> Result<()> {
    let now = c.now();
    for _ in 0..n {
        let Some(base) = c.resumption.ticket_base.as_mut() else {
            return Ok(());
        };
        let r = &c.config.inner.resumption;
        let left = (base.auth_time + r.keying_material_lifetime.as_secs()).saturating_sub(now);
        let lifetime = r
            .session_lifetime
            .as_secs()
            .min(left)
            .min(u64::from(u32::MAX)) as u32;
        if lifetime == 0 {
            return Ok(());
        }
        let nonce = base.next_nonce.to_be_bytes().to_vec();
        base.next_nonce += 1;
        let mut age_add = [0u8; 4];
        rand::fill(&mut age_add)?;
        let age_add = u32::from_be_bytes(age_add);
        let state = ServerSessionState {
            version: ProtocolVersion::TLSV1_3,
            suite: base.suite,
            secret: resumption_psk(base.hash, &base.secret, &nonce)?,
            ems: false,
            issued_at: now,
            auth_time: base.auth_time,
            lifetime,
            age_add,
            max_early_data: c.config.inner.early.max_size,
            server_name: c.info.server_name.clone(),
            alpn: c.info.alpn.clone(),
            peer_chain: super::super::client_auth::chain_for_session(c),
        };
        let Some(ticket) = r.ticket_keys.seal(now, &state.encode(), &r.context) else {
            return Ok(());
        };
        // early_data: how much 0-RTT the ticket allows (RFC 8446 §4.2.10).
        let max_early = c.config.inner.early.max_size;
        let extensions = if max_early > 0 {
            vec![Extension {
                typ: ExtensionType::EARLY_DATA,
                data: max_early.to_be_bytes().to_vec(),
            }]
        } else {
            Vec::new()
        };
        let nst = NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        };
        // Post-handshake messages are in no transcript.
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::NewSessionTicket13(nst)),
            &mut Transcript::new(),
        )?;
    }
    c.flush_handshake()
}

/// Server: keeps what tickets derive from once the client's Finished is in.
pub(super) fn keep_ticket_base(
    c: &mut Common,
    suite: &'static Tls13Suite,
    secret: crate::secrets::Secret,
    auth_time: u64,
) {
    c.resumption.ticket_base = Some(TicketBase {
        hash: suite.hash,
        suite: suite.suite,
        secret,
        auth_time,
        next_nonce: 0,
    });
}
