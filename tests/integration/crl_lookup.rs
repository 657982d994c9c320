//! The CRL lookup callback against `openssl s_server`: the Baton client hands
//! the application one lookup per certificate of the server's chain, the
//! handshake waits (`Blocked::OnApplicationInput`) while another thread
//! answers, then goes on with the CRLs given.

use crate::require_openssl;
use crate::status_pki::*;
use crate::util::*;
use baton::cert::CrlLookup;
use baton::{AlertDescription, Blocked, Config, Connection, Mode};
use std::sync::{mpsc, Mutex};

/// A handshake whose lookups are answered, on another thread once the
/// handshake has said it waits, with `crls[index]` (`None`: ignored).
fn handshake(version: &str, crls: [Option<&str>; 2]) -> Result<Connection, baton::Error> {
    let (tx, rx) = mpsc::channel::<CrlLookup>();
    let tx = Mutex::new(tx);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&pki_read("root.pem")).unwrap();
    b.set_crl_lookup_callback(move |lookup| tx.lock().unwrap().send(lookup).unwrap());
    let config = b.build().unwrap();

    let (cert, chain, key) = (
        pki_path("leaf.pem"),
        pki_path("inter.pem"),
        pki_path("leaf.key"),
    );
    let srv = s_server(&[
        "-cert",
        &cert,
        "-cert_chain",
        &chain,
        "-key",
        &key,
        version,
        "-naccept",
        "1",
        "-quiet",
    ]);
    let mut conn = Connection::new(Mode::Client, &config);
    conn.set_server_name("localhost").unwrap();
    conn.set_io(tcp_connect(srv.port));
    let e = conn
        .negotiate()
        .expect_err("the handshake waits for the lookups");
    assert_eq!(e.blocked_on(), Some(Blocked::OnApplicationInput), "{e}");
    let lookups: Vec<CrlLookup> = rx.try_iter().collect();
    assert_eq!(
        lookups.iter().map(CrlLookup::index).collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(lookups[0].cert_der(), leaf_der_of(&cert));
    // Still waiting: asking again changes nothing.
    let e = conn.negotiate().expect_err("still waiting");
    assert_eq!(e.blocked_on(), Some(Blocked::OnApplicationInput), "{e}");

    let crls = crls.map(|c| c.map(pki_read));
    std::thread::spawn(move || {
        for (mut lookup, crl) in lookups.into_iter().zip(crls) {
            assert!(lookup.issuer_der().is_some());
            match crl {
                Some(pem) => lookup.set_crl_pem(&pem).unwrap(),
                None => lookup.ignore(),
            }
        }
    })
    .join()
    .unwrap();
    conn.negotiate()?;
    Ok(conn)
}

fn leaf_der_of(pem_path: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem_path)
        .unwrap()
        .to_vec()
}

fn alert(r: Result<Connection, baton::Error>) -> Option<AlertDescription> {
    r.err()
        .map(|e| e.sent_alert().unwrap_or_else(|| panic!("no alert: {e}")))
}

#[test]
fn crl_lookup_answered_later_from_another_thread() {
    require_openssl!();
    let revoked = Some(AlertDescription::CERTIFICATE_REVOKED);
    for v in ["-tls1_3", "-tls1_2"] {
        let good = [Some("inter-none.crl"), Some("root-none.crl")];
        assert_eq!(alert(handshake(v, good)), None, "{v}");
        let leaf = [Some("inter-leaf-revoked.crl"), Some("root-none.crl")];
        assert_eq!(alert(handshake(v, leaf)), revoked, "{v}");
        let inter = [Some("inter-none.crl"), Some("root-inter-revoked.crl")];
        assert_eq!(alert(handshake(v, inter)), revoked, "{v}");
        // No CRL for the intermediate: its status is unknown.
        let ignored = [Some("inter-none.crl"), None];
        assert_eq!(
            alert(handshake(v, ignored)),
            Some(AlertDescription::CERTIFICATE_UNKNOWN),
            "{v}"
        );
    }
}
