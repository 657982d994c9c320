//! The TLS 1.2 server's side of resumption: whether a ClientHello's ticket
//! (RFC 5077) or session id (the session cache) resumes a session, and what
//! a full handshake leaves behind to resume later.

use super::super::Common;
use crate::msgs::enums::ProtocolVersion;
use crate::msgs::extensions::ClientExtensions;
use crate::msgs::handshake::ClientHello;
use crate::resumption::state::ServerSessionState;
use crate::resumption::{CacheLookup, PendingLookup, ResumptionRefusal};
use crate::secrets::Secret;
use crate::suites::{tls12_suite, Tls12Suite};

/// What the ClientHello's offer comes to.
pub(super) enum Decision {
    /// Resume this session (abbreviated handshake).
    Resume(ServerSessionState),
    /// Full handshake (`c.info.refusal` says why, when something was offered).
    Full,
    /// The session cache answers later.
    Pending(PendingLookup),
}

/// Looks at the ticket first, then (only without one) the session id.
pub(super) fn decide(c: &mut Common, ch: &ClientHello, exts: &ClientExtensions) -> Decision {
    let settings = &c.config.inner.resumption;
    if settings.tickets {
        if let Some(ticket) = exts.session_ticket.as_deref().filter(|t| !t.is_empty()) {
            // The session id beside a ticket is the client's own random marker
            // (RFC 5077 §3.4), not a cache key: a refused ticket is a full
            // handshake, without a cache round trip that could not find it.
            return match check(c, ch, exts, ticket) {
                Ok(state) => Decision::Resume(state),
                Err(r) => {
                    c.info.refusal = Some(r);
                    Decision::Full
                }
            };
        }
    }
    let Some(cache) = settings.session_cache.clone() else {
        return Decision::Full;
    };
    if ch.session_id.is_empty() {
        return Decision::Full;
    }
    match cache.retrieve(&ch.session_id) {
        CacheLookup::Found(entry) => after_lookup(c, ch, exts, Some(entry)),
        CacheLookup::NotFound => after_lookup(c, ch, exts, None),
        CacheLookup::Pending(p) => Decision::Pending(p),
    }
}

/// The cache's answer for the ClientHello's session id. A refused entry is
/// deleted: it will never resume.
pub(super) fn after_lookup(
    c: &mut Common,
    ch: &ClientHello,
    exts: &ClientExtensions,
    entry: Option<Vec<u8>>,
) -> Decision {
    let Some(entry) = entry else {
        c.info.refusal = Some(ResumptionRefusal::CacheMiss);
        return Decision::Full;
    };
    match check(c, ch, exts, &entry) {
        Ok(state) => {
            c.info.session_id = Some(ch.session_id.clone());
            Decision::Resume(state)
        }
        Err(r) => {
            if let Some(cache) = &c.config.inner.resumption.session_cache {
                cache.delete(&ch.session_id);
            }
            c.info.refusal = Some(r);
            Decision::Full
        }
    }
}

/// Opens and decodes a ticket or cache entry and checks that it may resume
/// here: a TLS 1.2 session with a suite the client offers and the policy
/// allows, for the same server name, the same extended master secret
/// (RFC 7627 §5.3), within its lifetime.
fn check(
    c: &Common,
    ch: &ClientHello,
    exts: &ClientExtensions,
    sealed: &[u8],
) -> Result<ServerSessionState, ResumptionRefusal> {
    let now = c.now();
    let settings = &c.config.inner.resumption;
    let plain = settings.ticket_keys.open(now, sealed, &settings.context)?;
    let state = ServerSessionState::decode(&plain).map_err(|_| ResumptionRefusal::Malformed)?;
    let policy = c.config.inner.policy;
    let suite_ok = tls12_suite(state.suite).is_some()
        && ch.cipher_suites.contains(&state.suite)
        && policy.cipher_suites.contains(&state.suite);
    if state.version != ProtocolVersion::TLSV1_2 || !suite_ok {
        return Err(ResumptionRefusal::Mismatch);
    }
    if state.server_name != exts.server_name {
        return Err(ResumptionRefusal::Mismatch);
    }
    // RFC 7627 §5.3: never across an EMS change, either way; and never
    // without EMS where the configuration requires it.
    if state.ems != exts.extended_master_secret || (!state.ems && c.config.inner.ems_required()) {
        return Err(ResumptionRefusal::Mismatch);
    }
    super::super::client_auth::check_resumable(c, &state)?;
    let age = now.saturating_sub(state.issued_at);
    if age >= u64::from(state.lifetime) || age >= settings.session_lifetime.as_secs() {
        return Err(ResumptionRefusal::Expired);
    }
    if now.saturating_sub(state.auth_time) >= settings.keying_material_lifetime.as_secs() {
        return Err(ResumptionRefusal::KeyingMaterialExpired);
    }
    Ok(state)
}

/// A new session's state, sealed with the ticket keys (for a ticket or a
/// cache entry); `None` when no key may encrypt now.
pub(super) fn seal(c: &Common, suite: &Tls12Suite, master: &Secret, ems: bool) -> Option<Vec<u8>> {
    let now = c.now();
    let settings = &c.config.inner.resumption;
    let state = ServerSessionState {
        version: ProtocolVersion::TLSV1_2,
        suite: suite.suite,
        secret: master.clone(),
        ems,
        issued_at: now,
        auth_time: now,
        lifetime: lifetime_secs(c),
        age_add: 0,
        max_early_data: 0,
        server_name: c.info.server_name.clone(),
        alpn: c.info.alpn.clone(),
        peer_chain: super::super::client_auth::chain_for_session(c),
    };
    settings
        .ticket_keys
        .seal(now, &state.encode(), &settings.context)
}

/// The configured session lifetime in whole seconds, as a ticket says it.
pub(super) fn lifetime_secs(c: &Common) -> u32 {
    u32::try_from(c.config.inner.resumption.session_lifetime.as_secs()).unwrap_or(u32::MAX)
}
