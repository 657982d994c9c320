//! A Baton client fed arbitrary server bytes after its ClientHello.
#![no_main]

use baton::{Config, Connection, ProtocolVersion};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CFG: OnceLock<Config> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(include_bytes!("../../data/ca-ecdsa.pem")).expect("ca");
        b.add_pem_to_trust_store(include_bytes!("../../data/ca-rsa.pem")).expect("ca");
        pin_policy(&mut b);
        b.build().expect("config")
    })
}

/// A numbered policy (never changes, unlike the `default_tls13` alias) that
/// offers both TLS 1.3 and TLS 1.2, so the fuzzer reaches both client state
/// machines: the ClientHello offers both and the server's bytes pick one.
fn pin_policy(b: &mut baton::ConfigBuilder) {
    const POLICY: &str = "20240417";
    let p = baton::policy::lookup(POLICY).expect("policy");
    assert!(
        p.negotiates(ProtocolVersion::TLSV1_3) && p.negotiates(ProtocolVersion::TLSV1_2),
        "{POLICY} must enable TLS 1.3 and TLS 1.2"
    );
    b.security_policy(POLICY).expect("policy");
}

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::new_client(config());
    conn.set_server_name("localhost").expect("name");
    baton::fuzzing::drive(&mut conn, data);
});
