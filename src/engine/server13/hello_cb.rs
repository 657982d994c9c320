//! The ClientHello callback's place in the server handshake: after the
//! first ClientHello is parsed and before anything (version, suite,
//! certificate, PSK) is chosen, so a swapped config decides all of those.
//!
//! An answer given later parks the ClientHello ([`State::AwaitingHello`]);
//! once it is in, the ClientHello is handled from the start, as a parked
//! 0-RTT decision is (`early.rs`), and the callback is not asked again.

use super::{ExpectClientHello, State};
use crate::engine::{Common, Hs};
use crate::error::{AlertDescription, Error, Result};
use crate::hello_callback::{Decision, PendingClientHello};
use crate::msgs::handshake::ClientHello;
use crate::msgs::joiner::RawHandshake;

/// A ClientHello waiting for the callback's answer.
pub(crate) struct PausedHello {
    ch: ClientHello,
    msg: RawHandshake,
    pending: PendingClientHello,
}

/// Runs the config's callback, if any, on the first ClientHello: `Ok(None)`
/// to go on now (with the config it chose), or the parked hello.
pub(super) fn run(
    c: &mut Common,
    ch: ClientHello,
    msg: RawHandshake,
) -> Result<core::result::Result<(ClientHello, RawHandshake), Box<PausedHello>>> {
    let Some(callback) = c.config.inner.client_hello_callback.clone() else {
        return Ok(Ok((ch, msg)));
    };
    let view = crate::ClientHello::from_wire(&msg.encoded, ch.clone())?;
    match callback(&view).into_decision() {
        Ok(decision) => apply(c, decision).map(|()| Ok((ch, msg))),
        Err(pending) => Ok(Err(Box::new(PausedHello { ch, msg, pending }))),
    }
}

/// Carries out an answer.
fn apply(c: &mut Common, decision: Decision) -> Result<()> {
    match decision {
        Decision::Continue => Ok(()),
        Decision::Reject(alert) => {
            // Neither ends a handshake by itself: the client would wait.
            let alert = match alert {
                AlertDescription::CLOSE_NOTIFY | AlertDescription::USER_CANCELED => {
                    AlertDescription::HANDSHAKE_FAILURE
                }
                a => a,
            };
            Err(Error::protocol(
                alert,
                "the ClientHello callback refused the handshake",
            ))
        }
        Decision::Swap(config) => {
            c.swap_config(config);
            Ok(())
        }
    }
}

impl PausedHello {
    /// Goes on once the answer is in; itself while waiting.
    pub(super) fn poll(self: Box<Self>, c: &mut Common) -> Result<Hs> {
        let Some(decision) = self.pending.poll() else {
            return Ok(Hs::Server13(State::AwaitingHello(self)));
        };
        apply(c, decision)?;
        let PausedHello { ch, msg, .. } = *self;
        ExpectClientHello::default().handle_client_hello(c, ch, &msg)
    }
}
