//! Where a connection is in its life: handshaking, carrying traffic, or failed.

use super::{client12, client13, server12, server13};
use crate::error::Error;

/// The handshake in progress; a TLS 1.3 state hands over to the TLS 1.2
/// machine when the peer's hello picks TLS 1.2.
pub(crate) enum Hs {
    Client13(client13::State),
    Client12(client12::State),
    Server13(server13::State),
    Server12(server12::State),
}

impl Hs {
    pub(super) fn is_done(&self) -> bool {
        matches!(
            self,
            Hs::Client13(client13::State::Done)
                | Hs::Client12(client12::State::Done)
                | Hs::Server13(server13::State::Done)
                | Hs::Server12(server12::State::Done)
        )
    }
}

/// The connection's phase.
///
/// Transitions: `Handshaking` (a client that has not started yet is in
/// `Client13(Start)`) → `Traffic` when the handshake state machine reaches
/// its end; either → `Failed` on the first fatal error. `Failed` is final:
/// every later call answers with its error, and its alert was queued once,
/// on the way in.
pub(crate) enum Phase {
    /// The handshake state machine runs.
    Handshaking(Hs),
    /// The handshake completed; post-handshake messages are handled by the engine.
    Traffic,
    /// The first fatal error; `handshake_complete` says whether it came after
    /// the handshake (what [`is_handshake_complete`](Self::is_handshake_complete)
    /// keeps answering).
    Failed {
        error: Error,
        handshake_complete: bool,
    },
}

impl Phase {
    /// `Traffic` once the state machine reached its end, else `Handshaking`.
    pub(super) fn handshaking_or_done(hs: Hs) -> Self {
        if hs.is_done() {
            Phase::Traffic
        } else {
            Phase::Handshaking(hs)
        }
    }
}

impl Phase {
    /// The handshake state machine still runs (not failed).
    pub(crate) fn is_handshaking(&self) -> bool {
        matches!(self, Phase::Handshaking(_))
    }

    /// The handshake completed, whether or not the connection failed later.
    pub(crate) fn is_handshake_complete(&self) -> bool {
        matches!(
            self,
            Phase::Traffic
                | Phase::Failed {
                    handshake_complete: true,
                    ..
                }
        )
    }

    /// The error the connection failed with.
    pub(crate) fn error(&self) -> Option<&Error> {
        match self {
            Phase::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}
