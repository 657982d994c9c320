//! Baton's tokio client against Baton's tokio server, in memory
//! (`tokio::io::duplex`, small buffers so backpressure is exercised) and
//! over 127.0.0.1.

use crate::bounded;
use crate::util::{client_config, data, payload, sha256_hex};
use baton::tokio::{baton_error, TlsAcceptor, TlsConnector};
use baton::{CertChainAndKey, Config, ErrorKind, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn server_config(alpn: &[&str]) -> Config {
    let mut b = Config::builder_minimal();
    let ck =
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap();
    b.add_cert_chain_and_key(ck);
    if !alpn.is_empty() {
        b.set_alpn_preferences(alpn).unwrap();
    }
    b.build().unwrap()
}

fn tls12_client_config() -> Config {
    let base = baton::policy::default_policy();
    let tls12: &'static baton::SecurityPolicy = Box::leak(Box::new(baton::SecurityPolicy {
        name: "tls12 only",
        max_version: ProtocolVersion::TLSV1_2,
        ..*base
    }));
    let mut b = Config::builder_minimal();
    b.custom_security_policy(tls12).unwrap();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
            .unwrap();
    }
    b.build().unwrap()
}

/// Handshake, ALPN and SNI, 4 MiB each way at once, then close_notify both
/// ways read as EOF.
const SIZE: usize = 4 << 20;

async fn round_trip(client: Config, version: ProtocolVersion) {
    let acceptor = TlsAcceptor::new(server_config(&["h2", "http/1.1"]));
    let connector = TlsConnector::new(client);
    let (c_io, s_io) = tokio::io::duplex(8 * 1024);
    let server = tokio::spawn(async move {
        let tls = acceptor.accept(s_io).await.expect("server handshake");
        let (_, session) = tls.get_ref();
        assert_eq!(session.server_name(), Some("localhost"));
        assert_eq!(session.alpn(), Some(&b"http/1.1"[..]));
        let (mut rd, mut wr) = tokio::io::split(tls);
        let send = tokio::spawn(async move {
            wr.write_all(&payload(SIZE, 2)).await.unwrap();
            wr.flush().await.unwrap();
            wr
        });
        let mut got = Vec::new();
        rd.read_to_end(&mut got)
            .await
            .expect("server reads to close_notify");
        let mut tls = rd.unsplit(send.await.unwrap());
        tls.shutdown().await.unwrap();
        got
    });
    let tls = connector
        .connect_with("localhost", c_io, |s| {
            s.set_alpn_preferences(&["http/1.1"]).unwrap();
        })
        .await
        .expect("client handshake");
    let (_, session) = tls.get_ref();
    assert_eq!(session.actual_protocol_version(), Some(version));
    assert_eq!(session.alpn(), Some(&b"http/1.1"[..]));
    let (mut rd, mut wr) = tokio::io::split(tls);
    let send = tokio::spawn(async move {
        // Vectored writes: many small slices and one large one.
        let data = payload(SIZE, 1);
        let (small, large) = data.split_at(1000);
        let slices: Vec<std::io::IoSlice<'_>> =
            small.chunks(10).map(std::io::IoSlice::new).collect();
        let mut off = 0;
        while off < small.len() {
            let skip = off / 10;
            let n = wr.write_vectored(&slices[skip..]).await.unwrap();
            assert!(n > 0);
            off += n;
            assert_eq!(off % 10, 0, "a gathered write takes whole small slices");
        }
        wr.write_all(large).await.unwrap();
        wr.shutdown().await.unwrap();
        wr
    });
    let mut got = Vec::new();
    rd.read_to_end(&mut got)
        .await
        .expect("client reads to close_notify");
    send.await.unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&payload(SIZE, 2)));
    let server_got = server.await.unwrap();
    assert_eq!(sha256_hex(&server_got), sha256_hex(&payload(SIZE, 1)));
}

#[tokio::test]
async fn tls13_round_trip() {
    bounded(
        "TLS 1.3 round trip",
        round_trip(client_config(), ProtocolVersion::TLSV1_3),
    )
    .await;
}

#[tokio::test]
async fn tls12_round_trip() {
    bounded(
        "TLS 1.2 round trip",
        round_trip(tls12_client_config(), ProtocolVersion::TLSV1_2),
    )
    .await;
}

#[tokio::test]
async fn tcp_round_trip_exact_reads() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::new(server_config(&[])).exact_reads(true);
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = vec![0u8; 100_000];
        tls.read_exact(&mut buf).await.unwrap();
        tls.write_all(&buf).await.unwrap();
        tls.shutdown().await.unwrap();
    });
    bounded("TCP echo", async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let connector = TlsConnector::new(client_config()).exact_reads(true);
        let mut tls = connector.connect("localhost", tcp).await.unwrap();
        let data = payload(100_000, 3);
        tls.write_all(&data).await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, data);
        server.await.unwrap();
    })
    .await;
}

/// With exact reads the handshake leaves every byte after the peer's
/// Finished in the transport: what a kernel TLS hand-off needs.
#[tokio::test]
async fn exact_reads_stop_at_finished() {
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::new(server_config(&[])).exact_reads(true);
    let server = tokio::spawn(async move { acceptor.accept(s_io).await.unwrap() });
    bounded("exact reads", async {
        let mut client = TlsConnector::new(client_config())
            .connect("localhost", c_io)
            .await
            .unwrap();
        // Sent right behind the client's Finished, possibly in the same
        // transport write; the server's handshake must not take it.
        client.write_all(b"after finished").await.unwrap();
        client.flush().await.unwrap();
        let tls = server.await.unwrap();
        let (mut io, session) = tls.into_inner();
        assert_eq!(session.peek(), 0);
        // The record is still in the transport, whole: 5-byte header first.
        let mut hdr = [0u8; 5];
        io.read_exact(&mut hdr).await.unwrap();
        assert_eq!(hdr[0], 23, "an application_data record");
    })
    .await;
}

#[tokio::test]
async fn eof_without_close_notify_is_an_error() {
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::new(server_config(&[]));
    let server = tokio::spawn(async move {
        let mut tls = acceptor.accept(s_io).await.unwrap();
        tls.write_all(b"partial").await.unwrap();
        tls.flush().await.unwrap();
        // Dropped without shutdown: the transport ends, no close_notify.
        drop(tls.into_inner());
    });
    bounded("truncation", async {
        let mut tls = TlsConnector::new(client_config())
            .connect("localhost", c_io)
            .await
            .unwrap();
        server.await.unwrap();
        let mut got = Vec::new();
        let e = tls.read_to_end(&mut got).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(got, b"partial");
    })
    .await;
}

/// A certificate the client does not trust: a typed error on both sides,
/// the server's naming the alert the client sent.
#[tokio::test]
async fn handshake_failure_is_typed() {
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::new(server_config(&[]));
    let server = tokio::spawn(async move { acceptor.accept(s_io).await.map(|_| ()) });
    bounded("failing handshake", async {
        let untrusting = Config::builder_minimal().build().unwrap();
        let e = TlsConnector::new(untrusting)
            .connect("localhost", c_io)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let be = baton_error(&e).expect("a baton::Error inside");
        assert!(be.sent_alert().is_some(), "client sent an alert: {be:?}");
        let se = server.await.unwrap().unwrap_err();
        let be = baton_error(&se).expect("a baton::Error inside");
        assert!(matches!(be.kind(), ErrorKind::Alert(_)), "{be:?}");
    })
    .await;
}

#[tokio::test]
async fn bad_server_name_fails_before_io() {
    let (c_io, _s_io) = tokio::io::duplex(1024);
    let e = TlsConnector::new(client_config())
        .connect("", c_io)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(baton_error(&e).unwrap().kind(), ErrorKind::Usage);
}

/// A peer that does not read: writes stop with `Pending` once the stream
/// holds its bound of sealed records, instead of buffering without limit.
#[tokio::test]
async fn writes_are_bounded_when_the_peer_does_not_read() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let (c_io, s_io) = tokio::io::duplex(16 * 1024);
    let acceptor = TlsAcceptor::new(server_config(&[]));
    let server = tokio::spawn(async move { acceptor.accept(s_io).await.unwrap() });
    let mut tls = bounded(
        "handshake",
        TlsConnector::new(client_config()).connect("localhost", c_io),
    )
    .await
    .unwrap();
    let _server_stream = server.await.unwrap(); // kept open, never read
    let chunk = vec![7u8; 4096];
    let mut cx = Context::from_waker(Waker::noop());
    let mut accepted = 0usize;
    let blocked = loop {
        assert!(
            accepted < 16 << 20,
            "16 MiB taken by a peer that reads nothing"
        );
        let mut w = Box::pin(tls.write(&chunk));
        match w.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(n)) => accepted += n,
            Poll::Ready(Err(e)) => panic!("{e}"),
            Poll::Pending => break accepted,
        }
    };
    let held = tls.get_ref().1.pending_tls().len();
    assert!(
        held <= 64 * 1024 + 17 * 1024,
        "{held} bytes of records held"
    );
    // The transport holds 16 KiB, the stream its bound: no more was taken.
    assert!(
        blocked <= 16 * 1024 + 64 * 1024 + 16 * 1024,
        "{blocked} bytes taken"
    );
}

/// A KeyUpdate asked of the peer through the session goes out with the
/// next write; data keeps flowing both ways under the new keys.
#[tokio::test]
async fn key_update_through_the_stream() {
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::new(server_config(&[]));
    let server = tokio::spawn(async move {
        let mut tls = acceptor.accept(s_io).await.unwrap();
        let mut buf = [0u8; 5];
        for _ in 0..2 {
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.flush().await.unwrap();
        }
        tls.shutdown().await.unwrap();
    });
    bounded("key update", async {
        let mut tls = TlsConnector::new(client_config())
            .connect("localhost", c_io)
            .await
            .unwrap();
        let mut buf = [0u8; 5];
        tls.write_all(b"hello").await.unwrap();
        tls.flush().await.unwrap();
        tls.read_exact(&mut buf).await.unwrap();
        tls.get_mut().1.request_key_update(true).unwrap();
        tls.write_all(b"again").await.unwrap();
        tls.flush().await.unwrap();
        tls.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"again");
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        server.await.unwrap();
    })
    .await;
}

/// A TLS 1.3 ticket read through the first stream resumes the second
/// connection, set up through `connect_with`.
#[tokio::test]
async fn resumes_through_connect_with() {
    let keys = std::sync::Arc::new(baton::TicketKeys::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    keys.add_key(b"tokio", &[0x5a; 32], now - 60).unwrap();
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.session_tickets(true);
    b.set_ticket_keys(keys);
    let acceptor = TlsAcceptor::new(b.build().unwrap());
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    cb.session_tickets(true);
    let connector = TlsConnector::new(cb.build().unwrap());

    bounded("resumption", async {
        let mut saved = None;
        for round in 0..2 {
            let (c_io, s_io) = tokio::io::duplex(64 * 1024);
            let acc = acceptor.clone();
            let server = tokio::spawn(async move {
                let mut tls = acc.accept(s_io).await.unwrap();
                let resumed = tls.get_ref().1.is_resumed();
                tls.write_all(b"x").await.unwrap();
                tls.shutdown().await.unwrap();
                resumed
            });
            let offer = saved.take();
            let mut tls = connector
                .connect_with("localhost", c_io, |s| {
                    if let Some(offer) = offer {
                        s.set_saved_session(offer).unwrap();
                    }
                })
                .await
                .unwrap();
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"x");
            let (_, session) = tls.get_ref();
            assert_eq!(session.is_resumed(), round == 1, "client, round {round}");
            assert_eq!(server.await.unwrap(), round == 1, "server, round {round}");
            saved = session.saved_session();
            assert!(saved.is_some(), "a ticket arrived in round {round}");
        }
    })
    .await;
}
