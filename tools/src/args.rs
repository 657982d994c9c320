//! The command-line options several subcommands share, as clap argument
//! groups (flattened into each subcommand's `Args`), and the small value
//! parsers they use. Values are kept as strings and checked where they are
//! applied, so that each error names its flag the way the tests expect.

/// `--policy` and `--alpn`, shared by `client` and `server`.
#[derive(clap::Args, Debug, Default)]
pub struct PolicyAlpn {
    /// security policy (default: the library's default)
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// ALPN protocols in preference order, comma-separated (e.g. h2,http/1.1)
    #[arg(long, value_name = "LIST")]
    pub alpn: Option<String>,
}

/// A TLS 1.3 external PSK, shared by `client` and `server`. Its `Debug`
/// leaves the secret out.
#[derive(clap::Args, Default)]
#[command(next_help_heading = "External PSK (TLS 1.3)")]
pub struct PskArgs {
    /// a TLS 1.3 external PSK: its identity (sent in the clear)
    #[arg(long, value_name = "ID")]
    pub psk_identity: Option<String>,
    /// ... and its secret, 16 to 64 bytes in hex (a random key, never a
    /// password); give both or neither
    #[arg(long, value_name = "HEX")]
    pub psk_secret: Option<String>,
    /// ... and the hash it is bound to: sha256 (default) or sha384
    #[arg(long, value_name = "HASH")]
    pub psk_hash: Option<String>,
}

impl std::fmt::Debug for PskArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PskArgs")
            .field("psk_identity", &self.psk_identity)
            .field(
                "psk_secret",
                &self.psk_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("psk_hash", &self.psk_hash)
            .finish()
    }
}

/// The server's client authentication, shared by `server` and `serve`.
#[derive(clap::Args, Clone, Debug, Default)]
#[command(next_help_heading = "Client authentication (mutual TLS)")]
pub struct ClientAuthArgs {
    /// ask clients for a certificate: none (default), optional (a client
    /// without one connects unauthenticated) or required
    #[arg(long, value_name = "MODE")]
    pub client_auth: Option<String>,
    /// the CAs (PEM) that issue client certificates; needed with
    /// --client-auth optional|required, and the only ones trusted
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<String>,
}

/// Splits a comma-separated ALPN list (`h2,http/1.1`), rejecting empty entries.
pub fn alpn_list(list: &str) -> Result<Vec<String>, String> {
    let v: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    if v.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(format!(
            "bad ALPN list {list:?}: expected names of 1 to 255 bytes separated by commas"
        ));
    }
    Ok(v)
}

/// Decodes a hex string (upper or lower case, an even number of digits).
/// The error names the first bad digit's position, never the value: the
/// string may be a secret.
pub fn hex(s: &str) -> Result<Vec<u8>, String> {
    let digit = |i: usize, c: u8| {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("not hex: character {} is not 0-9, a-f or A-F", i + 1))
    };
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err("empty: expected hex digits".into());
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(format!(
            "{} hex digits: expected an even number (two per byte)",
            bytes.len()
        ));
    }
    bytes
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| Ok(digit(2 * i, pair[0])? << 4 | digit(2 * i + 1, pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex("00ff7Aa0").unwrap(), [0x00, 0xff, 0x7a, 0xa0]);
        assert!(hex("").unwrap_err().contains("empty"));
        assert!(hex("abc").unwrap_err().contains("3 hex digits"));
        let e = hex("00g1").unwrap_err();
        assert!(e.contains("character 3"), "{e}");
        assert!(
            !e.contains("00g1"),
            "the error never repeats the secret: {e}"
        );
        assert!(hex("é0").is_err());
    }

    #[test]
    fn alpn() {
        assert_eq!(alpn_list("h2,http/1.1").unwrap(), ["h2", "http/1.1"]);
        assert!(alpn_list("h2,,x").is_err());
    }
}
