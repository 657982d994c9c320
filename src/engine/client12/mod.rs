//! TLS 1.2 client handshake (RFC 5246 §7.3) with ECDHE key exchange
//! (RFC 8422), extended master secret (RFC 7627) and AEAD suites; the
//! abbreviated handshake that resumes a saved session (`resume`).
//!
//! Entered from the TLS 1.3 client when the ServerHello picks TLS 1.2: the
//! ClientHello is shared, so is the transcript so far.

use super::client13::verify_server_certificate;
use super::common::Exporter;
use super::{require_boundary, unexpected, Common};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::{tls12_group, KeyExchange};
use crate::crypto::verify::verify_signature;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{ClientExtensions, ServerExtContext, ServerExtensions};
use crate::msgs::handshake::{
    ClientKeyExchange, HandshakeMessage, HandshakePayload, NewSessionTicket12, ServerHello,
    ServerKeyExchange, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use crate::msgs::joiner::RawHandshake;
use crate::record::protect::{Decrypter, Encrypter};
use crate::resumption::SavedSession;
use crate::secrets::{ct_eq, Secret};
use crate::suites::{tls12_suite, Auth, Tls12Suite};
use crate::tls12::prf;

mod client_auth;
mod resume;
pub(crate) use resume::offer;
#[cfg(test)]
pub(crate) use resume::resumed_session as resumed_session_for_test;

pub(crate) enum State {
    ExpectCertificate(Box<Handshake>),
    ExpectServerKeyExchange(Box<Handshake>),
    ExpectCertificateRequestOrDone(Box<Handshake>),
    ExpectServerHelloDone(Box<Handshake>),
    /// The server said a NewSessionTicket comes before its ChangeCipherSpec
    /// (an empty `session_ticket` in its ServerHello, RFC 5077 §3.3).
    ExpectNewTicket(Box<Handshake>),
    ExpectFinished(Box<Handshake>),
    /// Our Certificate and ClientKeyExchange are queued; the
    /// CertificateVerify waits for the private-key operation.
    AwaitingSign(Box<client_auth::PausedSign>),
    Done,
}

/// Everything the TLS 1.2 client carries from the ServerHello to Finished.
pub(crate) struct Handshake {
    transcript: Transcript,
    suite: &'static Tls12Suite,
    client_random: [u8; 32],
    server_random: [u8; 32],
    /// Whether the master secret is extended (RFC 7627); kept with the
    /// session, and a ServerHello resuming it must agree (`resume`).
    ems: bool,
    offered_groups: Vec<NamedGroup>,
    offered_schemes: Vec<SignatureScheme>,
    /// The server's ECDHE group and public value, from ServerKeyExchange.
    server_share: Option<(NamedGroup, Vec<u8>)>,
    /// The server's CertificateRequest, if it sent one.
    cert_request: Option<crate::msgs::handshake::CertificateRequest12>,
    master: Option<prf::MasterSecret>,
    /// The session this handshake resumes (abbreviated: the server's
    /// Finished comes first, ours after it, under `enc`).
    resumed: Option<SavedSession>,
    enc: Option<Encrypter>,
    /// A NewSessionTicket must come before the server's ChangeCipherSpec.
    ticket_expected: bool,
    new_ticket: Option<NewSessionTicket12>,
    /// The session id in the ServerHello (empty: none to resume with).
    server_session_id: Vec<u8>,
    /// The server acknowledged `status_request`: a CertificateStatus may
    /// follow its Certificate (RFC 6066 §8: "MAY").
    status_expected: bool,
}

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

fn hs_failure(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::HANDSHAKE_FAILURE, msg)
}

/// The TLS 1.3 client hands over here when the ServerHello has no
/// supported_versions extension, i.e. the server picked TLS 1.2 or older.
pub(crate) fn handle_server_hello(
    c: &mut Common,
    mut transcript: Transcript,
    hello: &crate::msgs::handshake::ClientHello,
    offered: &ClientExtensions,
    sh: ServerHello,
    msg: &RawHandshake,
) -> Result<State> {
    let policy = c.config.inner.policy;
    if sh.legacy_version != ProtocolVersion::TLSV1_2 {
        return Err(Error::protocol(
            AlertDescription::PROTOCOL_VERSION,
            format!(
                "server chose {:?}; this security policy allows TLS 1.2 at the lowest",
                sh.legacy_version
            ),
        ));
    }
    if !policy.allows_version(ProtocolVersion::TLSV1_2) {
        return Err(Error::protocol(
            AlertDescription::PROTOCOL_VERSION,
            "server chose TLS 1.2, which this security policy does not allow",
        ));
    }
    // RFC 8446 §4.1.3: a TLS 1.3 server that answers a TLS 1.3 client with
    // TLS 1.2 says so in its random; seeing it means an attacker removed 1.3.
    let offered13 = offered
        .supported_versions
        .as_deref()
        .is_some_and(|v| v.contains(&ProtocolVersion::TLSV1_3));
    let tail = &sh.random[24..];
    if offered13 && (tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11) {
        return Err(illegal(
            "downgrade detected: a TLS 1.3 server answered with TLS 1.2",
        ));
    }
    if sh.compression_method != 0 {
        return Err(illegal("server chose a compression method"));
    }
    let resumed = resume::resumed_session(c, hello, &sh)?;
    if !hello.cipher_suites.contains(&sh.cipher_suite) {
        return Err(illegal("server chose a cipher suite we did not offer"));
    }
    let suite = tls12_suite(sh.cipher_suite)
        .ok_or_else(|| illegal("server chose a suite that is not a TLS 1.2 suite"))?;
    let exts = ServerExtensions::parse(ServerExtContext::ServerHello12, &sh.extensions)?;
    if let Some(ri) = &exts.renegotiation_info {
        // Initial handshake: the server's renegotiated_connection must be empty (RFC 5746 §3.4).
        if !ri.is_empty() {
            return Err(hs_failure(
                "non-empty renegotiation_info in the initial handshake",
            ));
        }
    }
    if (exts.session_ticket_ack && offered.session_ticket.is_none())
        || (exts.status_request_ack && !offered.status_request)
        || (exts.sct_list.is_some() && !offered.sct)
    {
        return Err(Error::protocol(
            AlertDescription::UNSUPPORTED_EXTENSION,
            "server answered an extension we did not send",
        ));
    }
    if let Some(formats) = &exts.ec_point_formats {
        if !formats.contains(&0) {
            return Err(illegal("server does not accept uncompressed points"));
        }
    }
    if !exts.extended_master_secret && c.config.inner.ems_required() {
        return Err(hs_failure(
            "server does not support the extended master secret (RFC 7627), which this configuration requires",
        ));
    }
    if let Some(proto) = &exts.alpn {
        let ours = offered.alpn.as_deref().unwrap_or_default();
        if ours.is_empty() {
            // An answer to an extension we never sent (RFC 5246 §7.4.1.4).
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "server selected an ALPN protocol but we offered none",
            ));
        }
        if !ours.contains(proto) {
            return Err(illegal("server selected an ALPN protocol we did not offer"));
        }
        c.info.alpn = Some(proto.clone());
    }
    if exts.server_name_ack && offered.server_name.is_none() {
        return Err(Error::protocol(
            AlertDescription::UNSUPPORTED_EXTENSION,
            "server_name acknowledged but not sent",
        ));
    }
    if let Some(saved) = &resumed {
        resume::check_resumption(saved, &sh, &exts)?;
    }
    if resumed.is_none() {
        client_auth::prepare_transcript(c, &mut transcript);
    }
    transcript.start_hash(suite.hash);
    transcript.add(&msg.encoded);
    c.info.version = Some(ProtocolVersion::TLSV1_2);
    c.info.server_version = Some(ProtocolVersion::TLSV1_2);
    c.info.suite = Some(suite.suite);
    c.info.ems = Some(exts.extended_master_secret);
    // The id a session cache knows the session by: the server's new one, or
    // on resumption the session's own (a ticket's is only our random echo).
    c.info.session_id = match &resumed {
        Some(saved) => Some(saved.session_id.clone()),
        None => Some(sh.session_id.clone()),
    }
    .filter(|id| !id.is_empty());
    let mut s = Box::new(Handshake {
        transcript,
        suite,
        client_random: hello.random,
        server_random: sh.random,
        ems: exts.extended_master_secret,
        offered_groups: offered.supported_groups.clone().unwrap_or_default(),
        offered_schemes: offered.signature_algorithms.clone().unwrap_or_default(),
        server_share: None,
        cert_request: None,
        master: None,
        resumed: None,
        enc: None,
        ticket_expected: exts.session_ticket_ack,
        new_ticket: None,
        server_session_id: sh.session_id,
        status_expected: exts.status_request_ack,
    });
    c.info.sct_list = exts.sct_list;
    let Some(saved) = resumed else {
        return Ok(State::ExpectCertificate(s));
    };
    // Abbreviated handshake (RFC 5246 §7.3): new keys from the saved master
    // secret and the new randoms; [NewSessionTicket], the server's
    // ChangeCipherSpec and Finished come next.
    let master = prf::MasterSecret::new(suite.hash, saved.secret.clone());
    let (enc, dec) = keys_from_master(c, suite, &master, &s.client_random, &s.server_random)?;
    c.recv.state.set_next(dec)?;
    c.info.resumed = true;
    c.info.resumed_age = Some(saved.age_secs(c.now()));
    c.info.peer_chain.clone_from(&saved.peer_chain);
    s.master = Some(master);
    s.enc = Some(enc);
    s.resumed = Some(saved);
    Ok(s.after_server_flight())
}

impl State {
    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<State> {
        let parsed = HandshakeMessage::read_tls12(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectCertificate(mut s), HandshakePayload::Certificate12(cert)) => {
                if cert.0.is_empty() {
                    return Err(Error::protocol(
                        AlertDescription::DECODE_ERROR,
                        "server sent an empty certificate list",
                    ));
                }
                // RFC 8422 §5.1: our supported_groups bounds the curve of
                // the server's ECDSA key too.
                let curve = crate::cert::ec_key_curve(&cert.0[0]);
                if curve.is_some_and(|g| !s.offered_groups.contains(&g)) {
                    return Err(Error::protocol(
                        AlertDescription::UNSUPPORTED_CERTIFICATE,
                        "the server's ECDSA key is on a curve we did not offer",
                    ));
                }
                c.info.peer_chain = cert.0;
                // With CRL lookups, validated once they are answered (at
                // ServerKeyExchange, which the engine holds back till then).
                if !super::status::start_crl_lookups(c) {
                    verify_server_certificate(c)?;
                }
                s.transcript.add(&msg.encoded);
                Ok(State::ExpectServerKeyExchange(s))
            }
            (State::ExpectServerKeyExchange(mut s), HandshakePayload::CertificateStatus(cs))
                if s.status_expected =>
            {
                s.status_expected = false;
                c.info.ocsp_response = Some(cs.ocsp_response);
                s.transcript.add(&msg.encoded);
                Ok(State::ExpectServerKeyExchange(s))
            }
            (State::ExpectServerKeyExchange(s), HandshakePayload::ServerKeyExchange(ske)) => {
                if c.crl_lookups.is_some() {
                    verify_server_certificate(c)?;
                }
                super::status::check_ocsp(c)?;
                s.handle_server_key_exchange(c, ske, &msg)
            }
            (
                State::ExpectCertificateRequestOrDone(mut s),
                HandshakePayload::CertificateRequest12(cr),
            ) => {
                s.cert_request = Some(cr);
                s.transcript.add(&msg.encoded);
                Ok(State::ExpectServerHelloDone(s))
            }
            (
                State::ExpectCertificateRequestOrDone(s) | State::ExpectServerHelloDone(s),
                HandshakePayload::ServerHelloDone,
            ) => {
                require_boundary(boundary, "ServerHelloDone")?;
                s.send_client_flight(c, &msg)
            }
            (State::ExpectNewTicket(mut s), HandshakePayload::NewSessionTicket12(t)) => {
                s.transcript.add(&msg.encoded);
                s.new_ticket = Some(t);
                s.ticket_expected = false;
                Ok(State::ExpectFinished(s))
            }
            (State::ExpectFinished(s), HandshakePayload::Finished(vd)) => {
                s.handle_finished(c, &vd, &msg, boundary)
            }
            (state, _) => Err(unexpected(msg.typ, state.name())),
        }
    }

    /// Waiting for the private-key operation's signature.
    pub(crate) fn is_awaiting_sign(&self) -> bool {
        matches!(self, State::AwaitingSign(_))
    }

    /// Goes on once the private-key operation answered; the same state
    /// while it has not.
    pub(crate) fn poll_sign(self, c: &mut Common) -> Result<State> {
        match self {
            State::AwaitingSign(p) => p.poll(c),
            other => Ok(other),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            State::ExpectCertificate(_) => "expecting TLS 1.2 Certificate",
            State::ExpectServerKeyExchange(_) => "expecting ServerKeyExchange",
            State::ExpectCertificateRequestOrDone(_) => {
                "expecting CertificateRequest or ServerHelloDone"
            }
            State::ExpectServerHelloDone(_) => "expecting ServerHelloDone",
            State::ExpectNewTicket(_) => "expecting NewSessionTicket",
            State::ExpectFinished(_) => "expecting server Finished",
            State::AwaitingSign(_) => "waiting for the private key operation",
            State::Done => "connected",
        }
    }
}

/// True if `scheme` is a signature by the key type the suite names.
fn scheme_matches_auth(scheme: SignatureScheme, auth: Auth) -> bool {
    use SignatureScheme as S;
    match auth {
        Auth::Ecdsa => matches!(
            scheme,
            S::ECDSA_SECP256R1_SHA256 | S::ECDSA_SECP384R1_SHA384 | S::ECDSA_SECP521R1_SHA512
        ),
        // RSA-PSS keys (rsa_pss_pss_*) serve ECDHE_RSA suites too, as in OpenSSL.
        Auth::Rsa => matches!(
            scheme,
            S::RSA_PSS_RSAE_SHA256
                | S::RSA_PSS_RSAE_SHA384
                | S::RSA_PSS_RSAE_SHA512
                | S::RSA_PSS_PSS_SHA256
                | S::RSA_PSS_PSS_SHA384
                | S::RSA_PSS_PSS_SHA512
                | S::RSA_PKCS1_SHA256
                | S::RSA_PKCS1_SHA384
                | S::RSA_PKCS1_SHA512
        ),
    }
}

impl Handshake {
    fn handle_server_key_exchange(
        mut self: Box<Self>,
        c: &mut Common,
        ske: ServerKeyExchange,
        msg: &RawHandshake,
    ) -> Result<State> {
        let group = ske.params.group;
        // A hybrid is TLS 1.3 only, even though a hello offering both versions lists it.
        if !self.offered_groups.contains(&group) || !tls12_group(group) {
            return Err(illegal("server chose an ECDHE group we did not offer"));
        }
        if !self.offered_schemes.contains(&ske.scheme) {
            return Err(illegal(
                "ServerKeyExchange signed with a scheme we did not offer",
            ));
        }
        if !scheme_matches_auth(ske.scheme, self.suite.auth) {
            return Err(illegal(
                "ServerKeyExchange signature does not match the suite's key type",
            ));
        }
        let leaf = c
            .info
            .peer_chain
            .first()
            .ok_or_else(|| Error::internal("no peer certificate"))?;
        let signed = ske.signed_content(&self.client_random, &self.server_random)?;
        verify_signature(leaf, ske.scheme, &signed, &ske.signature, false)?;
        c.info.peer_signature_scheme = Some(ske.scheme);
        c.info.group = Some(group);
        self.server_share = Some((group, ske.params.public));
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectCertificateRequestOrDone(self))
    }

    /// ServerHelloDone arrived: [Certificate], ClientKeyExchange,
    /// [CertificateVerify], ChangeCipherSpec, Finished — one flight.
    fn send_client_flight(
        mut self: Box<Self>,
        c: &mut Common,
        msg: &RawHandshake,
    ) -> Result<State> {
        self.transcript.add(&msg.encoded);
        let (group, server_public) = self
            .server_share
            .take()
            .ok_or_else(|| Error::internal("no server key share"))?;
        let kx = KeyExchange::start(group)?;
        let our_public = kx.public_key().to_vec();
        let pms = kx.complete(&server_public)?;
        let chosen = self
            .cert_request
            .take()
            .map(|cr| client_auth::choose(c, &cr));
        if let Some(chosen) = &chosen {
            client_auth::send_certificate(c, chosen.as_ref(), &mut self.transcript)?;
        }
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ClientKeyExchange(ClientKeyExchange(
                our_public,
            ))),
            &mut self.transcript,
        )?;
        let (master, enc, dec) = derive_keys(
            c,
            self.suite,
            self.ems,
            &pms,
            &self.transcript,
            &self.client_random,
            &self.server_random,
        )?;
        // After the keys: the extended master secret's session hash ends
        // at ClientKeyExchange (RFC 7627 §3).
        let keys = client_auth::FlightKeys { master, enc, dec };
        client_auth::verify_and_finish(c, self, chosen.flatten(), keys)
    }

    /// What the server sends next: a NewSessionTicket if it said so, then
    /// its ChangeCipherSpec and Finished.
    fn after_server_flight(self: Box<Self>) -> State {
        if self.ticket_expected {
            State::ExpectNewTicket(self)
        } else {
            State::ExpectFinished(self)
        }
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
        check_peer_finished(
            c,
            &master,
            &self.transcript,
            vd,
            boundary,
            b"server finished",
        )?;
        self.transcript.add(&msg.encoded);
        if let Some(enc) = self.enc.take() {
            // Abbreviated handshake: our ChangeCipherSpec and Finished answer.
            send_ccs_and_finished(c, enc, &master, &mut self.transcript, b"client finished")?;
        }
        c.recv.state.confirm_application_keys()?;
        self.keep_session(c, master.secret());
        c.exporter = Some(Exporter::Tls12 {
            hash: self.suite.hash,
            master: master.into_secret(),
            client_random: self.client_random,
            server_random: self.server_random,
        });
        Ok(State::Done)
    }
}

/// The master secret — extended (RFC 7627, over the transcript through
/// ClientKeyExchange) when negotiated — and this side's write key and the
/// peer's read key from the key block. Shared by both sides.
pub(crate) fn derive_keys(
    c: &Common,
    suite: &Tls12Suite,
    ems: bool,
    pms: &Secret,
    transcript: &Transcript,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(prf::MasterSecret, Encrypter, Decrypter)> {
    let master = if ems {
        prf::extended_master_secret(
            suite.hash,
            pms.as_bytes(),
            transcript.current_hash().as_bytes(),
        )?
    } else {
        prf::master_secret(suite.hash, pms.as_bytes(), client_random, server_random)?
    };
    let master = prf::MasterSecret::new(suite.hash, master);
    let (enc, dec) = keys_from_master(c, suite, &master, client_random, server_random)?;
    Ok((master, enc, dec))
}

/// This side's write key and the peer's read key from the key block of
/// `master` and this handshake's randoms (a resumed session's master secret
/// with new randoms makes new keys: RFC 5246 §7.3).
pub(crate) fn keys_from_master(
    c: &Common,
    suite: &Tls12Suite,
    master: &prf::MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(Encrypter, Decrypter)> {
    // Both sides, full and resumed handshakes alike, come through here.
    if let Some(log) = &c.config.inner.key_log {
        log.log("CLIENT_RANDOM", client_random, master.secret().as_bytes());
    }
    let kb = prf::key_block(suite.aead, master, client_random, server_random)?;
    let client = (&kb.client_key, &kb.client_iv);
    let server = (&kb.server_key, &kb.server_iv);
    let (ours, theirs) = match c.mode {
        super::Mode::Client => (client, server),
        super::Mode::Server => (server, client),
    };
    let enc = Encrypter::new_tls12(suite.aead, ours.0, ours.1.as_bytes())?;
    let dec = Decrypter::new_tls12(suite.aead, theirs.0, theirs.1.as_bytes())?;
    Ok((enc, dec))
}

/// Our ChangeCipherSpec, the switch to our new write key, and our Finished
/// (`label`'s verify_data over the transcript so far), flushed as one flight.
pub(crate) fn send_ccs_and_finished(
    c: &mut Common,
    enc: Encrypter,
    master: &prf::MasterSecret,
    transcript: &mut Transcript,
    label: &'static [u8],
) -> Result<()> {
    c.send_ccs()?;
    c.set_tls12_encrypter(enc)?;
    let vd = prf::verify_data(master, label, transcript.current_hash().as_bytes())?;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::Finished(vd.to_vec())),
        transcript,
    )?;
    c.flush_handshake()
}

/// Checks the peer's Finished: it came after the peer's ChangeCipherSpec (so
/// under the new key), ends its record, and matches `label`'s verify_data in
/// constant time.
pub(crate) fn check_peer_finished(
    c: &Common,
    master: &prf::MasterSecret,
    transcript: &Transcript,
    vd: &[u8],
    boundary: bool,
    label: &'static [u8],
) -> Result<()> {
    if c.recv.state.decrypter().is_none() {
        return Err(Error::protocol(
            AlertDescription::UNEXPECTED_MESSAGE,
            "Finished before the peer's ChangeCipherSpec",
        ));
    }
    require_boundary(boundary, "Finished")?;
    let expected = prf::verify_data(master, label, transcript.current_hash().as_bytes())?;
    if vd.len() != expected.len() {
        // A malformed message, not a failed check (RFC 5246 §7.2.2).
        return Err(Error::protocol(
            AlertDescription::DECODE_ERROR,
            "peer Finished has the wrong length",
        ));
    }
    if ct_eq(vd, &expected) {
        Ok(())
    } else {
        Err(Error::protocol(
            AlertDescription::DECRYPT_ERROR,
            "peer Finished is wrong",
        ))
    }
}
