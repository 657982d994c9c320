//! Resumption state both handshake sides share: the session a client offers,
//! the sessions it receives, the tickets a server still owes.

use super::Common;
use crate::resumption::SavedSession;

#[derive(Default)]
pub(crate) struct Resumption {
    /// Client: the session to offer in the next ClientHello.
    pub offer: Option<SavedSession>,
    /// Client: the newest session received (a TLS 1.2 session at the end of
    /// the handshake, or the last TLS 1.3 ticket).
    pub received: Option<SavedSession>,
    /// Server: TLS 1.3 tickets asked for beyond the config's count, sent at
    /// the next chance.
    pub extra_tickets: u8,
    /// After a TLS 1.3 handshake: what each ticket's PSK derives from.
    pub ticket_base: Option<TicketBase>,
    /// External PSKs added to this connection (after the config's).
    pub psks: Vec<crate::psk::ExternalPsk>,
    /// Client: the application wants to send 0-RTT data (it called
    /// `send_early_data` before the handshake started).
    pub want_early_data: bool,
}

/// resumption_master_secret and what each ticket from it records.
pub(crate) struct TicketBase {
    pub hash: crate::crypto::hash::HashAlg,
    pub suite: crate::msgs::enums::CipherSuite,
    pub secret: crate::secrets::Secret,
    /// Server: when the peer was last authenticated by a full handshake.
    pub auth_time: u64,
    /// Server: the next ticket's nonce.
    pub next_nonce: u64,
}

impl Common {
    /// Unix seconds by the config's clock.
    pub(crate) fn now(&self) -> u64 {
        (self.config.inner.now)()
    }

    /// Client: keeps a new session and hands it to the session callback.
    pub(crate) fn session_received(&mut self, s: SavedSession) {
        let r = &self.config.inner.resumption;
        if let Some(cb) = &r.on_new_session {
            cb(&s);
        }
        if let (true, Some(store)) = (r.tickets, &r.client_store) {
            store.put(s.clone());
        }
        self.resumption.received = Some(s);
    }
}
