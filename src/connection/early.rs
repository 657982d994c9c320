//! TLS 1.3 early data (0-RTT): sent by a client, read by a server.
//!
//! Early data can be replayed by an attacker (RFC 8446 §8, E.5): the
//! anti-replay store keeps one ClientHello or ticket from carrying it twice,
//! but an application must still treat it as "may have been sent before"
//! (a GET, not a payment). It is sent and read through its own calls so that
//! the application always knows which bytes were early.

use super::{Connection, Session};
use crate::early::EarlyDataStatus;
use crate::error::{Error, Result};

impl Session {
    /// Server: copies accepted 0-RTT data received so far into `out`;
    /// returns how many bytes (0 when none is buffered). Early data is never
    /// returned by the normal receive calls.
    pub fn recv_early_data(&mut self, out: &mut [u8]) -> usize {
        self.engine.early_in_mut().read(out)
    }

    /// Client: sends `data` as 0-RTT early data, queued for
    /// [`write_tls`](Self::write_tls) / [`pending_tls`](Self::pending_tls);
    /// returns how many bytes of it were taken.
    ///
    /// Call it before the handshake starts: it starts it, with a
    /// ClientHello that offers early data when the session to resume (set
    /// with `set_saved_session`, or from the config's session store) is a
    /// TLS 1.3 ticket that allows early data and its cipher suite is still
    /// offered, or when the first external PSK offered allows early data
    /// (`ExternalPsk::set_early_data`). Then, and until the ServerHello is
    /// processed, each call seals up to what the ticket or PSK still allows
    /// (a longer `data` is cut). It returns 0,
    /// sending nothing, when this connection sends no early data: no such
    /// ticket (the ClientHello then carries no `early_data` and
    /// [`early_data_status`](Self::early_data_status) stays
    /// `NotRequested`), the handshake started without it, the allowance is
    /// used up, or the ServerHello already came. Usage error on a server.
    ///
    /// Whether the server took it is known once the handshake completes
    /// ([`early_data_status`](Self::early_data_status): `Accepted` or
    /// `Rejected`); rejected data was dropped by the server, and the
    /// application sends it again as normal data if it still wants to.
    /// Early data can be replayed by an attacker: send only requests that
    /// are safe to repeat.
    pub fn send_early_data(&mut self, data: &[u8]) -> Result<usize> {
        self.engine.send_early_data(data)
    }

    /// What 0-RTT came to on this connection: on a client `Requested` from
    /// the ClientHello that offers it until the server's
    /// EncryptedExtensions answers (`Accepted` or `Rejected`; a
    /// HelloRetryRequest rejects it too).
    pub fn early_data_status(&self) -> EarlyDataStatus {
        self.engine.info().early_data
    }

    /// Server, TLS 1.3: true when it accepted the client's 0-RTT and its own
    /// Finished is out, but the client's Finished is not in yet. Data sealed
    /// now ([`seal_plaintext`](Self::seal_plaintext), "0.5-RTT" data, RFC
    /// 8446 §4.4.4) answers early requests a round trip sooner; it goes to a
    /// client that has proved the PSK, not yet its Finished.
    pub fn may_send_early_response(&self) -> bool {
        self.engine.may_send_half_rtt()
    }

    /// Server: true while more 0-RTT data may still arrive (before the
    /// ClientHello, while its 0-RTT decision waits, and until the client's
    /// EndOfEarlyData after an acceptance).
    pub fn early_data_pending(&self) -> bool {
        self.engine.early_data_pending()
    }
}

impl Connection {
    /// Server, TLS 1.3: sends `data` before the handshake completes, as
    /// "0.5-RTT" data answering accepted early data (see
    /// [`Session::may_send_early_response`]); a Usage error when that is not
    /// allowed now. Returns how much was taken (call again with the rest),
    /// and writes it out.
    pub fn send_early_response(&mut self, data: &[u8]) -> Result<usize> {
        let n = self.session.seal_plaintext(data)?;
        self.flush()?;
        Ok(n)
    }

    /// Client: sends `data` as 0-RTT early data and writes it out; returns
    /// how many bytes of it were taken (see
    /// [`Session::send_early_data`] for when that is fewer, or 0). Call it
    /// before [`negotiate`](Self::negotiate), then negotiate and check
    /// [`Session::early_data_status`]: on `Rejected`, send the data again
    /// with [`send`](Self::send). In non-blocking mode the records that
    /// could not be written yet stay queued and go out with the handshake
    /// (the count returned is still what was taken).
    pub fn send_early_data(&mut self, data: &[u8]) -> Result<usize> {
        let n = match self.session.send_early_data(data) {
            Ok(n) => n,
            Err(e) => {
                // A failure's alert, if any, goes out now.
                let _ = self.flush();
                return Err(e);
            }
        };
        match self.flush() {
            Err(e) if !e.is_blocked() => Err(e),
            _ => Ok(n),
        }
    }

    /// Server: reads 0-RTT data, driving the handshake as far as it needs:
    /// returns the bytes copied into `out`, or `Ok(0)` once no more early
    /// data can come (none was offered, it was refused, or the client's
    /// EndOfEarlyData arrived and everything was read). Call it before
    /// [`negotiate`](Self::negotiate) until it returns 0, then negotiate as
    /// usual. A `Blocked` error in non-blocking mode means: call again.
    pub fn recv_early_data(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() {
            return Err(Error::usage("recv_early_data into an empty buffer"));
        }
        if let Err(e) = self.session.engine.start() {
            return Err(self.fail_flush(e));
        }
        loop {
            if let Some(e) = self.session.engine.error() {
                let e = e.clone();
                let _ = self.flush();
                return Err(e);
            }
            self.flush()?;
            let n = self.session.recv_early_data(out);
            if n > 0 || !self.session.engine.early_data_pending() {
                return Ok(n);
            }
            if self.session.engine.awaits_application() {
                match self.session.engine.process() {
                    Err(e) if e.is_blocked() => return Err(e),
                    Err(e) => return Err(self.fail_flush(e)),
                    Ok(()) => continue,
                }
            }
            if !self.read_and_process()? {
                return Err(Error::closed(
                    "peer closed the connection during the handshake",
                ));
            }
        }
    }
}
