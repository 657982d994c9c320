//! TLS 1.2 resumption with rustls (in process, over an in-memory pipe) and
//! s2n-tls (on 127.0.0.1), both directions, by ticket (RFC 5077) and, with
//! rustls, by session id. Each test checks both sides: Baton's
//! `is_resumed()` (and no certificate sent on a resumed connection) and the
//! peer's own view (rustls's handshake kind, s2n's `resumed()` and handshake
//! type). The helpers are the TLS 1.3 tests' (`resume13::peers`).

use crate::pair::{data, duplex};
use crate::resume13::peers::{
    echo_n, read, runtime, rustls_session, s2n_ticket_server_with, s2n_view, KeepTicket, S2nResumed,
};
use crate::resume13::{baton_server_n, ticket_client, ticket_server, Seen};
use crate::tls12::{tls12_policy, TLS12_ECDSA_SUITES, TLS12_RSA_SUITES};
use crate::util::{recv_exact, send_all, TIMEOUT};
use baton::resumption::MemorySessionCache;
use baton::{ConfigBuilder, Connection, NamedGroup, ProtocolVersion, SavedSession};
use rustls::crypto::aws_lc_rs as provider;
use rustls::HandshakeKind;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use s2n_tls::enums::Version;
use std::sync::{Arc, Mutex};

/// An s2n policy without TLS 1.3 suites (so TLS 1.2 at most), with ECDHE
/// ECDSA and RSA AES-GCM suites and extended master secret.
const S2N_TLS12_POLICY: &str = "20190214";

/// A TLS 1.2-only Baton policy (ECDHE with ECDSA or RSA certificates).
fn baton_tls12_only(b: &mut ConfigBuilder) {
    let mut suites = TLS12_ECDSA_SUITES.to_vec();
    suites.extend(TLS12_RSA_SUITES);
    b.custom_security_policy(tls12_policy(
        &suites,
        &[NamedGroup::X25519, NamedGroup::SECP256R1],
    ))
    .unwrap();
}

/// What the Baton end saw: TLS 1.2, and a full handshake (certificate sent)
/// or a resumption (none sent, nothing refused).
fn assert_tls12(conn: &Connection, resumed: bool) {
    assert_eq!(
        conn.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_2)
    );
    assert_eq!(conn.is_resumed(), resumed, "Baton is_resumed()");
    assert!(conn.resumption_refusal().is_none(), "nothing refused");
}

fn assert_server_tls12(seen: &Seen, resumed: bool) {
    assert_eq!(seen.resumed, resumed, "Baton server is_resumed(): {seen:?}");
    assert_eq!(seen.cert_sent, !resumed, "certificate sent: {seen:?}");
    assert!(seen.refusal.is_none(), "{seen:?}");
}

// ---------------------------------------------------------------- rustls

/// A TLS 1.2-only rustls client with rustls's default resumption: an
/// in-memory store by server name, offering a ticket where it has one and
/// else the session id.
fn rustls_tls12_client() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        for c in CertificateDer::pem_file_iter(data(ca)).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A TLS 1.2-only rustls server; with `stateless`, RFC 5077 tickets from
/// aws-lc-rs's `Ticketer`, else rustls's default (no tickets, session ids
/// into its in-memory session cache).
fn rustls_tls12_server(stateless: bool) -> Arc<rustls::ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(data("server-rsa.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(data("server-rsa.key")).unwrap();
    let mut cfg =
        rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    if stateless {
        cfg.ticketer = provider::Ticketer::new().unwrap();
    }
    Arc::new(cfg)
}

/// rustls's TLS 1.2 client, twice against one Baton server config: rustls
/// reports Full then Resumed, the Baton server a full handshake then a
/// resumption (no certificate).
fn rustls_client_resumes(server: baton::Config) {
    let client = rustls_tls12_client();
    let name = ServerName::try_from("localhost").unwrap();
    let mut kinds = Vec::new();
    for i in 0..2 {
        let (a, mut b) = duplex();
        let mut baton = Connection::new_server(&server);
        baton.set_io(a);
        let mut peer = rustls::ClientConnection::new(Arc::clone(&client), name.clone()).unwrap();
        rustls_session(&mut baton, &mut peer, &mut b);
        assert_eq!(
            peer.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        kinds.push(peer.handshake_kind());
        assert_tls12(&baton, i == 1);
        assert_server_tls12(&Seen::of(&baton), i == 1);
    }
    assert_eq!(
        kinds,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );
}

/// rustls's TLS 1.2 client resumes a Baton ticket (RFC 5077).
#[test]
fn rustls_tls12_client_resumes_a_baton_ticket() {
    rustls_client_resumes(ticket_server(|_| {}));
}

/// With tickets off and a session cache, the Baton server sends no ticket,
/// so rustls keeps and offers the session id: resumed by session id.
#[test]
fn rustls_tls12_client_resumes_a_baton_session_id() {
    let cache = Arc::new(MemorySessionCache::new(16));
    let shared = Arc::clone(&cache);
    rustls_client_resumes(ticket_server(move |b| {
        b.session_tickets(false);
        b.set_session_cache(shared);
    }));
    assert!(!cache.is_empty(), "the full handshake stored its session");
}

/// A TLS 1.2-only Baton client resumes with a rustls TLS 1.2 server, by
/// ticket (`Ticketer`) and by session id (rustls's default stateful cache):
/// rustls reports Resumed and Baton `is_resumed()`.
#[test]
fn baton_tls12_client_resumes_with_rustls_server() {
    for stateless in [true, false] {
        let server = rustls_tls12_server(stateless);
        let client = ticket_client(baton_tls12_only);
        let mut offer: Option<SavedSession> = None;
        let mut kinds = Vec::new();
        for i in 0..2 {
            let (a, mut b) = duplex();
            let mut baton = Connection::new_client(&client);
            baton.set_server_name("localhost").unwrap();
            if let Some(s) = offer.take() {
                baton.session_mut().set_saved_session(s).unwrap();
            }
            baton.set_io(a);
            let mut peer = rustls::ServerConnection::new(Arc::clone(&server)).unwrap();
            rustls_session(&mut baton, &mut peer, &mut b);
            kinds.push(peer.handshake_kind());
            assert_tls12(&baton, i == 1);
            // The server's certificate is known on the resumed connection too.
            assert!(!baton.peer_cert_chain().is_empty());
            offer = baton.saved_session();
            let saved = offer.as_ref().expect("a session kept");
            assert_eq!(saved.version(), ProtocolVersion::TLSV1_2);
        }
        assert_eq!(
            kinds,
            [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)],
            "stateless={stateless}"
        );
    }
}

// ---------------------------------------------------------------- s2n-tls

/// s2n's client (TLS 1.2 policy, tickets on, a ticket callback) resumes
/// with a Baton server by setting the ticket it got: s2n says resumed (a
/// handshake type without FULL_HANDSHAKE) and Baton `is_resumed()`.
#[test]
fn s2n_tls12_client_resumes_a_baton_ticket() {
    const MSG: &[u8] = b"s2n resumes 1.2\n";
    let server = baton_server_n(ticket_server(|_| {}), 2, echo_n(MSG.len()));
    let tickets: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let mut b = s2n_tls::config::Builder::new();
    b.set_security_policy(&s2n_tls::security::Policy::from_version(S2N_TLS12_POLICY).unwrap())
        .unwrap();
    b.trust_pem(&read("ca-ecdsa.pem")).unwrap();
    b.enable_session_tickets(true).unwrap();
    b.set_session_ticket_callback(KeepTicket(Arc::clone(&tickets)))
        .unwrap();
    let config = b.build().unwrap();
    let mut views: Vec<S2nResumed> = Vec::new();
    for i in 0..2 {
        let ticket = tickets.lock().unwrap().last().cloned();
        assert_eq!(ticket.is_some(), i > 0, "s2n got no ticket from Baton");
        let builder =
            s2n_tls::connection::ModifiedBuilder::new(config.clone(), move |c| match &ticket {
                Some(t) => c.set_session_ticket(t),
                None => Ok(c),
            });
        let connector = s2n_tls_tokio::TlsConnector::new(builder);
        let view = runtime().block_on(async {
            tokio::time::timeout(TIMEOUT, async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
                    .await
                    .unwrap();
                let mut tls = connector
                    .connect("localhost", tcp)
                    .await
                    .expect("s2n client handshake");
                let view = s2n_view(tls.as_ref(), Version::TLS12);
                tls.write_all(MSG).await.unwrap();
                let mut echo = vec![0u8; MSG.len()];
                tls.read_exact(&mut echo).await.unwrap();
                assert_eq!(echo, MSG);
                tls.shutdown().await.expect("s2n shutdown");
                view
            })
            .await
            .expect("s2n client timed out")
        });
        views.push(view);
    }
    let seen: Vec<Seen> = server
        .join(TIMEOUT)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("Baton server: {e}")))
        .collect();
    assert!(
        !views[0].0 && views[0].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
    assert!(
        views[1].0 && !views[1].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
    assert_server_tls12(&seen[0], false);
    assert_server_tls12(&seen[1], true);
}

/// A TLS 1.2-only Baton client resumes with an s2n server (TLS 1.2 policy,
/// tickets on, a ticket key): Baton `is_resumed()`, s2n says resumed.
#[test]
fn baton_tls12_client_resumes_an_s2n_ticket() {
    let (port, h) = s2n_ticket_server_with(2, S2N_TLS12_POLICY, Version::TLS12);
    let client = ticket_client(baton_tls12_only);
    let mut offer: Option<SavedSession> = None;
    for i in 0..2 {
        let mut conn = crate::util::baton_client(&client, port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer.take() {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .unwrap_or_else(|e| panic!("Baton client: {e}"));
        send_all(&mut conn, b"baton resumes\n").unwrap();
        assert_eq!(recv_exact(&mut conn, 14).unwrap(), b"baton resumes\n");
        conn.shutdown().unwrap();
        assert_tls12(&conn, i == 1);
        offer = conn.saved_session();
        assert!(offer.is_some(), "no ticket kept from s2n");
    }
    let views = h.join().unwrap();
    assert!(
        !views[0].0 && views[0].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
    assert!(
        views[1].0 && !views[1].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
}
