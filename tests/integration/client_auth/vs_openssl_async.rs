//! Client authentication's callbacks answered later, from another thread,
//! against OpenSSL: a Baton server whose CRL lookup callback covers the
//! client's chain (`s_client -cert/-key`, openssl-made CRLs from the status
//! PKI), and a Baton client whose CertificateVerify is signed by the
//! private-key callback (`s_server -Verify 1`), in TLS 1.3 and 1.2.

use super::*;
use crate::require_openssl;
use crate::status_pki::{pki_path, pki_read};
use baton::cert::CrlLookup;
use baton::pkey::{PkeyValidation, PrivateKeyOp};
use baton::{Blocked, ClientAuth, Connection};
use std::sync::{mpsc, Arc, Mutex};

fn version_flag(tls12: bool) -> &'static str {
    if tls12 {
        "-tls1_2"
    } else {
        "-tls1_3"
    }
}

/// A Baton server requiring a client certificate under the status PKI's
/// root; its lookups are answered, on another thread once the handshake
/// said it waits, with `crls[index]` (a file of the status PKI). Echoes
/// one line; whether the client was verified.
fn looking_up_server(crls: [&'static str; 2]) -> BatonServer<bool> {
    let (tx, rx) = mpsc::channel::<CrlLookup>();
    let tx = Mutex::new(tx);
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&pki_read("root.pem")).unwrap();
    b.set_client_auth(ClientAuth::Required);
    b.set_crl_lookup_callback(move |lookup| tx.lock().unwrap().send(lookup).unwrap());
    let crls = crls.map(pki_read);
    baton_server(b.build().unwrap(), move |conn| {
        let e = conn
            .negotiate()
            .expect_err("the handshake waits for the lookups");
        assert_eq!(e.blocked_on(), Some(Blocked::OnApplicationInput), "{e}");
        let lookups: Vec<CrlLookup> = rx.try_iter().collect();
        assert_eq!(
            lookups.iter().map(CrlLookup::index).collect::<Vec<_>>(),
            [0, 1]
        );
        std::thread::spawn(move || {
            for (mut lookup, crl) in lookups.into_iter().zip(crls) {
                lookup.set_crl_pem(&crl).unwrap();
            }
        })
        .join()
        .unwrap();
        conn.negotiate()?;
        let verified = conn.client_cert_verified();
        let line = recv_until(conn, |got| got.ends_with(b"\n"))?;
        send_all(conn, &line)?;
        let _ = conn.shutdown();
        Ok(verified)
    })
}

/// s_client with the status PKI's client certificate, sending one line.
fn status_s_client(port: u16, tls12: bool) -> Output {
    let ca = data("ca-ecdsa.pem");
    let (cert, key, inter) = (
        pki_path("client.pem"),
        pki_path("client.key"),
        pki_path("inter.pem"),
    );
    let mut cli = s_client(
        port,
        &[
            version_flag(tls12),
            "-servername",
            "localhost",
            "-CAfile",
            ca.to_str().unwrap(),
            "-verify_return_error",
            "-ign_eof",
            "-cert",
            &cert,
            "-key",
            &key,
            "-cert_chain",
            &inter,
        ],
    );
    cli.write_stdin(b"looked up\n");
    cli.close_stdin();
    cli.wait(TIMEOUT)
}

#[test]
fn client_chain_crl_lookups_answered_later_against_s_client() {
    require_openssl!();
    for tls12 in [false, true] {
        let server = looking_up_server(["inter-none.crl", "root-none.crl"]);
        let out = status_s_client(server.port, tls12);
        let verified = server
            .join(TIMEOUT)
            .unwrap_or_else(|e| panic!("tls12={tls12}: {e}\n{}", out.stderr));
        assert!(verified);
        assert!(out.stdout_str().contains("looked up"), "{}", out.stderr);
        for crls in [
            ["inter-client-revoked.crl", "root-none.crl"],
            ["inter-none.crl", "root-inter-revoked.crl"],
        ] {
            let server = looking_up_server(crls);
            let out = status_s_client(server.port, tls12);
            let err = server.join(TIMEOUT).expect_err("a revoked client chain");
            assert!(
                err.contains("certificate_revoked"),
                "tls12={tls12} {crls:?}: {err}"
            );
            assert!(
                out.stderr.contains("SSL alert number 44"),
                "tls12={tls12}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn baton_client_signing_later_is_verified_by_s_server() {
    require_openssl!();
    for tls12 in [false, true] {
        let root = pki().root.clone();
        let mut srv = s_server(&[
            "-cert",
            data("server-p256.pem").to_str().unwrap(),
            "-cert_chain",
            data("intermediate-p256.pem").to_str().unwrap(),
            "-key",
            data("server-p256.key").to_str().unwrap(),
            "-Verify",
            "1",
            "-CAfile",
            root.to_str().unwrap(),
            "-verify_return_error",
            "-naccept",
            "1",
            version_flag(tls12),
        ]);
        let (tx, rx) = mpsc::channel::<PrivateKeyOp>();
        let tx = Mutex::new(tx);
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
            .unwrap();
        b.add_client_cert_chain_and_key(pki().good.cert_and_key());
        b.set_private_key_callback(Arc::new(move |op: PrivateKeyOp| {
            tx.lock().unwrap().send(op).unwrap()
        }));
        b.set_private_key_validation(PkeyValidation::Strict);
        let mut conn = Connection::new(baton::Mode::Client, &b.build().unwrap());
        conn.set_server_name("localhost").unwrap();
        conn.set_io(tcp_connect(srv.port));
        let e = conn
            .negotiate()
            .expect_err("the handshake waits for the signature");
        assert_eq!(e.blocked_on(), Some(Blocked::OnApplicationInput), "{e}");
        let op = rx.try_recv().expect("one operation");
        assert_eq!(op.certificate().chain()[0], pki().good.leaf_der);
        std::thread::spawn(move || op.sign()).join().unwrap();
        conn.negotiate()
            .unwrap_or_else(|e| panic!("tls12={tls12}: {e}"));
        assert!(rx.try_recv().is_err(), "one signature per handshake");
        send_all(&mut conn, b"signed elsewhere\n").unwrap();
        srv.proc.wait_for_stdout(TIMEOUT, |o| {
            String::from_utf8_lossy(o).contains("signed elsewhere")
        });
        let _ = conn.shutdown();
        srv.proc.close_stdin();
        let out = srv.proc.wait(TIMEOUT);
        assert!(
            out.stderr
                .contains("depth=0 CN = good client\nverify return:1"),
            "tls12={tls12}: {}",
            out.stderr
        );
    }
}
