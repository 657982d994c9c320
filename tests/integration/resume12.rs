//! TLS 1.2 resumption against real peers on 127.0.0.1: `openssl s_client
//! -sess_out` then `-sess_in` against a Baton server (tickets, and session
//! ids with a `MemorySessionCache`), a Baton client resuming against
//! `openssl s_server` (tickets, and session ids with `-no_ticket`), and
//! `gnutls-cli --resume`; rustls and s2n-tls both directions (`peers`).

mod peers;

use crate::require_openssl;
use crate::util::*;
use baton::resumption::MemorySessionCache;
use baton::{Config, Connection, Error, ProtocolVersion};
use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::sync::{mpsc, Arc};
use std::thread;

const MSG: &[u8] = b"hello over resumed tls 1.2\n";

fn server_cfg(tickets: bool, cache: bool) -> Config {
    let mut b = Config::builder();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    b.session_tickets(tickets);
    if cache {
        b.set_session_cache(Arc::new(MemorySessionCache::new(64)));
    }
    b.build().unwrap()
}

fn client_cfg(tickets: bool) -> Config {
    let mut b = Config::builder();
    b.add_pem_to_trust_store(&std::fs::read(all_cas_file()).unwrap())
        .unwrap();
    b.session_tickets(tickets);
    b.build().unwrap()
}

/// A Baton server thread that accepts `n` connections on 127.0.0.1, one
/// after the other, and runs `f` on each; each result comes on the channel.
fn baton_servers<T, F>(config: Config, n: usize, f: F) -> (u16, mpsc::Receiver<Result<T, String>>)
where
    T: Send + 'static,
    F: Fn(&mut Connection) -> Result<T, Error> + Send + 'static,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..n {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut conn = Connection::new_server(&config);
            conn.set_io(stream);
            let r = f(&mut conn).map_err(|e| format!("{e} [{e:?}]"));
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    (port, rx)
}

/// The Baton end of an s_client connection: handshake, echo, close; says
/// whether it resumed.
fn echo(conn: &mut Connection) -> Result<bool, Error> {
    conn.negotiate()?;
    assert_eq!(
        conn.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_2)
    );
    let resumed = conn.is_resumed();
    let got = recv_exact(conn, MSG.len())?;
    send_all(conn, &got)?;
    conn.shutdown()?;
    Ok(resumed)
}

/// `echo`, and the connection's `session_id()`.
fn echo_with_id(conn: &mut Connection) -> Result<(bool, Option<Vec<u8>>), Error> {
    let resumed = echo(conn)?;
    Ok((resumed, conn.session_id().map(<[u8]>::to_vec)))
}

/// `openssl s_client -tls1_2 -sess_out F`, then `-sess_in F`, against a
/// Baton server; returns each s_client's stdout and the Baton server's
/// `session_id()`, which must be the one s_client prints when it has one.
fn s_client_twice(config: Config, extra: &[&str]) -> (Vec<String>, Vec<Option<Vec<u8>>>) {
    let (port, results) = baton_servers(config, 2, echo_with_id);
    let sess = scratch_dir().join(format!("resume12-{port}.pem"));
    let sess = sess.to_str().unwrap().to_string();
    let (mut outs, mut ids) = (Vec::new(), Vec::new());
    for (i, flag) in ["-sess_out", "-sess_in"].into_iter().enumerate() {
        let mut args = vec![
            "-tls1_2",
            "-CAfile",
            all_cas_file().to_str().unwrap(),
            "-verify_return_error",
            "-servername",
            "localhost",
            "-ign_eof",
            flag,
            &sess,
        ];
        args.extend_from_slice(extra);
        let mut cli = s_client(port, &args);
        cli.write_stdin(MSG);
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let (resumed, id) = results
            .recv_timeout(TIMEOUT)
            .expect("the Baton server answered")
            .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
        assert!(out.status.success(), "s_client: {}", out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            stdout.contains(std::str::from_utf8(MSG).unwrap()),
            "{stdout}"
        );
        assert_eq!(resumed, i == 1, "connection {i}: is_resumed()\n{stdout}");
        if let Some(id) = &id {
            let hex: String = id.iter().map(|b| format!("{b:02X}")).collect();
            assert!(stdout.contains(&format!("Session-ID: {hex}")), "{stdout}");
        }
        outs.push(stdout);
        ids.push(id);
    }
    let _ = std::fs::remove_file(&sess);
    (outs, ids)
}

#[test]
fn openssl_client_resumes_a_baton_ticket() {
    require_openssl!();
    let (outs, ids) = s_client_twice(server_cfg(true, false), &[]);
    // A ticket is the session: the server assigns no id beside it.
    assert_eq!(ids, [None, None]);
    assert!(outs[0].contains("New, TLSv1.2"), "{}", outs[0]);
    assert!(
        outs[0].contains("TLS session ticket lifetime hint"),
        "{}",
        outs[0]
    );
    assert!(outs[1].contains("Reused, TLSv1.2"), "{}", outs[1]);
}

#[test]
fn openssl_client_resumes_a_baton_session_id() {
    require_openssl!();
    let (outs, ids) = s_client_twice(server_cfg(false, true), &["-no_ticket"]);
    // The id the server stored the session under, and resumed it by.
    assert!(ids[0].as_ref().is_some_and(|id| id.len() == 32));
    assert_eq!(ids[0], ids[1]);
    assert!(outs[0].contains("New, TLSv1.2"), "{}", outs[0]);
    assert!(!outs[0].contains("TLS session ticket:"), "{}", outs[0]);
    assert!(outs[1].contains("Reused, TLSv1.2"), "{}", outs[1]);
}

#[test]
fn openssl_client_with_another_ticket_key_gets_a_full_handshake() {
    require_openssl!();
    // The session from one server, offered to another that does not hold
    // its ticket key: a full handshake, not an error.
    let (port, results) = baton_servers(server_cfg(true, false), 1, echo);
    let sess = scratch_dir().join(format!("resume12-other-{port}.pem"));
    let sess = sess.to_str().unwrap().to_string();
    let (port2, results2) = baton_servers(server_cfg(true, false), 1, echo);
    for (p, flag) in [(port, "-sess_out"), (port2, "-sess_in")] {
        let mut cli = s_client(
            p,
            &[
                "-tls1_2",
                "-CAfile",
                all_cas_file().to_str().unwrap(),
                "-servername",
                "localhost",
                "-ign_eof",
                flag,
                &sess,
            ],
        );
        cli.write_stdin(MSG);
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        assert!(out.status.success(), "s_client: {}", out.stderr);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("New, TLSv1.2"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(results.recv_timeout(TIMEOUT).unwrap(), Ok(false));
    assert_eq!(results2.recv_timeout(TIMEOUT).unwrap(), Ok(false));
    let _ = std::fs::remove_file(&sess);
}

/// A Baton client against `openssl s_server -tls1_2 ARGS`: two connections,
/// the second offering the first's session; says whether each resumed.
fn baton_client_twice(tickets: bool, server_args: &[&str]) -> (bool, bool) {
    let chain = data("server-p256-chain.pem");
    let key = data("server-p256.key");
    // s_server sends the leaf from -cert and the rest from -cert_chain.
    let pem = std::fs::read_to_string(&chain).unwrap();
    let begin = "-----BEGIN CERTIFICATE-----";
    let second = begin.len() + pem[begin.len()..].find(begin).expect("an intermediate");
    let rest = scratch_dir().join(format!("resume12-chain-{tickets}.pem"));
    std::fs::write(&rest, &pem[second..]).unwrap();
    let (chain, key, rest) = (
        chain.to_str().unwrap(),
        key.to_str().unwrap(),
        rest.to_str().unwrap(),
    );
    let mut args = vec![
        "-tls1_2",
        "-cert",
        chain,
        "-cert_chain",
        rest,
        "-key",
        key,
        "-naccept",
        "2",
        "-rev",
        "-quiet",
    ];
    args.extend_from_slice(server_args);
    let srv = s_server(&args);
    let cfg = client_cfg(tickets);
    let mut saved = None;
    let mut resumed = Vec::new();
    for _ in 0..2 {
        let offer = saved.take();
        let mut conn = baton_client(&cfg, srv.port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .unwrap_or_else(|e| panic!("{e:?}\ns_server: {}", srv.proc.stderr_now()));
        assert_eq!(
            conn.actual_protocol_version(),
            Some(ProtocolVersion::TLSV1_2)
        );
        send_all(&mut conn, b"abc\n").unwrap();
        assert_eq!(recv_exact(&mut conn, 4).unwrap(), b"cba\n");
        resumed.push(conn.is_resumed());
        // The peer's certificate is known on a resumed connection too.
        assert!(!conn.peer_cert_chain().is_empty());
        saved = conn.saved_session();
        assert!(saved.is_some(), "a session to resume");
        let _ = conn.shutdown();
    }
    (resumed[0], resumed[1])
}

#[test]
fn baton_client_resumes_an_openssl_ticket() {
    require_openssl!();
    assert_eq!(baton_client_twice(true, &[]), (false, true));
}

#[test]
fn baton_client_resumes_an_openssl_session_id() {
    require_openssl!();
    assert_eq!(baton_client_twice(false, &["-no_ticket"]), (false, true));
}

fn gnutls_available() -> bool {
    let ok = Command::new("gnutls-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "gnutls-cli is required here (tools/test installs gnutls-bin)"
        );
        eprintln!("SKIPPED: gnutls-cli not installed");
    }
    ok
}

/// `gnutls-cli --resume` (TLS 1.2) against a Baton server: the second
/// connection resumes, by ticket or by session id.
fn gnutls_resumes(config: Config, extra: &[&str]) {
    let (port, results) = baton_servers(config, 2, |conn| {
        conn.negotiate()?;
        let resumed = conn.is_resumed();
        // gnutls-cli closes each connection; how does not matter here.
        let _ = recv_to_end(conn);
        Ok(resumed)
    });
    let ca = data("ca-ecdsa.pem");
    let port_s = port.to_string();
    let mut args = vec![
        "--x509cafile",
        ca.to_str().unwrap(),
        "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.2",
        "--resume",
        "--port",
        &port_s,
    ];
    args.extend_from_slice(extra);
    args.push("localhost");
    let mut cli = Proc::spawn("gnutls-cli", Command::new("gnutls-cli").args(&args));
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let first = results.recv_timeout(TIMEOUT).expect("first connection");
    let second = results.recv_timeout(TIMEOUT).expect("second connection");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(first, Ok(false), "{stdout}\n{}", out.stderr);
    assert_eq!(second, Ok(true), "{stdout}\n{}", out.stderr);
    assert!(stdout.contains("This is a resumed session"), "{stdout}");
}

#[test]
fn gnutls_client_resumes_a_baton_ticket() {
    if !gnutls_available() {
        return;
    }
    gnutls_resumes(server_cfg(true, false), &[]);
}

#[test]
fn gnutls_client_resumes_a_baton_session_id() {
    if !gnutls_available() {
        return;
    }
    gnutls_resumes(server_cfg(false, true), &["--noticket"]);
}

/// A session cache whose lookups the test answers: `retrieve` hands the
/// answer (and what the inner cache holds) over a channel.
struct TestAnsweredCache {
    inner: MemorySessionCache,
    lookups: std::sync::Mutex<mpsc::Sender<(baton::resumption::LookupAnswer, Option<Vec<u8>>)>>,
}

impl baton::resumption::SessionCache for TestAnsweredCache {
    fn store(&self, id: &[u8], value: &[u8], ttl: std::time::Duration) {
        self.inner.store(id, value, ttl);
    }
    fn retrieve(&self, id: &[u8]) -> baton::resumption::CacheLookup {
        use baton::resumption::{CacheLookup, PendingLookup};
        let found = match self.inner.retrieve(id) {
            CacheLookup::Found(v) => Some(v),
            _ => None,
        };
        let (pending, answer) = PendingLookup::new();
        let _ = self.lookups.lock().unwrap().send((answer, found));
        CacheLookup::Pending(pending)
    }
    fn delete(&self, id: &[u8]) {
        self.inner.delete(id);
    }
}

#[test]
fn a_blocking_server_negotiate_pauses_for_a_lookup_that_answers_later() {
    let (lookups_tx, lookups) = mpsc::channel();
    let cache = Arc::new(TestAnsweredCache {
        inner: MemorySessionCache::new(8),
        lookups: std::sync::Mutex::new(lookups_tx),
    });
    let mut b = Config::builder();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    // TLS 1.2 only: TLS 1.3 resumes by ticket, never through the cache.
    b.custom_security_policy(tls12_only()).unwrap();
    b.set_session_cache(cache);
    let server = b.build().unwrap();
    let (paused_tx, paused) = mpsc::channel();
    let (go_tx, go) = mpsc::channel::<()>();
    let go = std::sync::Mutex::new(go);
    let (port, results) = baton_servers(server, 2, move |conn| {
        let mut pauses = 0;
        loop {
            match conn.negotiate() {
                Ok(()) => break,
                Err(e) if e.blocked_on() == Some(baton::Blocked::OnApplicationInput) => {
                    pauses += 1;
                    paused_tx.send(()).unwrap();
                    go.lock().unwrap().recv().unwrap();
                }
                Err(e) => return Err(e),
            }
        }
        let resumed = conn.is_resumed();
        send_all(conn, b"ok").unwrap();
        conn.shutdown()?;
        Ok((pauses, resumed))
    });
    let mut saved = None;
    for round in 0..2 {
        let offer = saved.take();
        let client = thread::spawn(move || {
            // TLS 1.2 only: no compatibility session id on the first hello.
            let mut b = Config::builder();
            b.add_pem_to_trust_store(&std::fs::read(all_cas_file()).unwrap())
                .unwrap();
            b.custom_security_policy(tls12_only()).unwrap();
            let mut conn = baton_client(&b.build().unwrap(), port, |c| {
                c.set_server_name("localhost").unwrap();
                if let Some(s) = offer {
                    c.session_mut().set_saved_session(s).unwrap();
                }
            })?;
            let got = recv_exact(&mut conn, 2)?;
            assert_eq!(got, b"ok");
            let _ = conn.shutdown();
            Ok::<_, Error>((conn.is_resumed(), conn.saved_session()))
        });
        if round == 1 {
            // The second ClientHello carries the session id: the server pauses.
            paused.recv_timeout(TIMEOUT).expect("the server paused");
            let (answer, found) = lookups.recv_timeout(TIMEOUT).expect("a lookup");
            answer.found(found.expect("the session is in the cache"));
            go_tx.send(()).unwrap();
        }
        let (client_resumed, s) = client.join().unwrap().unwrap();
        let (pauses, server_resumed) = results.recv_timeout(TIMEOUT).unwrap().unwrap();
        assert_eq!(
            (pauses, server_resumed, client_resumed),
            (round, round == 1, round == 1)
        );
        saved = s;
    }
}

fn tls12_only() -> &'static baton::SecurityPolicy {
    crate::tls12::tls12_policy(
        &[baton::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        &[baton::NamedGroup::X25519, baton::NamedGroup::SECP256R1],
    )
}
