//! The server's ClientHello callback (s2n's client hello callback): the
//! application looks at each handshake's [`ClientHello`](crate::ClientHello)
//! before the server chooses anything, and goes on, refuses, or hands the
//! rest of the handshake to another [`Config`] (a tenant's certificates,
//! policy, trust store), now or later from any thread.
//!
//! Set it with
//! [`ConfigBuilder::set_client_hello_callback`](crate::ConfigBuilder::set_client_hello_callback).
//! It runs once per handshake, on the first ClientHello: not again on the
//! second ClientHello after a HelloRetryRequest (that one may change only
//! what the retry asked for, RFC 8446 §4.1.2, and the config already
//! chosen stays), nor when a handshake parked for the session cache or a
//! 0-RTT decision is taken up again.

use crate::config::Config;
use crate::error::AlertDescription;

/// A server's ClientHello callback; see the [module](self) documentation.
pub type ClientHelloCallback = dyn Fn(&crate::ClientHello) -> ClientHelloAction + Send + Sync;

/// What the handshake does after the callback.
#[derive(Debug)]
pub enum ClientHelloAction {
    /// Go on with the connection's config.
    Continue,
    /// Fail the handshake with this fatal alert (the handshake's error is
    /// of kind [`Protocol`](crate::ErrorKind::Protocol) and its
    /// [`sent_alert`](crate::Error::sent_alert) is this alert;
    /// `close_notify` and `user_canceled`, which end nothing by themselves,
    /// become `handshake_failure`).
    Reject(AlertDescription),
    /// Go on with this config instead: see [`ConfigBuilder::set_client_hello_callback`](crate::ConfigBuilder::set_client_hello_callback)
    /// for what it governs.
    SwapConfig(Config),
    /// Answer later through the paired [`ClientHelloAnswer`]: the handshake
    /// returns [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
    /// until then (s2n's non-blocking callback mode).
    Later(PendingClientHello),
}

/// The answer itself, kept in the slot until the handshake takes it.
#[derive(Clone)]
pub(crate) enum Decision {
    Continue,
    Reject(AlertDescription),
    Swap(Config),
}

impl ClientHelloAction {
    /// The decision, or the pending answer to wait for.
    pub(crate) fn into_decision(self) -> Result<Decision, PendingClientHello> {
        match self {
            ClientHelloAction::Continue => Ok(Decision::Continue),
            ClientHelloAction::Reject(a) => Ok(Decision::Reject(a)),
            ClientHelloAction::SwapConfig(c) => Ok(Decision::Swap(c)),
            ClientHelloAction::Later(p) => Err(p),
        }
    }
}

/// The handshake's half of an answer given later.
pub struct PendingClientHello {
    slot: crate::oneshot::Slot<Decision>,
}

/// The application's half: answer once, from any thread. Dropping it
/// unanswered fails the handshake with an `internal_error` alert (the
/// server lost track of it; going on unchecked could serve the wrong
/// tenant).
pub struct ClientHelloAnswer {
    answer: crate::oneshot::Answer<Decision>,
}

impl PendingClientHello {
    /// A pending answer and the handle that gives it.
    pub fn new() -> (PendingClientHello, ClientHelloAnswer) {
        Self::make(None)
    }

    /// As [`new`](Self::new), and `wake` is called once when the answer is
    /// given (or the handle dropped), so an event loop drives the handshake
    /// again.
    pub fn with_waker(
        wake: impl FnOnce() + Send + 'static,
    ) -> (PendingClientHello, ClientHelloAnswer) {
        Self::make(Some(Box::new(wake)))
    }

    fn make(waker: Option<crate::oneshot::Waker>) -> (PendingClientHello, ClientHelloAnswer) {
        let fallback = Decision::Reject(AlertDescription::INTERNAL_ERROR);
        let (slot, answer) = crate::oneshot::pair(waker, fallback);
        (PendingClientHello { slot }, ClientHelloAnswer { answer })
    }

    /// `None` while unanswered.
    pub(crate) fn poll(&self) -> Option<Decision> {
        self.slot.poll()
    }
}

impl ClientHelloAnswer {
    /// Goes on with the connection's config.
    pub fn proceed(mut self) {
        self.answer.give(Decision::Continue);
    }

    /// Fails the handshake with `alert` (as [`ClientHelloAction::Reject`]).
    pub fn reject(mut self, alert: AlertDescription) {
        self.answer.give(Decision::Reject(alert));
    }

    /// Goes on with `config` (as [`ClientHelloAction::SwapConfig`]).
    pub fn swap_config(mut self, config: Config) {
        self.answer.give(Decision::Swap(config));
    }
}

impl core::fmt::Debug for PendingClientHello {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingClientHello")
            .field("answered", &self.slot.is_answered())
            .finish()
    }
}

impl core::fmt::Debug for ClientHelloAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientHelloAnswer")
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}
