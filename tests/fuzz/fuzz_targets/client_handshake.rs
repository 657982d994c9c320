//! A Baton client fed arbitrary server bytes after its ClientHello.
#![no_main]

use baton::{Config, Connection};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CFG: OnceLock<Config> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(include_bytes!("../../data/ca-ecdsa.pem")).expect("ca");
        b.add_pem_to_trust_store(include_bytes!("../../data/ca-rsa.pem")).expect("ca");
        baton::fuzzing::pin_both_versions_policy(&mut b);
        // The client offers external PSKs (psk_ke too); the external-psk
        // seed is a ServerHello selecting one.
        baton::fuzzing::psk_on(&mut b);
        // Asks for OCSP and SCTs and validates a staple: the
        // status-tls12-server-flight seed carries both.
        baton::fuzzing::status_client_on(&mut b);
        b.build().expect("config")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::new_client(config());
    conn.set_server_name("localhost").expect("name");
    baton::fuzzing::drive(&mut conn, data);
});
