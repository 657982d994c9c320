//! `openssl s_client -sigalgs` against a Baton server with two chains. OpenSSL
//! never sends signature_algorithms_cert, so its signature_algorithms (which
//! `-sigalgs` sets) governs the chain as well (RFC 8446 §4.2.3): the Baton
//! server must pick the chain signed the way the list allows, in TLS 1.3 and
//! TLS 1.2, whatever the order of its config. `-brief` names the certificate
//! s_client got ("Peer certificate: CN = ...").

use super::*;
use crate::policies::{server, Chain, CNSA_P384, P256, P384_SHA256, RSA_2048};
use baton::SignatureScheme;

/// A P-521 leaf under a P-521 root, both signed with ecdsa-with-SHA512.
const P521: Chain = Chain {
    chain: "server-p521.pem",
    key: "server-p521.key",
    signed_with: SignatureScheme::ECDSA_SECP521R1_SHA512,
};
use crate::require_openssl;
use std::sync::OnceLock;

/// The test CAs and the CNSA P-384 root, for `-CAfile`.
fn cas_file() -> &'static str {
    static F: OnceLock<String> = OnceLock::new();
    F.get_or_init(|| {
        let mut pem = std::fs::read(all_cas_file()).unwrap();
        pem.extend(std::fs::read(data("ca-cnsa-p384.pem")).unwrap());
        pem.extend(std::fs::read(data("ca-p521.pem")).unwrap());
        let p = scratch_dir().join("cert-selection-cas.pem");
        std::fs::write(&p, pem).unwrap();
        p.to_str().unwrap().to_string()
    })
}

/// The subject CN each chain's leaf has (as `-brief` prints it).
fn cn(chain: Chain) -> &'static str {
    match chain.chain {
        "server-rsa.pem" => "server.test (RSA)",
        "server-p256-chain.pem" => "server.test (P-256)",
        "server-p384.pem" => "server.test (P-384)",
        "server-cnsa-p384.pem" => "server.test (CNSA, P-384)",
        "server-p521.pem" => "server.test (P-521)",
        other => panic!("no CN known for {other}"),
    }
}

fn check(chains: [Chain; 2], version: &str, sigalgs: &str, want: Chain) {
    let scfg = server(&chains, |_| {}); // Baton's default policy
    let args = [
        version,
        "-sigalgs",
        sigalgs,
        "-brief",
        "-CAfile",
        cas_file(),
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        "-servername",
        "localhost",
    ];
    let (info, out) = echo_once(scfg, &args, b"pick a chain\n");
    let label = format!("{version} -sigalgs {sigalgs}, server chains {chains:?}");
    // OpenSSL quotes a CN only when it has a comma.
    let got = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Peer certificate: CN = "))
        .map(|cn| cn.trim_matches('"'));
    assert_eq!(got, Some(cn(want)), "{label}; s_client: {}", out.stderr);
    let v = if version == "-tls1_3" {
        ProtocolVersion::TLSV1_3
    } else {
        ProtocolVersion::TLSV1_2
    };
    assert_eq!(info.version, Some(v), "{label}");
}

#[test]
fn sigalgs_choose_between_two_p384_chains() {
    require_openssl!();
    // Both keys are P-384 and sign ECDSA+SHA384; one chain is signed with
    // SHA-256, the other with SHA-384.
    for version in ["-tls1_3", "-tls1_2"] {
        for chains in [[P384_SHA256, CNSA_P384], [CNSA_P384, P384_SHA256]] {
            check(chains, version, "ECDSA+SHA384", CNSA_P384);
        }
        // SHA-256 allowed too: both fit, so the config order decides.
        check(
            [P384_SHA256, CNSA_P384],
            version,
            "ECDSA+SHA384:ECDSA+SHA256",
            P384_SHA256,
        );
    }
}

#[test]
fn sigalgs_choose_between_rsa_and_ecdsa_chains() {
    require_openssl!();
    // TLS 1.3: the RSA key can sign rsa_pss_rsae_sha256, but its chain is
    // signed with PKCS#1, which the list leaves out; the ECDSA chain fits.
    for chains in [[RSA_2048, P256], [P256, RSA_2048]] {
        check(chains, "-tls1_3", "RSA-PSS+SHA256:ECDSA+SHA256", P256);
    }
    // And the other way round: only RSA schemes listed, the RSA chain.
    for chains in [[RSA_2048, P256], [P256, RSA_2048]] {
        check(chains, "-tls1_3", "RSA-PSS+SHA256:RSA+SHA256", RSA_2048);
        check(chains, "-tls1_2", "RSA+SHA256", RSA_2048);
    }
}

#[test]
fn sigalgs_choose_between_p256_and_p521_chains() {
    require_openssl!();
    // In TLS 1.3 only a P-521 key signs ecdsa_secp521r1_sha512, and only a
    // P-256 key ecdsa_secp256r1_sha256, whatever the config order.
    for chains in [[P256, P521], [P521, P256]] {
        check(chains, "-tls1_3", "ECDSA+SHA512", P521);
        check(chains, "-tls1_3", "ECDSA+SHA256", P256);
    }
}
