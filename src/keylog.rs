//! Key logging in the NSS key log format, for decrypting captures with
//! Wireshark while debugging. Off unless a [`KeyLog`] is set with
//! [`ConfigBuilder::set_key_log`](crate::ConfigBuilder::set_key_log).
//!
//! **Warning:** a key log holds the secrets of every connection it sees:
//! anyone who reads it can decrypt those connections. Never enable it in
//! production, and keep the file private.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Receives each secret of a handshake: the NSS label (`CLIENT_RANDOM`,
/// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, ...), the connection's client random
/// and the secret. Any `Fn(&str, &[u8], &[u8]) + Send + Sync` is one.
pub trait KeyLog: Send + Sync {
    /// Called once per secret, on the thread driving the handshake.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

impl<F: Fn(&str, &[u8], &[u8]) + Send + Sync> KeyLog for F {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self(label, client_random, secret)
    }
}

/// A [`KeyLog`] that appends `LABEL <client_random hex> <secret hex>` lines to
/// a file, as curl and browsers do with `SSLKEYLOGFILE`. Each line goes out in
/// one write under a lock, so lines from concurrent connections never mix.
pub struct KeyLogFile {
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Opens (or creates) `path` for appending.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// The key log named by `$SSLKEYLOGFILE`, or `None` when that is unset or
    /// empty. A file that cannot be opened is an error: the user asked for it.
    pub fn from_env() -> std::io::Result<Option<Arc<Self>>> {
        match std::env::var_os("SSLKEYLOGFILE") {
            Some(path) if !path.is_empty() => Ok(Some(Arc::new(Self::open(path)?))),
            _ => Ok(None),
        }
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line =
            String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        for b in client_random {
            let _ = write!(line, "{b:02x}");
        }
        line.push(' ');
        for b in secret {
            let _ = write!(line, "{b:02x}");
        }
        line.push('\n');
        // A failed write only loses debugging output; the handshake goes on.
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
        zeroize::Zeroize::zeroize(&mut line);
    }
}

impl core::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lines_are_nss_format_and_appended() {
        let dir = std::env::temp_dir().join(format!("baton-keylog-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        std::fs::write(&dir, "EXISTING\n").unwrap();
        let log = KeyLogFile::open(&dir).unwrap();
        log.log("CLIENT_RANDOM", &[0x01, 0xab], &[0xff, 0x00, 0x10]);
        log.log("EXPORTER_SECRET", &[0x02], &[0x03]);
        let text = std::fs::read_to_string(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(
            text,
            "EXISTING\nCLIENT_RANDOM 01ab ff0010\nEXPORTER_SECRET 02 03\n"
        );
    }
}
