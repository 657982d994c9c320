//! The trust store: anchors from PEM buffers, files, directories and the
//! system's bundles.

use crate::error::Error;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::read_file;

/// Bundle files tried, in order, by [`TrustStore::add_system_defaults`] after the
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` environment variables.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7+
    "/etc/ssl/cert.pem",                  // Alpine, macOS-like layouts
];

/// Trust anchors for validating peers.
///
/// Cloning is cheap (the anchors are shared until one clone is modified).
#[derive(Clone, Default)]
pub(crate) struct TrustStore {
    pub(super) anchors: Arc<Vec<TrustAnchor<'static>>>,
    /// CRLs every chain validated against these anchors is checked with.
    pub(crate) crls: super::revocation::Crls,
}

impl TrustStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds one DER certificate as a trust anchor. `Ok(true)` if new, `Ok(false)`
    /// if an identical anchor (same subject and key) is already present.
    fn add_der(&mut self, der: &CertificateDer<'_>) -> Result<bool, webpki::Error> {
        let anchor = webpki::anchor_from_trusted_cert(der)?.to_owned();
        let dup = self.anchors.iter().any(|a| {
            a.subject.as_ref() == anchor.subject.as_ref()
                && a.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
        });
        if dup {
            return Ok(false);
        }
        Arc::make_mut(&mut self.anchors).push(anchor);
        Ok(true)
    }

    /// Adds every CERTIFICATE in a PEM buffer. Error if none parse.
    ///
    /// Returns how many new anchors were added (duplicates of anchors already in
    /// the store are accepted but not stored twice). Certificates that fail to
    /// parse are skipped, as long as at least one parses.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        let mut parsed = 0usize;
        let mut added = 0usize;
        let mut last_err: Option<String> = None;
        for item in CertificateDer::pem_slice_iter(pem) {
            let der = match item {
                Ok(der) => der,
                Err(e) => {
                    // A malformed PEM section ends the iteration: everything after it is suspect.
                    last_err = Some(format!("malformed PEM: {e}"));
                    break;
                }
            };
            match self.add_der(&der) {
                Ok(new) => {
                    parsed += 1;
                    added += usize::from(new);
                }
                Err(e) => last_err = Some(format!("invalid certificate: {e}")),
            }
        }
        if parsed == 0 {
            return Err(Error::usage(match last_err {
                Some(e) => format!("no trust anchor could be loaded ({e})"),
                None => "no CERTIFICATE found in trust store PEM".to_owned(),
            }));
        }
        Ok(added)
    }

    /// A PEM file, or a directory of PEM files (`*.pem`, `*.crt`, OpenSSL hash links).
    ///
    /// In a directory, unreadable or unparseable files are skipped; it is an
    /// error if no certificate at all could be loaded from it.
    pub(crate) fn add_location(&mut self, path: &Path) -> Result<usize, Error> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        if !meta.is_dir() {
            let pem = read_file(path)?;
            return self
                .add_pem(&pem)
                .map_err(|e| Error::usage(format!("{}: {}", path.display(), e.message())));
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = entry.file_name();
                if !is_trust_file_name(&name.to_string_lossy()) {
                    return None;
                }
                // Regular files and symlinks to regular files only.
                let file_type = entry.file_type().ok()?;
                if !(file_type.is_file() || file_type.is_symlink()) {
                    return None;
                }
                let p = entry.path();
                std::fs::metadata(&p).ok()?.is_file().then_some(p)
            })
            .collect();
        files.sort();
        let mut loaded_any = false;
        let mut added = 0usize;
        for file in files {
            let Ok(pem) = std::fs::read(&file) else {
                continue;
            };
            if let Ok(n) = self.add_pem(&pem) {
                loaded_any = true;
                added += n;
            }
        }
        if !loaded_any {
            return Err(Error::usage(format!(
                "no trust anchor could be loaded from directory {}",
                path.display()
            )));
        }
        Ok(added)
    }

    /// The system's default trust store (SSL_CERT_FILE / SSL_CERT_DIR, then Debian, RHEL, Alpine, SUSE locations).
    pub(crate) fn add_system_defaults(&mut self) -> Result<usize, Error> {
        self.add_system_from(
            std::env::var_os("SSL_CERT_FILE"),
            std::env::var_os("SSL_CERT_DIR"),
            SYSTEM_BUNDLES,
        )
    }

    /// [`add_system_defaults`](Self::add_system_defaults) with its inputs spelled out.
    ///
    /// When the environment names a file or directories that exist, only those are
    /// used (as OpenSSL does). Otherwise the first bundle in `bundles` that exists.
    pub(super) fn add_system_from(
        &mut self,
        env_file: Option<OsString>,
        env_dir: Option<OsString>,
        bundles: &[&str],
    ) -> Result<usize, Error> {
        let mut env_paths: Vec<PathBuf> = Vec::new();
        if let Some(f) = env_file.filter(|f| !f.is_empty()) {
            env_paths.push(PathBuf::from(f));
        }
        if let Some(d) = env_dir.filter(|d| !d.is_empty()) {
            // Like OpenSSL, SSL_CERT_DIR may list several directories.
            env_paths.extend(std::env::split_paths(&d).filter(|p| !p.as_os_str().is_empty()));
        }
        let env_paths: Vec<PathBuf> = env_paths.into_iter().filter(|p| p.exists()).collect();
        if !env_paths.is_empty() {
            let mut added = 0usize;
            let mut last_err = None;
            let mut loaded_any = false;
            for p in &env_paths {
                match self.add_location(p) {
                    Ok(n) => {
                        loaded_any = true;
                        added += n;
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            return match (loaded_any, last_err) {
                (false, Some(e)) => Err(e),
                _ => Ok(added),
            };
        }
        for bundle in bundles {
            let p = Path::new(bundle);
            if p.is_file() {
                return self.add_location(p);
            }
        }
        Err(Error::usage(
            "no system trust store found (set SSL_CERT_FILE or SSL_CERT_DIR)",
        ))
    }

    /// This store with `extra` CRLs (a lookup callback's, for one chain).
    pub(crate) fn with_extra_crls(
        &self,
        extra: Vec<Arc<webpki::CertRevocationList<'static>>>,
    ) -> Self {
        Self {
            anchors: Arc::clone(&self.anchors),
            crls: self.crls.with_extra(extra),
        }
    }

    pub(crate) fn wipe(&mut self) {
        self.anchors = Arc::default();
    }

    pub(crate) fn len(&self) -> usize {
        self.anchors.len()
    }
}

/// Whether a directory entry looks like a certificate file: `*.pem`, `*.crt`, or an
/// OpenSSL hash name (`0123abcd.0`; `c_rehash` uses 8 hex digits, a dot, a number).
pub(super) fn is_trust_file_name(name: &str) -> bool {
    if name.ends_with(".pem") || name.ends_with(".crt") {
        return true;
    }
    match name.split_once('.') {
        Some((hash, n)) => {
            hash.len() == 8
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

impl core::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TrustStore({} anchors)", self.len())
    }
}
