//! `baton server --policy` and `baton client --policy` against OpenSSL, and
//! policy names that are usage errors.

use super::*;

/// Starts `baton server --policy POLICY` with a chain from `tests/data` and
/// returns it with its port.
fn baton_server_with_policy(policy: &str, chain: &str, key: &str) -> (Proc, u16) {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path(chain),
        "--key",
        &path(key),
        "--policy",
        policy,
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

/// `baton server --policy` with a TLS 1.2-only policy, `openssl s_client`
/// offering TLS 1.3 and 1.2: TLS 1.2 with the policy's first suite, as both
/// the server's handshake line and s_client say.
#[test]
fn server_policy_tls12_with_openssl_client() {
    require_openssl!();
    let cases = [
        // s2n's "default" (20170210): ECDHE-RSA only.
        (
            "default",
            "server-rsa.pem",
            "server-rsa.key",
            "ca-rsa.pem",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ),
        (
            "20240331",
            "server-p256-chain.pem",
            "server-p256.key",
            "ca-ecdsa.pem",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
    ];
    for (policy, chain, key, ca, suite, openssl_suite) in cases {
        let (server, port) = baton_server_with_policy(policy, chain, key);
        let mut c = s_client(
            port,
            &[
                "-brief",
                "-servername",
                "localhost",
                "-CAfile",
                &path(ca),
                "-verify_return_error",
            ],
        );
        c.write_stdin(b"hello\n");
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(out.status.success(), "{policy}: s_client: {}", out.stderr);
        assert!(
            out.stderr.contains("Protocol version: TLSv1.2")
                && out
                    .stderr
                    .contains(&format!("Ciphersuite: {openssl_suite}")),
            "{policy}: s_client: {}",
            out.stderr
        );
        let line = line_after(&server, "handshake: ", true);
        for want in ["version=TLSv1.2".to_string(), format!("suite={suite} ")] {
            assert!(line.contains(&want), "{policy}: lacks {want}: {line}");
        }
    }
}

/// `baton client --policy` with TLS 1.2-only policies against `openssl s_server`
/// (which allows TLS 1.3): TLS 1.2, the expected suite, and data both ways.
#[test]
fn client_policy_tls12_with_openssl_server() {
    require_openssl!();
    let cases = [
        (
            "default",
            "server-rsa.pem",
            "server-rsa.key",
            "ca-rsa.pem",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            "default_fips",
            "server-p384.pem",
            "server-p384.key",
            "ca-ecdsa.pem",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
    ];
    for (policy, chain, key, ca, suite) in cases {
        let srv = s_server(&[
            "-cert",
            &path(chain),
            "-key",
            &path(key),
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ]);
        let target = format!("localhost:{}", srv.port);
        let mut c = baton(&["client", &target, "--ca", &path(ca), "--policy", policy]);
        c.write_stdin(b"tls twelve\n");
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(
            out.status.success(),
            "{policy}: baton client: {}",
            out.stderr
        );
        assert_eq!(out.stdout_str(), "evlewt slt\n", "{policy}");
        for want in ["version=TLSv1.2".to_string(), format!("suite={suite} ")] {
            assert!(
                out.stderr.contains(&want),
                "{policy}: lacks {want}: {}",
                out.stderr
            );
        }
    }
}

/// An unknown policy name, or one Baton can negotiate nothing under, is a
/// usage error (exit 2) before any connection, naming the valid policies.
#[test]
fn bad_policy_names_are_usage_errors() {
    let server_args = |policy: &'static str| -> Vec<String> {
        [
            "server",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            &path("server-rsa.pem"),
            "--key",
            &path("server-rsa.key"),
            "--policy",
            policy,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let client_args = |policy: &'static str| -> Vec<String> {
        ["client", "localhost:9", "--policy", policy]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    for args in [server_args("no-such-policy"), client_args("no-such-policy")] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = baton(&refs).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: --policy no-such-policy: ")
                && first.contains("unknown security policy")
                && first.contains(
                    "valid names: default, default_tls13, default_fips, default_pq, 20140601"
                )
                && first.contains("rfc9151"),
            "{args:?}: {}",
            out.stderr
        );
    }
    for args in [server_args("20140601"), client_args("20140601")] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = baton(&refs).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("\"20140601\" cannot be used"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
