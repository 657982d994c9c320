//! The ClientHello callback and the SNI certificate resolver in the
//! `server_handshake` fuzz target. The callback acts on the client's SNI,
//! so the seeds made here (ClientHellos naming `later.fuzz`, `swap.fuzz`
//! and `resolver.fuzz`) start the fuzzer inside the parked hello, the
//! swapped config and the resolver's lookup, and every other name goes on
//! as before (the older seeds reach what they reached).

use crate::hello_callback::{ClientHelloAction, PendingClientHello};
use crate::{AlertDescription, CertChainAndKey, Config};
use std::sync::Arc;

fn chain(pem: &[u8], key: &[u8]) -> Arc<CertChainAndKey> {
    // ok-panic: the committed test certificates, not input.
    Arc::new(CertChainAndKey::from_pem(pem, key).expect("test certificate"))
}

/// The config a `swap.fuzz` hello moves to: the RSA test chain only, under
/// the both-versions policy (no PSKs, tickets or early data).
fn swapped() -> Config {
    let mut b = Config::builder_minimal();
    b.add_shared_cert_chain_and_key(chain(
        include_bytes!("../../tests/data/server-rsa.pem"),
        include_bytes!("../../tests/data/server-rsa.key"),
    ));
    crate::fuzzing::pin_both_versions_policy(&mut b);
    // ok-panic: fuzz set-up, not input.
    b.build().expect("swapped fuzz config")
}

/// A resolver (the P-256 chain under `resolver.fuzz` and `*.resolver.fuzz`;
/// the config's own chains stay the default) and a callback on the SNI:
/// `later.fuzz` answers later (already answered, so the next drive goes
/// on), `swap.fuzz` swaps the config, `reject.fuzz` refuses.
pub fn hello_callback_on(b: &mut crate::ConfigBuilder) {
    let mut store = crate::cert::SniCertStore::new();
    let p256 = chain(
        include_bytes!("../../tests/data/server-p256-chain.pem"),
        include_bytes!("../../tests/data/server-p256.key"),
    );
    // ok-panic: constant names.
    store
        .add_for_names(p256, &["resolver.fuzz", "*.resolver.fuzz"])
        .expect("valid names");
    b.set_cert_resolver(Arc::new(crate::cert::CertResolver::new(store)));
    let alt = swapped();
    b.set_client_hello_callback(move |ch| match ch.server_name() {
        Some("later.fuzz") => {
            let (pending, answer) = PendingClientHello::new();
            answer.proceed();
            ClientHelloAction::Later(pending)
        }
        Some("swap.fuzz") => ClientHelloAction::SwapConfig(alt.clone()),
        Some("reject.fuzz") => ClientHelloAction::Reject(AlertDescription::UNRECOGNIZED_NAME),
        _ => ClientHelloAction::Continue,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Connection, ProtocolVersion, Session};

    const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/seeds");

    /// The `server_handshake` target's config (as in `tests/fuzz`).
    fn fuzz_server() -> Config {
        let mut b = Config::builder_minimal();
        b.add_shared_cert_chain_and_key(chain(
            include_bytes!("../../tests/data/server-p256-chain.pem"),
            include_bytes!("../../tests/data/server-p256.key"),
        ));
        b.add_shared_cert_chain_and_key(chain(
            include_bytes!("../../tests/data/server-rsa.pem"),
            include_bytes!("../../tests/data/server-rsa.key"),
        ));
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        crate::fuzzing::resumption_on(&mut b);
        crate::fuzzing::psk_on(&mut b);
        crate::fuzzing::early_data_on(&mut b);
        hello_callback_on(&mut b);
        crate::fuzzing::client_auth_on(&mut b);
        b.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        b.build().unwrap()
    }

    /// A Baton client's first flight for `name`, as a target input
    /// (written under `BATON_WRITE_FUZZ_SEEDS=1`, then read back).
    fn seed(name: &str) -> Vec<u8> {
        let path = format!("{SEEDS}/server_handshake/{name}-client-hello");
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            let mut s = Session::new_client(&Config::builder_minimal().build().unwrap());
            s.set_server_name(name).unwrap();
            s.poll_handshake().unwrap();
            std::fs::write(&path, [&[255u8][..], s.pending_tls()].concat()).unwrap();
        }
        std::fs::read(&path).unwrap()
    }

    /// Each seed reaches its path: the server answers the hello (a
    /// ServerHello for TLS 1.3, or TLS 1.2 after the swap), or refuses it.
    #[test]
    fn server_handshake_seeds_reach_the_callback_and_the_resolver() {
        let run = |name: &str| {
            let mut conn = Connection::new_server(&fuzz_server());
            crate::fuzzing::drive(&mut conn, &seed(name));
            conn
        };
        let later = run("later.fuzz");
        assert_eq!(later.server_name(), Some("later.fuzz"));
        assert_eq!(
            later.actual_protocol_version(),
            Some(ProtocolVersion::TLSV1_3)
        );
        let swap = run("swap.fuzz");
        use rustls_pki_types::pem::PemObject;
        let rsa = include_bytes!("../../tests/data/server-rsa.pem");
        let rsa_leaf = rustls_pki_types::CertificateDer::from_pem_slice(rsa)
            .unwrap()
            .to_vec();
        assert_eq!(swap.selected_cert().unwrap().chain()[0], rsa_leaf);
        let resolved = run("www.resolver.fuzz");
        assert_eq!(resolved.server_name(), Some("www.resolver.fuzz"));
        assert!(resolved.selected_cert().is_some());
        let reject = run("reject.fuzz");
        assert_eq!(
            reject.last_error().and_then(|e| e.sent_alert()),
            Some(AlertDescription::UNRECOGNIZED_NAME)
        );
    }
}
