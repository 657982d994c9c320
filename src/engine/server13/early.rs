//! The server's side of 0-RTT (RFC 8446 §4.2.10, §8): whether to accept a
//! client's early data, asking the anti-replay store and the application,
//! either of which may answer later.
//!
//! A decision that waits parks the ClientHello ([`State::AwaitingEarly`]);
//! once the answer is in, the ClientHello is handled again from the start
//! with the verdict given, so no half-built handshake has to be carried
//! across the wait (the work repeated, the PSK's checks, is small next to
//! a round trip to a shared store).

use super::psk::{Accepted, Source};
use super::{ExpectClientHello, HrrSent, State};
use crate::crypto::hash::HashAlg;
use crate::early::{
    AntiReplayMode, Claim, EarlyDataDecision, OfferedEarlyData, PendingClaim, PendingEarlyData,
};
use crate::engine::Common;
use crate::error::Result;
use crate::msgs::extensions::ClientExtensions;
use crate::msgs::handshake::ClientHello;
use crate::msgs::joiner::RawHandshake;
use crate::suites::Tls13Suite;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The outcome of [`decide`].
pub(super) enum Verdict {
    /// Accept, allowing this many bytes.
    Accept(u32),
    Reject,
    /// Ask again once this answers.
    Pending(Waiting),
}

/// What a parked ClientHello waits for.
pub(super) enum Waiting {
    /// The anti-replay store's claim; then the horizon is checked again
    /// against `not_before`, and the application asked.
    Claim {
        pending: PendingClaim,
        not_before: u64,
        max: u32,
        offered: OfferedOwned,
    },
    /// The application's answer.
    App { pending: PendingEarlyData, max: u32 },
}

/// [`OfferedEarlyData`] kept across a wait.
pub(super) struct OfferedOwned {
    identity: Vec<u8>,
    alpn: Option<Vec<u8>>,
    server_name: Option<String>,
    resumption: bool,
}

/// A ClientHello parked until its 0-RTT decision is known.
pub(crate) struct PausedHello {
    pub(super) ch: ClientHello,
    pub(super) msg: RawHandshake,
    pub(super) hrr: Option<HrrSent>,
    pub(super) waiting: Waiting,
}

/// Unix seconds of `t` (0 before the epoch), rounded up.
fn secs_up(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// Whether the client's 0-RTT may be accepted, and how much of it. Called
/// once the PSK is chosen and its binder verified; `alpn` is the protocol
/// this handshake negotiates.
pub(super) fn decide(
    c: &Common,
    exts: &ClientExtensions,
    resume: &Accepted,
    suite: &'static Tls13Suite,
    alpn: Option<&[u8]>,
) -> Verdict {
    let settings = &c.config.inner.early;
    // Only with the first identity (§4.2.10).
    if !exts.early_data || resume.index != 0 || settings.max_size == 0 {
        return Verdict::Reject;
    }
    let Some((store, mode)) = &settings.anti_replay else {
        return Verdict::Reject;
    };
    let now = c.now();
    let (max, key, ttl, not_before, resumption) = match &resume.source {
        Source::Ticket(state) => {
            // The same suite and ALPN protocol as the session that made the ticket.
            if state.max_early_data == 0
                || state.suite != suite.suite
                || state.alpn.as_deref() != alpn
            {
                return Verdict::Reject;
            }
            let max = state.max_early_data.min(settings.max_size);
            let (key, ttl, not_before) = match *mode {
                AntiReplayMode::SingleUseTickets => {
                    // The ticket, for the rest of its life; issued before
                    // the store remembers: unknown whether it was used.
                    let left = (state.issued_at + u64::from(state.lifetime)).saturating_sub(now);
                    (
                        HashAlg::Sha256.hash(&resume.identity).as_bytes().to_vec(),
                        Duration::from_secs(left.max(1)),
                        state.issued_at,
                    )
                }
                AntiReplayMode::RecordClientHellos { window } => {
                    // Sent within the window of now, judged by the ticket age.
                    let skew_secs = c.info.ticket_age_skew.unwrap_or(i64::MAX).saturating_abs();
                    if skew_secs.saturating_mul(1000) as u128 > window.as_millis() {
                        return Verdict::Reject;
                    }
                    // A ClientHello from before the store remembers could
                    // have been recorded and forgotten.
                    let sent_after = now.saturating_sub(window.as_secs() + 1);
                    (resume.binder.clone(), window * 2, sent_after)
                }
            };
            (max, key, ttl, not_before, true)
        }
        Source::External(Some(e)) => {
            // No ticket age to judge freshness by: the binder is recorded
            // for the window, and the application decides the rest (so an
            // external PSK's 0-RTT needs the callback).
            if settings.callback.is_none() || e.suite != suite.suite || e.alpn.as_deref() != alpn {
                return Verdict::Reject;
            }
            let window = match *mode {
                AntiReplayMode::RecordClientHellos { window } => window,
                AntiReplayMode::SingleUseTickets => c.config.inner.resumption.age_window,
            };
            let sent_after = now.saturating_sub(window.as_secs() + 1);
            let max = e.max_size.min(settings.max_size);
            (max, resume.binder.clone(), window * 2, sent_after, false)
        }
        Source::External(None) => return Verdict::Reject,
    };
    if max == 0 {
        return Verdict::Reject;
    }
    if store
        .remembers_since()
        .is_some_and(|t| secs_up(t) > not_before)
    {
        return Verdict::Reject;
    }
    let offered = OfferedOwned {
        identity: resume.identity.clone(),
        alpn: alpn.map(<[u8]>::to_vec),
        server_name: c.info.server_name.clone(),
        resumption,
    };
    match store.claim(&key, ttl) {
        Claim::Fresh => after_claim(c, max, &offered, not_before),
        Claim::Replayed | Claim::Unavailable => Verdict::Reject,
        Claim::Pending(pending) => Verdict::Pending(Waiting::Claim {
            pending,
            not_before,
            max,
            offered,
        }),
    }
}

/// After a fresh claim: the store's horizon once more (it may have moved
/// while the claim was answered), then the application.
fn after_claim(c: &Common, max: u32, o: &OfferedOwned, not_before: u64) -> Verdict {
    let settings = &c.config.inner.early;
    if let Some((store, _)) = &settings.anti_replay {
        if store
            .remembers_since()
            .is_some_and(|t| secs_up(t) > not_before)
        {
            return Verdict::Reject;
        }
    }
    let Some(callback) = &settings.callback else {
        return Verdict::Accept(max);
    };
    let offered = OfferedEarlyData {
        identity: &o.identity,
        max_size: max,
        alpn: o.alpn.as_deref(),
        server_name: o.server_name.as_deref(),
        resumption: o.resumption,
    };
    match callback(&offered) {
        EarlyDataDecision::Accept => Verdict::Accept(max),
        EarlyDataDecision::Reject => Verdict::Reject,
        EarlyDataDecision::Later(pending) => Verdict::Pending(Waiting::App { pending, max }),
    }
}

impl PausedHello {
    /// Goes on once the answer is in: the ClientHello again, with the
    /// verdict; itself while waiting.
    pub(super) fn poll(mut self: Box<Self>, c: &mut Common) -> Result<State> {
        let verdict = match self.waiting {
            Waiting::Claim {
                pending,
                not_before,
                max,
                offered,
            } => match pending.poll() {
                None => {
                    self.waiting = Waiting::Claim {
                        pending,
                        not_before,
                        max,
                        offered,
                    };
                    return Ok(State::AwaitingEarly(self));
                }
                Some(Claim::Fresh) => after_claim(c, max, &offered, not_before),
                Some(_) => Verdict::Reject,
            },
            Waiting::App { pending, max } => match pending.poll() {
                None => {
                    self.waiting = Waiting::App { pending, max };
                    return Ok(State::AwaitingEarly(self));
                }
                Some(true) => Verdict::Accept(max),
                Some(false) => Verdict::Reject,
            },
        };
        let verdict = match verdict {
            Verdict::Accept(max) => Some(max),
            Verdict::Reject => None,
            Verdict::Pending(waiting) => {
                self.waiting = waiting;
                return Ok(State::AwaitingEarly(self));
            }
        };
        let PausedHello { ch, msg, hrr, .. } = *self;
        let s = ExpectClientHello {
            hrr,
            early_verdict: Some(verdict),
        };
        match s.handle_client_hello(c, ch, &msg)? {
            crate::engine::Hs::Server13(state) => Ok(state),
            // Early data only in TLS 1.3, decided after version negotiation.
            _ => Err(crate::error::Error::internal(
                "a parked TLS 1.3 ClientHello came back as another version",
            )),
        }
    }
}
