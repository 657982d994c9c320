//! External PSKs in the handshake fuzz targets: both hold the same fixed
//! PSKs, so the seeds made here (a ClientHello offering them with valid
//! binders, one naming psk_ke only, and a ServerHello selecting one) start
//! the fuzzer inside binder checking and the PSK handshake, which random
//! bytes never reach (a binder is an HMAC over the whole hello).

use crate::psk::{ExternalPsk, PskHash};

/// The identity of the fuzz targets' SHA-256 PSK (the one the seeds use).
pub const PSK_IDENTITY: &[u8] = b"baton-fuzz-psk";
/// Its secret (a test value).
pub const PSK_SECRET: &[u8; 32] = b"baton fuzz external psk secret!!";
/// The identity of a second, SHA-384 PSK, so a mutated hello can reach the
/// other hash and the choice between PSKs.
pub const PSK384_IDENTITY: &[u8] = b"baton-fuzz-psk-384";

fn psks() -> [ExternalPsk; 2] {
    // ok-panic: constant input within the limits.
    let p = |id, hash| ExternalPsk::new(id, PSK_SECRET, hash).expect("valid fuzz PSK");
    [
        p(PSK_IDENTITY, PskHash::Sha256),
        p(PSK384_IDENTITY, PskHash::Sha384),
    ]
}

/// The fuzz PSKs on a config, psk_ke allowed as well as psk_dhe_ke: a server
/// takes either mode, a client offers both.
pub fn psk_on(b: &mut crate::ConfigBuilder) {
    for p in psks() {
        b.add_psk(p);
    }
    b.allow_psk_ke(true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hash::{HashAlg, Transcript};
    use crate::msgs::handshake::client_hello_binders_offset;
    use crate::tls13::key_schedule::{finished_verify_data, EarlySecret};
    use crate::{AlertDescription, CertChainAndKey, Config, Connection, Session};

    const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/seeds");

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
        psk_on(&mut b);
        crate::fuzzing::early_data_on(&mut b);
        crate::fuzzing::client_auth_on(&mut b);
        b.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        b.build().unwrap()
    }

    /// The `client_handshake` target's config.
    fn fuzz_client_config() -> Config {
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(include_bytes!("../../tests/data/ca-ecdsa.pem"))
            .unwrap();
        b.add_pem_to_trust_store(include_bytes!("../../tests/data/ca-rsa.pem"))
            .unwrap();
        crate::fuzzing::pin_both_versions_policy(&mut b);
        psk_on(&mut b);
        b.build().unwrap()
    }

    /// A client's first flight (records), offering `psks` (psk_dhe_ke only).
    fn client_hello(psks: &[ExternalPsk]) -> Vec<u8> {
        let mut b = Config::builder_minimal();
        for p in psks {
            b.add_psk(p.clone());
        }
        let mut c = Session::new_client(&b.build().unwrap());
        c.poll_handshake().unwrap();
        c.pending_tls().to_vec()
    }

    /// `hello` (one record) made to offer psk_ke only, its single binder
    /// (the SHA-256 fuzz PSK's) computed again over the changed hello.
    fn psk_ke_only(mut hello: Vec<u8>) -> Vec<u8> {
        // psk_key_exchange_modes = [psk_dhe_ke] becomes [psk_ke].
        let modes = [0x00, 0x2d, 0x00, 0x02, 0x01, 0x01];
        let at = hello
            .windows(modes.len())
            .position(|w| w == modes)
            .expect("psk_key_exchange_modes");
        hello[at + 5] = 0x00;
        let msg = &hello[5..];
        let offset = client_hello_binders_offset(msg).expect("pre_shared_key last");
        let partial = Transcript::new().hash_given(HashAlg::Sha256, &msg[..offset]);
        let early = EarlySecret::new(HashAlg::Sha256, Some(PSK_SECRET));
        let binder =
            finished_verify_data(HashAlg::Sha256, &early.binder_key(true), partial.as_bytes());
        // binders: u16 list length, u8 binder length, the binder (the end).
        let start = 5 + offset + 3;
        assert_eq!(hello.len(), start + 32, "one SHA-256 binder");
        hello[start..].copy_from_slice(binder.as_bytes());
        hello
    }

    /// Writes the seed under `BATON_WRITE_FUZZ_SEEDS=1`, then reads it back.
    fn seed(target: &str, name: &str, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let path = format!("{SEEDS}/{target}/{name}");
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(&path, make()).unwrap();
        }
        std::fs::read(&path).unwrap()
    }

    /// The committed `server_handshake` seeds reach the PSK handshake under
    /// the target's config: both PSKs offered, the first taken with a key
    /// exchange; and psk_ke alone, taken without one. Rewrite them with
    /// BATON_WRITE_FUZZ_SEEDS=1 if the ClientHello changes.
    #[test]
    fn server_handshake_seeds_use_the_external_psk() {
        let [p256, p384] = psks();
        let dhe = seed("server_handshake", "external-psk-client-hello", || {
            [&[255u8][..], &client_hello(&[p256.clone(), p384])].concat()
        });
        let ke = seed("server_handshake", "external-psk-ke-client-hello", || {
            [&[255u8][..], &psk_ke_only(client_hello(&[p256]))].concat()
        });
        for (name, seed, keyed) in [("psk_dhe_ke", dhe, true), ("psk_ke", ke, false)] {
            let mut conn = Connection::new_server(&fuzz_server());
            crate::fuzzing::drive(&mut conn, &seed);
            assert_eq!(
                conn.negotiated_psk_identity(),
                Some(PSK_IDENTITY),
                "{name}: {:?}",
                conn.last_error()
            );
            assert_eq!(conn.kx_group().is_some(), keyed, "{name}");
            assert!(!conn.is_resumed(), "{name}");
        }
        // One flipped byte in the only binder (the psk_ke seed's; the server
        // checks only the binder of the PSK it picks): decrypt_error.
        let mut bad = std::fs::read(format!(
            "{SEEDS}/server_handshake/external-psk-ke-client-hello"
        ))
        .unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let mut conn = Connection::new_server(&fuzz_server());
        crate::fuzzing::drive(&mut conn, &bad);
        let err = conn.last_error().expect("a failed binder check");
        assert_eq!(err.sent_alert(), Some(AlertDescription::DECRYPT_ERROR));
    }

    /// The server's first flight for the target's client hello, as a
    /// `client_handshake` input: the ServerHello selects the SHA-256 PSK
    /// and the session id it echoes is the placeholder `drive` patches.
    fn psk_server_flight() -> Vec<u8> {
        let mut c = Session::new_client(&fuzz_client_config());
        c.set_server_name("localhost").unwrap();
        c.poll_handshake().unwrap();
        let hello = c.pending_tls().to_vec();
        let mut b = Config::builder_minimal();
        b.add_psk(psks()[0].clone());
        let mut s = Session::new_server(&b.build().unwrap());
        s.feed_tls(&hello).unwrap();
        let _ = s.poll_handshake();
        let mut flight = s.pending_tls().to_vec();
        let id = super::super::sent_session_id(&hello).unwrap().to_vec();
        assert_eq!(id.len(), 32);
        super::super::replace_all(&mut flight, &id, crate::fuzzing::ECHO_SESSION_ID);
        [&[255u8][..], &flight].concat()
    }

    /// The committed `client_handshake` seed gets the target's client past
    /// the ServerHello that selects its PSK, into the PSK key schedule: its
    /// ephemeral key is new each run, so the encrypted flight after the
    /// ServerHello does not decrypt (bad_record_mac), where a ServerHello
    /// the client refused would be illegal_parameter.
    #[test]
    fn client_handshake_seed_selects_the_external_psk() {
        let seed = seed(
            "client_handshake",
            "external-psk-server-hello",
            psk_server_flight,
        );
        let mut conn = Connection::new_client(&fuzz_client_config());
        conn.set_server_name("localhost").unwrap();
        crate::fuzzing::drive(&mut conn, &seed);
        let err = conn.last_error().expect("the encrypted flight fails");
        assert_eq!(
            err.sent_alert(),
            Some(AlertDescription::BAD_RECORD_MAC),
            "{err:?}"
        );
    }
}
