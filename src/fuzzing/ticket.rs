//! The `ticket` fuzz target: what a server does with a ticket a client sends
//! back, and what a client does with saved-session bytes it is given.

use crate::resumption::state::ServerSessionState;
use crate::resumption::{SavedSession, TicketKeys};
use std::sync::OnceLock;
use std::time::Duration;

/// The fuzz key's name and secret, and the time tickets are opened at (the
/// key is encrypt-decrypt then). The seed in `tests/fuzz/seeds/ticket/` is
/// a ticket sealed under this key.
pub const TICKET_KEY_NAME: &[u8] = b"baton-fuzz-key";
/// The fuzz key's secret (a test value).
pub const TICKET_KEY_SECRET: &[u8; 32] = b"baton fuzz ticket key secret 32b";
/// Unix seconds at which the fuzz target opens tickets.
pub const TICKET_NOW: u64 = 1_000_000;

/// The fixed key set the target opens tickets with.
pub fn ticket_keys() -> &'static TicketKeys {
    static KEYS: OnceLock<TicketKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let k = TicketKeys::with_lifetimes(Duration::from_secs(3600), Duration::from_secs(3600))
            .expect("nonzero lifetime"); // ok-panic: constant input
        k.add_key_at(
            TICKET_NOW,
            TICKET_KEY_NAME,
            TICKET_KEY_SECRET,
            TICKET_NOW - 10,
        )
        .expect("valid fuzz key"); // ok-panic: constant input
        k
    })
}

/// Seals `state` under the fuzz key (to make seeds).
pub fn seal_ticket(state: &[u8]) -> Option<Vec<u8>> {
    ticket_keys().seal(TICKET_NOW, state)
}

/// The bytes as a ticket (opened, then its state decoded), as a server
/// session state, and as a saved session. What decodes must re-encode to
/// the same bytes: both formats are canonical.
pub fn ticket(data: &[u8]) {
    if let Ok(plain) = ticket_keys().open(TICKET_NOW, data) {
        check_state(&plain);
    }
    check_state(data);
    if let Ok(s) = SavedSession::from_bytes(data) {
        // ok-panic: fuzz oracle; the format is canonical.
        assert_eq!(&s.to_bytes()[..], data, "SavedSession round trip");
    }
}

fn check_state(bytes: &[u8]) {
    if let Ok(s) = ServerSessionState::decode(bytes) {
        // ok-panic: fuzz oracle; the format is canonical.
        assert_eq!(&s.encode()[..], bytes, "ServerSessionState round trip");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seed is a real ticket under the fuzz key, so the target
    /// starts past the AEAD check; and the target takes it without a panic.
    #[test]
    fn seed_ticket_opens() {
        let seed = include_bytes!("../../tests/fuzz/seeds/ticket/sealed_state");
        let plain = ticket_keys().open(TICKET_NOW, seed).expect("seed opens");
        ServerSessionState::decode(&plain).expect("seed state decodes");
        ticket(seed);
        ticket(&plain);
        let saved = include_bytes!("../../tests/fuzz/seeds/ticket/saved_session");
        SavedSession::from_bytes(saved).expect("seed saved session reads");
        ticket(saved);
        let state = include_bytes!("../../tests/fuzz/seeds/ticket/plain_state");
        ServerSessionState::decode(state).expect("seed state decodes");
        ticket(state);
        ticket(&[]);
    }
}
