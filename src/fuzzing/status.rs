//! Certificate status in the fuzz targets: the `ocsp_response` target runs
//! the OCSP validator on arbitrary bytes for a fixed chain; the handshake
//! targets' server staples an OCSP response and an SCT list, and their client
//! asks for both and validates the staple, so ClientHellos and server flights
//! carrying status_request / signed_certificate_timestamp reach that code.

use crate::msgs::codec::Codec;
use crate::msgs::handshake::{check_sct_list, CertificateStatus};

/// The staple of the handshake targets' servers: a good response for
/// `server-rsa.pem` (`seeds/ocsp_response/gen.sh`; the first byte is the
/// seed's chain selector).
const RSA_STAPLE: &[u8] = include_bytes!("../../tests/fuzz/seeds/ocsp_response/rsa-good");
/// Its P-256 twin, for `server-p256-chain.pem`.
const P256_STAPLE: &[u8] = include_bytes!("../../tests/fuzz/seeds/ocsp_response/p256-good");
/// The SCT list the fuzz servers send (framing only: SCTs are opaque).
pub const FUZZ_SCT_LIST: &[u8] = &[0, 6, 0, 4, 0xba, 0x70, 0x11, 0x5c];

/// The fixed clock of the OCSP target: inside the seeds' 100 years.
const OCSP_NOW: u64 = 1_900_000_000;

/// A client asks for OCSP and SCTs and validates a staple.
pub fn status_client_on(b: &mut crate::ConfigBuilder) {
    b.set_ocsp_validation(crate::OcspValidation::IfStapled);
    b.request_sct_list(true);
}

/// Staples the seeds' response (by the chain's leaf: RSA or P-256) and the
/// fuzz SCT list to a server chain.
pub fn status_server_on(ck: &crate::CertChainAndKey) {
    let staple = match ck.key_type() {
        crate::KeyType::Rsa => RSA_STAPLE,
        _ => P256_STAPLE,
    };
    // ok-panic: fuzz set-up, not input: committed, well-formed constants.
    ck.set_ocsp_response(&staple[1..])
        .expect("the seed staple parses");
    ck.set_sct_list(FUZZ_SCT_LIST).expect("the fuzz SCT list");
}

fn pem_chain(pem: &[u8]) -> Vec<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::pem_slice_iter(pem)
        .filter_map(|c| c.ok().map(|c| c.to_vec()))
        .collect()
}

/// The first byte picks the chain (even: `server-rsa` under `ca-rsa`, its
/// issuer an anchor; odd: `server-p256` under its intermediate); the rest is
/// a stapled OCSP response, validated for that chain, and also read as a
/// CertificateStatus body and an SCT list (round trips checked).
pub fn ocsp_response(data: &[u8]) {
    let Some((&which, resp)) = data.split_first() else {
        return;
    };
    let (chain, ca) = if which % 2 == 0 {
        (
            &include_bytes!("../../tests/data/server-rsa.pem")[..],
            &include_bytes!("../../tests/data/ca-rsa.pem")[..],
        )
    } else {
        (
            &include_bytes!("../../tests/data/server-p256-chain.pem")[..],
            &include_bytes!("../../tests/data/ca-ecdsa.pem")[..],
        )
    };
    let mut trust = crate::cert::TrustStore::new();
    // ok-panic: fuzz set-up: committed test CAs.
    trust.add_pem(ca).expect("test CA");
    let _ = trust.validate_ocsp(resp, &pem_chain(chain), OCSP_NOW);
    if let Ok(cs) = CertificateStatus::read_bytes(resp) {
        let mut again = Vec::new();
        // ok-panic: fuzz oracle; what parsed fits its length fields again.
        cs.encode(&mut again)
            .expect("a parsed CertificateStatus re-encodes");
        // ok-panic: fuzz oracle; the fuzzer is meant to find a re-encoding mismatch.
        assert_eq!(again, resp, "CertificateStatus round trip");
    }
    let _ = check_sct_list(resp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AlertDescription, CertChainAndKey, Config, Connection, Session};

    const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/seeds");

    #[test]
    fn ocsp_seeds_validate_and_mutations_never_panic() {
        for name in ["rsa-good", "p256-good"] {
            let seed = std::fs::read(format!("{SEEDS}/ocsp_response/{name}")).unwrap();
            let (&which, resp) = seed.split_first().unwrap();
            let (chain, ca) = if which % 2 == 0 {
                ("server-rsa.pem", "ca-rsa.pem")
            } else {
                ("server-p256-chain.pem", "ca-ecdsa.pem")
            };
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
            let mut trust = crate::cert::TrustStore::new();
            trust
                .add_pem(&std::fs::read(format!("{dir}{ca}")).unwrap())
                .unwrap();
            let chain = pem_chain(&std::fs::read(format!("{dir}{chain}")).unwrap());
            trust.validate_ocsp(resp, &chain, OCSP_NOW).unwrap();
            // Against the other chain it names the wrong certificate.
            let other = if which % 2 == 0 { 1 } else { 0 };
            let mut swapped = seed.clone();
            swapped[0] = other;
            ocsp_response(&swapped);
            // Every truncation and one flipped bit per byte: errors, no panic.
            for cut in 0..seed.len() {
                ocsp_response(&seed[..cut]);
            }
            for i in 1..seed.len() {
                let mut m = seed.clone();
                m[i] ^= 0x10;
                ocsp_response(&m);
                let r = trust.validate_ocsp(&m[1..], &chain, OCSP_NOW);
                if let Err(e) = r {
                    assert_eq!(
                        e.sent_alert(),
                        Some(AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE),
                        "byte {i}: {e}"
                    );
                }
            }
        }
    }

    /// The handshake targets' server config, as `server_handshake.rs` builds it.
    fn fuzz_server(policy: &str) -> Config {
        let ck = CertChainAndKey::from_pem(
            include_bytes!("../../tests/data/server-rsa.pem"),
            include_bytes!("../../tests/data/server-rsa.key"),
        )
        .unwrap();
        status_server_on(&ck);
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(ck);
        b.security_policy(policy).unwrap();
        b.build().unwrap()
    }

    fn fuzz_client() -> Config {
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(include_bytes!("../../tests/data/ca-rsa.pem"))
            .unwrap();
        crate::fuzzing::pin_both_versions_policy(&mut b);
        status_client_on(&mut b);
        b.build().unwrap()
    }

    /// Writes the seed under `BATON_WRITE_FUZZ_SEEDS=1`, then reads it back.
    fn seed(target: &str, name: &str, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let path = format!("{SEEDS}/{target}/{name}");
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(&path, make()).unwrap();
        }
        std::fs::read(&path).unwrap()
    }

    /// The fuzz client's hello (asking for OCSP and SCTs), as a
    /// `server_handshake` input.
    fn status_client_hello() -> Vec<u8> {
        let mut c = Session::new_client(&fuzz_client());
        c.set_server_name("localhost").unwrap();
        c.poll_handshake().unwrap();
        [&[255u8][..], c.pending_tls()].concat()
    }

    /// A TLS 1.2 server's plaintext flight (ServerHello with the
    /// status_request ack and SCTs, Certificate, CertificateStatus,
    /// ServerKeyExchange, ServerHelloDone), as a `client_handshake` input.
    fn status_server_flight12() -> Vec<u8> {
        let hello = &status_client_hello()[1..];
        let mut s = Session::new_server(&fuzz_server("20190214"));
        s.feed_tls(hello).unwrap();
        let _ = s.poll_handshake();
        [&[255u8][..], s.pending_tls()].concat()
    }

    /// The committed seeds reach the status code: the server staples for the
    /// hello (the plaintext TLS 1.2 flight carries the response), and the
    /// client reads and validates the staple in that flight, failing only at
    /// the ServerKeyExchange signature (over its own, new, random).
    #[test]
    fn status_seeds_reach_stapling_both_ways() {
        let hello = seed(
            "server_handshake",
            "status-request-client-hello",
            status_client_hello,
        );
        let flight = seed(
            "client_handshake",
            "status-tls12-server-flight",
            status_server_flight12,
        );
        let staple = &RSA_STAPLE[1..];
        assert!(flight.windows(staple.len()).any(|w| w == staple));
        assert!(flight
            .windows(FUZZ_SCT_LIST.len())
            .any(|w| w == FUZZ_SCT_LIST));

        // Under the server_handshake target's policy (TLS 1.3: the staple
        // goes in the encrypted Certificate).
        let mut b = Config::builder_minimal();
        for (chain, key) in [
            (
                &include_bytes!("../../tests/data/server-p256-chain.pem")[..],
                &include_bytes!("../../tests/data/server-p256.key")[..],
            ),
            (
                &include_bytes!("../../tests/data/server-rsa.pem")[..],
                &include_bytes!("../../tests/data/server-rsa.key")[..],
            ),
        ] {
            let ck = CertChainAndKey::from_pem(chain, key).unwrap();
            status_server_on(&ck);
            b.add_cert_chain_and_key(ck);
        }
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        let mut s = Connection::new_server(&b.build().unwrap());
        crate::fuzzing::drive(&mut s, &hello);
        assert!(s.selected_cert().is_some(), "{:?}", s.last_error());

        let mut c = Connection::new_client(&fuzz_client());
        c.set_server_name("localhost").unwrap();
        crate::fuzzing::drive(&mut c, &flight);
        assert_eq!(c.ocsp_response(), Some(staple));
        assert_eq!(c.sct_list(), Some(FUZZ_SCT_LIST));
        let err = c.last_error().expect("the old ServerKeyExchange fails");
        assert_eq!(
            err.sent_alert(),
            Some(AlertDescription::DECRYPT_ERROR),
            "{err:?}"
        );
    }
}
