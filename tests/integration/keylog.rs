//! The key log (NSS format) against OpenSSL's `-keylogfile`: both ends of a
//! handshake derive the same secrets, so every line OpenSSL writes must be in
//! Baton's log, byte for byte, and the other way round, in TLS 1.3, TLS 1.2
//! and 0-RTT. Without a key log nothing is called.

use crate::require_openssl;
use crate::util::*;
use baton::{CertChainAndKey, Config, KeyLog, KeyLogFile};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A fresh, empty scratch file for one log.
fn log_path(name: &str) -> PathBuf {
    let p = scratch_dir().join(format!("keylog-{}-{name}.txt", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// The lines of a key log (comments and blanks left out).
fn lines(path: &PathBuf) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn labels(lines: &BTreeSet<String>) -> BTreeSet<&str> {
    lines.iter().filter_map(|l| l.split(' ').next()).collect()
}

fn server_builder(log: &PathBuf) -> baton::ConfigBuilder {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.set_key_log(Arc::new(KeyLogFile::open(log).unwrap()));
    b
}

/// s_client with `-keylogfile` against a Baton server with a key log;
/// returns (Baton's lines, OpenSSL's lines).
fn s_client_to_baton(name: &str, version: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let ours = log_path(&format!("{name}-baton"));
    let theirs = log_path(&format!("{name}-openssl"));
    let server = baton_server(server_builder(&ours).build().unwrap(), |conn| {
        conn.negotiate()?;
        send_all(conn, b"hi\n")?;
        conn.shutdown()
    });
    let ca = data("ca-ecdsa.pem");
    let mut cli = s_client(
        server.port,
        &[
            version,
            "-CAfile",
            ca.to_str().unwrap(),
            "-servername",
            "localhost",
            "-ign_eof",
            "-keylogfile",
            theirs.to_str().unwrap(),
        ],
    );
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
    (lines(&ours), lines(&theirs))
}

/// A Baton client with a key log against s_server with `-keylogfile`, after
/// a line went both ways (so s_server has derived every secret).
fn baton_to_s_server(name: &str, version: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let ours = log_path(&format!("{name}-baton"));
    let theirs = log_path(&format!("{name}-openssl"));
    // s_server sends only the first certificate of -cert: the rest go in -cert_chain.
    let chain = std::fs::read_to_string(data("server-p256-chain.pem")).unwrap();
    let second = chain[1..].find("-----BEGIN CERTIFICATE-----").unwrap() + 1;
    let rest = log_path(&format!("{name}-chain"));
    std::fs::write(&rest, &chain[second..]).unwrap();
    let srv = s_server(&[
        "-naccept",
        "1",
        "-rev",
        "-quiet",
        version,
        "-cert",
        data("server-p256-chain.pem").to_str().unwrap(),
        "-key",
        data("server-p256.key").to_str().unwrap(),
        "-cert_chain",
        rest.to_str().unwrap(),
        "-keylogfile",
        theirs.to_str().unwrap(),
    ]);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.set_key_log(Arc::new(KeyLogFile::open(&ours).unwrap()));
    let mut conn = baton_client(&b.build().unwrap(), srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap_or_else(|e| panic!("{e:?}\ns_server: {}", srv.proc.stderr_now()));
    send_all(&mut conn, b"abc\n").unwrap();
    assert_eq!(recv_exact(&mut conn, 4).unwrap(), b"cba\n");
    let _ = conn.shutdown();
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    (lines(&ours), lines(&theirs))
}

const TLS13_LABELS: [&str; 5] = [
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_TRAFFIC_SECRET_0",
];

#[test]
fn baton_server_logs_the_secrets_openssl_client_logs() {
    require_openssl!();
    let (ours, theirs) = s_client_to_baton("srv13", "-tls1_3");
    assert_eq!(labels(&ours), BTreeSet::from(TLS13_LABELS), "{ours:#?}");
    assert_eq!(ours, theirs);

    let (ours, theirs) = s_client_to_baton("srv12", "-tls1_2");
    assert_eq!(
        labels(&ours),
        BTreeSet::from(["CLIENT_RANDOM"]),
        "{ours:#?}"
    );
    assert_eq!(ours, theirs);
}

#[test]
fn baton_client_logs_the_secrets_openssl_server_logs() {
    require_openssl!();
    let (ours, theirs) = baton_to_s_server("cli13", "-tls1_3");
    assert_eq!(labels(&ours), BTreeSet::from(TLS13_LABELS), "{ours:#?}");
    assert_eq!(ours, theirs);

    let (ours, theirs) = baton_to_s_server("cli12", "-tls1_2");
    assert_eq!(
        labels(&ours),
        BTreeSet::from(["CLIENT_RANDOM"]),
        "{ours:#?}"
    );
    assert_eq!(ours, theirs);
}

/// 0-RTT: s_client resumes with `-sess_in -early_data`; the Baton server
/// logs the same CLIENT_EARLY_TRAFFIC_SECRET (and the rest) as OpenSSL.
#[test]
fn early_traffic_secret_matches_openssl() {
    require_openssl!();
    let ours = log_path("early-baton");
    let theirs = log_path("early-openssl");
    let sess = log_path("early-sess");
    let early = log_path("early-data");
    std::fs::write(&early, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut b = server_builder(&ours);
    b.session_tickets(true);
    b.set_max_early_data_size(16384).unwrap();
    b.set_anti_replay(
        Arc::new(baton::early::MemoryAntiReplay::new(64)),
        baton::early::AntiReplayMode::SingleUseTickets,
    );
    let config = b.build().unwrap();
    // The store refuses tickets from before its start, counted in whole seconds.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let ca = data("ca-ecdsa.pem");
    for (i, extra) in [
        vec!["-sess_out", sess.to_str().unwrap()],
        vec![
            "-sess_in",
            sess.to_str().unwrap(),
            "-early_data",
            early.to_str().unwrap(),
            "-keylogfile",
            theirs.to_str().unwrap(),
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let server = baton_server(config.clone(), |conn| {
            let mut buf = [0u8; 4096];
            let mut n = 0;
            loop {
                match conn.recv_early_data(&mut buf)? {
                    0 => break,
                    k => n += k,
                }
            }
            conn.negotiate()?;
            send_all(conn, b"hi\n")?;
            conn.shutdown()?;
            Ok((n, conn.early_data_status()))
        });
        let mut args = vec![
            "-tls1_3",
            "-CAfile",
            ca.to_str().unwrap(),
            "-servername",
            "localhost",
            "-ign_eof",
        ];
        args.extend_from_slice(&extra);
        let mut cli = s_client(server.port, &args);
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let (n, status) = server
            .join(TIMEOUT)
            .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
        if i == 1 {
            assert_eq!(
                status,
                baton::early::EarlyDataStatus::Accepted,
                "{}",
                out.stderr
            );
            assert!(n > 0);
        }
    }
    let theirs = lines(&theirs);
    let ours = lines(&ours);
    let early_line = |set: &BTreeSet<String>| {
        set.iter()
            .find(|l| l.starts_with("CLIENT_EARLY_TRAFFIC_SECRET "))
            .cloned()
    };
    let theirs_early = early_line(&theirs).expect("OpenSSL logged an early secret");
    assert_eq!(early_line(&ours), Some(theirs_early));
    // Every line OpenSSL wrote for the resumed connection, Baton wrote too
    // (OpenSSL also writes EARLY_EXPORTER_SECRET, which Baton does not log).
    for line in theirs
        .iter()
        .filter(|l| !l.starts_with("EARLY_EXPORTER_SECRET "))
    {
        assert!(ours.contains(line), "{line} missing from {ours:#?}");
    }
}

/// A config without a key log calls nothing; the same handshake with a
/// counting key log calls it once per TLS 1.3 secret on each side.
#[test]
fn no_key_log_means_no_calls() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter: Arc<dyn KeyLog> = {
        let count = count.clone();
        Arc::new(move |_: &str, _: &[u8], _: &[u8]| {
            count.fetch_add(1, Ordering::SeqCst);
        })
    };
    let handshake = |log: Option<Arc<dyn KeyLog>>| {
        let mut sb = Config::builder_minimal();
        sb.add_cert_chain_and_key(
            CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
                .unwrap(),
        );
        let mut cb = Config::builder_minimal();
        cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
            .unwrap();
        if let Some(log) = log {
            sb.set_key_log(log.clone());
            cb.set_key_log(log);
        }
        let server = baton_server(sb.build().unwrap(), |conn| conn.negotiate());
        let client = cb.build().unwrap();
        baton_client(&client, server.port, |c| {
            c.set_server_name("localhost").unwrap()
        })
        .unwrap();
        server.join(TIMEOUT).unwrap();
        assert!(!format!("{client:?}").contains("KeyLogFile"));
    };
    handshake(None);
    assert_eq!(count.load(Ordering::SeqCst), 0);
    handshake(Some(counter));
    assert_eq!(count.load(Ordering::SeqCst), 2 * TLS13_LABELS.len());
}

/// A resumed TLS 1.2 handshake (a ticket, new randoms) logs the session's
/// master secret under the new client random, as OpenSSL does.
#[test]
fn resumed_tls12_logs_the_master_secret_under_the_new_random() {
    require_openssl!();
    let ours = log_path("res12-baton");
    let theirs = log_path("res12-openssl");
    let sess = log_path("res12-sess");
    let mut b = server_builder(&ours);
    b.session_tickets(true);
    let config = b.build().unwrap();
    let ca = data("ca-ecdsa.pem");
    for sess_arg in ["-sess_out", "-sess_in"] {
        let server = baton_server(config.clone(), |conn| {
            conn.negotiate()?;
            send_all(conn, b"hi\n")?;
            conn.shutdown()?;
            Ok(conn.is_resumed())
        });
        let mut cli = s_client(
            server.port,
            &[
                "-tls1_2",
                "-CAfile",
                ca.to_str().unwrap(),
                "-servername",
                "localhost",
                "-ign_eof",
                sess_arg,
                sess.to_str().unwrap(),
                "-keylogfile",
                theirs.to_str().unwrap(),
            ],
        );
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let resumed = server
            .join(TIMEOUT)
            .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
        assert_eq!(resumed, sess_arg == "-sess_in", "{}", out.stderr);
    }
    let (ours, theirs) = (lines(&ours), lines(&theirs));
    assert_eq!(ours.len(), 2, "{ours:#?}");
    assert_eq!(ours, theirs);
}

/// 0-RTT from a Baton client: with a ticket from `s_server -early_data`, the
/// client's CLIENT_EARLY_TRAFFIC_SECRET (and the rest) equals what s_server
/// logs.
#[test]
fn baton_client_early_traffic_secret_matches_openssl() {
    require_openssl!();
    let ours = log_path("cli-early-baton");
    let theirs = log_path("cli-early-openssl");
    let srv = s_server(&[
        "-cert",
        data("server-rsa.pem").to_str().unwrap(),
        "-key",
        data("server-rsa.key").to_str().unwrap(),
        "-tls1_3",
        "-naccept",
        "2",
        "-early_data",
        "-keylogfile",
        theirs.to_str().unwrap(),
    ]);
    let config = crate::resume13::ticket_client(|b| {
        b.set_key_log(Arc::new(KeyLogFile::open(&ours).unwrap()));
    });
    let connect = |offer: Option<baton::SavedSession>| {
        let mut conn = baton::Connection::new_client(&config);
        conn.set_server_name("localhost").unwrap();
        if let Some(s) = offer {
            conn.session_mut().set_saved_session(s).unwrap();
        }
        conn.set_io(tcp_connect(srv.port));
        let n = conn.send_early_data(b"GET /early\n").unwrap();
        conn.negotiate()
            .unwrap_or_else(|e| panic!("{e}; s_server: {}", srv.proc.stderr_now()));
        // Past s_server's tickets, up to its close_notify.
        conn.shutdown().unwrap();
        (conn, n)
    };
    let (first, _) = connect(None);
    let saved = first.saved_session().expect("no ticket kept from s_server");
    let (second, n) = connect(Some(saved));
    assert!(n > 0);
    assert_eq!(
        second.early_data_status(),
        baton::early::EarlyDataStatus::Accepted
    );
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    let (ours, theirs) = (lines(&ours), lines(&theirs));
    assert!(
        ours.iter()
            .any(|l| l.starts_with("CLIENT_EARLY_TRAFFIC_SECRET ")),
        "{ours:#?}"
    );
    for line in &ours {
        assert!(theirs.contains(line), "{line} missing from {theirs:#?}");
    }
    for line in theirs
        .iter()
        .filter(|l| !l.starts_with("EARLY_EXPORTER_SECRET "))
    {
        assert!(ours.contains(line), "{line} missing from {ours:#?}");
    }
}
