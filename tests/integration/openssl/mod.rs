//! Interop with OpenSSL on 127.0.0.1, both directions: a Baton client against
//! `openssl s_server`, and `openssl s_client` against a Baton server thread.
//!
//! Every test uses its own port and its own processes, so they run in
//! parallel; every wait is bounded (see `util`). This file holds the
//! parameters and helpers; the tests are in the submodules.

mod cert_selection;
mod early_data;
mod failures;
mod features;
mod hellos;
mod keys;
mod matrix;
mod tls12;
mod transfer;

use crate::util::*;
use baton::{CipherSuite, Config, Connection, NamedGroup, ProtocolVersion};

// ---------------------------------------------------------------- parameters

#[derive(Debug, Clone, Copy)]
struct Suite {
    openssl: &'static str,
    baton: CipherSuite,
}

const AES128: Suite = Suite {
    openssl: "TLS_AES_128_GCM_SHA256",
    baton: CipherSuite::TLS13_AES_128_GCM_SHA256,
};
const AES256: Suite = Suite {
    openssl: "TLS_AES_256_GCM_SHA384",
    baton: CipherSuite::TLS13_AES_256_GCM_SHA384,
};
const CHACHA: Suite = Suite {
    openssl: "TLS_CHACHA20_POLY1305_SHA256",
    baton: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
};

#[derive(Debug, Clone, Copy)]
struct Group {
    openssl: &'static str,
    baton: NamedGroup,
    /// How `openssl s_client -brief` reports it ("Server Temp Key: ...").
    temp_key: &'static str,
}

const X25519: Group = Group {
    openssl: "x25519",
    baton: NamedGroup::X25519,
    temp_key: "Server Temp Key: X25519",
};
const P256: Group = Group {
    openssl: "P-256",
    baton: NamedGroup::SECP256R1,
    temp_key: "Server Temp Key: ECDH, prime256v1",
};
const P384: Group = Group {
    openssl: "P-384",
    baton: NamedGroup::SECP384R1,
    temp_key: "Server Temp Key: ECDH, secp384r1",
};

#[derive(Debug, Clone, Copy)]
struct Cert {
    chain: &'static str,
    key: &'static str,
}

const RSA: Cert = Cert {
    chain: "server-rsa.pem",
    key: "server-rsa.key",
};
/// P-256 leaf with its intermediate(s).
const ECDSA: Cert = Cert {
    chain: "server-p256-chain.pem",
    key: "server-p256.key",
};
const P384_CERT: Cert = Cert {
    chain: "server-p384.pem",
    key: "server-p384.key",
};
const EXPIRED: Cert = Cert {
    chain: "server-expired.pem",
    key: "server-expired.key",
};
const UNTRUSTED: Cert = Cert {
    chain: "server-untrusted.pem",
    key: "server-untrusted.key",
};

/// `tests/data/NAME` as a string, for command lines.
fn path(name: &str) -> String {
    data(name).to_str().expect("UTF-8 path").to_string()
}

/// `openssl s_server` with `cert` as its certificate, plus `args`.
/// `-cert` takes only the leaf, so intermediates go through `-cert_chain`.
fn s_server_with(cert: Cert, args: &[&str]) -> SServer {
    s_server_with_in(None, cert, args)
}

fn s_server_with_in(cwd: Option<&std::path::Path>, cert: Cert, args: &[&str]) -> SServer {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let mut all = vec![
        "-cert".to_string(),
        path(cert.chain),
        "-key".into(),
        path(cert.key),
    ];
    let pem = std::fs::read_to_string(data(cert.chain)).unwrap();
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    if let Some((_, rest)) = pem.split_once(BEGIN) {
        if let Some(i) = rest.find(BEGIN) {
            let n = N.fetch_add(1, Ordering::Relaxed);
            let f = scratch_dir().join(format!("chain-{n}.pem"));
            std::fs::write(&f, &rest[i..]).unwrap();
            all.extend(["-cert_chain".to_string(), f.to_str().unwrap().to_string()]);
        }
    }
    all.extend(args.iter().map(|a| a.to_string()));
    s_server_in(cwd, &refs(&all))
}

/// What a Baton connection reports after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Negotiated {
    version: Option<ProtocolVersion>,
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    alpn: Option<Vec<u8>>,
    sni: Option<String>,
}

impl Negotiated {
    fn of(conn: &Connection) -> Self {
        Negotiated {
            version: conn.actual_protocol_version(),
            suite: conn.cipher_suite(),
            group: conn.kx_group(),
            alpn: conn.alpn().map(<[u8]>::to_vec),
            sni: conn.server_name().map(str::to_string),
        }
    }
}

/// A Baton client for `localhost` trusting both test CAs; panics with the
/// server's stderr if the handshake fails.
fn connect_localhost(srv: &SServer, setup: impl FnOnce(&mut Connection)) -> Connection {
    baton_client(&client_config(), srv.port, |c| {
        c.set_server_name("localhost").unwrap();
        setup(c);
    })
    .unwrap_or_else(|e| {
        panic!(
            "Baton client handshake failed: {e} [{e:?}]\nopenssl s_server stderr: {}",
            srv.proc.stderr_now()
        )
    })
}

/// Sends a line to `s_server -rev` and checks it comes back reversed.
fn rev_roundtrip(conn: &mut Connection, line: &str) {
    send_all(conn, format!("{line}\n").as_bytes()).unwrap();
    let back = recv_until(conn, |b| b.ends_with(b"\n")).unwrap();
    let expected: String = line.chars().rev().collect::<String>() + "\n";
    assert_eq!(String::from_utf8_lossy(&back), expected);
}

/// Runs `openssl s_client ARGS` against a Baton server that negotiates, echoes
/// exactly `msg.len()` bytes, then shuts down. Returns what Baton negotiated
/// and s_client's output; panics with both sides' errors on failure.
fn echo_once(config: Config, args: &[&str], msg: &'static [u8]) -> (Negotiated, Output) {
    let server = baton_server(config, move |conn| {
        conn.negotiate()?;
        let info = Negotiated::of(conn);
        let data = recv_exact(conn, msg.len())?;
        send_all(conn, &data)?;
        conn.shutdown()?;
        Ok(info)
    });
    let mut cli = s_client(server.port, args);
    cli.write_stdin(msg);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let info = server.join(TIMEOUT).unwrap_or_else(|e| {
        panic!(
            "Baton server failed: {e}\nopenssl s_client stderr: {}",
            out.stderr
        )
    });
    assert!(
        out.status.success(),
        "openssl s_client failed ({}): {}",
        out.status,
        out.stderr
    );
    (info, out)
}

/// s_client arguments that verify the Baton server as `localhost`.
fn verifying_args(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "-tls1_3",
        "-CAfile",
        all_cas_file().to_str().unwrap(),
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
