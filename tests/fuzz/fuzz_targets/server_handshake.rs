//! A Baton server fed arbitrary client bytes.
#![no_main]

use baton::{CertChainAndKey, Config, Connection};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CFG: OnceLock<Config> = OnceLock::new();
    CFG.get_or_init(|| {
        let ck = CertChainAndKey::from_pem(
            include_bytes!("../../data/server-p256-chain.pem"),
            include_bytes!("../../data/server-p256.key"),
        )
        .expect("test certificate");
        // An RSA chain too, so both TLS 1.2 ECDHE-ECDSA and ECDHE-RSA suites are reachable.
        let rsa = CertChainAndKey::from_pem(
            include_bytes!("../../data/server-rsa.pem"),
            include_bytes!("../../data/server-rsa.key"),
        )
        .expect("test certificate");
        // An OCSP staple and SCTs for clients that ask (the
        // status-request-client-hello seed does).
        baton::fuzzing::status_server_on(&ck);
        baton::fuzzing::status_server_on(&rsa);
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(ck);
        b.add_cert_chain_and_key(rsa);
        baton::fuzzing::pin_post_quantum_policy(&mut b);
        // Tickets under a fixed key and clock: the resumed-hello seed resumes.
        baton::fuzzing::resumption_on(&mut b);
        // External PSKs (psk_ke too): the external-psk seeds offer them with
        // valid binders.
        baton::fuzzing::psk_on(&mut b);
        // 0-RTT accepted (every anti-replay claim is fresh): the
        // early-data seed reaches the early key and its record limits.
        baton::fuzzing::early_data_on(&mut b);
        // Client certificates asked for (optional; the client CA trusted):
        // the tls12-client-certificate seed reaches their checks.
        baton::fuzzing::client_auth_on(&mut b);
        // A cert resolver and a ClientHello callback acting on the SNI: the
        // later/swap/resolver seeds reach the parked hello, the swapped
        // config and the resolver's lookup.
        baton::fuzzing::hello_callback_on(&mut b);
        // Signatures parked by a private-key callback and answered as the
        // input's last byte says (signed, garbage, failed), Strictly checked.
        baton::fuzzing::pkey_on(&mut b);
        b.set_alpn_preferences(&["h2", "http/1.1"]).expect("alpn");
        b.build().expect("config")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::new_server(config());
    baton::fuzzing::drive(&mut conn, data);
});
