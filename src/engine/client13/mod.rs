//! TLS 1.3 client handshake (RFC 8446 §2): each state owns exactly its data and a
//! transition consumes it, so a state cannot be reused.

use super::{client12, require_boundary, unexpected, verify_finished, Common, Hs, KeyPhase};
use crate::cert::{check_host_name, leaf_dns_names};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::KeyExchange;
use crate::crypto::verify::verify_signature;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, ExtensionType, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{
    ClientExtensions, KeyShareEntry, ServerExtContext, ServerExtensions,
};
use crate::msgs::handshake::{
    Certificate13, ClientHello, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::joiner::RawHandshake;
use crate::secrets::Secret;
use crate::suites::{tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::{EarlySecret, HandshakeSecret};

mod client_auth;
mod early;
mod external;
mod hello;
mod offer;
use external::ExternalOffer;
pub(crate) use hello::start;
use hello::verify_schemes;
#[cfg(test)]
pub(crate) use offer::offer_is_usable_for_test;
pub(crate) use offer::session_from_ticket;
use offer::{Chosen, OfferedPsk};

pub(crate) enum State {
    Start,
    ExpectServerHello(Box<ExpectServerHello>),
    ExpectEncryptedExtensions(Box<Negotiated>),
    ExpectCertificateOrRequest(Box<Negotiated>),
    ExpectCertificate(Box<Negotiated>),
    ExpectCertificateVerify(Box<Negotiated>),
    ExpectFinished(Box<Negotiated>),
    /// Our Certificate is queued; its CertificateVerify waits for the
    /// private-key operation.
    AwaitingSign(Box<client_auth::PausedSign>),
    Done,
}

pub(crate) struct ExpectServerHello {
    transcript: Transcript,
    hello: ClientHello,
    exts: ClientExtensions,
    shares: Vec<KeyExchange>,
    /// The suite a HelloRetryRequest chose; the ServerHello must repeat it.
    hrr_suite: Option<CipherSuite>,
    /// The TLS 1.3 session offered.
    psk: Option<OfferedPsk>,
    /// The external PSKs offered, in the order of their identities (empty
    /// when a ticket is offered).
    external: Vec<ExternalOffer>,
    /// 0-RTT offered in the first ClientHello (dropped at a HelloRetryRequest).
    early: Option<early::EarlyOut>,
    /// The compatibility ChangeCipherSpec went out (sent once: after a
    /// ClientHello with early data, before a second ClientHello, or before
    /// our encrypted flight).
    ccs_sent: bool,
}

pub(crate) struct Negotiated {
    transcript: Transcript,
    suite: &'static Tls13Suite,
    hs: HandshakeSecret,
    offered_alpn: Vec<Vec<u8>>,
    sent_sni: bool,
    /// The extension types our ClientHello carried.
    sent: Vec<ExtensionType>,
    /// The server's CertificateRequest, if it asked for a client certificate.
    cert_request: Option<client_auth::CertRequest>,
    /// A PSK (a resumed session or an external PSK) authenticated the
    /// server: no Certificate follows.
    psk_auth: bool,
    /// 0-RTT offered and not refused yet: the write side is still on the
    /// early key.
    early: Option<early::EarlyAnswer>,
}

impl State {
    /// Tests: the server's handshake key, once the ServerHello is in (to
    /// forge the server's encrypted flight).
    #[cfg(test)]
    pub(crate) fn server_handshake_keys(&self) -> Option<(&'static Tls13Suite, Secret)> {
        match self {
            State::ExpectEncryptedExtensions(n) => Some((n.suite, n.hs.server_traffic().clone())),
            _ => None,
        }
    }

    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<Hs> {
        let parsed = HandshakeMessage::read_tls13(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectServerHello(s), HandshakePayload::ServerHello(sh)) => {
                if sh.is_hrr() {
                    // A ServerHello too (RFC 8446 §5.1): what follows it in its
                    // record would belong to a transcript not yet started.
                    require_boundary(boundary, "HelloRetryRequest")?;
                    s.handle_hrr(c, sh, &msg).map(Hs::Client13)
                } else {
                    s.handle_server_hello(c, sh, &msg, boundary)
                }
            }
            (state, payload) => state.handle13(c, payload, msg, boundary).map(Hs::Client13),
        }
    }

    fn handle13(
        self,
        c: &mut Common,
        payload: HandshakePayload,
        msg: RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        match (self, payload) {
            (State::ExpectEncryptedExtensions(s), HandshakePayload::EncryptedExtensions(exts)) => {
                s.handle_ee(c, &exts, &msg)
            }
            (
                State::ExpectCertificateOrRequest(mut s),
                HandshakePayload::CertificateRequest13(cr),
            ) => {
                s.cert_request = Some(client_auth::parse_request(cr)?);
                s.transcript.add(&msg.encoded);
                Ok(State::ExpectCertificate(s))
            }
            (
                State::ExpectCertificateOrRequest(s) | State::ExpectCertificate(s),
                HandshakePayload::Certificate13(cert),
            ) => s.handle_certificate(c, cert, &msg),
            (State::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle_certificate_verify(c, cv.scheme, &cv.signature, &msg)
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
            State::Start => "starting",
            State::ExpectServerHello(_) => "expecting ServerHello",
            State::ExpectEncryptedExtensions(_) => "expecting EncryptedExtensions",
            State::ExpectCertificateOrRequest(_) => "expecting Certificate or CertificateRequest",
            State::ExpectCertificate(_) => "expecting Certificate",
            State::ExpectCertificateVerify(_) => "expecting CertificateVerify",
            State::ExpectFinished(_) => "expecting Finished",
            State::AwaitingSign(_) => "waiting for the private key operation",
            State::Done => "connected",
        }
    }
}

/// The longest HelloRetryRequest cookie we echo. RFC 8446 allows up to
/// 2^16 - 1 bytes, but a cookie that long cannot fit beside our other
/// extensions in the second ClientHello, and servers need far less (a MAC and
/// a transcript hash). BoringSSL and rustls echo what fits; we refuse early.
pub(crate) const MAX_HRR_COOKIE: usize = 8192;

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

impl ExpectServerHello {
    fn check_common(&self, sh: &ServerHello) -> Result<&'static Tls13Suite> {
        if sh.session_id != self.hello.session_id {
            return Err(illegal("server did not echo our legacy_session_id"));
        }
        if sh.compression_method != 0 {
            return Err(illegal("server chose a compression method"));
        }
        if !self.hello.cipher_suites.contains(&sh.cipher_suite) {
            return Err(illegal("server chose a cipher suite we did not offer"));
        }
        if let Some(hrr) = self.hrr_suite {
            if hrr != sh.cipher_suite {
                return Err(illegal(
                    "ServerHello cipher suite differs from HelloRetryRequest's",
                ));
            }
        }
        tls13_suite(sh.cipher_suite).ok_or_else(|| illegal("server chose a non-TLS 1.3 suite"))
    }

    fn handle_hrr(
        mut self: Box<Self>,
        c: &mut Common,
        sh: ServerHello,
        msg: &RawHandshake,
    ) -> Result<State> {
        if self.hrr_suite.is_some() {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "second HelloRetryRequest",
            ));
        }
        let suite = self.check_common(&sh)?;
        let exts = ServerExtensions::parse_answer(
            ServerExtContext::HelloRetryRequest,
            &sh.extensions,
            |t| self.hello.extensions.iter().any(|e| e.typ == t),
        )?;
        if exts.supported_version != Some(ProtocolVersion::TLSV1_3) {
            return Err(illegal(
                "HelloRetryRequest without supported_versions TLS 1.3",
            ));
        }
        if exts
            .cookie
            .as_ref()
            .is_some_and(|c| c.len() > MAX_HRR_COOKIE)
        {
            // The value is legal but out of the range we accept: illegal_parameter.
            return Err(illegal(
                "HelloRetryRequest cookie is longer than Baton echoes",
            ));
        }
        let offered_groups = self.exts.supported_groups.as_deref().unwrap_or_default();
        let group = match exts.hrr_selected_group {
            Some(g) => {
                if !offered_groups.contains(&g) || self.shares.iter().any(|s| s.group() == g) {
                    return Err(illegal(
                        "HelloRetryRequest selected a group we did not offer or already shared",
                    ));
                }
                Some(g)
            }
            None if exts.cookie.is_none() => {
                return Err(illegal(
                    "HelloRetryRequest would not change the ClientHello",
                ));
            }
            None => None,
        };
        self.transcript.start_hash(suite.hash);
        self.transcript.rollup_for_hrr();
        self.transcript.add(&msg.encoded);
        if let Some(g) = group {
            let share = KeyExchange::start(g)?;
            self.exts.key_shares = Some(vec![KeyShareEntry {
                group: g,
                payload: share.public_key().to_vec(),
            }]);
            self.shares = vec![share];
        }
        self.exts.cookie = exts.cookie;
        // No 0-RTT in a second ClientHello (RFC 8446 §4.2.10).
        self.exts.early_data = false;
        early::after_hrr(c, self.early.take());
        self.hello.extensions = self.exts.to_extensions()?;
        // An offer stands only if the chosen suite has its hash; its binder
        // now covers ClientHello1 and the HelloRetryRequest too (§4.1.4).
        self.exts.pre_shared_key = None;
        self.hello.extensions = self.exts.to_extensions()?;
        self.external.retain(|e| e.hash == suite.hash);
        if !self.external.is_empty() {
            external::attach(
                &mut self.hello,
                &mut self.exts,
                &self.transcript,
                &self.external,
            )?;
        }
        if let Some(psk) = self.psk.take() {
            if psk.hash == suite.hash {
                self.psk = offer::attach_psk(
                    c,
                    psk.session,
                    &mut self.hello,
                    &mut self.exts,
                    &self.transcript,
                )?;
            }
        }
        self.hrr_suite = Some(sh.cipher_suite);
        c.info.hello_retry = true;
        // Compatibility mode: our CCS goes before the second ClientHello
        // (unless it already followed the first, for early data).
        if !self.ccs_sent {
            c.send_ccs()?;
            self.ccs_sent = true;
        }
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ClientHello(self.hello.clone())),
            &mut self.transcript,
        )?;
        c.flush_handshake()?;
        Ok(State::ExpectServerHello(self))
    }

    fn handle_server_hello(
        mut self: Box<Self>,
        c: &mut Common,
        sh: ServerHello,
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<Hs> {
        let picks13 = sh
            .extensions
            .iter()
            .any(|e| e.typ == crate::msgs::enums::ExtensionType::SUPPORTED_VERSIONS);
        if !picks13 {
            // No supported_versions: the server wants TLS 1.2 or older.
            if self.hrr_suite.is_some() {
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    "server chose TLS 1.2 after a HelloRetryRequest",
                ));
            }
            if self.early.is_some() {
                // Our 0-RTT records are already out: a TLS 1.2 server
                // cannot skip them (BoringSSL refuses the same way).
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    "server chose TLS 1.2 after we sent TLS 1.3 early data",
                ));
            }
            if !c
                .config
                .inner
                .policy
                .allows_version(ProtocolVersion::TLSV1_2)
            {
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    "server does not support TLS 1.3 (the only version this policy allows)",
                ));
            }
            let s = *self;
            return client12::handle_server_hello(c, s.transcript, &s.hello, &s.exts, sh, msg)
                .map(Hs::Client12);
        }
        // RFC 8446 §4.2.1: a selected version before TLS 1.3 is
        // illegal_parameter; say so before judging the other extensions.
        let selected = sh
            .extensions
            .iter()
            .find(|e| e.typ == crate::msgs::enums::ExtensionType::SUPPORTED_VERSIONS);
        if let Some(&[hi, lo]) = selected.map(|e| e.data.as_slice()) {
            if u16::from_be_bytes([hi, lo]) < ProtocolVersion::TLSV1_3.0 {
                return Err(illegal(
                    "server selected a version before TLS 1.3 in supported_versions",
                ));
            }
        }
        let offered = self.exts.supported_versions.as_deref().unwrap_or_default();
        if !offered.contains(&ProtocolVersion::TLSV1_3) {
            // RFC 8446 §4.1.3: supported_versions naming a version we did not offer.
            return Err(illegal("server selected TLS 1.3, which we did not offer"));
        }
        require_boundary(boundary, "ServerHello")?;
        if sh.legacy_version != ProtocolVersion::TLSV1_2 {
            return Err(Error::protocol(
                AlertDescription::PROTOCOL_VERSION,
                "unexpected ServerHello legacy_version",
            ));
        }
        let exts =
            ServerExtensions::parse_answer(ServerExtContext::ServerHello13, &sh.extensions, |t| {
                self.hello.extensions.iter().any(|e| e.typ == t)
            })?;
        if exts.supported_version != Some(ProtocolVersion::TLSV1_3) {
            return Err(illegal("server selected a version we did not offer"));
        }
        let suite = self.check_common(&sh)?;
        let chosen = offer::check_answer(
            exts.pre_shared_key,
            self.psk.take(),
            std::mem::take(&mut self.external),
            suite.hash,
        )?;
        // psk_ke (RFC 8446 §4.2.9): a selected PSK and no key_share, only if
        // we named that mode; otherwise key_share is required.
        let psk_ke_offered = self
            .exts
            .psk_modes
            .as_ref()
            .is_some_and(|m| m.contains(&crate::msgs::extensions::PSK_KE));
        let (group, shared) = match exts.key_share {
            Some(share) => {
                let idx = self
                    .shares
                    .iter()
                    .position(|s| s.group() == share.group)
                    .ok_or_else(|| illegal("server key share is for a group we did not share"))?;
                let kx = self.shares.swap_remove(idx);
                (Some(share.group), kx.complete(&share.payload)?)
            }
            // The (EC)DHE input is zeros (RFC 8446 §7.1).
            None if chosen.is_some() && psk_ke_offered => {
                (None, Secret::new(&[0; 64][..suite.hash.output_len()]))
            }
            None => {
                return Err(Error::protocol(
                    AlertDescription::MISSING_EXTENSION,
                    "ServerHello without key_share",
                ))
            }
        };
        if self.hrr_suite.is_none() {
            self.transcript.start_hash(suite.hash);
        }
        self.transcript.add(&msg.encoded);
        let (chosen, early) = match chosen {
            Some((chosen, early)) => (Some(chosen), early),
            None => (None, EarlySecret::new(suite.hash, None)),
        };
        let hs = early.into_handshake(shared.as_bytes(), self.transcript.current_hash().as_bytes());
        c.log_key(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            hs.client_traffic().as_bytes(),
        );
        c.log_key(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            hs.server_traffic().as_bytes(),
        );
        c.set_decrypter(suite, hs.server_traffic(), KeyPhase::Handshake)?;
        // From here on everything we send, an alert about the server's
        // flight included, goes under our handshake key (RFC 8446 §5); the
        // compatibility CCS (unless already sent) first. With 0-RTT offered
        // the early key stays until the EncryptedExtensions answers.
        if !self.ccs_sent {
            c.send_ccs()?;
        }
        // The suite the first PSK (the ticket, or the first external PSK:
        // the one early data goes with) was selected with, if it was.
        let first_psk = match &chosen {
            Some(Chosen::Ticket(_)) => true,
            Some(Chosen::External(_)) => exts.pre_shared_key == Some(0),
            None => false,
        };
        let resumed_with = first_psk.then_some(suite.suite);
        let early = self
            .early
            .take()
            .map(|out| early::after_server_hello(out, resumed_with));
        if early.is_none() {
            c.set_encrypter(suite, hs.client_traffic(), KeyPhase::Handshake)?;
        }
        c.info.version = Some(ProtocolVersion::TLSV1_3);
        c.info.server_version = Some(ProtocolVersion::TLSV1_3);
        c.info.suite = Some(suite.suite);
        c.info.group = group;
        let psk_auth = chosen.is_some();
        match chosen {
            Some(Chosen::Ticket(session)) => {
                // What the full handshake authenticated stands for this one.
                c.info.resumed = true;
                c.info.resumed_age = Some(session.age_secs(c.now()));
                c.info.peer_chain = session.peer_chain;
            }
            // Not a resumption: the PSK itself authenticated the server.
            Some(Chosen::External(identity)) => c.info.psk_identity = Some(identity),
            None => {}
        }
        Ok(Hs::Client13(State::ExpectEncryptedExtensions(Box::new(
            Negotiated {
                transcript: self.transcript,
                suite,
                hs,
                offered_alpn: self.exts.alpn.unwrap_or_default(),
                sent: self.hello.extensions.iter().map(|e| e.typ).collect(),
                sent_sni: self.exts.server_name.is_some(),
                cert_request: None,
                psk_auth,
                early,
            },
        ))))
    }
}

impl Negotiated {
    fn handle_ee(
        mut self: Box<Self>,
        c: &mut Common,
        exts: &[crate::msgs::extensions::Extension],
        msg: &RawHandshake,
    ) -> Result<State> {
        let e = ServerExtensions::parse_answer(ServerExtContext::EncryptedExtensions, exts, |t| {
            self.sent.contains(&t)
        })?;
        // parse_answer already refused an ALPN answer to a hello without ALPN.
        if let Some(proto) = e.alpn {
            if !self.offered_alpn.contains(&proto) {
                return Err(illegal("server selected an ALPN protocol we did not offer"));
            }
            c.info.alpn = Some(proto);
        }
        if e.server_name_ack && !self.sent_sni {
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "server_name acknowledged but not sent",
            ));
        }
        early::on_encrypted_extensions(c, &mut self, e.early_data)?;
        self.transcript.add(&msg.encoded);
        if self.psk_auth {
            return Ok(State::ExpectFinished(self));
        }
        Ok(State::ExpectCertificateOrRequest(self))
    }

    fn handle_certificate(
        mut self: Box<Self>,
        c: &mut Common,
        cert: Certificate13,
        msg: &RawHandshake,
    ) -> Result<State> {
        if !cert.context.is_empty() {
            return Err(illegal("server Certificate has a request context"));
        }
        if cert.entries.is_empty() {
            return Err(Error::protocol(
                AlertDescription::DECODE_ERROR,
                "server sent an empty certificate list",
            ));
        }
        cert.check_entry_extensions(|t| self.sent.contains(&t))?;
        super::status::read_leaf13(c, &cert.entries[0].extensions)?;
        c.info.peer_chain = cert.entries.into_iter().map(|e| e.cert).collect();
        // Validated at CertificateVerify, which the engine holds back until
        // the lookups are answered.
        super::status::start_crl_lookups(c);
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectCertificateVerify(self))
    }

    fn handle_certificate_verify(
        mut self: Box<Self>,
        c: &mut Common,
        scheme: SignatureScheme,
        sig: &[u8],
        msg: &RawHandshake,
    ) -> Result<State> {
        if !verify_schemes(c).contains(&scheme) {
            return Err(illegal(
                "CertificateVerify uses a signature scheme we did not offer",
            ));
        }
        verify_server_certificate(c)?;
        super::status::check_ocsp(c)?;
        let content =
            cert_verify_content(SERVER_CV_CONTEXT, self.transcript.current_hash().as_bytes());
        let leaf = c
            .info
            .peer_chain
            .first()
            .ok_or_else(|| Error::internal("no peer certificate"))?;
        verify_signature(leaf, scheme, &content, sig, true)?;
        c.info.peer_signature_scheme = Some(scheme);
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectFinished(self))
    }

    fn handle_finished(
        mut self: Box<Self>,
        c: &mut Common,
        vd: &[u8],
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        require_boundary(boundary, "Finished")?;
        let hash = self.suite.hash;
        verify_finished(
            hash,
            self.hs.server_traffic(),
            &self.transcript,
            vd,
            "server",
        )?;
        self.transcript.add(&msg.encoded);
        let client_hs: Secret = self.hs.client_traffic().clone();
        let master = self
            .hs
            .into_master(self.transcript.current_hash().as_bytes());
        log_master(c, &master);
        c.install_app_read(self.suite, master.server_traffic())?;
        early::finish(
            c,
            self.early.take(),
            &mut self.transcript,
            self.suite,
            &client_hs,
        )?;
        let flight = client_auth::SecondFlight {
            transcript: self.transcript,
            suite: self.suite,
            client_hs,
            master,
        };
        match self.cert_request.take() {
            Some(req) => client_auth::answer(c, req, flight),
            None => flight.finish(c),
        }
    }
}

pub(crate) const SERVER_CV_CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify";

/// The signed content of CertificateVerify (RFC 8446 §4.4.3).
pub(crate) fn cert_verify_content(context: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(64 + context.len() + 1 + transcript_hash.len());
    v.extend_from_slice(&[0x20; 64]);
    v.extend_from_slice(context);
    v.push(0);
    v.extend_from_slice(transcript_hash);
    v
}

/// Validates the server's chain and name, unless verification is disabled.
pub(crate) fn verify_server_certificate(c: &Common) -> Result<()> {
    let cfg = &c.config.inner;
    // The leaf's keyUsage is not checked: webpki, Baton's only X.509 parser,
    // ignores an end entity's keyUsage by design (as rustls and Firefox do).
    if !cfg.verify_peer {
        // Off (tests, `--insecure`, or a callback that pins): the callback alone decides.
        return crate::cert::run_verify_callback(
            cfg.client_auth.verify.as_deref(),
            &c.info.peer_chain,
            false,
        );
    }
    // rfc9151 and other policies with certificate signature preferences bound
    // the algorithms anywhere in the chain, not only in the handshake.
    super::status::trust_for_peer(c).verify_server_chain_with(
        &c.info.peer_chain,
        (cfg.now)(),
        cfg.policy.certificate_signature_schemes,
    )?;
    let leaf = c
        .info
        .peer_chain
        .first()
        .ok_or_else(|| Error::internal("no peer certificate"))?;
    if let Some(cb) = &cfg.verify_host {
        let names = leaf_dns_names(leaf)?;
        if !names.iter().any(|n| cb(n)) {
            return Err(Error::protocol(
                AlertDescription::BAD_CERTIFICATE,
                "the verify-host callback accepted none of the certificate's names",
            ));
        }
    } else {
        match c.info.server_name.as_deref() {
            Some(name) => check_host_name(leaf, name)?,
            None => return Err(Error::protocol(
                AlertDescription::BAD_CERTIFICATE,
                "no server name to check the certificate against: set one on the connection or install a verify-host callback",
            )),
        }
    }
    crate::cert::run_verify_callback(cfg.client_auth.verify.as_deref(), &c.info.peer_chain, false)
}

#[cfg(test)]
mod early_tests;
#[cfg(test)]
mod external_tests;
#[cfg(test)]
mod tests;

/// The key log's lines for the application secrets (client and server alike).
pub(crate) fn log_master(c: &Common, master: &crate::tls13::key_schedule::MasterSecret) {
    c.log_key(
        "CLIENT_TRAFFIC_SECRET_0",
        master.client_traffic().as_bytes(),
    );
    c.log_key(
        "SERVER_TRAFFIC_SECRET_0",
        master.server_traffic().as_bytes(),
    );
    c.log_key("EXPORTER_SECRET", master.exporter_secret().as_bytes());
}
