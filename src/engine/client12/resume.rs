//! The TLS 1.2 client's side of resumption: the ClientHello's offer (a
//! ticket, RFC 5077, and/or a session id), the ServerHello that accepts it,
//! and the session kept at the end of a handshake.

use super::super::Common;
use super::{hs_failure, illegal, Handshake};
use crate::crypto::rand;
use crate::error::Result;
use crate::msgs::enums::ProtocolVersion;
use crate::msgs::extensions::{ClientExtensions, ServerExtensions};
use crate::msgs::handshake::{ClientHello, ServerHello};
use crate::resumption::SavedSession;
use crate::secrets::Secret;

/// Puts a TLS 1.2 session to resume into the ClientHello: its ticket in
/// `session_ticket` (an empty one asks for a ticket when tickets are on) and
/// its session id. A ticket without a session id gets a fresh random one,
/// so that the server's echo says it resumed (RFC 5077 §3.4).
pub(crate) fn offer(
    c: &Common,
    session: Option<&SavedSession>,
    exts: &mut ClientExtensions,
    session_id: &mut Vec<u8>,
) -> Result<()> {
    // With tickets off no ticket goes out, not even a saved one (as
    // BoringSSL's SSL_OP_NO_TICKET): only a session id can resume then.
    let tickets = c.config.inner.resumption.tickets;
    let ticket = session
        .filter(|_| tickets)
        .map(|s| s.ticket.as_slice())
        .unwrap_or_default();
    if tickets {
        exts.session_ticket = Some(ticket.to_vec());
    }
    let Some(s) = session else {
        return Ok(());
    };
    if !s.session_id.is_empty() {
        session_id.clone_from(&s.session_id);
    } else if !ticket.is_empty() {
        let mut id = vec![0u8; 32];
        rand::fill(&mut id)?;
        *session_id = id;
    }
    Ok(())
}

/// The TLS 1.2 session this ServerHello resumes, if any: it echoes the
/// non-empty session id we sent for a saved session. Echoing any other id
/// of ours (TLS 1.3's compatibility value) claims a resumption we did not
/// offer (RFC 5246 §7.4.1.3).
pub(crate) fn resumed_session(
    c: &Common,
    hello: &ClientHello,
    sh: &ServerHello,
) -> Result<Option<SavedSession>> {
    if hello.session_id.is_empty() || sh.session_id != hello.session_id {
        return Ok(None);
    }
    // The id is the session's own, or (with a ticket) the random one `offer`
    // put beside it; a session with neither went out with no id of its own.
    let tickets = c.config.inner.resumption.tickets;
    let ours = |s: &SavedSession| {
        (tickets && !s.ticket.is_empty()) || s.session_id == hello.session_id
    };
    match c.resumption.offer.as_ref() {
        Some(s) if s.version == ProtocolVersion::TLSV1_2 && ours(s) => Ok(Some(s.clone())),
        _ => Err(illegal(
            "server echoed our session id: a resumption we did not offer",
        )),
    }
}

/// A resumption must keep what the session was made with: its cipher suite
/// (RFC 5246 §7.4.1.3) and its extended master secret (RFC 7627 §5.3: the
/// client MUST abort with handshake_failure either way).
pub(super) fn check_resumption(
    saved: &SavedSession,
    sh: &ServerHello,
    exts: &ServerExtensions,
) -> Result<()> {
    if sh.cipher_suite != saved.suite {
        return Err(illegal(
            "server resumed the session with another cipher suite",
        ));
    }
    if exts.extended_master_secret != saved.ems {
        return Err(hs_failure(
            "server resumed the session with a different extended master secret setting",
        ));
    }
    Ok(())
}

impl Handshake {
    /// At the end of a handshake: the session to resume later, if the server
    /// gave something to resume it with (a ticket or a session id), to the
    /// connection and the session callback.
    pub(super) fn keep_session(&mut self, c: &mut Common, master: &Secret) {
        let now = c.now();
        let config_lifetime =
            u32::try_from(c.config.inner.resumption.session_lifetime.as_secs()).unwrap_or(u32::MAX);
        let new_ticket = self.new_ticket.take().filter(|t| !t.ticket.is_empty());
        let (ticket, lifetime, received_at) = match (new_ticket, &self.resumed) {
            (Some(t), _) => {
                let lifetime = if t.lifetime_hint == 0 {
                    config_lifetime
                } else {
                    t.lifetime_hint
                };
                (t.ticket, lifetime, now)
            }
            // Resumed without a new ticket: the same session, as old as it was.
            (None, Some(s)) => (s.ticket.clone(), s.lifetime, s.received_at),
            (None, None) => (Vec::new(), config_lifetime, now),
        };
        let session_id = match &self.resumed {
            Some(s) => s.session_id.clone(),
            None => std::mem::take(&mut self.server_session_id),
        };
        if ticket.is_empty() && session_id.is_empty() {
            return;
        }
        c.session_received(SavedSession {
            version: ProtocolVersion::TLSV1_2,
            suite: self.suite.suite,
            secret: master.clone(),
            ems: self.ems,
            ticket,
            session_id,
            received_at,
            lifetime,
            age_add: 0,
            max_early_data: 0,
            server_name: c.info.server_name.clone(),
            alpn: c.info.alpn.clone(),
            peer_chain: c.info.peer_chain.clone(),
        });
    }
}
