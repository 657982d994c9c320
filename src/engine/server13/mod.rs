//! TLS 1.3 server handshake (RFC 8446 §2), full handshake with optional
//! HelloRetryRequest and client authentication (`client_auth`).

use super::common::Traffic13;
use super::limits::{SkipEarlyData, MAX_SKIPPED_EARLY_DATA};
use super::{require_boundary, server12, unexpected, verify_finished, Common, Hs, KeyPhase};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::{self, SUPPORTED_GROUPS};
use crate::crypto::rand;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use crate::msgs::extensions::{
    ClientExtensions, KeyShareEntry, ServerExtContext, ServerExtensions,
};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, HRR_RANDOM,
};
use crate::msgs::joiner::RawHandshake;
use crate::secrets::Secret;
use crate::suites::{tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::{EarlySecret, MasterSecret};

mod choose;
mod client_auth;
mod early;
mod hello_cb;
mod psk;
mod sign;
pub(crate) use choose::{choose_alpn, choose_cert, suite_preference, ChosenCert};
use choose::{choose_suite, choose_suite_of_hash};
pub(crate) use psk::send_tickets;

const SERVER_CV_CONTEXT: &[u8] = super::client13::SERVER_CV_CONTEXT;

pub(crate) enum State {
    ExpectClientHello(Box<ExpectClientHello>),
    /// The flight waits for its CertificateVerify signature (the
    /// application's private-key operation answers later).
    AwaitingSign(Box<sign::PausedSign>),
    /// The ClientHello waits for its 0-RTT decision (the anti-replay store
    /// or the application answers later).
    AwaitingEarly(Box<early::PausedHello>),
    /// The first ClientHello waits for the ClientHello callback's answer.
    AwaitingHello(Box<hello_cb::PausedHello>),
    /// Accepted 0-RTT: early data until the client's EndOfEarlyData.
    ExpectEndOfEarlyData(Box<ExpectFinished>),
    /// We sent a CertificateRequest: the client's Certificate comes first.
    ExpectCertificate(Box<ExpectFinished>),
    ExpectCertificateVerify(Box<ExpectFinished>),
    ExpectFinished(Box<ExpectFinished>),
    Done,
}

impl State {
    /// Our Finished is out; the client's is not in yet.
    pub(crate) fn after_server_finished(&self) -> bool {
        matches!(
            self,
            State::ExpectEndOfEarlyData(_)
                | State::ExpectCertificate(_)
                | State::ExpectCertificateVerify(_)
                | State::ExpectFinished(_)
        )
    }

    /// Waiting for an answer from the application (0-RTT decision or
    /// ClientHello callback).
    pub(crate) fn is_awaiting_early(&self) -> bool {
        matches!(self, State::AwaitingEarly(_) | State::AwaitingHello(_))
    }

    /// Waiting for the private-key operation's signature.
    pub(crate) fn is_awaiting_sign(&self) -> bool {
        matches!(self, State::AwaitingSign(_))
    }

    /// See `Engine::early_data_pending`.
    pub(crate) fn early_data_pending(&self) -> bool {
        matches!(
            self,
            State::AwaitingEarly(_) | State::AwaitingHello(_) | State::ExpectEndOfEarlyData(_)
        ) || self.is_start()
    }

    /// Goes on with a ClientHello parked for its 0-RTT decision (a TLS 1.3
    /// state again, or a TLS 1.2 one never: the version was chosen first),
    /// or for the ClientHello callback (either version: nothing was chosen),
    /// or a flight parked for its signature.
    pub(crate) fn poll_early(self, c: &mut Common) -> Result<Hs> {
        match self {
            State::AwaitingEarly(p) => p.poll(c).map(Hs::Server13),
            State::AwaitingHello(p) => p.poll(c),
            State::AwaitingSign(p) => p.poll(c).map(Hs::Server13),
            other => Ok(Hs::Server13(other)),
        }
    }

    /// Before the first ClientHello (no HelloRetryRequest sent yet).
    pub(crate) fn is_start(&self) -> bool {
        matches!(self, State::ExpectClientHello(e) if e.hrr.is_none())
    }
}

/// Before the first ClientHello, or after a HelloRetryRequest.
#[derive(Default)]
pub(crate) struct ExpectClientHello {
    hrr: Option<HrrSent>,
    /// Handling the ClientHello again once its 0-RTT decision came:
    /// `Some(Some(max))` accept, `Some(None)` reject.
    early_verdict: Option<Option<u32>>,
}

pub(crate) struct HrrSent {
    transcript: Transcript,
    suite: CipherSuite,
    group: NamedGroup,
    session_id: Vec<u8>,
}

pub(crate) struct ExpectFinished {
    transcript: Transcript,
    suite: &'static Tls13Suite,
    client_hs: Secret,
    master: MasterSecret,
    /// Send tickets after the client's Finished.
    tickets: bool,
    /// When the client was authenticated by a full handshake (this one, or
    /// the one the resumed session comes from).
    auth_time: u64,
    /// What our CertificateRequest offered, if we sent one.
    client_auth: Option<super::client_auth::Requested>,
}

fn hs_failure(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::HANDSHAKE_FAILURE, msg)
}

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

fn missing(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::MISSING_EXTENSION, msg)
}

impl State {
    /// True until the first ClientHello arrived: no change_cipher_spec is
    /// acceptable yet (RFC 8446 §5).
    pub(crate) fn before_first_hello(&self) -> bool {
        matches!(self, State::ExpectClientHello(s) if s.hrr.is_none())
    }

    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<Hs> {
        let parsed = HandshakeMessage::read_tls13(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectClientHello(s), HandshakePayload::ClientHello(ch)) => {
                require_boundary(boundary, "ClientHello")?;
                if s.hrr.is_some() {
                    return s.handle_client_hello(c, ch, &msg);
                }
                match hello_cb::run(c, ch, msg)? {
                    Ok((ch, msg)) => s.handle_client_hello(c, ch, &msg),
                    Err(paused) => Ok(Hs::Server13(State::AwaitingHello(paused))),
                }
            }
            (State::ExpectEndOfEarlyData(mut s), HandshakePayload::EndOfEarlyData) => {
                // The 0-RTT ends; the client's Finished comes under its
                // handshake key (RFC 8446 §4.5).
                require_boundary(boundary, "EndOfEarlyData")?;
                s.transcript.add(&msg.encoded);
                c.set_decrypter(s.suite, &s.client_hs, KeyPhase::Handshake)?;
                Ok(Hs::Server13(State::ExpectFinished(s)))
            }
            (State::ExpectCertificate(s), HandshakePayload::Certificate13(cert)) => {
                s.handle_client_certificate(c, cert, &msg).map(Hs::Server13)
            }
            (State::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle_client_verify(c, cv, &msg).map(Hs::Server13)
            }
            (State::ExpectFinished(s), HandshakePayload::Finished(vd)) => {
                s.handle_finished(c, &vd, &msg, boundary).map(Hs::Server13)
            }
            (state, _) => Err(unexpected(
                msg.typ,
                match state {
                    State::ExpectClientHello(_) => "expecting ClientHello",
                    State::AwaitingEarly(_) => "deciding on early data",
                    State::AwaitingHello(_) => "in the ClientHello callback",
                    State::AwaitingSign(_) => "waiting for the private key operation",
                    State::ExpectEndOfEarlyData(_) => "expecting EndOfEarlyData",
                    State::ExpectCertificate(_) => "expecting client Certificate",
                    State::ExpectCertificateVerify(_) => "expecting client CertificateVerify",
                    State::ExpectFinished(_) => "expecting client Finished",
                    State::Done => "connected",
                },
            )),
        }
    }
}

impl ExpectClientHello {
    fn handle_client_hello(
        self,
        c: &mut Common,
        ch: ClientHello,
        msg: &RawHandshake,
    ) -> Result<Hs> {
        let exts = ClientExtensions::parse(&ch.extensions)?;
        let policy = c.config.inner.policy;
        let versions = exts.supported_versions.as_deref().unwrap_or_default();
        c.info.client_version = Some(
            versions
                .iter()
                .copied()
                .max()
                .unwrap_or(ch.legacy_version.min(ProtocolVersion::TLSV1_2)),
        );
        c.info.server_version = Some(
            policy
                .active_versions()
                .last()
                .copied()
                .unwrap_or(policy.max_version),
        );
        let we13 = policy.negotiates(ProtocolVersion::TLSV1_3);
        let we12 = policy.negotiates(ProtocolVersion::TLSV1_2);
        let they13 = versions.contains(&ProtocolVersion::TLSV1_3);
        // Without supported_versions, legacy_version is the client's maximum (RFC 5246 E.1).
        let they12 = match &exts.supported_versions {
            Some(v) => v.contains(&ProtocolVersion::TLSV1_2),
            None => ch.legacy_version >= ProtocolVersion::TLSV1_2,
        };
        if !(they13 && we13) {
            if self.hrr.is_some() {
                return Err(illegal("second ClientHello dropped TLS 1.3"));
            }
            if they12 && we12 {
                return server12::handle_client_hello(c, ch, exts, msg).map(Hs::Server12);
            }
            return Err(Error::protocol(
                AlertDescription::PROTOCOL_VERSION,
                format!(
                    "no protocol version in common: client offers up to {:?}, policy {} allows {:?} to {:?}",
                    c.info.client_version.unwrap_or(ch.legacy_version),
                    policy.name,
                    policy.min_version,
                    policy.max_version
                ),
            ));
        }
        if ch.compression_methods != [0] {
            return Err(illegal(
                "TLS 1.3 ClientHello must offer only null compression",
            ));
        }
        if exts.pre_shared_key.is_some() && exts.psk_modes.is_none() {
            return Err(missing("pre_shared_key without psk_key_exchange_modes"));
        }
        if let Some(hrr) = &self.hrr {
            // Only the changes RFC 8446 §4.1.2 lists: a cookie only if the
            // HelloRetryRequest sent one, and ours never does.
            if exts.cookie.is_some() {
                return Err(illegal(
                    "second ClientHello carries a cookie we did not send",
                ));
            }
            if ch.session_id != hrr.session_id || !ch.cipher_suites.contains(&hrr.suite) {
                return Err(illegal(
                    "second ClientHello changed more than HelloRetryRequest asked",
                ));
            }
            // The 0-RTT sent with the first ClientHello ends here (RFC 8446 §4.2.10).
            c.skip_early_data = None;
            if exts.early_data {
                return Err(illegal("second ClientHello offers early_data"));
            }
        }
        c.info.server_name = exts.server_name.clone();

        let external = psk::pick_external(c, &exts)?;
        let suite = match &self.hrr {
            Some(h) => tls13_suite(h.suite).ok_or_else(|| Error::internal("HRR suite vanished"))?,
            // An external PSK is bound to its hash: a suite of that hash if
            // the client offers one.
            None => external
                .as_ref()
                .and_then(|(_, p)| choose_suite_of_hash(c, &ch.cipher_suites, p.hash().alg()))
                .or_else(|| choose_suite(c, &ch.cipher_suites))
                .ok_or_else(|| hs_failure("no cipher suite in common"))?,
        };
        let mut resume = psk::choose(
            c,
            &exts,
            msg,
            self.hrr.as_ref().map(|h| &h.transcript),
            suite,
            external,
        )?;
        // A resumed session was authenticated by the handshake that made it.
        let cert = match &resume {
            Some(_) => None,
            None => Some(self.choose_certificate(c, &exts)?),
        };
        let share = match &resume {
            // psk_ke: no key exchange at all (the client may send no share).
            Some(r) if !r.dhe => None,
            _ => match self.select_share(c, &exts)? {
                Ok(share) => Some(share),
                Err(group) => {
                    c.info.refusal = None;
                    return self
                        .send_hrr(c, &ch, msg, suite, group, exts.early_data)
                        .map(Hs::Server13);
                }
            },
        };

        let alpn = choose_alpn(c, exts.alpn.as_deref())?;
        let early_max = match (self.early_verdict, &resume) {
            // Handled again after a wait: the verdict holds only for the
            // same first PSK (a ticket that expired meanwhile leaves none).
            (Some(verdict), Some(r)) if r.index == 0 && exts.early_data => verdict,
            (Some(_), _) => None,
            (None, Some(r)) if exts.early_data && self.hrr.is_none() => {
                match early::decide(c, &exts, r, suite, alpn.as_deref()) {
                    early::Verdict::Accept(max) => Some(max),
                    early::Verdict::Reject => None,
                    early::Verdict::Pending(waiting) => {
                        return Ok(Hs::Server13(State::AwaitingEarly(Box::new(
                            early::PausedHello {
                                ch,
                                msg: msg.clone(),
                                hrr: self.hrr,
                                waiting,
                            },
                        ))));
                    }
                }
            }
            _ => None,
        };
        let (mut transcript, ccs_sent) = match self.hrr {
            Some(h) => (h.transcript, true),
            None => {
                let mut t = Transcript::new();
                t.start_hash(suite.hash);
                (t, false)
            }
        };
        transcript.add(&msg.encoded);
        // client_early_traffic_secret is over the ClientHello alone.
        let ch_hash = early_max.map(|_| transcript.current_hash());

        // For a hybrid this encapsulates to the client's ML-KEM key: the
        // server never holds a KEM key pair.
        let (our_share, shared) = match &share {
            Some(share) => {
                let kx::Response {
                    share: payload,
                    secret,
                } = kx::respond(share.group, &share.payload)?;
                let ours = KeyShareEntry {
                    group: share.group,
                    payload,
                };
                (Some(ours), secret)
            }
            // psk_ke: the (EC)DHE input is zeros (RFC 8446 §7.1).
            None => (None, Secret::new(&[0; 64][..suite.hash.output_len()])),
        };
        let sh_exts = ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            key_share: our_share,
            pre_shared_key: resume.as_ref().map(|r| r.index),
            ..Default::default()
        };
        let sh = ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: rand::random32()?,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: sh_exts.to_extensions(ServerExtContext::ServerHello13)?,
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ServerHello(sh)),
            &mut transcript,
        )?;
        let early = match resume.as_mut().and_then(|r| r.early.take()) {
            Some(early) => early,
            None => EarlySecret::new(suite.hash, None),
        };
        let early_key = ch_hash.map(|h| early.client_early_traffic(h.as_bytes()));
        let hs = early.into_handshake(shared.as_bytes(), transcript.current_hash().as_bytes());
        c.client_random = ch.random;
        if let Some(key) = &early_key {
            c.log_key("CLIENT_EARLY_TRAFFIC_SECRET", key.as_bytes());
        }
        c.log_key(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            hs.client_traffic().as_bytes(),
        );
        c.log_key(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            hs.server_traffic().as_bytes(),
        );
        if !ccs_sent && !ch.session_id.is_empty() {
            c.send_ccs()?;
        }
        c.set_encrypter(suite, hs.server_traffic(), KeyPhase::Handshake)?;
        match (&early_key, early_max) {
            (Some(key), Some(max)) => {
                // Accepted 0-RTT: read under its key until EndOfEarlyData.
                c.set_decrypter(suite, key, KeyPhase::EarlyData)?;
                c.early_in.left = max;
                c.info.early_data = crate::early::EarlyDataStatus::Accepted;
            }
            _ => {
                c.set_decrypter(suite, hs.client_traffic(), KeyPhase::Handshake)?;
                if exts.early_data {
                    // Refused 0-RTT: skip it to reach the client's second flight.
                    c.skip_early_data = Some(SkipEarlyData::TrialDecryption {
                        left: MAX_SKIPPED_EARLY_DATA,
                    });
                    c.info.early_data = crate::early::EarlyDataStatus::Rejected;
                }
            }
        }

        let ee = ServerExtensions {
            alpn: alpn.clone(),
            early_data: early_max.is_some(),
            // RFC 6066 §3: no acknowledgement when resuming (the name was
            // checked against the session's).
            server_name_ack: exts.server_name.is_some() && resume.is_none(),
            ..Default::default()
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::EncryptedExtensions(
                ee.to_extensions(ServerExtContext::EncryptedExtensions)?,
            )),
            &mut transcript,
        )?;
        // Only with a certificate of ours: never beside a PSK (§4.3.2).
        let requested = match &cert {
            Some(_) => client_auth::send_request(c, &mut transcript)?,
            None => None,
        };
        c.info.version = Some(ProtocolVersion::TLSV1_3);
        c.info.suite = Some(suite.suite);
        c.info.group = share.map(|s| s.group);
        c.info.alpn = alpn;
        let now = c.now();
        let auth_time = match resume.as_ref().map(|r| &r.source) {
            Some(psk::Source::Ticket(state)) => {
                super::client_auth::resumed(c, state);
                c.info.resumed = true;
                c.info.resumed_age = Some(now.saturating_sub(state.issued_at));
                state.auth_time
            }
            Some(psk::Source::External(_)) | None => now,
        };
        let external_psk = matches!(
            resume.as_ref().map(|r| &r.source),
            Some(psk::Source::External(_))
        );
        let (dhe, ke) = psk::modes(c, &exts);
        let flight = sign::Flight {
            transcript,
            suite,
            hs,
            early: early_max.is_some(),
            // Only to a client that named a mode we resume with (§4.2.9),
            // and not after an external PSK: the client holds its PSK.
            tickets: c.config.inner.resumption.tickets && (dhe || ke) && !external_psk,
            auth_time,
            client_auth: requested,
        };
        match cert {
            Some(ChosenCert { cert, scheme, .. }) => {
                let staple = super::status::Staple::for_hello(&cert, &exts);
                sign::certificate(c, flight, cert, scheme, &staple).map(Hs::Server13)
            }
            None => flight.finish(c).map(Hs::Server13),
        }
    }

    /// The certificate for a full handshake.
    fn choose_certificate(&self, c: &Common, exts: &ClientExtensions) -> Result<ChosenCert> {
        let client_schemes = exts
            .signature_algorithms
            .as_deref()
            .ok_or_else(|| missing("ClientHello without signature_algorithms"))?;
        if !c.config.inner.has_certs() {
            return Err(hs_failure("server has no certificate configured"));
        }
        choose_cert(
            c,
            client_schemes,
            exts.signature_algorithms_cert.as_deref(),
            true,
            |_| true,
        )
        .ok_or_else(|| hs_failure("no certificate matches the client's signature algorithms"))
    }

    /// The client's share to answer (`Ok`), or the group a HelloRetryRequest
    /// must ask for (`Err`).
    fn select_share(
        &self,
        c: &Common,
        exts: &ClientExtensions,
    ) -> Result<core::result::Result<KeyShareEntry, NamedGroup>> {
        let policy = c.config.inner.policy;
        let client_groups = exts
            .supported_groups
            .as_deref()
            .ok_or_else(|| missing("ClientHello without supported_groups"))?;
        let shares = exts
            .key_shares
            .as_deref()
            .ok_or_else(|| missing("ClientHello without key_share"))?;
        for s in shares {
            if !client_groups.contains(&s.group) {
                return Err(illegal("key share for a group not in supported_groups"));
            }
        }
        let acceptable = |g: &NamedGroup| SUPPORTED_GROUPS.contains(g) && client_groups.contains(g);
        if let Some(h) = &self.hrr {
            if shares.len() != 1 || shares[0].group != h.group {
                return Err(illegal(
                    "second ClientHello must share exactly the requested group",
                ));
            }
            return Ok(Ok(shares[0].clone()));
        }
        // Take any acceptable share (best by our order) before costing a round trip.
        let best = policy
            .groups
            .iter()
            .filter(|g| acceptable(g))
            .find_map(|g| shares.iter().find(|s| s.group == *g));
        match best {
            Some(s) => Ok(Ok(s.clone())),
            None => policy
                .groups
                .iter()
                .copied()
                .find(|g| acceptable(g))
                .map(Err)
                .ok_or_else(|| hs_failure("no key exchange group in common")),
        }
    }

    fn send_hrr(
        &self,
        c: &mut Common,
        ch: &ClientHello,
        msg: &RawHandshake,
        suite: &'static Tls13Suite,
        group: NamedGroup,
        early_data: bool,
    ) -> Result<State> {
        if self.hrr.is_some() {
            return Err(illegal(
                "second ClientHello still lacks an acceptable key share",
            ));
        }
        let mut transcript = Transcript::new();
        transcript.start_hash(suite.hash);
        transcript.add(&msg.encoded);
        transcript.rollup_for_hrr();
        // No cookie: this server keeps the state a cookie would carry, and a
        // client has nothing to prove (RFC 8446 §4.2.2: the server MAY send one).
        let exts = ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            hrr_selected_group: Some(group),
            ..Default::default()
        };
        let hrr = ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: HRR_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: exts.to_extensions(ServerExtContext::HelloRetryRequest)?,
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ServerHello(hrr)),
            &mut transcript,
        )?;
        c.flush_handshake()?;
        // Compatibility mode CCS right after our first handshake message; sent even for an
        // empty session id so the second flight's CCS rule stays simple.
        c.send_ccs()?;
        c.info.hello_retry = true;
        if early_data {
            // Its 0-RTT follows the first ClientHello; none may follow the second.
            c.skip_early_data = Some(SkipEarlyData::UntilClientHello {
                left: MAX_SKIPPED_EARLY_DATA,
            });
        }
        Ok(State::ExpectClientHello(Box::new(ExpectClientHello {
            early_verdict: None,
            hrr: Some(HrrSent {
                transcript,
                suite: suite.suite,
                group,
                session_id: ch.session_id.clone(),
            }),
        })))
    }
}

impl ExpectFinished {
    fn handle_finished(
        mut self: Box<Self>,
        c: &mut Common,
        vd: &[u8],
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        require_boundary(boundary, "Finished")?;
        verify_finished(
            self.suite.hash,
            &self.client_hs,
            &self.transcript,
            vd,
            "client",
        )?;
        self.transcript.add(&msg.encoded);
        c.install_app_read(self.suite, self.master.client_traffic())?;
        if self.tickets {
            let rms = self
                .master
                .resumption_secret(self.transcript.current_hash().as_bytes());
            psk::keep_ticket_base(c, self.suite, rms, self.auth_time);
            let n = c
                .config
                .inner
                .resumption
                .ticket_count
                .saturating_add(std::mem::take(&mut c.resumption.extra_tickets));
            psk::send_tickets(c, n)?;
        }
        c.traffic = Some(Traffic13 {
            suite: self.suite,
            ours: self.master.server_traffic().clone(),
            theirs: self.master.client_traffic().clone(),
        });
        Ok(State::Done)
    }
}

#[cfg(test)]
mod tests;
