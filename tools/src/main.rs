//! `baton`: a TLS client and server for trying Baton against other stacks, and
//! `baton serve`, an HTTPS static file server.
//!
//! Every subcommand prints `error: ...` and exits non-zero on failure.

#![forbid(unsafe_code)]

mod args;
mod client;
mod http;
mod serve;
mod server;
mod sessions;
mod signals;

use baton::{Config, ConfigBuilder, Connection, Error, KernelSession, Session};
use std::process::ExitCode;

const USAGE: &str = "\
usage: baton <command> [options]

commands:
  server --listen ADDR --cert CHAIN.pem --key KEY.pem [--policy NAME] [--alpn LIST] [--echo]
      Accept TLS connections (one thread each). Prints one line per handshake to stderr.
      With --echo, sends application data back; otherwise reads and discards it.
  client HOST:PORT [--ca FILE] [--sni NAME] [--policy NAME] [--alpn LIST] [--insecure]
      Connect, then copy stdin to the connection and the connection to stdout.
      At stdin EOF, sends close_notify and waits for the peer's.
  serve [DIR] [--listen ADDR] [--cert CHAIN.pem --key KEY.pem]
      Serve DIR (default .) over HTTPS/1.1 (default 127.0.0.1:8443). Without
      --cert/--key, generates a self-signed P-256 certificate for localhost and 127.0.0.1.
      Resumes sessions (tickets; --ticket-keys and --session-cache share them via Redis).
  ticket-keys rotate|list --redis redis://HOST:PORT/KEYPREFIX
      Publish a new ticket key for the servers of a fleet and retire old ones, or list them.

LIST is comma-separated, e.g. h2,http/1.1. Run `baton <command> --help` for details.
";

/// How a subcommand failed: a usage mistake (exit 2) or a runtime failure (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// Bad command line; print the message and the usage text.
    Usage(String),
    /// Anything else.
    Run(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Run(s)
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = argv.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "server" => server::main(rest),
        "client" => client::main(rest),
        "serve" => serve::main(rest),
        "ticket-keys" => sessions::ticket_keys_main(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}\n");
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Parses a subcommand's arguments, turning parse errors into usage failures.
/// Returns `None` after printing help if `-h`/`--help` was given.
fn parse_or_help(
    argv: &[String],
    opts: &[args::Opt],
    help: &str,
) -> Result<Option<args::Parsed>, Failure> {
    let p = args::parse(argv, opts).map_err(Failure::Usage)?;
    if p.help {
        print!("{help}");
        return Ok(None);
    }
    Ok(Some(p))
}

/// Applies the options shared by `client` and `server`: `--policy` and `--alpn`.
fn apply_common(b: &mut ConfigBuilder, p: &args::Parsed) -> Result<(), Failure> {
    if let Some(name) = p.value("--policy") {
        b.security_policy(name)
            .map_err(|e| Failure::Usage(format!("--policy {name}: {e}")))?;
    }
    if let Some(list) = p.value("--alpn") {
        let protos = args::alpn_list(list).map_err(Failure::Usage)?;
        let refs: Vec<&str> = protos.iter().map(String::as_str).collect();
        b.set_alpn_preferences(&refs)
            .map_err(|e| Failure::Usage(format!("--alpn {list}: {e}")))?;
    }
    Ok(())
}

/// Builds the config, naming what failed.
fn build(b: ConfigBuilder) -> Result<Config, Failure> {
    b.build()
        .map_err(|e| Failure::Run(format!("building the TLS configuration: {e}")))
}

/// The line printed after every handshake (stable: scripts and tests parse it).
pub fn handshake_line(conn: &Session, peer: &str) -> String {
    fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
        v.map_or_else(|| "-".to_string(), |v| v.to_string())
    }
    format!(
        "handshake: peer={peer} version={} suite={} group={} alpn={} sni={}",
        or_dash(conn.actual_protocol_version()),
        or_dash(conn.cipher_suite()),
        or_dash(conn.kx_group()),
        or_dash(conn.alpn().map(String::from_utf8_lossy)),
        or_dash(conn.server_name()),
    )
}

/// `--ktls auto|off|require` (default auto).
pub fn ktls_mode(p: &args::Parsed) -> Result<baton_ktls::KtlsMode, Failure> {
    p.value("--ktls")
        .unwrap_or("auto")
        .parse()
        .map_err(|e: baton::Error| Failure::Usage(format!("--ktls: {}", e.message())))
}

/// After the handshake: moves record protection into the kernel as `mode` says
/// and returns the line that reports it, per direction (stable: tests parse it).
/// The connection is consumed: what goes on is the kernel session, each
/// direction in the kernel or in userspace.
pub fn enable_ktls(
    conn: Connection,
    mode: baton_ktls::KtlsMode,
    peer: &str,
) -> Result<(KernelSession, String), String> {
    let conn = baton_ktls::enable(conn, mode, &baton_ktls::KtlsOptions::default())
        .map_err(|e| e.error.message().to_string())?;
    let line = format!("ktls: peer={peer} {}", conn.ktls_status());
    Ok((conn, line))
}

/// Sends all of `data` on a blocking connection, then flushes.
pub fn send_all(conn: &mut KernelSession, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        let n = conn.send(data)?;
        data = &data[n..];
    }
    conn.flush()
}
