//! Mutual TLS with rustls 0.23 in process, both directions and both
//! versions: a rustls client with a client certificate (its
//! `with_client_auth_cert`, rustls's fixed client-cert resolver) against a
//! Baton server that requires one, and the Baton client against a rustls
//! server verifying clients with `WebPkiClientVerifier`.

use super::*;
use crate::pair::{duplex, End};
use baton::{ClientAuth, Connection};
use rustls::crypto::aws_lc_rs as provider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{self, Write};
use std::sync::Arc;

fn versions(tls12: bool) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    if tls12 {
        &TLS12
    } else {
        &TLS13
    }
}

fn certs(path: &std::path::Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .unwrap()
        .map(|c| c.unwrap())
        .collect()
}

fn roots(paths: &[std::path::PathBuf]) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for p in paths {
        for c in certs(p) {
            roots.add(c).unwrap();
        }
    }
    roots
}

/// Both sides until neither has anything left to say; the first error.
fn handshake<S>(
    baton: &mut Connection,
    peer: &mut rustls::ConnectionCommon<S>,
    io: &mut End,
) -> Result<(), String> {
    for _ in 0..50 {
        while peer.wants_write() {
            peer.write_tls(io).unwrap();
        }
        match peer.read_tls(io) {
            Ok(_) => {
                peer.process_new_packets()
                    .map_err(|e| format!("rustls: {e}"))?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("rustls read_tls: {e}")),
        }
        while peer.wants_write() {
            peer.write_tls(io).unwrap();
        }
        match baton.negotiate() {
            Ok(()) if !peer.is_handshaking() => return Ok(()),
            Ok(()) => {}
            Err(e) if e.is_blocked() => {}
            Err(e) => return Err(format!("baton: {e}")),
        }
    }
    Err("handshake did not finish".into())
}

/// One line from the rustls side to Baton after the handshake.
fn line_to_baton<S>(baton: &mut Connection, peer: &mut rustls::ConnectionCommon<S>, io: &mut End) {
    peer.writer().write_all(b"after mutual auth\n").unwrap();
    while peer.wants_write() {
        peer.write_tls(io).unwrap();
    }
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    for _ in 0..100 {
        match baton.recv(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.is_blocked() => {}
            Err(e) => panic!("baton recv: {e}"),
        }
        if got.ends_with(b"\n") {
            break;
        }
    }
    assert_eq!(got, b"after mutual auth\n");
}

#[test]
fn rustls_client_certificate_to_baton_server() {
    let id = &pki().good;
    for tls12 in [false, true] {
        let cfg =
            rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_protocol_versions(versions(tls12))
                .unwrap()
                .with_root_certificates(roots(&[data("ca-ecdsa.pem")]))
                .with_client_auth_cert(
                    certs(&id.chain),
                    PrivateKeyDer::from_pem_file(&id.key).unwrap(),
                )
                .unwrap();
        let mut client = rustls::ClientConnection::new(
            Arc::new(cfg),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let (a, mut b) = duplex();
        let mut server = Connection::new_server(&mtls_server(ClientAuth::Required));
        server.set_io(a);
        handshake(&mut server, &mut client, &mut b)
            .unwrap_or_else(|e| panic!("tls12={tls12}: {e}"));
        assert!(server.client_cert_verified());
        assert_eq!(server.peer_cert_chain()[0], id.leaf_der);
        line_to_baton(&mut server, &mut client, &mut b);
    }
}

fn rustls_server(tls12: bool) -> rustls::ServerConnection {
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(&[pki().root.clone()])),
        Arc::new(provider::default_provider()),
    )
    .build()
    .unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
        .with_protocol_versions(versions(tls12))
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            certs(&data("server-p256-chain.pem")),
            PrivateKeyDer::from_pem_file(data("server-p256.key")).unwrap(),
        )
        .unwrap();
    rustls::ServerConnection::new(Arc::new(cfg)).unwrap()
}

#[test]
fn baton_client_certificate_to_rustls_server() {
    let id = &pki().good;
    for tls12 in [false, true] {
        let mut server = rustls_server(tls12);
        let (a, mut b) = duplex();
        let mut client = Connection::new_client(&mtls_client(Some(id)));
        client.set_server_name("localhost").unwrap();
        client.set_io(a);
        handshake(&mut client, &mut server, &mut b)
            .unwrap_or_else(|e| panic!("tls12={tls12}: {e}"));
        let seen = server.peer_certificates().expect("rustls saw our chain");
        assert_eq!(seen[0].as_ref(), &id.leaf_der[..]);
        assert_eq!(seen.len(), 2);
        line_to_baton(&mut client, &mut server, &mut b);
    }
}

#[test]
fn baton_client_without_a_certificate_is_refused_by_rustls() {
    for tls12 in [false, true] {
        let mut server = rustls_server(tls12);
        let (a, mut b) = duplex();
        let mut client = Connection::new_client(&mtls_client(None));
        client.set_server_name("localhost").unwrap();
        client.set_io(a);
        let err = handshake(&mut client, &mut server, &mut b).unwrap_err();
        assert!(err.contains("rustls"), "tls12={tls12}: {err}");
    }
}
