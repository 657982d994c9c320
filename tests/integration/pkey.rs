//! Asynchronous private-key operations with real peers: a Baton server whose
//! callback signs on another thread after a short delay, against
//! `openssl s_client` (TLS 1.3 and 1.2, RSA and ECDSA certificates) and an
//! in-process rustls client.

use crate::pair::{data as pair_data, duplex, End};
use crate::require_openssl;
use crate::util::*;
use baton::pkey::{PkeyValidation, PrivateKeyCallback, PrivateKeyOp};
use baton::{CertChainAndKey, Config, Connection, Error};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Signs each operation on a new thread after `delay`, then sends on `done`
/// (the test's waker).
fn delayed_signer(delay: Duration, done: mpsc::Sender<()>) -> Arc<PrivateKeyCallback> {
    let done = Mutex::new(done);
    Arc::new(move |op: PrivateKeyOp| {
        let done = done.lock().unwrap().clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            op.sign();
            let _ = done.send(());
        });
    })
}

/// A server config with one chain whose signatures go to a delayed signer.
fn offloading_server(chain: &str, key: &str) -> (Config, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(CertChainAndKey::from_pem_files(data(chain), data(key)).unwrap());
    b.set_private_key_callback(delayed_signer(Duration::from_millis(20), tx));
    b.set_private_key_validation(PkeyValidation::Strict);
    (b.build().unwrap(), rx)
}

/// `negotiate` until done, waiting for the signer between tries (bounded):
/// how many times the handshake waited.
fn negotiate_waiting(conn: &mut Connection, signed: &mpsc::Receiver<()>) -> Result<u32, Error> {
    let mut waits = 0;
    loop {
        match conn.negotiate() {
            Ok(()) => return Ok(waits),
            Err(e) if e.blocked_on() == Some(baton::Blocked::OnApplicationInput) => {
                waits += 1;
                assert!(waits < 10, "the handshake keeps waiting");
                signed
                    .recv_timeout(TIMEOUT)
                    .expect("the signer answers within the timeout");
            }
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn openssl_s_client_against_a_server_that_signs_on_another_thread() {
    require_openssl!();
    let cases = [
        ("server-rsa.pem", "server-rsa.key", "ca-rsa.pem"),
        ("server-p256-chain.pem", "server-p256.key", "ca-ecdsa.pem"),
    ];
    for (chain, key, ca) in cases {
        for version in ["-tls1_3", "-tls1_2"] {
            let (cfg, signed) = offloading_server(chain, key);
            let server = baton_server(cfg, move |conn| {
                let waits = negotiate_waiting(conn, &signed)?;
                let got = recv_exact(conn, 5)?;
                send_all(conn, &got)?;
                conn.shutdown()?;
                Ok((waits, conn.actual_protocol_version()))
            });
            let ca = data(ca);
            let mut cli = s_client(
                server.port,
                &[
                    version,
                    "-servername",
                    "localhost",
                    "-CAfile",
                    ca.to_str().unwrap(),
                    "-verify_return_error",
                    "-quiet",
                    "-ign_eof",
                ],
            );
            cli.write_stdin(b"hello");
            cli.close_stdin();
            let out = cli.wait(TIMEOUT);
            let (waits, v) = server
                .join(TIMEOUT)
                .unwrap_or_else(|e| panic!("{chain} {version}: {e}; s_client: {}", out.stderr));
            assert!(
                waits >= 1,
                "{chain} {version}: the signature was not awaited"
            );
            assert_eq!(out.stdout, b"hello", "{chain} {version}: {}", out.stderr);
            let want = if version == "-tls1_3" {
                baton::ProtocolVersion::TLSV1_3
            } else {
                baton::ProtocolVersion::TLSV1_2
            };
            assert_eq!(v, Some(want));
        }
    }
}

fn rustls_client(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        for c in CertificateDer::pem_file_iter(pair_data(ca)).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    rustls::ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap())
        .unwrap()
}

/// One turn of rustls: write what it has, read and process what arrived.
fn rustls_turn(conn: &mut rustls::ClientConnection, io: &mut End) {
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

#[test]
fn rustls_client_against_a_server_that_signs_on_another_thread() {
    for (version, chain, key) in [
        (&rustls::version::TLS13, "server-rsa.pem", "server-rsa.key"),
        (
            &rustls::version::TLS12,
            "server-p256-chain.pem",
            "server-p256.key",
        ),
    ] {
        let (cfg, signed) = offloading_server(chain, key);
        let (a, mut b) = duplex();
        let mut server = Connection::new_server(&cfg);
        server.set_io(a);
        let mut client = rustls_client(&[version]);
        let mut waits = 0;
        for _ in 0..50 {
            rustls_turn(&mut client, &mut b);
            match server.negotiate() {
                Ok(()) if !client.is_handshaking() => break,
                Ok(()) => {}
                Err(e) if e.blocked_on() == Some(baton::Blocked::OnApplicationInput) => {
                    waits += 1;
                    signed.recv_timeout(TIMEOUT).unwrap();
                }
                Err(e) if e.is_blocked() => {}
                Err(e) => panic!("baton: {e}"),
            }
        }
        assert!(!client.is_handshaking() && server.is_handshake_complete());
        assert!(waits >= 1);
        server.send(b"signed elsewhere").unwrap();
        rustls_turn(&mut client, &mut b);
        let mut buf = [0u8; 64];
        let n = client.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"signed elsewhere");
    }
}
