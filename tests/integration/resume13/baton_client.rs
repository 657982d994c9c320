//! A Baton client resuming with `openssl s_server` (its two tickets, the
//! session callback, the client store, suites of one hash, early-data
//! tickets, a foreign ticket), and with a Baton server that rotated its key.

use super::*;

// ---------------------------------------------------------------- openssl s_server

/// s_server's "N session cache hits" at exit (it counts resumptions, with
/// stateless tickets too).
fn cache_hits(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.trim().strip_suffix(" session cache hits"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cache counters in s_server's output: {text}"))
}

/// `openssl s_server -tls1_3 -rev` for `n` connections (tickets on: OpenSSL
/// sends two after each full handshake).
fn s_server_rev(n: usize) -> SServer {
    s_server_rev_args(n, &[])
}

fn s_server_rev_args(n: usize, extra: &[&str]) -> SServer {
    let mut args = vec!["-rev"];
    args.extend_from_slice(extra);
    s_server_n(n, &args)
}

/// `openssl s_server -tls1_3` (RSA) for `n` connections, with `extra`.
fn s_server_n(n: usize, extra: &[&str]) -> SServer {
    let n = n.to_string();
    let (cert, key) = (data("server-rsa.pem"), data("server-rsa.key"));
    let mut args = vec![
        "-cert",
        cert.to_str().unwrap(),
        "-key",
        key.to_str().unwrap(),
        "-tls1_3",
        "-naccept",
        &n,
    ];
    args.extend_from_slice(extra);
    s_server(&args)
}

/// A Baton client to s_server: the handshake (offering `offer`), one
/// reversed line (which comes after the tickets), close.
fn rev_client(config: &Config, srv: &SServer, offer: Option<SavedSession>) -> Connection {
    let mut conn = baton_client(config, srv.port, |c| {
        c.set_server_name("localhost").unwrap();
        if let Some(s) = offer {
            c.session_mut().set_saved_session(s).unwrap();
        }
    })
    .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
    send_all(&mut conn, b"ticket\n").unwrap();
    let back = recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap();
    assert_eq!(back, b"tekcit\n");
    conn.shutdown().unwrap();
    conn
}

/// A Baton client keeps s_server's ticket and resumes with it: Baton says
/// resumed, and s_server counts the hit; a third connection resumes from
/// the config's session store with no application code.
#[test]
fn baton_client_resumes_with_openssl_server() {
    require_openssl!();
    let srv = s_server_rev(3);
    let config = ticket_client(|_| {});
    let first = rev_client(&config, &srv, None);
    assert!(!first.is_resumed());
    let saved = first.saved_session().expect("no ticket kept from s_server");
    assert_eq!(saved.server_name(), Some("localhost"));
    let second = rev_client(&config, &srv, Some(saved));
    assert!(second.is_resumed(), "the Baton client did not resume");
    assert!(second.kx_group().is_some(), "psk_dhe_ke");
    // The server's identity is still known on a resumed connection.
    assert!(!second.peer_cert_chain().is_empty());
    // Without application code: the config's store offers a kept ticket.
    let third = rev_client(&config, &srv, None);
    assert!(third.is_resumed(), "the client store did not resume");
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 2, "{text}");
}

/// `s_server -no_ticket` keeps TLS 1.3 sessions in its cache and sends
/// tickets that are only ids into it (stateful): the Baton client resumes
/// with those as well.
#[test]
fn baton_client_resumes_with_stateful_openssl_tickets() {
    require_openssl!();
    let srv = s_server_rev_args(2, &["-no_ticket"]);
    let config = ticket_client(|_| {});
    let first = rev_client(&config, &srv, None);
    let saved = first.saved_session().expect("no ticket kept from s_server");
    let second = rev_client(&config, &srv, Some(saved));
    assert!(second.is_resumed(), "the Baton client did not resume");
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 1, "{text}");
}

/// The Baton client resumes a SHA-384 session (AES-256-GCM) with s_server.
#[test]
fn baton_client_resumes_a_sha384_session_with_openssl_server() {
    require_openssl!();
    let srv = s_server_rev(2);
    let config = ticket_client(|b| {
        b.custom_security_policy(crate::pair::policy(
            &[CipherSuite::TLS13_AES_256_GCM_SHA384],
            &crate::pair::GROUPS,
        ))
        .unwrap();
    });
    let first = rev_client(&config, &srv, None);
    let saved = first.saved_session().expect("no ticket kept from s_server");
    assert_eq!(saved.cipher_suite(), CipherSuite::TLS13_AES_256_GCM_SHA384);
    let second = rev_client(&config, &srv, Some(saved));
    assert!(second.is_resumed(), "the Baton client did not resume");
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 1, "{text}");
}

/// A chain of resumptions with s_server: each connection offers the newest
/// ticket of the one before (itself resumed), five times.
#[test]
fn baton_client_chain_of_resumptions_with_openssl_server() {
    require_openssl!();
    const N: usize = 6;
    let srv = s_server_rev(N);
    let config = ticket_client(|b| {
        b.set_client_session_store(None);
    });
    let mut conn = rev_client(&config, &srv, None);
    assert!(!conn.is_resumed());
    for i in 1..N {
        let saved = conn.saved_session().expect("no ticket kept");
        conn = rev_client(&config, &srv, Some(saved));
        assert!(conn.is_resumed(), "connection {i} did not resume");
    }
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), N as u64 - 1, "{text}");
}

/// The client's session callback gets every ticket: s_server sends two
/// after a full handshake, and each of them resumes a connection of its own.
#[test]
fn baton_client_session_callback_gets_both_openssl_tickets() {
    require_openssl!();
    let srv = s_server_rev(3);
    let got: Arc<Mutex<Vec<SavedSession>>> = Arc::default();
    let sink = Arc::clone(&got);
    let config = ticket_client(move |b| {
        b.set_session_callback(move |s| sink.lock().unwrap().push(s.clone()));
    });
    let first = rev_client(&config, &srv, None);
    assert!(!first.is_resumed());
    let tickets: Vec<SavedSession> = std::mem::take(&mut *got.lock().unwrap());
    assert_eq!(tickets.len(), 2, "OpenSSL sends two tickets by default");
    assert_ne!(
        tickets[0].to_bytes().as_slice(),
        tickets[1].to_bytes().as_slice(),
        "two different tickets"
    );
    for t in tickets {
        let conn = rev_client(&config, &srv, Some(t));
        assert!(
            conn.is_resumed(),
            "a ticket from the callback did not resume"
        );
    }
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 2, "{text}");
}

/// A ticket offered to an s_server that never issued it (another process,
/// other ticket keys): OpenSSL ignores it, and the Baton client goes on with
/// the full handshake (certificate checked) and the connection works.
#[test]
fn baton_client_ticket_refused_by_another_openssl_server() {
    require_openssl!();
    let config = ticket_client(|b| {
        b.set_client_session_store(None);
    });
    let first_srv = s_server_rev(1);
    let saved = rev_client(&config, &first_srv, None)
        .saved_session()
        .expect("no ticket kept from s_server");
    let _ = first_srv.proc.wait(TIMEOUT);
    let other = s_server_rev(1);
    let conn = rev_client(&config, &other, Some(saved));
    assert!(!conn.is_resumed(), "resumed with a foreign ticket");
    assert!(!conn.peer_cert_chain().is_empty());
    let out = other.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 0, "{text}");
}

/// A Baton client now limited to ChaCha20-Poly1305 resumes its AES-128-GCM
/// ticket with s_server (same hash, RFC 8446 §4.2.11): resumed, under the
/// new suite.
#[test]
fn baton_client_resumes_with_another_suite_of_the_same_hash() {
    require_openssl!();
    let aes = ticket_client(|b| {
        b.custom_security_policy(crate::pair::policy(
            &[CipherSuite::TLS13_AES_128_GCM_SHA256],
            &crate::pair::GROUPS,
        ))
        .unwrap();
    });
    let srv = s_server_rev_args(
        2,
        &[
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
        ],
    );
    let first = rev_client(&aes, &srv, None);
    let saved = first.saved_session().expect("a ticket");
    assert_eq!(saved.cipher_suite(), CipherSuite::TLS13_AES_128_GCM_SHA256);
    let chacha = ticket_client(|b| {
        b.custom_security_policy(crate::pair::policy(
            &[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256],
            &crate::pair::GROUPS,
        ))
        .unwrap();
    });
    let second = rev_client(&chacha, &srv, Some(saved));
    assert!(
        second.is_resumed(),
        "no resumption across suites of one hash"
    );
    assert_eq!(
        second.cipher_suite(),
        Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 1, "{text}");
}

/// Tickets from `s_server -early_data` carry the early_data extension
/// (max_early_data_size 16384): the Baton client keeps them and resumes
/// (sending no early data unless asked: see `early_client`). s_server prints
/// what it reads (no `-rev` with `-early_data`); the client's `shutdown`
/// reads up to s_server's close_notify, so past the tickets.
#[test]
fn baton_client_resumes_with_early_data_tickets() {
    require_openssl!();
    let srv = s_server_n(2, &["-early_data"]);
    let config = ticket_client(|_| {});
    let line = |offer: Option<SavedSession>, text: &[u8]| {
        let mut conn = baton_client(&config, srv.port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
        send_all(&mut conn, text).unwrap();
        conn.shutdown().unwrap();
        conn
    };
    let first = line(None, b"first line\n");
    assert!(!first.is_resumed());
    let saved = first.saved_session().expect("no ticket kept from s_server");
    let second = line(Some(saved), b"second line\n");
    assert!(second.is_resumed());
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert!(
        text.contains("first line\n") && text.contains("second line\n"),
        "{text}"
    );
    assert_eq!(cache_hits(&text), 1, "{text}");
}

/// Resumption through a HelloRetryRequest from OpenSSL: s_server takes only
/// P-384, which the Baton client does not share first, so the resumed
/// handshake retries and the client recomputes its binder over ClientHello1
/// and the retry.
#[test]
fn baton_client_resumes_after_openssl_hello_retry() {
    require_openssl!();
    let srv = s_server_rev_args(2, &["-groups", "P-384"]);
    let config = ticket_client(|_| {});
    let first = rev_client(&config, &srv, None);
    assert!(first.used_hello_retry(), "s_server should ask for P-384");
    let saved = first.saved_session().expect("no ticket kept from s_server");
    let second = rev_client(&config, &srv, Some(saved));
    assert!(second.used_hello_retry() && second.is_resumed());
    assert_eq!(second.kx_group(), Some(NamedGroup::SECP384R1));
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    // OpenSSL looks the ticket up in both ClientHellos and counts each.
    assert_eq!(cache_hits(&text), 2, "{text}");
}

/// A client with tickets off (the default) sends no psk_key_exchange_modes,
/// yet OpenSSL sends its two tickets anyway (RFC 8446 §4.2.9 only says a
/// server SHOULD NOT): the client keeps none and calls no callback, as
/// `ConfigBuilder::session_tickets` documents. The same client offering a
/// session by hand asked for tickets (it names a mode), so it keeps the new
/// ones. (Before the fix it kept and announced both tickets.)
#[test]
fn baton_client_with_tickets_off_keeps_tickets_only_when_it_offers() {
    require_openssl!();
    let srv = s_server_rev(3);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let off = ticket_client(move |b| {
        b.session_tickets(false);
        b.set_session_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    });
    let conn = rev_client(&off, &srv, None);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "callback called");
    assert!(conn.saved_session().is_none(), "ticket kept");
    let on = ticket_client(|_| {});
    let saved = rev_client(&on, &srv, None)
        .saved_session()
        .expect("no ticket kept with tickets on");
    let conn = rev_client(&off, &srv, Some(saved));
    assert!(conn.is_resumed());
    assert!(conn.saved_session().is_some(), "no new ticket kept");
    assert!(calls.load(Ordering::SeqCst) > 0, "callback not called");
}

// ---------------------------------------------------------------- key rotation

/// A Baton client offers a ticket to a Baton server that removed its key
/// (rotation): a full handshake, the refusal says why, data flows, and the
/// new ticket (from the new key) resumes the next connection.
#[test]
fn baton_client_ticket_after_server_key_rotation() {
    let config = ticket_server(|b| {
        b.set_ticket_keys(one_key(b"rotated-out"));
    });
    let keys = Arc::clone(config.ticket_keys());
    let server = baton_server_n(config, 3, |conn| {
        let seen = echo_line(conn)?;
        Ok(seen)
    });
    let client = ticket_client(|_| {});
    let run = |offer: Option<SavedSession>| {
        let mut conn = baton_client(&client, server.port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .expect("Baton client handshake");
        send_all(&mut conn, b"rotate\n").unwrap();
        assert_eq!(
            recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap(),
            b"rotate\n"
        );
        conn.shutdown().unwrap();
        conn
    };
    let first = run(None);
    let old = first.saved_session().expect("a ticket");
    assert!(keys.remove_key(b"rotated-out"));
    keys.add_key(b"rotated-in", &[9; 32], now_secs() - 60)
        .unwrap();
    let second = run(Some(old));
    assert!(!second.is_resumed(), "resumed with a removed key's ticket");
    let fresh = second.saved_session().expect("a ticket from the new key");
    let third = run(Some(fresh));
    assert!(third.is_resumed(), "the new key's ticket did not resume");
    let seen = all_ok(server.join(TIMEOUT), 3, "");
    seen[0].assert_full();
    assert!(!seen[1].resumed && seen[1].cert_sent);
    assert_eq!(seen[1].refusal, Some(ResumptionRefusal::UnknownKey));
    seen[2].assert_resumed_dhe();
}
