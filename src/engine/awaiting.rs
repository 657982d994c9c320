//! A handshake that waits for the application: a session cache lookup, a
//! ClientHello callback, a 0-RTT decision, a private-key operation or CRL
//! lookups answered later. Records received meanwhile stay buffered.

use super::{status, Engine, Hs, Phase};
use crate::error::{Blocked, Error, Result};

impl Engine {
    /// This connection's private-key callback, used instead of its config's.
    pub(crate) fn set_private_key_callback(
        &mut self,
        callback: std::sync::Arc<crate::pkey::PrivateKeyCallback>,
    ) {
        self.c.pkey_callback = Some(callback);
    }

    /// True while the handshake waits for the application (a session cache
    /// lookup, a ClientHello callback, a private-key operation or CRL
    /// lookups that answer later): received records stay buffered,
    /// unprocessed, until the answer comes.
    pub(crate) fn awaits_application(&self) -> bool {
        match &self.phase {
            Phase::Handshaking(Hs::Server12(s)) => {
                s.is_awaiting_lookup() || s.is_awaiting_sign() || status::crl_waiting(&self.c)
            }
            Phase::Handshaking(Hs::Server13(s)) => {
                s.is_awaiting_early() || s.is_awaiting_sign() || status::crl_waiting(&self.c)
            }
            Phase::Handshaking(Hs::Client13(s)) => {
                s.is_awaiting_sign() || status::crl_waiting(&self.c)
            }
            Phase::Handshaking(Hs::Client12(s)) => {
                s.is_awaiting_sign() || status::crl_waiting(&self.c)
            }
            _ => false,
        }
    }

    /// Server: true while 0-RTT may still arrive: before the ClientHello,
    /// while its 0-RTT decision waits, and from an acceptance until the
    /// client's EndOfEarlyData.
    pub(crate) fn early_data_pending(&self) -> bool {
        match &self.phase {
            Phase::Handshaking(Hs::Server13(s)) => s.early_data_pending(),
            _ => false,
        }
    }

    /// Goes on with a handshake that waited for the application once the
    /// answer is there; a `Blocked::OnApplicationInput` error (not fatal)
    /// while it is not.
    pub(super) fn resume_awaiting(&mut self) -> Result<()> {
        if !self.awaits_application() {
            return Ok(());
        }
        match std::mem::replace(&mut self.phase, Phase::Traffic) {
            Phase::Handshaking(Hs::Server12(s)) => match s.poll_lookup(&mut self.c) {
                Ok(next) => self.phase = Phase::Handshaking(Hs::Server12(next)),
                Err(e) => return Err(self.fail_at(e, false)),
            },
            Phase::Handshaking(Hs::Server13(s)) => match s.poll_early(&mut self.c) {
                Ok(next) => self.phase = Phase::Handshaking(next),
                Err(e) => return Err(self.fail_at(e, false)),
            },
            Phase::Handshaking(Hs::Client13(s)) => match s.poll_sign(&mut self.c) {
                Ok(next) => self.phase = Phase::handshaking_or_done(Hs::Client13(next)),
                Err(e) => return Err(self.fail_at(e, false)),
            },
            Phase::Handshaking(Hs::Client12(s)) => match s.poll_sign(&mut self.c) {
                Ok(next) => self.phase = Phase::handshaking_or_done(Hs::Client12(next)),
                Err(e) => return Err(self.fail_at(e, false)),
            },
            other => self.phase = other,
        }
        let held = status::release_crl_hold(&mut self.c);
        if self.awaits_application() {
            return Err(Error::blocked(Blocked::OnApplicationInput));
        }
        if held {
            // The messages held back while the CRL lookups ran.
            self.process_handshake_messages()?;
        }
        Ok(())
    }
}
