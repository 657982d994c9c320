//! `baton serve --config FILE`: several sites from a TOML file, each with
//! its names, root, certificates and policy, reloaded on SIGHUP.
//!
//! Routing rule (one table for TLS and HTTP, so a client cannot reach one
//! tenant's files over another tenant's certificate):
//! - The handshake's site is the one whose names match the SNI (exact, or a
//!   `*.example.com` wildcard one label deep), else the `default = true`
//!   site; with neither, the handshake fails with `unrecognized_name`. The
//!   ClientHello callback swaps in that site's prepared Config (policy,
//!   client auth, and a resolver holding its certificates).
//! - A request's site is the one its `Host` (port stripped, any case)
//!   matches, else the default site; a request without `Host` gets the
//!   handshake's site. It must be the handshake's site: otherwise 421
//!   Misdirected Request (RFC 9110 §15.5.20), which tells the client to use
//!   another connection. This holds without SNI too (the handshake was the
//!   default site's), or a client could skip a site's policy or client auth
//!   by leaving the SNI out.
//!
//! A reload builds the whole table anew (files read, certificates loaded,
//! Configs built) and swaps it only if all of that worked; handshakes and
//! connections that began before go on with the table they started with.

use crate::http;
use crate::sessions::SessionSetup;
use baton::cert::{CertResolver, SniCertStore};
use baton::{AlertDescription, CertChainAndKey, ClientHelloAction, Config};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The file as written: global settings (flags given on the command line
/// win) and the sites.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub listen: Option<String>,
    pub workers: Option<u64>,
    pub ktls: Option<String>,
    pub sign_threads: Option<u64>,
    pub handshake_timeout: Option<u64>,
    pub idle_timeout: Option<u64>,
    pub max_connections: Option<u64>,
    pub max_head_bytes: Option<u64>,
    pub max_headers: Option<u64>,
    pub max_request_line: Option<u64>,
    pub max_requests: Option<u64>,
    pub head_timeout: Option<u64>,
    #[serde(rename = "site", default)]
    pub sites: Vec<SiteSpec>,
}

/// One `[[site]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// SNI and `Host` names: exact, or `*.example.com`.
    pub names: Vec<String>,
    pub root: PathBuf,
    /// Certificate chain(s), PEM; each goes with the `key` in its position.
    pub cert: OneOrMany,
    pub key: OneOrMany,
    pub policy: Option<String>,
    /// The site for names no site has (and clients without SNI).
    #[serde(default)]
    pub default: bool,
    /// `Cache-Control` by path prefix.
    #[serde(default)]
    pub cache_control: BTreeMap<String, String>,
    /// none (default), optional or required.
    pub client_auth: Option<String>,
    pub client_ca: Option<String>,
}

/// A path, or a list of them.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    fn list(&self) -> &[PathBuf] {
        match self {
            OneOrMany::One(p) => std::slice::from_ref(p),
            OneOrMany::Many(v) => v,
        }
    }
}

/// Reads and parses `path`; relative paths inside are taken from the file's
/// directory, so the file means the same whatever the working directory.
pub fn read(path: &Path) -> Result<FileSpec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut spec = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    for s in &mut spec.sites {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut s.root);
        for list in [&mut s.cert, &mut s.key] {
            match list {
                OneOrMany::One(p) => fix(p),
                OneOrMany::Many(v) => v.iter_mut().for_each(fix),
            }
        }
        if let Some(ca) = &mut s.client_ca {
            if Path::new(ca).is_relative() {
                *ca = base.join(&*ca).to_string_lossy().into_owned();
            }
        }
    }
    Ok(spec)
}

/// Parses the text and checks what needs no file: at least one site, names
/// well formed and each in one site only, one default at most, certificates
/// and keys in pairs.
pub fn parse(text: &str) -> Result<FileSpec, String> {
    // toml's message names the unknown key or missing field and its line.
    let spec: FileSpec = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
    if spec.sites.is_empty() {
        return Err("no [[site]]".into());
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut default = None;
    for (i, s) in spec.sites.iter().enumerate() {
        let label = format!("site {} ({})", i + 1, s.root.display());
        if s.names.is_empty() {
            return Err(format!("{label}: `names` is empty"));
        }
        for name in &s.names {
            let n = normalize(name);
            if !valid_name(&n) {
                return Err(format!("{label}: not a DNS name: {name:?}"));
            }
            if let Some(j) = seen.insert(n, i) {
                return Err(format!("{label}: name {name:?} is also in site {}", j + 1));
            }
        }
        if s.default {
            if let Some(j) = default.replace(i) {
                return Err(format!("{label}: site {} is already the default", j + 1));
            }
        }
        let (c, k) = (s.cert.list().len(), s.key.list().len());
        if c != k || c == 0 {
            return Err(format!(
                "{label}: `cert` and `key` go in pairs: {c} cert, {k} key"
            ));
        }
    }
    Ok(spec)
}

/// Lowercase, without a trailing dot.
fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A DNS name, or `*.` and one.
fn valid_name(n: &str) -> bool {
    let host = n.strip_prefix("*.").unwrap_or(n);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// `Host` without its port (`name:443`, `[::1]:443`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// One site, ready: what HTTP serves and the Config its handshakes get.
#[derive(Debug)]
pub struct Site {
    pub http: Arc<http::Site>,
    pub config: Config,
}

/// The sites and their names, built whole by [`Sites::load`].
#[derive(Debug)]
pub struct Sites {
    pub sites: Vec<Site>,
    exact: HashMap<String, usize>,
    /// `*.parent` names by parent.
    wildcard: HashMap<String, usize>,
    default: Option<usize>,
}

/// What every site shares (from the global settings and flags).
#[derive(Debug, Clone)]
pub struct Common {
    pub limits: http::Limits,
    pub precompressed: bool,
    /// `--open-file-cache`, `--open-file-cache-valid-ms` and `--file-images`.
    pub open_files: http::CacheConfig,
    /// Ticket keys, session cache and early data, shared by the sites.
    pub sessions: Arc<SessionSetup>,
}

impl Sites {
    /// Loads every root, certificate and CA of `spec` and builds each
    /// site's Config; the first failure names its file. The sites share
    /// one ticket key set (and Redis store, if any), each under the
    /// resumption context of its names, policy and client auth: a reload
    /// that leaves a site alone keeps its sessions resuming, a changed site
    /// starts afresh (a session agreed without client auth must not resume
    /// where it is now required), and no site resumes another's.
    pub fn load(spec: &FileSpec, common: &Common) -> Result<Self, String> {
        let mut sites = Vec::new();
        let (mut exact, mut wildcard) = (HashMap::new(), HashMap::new());
        let mut default = None;
        for (i, s) in spec.sites.iter().enumerate() {
            let root =
                http::Root::open(&s.root).map_err(|e| format!("root {}: {e}", s.root.display()))?;
            let mut site = http::Site::new(root);
            for (prefix, value) in &s.cache_control {
                site.cache
                    .add(prefix, value)
                    .map_err(|e| format!("cache_control {prefix:?}: {e}"))?;
            }
            site.precompressed = common.precompressed;
            site.limits = common.limits.clone();
            site.open_files = common.open_files;
            sites.push(Site {
                http: Arc::new(site),
                config: site_config(s, &common.sessions)?,
            });
            for name in &s.names {
                let n = normalize(name);
                match n.strip_prefix("*.") {
                    Some(parent) => wildcard.insert(parent.to_owned(), i),
                    None => exact.insert(n, i),
                };
            }
            if s.default {
                default = Some(i);
            }
        }
        Ok(Self {
            sites,
            exact,
            wildcard,
            default,
        })
    }

    /// The site `name` (SNI, or `Host` without its port) belongs to.
    fn lookup(&self, name: &str) -> Option<usize> {
        let n = normalize(name);
        if let Some(&i) = self.exact.get(&n) {
            return Some(i);
        }
        let (_, parent) = n.split_once('.')?;
        self.wildcard.get(parent).copied()
    }

    /// The handshake's site: the SNI's, else the default.
    fn for_sni(&self, sni: Option<&str>) -> Option<usize> {
        sni.and_then(|n| self.lookup(n)).or(self.default)
    }
}

/// What a site's sessions depend on (its names, policy, client auth and
/// the client CAs' bytes), hashed into its resumption context.
fn resumption_context(s: &SiteSpec) -> Result<[u8; 32], String> {
    let mut names: Vec<String> = s.names.iter().map(|n| normalize(n)).collect();
    names.sort();
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let described = format!("{names:?} {:?} {:?}", s.policy, s.client_auth);
    ctx.update(&(described.len() as u64).to_be_bytes());
    ctx.update(described.as_bytes());
    if let Some(ca) = &s.client_ca {
        let pem = std::fs::read(ca).map_err(|e| format!("client_ca {ca}: {e}"))?;
        ctx.update(&pem);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Ok(out)
}

/// A site's Config: its policy, client auth, the shared sessions under its
/// resumption context, and its
/// certificates behind an SNI resolver (the first pair also for names none
/// of them has).
fn site_config(s: &SiteSpec, sessions: &SessionSetup) -> Result<Config, String> {
    let mut b = Config::builder_minimal();
    if let Some(name) = &s.policy {
        b.security_policy(name)
            .map_err(|e| format!("policy {name}: {e}"))?;
    }
    let mut store = SniCertStore::new();
    for (i, (cert, key)) in s.cert.list().iter().zip(s.key.list()).enumerate() {
        let ck = CertChainAndKey::from_pem_files(cert, key)
            .map_err(|e| format!("loading {} and {}: {e}", cert.display(), key.display()))?;
        let ck = Arc::new(ck);
        if i == 0 {
            store.add_default(Arc::clone(&ck));
        }
        // A certificate without a DNS name is still the default.
        let _ = store.add(ck);
    }
    b.set_cert_resolver(Arc::new(CertResolver::new(store)));
    sessions.apply(&mut b, &resumption_context(s)?)?;
    b.set_alpn_preferences(&["http/1.1"])
        .map_err(|e| format!("setting ALPN: {e}"))?;
    let auth = crate::args::ClientAuthArgs {
        client_auth: s.client_auth.clone(),
        client_ca: s.client_ca.clone(),
    };
    crate::apply_client_auth(&mut b, &auth).map_err(|e| match e {
        crate::Failure::Usage(m) | crate::Failure::Run(m) => m.replace("--", ""),
    })?;
    crate::build(b).map_err(|e| match e {
        crate::Failure::Usage(m) | crate::Failure::Run(m) => m,
    })
}

/// What the sites share, from a file's global settings (and the flags).
pub type Globals = dyn Fn(&FileSpec) -> Result<Common, String> + Send + Sync;

/// The table in use, replaced whole by a reload.
pub struct Shared {
    file: PathBuf,
    globals: Box<Globals>,
    /// The settings only a restart applies, as the process started with.
    restart_only: Vec<(&'static str, Option<String>)>,
    current: RwLock<Arc<Sites>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("file", &self.file)
            .field("sites", &self.current().sites.len())
            .finish()
    }
}

/// The global settings the runtime takes at start (its listener, workers,
/// and their timeouts): a reload names those it cannot apply.
fn restart_only(spec: &FileSpec) -> Vec<(&'static str, Option<String>)> {
    let n = |v: Option<u64>| v.map(|v| v.to_string());
    vec![
        ("listen", spec.listen.clone()),
        ("workers", n(spec.workers)),
        ("ktls", spec.ktls.clone()),
        ("sign_threads", n(spec.sign_threads)),
        ("handshake_timeout", n(spec.handshake_timeout)),
        ("idle_timeout", n(spec.idle_timeout)),
        ("max_connections", n(spec.max_connections)),
    ]
}

impl Shared {
    /// The table loaded from `file` (whose settings were `spec`);
    /// `globals` recomputes what the sites share when the file is read
    /// again.
    pub fn new(file: PathBuf, globals: Box<Globals>, spec: &FileSpec, sites: Sites) -> Self {
        Self {
            file,
            globals,
            restart_only: restart_only(spec),
            current: RwLock::new(Arc::new(sites)),
        }
    }

    /// The table now (a poisoned lock still holds a whole table: the swap
    /// is one assignment).
    pub fn current(&self) -> Arc<Sites> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the file again and, if all of it loads, swaps the table: new
    /// sites, and the global HTTP limits, for new connections. The settings
    /// of the runtime itself (listen, workers, ...) take a restart; the line
    /// says which of them changed. Returns a line to log.
    pub fn reload(&self) -> String {
        let loaded = read(&self.file).and_then(|spec| {
            let common = (self.globals)(&spec)?;
            Ok((Sites::load(&spec, &common)?, restart_only(&spec)))
        });
        match loaded {
            Ok((sites, now)) => {
                let n = sites.sites.len();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(sites);
                let changed: Vec<&str> = now
                    .iter()
                    .zip(&self.restart_only)
                    .filter(|(a, b)| a.1 != b.1)
                    .map(|(a, _)| a.0)
                    .collect();
                let mut line = format!("reloaded {}: {n} sites", self.file.display());
                if !changed.is_empty() {
                    line += &format!(" ({} changed: they take a restart)", changed.join(", "));
                }
                line
            }
            Err(e) => format!("reload failed, keeping the sites in use: {e}"),
        }
    }

    /// The Config every connection starts with: its ClientHello callback
    /// swaps in the SNI's site's Config from the table of the moment.
    pub fn front_config(self: &Arc<Self>) -> Result<Config, String> {
        let mut b = Config::builder_minimal();
        // Never used: every handshake is swapped or refused first.
        b.set_cert_resolver(Arc::new(CertResolver::new(SniCertStore::new())));
        b.set_alpn_preferences(&["http/1.1"])
            .map_err(|e| format!("setting ALPN: {e}"))?;
        let shared = Arc::clone(self);
        b.set_client_hello_callback(move |hello| {
            let sites = shared.current();
            match sites.for_sni(hello.server_name()) {
                Some(i) => ClientHelloAction::SwapConfig(sites.sites[i].config.clone()),
                None => ClientHelloAction::Reject(AlertDescription::UNRECOGNIZED_NAME),
            }
        });
        crate::build(b).map_err(|e| match e {
            crate::Failure::Usage(m) | crate::Failure::Run(m) => m,
        })
    }

    /// A connection's router, over the table of the moment.
    pub fn router(&self, sni: Option<&str>) -> (Arc<http::Site>, Box<dyn http::Router>) {
        let sites = self.current();
        let hs = sites.for_sni(sni);
        // The limits of the handshake's site; all sites share them today.
        let limits_site = Arc::clone(&sites.sites[hs.unwrap_or(0)].http);
        let router = ConnRouter {
            sites,
            handshake: hs,
        };
        (limits_site, Box::new(router))
    }
}

/// One connection's view: the table it began with and its handshake's site.
#[derive(Debug)]
struct ConnRouter {
    sites: Arc<Sites>,
    handshake: Option<usize>,
}

impl http::Router for ConnRouter {
    fn route(&self, host: Option<&str>) -> Result<Arc<http::Site>, u16> {
        let site = match host {
            None => self.handshake,
            Some(h) => self.sites.lookup(host_name(h)).or(self.sites.default),
        };
        match site {
            Some(i) if Some(i) == self.handshake => Ok(Arc::clone(&self.sites.sites[i].http)),
            _ => Err(421),
        }
    }
}

#[cfg(test)]
#[path = "sites_tests.rs"]
mod tests;
