//! `baton-bogo-shim`: the program BoringSSL's BoGo runner starts once per
//! test (see `docs/conformance.md` and `tools/bogo-run`).
//!
//! It connects back to the runner on 127.0.0.1 (or ::1) at `-port`, sends
//! `-shim-id` as a little-endian u64, runs one Baton [`Connection`] as the
//! flags ask (one more per `-resume-count`, each offering the session the
//! one before received), then echoes each byte the runner sends XORed with 0xff (what
//! BoringSSL's own shim does; with `-enable-early-data` a server reads the
//! client's 0-RTT data first and echoes it after the handshake, a resuming
//! client sends its first write as 0-RTT), and exits 0 on success, 1 with the error on
//! stderr on failure, and 89 when a flag names a feature Baton does not have.
//!
//! Baton's errors are printed as `ERROR: <kind>: <alert>: <message>`, so the
//! `ErrorMap` of `tools/bogo/config.json` can map BoringSSL's error names to
//! what tells them apart on our side: the alert Baton sent or received.
#![forbid(unsafe_code)]

mod flags;
mod park;
mod setup;

use baton::early::EarlyDataStatus;
use baton::{Connection, Error, ErrorKind};
use flags::{Options, ParseError};
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;

/// How a test ends for the shim.
#[derive(Debug)]
pub enum Outcome {
    /// The flags ask for a feature Baton does not have (exit 89).
    Unimplemented(String),
    /// An expectation failed or the connection failed (exit 1).
    Failed(String),
}

impl From<Error> for Outcome {
    fn from(e: Error) -> Self {
        Outcome::Failed(describe(&e))
    }
}

/// `<kind>: <alert>: <message>`: the alert Baton sent (`sent x`) or
/// received (`received x`) first, as that is what the ErrorMap matches.
fn describe(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Protocol | ErrorKind::Internal => match e.sent_alert() {
            Some(a) => format!("{:?}: sent {a}: {}", e.kind(), e.message()),
            None => format!("{:?}: {}", e.kind(), e.message()),
        },
        ErrorKind::Alert(a) => format!("peer alert: received {a}: {}", e.message()),
        ErrorKind::Closed => format!("closed: {}", e.message()),
        ErrorKind::Io => format!("io: {}", e.message()),
        _ => format!("{:?}: {}", e.kind(), e.message()),
    }
}

/// Exit 89, saying why on stderr and, when `BATON_BOGO_UNIMPLEMENTED_LOG`
/// names a file, there too (the runner does not keep the stderr of
/// unimplemented tests; the log shows which missing features cost most).
fn unimplemented(why: &str) -> ExitCode {
    eprintln!("UNIMPLEMENTED: {why}");
    if let Some(path) = std::env::var_os("BATON_BOGO_UNIMPLEMENTED_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{why}");
        }
    }
    ExitCode::from(89)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = match flags::parse(&args) {
        Ok(f) => f,
        Err(ParseError::Unimplemented(why)) => return unimplemented(&why),
        Err(ParseError::Invalid(why)) => {
            eprintln!("ERROR: bad command line: {why}");
            return ExitCode::from(1);
        }
    };
    if flags.is_handshaker_supported {
        println!("No");
        return ExitCode::SUCCESS;
    }
    match run(&flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Outcome::Unimplemented(why)) => unimplemented(&why),
        Err(Outcome::Failed(why)) => {
            eprintln!("ERROR: {why}");
            ExitCode::from(1)
        }
    }
}

fn run(flags: &flags::Flags) -> Result<(), Outcome> {
    let o = &flags.initial;
    if o.renegotiation_count.is_some_and(|n| n > 0) {
        return Err(Outcome::Unimplemented("renegotiation".into()));
    }
    // One ticket key set and session cache for every connection, as
    // BoringSSL's shim carries them from one SSL_CTX to the next.
    let shared = setup::Shared::new(o)?;
    // Build every configuration first, so an unimplemented feature of a
    // later connection is reported before any connection is made.
    let mut configs = vec![(o, setup::config(o, &shared)?)];
    for _ in 0..o.resume_count {
        configs.push((&flags.resume, setup::config(&flags.resume, &shared)?));
    }
    // The client offers, on each connection, the newest session the one
    // before it received (as bssl_shim does; none if it received none).
    let mut offer: Option<baton::SavedSession> = None;
    // What the full handshake that made the session negotiated: BoringSSL
    // reports it again on resumption (it is in its SSL_SESSION); Baton
    // reports only what this handshake did.
    let mut origin = Origin::default();
    for (i, (opts, setup)) in configs.into_iter().enumerate() {
        let is_resume = i > 0;
        if is_resume {
            setup::clock::advance(opts.resumption_delay);
        }
        let addr = if flags.ipv6 {
            SocketAddr::from((Ipv6Addr::LOCALHOST, flags.port))
        } else {
            SocketAddr::from((Ipv4Addr::LOCALHOST, flags.port))
        };
        let mut tcp = TcpStream::connect(addr)
            .map_err(|e| Outcome::Failed(format!("connect {addr}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        tcp.write_all(&flags.shim_id.to_le_bytes())
            .map_err(|e| Outcome::Failed(format!("sending the shim id: {e}")))?;
        let keep = tcp
            .try_clone()
            .map_err(|e| Outcome::Failed(format!("socket: {e}")))?;
        shared.take_received();
        let run = Run {
            o: opts,
            retry: &flags.retry,
            setup: &setup,
            is_resume,
            origin,
        };
        let ran = match connection(&run, tcp, offer.take()) {
            Ok((o, ran)) => {
                origin = o;
                ran
            }
            Err(e) => {
                linger(&keep);
                return Err(e);
            }
        };
        let received = shared.take_received();
        sessions(&Run { o: ran, ..run }, &received)?;
        offer = received.into_iter().last();
    }
    Ok(())
}

/// One connection of the shim process: its options and configuration, and
/// whether it is a resumption (every connection after the first).
struct Run<'a> {
    o: &'a Options,
    /// A client's options after the server rejected its 0-RTT.
    retry: &'a Options,
    setup: &'a setup::Setup,
    is_resume: bool,
    /// What the handshake that made the session negotiated.
    origin: Origin,
}

/// The peer's signature algorithm, the group, and the server's OCSP
/// response and SCT list of a full handshake.
#[derive(Clone, Copy, Default)]
struct Origin {
    sigalg: Option<u16>,
    curve: Option<u16>,
    /// Leaked (a few bytes, once per connection) to keep `Origin` `Copy`.
    ocsp: Option<&'static [u8]>,
    sct: Option<&'static [u8]>,
}

fn leak_bytes(b: Option<&[u8]>) -> Option<&'static [u8]> {
    b.map(|b| &*Box::leak(b.to_vec().into_boxed_slice()))
}

impl Run<'_> {
    /// The peer's signature algorithm and the group as BoringSSL reports
    /// them: this handshake's, or on resumption the original handshake's
    /// where this one had none (no signature; no key exchange in TLS 1.2).
    fn origin(&self, conn: &Connection) -> Origin {
        let sigalg = conn.peer_signature_scheme().map(|s| s.0);
        let curve = conn.kx_group().map(|g| g.0);
        if !conn.is_resumed() {
            return Origin {
                sigalg,
                curve,
                ocsp: leak_bytes(conn.ocsp_response()),
                sct: leak_bytes(conn.sct_list()),
            };
        }
        // BoringSSL's session keeps the staples of the full handshake; a
        // TLS 1.2 server's SCTs on resumption are ignored.
        Origin {
            sigalg: sigalg.or(self.origin.sigalg),
            curve: curve.or(self.origin.curve),
            ..self.origin
        }
    }
}

/// The checks on the sessions a client received on one connection.
fn sessions(run: &Run, received: &[baton::SavedSession]) -> Result<(), Outcome> {
    let o = run.o;
    if o.server {
        return Ok(());
    }
    if o.expect_no_session && !received.is_empty() {
        return Err(Outcome::Failed(
            "expectation failed: a new session was unexpectedly established".into(),
        ));
    }
    // bssl_shim's -expect-(no-)session-id on a client: whether a new session
    // arrived on the initial connection.
    if !run.is_resume && o.expect_session_id && received.is_empty() {
        return Err(Outcome::Failed(
            "expectation failed: no new session was established".into(),
        ));
    }
    if !run.is_resume && o.expect_no_session_id && !received.is_empty() {
        return Err(Outcome::Failed(
            "expectation failed: a new session was unexpectedly established".into(),
        ));
    }
    if o.expect_ticket_renewal && run.is_resume && received.is_empty() {
        return Err(Outcome::Failed(
            "expectation failed: the ticket was not renewed".into(),
        ));
    }
    // bssl_shim checks the newest TLS 1.3 ticket's 0-RTT both ways (Baton
    // keeps TLS 1.2 sessions at 0, as BoringSSL does).
    if let Some(newest) = received.last() {
        let allows = newest.max_early_data() != 0;
        let tls13 = newest.version() == baton::ProtocolVersion::TLSV1_3;
        if tls13 && !o.shim_shuts_down && allows != o.expect_ticket_supports_early_data {
            return Err(Outcome::Failed(format!(
                "expectation failed: the new session {} early data",
                if allows { "allows" } else { "does not allow" }
            )));
        }
    }
    Ok(())
}

/// After a failure (Baton has written its alert): closes our side and reads
/// what the runner still sends, until it closes, so that closing a socket
/// with unread data (a TCP reset) cannot destroy the alert before the runner
/// reads it. Bounded: the runner closes once it has the alert.
fn linger(tcp: &TcpStream) {
    use std::io::Read;
    let _ = tcp.shutdown(std::net::Shutdown::Write);
    let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let mut sink = [0u8; 4096];
    let mut reader = tcp;
    for _ in 0..1024 {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Runs one connection; returns what the session it leaves was made with
/// (see [`Run::origin`]) and the options it ended with (a client's retry
/// options when the server rejected its 0-RTT).
fn connection<'a>(
    run: &Run<'a>,
    tcp: TcpStream,
    offer: Option<baton::SavedSession>,
) -> Result<(Origin, &'a Options), Outcome> {
    let (o, setup) = (run.o, run.setup);
    let offers_session = offer.is_some();
    // Count only this connection's parked signatures.
    park::take_parked_signatures();
    let mut conn = if o.server {
        Connection::new_server(&setup.config)
    } else {
        Connection::new_client(&setup.config)
    };
    if let Some(name) = &o.host_name {
        conn.set_server_name(name)?;
    }
    if let Some(session) = offer {
        conn.session_mut().set_saved_session(session)?;
    }
    conn.set_io(tcp);
    let first = o
        .shim_initial_write
        .as_deref()
        .unwrap_or("hello")
        .as_bytes();
    // Server: the 0-RTT data the client sent, echoed once the handshake is
    // done. Client: how much of the first write went as 0-RTT.
    let mut early_in = Vec::new();
    let mut first_sent = 0;
    let retry_run;
    let run = if !o.enable_early_data {
        run
    } else if o.server {
        early_in = read_early_data(&mut conn)?;
        run
    } else if run.is_resume && offers_session {
        match early_data_client(o, &mut conn, first)? {
            Some(n) => {
                first_sent = n;
                run
            }
            None => {
                // bssl_shim's retry: the exchange again, with the -on-retry
                // options (the -on-resume ones were for the 0-RTT attempt).
                retry_run = Run {
                    o: run.retry,
                    ..*run
                };
                &retry_run
            }
        }
    } else if run.is_resume && o.expect_reject_early_data {
        // Nothing to offer 0-RTT with: bssl_shim's exchange would succeed.
        return Err(Outcome::Failed(
            "expectation failed: no 0-RTT was offered, so none was rejected".into(),
        ));
    } else {
        run
    };
    // The retry's options may name another first write.
    let o = run.o;
    let first = o
        .shim_initial_write
        .as_deref()
        .unwrap_or("hello")
        .as_bytes();
    // With -implicit-handshake the first read drives the handshake, unless
    // something before it (a write, the exporter, a KeyUpdate, the
    // shutdown) needs it done.
    let early_use =
        o.shim_writes_first || o.shim_shuts_down || o.key_update || o.export_keying_material > 0;
    if !o.implicit_handshake || early_use {
        park::again(|| conn.negotiate())?;
    }
    if conn.is_handshake_complete() {
        check(run, &conn)?;
    }
    if o.export_keying_material > 0 {
        if conn.actual_protocol_version() == Some(baton::ProtocolVersion::TLSV1_2)
            && !o.use_export_context
        {
            return Err(Outcome::Unimplemented(
                "a TLS 1.2 exporter without a context (RFC 5705)".into(),
            ));
        }
        let mut out = vec![0u8; o.export_keying_material];
        conn.export_keying_material(
            o.export_label.as_bytes(),
            o.export_context.as_bytes(),
            &mut out,
        )?;
        send_all(&mut conn, &out)?;
    }
    if o.key_update {
        conn.request_key_update(false)?;
    }
    if o.shim_writes_first {
        send_all(&mut conn, &first[first_sent.min(first.len())..])?;
    }
    if o.shim_shuts_down {
        shut_down(o, &mut conn)?;
    } else {
        // What was not echoed at 0.5-RTT (the shim writes first, or shuts
        // down: see read_early_data) goes now.
        if !early_in.is_empty() {
            let reply: Vec<u8> = early_in.iter().map(|b| b ^ 0xff).collect();
            send_all(&mut conn, &reply)?;
        }
        echo(run, &mut conn)?;
    }
    Ok((run.origin(&conn), o))
}

/// Server: reads every byte of 0-RTT data (none when it is not offered or
/// is refused), driving the handshake up to the client's EndOfEarlyData,
/// and echoes each piece at once as 0.5-RTT data, as bssl_shim does (the
/// runner reads the echo before it sends EndOfEarlyData). Returns what it
/// could not echo yet (none, unless 0.5-RTT was not allowed). Bounded by
/// the config's maximum early data size.
fn read_early_data(conn: &mut Connection) -> Result<Vec<u8>, Outcome> {
    let mut left = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = park::again(|| conn.recv_early_data(&mut buf))?;
        if n == 0 {
            return Ok(left);
        }
        left.extend_from_slice(&buf[..n]);
        if conn.may_send_early_response() {
            let reply: Vec<u8> = left.iter().map(|b| b ^ 0xff).collect();
            let mut sent = 0;
            while sent < reply.len() {
                sent += conn.send_early_response(&reply[sent..])?;
            }
            left.clear();
        }
    }
}

/// Client, resuming with 0-RTT on: sends the first write (`-shim-writes-first`)
/// as early data, or offers 0-RTT with none, and completes the handshake.
/// Returns how many bytes of `first` went as 0-RTT, or `None` when the
/// server rejected it as the test expected (bssl_shim's retry follows).
fn early_data_client(
    o: &Options,
    conn: &mut Connection,
    first: &[u8],
) -> Result<Option<usize>, Outcome> {
    let data = if o.shim_writes_first { first } else { b"" };
    let sent = park::again(|| conn.send_early_data(data))?;
    // bssl_shim exports where its handshake call returns, which for a
    // client offering 0-RTT is before the server's answer: there it fails.
    if o.export_keying_material > 0 {
        let mut out = vec![0u8; o.export_keying_material];
        conn.export_keying_material(
            o.export_label.as_bytes(),
            o.export_context.as_bytes(),
            &mut out,
        )?;
    }
    park::again(|| conn.negotiate())?;
    match conn.early_data_status() {
        EarlyDataStatus::Rejected if o.expect_reject_early_data => Ok(None),
        EarlyDataStatus::Rejected => Err(Outcome::Failed(
            "expectation failed: 0-RTT was unexpectedly rejected".into(),
        )),
        _ if o.expect_reject_early_data => Err(Outcome::Failed(
            "expectation failed: the 0-RTT exchange unexpectedly succeeded (not rejected)".into(),
        )),
        EarlyDataStatus::Accepted => Ok(Some(sent)),
        // Not offered (the ticket does not allow it): nothing was sent.
        _ => Ok(Some(0)),
    }
}

fn send_all(conn: &mut Connection, mut data: &[u8]) -> Result<(), Outcome> {
    while !data.is_empty() {
        let n = park::again(|| conn.send(data))?;
        data = &data[n..];
    }
    Ok(())
}

/// Sends close_notify; with `-check-close-notify`, waits for the runner's.
fn shut_down(o: &Options, conn: &mut Connection) -> Result<(), Outcome> {
    conn.shutdown_send()?;
    if !o.check_close_notify {
        return Ok(());
    }
    let mut buf = [0u8; 16384];
    match conn.recv(&mut buf) {
        Ok(0) => Ok(()),
        // SSL_shutdown refuses data after its close_notify.
        Ok(_) => Err(Outcome::Failed(
            "APPLICATION_DATA_ON_SHUTDOWN: data after our close_notify".into(),
        )),
        Err(e) if e.kind() == ErrorKind::Closed => Err(Outcome::Failed(format!(
            "Unexpected SSL_shutdown result: -1 != 1 ({})",
            describe(&e)
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Echoes what the runner sends, each byte XOR 0xff, until it closes.
fn echo(run: &Run, conn: &mut Connection) -> Result<(), Outcome> {
    let o = run.o;
    let mut buf = vec![0u8; o.read_size.unwrap_or(16384).clamp(1, 16384)];
    // With -implicit-handshake the checks wait for the first read, or for
    // the end when the runner sends nothing after the handshake.
    let mut unchecked = o.implicit_handshake;
    let check_late = |conn: &Connection, unchecked: &mut bool| {
        if std::mem::take(unchecked) && conn.is_handshake_complete() {
            check(run, conn)
        } else {
            Ok(())
        }
    };
    loop {
        if o.key_update_before_read {
            conn.request_key_update(false)?;
        }
        let n = match park::again(|| conn.recv(&mut buf)) {
            Ok(0) => {
                check_late(conn, &mut unchecked)?;
                // close_notify: answer it when asked to check the shutdown.
                if o.check_close_notify {
                    conn.shutdown_send()?;
                }
                return Ok(());
            }
            Ok(n) => n,
            // The runner closed the transport without close_notify.
            Err(e) if e.kind() == ErrorKind::Closed && !o.check_close_notify => {
                return check_late(conn, &mut unchecked);
            }
            Err(e) => return Err(e.into()),
        };
        check_late(conn, &mut unchecked)?;
        for b in &mut buf[..n] {
            *b ^= 0xff;
        }
        let reply = buf[..n].to_vec();
        send_all(conn, &reply)?;
    }
}

/// The `-expect-*` checks on what the handshake negotiated.
fn check(run: &Run, conn: &Connection) -> Result<(), Outcome> {
    let (o, setup) = (run.o, run.setup);
    fn want<T: PartialEq + std::fmt::Debug>(what: &str, got: T, wanted: T) -> Result<(), Outcome> {
        if got == wanted {
            Ok(())
        } else {
            Err(Outcome::Failed(format!(
                "expectation failed: {what}: got {got:?}, wanted {wanted:?}"
            )))
        }
    }
    // bssl_shim: "session unexpectedly was (not) reused".
    want(
        "session resumed",
        conn.is_resumed(),
        run.is_resume && !o.expect_session_miss,
    )?;
    if let Some(v) = o.expect_version {
        want(
            "version",
            conn.actual_protocol_version().map(|v| v.0),
            Some(v),
        )?;
    }
    if let Some(c) = o.expect_cipher {
        want("cipher", conn.cipher_suite().map(|c| c.0), Some(c))?;
    }
    if let Some(g) = o.expect_curve_id {
        want("curve", run.origin(conn).curve, Some(g))?;
    }
    if let Some(s) = o.expect_peer_sigalg {
        want("peer signature algorithm", run.origin(conn).sigalg, Some(s))?;
    }
    if let Some(p) = &o.expect_alpn {
        want("ALPN", conn.alpn(), Some(p.as_bytes()))?;
    }
    if let Some(n) = &o.expect_server_name {
        want("server name", conn.server_name(), Some(n.as_str()))?;
    }
    if o.expect_no_server_name {
        want("server name", conn.server_name(), None)?;
    }
    if o.expect_hrr {
        want("HelloRetryRequest", conn.used_hello_retry(), true)?;
    }
    if o.expect_no_hrr {
        want("HelloRetryRequest", conn.used_hello_retry(), false)?;
    }
    if o.expect_ems {
        // TLS 1.3's key schedule always binds the transcript (`None` here).
        want(
            "extended master secret",
            conn.extended_master_secret().unwrap_or(true),
            true,
        )?;
    }
    if o.expect_accept_early_data {
        want("0-RTT", conn.early_data_status(), EarlyDataStatus::Accepted)?;
    }
    // A client that expected a rejection and got none has failed already.
    if o.expect_reject_early_data && o.server {
        want(
            "0-RTT accepted",
            conn.early_data_status() == EarlyDataStatus::Accepted,
            false,
        )?;
    }
    if o.expect_no_peer_cert {
        want("peer certificates", conn.peer_cert_chain().len(), 0)?;
    }
    if let Some(f) = &o.expect_peer_cert_file {
        let wanted = flags::pem_certificates(f).map_err(Outcome::Failed)?;
        want(
            "peer certificate chain",
            conn.peer_cert_chain(),
            &wanted[..],
        )?;
    }
    // bssl_shim asks whether the server cached the session by id, on the
    // initial connection only (a client's side of it is in `sessions`).
    if o.server && !run.is_resume {
        if o.expect_session_id {
            want("session cached by id", conn.session_id().is_some(), true)?;
        }
        if o.expect_no_session_id {
            want("session cached by id", conn.session_id().is_some(), false)?;
        }
    }
    // 0 is bssl_shim's "not checked" (and SSL_get_ticket_age_skew's "none").
    if run.is_resume && o.expect_ticket_age_skew != 0 {
        want(
            "ticket age skew",
            conn.resumed_ticket_age_skew().unwrap_or(0),
            o.expect_ticket_age_skew,
        )?;
    }
    // Async mode: a server's full handshake, and a client that sent a
    // certificate, signed through the parked private-key path (a PSK
    // handshake signs nothing).
    let client_signed = !o.server && conn.client_cert().is_some();
    if (o.server || client_signed)
        && o.async_mode
        && !conn.is_resumed()
        && conn.negotiated_psk_identity().is_none()
    {
        want(
            "signatures answered late",
            park::take_parked_signatures() > 0,
            true,
        )?;
    }
    if let Some(want_ocsp) = &o.expect_ocsp_response {
        want("OCSP response", run.origin(conn).ocsp, Some(&want_ocsp[..]))?;
    }
    if let Some(want_sct) = &o.expect_sct_list {
        want("SCT list", run.origin(conn).sct, Some(&want_sct[..]))?;
    }
    if let Some(i) = o.expect_selected_credential {
        // A server's certificate, or the one a client sent.
        let selected = conn
            .selected_cert()
            .or(conn.client_cert())
            .map(|c| c.chain());
        let index = setup
            .chains
            .iter()
            .find(|(_, chain)| Some(chain.as_slice()) == selected)
            .map(|(i, _)| *i);
        want("selected credential", index, Some(i))?;
    }
    Ok(())
}
