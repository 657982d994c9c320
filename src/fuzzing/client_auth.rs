//! Client authentication in the handshake fuzz targets: the server target
//! asks for a client certificate (optional), so a
//! TLS 1.2 client flight (plaintext up to its ChangeCipherSpec) reaches the
//! client Certificate's validation, ClientKeyExchange and the client's
//! CertificateVerify. `seeds/server_handshake/tls12-client-certificate` is
//! a real Baton client's TLS 1.2 flight with a certificate (its signature
//! fails against the fuzz server's fresh random: `decrypt_error`, once
//! every step before it passed).

/// The fuzz server asks for a client certificate (optional). Chain
/// validation is off: the fuzz clock (1970, for the tickets) would find
/// every real certificate not yet valid and stop there; the chain's
/// parsing, the CertificateVerify and what follows are what the target
/// reaches instead (webpki's path building has fuzzers of its own).
pub fn client_auth_on(b: &mut crate::ConfigBuilder) {
    b.set_client_auth(crate::ClientAuth::Optional);
    b.disable_x509_verification();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AlertDescription, CertChainAndKey, Config, Connection, Session};

    const SEED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz/seeds/server_handshake/tls12-client-certificate"
    );

    /// The `server_handshake` target's config.
    fn fuzz_server() -> Config {
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
            b.add_cert_chain_and_key(CertChainAndKey::from_pem(chain, key).unwrap());
        }
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        crate::fuzzing::resumption_on(&mut b);
        crate::fuzzing::psk_on(&mut b);
        crate::fuzzing::early_data_on(&mut b);
        crate::fuzzing::hello_callback_on(&mut b);
        crate::fuzzing::pkey_on(&mut b);
        client_auth_on(&mut b);
        b.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        b.build().unwrap()
    }

    static TLS12: crate::SecurityPolicy = crate::SecurityPolicy {
        name: "fuzz-client-auth-12",
        min_version: crate::ProtocolVersion::TLSV1_2,
        max_version: crate::ProtocolVersion::TLSV1_2,
        cipher_suites: &[crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
        certificate_signature_schemes: None,
        // P-256 also names the server certificate's curve (RFC 8422 §5.1).
        groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
        chacha20_boosted: false,
    };

    /// Everything a TLS 1.2 client with a certificate says to the fuzz server.
    fn client_flight() -> Vec<u8> {
        let mut b = Config::builder_minimal();
        b.custom_security_policy(&TLS12).unwrap();
        b.add_pem_to_trust_store(include_bytes!("../../tests/data/ca-ecdsa.pem"))
            .unwrap();
        b.add_client_cert_chain_and_key(
            CertChainAndKey::from_pem(
                include_bytes!("../../tests/data/client-chain.pem"),
                include_bytes!("../../tests/data/client.key"),
            )
            .unwrap(),
        );
        let mut c = Session::new_client(&b.build().unwrap());
        c.set_server_name("localhost").unwrap();
        // The live server signs in place (the target's parks signatures).
        let mut live = Config::builder_minimal();
        live.add_cert_chain_and_key(
            CertChainAndKey::from_pem(
                include_bytes!("../../tests/data/server-p256-chain.pem"),
                include_bytes!("../../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        // The target's policy: the same ECDHE group, so the replayed
        // ClientKeyExchange fits.
        crate::fuzzing::pin_post_quantum_policy(&mut live);
        client_auth_on(&mut live);
        let mut s = Session::new_server(&live.build().unwrap());
        // The target's first byte is the read size.
        let mut sent = vec![255];
        for _ in 0..6 {
            let _ = c.poll_handshake();
            let out = c.pending_tls().to_vec();
            c.consume_tls(out.len());
            sent.extend_from_slice(&out);
            let _ = s.feed_tls(&out);
            let _ = s.poll_handshake();
            let back = s.pending_tls().to_vec();
            s.consume_tls(back.len());
            let _ = c.feed_tls(&back);
        }
        // The target answers parked signatures as the input's last byte
        // says: 0, sign. After the last record it is a partial header.
        sent.push(0);
        assert!(
            s.client_cert_verified(),
            "the live handshake authenticated: {:?} {:?}",
            s.last_error(),
            c.last_error()
        );
        sent
    }

    /// The seed reaches the client's CertificateVerify: its chain validated
    /// and the key exchange completed first. Rewrite it with
    /// BATON_WRITE_FUZZ_SEEDS=1 if the client's flight changes.
    #[test]
    fn server_handshake_seed_reaches_the_client_certificate_verify() {
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(SEED, client_flight()).unwrap();
        }
        let seed = std::fs::read(SEED).unwrap();
        let mut conn = Connection::new_server(&fuzz_server());
        crate::fuzzing::drive(&mut conn, &seed);
        let err = conn.last_error().expect("the replayed signature fails");
        assert_eq!(
            err.sent_alert(),
            Some(AlertDescription::DECRYPT_ERROR),
            "{err}"
        );
        assert!(err.message().contains("signature"), "{err}");
        assert_eq!(conn.peer_cert_chain().len(), 2, "the chain was taken");
    }
}
