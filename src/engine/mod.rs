//! The sans-IO protocol engine: bytes in, bytes out, no sockets, no threads.
//!
//! `Engine` owns the record layer state and the handshake state machine; the
//! drivers in `connection.rs` move bytes between it and a transport.

pub(crate) mod client12;
pub(crate) mod client13;
mod common;
mod limits;
pub(crate) mod server12;
pub(crate) mod server13;

pub(crate) use common::{Common, Exporter, KernelOp};
use limits::{SkipEarlyData, TamperCounters};

use crate::config::{Config, RenegotiationRefusal};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{ContentType, HandshakeType};
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::msgs::joiner::{HandshakeJoiner, RawHandshake};
use crate::record::deframer::Deframer;

/// Which end of the connection this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Initiates the handshake.
    Client,
    /// Answers it.
    Server,
}

/// The handshake in progress; a TLS 1.3 state hands over to the TLS 1.2
/// machine when the peer's hello picks TLS 1.2.
pub(crate) enum Hs {
    Client13(client13::State),
    Client12(client12::State),
    Server13(server13::State),
    Server12(server12::State),
}

impl Hs {
    fn is_done(&self) -> bool {
        matches!(
            self,
            Hs::Client13(client13::State::Done)
                | Hs::Client12(client12::State::Done)
                | Hs::Server13(server13::State::Done)
                | Hs::Server12(server12::State::Done)
        )
    }
}

/// One TLS connection's protocol state.
pub(crate) struct Engine {
    pub(crate) c: Common,
    hs: Option<Hs>,
    /// Set once the handshake finished; `hs` is also `None` after a failed handshake.
    done: bool,
    started: bool,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    app_in: Vec<u8>,
    app_pos: usize,
    failed: Option<Error>,
    /// Records that cost work without progress, from either receive path.
    limits: TamperCounters,
    received_close_notify: bool,
    sent_close_notify: bool,
    /// An alert the kernel returned in pieces (kTLS receive with a tiny buffer).
    alert_partial: Vec<u8>,
}

impl Engine {
    pub(crate) fn new(config: Config, mode: Mode) -> Self {
        let hs = match mode {
            Mode::Client => Hs::Client13(client13::State::Start),
            Mode::Server => Hs::Server13(server13::State::ExpectClientHello(Default::default())),
        };
        Self {
            c: Common::new(config, mode),
            hs: Some(hs),
            done: false,
            started: false,
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
            app_in: Vec::new(),
            app_pos: 0,
            failed: None,
            limits: TamperCounters::default(),
            received_close_notify: false,
            sent_close_notify: false,
            alert_partial: Vec::new(),
        }
    }

    pub(crate) fn is_handshake_complete(&self) -> bool {
        self.done
    }

    pub(crate) fn error(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    pub(crate) fn received_close_notify(&self) -> bool {
        self.received_close_notify
    }

    /// Starts the handshake (the client's first flight). Idempotent.
    pub(crate) fn start(&mut self) -> Result<()> {
        self.check_failed()?;
        if self.started {
            return Ok(());
        }
        self.started = true;
        if let Some(Hs::Client13(client13::State::Start)) = self.hs {
            let r = client13::start(&mut self.c);
            match r {
                Ok(s) => self.hs = Some(Hs::Client13(s)),
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(())
    }

    fn check_failed(&self) -> Result<()> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Records the first fatal error and queues its alert (once).
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        if self.failed.is_none() {
            if let Some(alert) = e.sent_alert() {
                self.c.queue_alert(alert);
            }
            self.failed = Some(e.clone());
        }
        self.failed.clone().unwrap_or(e)
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
        loop {
            if self.received_close_notify {
                // Anything after close_notify is ignored (RFC 8446 §6.1).
                return Ok(());
            }
            let Some(rec) = self.deframer.next_record()? else {
                return Ok(());
            };
            let handshaking = self.hs.is_some();
            let tls12 = self.c.is_tls12();
            let rec_len = 5 + rec.payload.len();
            let (typ, data): (ContentType, &[u8]) = match (rec.header.typ, self.c.dec.as_mut()) {
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
                    let before_hello =
                        matches!(&self.hs, Some(Hs::Server13(s)) if s.before_first_hello());
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
            if data.is_empty() && typ != ContentType::APPLICATION_DATA {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("empty {typ} record"),
                ));
            }
            if data.is_empty() {
                self.limits.empty_record()?;
                continue;
            }
            self.limits.non_empty_record();
            if typ == ContentType::APPLICATION_DATA {
                check_app_data_allowed(self.c.app_keys_in, &self.joiner)?;
                self.limits.application_data();
                let queue_empty = self.app_pos == self.app_in.len();
                match dst.get_mut(*written..*written + data.len()) {
                    Some(d) if queue_empty => {
                        d.copy_from_slice(data);
                        *written += data.len();
                    }
                    _ => append_app(&mut self.app_in, &mut self.app_pos, data),
                }
                continue;
            }
            // Handshake and alert bodies are small and rare: a copy lets the
            // handling borrow the whole engine.
            let data = data.to_vec();
            self.handle_control(typ, &data)?;
        }
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

    /// A record the kernel decrypted (kTLS receive): `typ` and its plaintext.
    /// Application data is queued for `read_app` like userspace-opened data.
    pub(crate) fn process_kernel_record(&mut self, typ: u8, data: &[u8]) -> Result<()> {
        self.check_failed()?;
        let r = self.kernel_record(ContentType(typ), data);
        r.map_err(|e| self.fail(e))
    }

    fn kernel_record(&mut self, typ: ContentType, data: &[u8]) -> Result<()> {
        if self.received_close_notify {
            return Ok(());
        }
        if typ == ContentType::APPLICATION_DATA && data.is_empty() {
            return self.limits.empty_record();
        }
        self.limits.non_empty_record();
        if typ == ContentType::APPLICATION_DATA {
            check_app_data_allowed(self.c.app_keys_in, &self.joiner)?;
            self.limits.application_data();
            append_app(&mut self.app_in, &mut self.app_pos, data);
            return Ok(());
        }
        if data.is_empty() {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("empty {typ} record"),
            ));
        }
        if typ == ContentType::ALERT && !self.joiner.is_empty() {
            // Checked before reassembly too, so a piece of such an alert is not kept.
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "alert inside a handshake message",
            ));
        }
        // The kernel may hand back a control record in pieces when the read
        // buffer was small: alerts are reassembled here, handshake bytes by the joiner.
        if typ == ContentType::ALERT {
            self.alert_partial.extend_from_slice(data);
            if self.alert_partial.len() < 2 {
                return Ok(());
            }
            let alert = std::mem::take(&mut self.alert_partial);
            return self.handle_control(typ, &alert);
        }
        self.handle_control(typ, data)
    }

    /// Whether `dir` can move to the kernel now: the handshake is done, nothing
    /// failed, and no bytes of that direction sit in Baton's buffers (the kernel
    /// must start exactly at a record boundary). Returns that direction's keys.
    pub(crate) fn offload_keys(
        &self,
        dir: crate::offload::Direction,
    ) -> Result<crate::record::protect::TrafficKeys> {
        use crate::offload::Direction;
        self.check_failed()?;
        if !self.done {
            return Err(Error::usage(
                "kernel TLS can be enabled only after the handshake completed",
            ));
        }
        match dir {
            Direction::Send => {
                if self.c.kernel_out {
                    return Err(Error::usage("the send direction is already in the kernel"));
                }
                if self.sent_close_notify {
                    return Err(Error::usage("close_notify already sent"));
                }
                if !self.c.pending_output().is_empty() {
                    return Err(Error::usage(
                        "records are still queued for sending: flush before enabling kernel TLS send",
                    ));
                }
                let enc = self
                    .c
                    .enc
                    .as_ref()
                    .ok_or_else(|| Error::internal("handshake complete without a write key"))?;
                Ok(enc.traffic_keys())
            }
            Direction::Recv => {
                if self.c.kernel_in {
                    return Err(Error::usage("the recv direction is already in the kernel"));
                }
                if self.received_close_notify {
                    return Err(Error::usage("the peer already sent close_notify"));
                }
                if self.deframer.buffered() > 0 || !self.joiner.is_empty() {
                    return Err(Error::usage(
                        "bytes past the last record boundary were already read: use \
                         Connection::set_exact_record_reads(true) before the handshake",
                    ));
                }
                let dec = self
                    .c
                    .dec
                    .as_ref()
                    .ok_or_else(|| Error::internal("handshake complete without a read key"))?;
                Ok(dec.traffic_keys())
            }
        }
    }

    /// The kernel accepted `dir`'s key: from now on that direction's records
    /// never pass through Baton's record layer. Cannot fail.
    pub(crate) fn commit_offload(&mut self, dir: crate::offload::Direction) {
        match dir {
            crate::offload::Direction::Send => {
                self.c.kernel_out = true;
                self.c.enc = None;
            }
            crate::offload::Direction::Recv => {
                self.c.kernel_in = true;
                self.c.dec = None;
            }
        }
    }

    /// Application data that the kernel opened went straight to the caller
    /// (never through [`process_kernel_record`](Self::process_kernel_record)):
    /// it counts as progress all the same.
    pub(crate) fn kernel_app_data_received(&mut self) {
        self.limits.application_data();
    }

    /// True once close_notify was queued.
    pub(crate) fn sent_close_notify(&self) -> bool {
        self.sent_close_notify
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
            if self.hs.is_some() {
                return Err(Error::closed("peer sent close_notify during the handshake"));
            }
            self.received_close_notify = true;
            return Ok(());
        }
        if level == 1 && (desc == AlertDescription::USER_CANCELED || self.c.is_tls12()) {
            // TLS 1.3: user_canceled is followed by close_notify. TLS 1.2: warnings
            // (no_renegotiation and the like) leave the connection up (RFC 5246 §7.2).
            // Either way only a few are tolerated, so a peer cannot spin us with them.
            return self.limits.warning_alert();
        }
        // TLS 1.3: every other alert is fatal whatever its level (RFC 8446 §6.2).
        Err(Error::peer_alert(desc))
    }

    fn process_handshake_messages(&mut self) -> Result<()> {
        while let Some(msg) = self.joiner.pop()? {
            let boundary = self.joiner.is_empty();
            let c = &mut self.c;
            let next = match self.hs.take() {
                Some(Hs::Client13(s)) => s.handle(c, msg, boundary)?,
                Some(Hs::Client12(s)) => Hs::Client12(s.handle(c, msg, boundary)?),
                Some(Hs::Server13(s)) => s.handle(c, msg, boundary)?,
                Some(Hs::Server12(s)) => Hs::Server12(s.handle(c, msg, boundary)?),
                None if self.c.is_tls12() => {
                    self.post_handshake12(msg)?;
                    continue;
                }
                None => {
                    self.post_handshake(msg, boundary)?;
                    continue;
                }
            };
            if next.is_done() {
                self.done = true;
            } else {
                self.hs = Some(next);
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
            HandshakePayload::NewSessionTicket13(_) if self.c.mode == Mode::Client => {
                // Accepted and dropped until session resumption exists.
                Ok(())
            }
            HandshakePayload::KeyUpdate { update_requested } => {
                require_boundary(boundary, "KeyUpdate")?;
                self.limits.key_update()?;
                self.c.update_read_key()?;
                if update_requested && !self.sent_close_notify {
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
        if self.hs.is_some() || !self.c.app_keys_out {
            return Err(Error::usage("send before the handshake completed"));
        }
        if self.sent_close_notify {
            return Err(Error::closed(
                "close_notify already sent; no more data can be sent",
            ));
        }
        match self.c.seal_app(data) {
            Ok(()) => Ok(()),
            // A TLS 1.2 key at its limit: close_notify went out; reading goes on.
            Err(e) if e.kind() == crate::ErrorKind::Closed => {
                self.sent_close_notify = true;
                Err(e)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Sends a KeyUpdate now (for tests and for callers that rotate keys on a schedule).
    pub(crate) fn key_update(&mut self, request_peer: bool) -> Result<()> {
        self.check_failed()?;
        if self.hs.is_some() {
            return Err(Error::usage("key update before the handshake completed"));
        }
        self.c
            .send_key_update(request_peer)
            .map_err(|e| self.fail(e))
    }

    /// Queues close_notify (once).
    pub(crate) fn send_close_notify(&mut self) {
        if !self.sent_close_notify {
            self.sent_close_notify = true;
            self.c.queue_alert(AlertDescription::CLOSE_NOTIFY);
        }
    }

    /// Frees the record and application data buffers when none of them holds
    /// anything (s2n's `s2n_connection_release_buffers`); they are allocated
    /// again when next needed. Refuses with a Usage error, touching nothing,
    /// while bytes wait in either direction.
    pub(crate) fn release_buffers(&mut self) -> Result<()> {
        if !self.c.pending_output().is_empty() || !self.c.kernel_ops.is_empty() {
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

/// A message that precedes a key change must end its record (RFC 8446 §5.1):
/// bytes after it would be read under the wrong key.
pub(crate) fn require_boundary(boundary: bool, what: &'static str) -> Result<()> {
    if boundary {
        Ok(())
    } else {
        Err(Error::protocol(
            AlertDescription::UNEXPECTED_MESSAGE,
            format!("{what} must end its record"),
        ))
    }
}

/// Checks the peer's Finished against HMAC(finished_key(base), transcript hash), in constant time.
pub(crate) fn verify_finished(
    hash: crate::crypto::hash::HashAlg,
    base: &crate::secrets::Secret,
    transcript: &crate::crypto::hash::Transcript,
    verify_data: &[u8],
    who: &'static str,
) -> Result<()> {
    let expected = crate::tls13::key_schedule::finished_verify_data(
        hash,
        base,
        transcript.current_hash().as_bytes(),
    );
    if crate::secrets::ct_eq(verify_data, expected.as_bytes()) {
        Ok(())
    } else {
        Err(Error::protocol(
            AlertDescription::DECRYPT_ERROR,
            format!("{who} Finished is wrong"),
        ))
    }
}

/// Rejects a handshake message type that is not expected in the current state.
pub(crate) fn unexpected(typ: HandshakeType, state: &str) -> Error {
    Error::protocol(
        AlertDescription::UNEXPECTED_MESSAGE,
        format!("unexpected {typ:?} while {state}"),
    )
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("mode", &self.c.mode)
            .field("handshake_complete", &self.is_handshake_complete())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertChainAndKey;

    fn data(name: &str) -> String {
        format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// Moves every queued byte from `from` to `to` and processes it.
    pub(super) fn pump(from: &mut Engine, to: &mut Engine) -> Result<()> {
        let out = from.pending_output().to_vec();
        from.consume_output(out.len());
        let mut off = 0;
        while off < out.len() {
            let space = to.read_space(usize::MAX);
            let n = space.len().min(out.len() - off);
            space[..n].copy_from_slice(&out[off..off + n]);
            to.commit_read(n);
            off += n;
            to.process()?;
        }
        Ok(())
    }

    pub(super) fn connected() -> (Engine, Engine) {
        connected_with(None)
    }

    /// TLS 1.2 only, ECDHE-ECDSA AES-128-GCM over X25519.
    static TLS12_ONLY: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
        name: "test-tls12",
        min_version: crate::ProtocolVersion::TLSV1_2,
        max_version: crate::ProtocolVersion::TLSV1_2,
        cipher_suites: &[crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
        // P-256 also names the certificate's curve (RFC 8422 §5.1); X25519 is the ECDHE group.
        groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
        certificate_signature_schemes: None,
        chacha20_boosted: false,
    };

    fn connected12(refusal: RenegotiationRefusal) -> (Engine, Engine) {
        let (c, s) = connected_with(Some((&TLS12_ONLY, refusal)));
        assert!(c.c.is_tls12() && s.c.is_tls12());
        (c, s)
    }

    fn connected_with(
        tls12: Option<(&'static crate::policy::SecurityPolicy, RenegotiationRefusal)>,
    ) -> (Engine, Engine) {
        let (client, mut server) = unfinished(tls12);
        let mut client = client;
        client.start().unwrap();
        for _ in 0..4 {
            pump(&mut client, &mut server).unwrap();
            pump(&mut server, &mut client).unwrap();
        }
        assert!(client.is_handshake_complete() && server.is_handshake_complete());
        (client, server)
    }

    pub(super) fn unfinished(
        tls12: Option<(&'static crate::policy::SecurityPolicy, RenegotiationRefusal)>,
    ) -> (Engine, Engine) {
        let mut sb = Config::builder_minimal();
        sb.add_cert_chain_and_key(
            CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
                .unwrap(),
        );
        let mut cb = Config::builder_minimal();
        cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
            .unwrap();
        if let Some((p, refusal)) = tls12 {
            for b in [&mut sb, &mut cb] {
                b.custom_security_policy(p).unwrap();
                b.set_renegotiation_refusal(refusal);
            }
        }
        let mut client = Engine::new(cb.build().unwrap(), Mode::Client);
        client.c.info.server_name = Some("localhost".into());
        let server = Engine::new(sb.build().unwrap(), Mode::Server);
        (client, server)
    }

    pub(super) fn drain(e: &mut Engine) -> Vec<u8> {
        let mut v = vec![0u8; e.app_available()];
        e.read_app(&mut v);
        v
    }

    #[test]
    fn aead_limit_triggers_key_update_before_sealing() {
        let (mut client, mut server) = connected();
        // Bring both ends of client→server to just below the AES-GCM limit.
        let limit = 1u64 << 24;
        client.c.enc.as_mut().unwrap().set_seq_for_test(limit - 1);
        server.c.dec.as_mut().unwrap().set_seq_for_test(limit - 1);
        client.write_app_record(b"last under the old key").unwrap();
        assert!(client.c.enc.as_ref().unwrap().wants_rekey());
        client.write_app_record(b"first under the new key").unwrap();
        // A KeyUpdate went out, so the new key starts again at sequence 1.
        assert_eq!(client.c.enc.as_ref().unwrap().seq(), 1);
        pump(&mut client, &mut server).unwrap();
        assert_eq!(
            drain(&mut server),
            b"last under the old keyfirst under the new key"
        );
        assert_eq!(server.c.dec.as_ref().unwrap().seq(), 1);
    }

    #[test]
    fn release_buffers_refuses_pending_data_and_connection_keeps_working() {
        let (mut client, mut server) = connected();
        // Output waiting: refused, and the records still go out afterwards.
        client.write_app_record(b"queued").unwrap();
        let e = client.release_buffers().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
        pump(&mut client, &mut server).unwrap();
        // Decrypted data not read yet: refused.
        assert_eq!(
            server.release_buffers().unwrap_err().kind(),
            crate::ErrorKind::Usage
        );
        assert_eq!(drain(&mut server), b"queued");
        // Half a record received: refused.
        client.write_app_record(b"split").unwrap();
        let rec = client.pending_output().to_vec();
        client.consume_output(rec.len());
        let space = server.read_space(3);
        space.copy_from_slice(&rec[..3]);
        server.commit_read(3);
        server.process().unwrap();
        assert_eq!(
            server.release_buffers().unwrap_err().kind(),
            crate::ErrorKind::Usage
        );
        let space = server.read_space(rec.len() - 3);
        space.copy_from_slice(&rec[3..]);
        server.commit_read(rec.len() - 3);
        server.process().unwrap();
        assert_eq!(drain(&mut server), b"split");
        // Everything empty: both release, then work both ways again.
        client.release_buffers().unwrap();
        server.release_buffers().unwrap();
        assert_eq!(server.app_in.capacity(), 0);
        client.write_app_record(b"after release").unwrap();
        pump(&mut client, &mut server).unwrap();
        assert_eq!(drain(&mut server), b"after release");
        server.write_app_record(b"and back").unwrap();
        pump(&mut server, &mut client).unwrap();
        assert_eq!(drain(&mut client), b"and back");
        // Releasing twice is fine.
        client.release_buffers().unwrap();
        client.release_buffers().unwrap();
    }

    #[test]
    fn process_into_fills_the_callers_buffer_in_order() {
        let (mut client, mut server) = connected();
        for msg in [&b"first"[..], b"second", b"third!"] {
            client.write_app_record(msg).unwrap();
        }
        let out = client.pending_output().to_vec();
        client.consume_output(out.len());
        let space = server.read_space(out.len());
        space.copy_from_slice(&out);
        server.commit_read(out.len());
        // Room for the first two records only: the third is queued behind them.
        let mut dst = [0u8; 12];
        assert_eq!(server.process_into(&mut dst).unwrap(), 11);
        assert_eq!(&dst[..11], b"firstsecond");
        assert_eq!(drain(&mut server), b"third!");
        // While data is queued, new records queue behind it even if they fit.
        client.write_app_record(b"a").unwrap();
        pump(&mut client, &mut server).unwrap();
        client.write_app_record(b"b").unwrap();
        let out = client.pending_output().to_vec();
        client.consume_output(out.len());
        let space = server.read_space(out.len());
        space.copy_from_slice(&out);
        server.commit_read(out.len());
        assert_eq!(server.process_into(&mut [0u8; 100]).unwrap(), 0);
        assert_eq!(drain(&mut server), b"ab");
    }

    #[test]
    fn key_update_request_is_answered() {
        let (mut client, mut server) = connected();
        client.key_update(true).unwrap();
        pump(&mut client, &mut server).unwrap();
        // The server answered with its own KeyUpdate (not requesting another).
        assert!(!server.pending_output().is_empty());
        pump(&mut server, &mut client).unwrap();
        assert!(client.pending_output().is_empty(), "no KeyUpdate ping-pong");
        server.write_app_record(b"after update").unwrap();
        pump(&mut server, &mut client).unwrap();
        assert_eq!(drain(&mut client), b"after update");
    }

    #[test]
    fn data_after_close_notify_is_ignored_and_handshake_message_after_done_is_fatal() {
        let (mut client, mut server) = connected();
        client.send_close_notify();
        pump(&mut client, &mut server).unwrap();
        assert!(server.received_close_notify());
        assert!(client.write_app_record(b"x").is_err());

        let (mut client, mut server) = connected();
        // A second Finished after the handshake is an unexpected message.
        let fin = HandshakeMessage::new(HandshakePayload::Finished(vec![0; 32]));
        let mut t = crate::crypto::hash::Transcript::new();
        client.c.queue_handshake(&fin, &mut t).unwrap();
        client.c.flush_handshake().unwrap();
        let err = pump(&mut client, &mut server).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        // The alert goes back to the client and fails it with Alert.
        let err = pump(&mut server, &mut client).unwrap_err();
        assert_eq!(
            err.kind(),
            crate::ErrorKind::Alert(AlertDescription::UNEXPECTED_MESSAGE)
        );
    }

    fn queue_plain_handshake(e: &mut Engine, payload: HandshakePayload) {
        let mut t = crate::crypto::hash::Transcript::new();
        e.c.queue_handshake(&HandshakeMessage::new(payload), &mut t)
            .unwrap();
        e.c.flush_handshake().unwrap();
    }

    #[test]
    fn tls12_renegotiation_is_refused_with_a_warning() {
        let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
        // Server asks the client to renegotiate: the client answers no_renegotiation (warning)
        // and the connection keeps working both ways.
        queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
        pump(&mut server, &mut client).unwrap();
        assert_eq!(
            client.pending_output().len(),
            5 + 8 + 2 + 16,
            "one encrypted alert record"
        );
        pump(&mut client, &mut server).unwrap();
        client.write_app_record(b"still up").unwrap();
        pump(&mut client, &mut server).unwrap();
        assert_eq!(drain(&mut server), b"still up");
        // A client that starts renegotiating gets the same answer from the server.
        queue_plain_handshake(&mut client, HandshakePayload::ClientHello(sample_hello()));
        pump(&mut client, &mut server).unwrap();
        pump(&mut server, &mut client).unwrap();
        server.write_app_record(b"and back").unwrap();
        pump(&mut server, &mut client).unwrap();
        assert_eq!(drain(&mut client), b"and back");
        // Repeated requests end in a fatal alert rather than an endless exchange.
        let mut last = Ok(());
        for _ in 0..limits::MAX_WARNING_ALERTS + 1 {
            queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
            last = pump(&mut server, &mut client).and_then(|_| pump(&mut client, &mut server));
            if last.is_err() {
                break;
            }
        }
        assert!(last.is_err(), "renegotiation requests must be bounded");
    }

    #[test]
    fn tls12_renegotiation_refused_fatally_when_configured() {
        let (mut client, mut server) = connected12(RenegotiationRefusal::Fatal);
        queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
        let err = pump(&mut server, &mut client).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::NO_RENEGOTIATION));
        let err = pump(&mut client, &mut server).unwrap_err();
        assert_eq!(
            err.kind(),
            crate::ErrorKind::Alert(AlertDescription::NO_RENEGOTIATION)
        );
    }

    fn sample_hello() -> crate::msgs::handshake::ClientHello {
        crate::msgs::handshake::ClientHello {
            legacy_version: crate::ProtocolVersion::TLSV1_2,
            random: [7; 32],
            session_id: vec![],
            cipher_suites: vec![crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
            compression_methods: vec![0],
            extensions: vec![],
        }
    }

    #[test]
    fn tls12_change_cipher_spec_rules() {
        // A CCS before the key exchange has nothing to activate.
        let (mut client, mut server) =
            unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
        client.start().unwrap();
        pump(&mut client, &mut server).unwrap();
        client.c.send_ccs().unwrap();
        let err = pump(&mut client, &mut server).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));

        // Finished in plaintext, without the CCS that switches keys, is refused.
        let (mut client, mut server) =
            unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
        client.start().unwrap();
        pump(&mut client, &mut server).unwrap();
        pump(&mut server, &mut client).unwrap();
        // The client's flight: ClientKeyExchange, CCS, Finished. Drop the CCS (6 bytes).
        let flight = client.pending_output().to_vec();
        client.consume_output(flight.len());
        let ccs = flight
            .windows(6)
            .position(|w| w == [20, 3, 3, 0, 1, 1])
            .expect("CCS in the flight");
        let mut without = flight[..ccs].to_vec();
        without.extend_from_slice(&flight[ccs + 6..]);
        let space = server.read_space(usize::MAX);
        space[..without.len()].copy_from_slice(&without);
        server.commit_read(without.len());
        // The protected Finished is then read as plaintext handshake bytes: whatever
        // they decode to, the handshake fails with a fatal alert and never completes.
        let err = server.process().unwrap_err();
        assert!(err.sent_alert().is_some(), "{err:?}");
        assert!(!server.is_handshake_complete());
    }

    #[test]
    fn tls12_key_limit_closes_cleanly() {
        let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
        let limit = 1u64 << 24;
        client.c.enc.as_mut().unwrap().set_seq_for_test(limit - 1);
        server.c.dec.as_mut().unwrap().set_seq_for_test(limit - 1);
        client.write_app_record(b"last record").unwrap();
        let err = client.write_app_record(b"one too many").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Closed);
        pump(&mut client, &mut server).unwrap();
        assert_eq!(drain(&mut server), b"last record");
        assert!(server.received_close_notify());
    }

    #[test]
    fn tls12_application_data_and_exporter() {
        let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
        client.write_app_record(b"ping").unwrap();
        pump(&mut client, &mut server).unwrap();
        assert_eq!(drain(&mut server), b"ping");
        server.write_app_record(b"pong").unwrap();
        pump(&mut server, &mut client).unwrap();
        assert_eq!(drain(&mut client), b"pong");
        assert_eq!(
            client.c.info.suite,
            Some(crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
        );
        assert_eq!(client.c.info.group, Some(crate::NamedGroup::X25519));
    }

    /// Seals `records` as the server would and hands them to the client's
    /// userspace receive path.
    fn seal_to(server: &mut Engine, client: &mut Engine, records: &[(ContentType, &[u8])]) {
        let mut wire = Vec::new();
        for (typ, body) in records {
            let enc = server.c.enc.as_mut().unwrap();
            enc.seal(*typ, body, 0, &mut wire).unwrap();
        }
        let space = client.read_space(usize::MAX);
        space[..wire.len()].copy_from_slice(&wire);
        client.commit_read(wire.len());
    }

    /// Half a KeyUpdate, then a warning alert, then the other half.
    const SPLIT: [(ContentType, &[u8]); 3] = [
        (ContentType::HANDSHAKE, &[24, 0]),
        (ContentType::ALERT, &[1, 90]),
        (ContentType::HANDSHAKE, &[0, 1, 0]),
    ];

    #[test]
    fn alert_inside_a_handshake_message_is_unexpected_on_both_receive_paths() {
        // Userspace: records opened by Baton.
        let (mut client, mut server) = connected();
        seal_to(&mut server, &mut client, &SPLIT);
        let err = client.process().unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        // Kernel TLS: the same records, already opened by the kernel.
        let (mut client, _server) = connected();
        let mut result = Ok(());
        for (typ, body) in SPLIT {
            result = client.process_kernel_record(typ.0, body);
            if result.is_err() {
                break;
            }
        }
        let err = result.unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        // A fatal alert there is no different: the interleaving is the error.
        let (mut client, mut server) = connected();
        seal_to(
            &mut server,
            &mut client,
            &[SPLIT[0], (ContentType::ALERT, &[2, 40])],
        );
        let err = client.process().unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    }
}
