//! `baton serve`'s certificates from files: repeatable `--cert`/`--key`
//! pairs and `--cert-dir`, into one SNI store, loaded again on SIGHUP.
//!
//! Directory rule: every `NAME.key` (file names in byte order, hidden files
//! skipped) goes with `NAME.crt`, or else `NAME.pem`; a key without either
//! is an error, and certificates without a key (a CA bundle) are left
//! alone. Each certificate serves the DNS names of its subject alternative
//! names; the first pair (the first `--cert`, else the directory's first)
//! is also the default, for clients that send no name or one nothing
//! matches.

use baton::cert::{CertResolver, SniCertStore};
use baton::CertChainAndKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the certificates come from.
#[derive(Debug)]
pub struct CertFiles {
    pairs: Vec<(PathBuf, PathBuf)>,
    dir: Option<PathBuf>,
    /// A DER OCSP response stapled to the first (default) certificate; read
    /// at each load, so SIGHUP also picks up a renewed staple.
    ocsp: Option<PathBuf>,
}

/// What a load found.
#[derive(Debug)]
pub struct Loaded {
    pub store: SniCertStore,
    /// Certificates loaded.
    pub certs: usize,
}

impl CertFiles {
    /// From the command line's `--cert`s, `--key`s (in pairs, in order) and
    /// `--cert-dir`; `None` when none is given.
    pub fn new(
        certs: &[String],
        keys: &[String],
        dir: Option<&str>,
    ) -> Result<Option<Self>, String> {
        if certs.len() != keys.len() {
            return Err(format!(
                "--cert and --key go in pairs: {} --cert, {} --key",
                certs.len(),
                keys.len()
            ));
        }
        if certs.is_empty() && dir.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            pairs: certs
                .iter()
                .zip(keys)
                .map(|(c, k)| (PathBuf::from(c), PathBuf::from(k)))
                .collect(),
            dir: dir.map(PathBuf::from),
            ocsp: None,
        }))
    }

    /// Staples the DER OCSP response in `file` (if any) to the first
    /// certificate at every load.
    pub fn with_ocsp(mut self, file: Option<&str>) -> Self {
        self.ocsp = file.map(PathBuf::from);
        self
    }

    /// Every pair: the command line's, then the directory's.
    fn all_pairs(&self) -> Result<Vec<(PathBuf, PathBuf)>, String> {
        let mut pairs = self.pairs.clone();
        if let Some(dir) = &self.dir {
            pairs.extend(dir_pairs(dir)?);
        }
        if pairs.is_empty() {
            return Err("no certificate found (no NAME.key in --cert-dir)".into());
        }
        Ok(pairs)
    }

    /// Loads every pair into a fresh store; the first error stops it (the
    /// caller keeps what it had).
    pub fn load(&self) -> Result<Loaded, String> {
        let mut store = SniCertStore::new();
        let pairs = self.all_pairs()?;
        for (i, (cert, key)) in pairs.iter().enumerate() {
            let ck = CertChainAndKey::from_pem_files(cert, key)
                .map_err(|e| format!("loading {} and {}: {e}", cert.display(), key.display()))?;
            if let (0, Some(file)) = (i, &self.ocsp) {
                let der = std::fs::read(file)
                    .map_err(|e| format!("reading --ocsp {}: {e}", file.display()))?;
                ck.set_ocsp_response(&der)
                    .map_err(|e| format!("--ocsp {}: {}", file.display(), e.message()))?;
            }
            let ck = Arc::new(ck);
            if i == 0 {
                store.add_default(Arc::clone(&ck));
            }
            // A certificate with no DNS name (an IP address only) can
            // still be the default.
            if let Err(e) = store.add(Arc::clone(&ck)) {
                if i != 0 {
                    return Err(format!("{}: {e}", cert.display()));
                }
            }
        }
        Ok(Loaded {
            store,
            certs: pairs.len(),
        })
    }

    /// Loads again and, if every file loaded, swaps the resolver's store
    /// (handshakes under way finish with the old one). Returns a line to
    /// log either way.
    pub fn reload(&self, resolver: &CertResolver) -> String {
        match self.load() {
            Ok(loaded) => {
                let names = loaded.store.name_count();
                resolver.replace(loaded.store);
                format!("reloaded {} certificates for {names} names", loaded.certs)
            }
            Err(e) => format!("reload failed, keeping the certificates in use: {e}"),
        }
    }
}

/// The `NAME.key` + `NAME.crt`/`NAME.pem` pairs of `dir`, in name order.
fn dir_pairs(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut keys: Vec<PathBuf> = Vec::new();
    for e in entries {
        let path = e
            .map_err(|e| format!("reading {}: {e}", dir.display()))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with('.') && name.ends_with(".key") && path.is_file() {
            keys.push(path);
        }
    }
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let cert = ["crt", "pem"]
                .iter()
                .map(|ext| key.with_extension(ext))
                .find(|c| c.is_file())
                .ok_or_else(|| {
                    format!(
                        "{}: no certificate next to it (.crt or .pem)",
                        key.display()
                    )
                })?;
            Ok((cert, key))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data")
            .join(name)
    }

    #[test]
    fn pairs_must_match_and_nothing_means_none() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(CertFiles::new(&s(&["a"]), &[], None).is_err());
        assert!(CertFiles::new(&[], &[], None).unwrap().is_none());
    }

    #[test]
    fn directory_pairs_by_name_and_a_lone_key_is_an_error() {
        let dir = std::env::temp_dir().join(format!("baton-certs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let copy = |from: &str, to: &str| std::fs::copy(data(from), dir.join(to)).unwrap();
        copy("server-rsa.pem", "b.crt");
        copy("server-rsa.key", "b.key");
        copy("server-p256-chain.pem", "a.pem");
        copy("server-p256.key", "a.key");
        copy("ca-rsa.pem", "bundle.pem");
        copy("server-p384.key", ".hidden.key");
        let files = CertFiles::new(&[], &[], dir.to_str()).unwrap().unwrap();
        let pairs = files.all_pairs().unwrap();
        let names: Vec<_> = pairs
            .iter()
            .map(|(c, _)| c.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.pem", "b.crt"]);
        let loaded = files.load().unwrap();
        assert_eq!(loaded.certs, 2);
        copy("server-p384.key", "c.key");
        let e = files.load().unwrap_err();
        assert!(e.contains("c.key"), "{e}");
        let resolver = CertResolver::new(SniCertStore::new());
        assert!(files.reload(&resolver).starts_with("reload failed"));
        assert!(resolver.current().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
