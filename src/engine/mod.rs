//! The sans-IO protocol engine: bytes in, bytes out, no sockets, no threads.
//!
//! `Engine` owns the record layer state and the handshake state machine; the
//! drivers in `connection.rs` move bytes between it and a transport.
//!
//! Its state is one [`Phase`] (handshaking, traffic, failed)
//! and one state per direction (`direction`: who seals our records, who opens
//! the peer's, and each side's close_notify). A received record is opened by
//! Baton (`open_records`) or by the kernel (`kernel`), then handled by one
//! dispatcher either way. Code outside this module changes these states only
//! through intention-named methods (`move_to_kernel`, `abandon`, ...).

mod awaiting;
mod checks;
pub(crate) mod client12;
pub(crate) mod client13;
mod client_auth;
mod common;
mod direction;
mod kernel;
mod limits;
mod phase;
mod resume;
pub(crate) mod server12;
pub(crate) mod server13;
mod status;

pub(crate) use checks::{require_boundary, unexpected, verify_finished};
pub(crate) use common::{Common, Exporter};
pub(crate) use direction::{KernelOp, KeyPhase};
use limits::{SkipEarlyData, TamperCounters};
pub(crate) use phase::Hs;
use phase::Phase;

use crate::config::{Config, RenegotiationRefusal};
use crate::error::{AlertDescription, Blocked, Error, Result};
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::msgs::extensions::TicketExtensions;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::msgs::joiner::{HandshakeJoiner, RawHandshake};
use crate::record::deframer::Deframer;

/// Which end of the connection this is. (Exhaustive: TLS has two ends.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Initiates the handshake.
    Client,
    /// Answers it.
    Server,
}

/// One TLS connection's protocol state.
pub(crate) struct Engine {
    /// Private to the engine: code outside it asks through methods.
    c: Common,
    phase: Phase,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    app_in: Vec<u8>,
    app_pos: usize,
    /// Records that cost work without progress, from either receive path.
    limits: TamperCounters,
    /// An alert the kernel returned in pieces (kTLS receive with a tiny buffer).
    alert_partial: Vec<u8>,
}

/// The most PSKs one connection adds to its config's.
const MAX_CONNECTION_PSKS: usize = 64;

impl Engine {
    pub(crate) fn new(config: Config, mode: Mode) -> Self {
        let hs = match mode {
            Mode::Client => Hs::Client13(client13::State::Start),
            Mode::Server => Hs::Server13(server13::State::ExpectClientHello(Default::default())),
        };
        Self {
            c: Common::new(config, mode),
            phase: Phase::Handshaking(hs),
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
            app_in: Vec::new(),
            app_pos: 0,
            limits: TamperCounters::default(),
            alert_partial: Vec::new(),
        }
    }

    /// Client or server.
    pub(crate) fn mode(&self) -> Mode {
        self.c.mode
    }

    /// What was negotiated so far.
    pub(crate) fn early_in_mut(&mut self) -> &mut common::EarlyIn {
        &mut self.c.early_in
    }

    pub(crate) fn info(&self) -> &common::Info {
        &self.c.info
    }

    /// The exporter's input, once the handshake reached it.
    pub(crate) fn exporter(&self) -> Option<&Exporter> {
        self.c.exporter.as_ref()
    }

    /// Client: the name to send as SNI and check the certificate against.
    pub(crate) fn set_server_name(&mut self, name: String) {
        self.c.info.server_name = Some(name);
    }

    /// Client: the session to offer (before the handshake starts).
    /// Adds an external PSK to this connection, before the handshake.
    pub(crate) fn add_psk(&mut self, psk: crate::psk::ExternalPsk) -> Result<()> {
        let started = match &self.phase {
            Phase::Handshaking(Hs::Client13(client13::State::Start)) => false,
            Phase::Handshaking(Hs::Server13(s)) => !s.is_start(),
            _ => true,
        };
        if started {
            return Err(Error::usage("add_psk before the handshake starts"));
        }
        if self.c.resumption.psks.len() >= MAX_CONNECTION_PSKS {
            return Err(Error::usage("too many PSKs on one connection"));
        }
        self.c.resumption.psks.push(psk);
        Ok(())
    }

    pub(crate) fn set_resumption_offer(
        &mut self,
        s: crate::resumption::SavedSession,
    ) -> Result<()> {
        if self.c.mode != Mode::Client {
            return Err(Error::usage("set_saved_session is for clients"));
        }
        if !matches!(
            self.phase,
            Phase::Handshaking(Hs::Client13(client13::State::Start))
        ) {
            return Err(Error::usage(
                "set_saved_session before the handshake starts",
            ));
        }
        self.c.resumption.offer = Some(s);
        Ok(())
    }

    /// Client: the newest session received, to resume later.
    pub(crate) fn received_session(&self) -> Option<&crate::resumption::SavedSession> {
        self.c.resumption.received.as_ref()
    }

    /// Server: sends `n` more TLS 1.3 tickets than the config says.
    pub(crate) fn add_tickets_to_send(&mut self, n: u8) -> Result<()> {
        if self.c.mode != Mode::Server {
            return Err(Error::usage("tickets are sent by servers"));
        }
        self.check_failed()?;
        if self.phase.is_handshake_complete() {
            // Tickets derive from the handshake's resumption secret, kept
            // only when this connection may get tickets (TLS 1.3, tickets on).
            if self.c.resumption.ticket_base.is_none() {
                return Err(Error::usage(
                    "this connection issues no tickets (TLS 1.2, tickets off, or the client named no PSK mode)",
                ));
            }
            return server13::send_tickets(&mut self.c, n).map_err(|e| self.fail(e));
        }
        self.c.resumption.extra_tickets = self.c.resumption.extra_tickets.saturating_add(n);
        Ok(())
    }

    /// This connection's ALPN preferences, instead of the config's.
    pub(crate) fn set_alpn_preferences(&mut self, protocols: Vec<Vec<u8>>) {
        self.c.alpn_override = Some(protocols);
    }

    pub(crate) fn is_handshake_complete(&self) -> bool {
        self.phase.is_handshake_complete()
    }

    /// TLS 1.3 server: its Finished is sent, the client's is not in yet, and
    /// the client's 0-RTT was accepted: data sealed now goes out under the
    /// application key (RFC 8446 §4.4.4's "0.5-RTT" data), answering early
    /// requests a round trip sooner.
    pub(crate) fn may_send_half_rtt(&self) -> bool {
        matches!(&self.phase, Phase::Handshaking(Hs::Server13(s)) if s.after_server_finished())
            && self.c.info.early_data == crate::early::EarlyDataStatus::Accepted
            && self.c.send.state.app_keys()
    }

    pub(crate) fn error(&self) -> Option<&Error> {
        self.phase.error()
    }

    pub(crate) fn received_close_notify(&self) -> bool {
        self.c.recv.close_notify_received
    }

    /// Starts the handshake (the client's first flight). Idempotent.
    pub(crate) fn start(&mut self) -> Result<()> {
        self.check_failed()?;
        // Only a client that has not started yet is in `Start`.
        if let Phase::Handshaking(Hs::Client13(client13::State::Start)) = self.phase {
            let r = client13::start(&mut self.c);
            match r {
                Ok(s) => self.phase = Phase::Handshaking(Hs::Client13(s)),
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(())
    }

    /// Client: offers 0-RTT if the handshake has not started (starting it),
    /// then seals what the ticket still allows of `data` under the early
    /// key; returns how many bytes (0 when no early data goes out on this
    /// connection, or the ServerHello already came). Usage error on a server.
    pub(crate) fn send_early_data(&mut self, data: &[u8]) -> Result<usize> {
        if self.c.mode != Mode::Client {
            return Err(Error::usage("send_early_data is for clients"));
        }
        self.check_failed()?;
        if let Phase::Handshaking(Hs::Client13(client13::State::Start)) = self.phase {
            self.c.resumption.want_early_data = true;
            self.start()?;
        }
        let r = match &mut self.phase {
            Phase::Handshaking(Hs::Client13(s)) => s.send_early(&mut self.c, data),
            _ => Ok(0),
        };
        r.map_err(|e| self.fail(e))
    }

    fn check_failed(&self) -> Result<()> {
        match self.phase.error() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Records the first fatal error and queues its alert (once).
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        let handshake_complete = self.phase.is_handshake_complete();
        self.fail_at(e, handshake_complete)
    }

    /// [`fail`](Self::fail), saying whether the handshake had completed (the
    /// phase may be in transit while a handshake message is handled).
    fn fail_at(&mut self, e: Error, handshake_complete: bool) -> Error {
        if let Some(first) = self.phase.error() {
            return first.clone();
        }
        if let Some(alert) = e.sent_alert() {
            self.c.queue_alert(alert);
        }
        self.phase = Phase::Failed {
            error: e.clone(),
            handshake_complete,
        };
        e
    }

    // ---- inbound ----

    /// Where to read transport bytes into (at most `limit` bytes).
    pub(crate) fn read_space(&mut self, limit: usize) -> &mut [u8] {
        self.deframer.space(limit)
    }

    pub(crate) fn commit_read(&mut self, n: usize) {
        self.deframer.commit(n);
    }

    /// Bytes needed to complete the next record (for record-exact reads).
    pub(crate) fn bytes_needed(&self) -> usize {
        self.deframer.bytes_needed()
    }

    /// Processes every complete buffered record.
    pub(crate) fn process(&mut self) -> Result<()> {
        self.process_into(&mut []).map(|_| ())
    }

    /// Like [`process`](Self::process), but application data goes straight
    /// into `dst` while nothing older is queued and each whole record fits
    /// (one copy fewer than through the queue); returns the bytes put there.
    /// The rest is queued for `read_app` as usual, so order is kept.
    pub(crate) fn process_into(&mut self, dst: &mut [u8]) -> Result<usize> {
        self.check_failed()?;
        let mut written = 0;
        match self.process_records(dst, &mut written) {
            Ok(()) => Ok(written),
            // Waiting for the application is no failure: call again later.
            Err(e) if e.is_blocked() => Err(e),
            // Data already in `dst` arrived before the failure: hand it over;
            // the error comes again with the next call.
            Err(e) => {
                let e = self.fail(e);
                if written > 0 {
                    Ok(written)
                } else {
                    Err(e)
                }
            }
        }
    }

    fn process_records(&mut self, dst: &mut [u8], written: &mut usize) -> Result<()> {
        self.resume_awaiting()?;
        // Each record borrows the deframer's buffer while the whole engine
        // handles it; nothing in record handling touches the deframer, so it
        // is lent out for the loop (an empty one allocates nothing).
        let mut deframer = std::mem::replace(&mut self.deframer, Deframer::new());
        let r = self.open_records(&mut deframer, dst, written);
        self.deframer = deframer;
        r
    }

    /// The userspace receive path: opens each complete record with Baton's
    /// key and hands its plaintext to [`dispatch`](Self::dispatch).
    fn open_records(
        &mut self,
        deframer: &mut Deframer,
        dst: &mut [u8],
        written: &mut usize,
    ) -> Result<()> {
        loop {
            if self.c.recv.close_notify_received {
                // Anything after close_notify is ignored (RFC 8446 §6.1).
                return Ok(());
            }
            if self.awaits_application() {
                return Err(Error::blocked(Blocked::OnApplicationInput));
            }
            let Some(rec) = deframer.next_record()? else {
                return Ok(());
            };
            let handshaking = self.phase.is_handshaking();
            let tls12 = self.c.is_tls12();
            // Once TLS 1.2 is negotiated its records say so (the kernel's
            // receive path checks the same); TLS 1.3's legacy_record_version
            // is ignored (RFC 8446 §5.1).
            if tls12 && rec.header.version != ProtocolVersion::TLSV1_2 {
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    format!("TLS 1.2 record with version {:?}", rec.header.version),
                ));
            }
            let rec_len = 5 + rec.payload.len();
            let (typ, data): (ContentType, &[u8]) = match (
                rec.header.typ,
                self.c.recv.state.decrypter_mut(),
            ) {
                (ContentType::CHANGE_CIPHER_SPEC, _) if tls12 => {
                    // TLS 1.2: the peer's next records use the new key. Allowed once per
                    // handshake, right where the state machine prepared that key, and never
                    // inside a handshake message.
                    if !handshaking || rec.payload != [1] || !self.joiner.is_empty() {
                        return Err(Error::protocol(
                            AlertDescription::UNEXPECTED_MESSAGE,
                            "unexpected change_cipher_spec record",
                        ));
                    }
                    self.limits.change_cipher_spec()?;
                    self.c.activate_pending_read()?;
                    continue;
                }
                (ContentType::CHANGE_CIPHER_SPEC, _) => {
                    // Middlebox compatibility (RFC 8446 §5): one CCS with body 0x01, only during
                    // the handshake and after the first ClientHello, and never in the middle of a
                    // handshake message.
                    let before_hello = matches!(&self.phase, Phase::Handshaking(Hs::Server13(s)) if s.before_first_hello());
                    let before_hello =
                        before_hello || tls12_client_before_hello(&self.phase, &self.c.config);
                    if !handshaking || before_hello || rec.payload != [1] || !self.joiner.is_empty()
                    {
                        return Err(Error::protocol(
                            AlertDescription::UNEXPECTED_MESSAGE,
                            "unexpected change_cipher_spec record",
                        ));
                    }
                    self.limits.change_cipher_spec()?;
                    continue;
                }
                (ContentType::APPLICATION_DATA, Some(dec)) => {
                    match dec.open(&rec.header_bytes, rec.payload) {
                        Ok((t, range)) => {
                            // The client's second flight began: nothing more is skipped.
                            self.c.skip_early_data = None;
                            (t, &rec.payload[range])
                        }
                        // Rejected 0-RTT under a key we never had (RFC 8446 §4.2.10).
                        Err(e)
                            if e.sent_alert() == Some(AlertDescription::BAD_RECORD_MAC)
                                && skip_early(&mut self.c.skip_early_data, true, rec_len) =>
                        {
                            continue
                        }
                        Err(e) => return Err(e),
                    }
                }
                (ContentType::APPLICATION_DATA, None)
                    if skip_early(&mut self.c.skip_early_data, false, rec_len) =>
                {
                    continue;
                }
                // TLS 1.2 protects every record type under the same outer type.
                (ContentType::HANDSHAKE | ContentType::ALERT, Some(dec)) if tls12 => {
                    let (t, range) = dec.open(&rec.header_bytes, rec.payload)?;
                    (t, &rec.payload[range])
                }
                (ContentType::ALERT, _) if handshaking => {
                    // A peer that failed before deriving keys alerts in plaintext.
                    (ContentType::ALERT, rec.plaintext()?)
                }
                (ContentType::HANDSHAKE, None) => (ContentType::HANDSHAKE, rec.plaintext()?),
                (ContentType::ALERT, None) => (ContentType::ALERT, rec.plaintext()?),
                (t, _) => {
                    return Err(Error::protocol(
                        AlertDescription::UNEXPECTED_MESSAGE,
                        format!("unexpected {t} record in this state"),
                    ));
                }
            };
            self.dispatch(typ, data, dst, written)?;
        }
    }

    /// One plaintext record, whichever path opened it (Baton's record layer
    /// or the kernel): the limits, then application data into `dst` while
    /// nothing older is queued and it fits (else into the queue), or a
    /// handshake or alert record to [`handle_control`](Self::handle_control).
    fn dispatch(
        &mut self,
        typ: ContentType,
        data: &[u8],
        dst: &mut [u8],
        written: &mut usize,
    ) -> Result<()> {
        if data.is_empty() {
            if typ != ContentType::APPLICATION_DATA {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("empty {typ} record"),
                ));
            }
            // Empty application data is still application data: not before
            // the handshake finished (or in accepted 0-RTT).
            let allowed = self.c.recv.state.app_keys() || self.c.recv.state.early_keys();
            check_app_data_allowed(allowed, &self.joiner)?;
            return self.limits.empty_record();
        }
        if typ != ContentType::ALERT {
            self.limits.non_empty_record();
        }
        if typ != ContentType::APPLICATION_DATA {
            return self.handle_control(typ, data);
        }
        if self.c.recv.state.early_keys() {
            // Accepted 0-RTT: kept apart, for `recv_early_data`.
            if !self.joiner.is_empty() {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "early data inside a handshake message",
                ));
            }
            return self.c.early_in.push(data);
        }
        check_app_data_allowed(self.c.recv.state.app_keys(), &self.joiner)?;
        self.limits.application_data();
        let queue_empty = self.app_pos == self.app_in.len();
        match dst.get_mut(*written..*written + data.len()) {
            Some(d) if queue_empty => {
                d.copy_from_slice(data);
                *written += data.len();
            }
            _ => append_app(&mut self.app_in, &mut self.app_pos, data),
        }
        Ok(())
    }

    /// A decrypted handshake or alert record.
    fn handle_control(&mut self, typ: ContentType, data: &[u8]) -> Result<()> {
        match typ {
            ContentType::HANDSHAKE => {
                self.joiner.push(data)?;
                self.process_handshake_messages()
            }
            // Both receive paths come here: a handshake message must not be
            // interleaved with other record types (RFC 8446 §5.1).
            ContentType::ALERT if !self.joiner.is_empty() => Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "alert inside a handshake message",
            )),
            ContentType::ALERT => {
                let (level, desc) = match data {
                    [l, d] => (*l, *d),
                    _ => {
                        return Err(Error::protocol(
                            AlertDescription::DECODE_ERROR,
                            "malformed alert",
                        ))
                    }
                };
                self.handle_alert(level, AlertDescription(desc))
            }
            t => Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("unexpected inner content type {t}"),
            )),
        }
    }

    /// True once close_notify was queued.
    pub(crate) fn sent_close_notify(&self) -> bool {
        self.c.send.close_notify_sent
    }

    /// True once TLS 1.2 was negotiated.
    pub(crate) fn is_tls12(&self) -> bool {
        self.c.is_tls12()
    }

    fn handle_alert(&mut self, level: u8, desc: AlertDescription) -> Result<()> {
        if level != 1 && level != 2 {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                "unknown alert level",
            ));
        }
        if desc == AlertDescription::CLOSE_NOTIFY {
            if self.phase.is_handshaking() {
                return Err(Error::closed("peer sent close_notify during the handshake"));
            }
            self.c.recv.close_notify_received = true;
            return Ok(());
        }
        // Before the version is known (a TLS 1.2 server may warn
        // unrecognized_name ahead of its ServerHello, RFC 6066 §3) a warning
        // is read as TLS 1.2 reads it.
        let tls12_rules = self.c.is_tls12() || self.c.info.version.is_none();
        if level == 1 && (desc == AlertDescription::USER_CANCELED || tls12_rules) {
            // TLS 1.3: user_canceled is followed by close_notify. TLS 1.2: warnings
            // (no_renegotiation and the like) leave the connection up (RFC 5246 §7.2).
            // Either way only a few are tolerated, so a peer cannot spin us with them.
            return self.limits.warning_alert();
        }
        // TLS 1.3: every other alert is fatal whatever its level (RFC 8446 §6.2).
        Err(Error::peer_alert(desc))
    }

    fn process_handshake_messages(&mut self) -> Result<()> {
        // CRL lookups unanswered: the rest waits in the joiner
        // (`resume_awaiting` goes on with it).
        while !status::hold_for_crls(&mut self.c) {
            let Some(msg) = self.joiner.pop()? else {
                break;
            };
            let boundary = self.joiner.is_empty();
            // The state machine consumes its state; `Traffic` stands in only
            // while it runs (it sees `Common`, never the phase).
            let hs = match std::mem::replace(&mut self.phase, Phase::Traffic) {
                Phase::Handshaking(hs) => hs,
                other => {
                    self.phase = other;
                    if self.c.is_tls12() {
                        self.post_handshake12(msg)?;
                    } else {
                        self.post_handshake(msg, boundary)?;
                    }
                    continue;
                }
            };
            let c = &mut self.c;
            let next = match hs {
                Hs::Client13(s) => s.handle(c, msg, boundary),
                Hs::Client12(s) => s.handle(c, msg, boundary).map(Hs::Client12),
                Hs::Server13(s) => s.handle(c, msg, boundary),
                Hs::Server12(s) => s.handle(c, msg, boundary).map(Hs::Server12),
            };
            match next {
                Ok(next) if next.is_done() => self.phase = Phase::Traffic,
                Ok(next) => self.phase = Phase::Handshaking(next),
                // Failed during the handshake, whatever stands in for it now.
                Err(e) => return Err(self.fail_at(e, false)),
            }
        }
        Ok(())
    }

    /// TLS 1.2 after the handshake: the only legal messages start a renegotiation,
    /// which Baton refuses (RFC 5746 makes that safe).
    fn post_handshake12(&mut self, msg: RawHandshake) -> Result<()> {
        let parsed = HandshakeMessage::read_tls12(msg.typ, msg.body())?;
        let asks_renegotiation = matches!(
            (&parsed.payload, self.c.mode),
            (HandshakePayload::HelloRequest, Mode::Client)
                | (HandshakePayload::ClientHello(_), Mode::Server)
        );
        if !asks_renegotiation {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("unexpected {:?} after the TLS 1.2 handshake", msg.typ),
            ));
        }
        match self.c.config.inner.renegotiation {
            RenegotiationRefusal::Warning => {
                self.limits.renegotiation_request()?;
                self.c.queue_warning(AlertDescription::NO_RENEGOTIATION);
                Ok(())
            }
            RenegotiationRefusal::Fatal => Err(Error::protocol(
                AlertDescription::NO_RENEGOTIATION,
                "peer asked for renegotiation, which is refused",
            )),
        }
    }

    fn post_handshake(&mut self, msg: RawHandshake, boundary: bool) -> Result<()> {
        let parsed = HandshakeMessage::read_tls13(msg.typ, msg.body())?;
        match parsed.payload {
            HandshakePayload::NewSessionTicket13(nst) if self.c.mode == Mode::Client => {
                let exts = TicketExtensions::parse(&nst.extensions)?;
                let max_early = exts.max_early_data_size.unwrap_or(0);
                if let Some(s) = client13::session_from_ticket(&self.c, &nst, max_early)? {
                    self.c.session_received(s);
                }
                Ok(())
            }
            HandshakePayload::KeyUpdate { update_requested } => {
                require_boundary(boundary, "KeyUpdate")?;
                self.limits.key_update()?;
                self.c.update_read_key()?;
                if update_requested && !self.c.send.close_notify_sent {
                    self.c.answer_key_update_request()?;
                }
                Ok(())
            }
            _ => Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("unexpected post-handshake {:?}", msg.typ),
            )),
        }
    }

    // ---- application data ----

    /// Decrypted application bytes waiting for `read_app`.
    pub(crate) fn app_available(&self) -> usize {
        self.app_in.len() - self.app_pos
    }

    pub(crate) fn read_app(&mut self, buf: &mut [u8]) -> usize {
        let avail = &self.app_in[self.app_pos..];
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.app_pos += n;
        if self.app_pos == self.app_in.len() {
            self.app_in.clear();
            self.app_pos = 0;
        }
        n
    }

    /// Seals `data` (≤ 2^14 bytes) as one application data record into the output.
    pub(crate) fn write_app_record(&mut self, data: &[u8]) -> Result<()> {
        self.check_failed()?;
        if (self.phase.is_handshaking() && !self.may_send_half_rtt())
            || !self.c.send.state.app_keys()
        {
            return Err(Error::usage("send before the handshake completed"));
        }
        if self.c.send.close_notify_sent {
            return Err(Error::closed(
                "close_notify already sent; no more data can be sent",
            ));
        }
        match self.c.seal_app(data) {
            Ok(()) => Ok(()),
            // A TLS 1.2 key at its limit: close_notify went out; reading goes on.
            Err(e) if e.kind() == crate::ErrorKind::Closed => {
                self.c.send.close_notify_sent = true;
                Err(e)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Sends a KeyUpdate now (for tests and for callers that rotate keys on a schedule).
    pub(crate) fn key_update(&mut self, request_peer: bool) -> Result<()> {
        self.check_failed()?;
        if self.phase.is_handshaking() {
            return Err(Error::usage("key update before the handshake completed"));
        }
        self.c
            .send_key_update(request_peer)
            .map_err(|e| self.fail(e))
    }

    /// Queues close_notify (once).
    pub(crate) fn send_close_notify(&mut self) {
        if !self.c.send.close_notify_sent {
            self.c.send.close_notify_sent = true;
            self.c.queue_alert(AlertDescription::CLOSE_NOTIFY);
        }
    }

    /// Frees the record and application data buffers when none of them holds
    /// anything (s2n's `s2n_connection_release_buffers`); they are allocated
    /// again when next needed. Refuses with a Usage error, touching nothing,
    /// while bytes wait in either direction.
    pub(crate) fn release_buffers(&mut self) -> Result<()> {
        if !self.c.pending_output().is_empty() || self.c.kernel_ops_queued() {
            return Err(Error::usage(
                "release_buffers: records are still queued for sending (flush first)",
            ));
        }
        if self.deframer.buffered() > 0 || !self.joiner.is_empty() || !self.alert_partial.is_empty()
        {
            return Err(Error::usage(
                "release_buffers: received bytes are buffered (part of a record or message)",
            ));
        }
        if self.app_available() > 0 {
            return Err(Error::usage(
                "release_buffers: decrypted application data has not been read yet",
            ));
        }
        // Both are empty (checked above), so both release.
        let out = self.c.release_output();
        let inb = self.deframer.release();
        debug_assert!(out && inb, "checked empty above");
        self.app_in = Vec::new();
        self.app_pos = 0;
        self.alert_partial = Vec::new();
        Ok(())
    }

    // ---- outbound ----

    pub(crate) fn pending_output(&self) -> &[u8] {
        self.c.pending_output()
    }

    pub(crate) fn consume_output(&mut self, n: usize) {
        self.c.consume_output(n)
    }

    pub(crate) fn take_output(&mut self, dst: &mut Vec<u8>) {
        self.c.take_output(dst)
    }

    pub(crate) fn recycle_output(&mut self, buf: Vec<u8>) {
        self.c.recycle_output(buf)
    }
}

/// Queues decrypted application data, reusing the buffer once it was all read.
fn append_app(app_in: &mut Vec<u8>, app_pos: &mut usize, data: &[u8]) {
    if *app_pos == app_in.len() {
        app_in.clear();
        *app_pos = 0;
    }
    app_in.extend_from_slice(data);
}

/// Whether a record of `len` bytes is rejected 0-RTT to drop: `failed_to_open`
/// under the handshake key after the ServerHello, or any protected record after a
/// HelloRetryRequest. Takes it from the skip budget; once that is spent the
/// record is handled (and fails) like any other.
fn skip_early(skip: &mut Option<SkipEarlyData>, failed_to_open: bool, len: usize) -> bool {
    match skip {
        Some(s @ SkipEarlyData::TrialDecryption { .. }) if failed_to_open => s.take(len),
        Some(s @ SkipEarlyData::UntilClientHello { .. }) if !failed_to_open => s.take(len),
        _ => false,
    }
}

/// Application data is legal only under application keys and never inside a
/// handshake message.
fn check_app_data_allowed(app_keys_in: bool, joiner: &HandshakeJoiner) -> Result<()> {
    if !app_keys_in || !joiner.is_empty() {
        return Err(Error::protocol(
            AlertDescription::UNEXPECTED_MESSAGE,
            "application data before the handshake finished",
        ));
    }
    Ok(())
}

/// A client that offered only TLS 1.2, still waiting for the ServerHello: it
/// is under RFC 5246, so RFC 8446's compatibility CCS does not apply to it.
fn tls12_client_before_hello(phase: &Phase, config: &Config) -> bool {
    matches!(phase, Phase::Handshaking(Hs::Client13(_)))
        && !config
            .inner
            .policy
            .negotiates(crate::ProtocolVersion::TLSV1_3)
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("mode", &self.c.mode)
            .field("handshake_complete", &self.is_handshake_complete())
            .field("failed", &self.phase.error())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod bogo_tests;
#[cfg(test)]
mod resume_tests;
#[cfg(test)]
mod rfc_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod ticket_tests;
