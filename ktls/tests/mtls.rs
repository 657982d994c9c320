//! Mutual TLS, then kernel TLS: the client certificate is exchanged in the
//! userspace handshake, so the hand-off and the records after it are those
//! of any connection. Both versions, data both ways, in the kernel where it
//! has the tls ULP (tools/ktls-vm) and in userspace otherwise.

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::{CertChainAndKey, ClientAuth, Config, Connection, KernelSession};
use baton_ktls::{KtlsMode, KtlsOptions};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::thread;
use util::*;

/// TLS 1.2 with an AES-GCM suite the kernel takes, for the P-256 keys.
static TLS12: baton::SecurityPolicy = baton::SecurityPolicy {
    name: "mtls-ktls-12",
    min_version: baton::ProtocolVersion::TLSV1_2,
    max_version: baton::ProtocolVersion::TLSV1_2,
    cipher_suites: &[baton::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
    signature_schemes: &[baton::SignatureScheme::ECDSA_SECP256R1_SHA256],
    certificate_signature_schemes: None,
    groups: &[baton::NamedGroup::X25519, baton::NamedGroup::SECP256R1],
    chacha20_boosted: false,
};

fn pinned(b: &mut baton::ConfigBuilder, tls12: bool) {
    if tls12 {
        b.custom_security_policy(&TLS12).unwrap();
    }
}

fn server_cfg(tls12: bool) -> Config {
    let mut b = Config::builder_minimal();
    pinned(&mut b, tls12);
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.set_client_auth(ClientAuth::Required);
    b.build().unwrap()
}

fn client_cfg(tls12: bool) -> Config {
    let mut b = Config::builder_minimal();
    pinned(&mut b, tls12);
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.add_client_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key")).unwrap(),
    );
    b.build().unwrap()
}

/// Handshake on (a dup of) `stream`, then the hand-off (kernel where it can).
fn side(mut conn: Connection, stream: &TcpStream) -> KernelSession {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_fd(OwnedFd::from(stream.try_clone().unwrap()))
        .unwrap();
    conn.set_exact_record_reads(true);
    conn.negotiate().expect("handshake");
    let mut ks = conn.into_kernel_session().map_err(|(_, e)| e).unwrap();
    let mode = if baton_ktls::probe().available() {
        KtlsMode::Require
    } else {
        eprintln!("no kernel TLS here: the records after the hand-off stay in userspace");
        KtlsMode::Auto
    };
    baton_ktls::enable_session(&mut ks, mode, &KtlsOptions::default()).unwrap();
    ks
}

#[test]
fn mutual_tls_then_kernel_tls_moves_data_both_ways() {
    for tls12 in [false, true] {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let scfg = server_cfg(tls12);
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut s = side(Connection::new_server(&scfg), &stream);
            assert!(s.client_cert_verified());
            assert_eq!(s.peer_cert_chain().len(), 2);
            let got = recv_exact(&mut s, 300_000).unwrap();
            send_all(&mut s, &got).unwrap();
            s.shutdown().unwrap();
            (s.actual_protocol_version(), sha256_hex(&got))
        });
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let mut conn = Connection::new_client(&client_cfg(tls12));
        conn.set_server_name("localhost").unwrap();
        let mut c = side(conn, &stream);
        assert!(c.client_cert().is_some());
        let data = payload(300_000, 16);
        // The server reads everything before it echoes: no deadlock.
        send_all(&mut c, &data).unwrap();
        let back = recv_exact(&mut c, data.len()).unwrap();
        assert_eq!(c.recv(&mut [0u8; 16]).unwrap(), 0, "close_notify");
        let _ = c.shutdown();
        let (version, digest) = server.join().unwrap();
        assert!(back == data, "the echo came back intact");
        assert_eq!(digest, sha256_hex(&data));
        let want = if tls12 {
            baton::ProtocolVersion::TLSV1_2
        } else {
            baton::ProtocolVersion::TLSV1_3
        };
        assert_eq!(version, Some(want));
    }
}
