//! TLS 1.3 resumption with rustls (in process, over an in-memory pipe) and
//! s2n-tls (on 127.0.0.1), both directions. Each test checks both sides:
//! Baton's `is_resumed()` and the peer's own view (rustls's handshake kind,
//! s2n's `resumed()` and handshake type).

use super::{baton_server_n, ticket_client, ticket_server, Seen};
use crate::pair::{data, duplex, End};
use crate::util::{recv_exact, send_all, TIMEOUT};
use baton::{Connection, SavedSession};
use rustls::crypto::aws_lc_rs as provider;
use rustls::HandshakeKind;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------- rustls

fn rustls_client_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        for c in CertificateDer::pem_file_iter(data(ca)).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
    }
    // The default resumption: an in-memory store of tickets by server name.
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A rustls server config; with `stateless`, tickets from aws-lc-rs's
/// `Ticketer`, else rustls's default (a stateful in-memory session cache,
/// whose TLS 1.3 tickets are ids into it).
fn rustls_server_config(stateless: bool) -> Arc<rustls::ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(data("server-rsa.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(data("server-rsa.key")).unwrap();
    let mut cfg =
        rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    if stateless {
        cfg.ticketer = provider::Ticketer::new().unwrap();
    }
    Arc::new(cfg)
}

/// One turn of the rustls side: write what it has, read and process what arrived.
fn rustls_turn<S>(conn: &mut rustls::ConnectionCommon<S>, io: &mut End) {
    while conn.wants_write() {
        conn.write_tls(io).unwrap();
    }
    match conn.read_tls(io) {
        Ok(_) => {
            conn.process_new_packets()
                .unwrap_or_else(|e| panic!("rustls: {e}"));
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("rustls read_tls: {e}"),
    }
    while conn.wants_write() {
        conn.write_tls(io).unwrap();
    }
}

/// Both handshakes, then a line each way: whatever the server sends after
/// the handshake (its tickets) is read before the line.
pub(crate) fn rustls_session<S>(
    baton: &mut Connection,
    peer: &mut rustls::ConnectionCommon<S>,
    io: &mut End,
) {
    let mut done = false;
    for _ in 0..50 {
        rustls_turn(peer, io);
        match baton.negotiate() {
            Ok(()) if !peer.is_handshaking() => {
                done = true;
                break;
            }
            Ok(()) => {}
            Err(e) if e.is_blocked() => {}
            Err(e) => panic!("baton: {e}"),
        }
    }
    assert!(done, "handshake did not finish");
    send_all(baton, b"from baton\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    for _ in 0..50 {
        rustls_turn(peer, io);
        match peer.reader().read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("rustls read: {e}"),
        }
        if got.ends_with(b"\n") {
            break;
        }
    }
    assert_eq!(got, b"from baton\n");
    peer.writer().write_all(b"from rustls\n").unwrap();
    rustls_turn(peer, io);
    let mut got = Vec::new();
    for _ in 0..50 {
        match baton.recv(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.is_blocked() => rustls_turn(peer, io),
            Err(e) => panic!("baton recv: {e}"),
        }
        if got.ends_with(b"\n") {
            break;
        }
    }
    assert_eq!(got, b"from rustls\n");
}

/// rustls's client (its default ticket store) resumes with a Baton server:
/// rustls reports a resumed handshake and Baton `is_resumed()`.
#[test]
fn rustls_client_resumes_with_baton_server() {
    rustls_client_resumes(ticket_server(|_| {}), false);
}

/// The same through a HelloRetryRequest: the Baton server takes only P-384,
/// which rustls does not share first.
#[test]
fn rustls_client_resumes_after_baton_hello_retry() {
    let p384 = crate::pair::policy(&crate::pair::SUITES, &[baton::NamedGroup::SECP384R1]);
    let server = ticket_server(|b| {
        b.custom_security_policy(p384).unwrap();
    });
    rustls_client_resumes(server, true);
}

fn rustls_client_resumes(server: baton::Config, hrr: bool) {
    let client = rustls_client_config();
    let name = ServerName::try_from("localhost").unwrap();
    let mut kinds = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (a, mut b) = duplex();
        let mut baton = Connection::new_server(&server);
        baton.set_io(a);
        let mut peer = rustls::ClientConnection::new(Arc::clone(&client), name.clone()).unwrap();
        rustls_session(&mut baton, &mut peer, &mut b);
        kinds.push(peer.handshake_kind());
        seen.push(Seen::of(&baton));
    }
    // rustls remembers the group it was asked for, so only the first retries.
    let full = if hrr {
        HandshakeKind::FullWithHelloRetryRequest
    } else {
        HandshakeKind::Full
    };
    assert_eq!(kinds, [Some(full), Some(HandshakeKind::Resumed)]);
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
    assert_eq!((seen[0].hrr, seen[1].hrr), (hrr, false));
}

/// A Baton client resumes with a rustls server, with stateless tickets
/// (aws-lc-rs `Ticketer`) and with rustls's stateful default: rustls reports
/// a resumed handshake and Baton `is_resumed()`.
#[test]
fn baton_client_resumes_with_rustls_server() {
    for stateless in [true, false] {
        let server = rustls_server_config(stateless);
        let client = ticket_client(|_| {});
        let mut offer: Option<SavedSession> = None;
        let mut kinds = Vec::new();
        let mut resumed = Vec::new();
        for _ in 0..2 {
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
            resumed.push(baton.is_resumed());
            offer = baton.saved_session();
            assert!(offer.is_some(), "stateless={stateless}: no ticket kept");
        }
        assert_eq!(
            kinds,
            [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)],
            "stateless={stateless}"
        );
        assert_eq!(resumed, [false, true], "stateless={stateless}");
    }
}

// ---------------------------------------------------------------- s2n-tls

const S2N_POLICY: &str = "20190801";

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub(crate) fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

/// What s2n said about a connection: resumed, and its handshake type.
pub(crate) type S2nResumed = (bool, String);

fn s2n_resumed(c: &s2n_tls::connection::Connection) -> S2nResumed {
    s2n_view(c, s2n_tls::enums::Version::TLS13)
}

/// [`S2nResumed`] for a connection that must have negotiated `version`.
pub(crate) fn s2n_view(
    c: &s2n_tls::connection::Connection,
    version: s2n_tls::enums::Version,
) -> S2nResumed {
    assert_eq!(c.actual_protocol_version().unwrap(), version);
    (c.resumed(), c.handshake_type().unwrap().to_string())
}

/// s2n hands each ticket to this callback (its serialized session).
pub(crate) struct KeepTicket(pub(crate) Arc<Mutex<Vec<Vec<u8>>>>);

impl s2n_tls::callbacks::SessionTicketCallback for KeepTicket {
    fn on_session_ticket(
        &self,
        _conn: &mut s2n_tls::connection::Connection,
        ticket: &s2n_tls::callbacks::SessionTicket,
    ) {
        let mut bytes = vec![0u8; ticket.len().unwrap()];
        ticket.data(&mut bytes).unwrap();
        self.0.lock().unwrap().push(bytes);
    }
}

/// Baton's side for s2n's client: handshake, echo `len` bytes, close.
pub(crate) fn echo_n(len: usize) -> impl Fn(&mut Connection) -> Result<Seen, baton::Error> {
    move |conn| {
        conn.negotiate()?;
        let seen = Seen::of(conn);
        let data = recv_exact(conn, len)?;
        send_all(conn, &data)?;
        conn.shutdown()?;
        Ok(seen)
    }
}

/// s2n's client (tickets on, a session ticket callback) resumes with a
/// Baton server by setting the ticket it got: s2n says resumed (a handshake
/// type without FULL_HANDSHAKE) and Baton `is_resumed()`.
#[test]
fn s2n_client_resumes_with_baton_server() {
    const MSG: &[u8] = b"s2n resumes\n";
    let server = baton_server_n(ticket_server(|_| {}), 2, echo_n(MSG.len()));
    let tickets: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let mut b = s2n_tls::config::Builder::new();
    b.set_security_policy(&s2n_tls::security::Policy::from_version(S2N_POLICY).unwrap())
        .unwrap();
    b.trust_pem(&read("ca-ecdsa.pem")).unwrap();
    b.enable_session_tickets(true).unwrap();
    b.set_session_ticket_callback(KeepTicket(Arc::clone(&tickets)))
        .unwrap();
    let config = b.build().unwrap();
    let mut views = Vec::new();
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
                let view = s2n_resumed(tls.as_ref());
                tls.write_all(MSG).await.unwrap();
                let mut echo = vec![0u8; MSG.len()];
                // The ticket comes before the echo: reading it runs the callback.
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
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
}

/// An s2n server (tickets on, one ticket key) for `n` connections: echoes
/// until EOF; returns what s2n said about each.
fn s2n_ticket_server(n: usize) -> (u16, std::thread::JoinHandle<Vec<S2nResumed>>) {
    s2n_ticket_server_with(n, S2N_POLICY, s2n_tls::enums::Version::TLS13)
}

/// [`s2n_ticket_server`] with an s2n security policy, checking that each
/// connection negotiated `version`.
pub(crate) fn s2n_ticket_server_with(
    n: usize,
    policy: &str,
    version: s2n_tls::enums::Version,
) -> (u16, std::thread::JoinHandle<Vec<S2nResumed>>) {
    let mut b = s2n_tls::config::Builder::new();
    b.set_security_policy(&s2n_tls::security::Policy::from_version(policy).unwrap())
        .unwrap();
    b.load_pem(&read("server-rsa.pem"), &read("server-rsa.key"))
        .unwrap();
    b.enable_session_tickets(true).unwrap();
    b.add_session_ticket_key(
        b"baton-interop",
        &[0x42; 32],
        SystemTime::now() - Duration::from_secs(60),
    )
    .unwrap();
    let acceptor = s2n_tls_tokio::TlsAcceptor::new(b.build().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let h = std::thread::spawn(move || {
        runtime().block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            tokio::time::timeout(TIMEOUT, async {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let mut views = Vec::new();
                for _ in 0..n {
                    let (tcp, _) = listener.accept().await.unwrap();
                    let mut tls = acceptor.accept(tcp).await.expect("s2n server handshake");
                    views.push(s2n_view(tls.as_ref(), version));
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = tls.read(&mut buf).await.expect("s2n server read");
                        if n == 0 {
                            break;
                        }
                        tls.write_all(&buf[..n]).await.unwrap();
                    }
                    tls.shutdown().await.expect("s2n server shutdown");
                }
                views
            })
            .await
            .expect("s2n server timed out")
        })
    });
    (port, h)
}

/// A Baton client resumes with an s2n server (tickets on, a ticket key):
/// Baton `is_resumed()`, s2n says resumed.
#[test]
fn baton_client_resumes_with_s2n_server() {
    let (port, h) = s2n_ticket_server(2);
    let client = ticket_client(|_| {});
    let mut offer: Option<SavedSession> = None;
    let mut resumed = Vec::new();
    for _ in 0..2 {
        let mut conn = crate::util::baton_client(&client, port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer.take() {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .unwrap_or_else(|e| panic!("Baton client: {e}"));
        send_all(&mut conn, b"baton resumes\n").unwrap();
        // s2n's ticket comes before the echo.
        assert_eq!(recv_exact(&mut conn, 14).unwrap(), b"baton resumes\n");
        conn.shutdown().unwrap();
        resumed.push(conn.is_resumed());
        offer = conn.saved_session();
        assert!(offer.is_some(), "no ticket kept from s2n");
    }
    let views = h.join().unwrap();
    assert_eq!(resumed, [false, true]);
    assert!(
        !views[0].0 && views[0].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
    assert!(
        views[1].0 && !views[1].1.contains("FULL_HANDSHAKE"),
        "{views:?}"
    );
}
