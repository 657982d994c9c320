//! The TLS 1.3 client's first ClientHello (TLS 1.2 offered beside it as the
//! policy allows), with the session it resumes.

use super::{ExpectServerHello, State};

use crate::crypto::hash::Transcript;
use crate::crypto::kx::{is_hybrid, KeyExchange, SUPPORTED_GROUPS};
use crate::crypto::rand;
use crate::crypto::verify::{TLS12_VERIFY_SCHEMES, TLS13_VERIFY_SCHEMES};
use crate::engine::Common;
use crate::error::{Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{ClientExtensions, KeyShareEntry};
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};
use crate::suites::{tls12_suite, tls13_suite};

/// The policy's suites that Baton implements for the versions we offer, in policy order.
fn policy_suites(c: &Common, tls13: bool, tls12: bool) -> Vec<CipherSuite> {
    c.config
        .inner
        .policy
        .cipher_suites
        .iter()
        .copied()
        .filter(|cs| (tls13 && tls13_suite(*cs).is_some()) || (tls12 && tls12_suite(*cs).is_some()))
        .collect()
}

/// The policy's groups that Baton implements, in policy order; the hybrids
/// only when TLS 1.3 is offered (they have no TLS 1.2 form).
fn policy_groups(c: &Common, offer13: bool) -> Vec<NamedGroup> {
    c.config
        .inner
        .policy
        .groups
        .iter()
        .copied()
        .filter(|g| SUPPORTED_GROUPS.contains(g) && (offer13 || !is_hybrid(*g)))
        .collect()
}

/// The groups the first ClientHello has key shares for: the policy's first
/// group and the first group of the other kind (a classical group after a
/// post-quantum hybrid, the first hybrid after a classical group), as
/// BoringSSL and the browsers do. A server with or without the hybrid then
/// answers in one round trip, for the price of one extra key pair; a server
/// with it can pick the hybrid even where the policy lists it second.
fn initial_share_groups(groups: &[NamedGroup]) -> Vec<NamedGroup> {
    let Some(&first) = groups.first() else {
        return Vec::new();
    };
    let other = groups
        .iter()
        .copied()
        .find(|g| is_hybrid(*g) != is_hybrid(first));
    [first].into_iter().chain(other).collect()
}

/// Schemes we accept in CertificateVerify: the policy's, minus those TLS 1.3 forbids there.
pub(super) fn verify_schemes(c: &Common) -> Vec<SignatureScheme> {
    c.config
        .inner
        .policy
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| TLS13_VERIFY_SCHEMES.contains(s))
        .collect()
}

/// The PSK key exchange modes we name: psk_dhe_ke, then psk_ke where
/// [`allow_psk_ke`](crate::ConfigBuilder::allow_psk_ke) allows it (a server
/// picks the mode; the client's order is only a preference).
fn psk_modes(c: &Common) -> Vec<u8> {
    use crate::msgs::extensions::{PSK_DHE_KE, PSK_KE};
    let mut modes = vec![PSK_DHE_KE];
    if c.config.inner.resumption.allow_psk_ke {
        modes.push(PSK_KE);
    }
    modes
}

fn is_ip_literal(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

/// Builds and queues the ClientHello: TLS 1.3 and/or TLS 1.2, as the policy allows.
pub(crate) fn start(c: &mut Common) -> Result<State> {
    let policy = c.config.inner.policy;
    // Only versions the policy has an implemented suite for: a policy that
    // allows TLS 1.2 but lists only TLS 1.3 suites ("20200207") offers TLS 1.3 only.
    let offer13 = policy.negotiates(ProtocolVersion::TLSV1_3);
    let offer12 = policy.negotiates(ProtocolVersion::TLSV1_2);
    if !offer13 && !offer12 {
        return Err(Error::usage(format!(
            "security policy {} allows neither TLS 1.2 nor TLS 1.3",
            policy.name
        )));
    }
    let suites = policy_suites(c, offer13, offer12);
    let groups = policy_groups(c, offer13);
    if groups.is_empty() {
        return Err(Error::usage("security policy offers no supported group"));
    }
    if suites.is_empty() {
        return Err(Error::usage(format!(
            "security policy {} offers no cipher suite Baton implements",
            policy.name
        )));
    }
    // Only TLS 1.3 needs a share up front; a TLS 1.2-only hello has none.
    let shares = if offer13 {
        initial_share_groups(&groups)
            .into_iter()
            .map(KeyExchange::start)
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let sent_sni = c
        .info
        .server_name
        .as_deref()
        .is_some_and(|n| !is_ip_literal(n));
    let mut versions = Vec::new();
    if offer13 {
        versions.push(ProtocolVersion::TLSV1_3);
    }
    if offer12 {
        versions.push(ProtocolVersion::TLSV1_2);
    }
    // Schemes we can verify; rsa_pkcs1 stays in for certificate chains even in TLS 1.3.
    let schemes: Vec<SignatureScheme> = policy
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| TLS12_VERIFY_SCHEMES.contains(s))
        .collect();
    // A policy that restricts certificate signatures says so (RFC 8446 §4.2.3),
    // so that a server with several chains can pick one we will accept; the
    // extension is left out when it would repeat signature_algorithms.
    let cert_schemes: Option<Vec<SignatureScheme>> = policy
        .certificate_signature_schemes
        .map(|l| {
            l.iter()
                .copied()
                .filter(|&s| crate::policy::certificate_scheme_implemented(s))
                .collect::<Vec<_>>()
        })
        .filter(|l| *l != schemes);
    // External PSKs first; a hello that offers them offers no ticket (the
    // saved session stays in the store or on the connection, not taken).
    let external = if offer13 {
        super::external::offerable(c, &suites)
    } else {
        Vec::new()
    };
    let offer = if external.is_empty() {
        super::offer::usable_offer(c, offer13, offer12)
    } else {
        None
    };
    let tickets = c.config.inner.resumption.tickets;
    let mut exts = ClientExtensions {
        signature_algorithms_cert: cert_schemes,
        server_name: if sent_sni {
            c.info.server_name.clone()
        } else {
            None
        },
        supported_versions: offer13.then_some(versions),
        supported_groups: Some(groups),
        signature_algorithms: Some(schemes),
        key_shares: offer13.then(|| {
            shares
                .iter()
                .map(|s| KeyShareEntry {
                    group: s.group(),
                    payload: s.public_key().to_vec(),
                })
                .collect()
        }),
        alpn: if c.alpn_prefs().is_empty() {
            None
        } else {
            Some(c.alpn_prefs().to_vec())
        },
        // TLS 1.2: EMS (RFC 7627), secure renegotiation signal (RFC 5746),
        // uncompressed points only (RFC 8422 §5.1.2).
        extended_master_secret: offer12,
        renegotiation_info: offer12.then(Vec::new),
        ec_point_formats: offer12.then(|| vec![0]),
        // Servers send TLS 1.3 tickets only to clients that name a mode
        // (RFC 8446 §4.2.9); Baton asks for psk_dhe_ke (forward secret), and
        // psk_ke after it only when the config allows it.
        psk_modes: (offer13 && (tickets || offer.is_some() || !external.is_empty()))
            .then(|| psk_modes(c)),
        status_request: c.config.inner.status.wants_ocsp(),
        sct: c.config.inner.status.request_sct,
        ..Default::default()
    };
    // A random session id puts TLS 1.3 in middlebox-compatibility mode; a
    // TLS 1.2-only hello asks for no resumption and sends none.
    let mut session_id = if offer13 {
        let mut id = vec![0u8; 32];
        rand::fill(&mut id)?;
        id
    } else {
        Vec::new()
    };
    // TLS 1.2: a ticket (RFC 5077) and/or the session id to resume.
    let offer12_session = offer
        .as_ref()
        .filter(|s| s.version == ProtocolVersion::TLSV1_2);
    if offer12 {
        crate::engine::client12::offer(c, offer12_session, &mut exts, &mut session_id)?;
    }
    // 0-RTT: announced in the hello, so decided before the binder.
    let early = super::early::wanted(c, offer.as_ref(), &suites, &external);
    exts.early_data = early.is_some();
    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: rand::random32()?,
        session_id,
        cipher_suites: suites,
        compression_methods: vec![0],
        extensions: exts.to_extensions()?,
    };
    c.client_random = hello.random;
    let mut transcript = Transcript::new();
    // TLS 1.3: the ticket goes last, bound to the hello by its binder.
    let psk = match offer.filter(|s| s.version == ProtocolVersion::TLSV1_3) {
        Some(s) => super::offer::attach_psk(c, s, &mut hello, &mut exts, &transcript)?,
        None => None,
    };
    if !external.is_empty() {
        super::external::attach(&mut hello, &mut exts, &transcript, &external)?;
    }
    // The first ClientHello goes out with record version 0x0301 for old middleboxes.
    c.plaintext_version = ProtocolVersion::TLSV1_0;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())),
        &mut transcript,
    )?;
    c.flush_handshake()?;
    c.plaintext_version = ProtocolVersion::TLSV1_2;
    let ccs_sent = match (&early, &psk, external.first()) {
        (Some(out), _, Some(e)) => {
            super::early::begin(c, out, &e.early, e.hash, &transcript)?;
            true
        }
        (Some(out), Some(p), None) => {
            super::early::begin(c, out, &p.early, p.hash, &transcript)?;
            true
        }
        (Some(_), None, None) => return Err(Error::internal("early data without its PSK")),
        _ => false,
    };
    c.info.client_version = Some(if offer13 {
        ProtocolVersion::TLSV1_3
    } else {
        ProtocolVersion::TLSV1_2
    });
    Ok(State::ExpectServerHello(Box::new(ExpectServerHello {
        transcript,
        hello,
        exts,
        shares,
        hrr_suite: None,
        psk,
        external,
        early,
        ccs_sent,
    })))
}
