//! The PKI of the certificate-status tests (`tests/data/status/mkpki.sh`),
//! made once per test process; shared with the CLI tests.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory `mkpki.sh` filled (once per test process).
pub fn pki() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch_dir().join("status-pki");
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("sh")
            .arg(data("status/mkpki.sh"))
            .arg(&dir)
            .output()
            .expect("running mkpki.sh");
        assert!(
            out.status.success(),
            "mkpki.sh failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(dir.join("openssl.log")).unwrap_or_default()
        );
        dir
    })
}

/// A file of the PKI, as a path argument.
pub fn pki_path(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

/// A file of the PKI, read.
pub fn pki_read(name: &str) -> Vec<u8> {
    std::fs::read(pki().join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}
