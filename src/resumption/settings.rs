//! The resumption part of a [`Config`](crate::Config).

use super::{ClientSessionStore, SavedSession, SessionCache, TicketKeys};
use std::sync::Arc;
use std::time::Duration;

/// A callback given each session a client can resume later.
pub type SessionCallback = dyn Fn(&SavedSession) + Send + Sync;

/// s2n's default session state lifetime: how long a ticket is good for.
pub(crate) const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(15 * 3600);
/// s2n's default keying-material lifetime (one week).
pub(crate) const DEFAULT_KEYING_MATERIAL_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// RFC 8446 §8.3 suggests a window "on the order of ten seconds".
pub(crate) const DEFAULT_AGE_WINDOW: Duration = Duration::from_secs(10);
/// RFC 8446 §4.6.1: no ticket is good for more than seven days.
pub(crate) const MAX_TICKET_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone)]
pub(crate) struct Settings {
    /// Server: issue tickets; client: ask for them (TLS 1.2) and keep them.
    pub tickets: bool,
    pub ticket_keys: Arc<TicketKeys>,
    /// Bound into every ticket and cache value this config seals, checked
    /// when one is opened (OpenSSL's session id context): configs that
    /// share ticket keys but not sessions set different ones.
    pub context: Vec<u8>,
    /// TLS 1.3 tickets sent after each handshake.
    pub ticket_count: u8,
    pub session_lifetime: Duration,
    pub keying_material_lifetime: Duration,
    /// Server: resume with `psk_ke` (no fresh key exchange) when the client offers only it.
    pub allow_psk_ke: bool,
    pub age_window: Duration,
    pub session_cache: Option<Arc<dyn SessionCache>>,
    pub on_new_session: Option<Arc<SessionCallback>>,
    /// Client: sessions kept by server name and offered by later connections.
    pub client_store: Option<Arc<ClientSessionStore>>,
}

/// Server names a client config keeps sessions for by default.
pub(crate) const DEFAULT_CLIENT_STORE_NAMES: usize = 256;

impl Default for Settings {
    fn default() -> Self {
        Self {
            tickets: false,
            ticket_keys: Arc::new(TicketKeys::generated()),
            context: Vec::new(),
            ticket_count: 1,
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            keying_material_lifetime: DEFAULT_KEYING_MATERIAL_LIFETIME,
            allow_psk_ke: false,
            age_window: DEFAULT_AGE_WINDOW,
            session_cache: None,
            on_new_session: None,
            client_store: Some(Arc::new(ClientSessionStore::new(
                DEFAULT_CLIENT_STORE_NAMES,
            ))),
        }
    }
}

impl core::fmt::Debug for Settings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Resumption")
            .field("tickets", &self.tickets)
            .field("context_len", &self.context.len())
            .field("ticket_count", &self.ticket_count)
            .field("session_lifetime", &self.session_lifetime)
            .field("keying_material_lifetime", &self.keying_material_lifetime)
            .field("allow_psk_ke", &self.allow_psk_ke)
            .field("age_window", &self.age_window)
            .field("session_cache", &self.session_cache.is_some())
            .field("session_callback", &self.on_new_session.is_some())
            .finish()
    }
}
