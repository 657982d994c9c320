//! `baton serve`: HTTPS/1.1 static files on the io_uring thread-per-core
//! runtime, with kernel TLS and sendfile bodies where the kernel has them.

use crate::accesslog::{AccessLog, ConnInfo, Format};
use crate::metrics::HttpCounters;
use crate::{apply_client_auth, build, http, ktls_mode, Failure};
use baton::{CertChainAndKey, Session};
use baton_ktls::uring::{Flow, Handler, Output, Runtime, RuntimeConfig, Service};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const HELP_TAIL: &str = "\
Without --cert/--key, generates an ECDSA P-256 certificate for localhost and
127.0.0.1 at start and prints its SHA-256 fingerprint, to compare with what the
browser or `curl -k -v` shows. Serves GET and HEAD, with keep-alive, single
byte ranges (206, 416; several ranges get the whole file), ETag and
Last-Modified with If-None-Match, If-Modified-Since (304) and If-Range, Date
on every response, directory listings and index.html. Paths that leave DIR
(`..`, symlinks) are refused.
With kernel TLS, file bodies go from the page cache through the kernel
(io_uring SPLICE, or sendfile where the kernel lacks it); otherwise they are
read and sealed in userspace. Sessions resume with TLS 1.3
tickets and TLS 1.2 tickets. SIGINT/SIGTERM
stop accepting and let in-flight responses finish (5 s); SIGUSR1 prints the
per-worker counters, which are also printed at exit. SIGHUP loads --cert/--key
and --cert-dir again: new handshakes get the new certificates, connections
stay; if a file fails to load, the certificates in use stay and the error is
printed. With --config FILE (TOML, see docs/usage.md), several sites each
with names, root, certificates and policy: the SNI picks the certificate and
policy, the Host header the site (421 when it names another site than the
handshake's); SIGHUP reads the file again and swaps all sites and its HTTP
limits for new connections, or keeps the old ones if anything fails to load. SIGHUP also
reopens --access-log.";

/// `baton serve`'s options. Numbers stay strings until checked, so that
/// each error names the flag and its range.
#[derive(clap::Args, Clone, Debug)]
#[command(after_help = HELP_TAIL)]
pub struct Args {
    /// directory to serve (default: the current directory)
    #[arg(value_name = "DIR")]
    dir: Option<String>,
    /// sites from a TOML file (see docs/usage.md): each with its names, root,
    /// certificates and policy, chosen by SNI and Host; read again on SIGHUP.
    /// Its global settings give way to the flags
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
    /// address to listen on (default: 127.0.0.1:8443)
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// certificate chain, PEM (default: a fresh self-signed one); repeatable:
    /// each --cert goes with the --key in the same position, and the client's
    /// SNI picks among them (the DNS names of each certificate, wildcards
    /// included); the first is the default for other names
    #[arg(long, value_name = "FILE")]
    cert: Vec<String>,
    /// private key, PEM (with --cert)
    #[arg(long, value_name = "FILE")]
    key: Vec<String>,
    /// also every NAME.key in DIR with NAME.crt (else NAME.pem) next to it, in
    /// name order
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<String>,
    /// DER OCSP response for the first --cert, stapled for clients that ask;
    /// read again on SIGHUP
    #[arg(long, value_name = "FILE")]
    ocsp: Option<String>,
    /// security policy (default: the library's default)
    #[arg(long, value_name = "NAME")]
    policy: Option<String>,
    /// worker threads, one per core by default, each pinned to its core with
    /// its own io_uring and SO_REUSEPORT listener
    #[arg(long, value_name = "N")]
    workers: Option<String>,
    /// kernel TLS after the handshake: auto (default), off, require
    #[arg(long, value_name = "MODE")]
    ktls: Option<String>,
    /// threads that make the handshakes' signatures, shared by the workers, so
    /// that none stalls on an RSA signature (default: half the cores, at least
    /// 1; 0 signs inline)
    #[arg(long, value_name = "N")]
    sign_threads: Option<String>,
    /// time a client has from connect to a finished handshake before it is
    /// dropped (default: 10; a slowloris guard)
    #[arg(long, value_name = "SECS")]
    handshake_timeout: Option<String>,
    /// `Cache-Control: VALUE` on files whose path starts with PREFIX (e.g.
    /// /assets/=max-age=86400), with `Expires` from its max-age; repeatable,
    /// the longest prefix wins
    #[arg(long, value_name = "PREFIX=VALUE")]
    cache_control: Vec<String>,
    /// don't serve FILE.br / FILE.gz beside FILE to clients whose
    /// Accept-Encoding takes them (on by default)
    #[arg(long)]
    no_precompressed: bool,
    /// longest request head, in bytes (default 16384; 431)
    #[arg(long, value_name = "N")]
    max_head_bytes: Option<String>,
    /// most header lines in a request (default 64, at most 256; 431)
    #[arg(long, value_name = "N")]
    max_headers: Option<String>,
    /// longest request line, in bytes (default 8192; 414)
    #[arg(long, value_name = "N")]
    max_request_line: Option<String>,
    /// requests per connection; the last is answered with `Connection: close`
    /// (default 1000; 0: no limit)
    #[arg(long, value_name = "N")]
    max_requests: Option<String>,
    /// open-file cache entries per worker: descriptors, metadata and small
    /// bodies of hot files (default 1024; 0: off)
    #[arg(long, value_name = "N")]
    open_file_cache: Option<String>,
    /// how long a cached file is served before it is checked again, in
    /// milliseconds (default 1000)
    #[arg(long, value_name = "MS")]
    open_file_cache_valid_ms: Option<String>,
    /// memory per worker for whole hot files (over 16 KiB, up to a quarter
    /// of it each) kept beside the open-file cache, so that userspace
    /// records are sealed from memory instead of read first; in MiB
    /// (default 64, or 0 where kernel TLS sends the files; 0: off)
    #[arg(long, value_name = "MIB")]
    file_images: Option<String>,
    /// time a request head may take to arrive once it has started (default
    /// 10; a slowloris guard)
    #[arg(long, value_name = "SECS")]
    head_timeout: Option<String>,
    /// idle time allowed between requests (default 60)
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<String>,
    /// connections per worker; more are closed at accept (default 10000)
    #[arg(long, value_name = "N")]
    max_connections: Option<String>,
    /// no per-request log lines on stderr (like nginx's `access_log off`)
    #[arg(long)]
    quiet: bool,
    /// one line per response appended to FILE instead of stderr, buffered per
    /// worker and written by one thread; when it falls behind, lines are
    /// dropped and counted, never waited for; reopened on SIGHUP (log rotation)
    #[arg(long, value_name = "FILE")]
    access_log: Option<String>,
    /// nginx's combined format (default), or JSON with the TLS version, suite,
    /// resumption, kTLS and request time
    #[arg(long, value_name = "combined|json")]
    access_log_format: Option<String>,
    /// Prometheus text at http://ADDR/metrics (plain HTTP, a listener of its
    /// own): connections, handshakes, kTLS, bytes, responses by status,
    /// errors, latency histogram
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// ticket keys from Redis, published by `baton ticket-keys rotate` and
    /// polled every 10 s, so that every server of a fleet resumes every
    /// other's tickets (default: keys made and rotated in memory)
    #[arg(long, value_name = "redis://HOST:PORT/KEYPREFIX")]
    ticket_keys: Option<String>,
    /// time between polls of --ticket-keys (default 10; a rotator's --lead
    /// should be at least twice it)
    #[arg(long, value_name = "SECS")]
    ticket_keys_poll: Option<String>,
    /// TLS 1.2 session ids in Redis, shared by the fleet
    #[arg(long, value_name = "redis://HOST:PORT/KEYPREFIX")]
    session_cache: Option<String>,
    /// accept TLS 1.3 early data (0-RTT, up to 16 KiB) from resuming clients:
    /// GET and HEAD sent as early data are answered, other methods get 425
    /// Too Early (RFC 8470)
    #[arg(long)]
    early_data: bool,
    /// with --early-data: the anti-replay store every server of the fleet
    /// shares (default: one in memory, which refuses 0-RTT for the ticket age
    /// window after a start)
    #[arg(long, value_name = "redis://HOST:PORT/KEYPREFIX")]
    anti_replay: Option<String>,
    /// what the store keeps each 0-RTT offer from repeating: each ClientHello
    /// within the 10 s window (client-hellos, the default), or each ticket for
    /// its lifetime (tickets: single-use tickets)
    #[arg(long, value_name = "client-hellos|tickets")]
    anti_replay_mode: Option<String>,
    #[command(flatten)]
    client_auth: crate::args::ClientAuthArgs,
}

/// Idle time allowed between requests, and for a stuck peer.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// The number in flag `name`, within `range`, or `default` without the flag.
fn number(
    value: Option<&str>,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, Failure> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "{name} wants a number from {} to {}, got {v:?}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// The site of the flags: the root, `--cache-control`, variants, limits.
/// `--file-images`' default: images serve userspace records only, so
/// none where the kernel will seal (kTLS not off and the kernel has it).
fn default_images(p: &Args) -> Result<u64, Failure> {
    let kernel = ktls_mode(p.ktls.as_deref())? != baton_ktls::KtlsMode::Off
        && baton_ktls::probe().available();
    Ok(if kernel {
        0
    } else {
        http::CacheConfig::default().images
    })
}

fn site_from_flags(p: &Args, root: http::Root) -> Result<http::Site, Failure> {
    let mut site = http::Site::new(root);
    for spec in &p.cache_control {
        site.cache.add_spec(spec).map_err(Failure::Usage)?;
    }
    site.precompressed = !p.no_precompressed;
    let d = http::Limits::default();
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    site.limits = http::Limits {
        max_head: size(number(
            p.max_head_bytes.as_deref(),
            "--max-head-bytes",
            256..=1 << 20,
            d.max_head as u64,
        )?),
        max_headers: size(number(
            p.max_headers.as_deref(),
            "--max-headers",
            1..=http::MAX_HEADERS_CAP as u64,
            d.max_headers as u64,
        )?),
        max_line: size(number(
            p.max_request_line.as_deref(),
            "--max-request-line",
            64..=1 << 20,
            d.max_line as u64,
        )?),
        max_requests: number(
            p.max_requests.as_deref(),
            "--max-requests",
            0..=u64::MAX,
            d.max_requests,
        )?,
        head_timeout: Duration::from_secs(number(
            p.head_timeout.as_deref(),
            "--head-timeout",
            1..=3600,
            d.head_timeout.as_secs(),
        )?),
    };
    let c = http::CacheConfig::default();
    site.open_files = http::CacheConfig {
        capacity: size(number(
            p.open_file_cache.as_deref(),
            "--open-file-cache",
            0..=1 << 20,
            c.capacity as u64,
        )?),
        valid: Duration::from_millis(number(
            p.open_file_cache_valid_ms.as_deref(),
            "--open-file-cache-valid-ms",
            0..=3_600_000,
            c.valid.as_millis() as u64,
        )?),
        images: number(
            p.file_images.as_deref(),
            "--file-images",
            0..=1 << 20,
            default_images(p)? >> 20,
        )? << 20,
    };
    Ok(site)
}

/// `--config`'s file, with its global settings merged under the flags (a
/// flag given wins); refuses the flags that belong to a site.
fn merge_config(p: &mut Args) -> Result<Option<crate::sites::FileSpec>, Failure> {
    let Some(file) = &p.config else {
        return Ok(None);
    };
    let per_site = [
        ("DIR", p.dir.is_some()),
        ("--cert", !p.cert.is_empty()),
        ("--key", !p.key.is_empty()),
        ("--cert-dir", p.cert_dir.is_some()),
        ("--ocsp", p.ocsp.is_some()),
        ("--policy", p.policy.is_some()),
        ("--cache-control", !p.cache_control.is_empty()),
        ("--client-auth", p.client_auth.client_auth.is_some()),
        ("--client-ca", p.client_auth.client_ca.is_some()),
    ];
    if let Some((flag, _)) = per_site.iter().find(|(_, given)| *given) {
        return Err(Failure::Usage(format!(
            "{flag} does not go with --config (set it in the file's sites)"
        )));
    }
    let spec = crate::sites::read(Path::new(file)).map_err(Failure::Usage)?;
    merge_globals(p, &spec);
    Ok(Some(spec))
}

/// The file's global settings, each where its flag was not given.
fn merge_globals(p: &mut Args, spec: &crate::sites::FileSpec) {
    let num = |n: Option<u64>| n.map(|n| n.to_string());
    let or = |flag: &mut Option<String>, v: Option<String>| {
        if flag.is_none() {
            *flag = v;
        }
    };
    or(&mut p.listen, spec.listen.clone());
    or(&mut p.workers, num(spec.workers));
    or(&mut p.ktls, spec.ktls.clone());
    or(&mut p.sign_threads, num(spec.sign_threads));
    or(&mut p.handshake_timeout, num(spec.handshake_timeout));
    or(&mut p.idle_timeout, num(spec.idle_timeout));
    or(&mut p.max_connections, num(spec.max_connections));
    or(&mut p.max_head_bytes, num(spec.max_head_bytes));
    or(&mut p.max_headers, num(spec.max_headers));
    or(&mut p.max_request_line, num(spec.max_request_line));
    or(&mut p.max_requests, num(spec.max_requests));
    or(&mut p.head_timeout, num(spec.head_timeout));
}

/// What a reload recomputes from the file's global settings (the flags
/// still win): the HTTP limits, variants and open-file cache every site
/// shares, with the session setup made at start.
fn reload_globals(
    flags: Args,
    sessions: Arc<crate::sessions::SessionSetup>,
) -> Box<crate::sites::Globals> {
    Box::new(move |spec| {
        let mut q = flags.clone();
        merge_globals(&mut q, spec);
        let root = &spec.sites[0].root;
        let root = http::Root::open(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let site = site_from_flags(&q, root).map_err(|e| match e {
            Failure::Usage(m) | Failure::Run(m) => m,
        })?;
        Ok(crate::sites::Common {
            limits: site.limits,
            precompressed: site.precompressed,
            open_files: site.open_files,
            sessions: Arc::clone(&sessions),
        })
    })
}

/// `baton serve`.
pub fn main(mut p: Args) -> Result<(), Failure> {
    let flags = p.clone();
    let spec = merge_config(&mut p)?;
    // One key set, cache and anti-replay store for every Config built here
    // (held until exit: it polls Redis for ticket keys).
    let sessions = Arc::new(crate::sessions::SessionSetup::start(
        &crate::sessions::SessionFlags {
            ticket_keys: p.ticket_keys.as_deref(),
            ticket_keys_poll: p.ticket_keys_poll.as_deref(),
            session_cache: p.session_cache.as_deref(),
            early_data: p.early_data,
            anti_replay: p.anti_replay.as_deref(),
            anti_replay_mode: p.anti_replay_mode.as_deref(),
        },
    )?);
    let dir = p.dir.as_deref().unwrap_or(".");
    let root = match &spec {
        // The sites have their own roots; this one only carries the limits.
        Some(spec) => &spec.sites[0].root,
        None => Path::new(dir),
    };
    let root = http::Root::open(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let site = site_from_flags(&p, root)?;
    let sites = match (&spec, &p.config) {
        (Some(spec), Some(file)) => {
            let common = crate::sites::Common {
                limits: site.limits.clone(),
                precompressed: site.precompressed,
                open_files: site.open_files,
                sessions: Arc::clone(&sessions),
            };
            let loaded = crate::sites::Sites::load(spec, &common)
                .map_err(|e| Failure::Usage(format!("{file}: {e}")))?;
            Some(Arc::new(crate::sites::Shared::new(
                file.into(),
                reload_globals(flags, Arc::clone(&sessions)),
                spec,
                loaded,
            )))
        }
        _ => None,
    };
    let idle_timeout = Duration::from_secs(number(
        p.idle_timeout.as_deref(),
        "--idle-timeout",
        1..=3600,
        IO_TIMEOUT.as_secs(),
    )?);
    let max_connections = number(
        p.max_connections.as_deref(),
        "--max-connections",
        1..=1 << 20,
        10_000,
    )?;
    let listen = p.listen.as_deref().unwrap_or("127.0.0.1:8443");

    let cert_files = crate::certs::CertFiles::new(&p.cert, &p.key, p.cert_dir.as_deref())
        .map_err(Failure::Usage)?
        .map(|files| files.with_ocsp(p.ocsp.as_deref()));
    if cert_files.is_none() && p.ocsp.is_some() {
        return Err(Failure::Usage("--ocsp needs --cert/--key".into()));
    }
    // Certificates from files sit in a resolver, which SIGHUP refills.
    let (certs, fingerprint) = match &cert_files {
        Some(files) => {
            let loaded = files.load()?;
            let resolver = Arc::new(baton::cert::CertResolver::new(loaded.store));
            (Certs::Files(resolver), None)
        }
        None if sites.is_some() => (Certs::Sites, None),
        None => {
            let (chain, der) = self_signed()?;
            (Certs::Generated(chain), Some(fingerprint(&der)))
        }
    };
    let workers = match &p.workers {
        None => 0,
        Some(n) => n.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Failure::Usage(format!("--workers wants a positive number, got {n:?}"))
        })?,
    };
    let ktls = ktls_mode(p.ktls.as_deref())?;
    let sign_threads = match &p.sign_threads {
        None => RuntimeConfig::default().sign_threads,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= 256)
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--sign-threads wants a number from 0 to 256, got {n:?}"
                ))
            })?,
    };
    let handshake_timeout = match &p.handshake_timeout {
        None => RuntimeConfig::default().handshake_timeout,
        Some(t) => t
            .parse::<u64>()
            .ok()
            .filter(|&t| (1..=3600).contains(&t))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--handshake-timeout wants seconds from 1 to 3600, got {t:?}"
                ))
            })?,
    };
    let mut b = baton::Config::builder_minimal();
    if let Some(name) = &p.policy {
        b.security_policy(name)
            .map_err(|e| Failure::Usage(format!("--policy {name}: {e}")))?;
    }
    let resolver = match certs {
        Certs::Files(resolver) => {
            b.set_cert_resolver(Arc::clone(&resolver));
            Some(resolver)
        }
        Certs::Generated(chain) => {
            b.add_cert_chain_and_key(chain);
            None
        }
        Certs::Sites => None,
    };
    // TLS 1.3 tickets (and TLS 1.2 ones), so returning clients resume.
    sessions.apply(&mut b, &[])?;
    b.set_alpn_preferences(&["http/1.1"])
        .map_err(|e| format!("setting ALPN: {e}"))?;
    apply_client_auth(&mut b, &p.client_auth)?;
    let config = match &sites {
        Some(sites) => sites.front_config()?,
        None => build(b)?,
    };
    let listen: SocketAddr = listen
        .parse()
        .map_err(|_| Failure::Usage(format!("--listen wants IP:PORT, got {listen:?}")))?;

    // Before any worker starts, so that none of them takes these signals,
    // and before the listener opens, so that one sent once the address is
    // printed is caught rather than killing the process.
    let mut signals =
        crate::signals::Listener::new().map_err(|e| format!("catching signals: {e}"))?;
    let cfg = RuntimeConfig {
        listen,
        workers,
        ktls,
        idle_timeout,
        max_connections_per_worker: usize::try_from(max_connections).unwrap_or(usize::MAX),
        handshake_timeout,
        sign_threads,
        ..Default::default()
    };
    let shown = match &p.config {
        Some(file) => format!("the sites of {file}"),
        None => site.root.path().display().to_string(),
    };
    let (access_log, metrics_addr) = observability(&p)?;
    let metrics = metrics_addr.map(|_| Arc::new(crate::metrics::Metrics::new()));
    let service = Arc::new(HttpService {
        site: Arc::new(site),
        sites: sites.clone(),
        quiet: p.quiet,
        access_log: access_log.clone(),
        metrics: metrics.clone(),
    });
    let rt =
        Runtime::start(cfg, config, service).map_err(|e| format!("listening on {listen}: {e}"))?;
    let addr = rt.local_addr();
    println!("serving {shown} at https://{addr}/");
    if let (Some(at), Some(metrics)) = (metrics_addr, metrics) {
        let log = access_log.clone();
        let dropped = move || log.as_ref().map_or(0, |l| l.dropped());
        let bound = crate::metrics::start(at, rt.stats_handle(), metrics, dropped)
            .map_err(|e| format!("--metrics {at}: {e}"))?;
        println!("metrics at http://{bound}/metrics");
    }
    if let Some(fp) = fingerprint {
        println!("certificate SHA-256 fingerprint: {fp}");
    }
    let _ = io::stdout().flush();

    loop {
        match signals.wait() {
            Ok(crate::signals::Signal::Report) => {
                for s in rt.stats() {
                    eprintln!("{s}");
                }
                for s in sessions.stats() {
                    eprintln!("{s}");
                }
            }
            Ok(crate::signals::Signal::Reload) => {
                if let Some(log) = &access_log {
                    log.reopen();
                }
                match (&cert_files, &resolver) {
                    // New connections get the new table; those open keep theirs.
                    _ if sites.is_some() => {
                        eprintln!("{}", sites.as_ref().map(|s| s.reload()).unwrap_or_default())
                    }
                    // Every worker's handshakes read the resolver the config shares.
                    (Some(files), Some(resolver)) => eprintln!("{}", files.reload(resolver)),
                    _ => eprintln!("SIGHUP: no certificate files to reload"),
                }
            }
            Ok(crate::signals::Signal::Terminate) => break,
            Err(e) => return Err(Failure::Run(format!("waiting for signals: {e}"))),
        }
    }
    eprintln!("shutting down");
    for s in rt.shutdown() {
        eprintln!("{s}");
    }
    // The workers have exited, handing over their last lines.
    if let Some(log) = &access_log {
        log.finish();
        if log.dropped() > 0 {
            eprintln!("access log: {} lines dropped", log.dropped());
        }
    }
    for s in sessions.stats() {
        eprintln!("{s}");
    }
    Ok(())
}

/// `--access-log` (started) and `--metrics` (parsed; started once the
/// runtime runs).
fn observability(p: &Args) -> Result<(Option<Arc<AccessLog>>, Option<SocketAddr>), Failure> {
    let format = match p.access_log_format.as_deref() {
        None => Format::Combined,
        Some(f) => Format::parse(f).ok_or_else(|| {
            Failure::Usage(format!(
                "--access-log-format wants combined or json, got {f:?}"
            ))
        })?,
    };
    let log = match p.access_log.as_deref() {
        None if p.access_log_format.is_some() => {
            return Err(Failure::Usage(
                "--access-log-format goes with --access-log".into(),
            ))
        }
        None => None,
        Some(path) => Some(Arc::new(
            AccessLog::start(path.into(), format)
                .map_err(|e| format!("--access-log {path}: {e}"))?,
        )),
    };
    let metrics = match p.metrics.as_deref() {
        None => None,
        Some(a) => Some(
            a.parse::<SocketAddr>()
                .map_err(|_| Failure::Usage(format!("--metrics wants IP:PORT, got {a:?}")))?,
        ),
    };
    Ok((log, metrics))
}

/// The server's certificates: from files (reloadable), or generated.
enum Certs {
    Files(Arc<baton::cert::CertResolver>),
    Generated(CertChainAndKey),
    /// `--config`: each site's Config has its own.
    Sites,
}

/// A fresh ECDSA P-256 certificate for localhost and 127.0.0.1, valid from
/// yesterday for 30 days. Returns it loaded, and its DER.
fn self_signed() -> Result<(CertChainAndKey, Vec<u8>), String> {
    let fail = |e: rcgen::Error| format!("generating a self-signed certificate: {e}");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(fail)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "baton serve (self-signed)");
    let now = std::time::SystemTime::now();
    let day = Duration::from_secs(24 * 3600);
    params.not_before = (now - day).into();
    params.not_after = (now + 30 * day).into();
    let cert = params.self_signed(&key).map_err(fail)?;
    let chain = CertChainAndKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
        .map_err(|e| format!("loading the generated certificate: {e}"))?;
    Ok((chain, cert.der().to_vec()))
}

/// `AA:BB:...`, the form browsers and `openssl x509 -fingerprint -sha256` show.
fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    let mut out = String::with_capacity(95);
    for (i, b) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// HTTP/1.1 static files as a runtime service.
struct HttpService {
    site: Arc<http::Site>,
    /// `--config`: requests are routed by SNI and Host.
    sites: Option<Arc<crate::sites::Shared>>,
    /// No per-request log lines.
    quiet: bool,
    access_log: Option<Arc<AccessLog>>,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Service for HttpService {
    type Handler = HttpHandler;
    fn connect(&self, peer: SocketAddr, session: &Session) -> HttpHandler {
        self.connect_ktls(peer, session, (false, false))
    }

    fn on_tick(&self) {
        if self.access_log.is_some() {
            crate::accesslog::tick();
        }
    }

    fn connect_ktls(&self, peer: SocketAddr, session: &Session, ktls: (bool, bool)) -> HttpHandler {
        let http = match &self.sites {
            Some(sites) => {
                let (site, router) = sites.router(session.server_name());
                http::HttpConn::with_router(site, router)
            }
            None => http::HttpConn::new(Arc::clone(&self.site)),
        };
        HttpHandler {
            http,
            peer,
            busy: false,
            head_since: None,
            quiet: self.quiet,
            access_log: self.access_log.clone(),
            counters: self.metrics.as_ref().map(|m| m.for_this_worker()),
            info: ConnInfo {
                peer,
                version: session.actual_protocol_version().and_then(|v| v.name()),
                suite: session.cipher_suite().and_then(|s| s.name()),
                resumed: session.is_resumed(),
                ktls,
            },
            arrived: None,
        }
    }
}

/// One connection: answers requests in order; while a file body is being
/// sent, later (pipelined) requests wait for `on_drained`.
struct HttpHandler {
    http: http::HttpConn,
    peer: SocketAddr,
    busy: bool,
    quiet: bool,
    /// When the request head now partly buffered began to arrive.
    head_since: Option<Instant>,
    access_log: Option<Arc<AccessLog>>,
    /// This worker's HTTP counters (with --metrics).
    counters: Option<Arc<HttpCounters>>,
    info: ConnInfo,
    /// With a log or metrics: when the bytes of the next request to answer
    /// began to arrive (a pipelined request counts from the receive that
    /// brought it, or an earlier one).
    arrived: Option<Instant>,
}

impl HttpHandler {
    /// One request's log line, in one write: `eprintln!` on unbuffered stderr
    /// issues a write(2) per formatted piece.
    fn log(&self, line: &dyn std::fmt::Display) {
        if !self.quiet {
            let line = format!("{} {line}\n", self.peer);
            let _ = io::stderr().write_all(line.as_bytes());
        }
    }

    /// An answer: counted (--metrics) and logged (--access-log, else stderr).
    fn record(&mut self, entry: &http::LogEntry) {
        let took = match self.arrived {
            Some(t) if self.counters.is_some() || self.access_log.is_some() => t.elapsed(),
            _ => Duration::ZERO,
        };
        // Bytes left over (pipelined) keep the arrival of the receive that
        // brought them or an earlier one.
        if !self.http.partial_head() {
            self.arrived = None;
        }
        if let Some(c) = &self.counters {
            c.record(entry.status, took);
        }
        match &self.access_log {
            Some(log) => log.record(entry, &self.info, took),
            None => self.log(entry),
        }
    }

    /// Notes when a request's first bytes arrive (only with a log or metrics,
    /// which want the latency).
    fn arriving(&mut self) {
        if self.arrived.is_none() && (self.counters.is_some() || self.access_log.is_some()) {
            self.arrived = Some(Instant::now());
        }
    }

    fn answer(&mut self, out: &mut Output) -> Flow {
        while !self.busy {
            match self.http.next() {
                http::Next::NeedMore => return self.time_head(),
                http::Next::Refuse { bytes, log } => {
                    self.record(&log);
                    out.extend_from_slice(&bytes);
                    return Flow::Close;
                }
                http::Next::Respond {
                    response,
                    keep_alive,
                    log,
                } => {
                    self.record(&log);
                    out.extend_from_slice(&response.bytes);
                    if let Some(part) = response.file {
                        match part.image {
                            Some(image) => {
                                out.send_file_image(part.file, part.offset, part.len, image)
                            }
                            None => out.send_file(part.file, part.offset, part.len),
                        }
                        self.busy = true;
                    }
                    if !keep_alive {
                        return Flow::Close;
                    }
                }
            }
        }
        self.time_head()
    }

    /// The slowloris guard: a request head that has been arriving for longer
    /// than the head timeout closes the connection (checked as bytes come;
    /// a client that sends nothing is closed by the idle timeout). The clock
    /// is read only while part of a head is buffered, never for a request
    /// that comes whole.
    fn time_head(&mut self) -> Flow {
        if self.busy || !self.http.partial_head() {
            self.head_since = None;
            return Flow::Continue;
        }
        let now = Instant::now();
        let since = *self.head_since.get_or_insert(now);
        if now.duration_since(since) > self.http.limits().head_timeout {
            self.log(&"- - head timeout");
            return Flow::Close;
        }
        Flow::Continue
    }
}

impl Handler for HttpHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        self.arriving();
        if !self.http.push(input) {
            return Flow::Close;
        }
        self.answer(out)
    }

    fn on_early_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        // Replayable: only GET and HEAD are answered (see HttpConn::push_early).
        self.arriving();
        if !self.http.push_early(input) {
            return Flow::Close;
        }
        self.answer(out)
    }

    fn on_drained(&mut self, out: &mut Output) -> Flow {
        self.busy = false;
        self.answer(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_format() {
        let fp = super::fingerprint(b"abc");
        // SHA-256("abc") = ba7816bf...
        assert!(fp.starts_with("BA:78:16:BF:"), "{fp}");
        assert_eq!(fp.len(), 32 * 3 - 1);
    }
}
