//! `baton`: a TLS client and server for trying Baton against other stacks, and
//! `baton serve`, an HTTPS static file server.
//!
//! Every subcommand prints `error: ...` and exits non-zero on failure.

#![forbid(unsafe_code)]

mod accesslog;
mod args;
mod certs;
mod client;
mod http;
mod metrics;
mod serve;
mod server;
mod sessions;
mod signals;
mod sites;
mod status;

use baton::{
    Config, ConfigBuilder, Connection, Error, ExternalPsk, KernelSession, PskHash, Session,
};
use std::process::ExitCode;

/// `baton`'s command line: one subcommand, each with its own `--help`.
#[derive(clap::Parser, Debug)]
#[command(
    name = "baton",
    about = "A TLS client and server for trying Baton against other stacks, and an HTTPS static file server.",
    after_help = ENV_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
// One value, parsed once at start: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Accept TLS connections (one thread each); print one line per handshake
    /// to stderr; echo or discard what the peer sends.
    Server(server::Args),
    /// Connect, then copy stdin to the connection and the connection to
    /// stdout; at stdin EOF, send close_notify and wait for the peer's.
    Client(client::Args),
    /// Serve a directory over HTTPS/1.1 (io_uring, kernel TLS, resumption).
    Serve(serve::Args),
    /// Publish a new ticket key for the servers of a fleet and retire old
    /// ones, or list them (Redis).
    TicketKeys(sessions::TicketKeysArgs),
}

/// What every command honours from the environment.
const ENV_HELP: &str = "\
LIST is comma-separated, e.g. h2,http/1.1. Run `baton <command> --help` for details.
SSLKEYLOGFILE=FILE: every command appends its TLS secrets to FILE (NSS key log
format, for Wireshark). Debugging only: the file decrypts the traffic.";

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
    // clap prints help (exit 0) or the usage error (exit 2) itself.
    let cli = <Cli as clap::Parser>::parse();
    let result = match cli.command {
        Command::Server(a) => server::main(a),
        Command::Client(a) => client::main(a),
        Command::Serve(a) => serve::main(a),
        Command::TicketKeys(a) => sessions::ticket_keys_main(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            // The same shape and status as clap's own usage errors.
            eprintln!("error: {msg}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Applies the options shared by `client` and `server`: `--policy` and `--alpn`.
fn apply_common(b: &mut ConfigBuilder, p: &args::PolicyAlpn) -> Result<(), Failure> {
    if let Some(name) = &p.policy {
        b.security_policy(name)
            .map_err(|e| Failure::Usage(format!("--policy {name}: {e}")))?;
    }
    if let Some(list) = &p.alpn {
        let protos = args::alpn_list(list).map_err(Failure::Usage)?;
        let refs: Vec<&str> = protos.iter().map(String::as_str).collect();
        b.set_alpn_preferences(&refs)
            .map_err(|e| Failure::Usage(format!("--alpn {list}: {e}")))?;
    }
    Ok(())
}

/// Applies `--client-auth`/`--client-ca` to a server's builder; returns
/// whether clients are asked for a certificate.
pub fn apply_client_auth(b: &mut ConfigBuilder, p: &args::ClientAuthArgs) -> Result<bool, Failure> {
    use baton::ClientAuth;
    let mode = match p.client_auth.as_deref().unwrap_or("none") {
        "none" => ClientAuth::None,
        "optional" => ClientAuth::Optional,
        "required" => ClientAuth::Required,
        other => {
            return Err(Failure::Usage(format!(
                "--client-auth wants none, optional or required, got {other:?}"
            )))
        }
    };
    match (mode, p.client_ca.as_deref()) {
        (ClientAuth::None, None) => return Ok(false),
        (ClientAuth::None, Some(_)) => {
            return Err(Failure::Usage(
                "--client-ca goes with --client-auth optional|required".into(),
            ))
        }
        (_, None) => {
            return Err(Failure::Usage(
                "--client-auth optional|required needs --client-ca FILE".into(),
            ))
        }
        (_, Some(ca)) => {
            b.set_verification_ca_location(Some(std::path::Path::new(ca)), None)
                .map_err(|e| format!("loading client CAs from {ca}: {e}"))?;
        }
    }
    b.set_client_auth(mode);
    Ok(true)
}

/// ` client=ID` for a handshake line: the client certificate's common name
/// (or first URI or DNS name) once verified, else `none`. A server reports
/// its client; a client the certificate it sent.
pub fn client_identity(conn: &Session) -> String {
    let leaf = match conn.mode() {
        baton::Mode::Server if conn.client_cert_verified() => conn.peer_cert_chain().first(),
        baton::Mode::Client => conn.client_cert().and_then(|c| c.chain().first()),
        _ => None,
    };
    let id = leaf.and_then(|der| {
        baton::cert::subject_common_name(der).or_else(|| {
            let chain = std::slice::from_ref(der);
            let peer = baton::PeerCert::new(chain, true)?;
            peer.uri_names().into_iter().chain(peer.dns_names()).next()
        })
    });
    format!(
        " client={}",
        printable(id.as_deref().unwrap_or("none").as_bytes())
    )
}

/// Adds the PSK that `--psk-identity`/`--psk-secret`/`--psk-hash` describe,
/// if any; returns whether one was added.
fn apply_psk(b: &mut ConfigBuilder, p: &args::PskArgs) -> Result<bool, Failure> {
    let (id, secret) = match (p.psk_identity.as_deref(), p.psk_secret.as_deref()) {
        (Some(id), Some(secret)) => (id, secret),
        (None, None) => {
            return match p.psk_hash {
                Some(_) => Err(Failure::Usage(
                    "--psk-hash needs --psk-identity and --psk-secret".into(),
                )),
                None => Ok(false),
            };
        }
        (Some(_), None) => return Err(Failure::Usage("--psk-identity needs --psk-secret".into())),
        (None, Some(_)) => return Err(Failure::Usage("--psk-secret needs --psk-identity".into())),
    };
    let hash = match p.psk_hash.as_deref().unwrap_or("sha256") {
        "sha256" => PskHash::Sha256,
        "sha384" => PskHash::Sha384,
        other => {
            return Err(Failure::Usage(format!(
                "--psk-hash {other:?}: expected sha256 or sha384"
            )))
        }
    };
    // The decoded secret is wiped once `ExternalPsk` holds its own copy.
    let secret = zeroize::Zeroizing::new(
        args::hex(secret).map_err(|e| Failure::Usage(format!("--psk-secret: {e}")))?,
    );
    let psk = ExternalPsk::new(id.as_bytes(), &secret, hash).map_err(|e| {
        Failure::Usage(format!(
            "--psk-identity/--psk-secret ({} identity bytes, {} secret bytes): {}",
            id.len(),
            secret.len(),
            e.message()
        ))
    })?;
    b.add_psk(psk);
    Ok(true)
}

/// Builds the config, naming what failed. Every command builds through
/// here, so every command honours `SSLKEYLOGFILE`.
fn build(mut b: ConfigBuilder) -> Result<Config, Failure> {
    if let Some(log) = key_log()? {
        b.set_key_log(log);
    }
    b.build()
        .map_err(|e| Failure::Run(format!("building the TLS configuration: {e}")))
}

/// The key log `SSLKEYLOGFILE` names, opened once per process (one file
/// handle and one notice however many configs a command builds). The
/// notice makes sure secrets are never written silently.
fn key_log() -> Result<Option<std::sync::Arc<dyn baton::KeyLog>>, Failure> {
    static LOG: std::sync::OnceLock<Option<std::sync::Arc<baton::KeyLogFile>>> =
        std::sync::OnceLock::new();
    if let Some(log) = LOG.get() {
        return Ok(log.clone().map(|l| l as _));
    }
    let log = baton::KeyLogFile::from_env().map_err(|e| {
        let path = std::env::var_os("SSLKEYLOGFILE").unwrap_or_default();
        Failure::Run(format!("SSLKEYLOGFILE {}: {e}", path.to_string_lossy()))
    })?;
    let log = LOG.get_or_init(|| {
        if log.is_some() {
            eprintln!("writing TLS secrets to $SSLKEYLOGFILE");
        }
        log
    });
    Ok(log.clone().map(|l| l as _))
}

/// The line printed after every handshake (stable: scripts and tests parse it).
/// A handshake that used an external PSK ends with `psk=IDENTITY` (escaped
/// like a Rust byte string, spaces as `\x20`, so the line still splits on
/// spaces); others have no `psk=` field, so their line is as before.
pub fn handshake_line(conn: &Session, peer: &str) -> String {
    fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
        v.map_or_else(|| "-".to_string(), |v| v.to_string())
    }
    let mut line = format!(
        "handshake: peer={peer} version={} suite={} group={} alpn={} sni={}",
        or_dash(conn.actual_protocol_version()),
        or_dash(conn.cipher_suite()),
        or_dash(conn.kx_group()),
        or_dash(conn.alpn().map(String::from_utf8_lossy)),
        or_dash(conn.server_name()),
    );
    if let Some(id) = conn.negotiated_psk_identity() {
        line.push_str(" psk=");
        line.push_str(&printable(id));
    }
    line
}

/// `bytes` as one space-free word of printable ASCII.
fn printable(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string().replace(' ', "\\x20")
}

/// `--ktls auto|off|require` (default auto).
pub fn ktls_mode(ktls: Option<&str>) -> Result<baton_ktls::KtlsMode, Failure> {
    ktls.unwrap_or("auto")
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

#[cfg(test)]
mod tests {
    /// clap's own consistency checks on every subcommand's declarations
    /// (duplicate names, bad defaults, ...), which it otherwise makes only
    /// when that subcommand is parsed in a debug build.
    #[test]
    fn command_line_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
