//! TLS 1.2 server handshake (RFC 5246 §7.3) with ECDHE key exchange
//! (RFC 8422), extended master secret (RFC 7627) and AEAD suites; session
//! resumption by ticket (RFC 5077) or session id (`resume`); client
//! authentication (`client_auth`). No renegotiation.
//!
//! Entered from the TLS 1.3 server once version negotiation picked TLS 1.2.

use super::client12::{check_peer_finished, derive_keys, keys_from_master, send_ccs_and_finished};
use super::common::Exporter;
use super::server13::{choose_alpn, choose_cert, suite_preference, ChosenCert};
use super::{require_boundary, unexpected, Common};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::{tls12_group, KeyExchange};
use crate::crypto::rand;
use crate::crypto::sign::KeyType;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{ClientExtensions, ServerExtContext, ServerExtensions};
use crate::msgs::handshake::{
    Certificate12, ClientHello, EcdheParams, HandshakeMessage, HandshakePayload,
    NewSessionTicket12, ServerHello, ServerKeyExchange, DOWNGRADE_TLS12,
};
use crate::msgs::joiner::RawHandshake;
use crate::record::protect::Encrypter;
use crate::resumption::state::ServerSessionState;
use crate::resumption::PendingLookup;
use crate::suites::{tls12_suite, Tls12Suite};
use crate::tls12::prf;

mod client_auth;
mod resume;
mod sign;
use resume::Decision;

pub(crate) enum State {
    /// The session cache has not answered yet: the handshake waits
    /// (`Blocked::OnApplicationInput`) with the ClientHello.
    AwaitingLookup(Box<Paused>),
    /// We sent a CertificateRequest: the client's Certificate comes first.
    ExpectCertificate(Box<Handshake>),
    /// The ServerKeyExchange waits for its signature (the application's
    /// private-key operation answers later).
    AwaitingSign(Box<sign::PausedSign>),
    ExpectClientKeyExchange(Box<Handshake>),
    ExpectCertificateVerify(Box<Handshake>),
    ExpectFinished(Box<Handshake>),
    Done,
}

/// What the TLS 1.2 server carries from its first flight to the client's Finished.
pub(crate) struct Handshake {
    transcript: Transcript,
    suite: &'static Tls12Suite,
    client_random: [u8; 32],
    server_random: [u8; 32],
    /// Whether the master secret is extended (RFC 7627); a resumable session
    /// must keep this (RFC 7627 §5.3, see `handle_client_hello`).
    ems: bool,
    kx: Option<KeyExchange>,
    master: Option<prf::MasterSecret>,
    /// Our write key, installed after the client's Finished checks out.
    enc: Option<Encrypter>,
    /// An abbreviated handshake: our Finished went first.
    resumed: bool,
    /// A NewSessionTicket goes before our ChangeCipherSpec (RFC 5077 §3.3).
    issue_ticket: bool,
    /// Non-empty: the session is stored in the cache under it at the end.
    session_id: Vec<u8>,
    /// What our CertificateRequest offered, if we sent one.
    client_auth: Option<super::client_auth::Requested>,
    /// The client sent a certificate: its CertificateVerify follows the
    /// ClientKeyExchange.
    client_verify_follows: bool,
}

/// A ClientHello waiting for the session cache's answer.
pub(crate) struct Paused {
    ch: ClientHello,
    exts: ClientExtensions,
    encoded: Vec<u8>,
    lookup: PendingLookup,
}

fn hs_failure(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::HANDSHAKE_FAILURE, msg)
}

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

/// The ECDHE group: the policy's order among the groups the client supports,
/// skipping the TLS 1.3-only hybrids in both lists.
/// A client without supported_groups may use any curve (RFC 8422 §4); we
/// then pick secp256r1, the one every ECDHE client has.
fn choose_group(c: &Common, client_groups: Option<&[NamedGroup]>) -> Option<NamedGroup> {
    let policy = c.config.inner.policy;
    let usable = |g: &NamedGroup| tls12_group(*g) && policy.groups.contains(g);
    match client_groups {
        Some(theirs) => policy
            .groups
            .iter()
            .copied()
            .find(|g| usable(g) && theirs.contains(g)),
        None => Some(NamedGroup::SECP256R1).filter(usable),
    }
}

/// Suite, certificate and signature scheme: the first suite (server order,
/// ChaCha20 boosting applied) for which a certificate of the suite's key type
/// can sign a scheme the client accepts, preferring, across suites, a
/// certificate that fits better (see [`choose_cert`]): a suite whose
/// certificate the client will accept beats an earlier one whose it may not.
fn choose_suite_and_cert(
    c: &Common,
    offered: &[CipherSuite],
    client_schemes: &[SignatureScheme],
    client_cert_schemes: Option<&[SignatureScheme]>,
    client_groups: Option<&[NamedGroup]>,
) -> Option<(&'static Tls12Suite, ChosenCert)> {
    let mut best: Option<(&'static Tls12Suite, ChosenCert)> = None;
    for suite in suite_preference(c, offered, |cs| tls12_suite(cs).is_some())
        .into_iter()
        .filter_map(tls12_suite)
    {
        let Some(chosen) = choose_cert(c, client_schemes, client_cert_schemes, false, |k| {
            suite.auth.matches(k) && curve_offered(k, client_groups)
        }) else {
            continue;
        };
        // The first suite with a perfectly fitting certificate ends the search;
        // otherwise the first of the best fits (server order) wins.
        if chosen.fit.is_best() {
            return Some((suite, chosen));
        }
        if best.as_ref().is_none_or(|(_, b)| chosen.fit < b.fit) {
            best = Some((suite, chosen));
        }
    }
    best
}

/// In TLS 1.2 the client's supported_groups also bounds the curve of an ECDSA
/// certificate (RFC 8422 §5.1); without the extension any curve goes.
fn curve_offered(key: KeyType, client_groups: Option<&[NamedGroup]>) -> bool {
    let curve = match key {
        KeyType::EcdsaP256 => NamedGroup::SECP256R1,
        KeyType::EcdsaP384 => NamedGroup::SECP384R1,
        KeyType::EcdsaP521 => NamedGroup::SECP521R1,
        KeyType::Rsa | KeyType::RsaPss => return true,
    };
    client_groups.is_none_or(|g| g.contains(&curve))
}

/// Answers a ClientHello for which version negotiation chose TLS 1.2: a
/// resumed session's ServerHello, ChangeCipherSpec and Finished, or a full
/// handshake's ServerHello, Certificate, ServerKeyExchange and
/// ServerHelloDone, in one flight; or, while the session cache looks the
/// session id up, nothing yet ([`State::AwaitingLookup`]).
pub(crate) fn handle_client_hello(
    c: &mut Common,
    ch: ClientHello,
    exts: ClientExtensions,
    msg: &RawHandshake,
) -> Result<State> {
    check_hello(c, &ch, &exts)?;
    match resume::decide(c, &ch, &exts) {
        Decision::Pending(lookup) => Ok(State::AwaitingLookup(Box::new(Paused {
            ch,
            exts,
            encoded: msg.encoded.clone(),
            lookup,
        }))),
        d => answer(c, ch, exts, &msg.encoded, d),
    }
}

/// The ClientHello's TLS 1.2 rules, whatever the handshake becomes.
fn check_hello(c: &mut Common, ch: &ClientHello, exts: &ClientExtensions) -> Result<()> {
    let policy = c.config.inner.policy;
    c.info.version = Some(ProtocolVersion::TLSV1_2);
    // RFC 7507: a client that retries with a lower version after a failure says so;
    // if we support more than it now offers, someone interfered with its first try.
    if ch.cipher_suites.contains(&CipherSuite::TLS_FALLBACK_SCSV)
        && policy.negotiates(ProtocolVersion::TLSV1_3)
    {
        return Err(Error::protocol(
            AlertDescription::INAPPROPRIATE_FALLBACK,
            "client fell back to TLS 1.2 but this server supports TLS 1.3",
        ));
    }
    if !ch.compression_methods.contains(&0) {
        return Err(illegal("client does not offer null compression"));
    }
    if exts
        .renegotiation_info
        .as_ref()
        .is_some_and(|ri| !ri.is_empty())
    {
        return Err(hs_failure(
            "non-empty renegotiation_info in the initial handshake",
        ));
    }
    if let Some(formats) = &exts.ec_point_formats {
        if !formats.contains(&0) {
            return Err(illegal("client does not accept uncompressed points"));
        }
    }
    if !exts.extended_master_secret && c.config.inner.ems_required() {
        return Err(hs_failure(
            "client does not support the extended master secret (RFC 7627), which this configuration requires",
        ));
    }
    if !c.config.inner.has_certs() {
        return Err(hs_failure("server has no certificate configured"));
    }
    c.info.server_name = exts.server_name.clone();
    c.info.ems = Some(exts.extended_master_secret);
    Ok(())
}

/// Goes on once it is known whether the session resumes.
fn answer(
    c: &mut Common,
    ch: ClientHello,
    exts: ClientExtensions,
    encoded: &[u8],
    d: Decision,
) -> Result<State> {
    match d {
        Decision::Resume(state) => resume_session(c, &ch, &exts, encoded, state),
        _ => full_handshake(c, &ch, &exts, encoded),
    }
}

/// Our ServerHello and its random.
// Each argument is one decision the caller made for this ServerHello.
#[allow(clippy::too_many_arguments)]
fn server_hello(
    c: &Common,
    ch: &ClientHello,
    exts: &ClientExtensions,
    session_id: Vec<u8>,
    suite: CipherSuite,
    alpn: Option<Vec<u8>>,
    ticket_ack: bool,
    staple: &super::status::Staple,
) -> Result<(HandshakeMessage, [u8; 32])> {
    let mut server_random = rand::random32()?;
    if c.config.inner.policy.negotiates(ProtocolVersion::TLSV1_3) {
        // Downgrade protection (RFC 8446 §4.1.3): tells a TLS 1.3 client that
        // TLS 1.2 was our choice, so an attacker cannot strip 1.3 unnoticed.
        server_random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    // RFC 5746: the client signals secure renegotiation by SCSV or an empty extension.
    let secure_reneg = ch
        .cipher_suites
        .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
        || exts.renegotiation_info.is_some();
    let sh_exts = ServerExtensions {
        server_name_ack: exts.server_name.is_some(),
        alpn,
        extended_master_secret: exts.extended_master_secret,
        renegotiation_info: secure_reneg.then(Vec::new),
        ec_point_formats: exts.ec_point_formats.is_some().then(|| vec![0]),
        session_ticket_ack: ticket_ack,
        // RFC 6066 §8: acknowledged only when a CertificateStatus follows.
        status_request_ack: staple.ocsp.is_some(),
        sct_list: staple.sct.as_deref().map(<[u8]>::to_vec),
        ..Default::default()
    };
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: server_random,
        session_id,
        cipher_suite: suite,
        compression_method: 0,
        extensions: sh_exts.to_extensions(ServerExtContext::ServerHello12)?,
    };
    Ok((
        HandshakeMessage::new(HandshakePayload::ServerHello(sh)),
        server_random,
    ))
}

/// The abbreviated handshake (RFC 5246 §7.3): ServerHello echoing the
/// client's session id, then our ChangeCipherSpec and Finished at once,
/// keys from the session's master secret and the new randoms. No new ticket:
/// as s2n, a resumed TLS 1.2 session keeps the keying material of its
/// original handshake, so its life stays bounded by the ticket key's.
fn resume_session(
    c: &mut Common,
    ch: &ClientHello,
    exts: &ClientExtensions,
    encoded: &[u8],
    state: ServerSessionState,
) -> Result<State> {
    let suite = tls12_suite(state.suite)
        .ok_or_else(|| Error::internal("resumed a session without a TLS 1.2 suite"))?;
    let alpn = choose_alpn(c, exts.alpn.as_deref())?;
    let mut transcript = Transcript::new();
    transcript.start_hash(suite.hash);
    transcript.add(encoded);
    let (sh, server_random) = server_hello(
        c,
        ch,
        exts,
        ch.session_id.clone(),
        suite.suite,
        alpn.clone(),
        false,
        // An abbreviated handshake sends no certificate, so no status.
        &super::status::Staple::default(),
    )?;
    c.queue_handshake(&sh, &mut transcript)?;
    super::client_auth::resumed(c, &state);
    let master = prf::MasterSecret::new(suite.hash, state.secret);
    let (enc, dec) = keys_from_master(c, suite, &master, &ch.random, &server_random)?;
    c.recv.state.set_next(dec)?;
    send_ccs_and_finished(c, enc, &master, &mut transcript, b"server finished")?;
    c.info.suite = Some(suite.suite);
    c.info.alpn = alpn;
    c.info.resumed = true;
    c.info.resumed_age = Some(c.now().saturating_sub(state.issued_at));
    Ok(State::ExpectFinished(Box::new(Handshake {
        transcript,
        suite,
        client_random: ch.random,
        server_random,
        ems: state.ems,
        kx: None,
        master: Some(master),
        enc: None,
        resumed: true,
        issue_ticket: false,
        session_id: Vec::new(),
        client_auth: None,
        client_verify_follows: false,
    })))
}

/// The full handshake's first flight: ServerHello, Certificate,
/// ServerKeyExchange and ServerHelloDone.
fn full_handshake(
    c: &mut Common,
    ch: &ClientHello,
    exts: &ClientExtensions,
    encoded: &[u8],
) -> Result<State> {
    // Without signature_algorithms a TLS 1.2 client means SHA-1 (RFC 5246
    // §7.4.1.4.1), which Baton does not sign with.
    let client_schemes = exts.signature_algorithms.as_deref().ok_or_else(|| {
        hs_failure("ClientHello without signature_algorithms (SHA-1 only) is not supported")
    })?;
    let (suite, ChosenCert { cert, scheme, .. }) = choose_suite_and_cert(
        c,
        &ch.cipher_suites,
        client_schemes,
        exts.signature_algorithms_cert.as_deref(),
        exts.supported_groups.as_deref(),
    )
    .ok_or_else(|| {
        hs_failure("no TLS 1.2 cipher suite, certificate and signature scheme in common")
    })?;
    let group = choose_group(c, exts.supported_groups.as_deref())
        .ok_or_else(|| hs_failure("no key exchange group in common"))?;
    let alpn = choose_alpn(c, exts.alpn.as_deref())?;

    let mut transcript = Transcript::new();
    client_auth::prepare_transcript(c, &mut transcript);
    transcript.start_hash(suite.hash);
    transcript.add(encoded);

    // Something to resume later: a ticket when the client asks for one
    // (RFC 5077) and a key may seal it; else, with a session cache, a session
    // id under which the sealed state is stored. One of them, not both, as
    // OpenSSL: a ticket makes the cache entry dead weight. Neither (an empty
    // session id: RFC 5246 §7.4.1.3) when no key may seal.
    let settings = &c.config.inner.resumption;
    let can_seal = settings.ticket_keys.will_seal(c.now());
    let issue_ticket = settings.tickets && exts.session_ticket.is_some() && can_seal;
    let session_id = if !issue_ticket && can_seal && settings.session_cache.is_some() {
        let mut id = vec![0u8; 32];
        rand::fill(&mut id)?;
        id
    } else {
        Vec::new()
    };
    c.info.session_id = (!session_id.is_empty()).then(|| session_id.clone());
    let staple = super::status::Staple::for_hello(&cert, exts);
    let (sh, server_random) = server_hello(
        c,
        ch,
        exts,
        session_id.clone(),
        suite.suite,
        alpn.clone(),
        issue_ticket,
        &staple,
    )?;
    c.queue_handshake(&sh, &mut transcript)?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::Certificate12(Certificate12(
            cert.chain().to_vec(),
        ))),
        &mut transcript,
    )?;
    if let Some(status) = staple.certificate_status12() {
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::CertificateStatus(status)),
            &mut transcript,
        )?;
    }
    let kx = KeyExchange::start(group)?;
    let ske = ServerKeyExchange {
        params: EcdheParams {
            group,
            public: kx.public_key().to_vec(),
        },
        scheme,
        signature: Vec::new(),
    };
    let signed = ske.signed_content(&ch.random, &server_random)?;
    c.info.suite = Some(suite.suite);
    c.info.group = Some(group);
    c.info.alpn = alpn;
    let signing = c.sign(&cert, scheme, signed)?;
    c.info.selected_cert = Some(cert);
    c.info.signature_scheme = Some(scheme);
    let hs = Box::new(Handshake {
        transcript,
        suite,
        client_random: ch.random,
        server_random,
        ems: exts.extended_master_secret,
        kx: Some(kx),
        master: None,
        enc: None,
        resumed: false,
        issue_ticket,
        session_id,
        // Set once the request is out, after the ServerKeyExchange.
        client_auth: None,
        client_verify_follows: false,
    });
    sign::after_signing(c, hs, ske, signing)
}

impl State {
    /// True while the handshake waits for the session cache.
    pub(crate) fn is_awaiting_lookup(&self) -> bool {
        matches!(self, State::AwaitingLookup(_))
    }

    /// Waiting for the private-key operation's signature.
    pub(crate) fn is_awaiting_sign(&self) -> bool {
        matches!(self, State::AwaitingSign(_))
    }

    /// Goes on with the handshake if the session cache (or the private-key
    /// operation) answered; the same state while it has not.
    pub(crate) fn poll_lookup(self, c: &mut Common) -> Result<State> {
        let p = match self {
            State::AwaitingLookup(p) => p,
            State::AwaitingSign(p) => return p.poll(c),
            other => return Ok(other),
        };
        let Some(entry) = p.lookup.poll() else {
            return Ok(State::AwaitingLookup(p));
        };
        let Paused {
            ch, exts, encoded, ..
        } = *p;
        let d = resume::after_lookup(c, &ch, &exts, entry);
        answer(c, ch, exts, &encoded, d)
    }

    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<State> {
        let parsed = HandshakeMessage::read_tls12(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectCertificate(s), HandshakePayload::Certificate12(cert)) => {
                s.handle_client_certificate(c, cert.0, &msg)
            }
            (State::ExpectClientKeyExchange(s), HandshakePayload::ClientKeyExchange(cke)) => {
                // The client's CCS follows (unless its CertificateVerify
                // does); nothing may share its record.
                if !s.client_verify_follows {
                    require_boundary(boundary, "ClientKeyExchange")?;
                }
                // A client chain whose CRL lookups the engine waited for.
                super::client_auth::check_looked_up_chain(c)?;
                s.handle_client_key_exchange(c, &cke.0, &msg)
            }
            (State::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle_client_verify(c, cv, &msg, boundary)
            }
            (State::ExpectFinished(s), HandshakePayload::Finished(vd)) => {
                s.handle_finished(c, &vd, &msg, boundary)
            }
            (state, _) => Err(unexpected(
                msg.typ,
                match state {
                    State::AwaitingLookup(_) => "waiting for the session cache",
                    State::ExpectCertificate(_) => "expecting client Certificate",
                    State::AwaitingSign(_) => "waiting for the private key operation",
                    State::ExpectClientKeyExchange(_) => "expecting ClientKeyExchange",
                    State::ExpectCertificateVerify(_) => "expecting client CertificateVerify",
                    State::ExpectFinished(_) => "expecting client Finished",
                    State::Done => "connected",
                },
            )),
        }
    }
}

impl Handshake {
    fn handle_client_key_exchange(
        mut self: Box<Self>,
        c: &mut Common,
        client_public: &[u8],
        msg: &RawHandshake,
    ) -> Result<State> {
        let kx = self
            .kx
            .take()
            .ok_or_else(|| Error::internal("no key exchange in progress"))?;
        let pms = kx.complete(client_public)?;
        self.transcript.add(&msg.encoded);
        let (master, enc, dec) = derive_keys(
            c,
            self.suite,
            self.ems,
            &pms,
            &self.transcript,
            &self.client_random,
            &self.server_random,
        )?;
        c.recv.state.set_next(dec)?;
        self.enc = Some(enc);
        self.master = Some(master);
        if self.client_verify_follows {
            return Ok(State::ExpectCertificateVerify(self));
        }
        Ok(State::ExpectFinished(self))
    }

    fn handle_finished(
        mut self: Box<Self>,
        c: &mut Common,
        vd: &[u8],
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        let master = self
            .master
            .take()
            .ok_or_else(|| Error::internal("no master secret"))?;
        let hash = self.suite.hash;
        check_peer_finished(
            c,
            &master,
            &self.transcript,
            vd,
            boundary,
            b"client finished",
        )?;
        self.transcript.add(&msg.encoded);
        c.recv.state.confirm_application_keys()?;
        if !self.resumed {
            self.finish_full(c, &master)?;
        }
        c.exporter = Some(Exporter::Tls12 {
            hash,
            master: master.into_secret(),
            client_random: self.client_random,
            server_random: self.server_random,
        });
        Ok(State::Done)
    }

    /// The end of a full handshake: [NewSessionTicket], our ChangeCipherSpec
    /// and Finished; the session goes into the cache when it has an id.
    fn finish_full(&mut self, c: &mut Common, master: &prf::MasterSecret) -> Result<()> {
        let settings = &c.config.inner.resumption;
        let sealed = (self.issue_ticket || !self.session_id.is_empty())
            .then(|| resume::seal(c, self.suite, master.secret(), self.ems))
            .flatten();
        if self.issue_ticket {
            // A key may have stopped encrypting since the ServerHello: an empty
            // ticket then says "none after all" (RFC 5077 §3.3).
            let nst = NewSessionTicket12 {
                lifetime_hint: resume::lifetime_secs(c),
                ticket: sealed.clone().unwrap_or_default(),
            };
            c.queue_handshake(
                &HandshakeMessage::new(HandshakePayload::NewSessionTicket12(nst)),
                &mut self.transcript,
            )?;
        } else if let (Some(cache), Some(entry)) = (&settings.session_cache, &sealed) {
            cache.store(&self.session_id, entry, settings.session_lifetime);
        } else {
            // No key may seal since the ServerHello: the id names nothing.
            c.info.session_id = None;
        }
        let enc = self
            .enc
            .take()
            .ok_or_else(|| Error::internal("no server write key"))?;
        send_ccs_and_finished(c, enc, master, &mut self.transcript, b"server finished")
    }
}

#[cfg(test)]
mod resume_tests;
