//! Baton's record-layer and handshake benchmarks, side by side with s2n-tls,
//! rustls (aws-lc-rs provider) and OpenSSL, plus the raw aws-lc-rs ceiling.
//!
//! Every library runs the same [`Case`]s (suite, key exchange group, certificate
//! key type) over the same in-memory transport ([`transport::duplex`]), through
//! the same measurement loops in [`measure`]. Each library's module implements
//! [`Library`] and [`Pair`]; a pair asserts what it negotiated
//! ([`Pair::check`]) so a misconfigured peer cannot silently win.
//!
//! The criterion benches (`benches/`) and the quick table runner (`src/main.rs`)
//! share all of this.
#![forbid(unsafe_code)]

pub mod baton_lib;
pub mod ceiling;
pub mod load_client;
pub mod measure;
pub mod mem;
pub mod openssl_lib;
pub mod rustls_lib;
pub mod s2n_lib;
pub mod svg;
pub mod transport;

use std::any::Any;
use std::time::Duration;

/// Cipher suites measured (key exchange is always X25519).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256.
    Tls13Aes128Gcm,
    /// TLS_AES_256_GCM_SHA384.
    Tls13Aes256Gcm,
    /// TLS_CHACHA20_POLY1305_SHA256.
    Tls13Chacha20,
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (or _RSA_ with an RSA certificate).
    Tls12Aes128Gcm,
}

impl Suite {
    /// Every suite, in table order.
    pub const ALL: [Suite; 4] = [
        Suite::Tls13Aes128Gcm,
        Suite::Tls13Aes256Gcm,
        Suite::Tls13Chacha20,
        Suite::Tls12Aes128Gcm,
    ];

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Suite::Tls13Aes128Gcm => "TLS1.3 AES-128-GCM",
            Suite::Tls13Aes256Gcm => "TLS1.3 AES-256-GCM",
            Suite::Tls13Chacha20 => "TLS1.3 CHACHA20-POLY1305",
            Suite::Tls12Aes128Gcm => "TLS1.2 ECDHE AES-128-GCM",
        }
    }

    /// True for the TLS 1.2 suite.
    pub fn is_tls12(self) -> bool {
        self == Suite::Tls12Aes128Gcm
    }

    /// IANA code point, given the certificate key type (TLS 1.2 names it).
    pub fn iana(self, key: KeyType) -> u16 {
        match (self, key) {
            (Suite::Tls13Aes128Gcm, _) => 0x1301,
            (Suite::Tls13Aes256Gcm, _) => 0x1302,
            (Suite::Tls13Chacha20, _) => 0x1303,
            (Suite::Tls12Aes128Gcm, KeyType::EcdsaP256) => 0xc02b,
            (Suite::Tls12Aes128Gcm, KeyType::Rsa2048) => 0xc02f,
        }
    }

    /// The IANA (RFC) name, given the certificate key type.
    pub fn iana_name(self, key: KeyType) -> &'static str {
        match (self, key) {
            (Suite::Tls13Aes128Gcm, _) => "TLS_AES_128_GCM_SHA256",
            (Suite::Tls13Aes256Gcm, _) => "TLS_AES_256_GCM_SHA384",
            (Suite::Tls13Chacha20, _) => "TLS_CHACHA20_POLY1305_SHA256",
            (Suite::Tls12Aes128Gcm, KeyType::EcdsaP256) => {
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
            }
            (Suite::Tls12Aes128Gcm, KeyType::Rsa2048) => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        }
    }

    /// The OpenSSL-style name (what OpenSSL's cipher lists and s2n's getters use).
    pub fn openssl_name(self, key: KeyType) -> &'static str {
        match (self, key) {
            (Suite::Tls12Aes128Gcm, KeyType::EcdsaP256) => "ECDHE-ECDSA-AES128-GCM-SHA256",
            (Suite::Tls12Aes128Gcm, KeyType::Rsa2048) => "ECDHE-RSA-AES128-GCM-SHA256",
            _ => self.iana_name(key),
        }
    }
}

/// The server certificate's key type (same files for every library).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `server-p256-chain.pem` (leaf + intermediate) / `server-p256.key`, under `ca-ecdsa.pem`.
    EcdsaP256,
    /// `server-rsa.pem` / `server-rsa.key`, under `ca-rsa.pem`.
    Rsa2048,
}

impl KeyType {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ECDSA P-256",
            KeyType::Rsa2048 => "RSA-2048",
        }
    }

    /// (certificate chain PEM, private key PEM, CA PEM) paths.
    pub fn files(self) -> (String, String, String) {
        match self {
            KeyType::EcdsaP256 => (
                data("server-p256-chain.pem"),
                data("server-p256.key"),
                data("ca-ecdsa.pem"),
            ),
            KeyType::Rsa2048 => (
                data("server-rsa.pem"),
                data("server-rsa.key"),
                data("ca-rsa.pem"),
            ),
        }
    }
}

/// The key exchange group of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// X25519 alone.
    X25519,
    /// The ML-KEM-768 + X25519 hybrid (TLS 1.3 only).
    X25519MlKem768,
}

impl Group {
    /// The IANA name, as Baton, rustls and s2n-tls print it.
    pub fn label(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::X25519MlKem768 => "X25519MLKEM768",
        }
    }

    /// The TLS code point.
    pub fn iana(self) -> u16 {
        match self {
            Group::X25519 => 0x001d,
            Group::X25519MlKem768 => 0x11ec,
        }
    }
}

/// One configuration every library is asked to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// Cipher suite (and so protocol version).
    pub suite: Suite,
    /// Server certificate key type.
    pub key: KeyType,
    /// Key exchange group.
    pub group: Group,
}

impl Case {
    /// The handshake cases the issue asks for.
    pub const HANDSHAKES: [Case; 3] = [
        Case {
            suite: Suite::Tls13Aes128Gcm,
            key: KeyType::EcdsaP256,
            group: Group::X25519,
        },
        Case {
            suite: Suite::Tls13Aes128Gcm,
            key: KeyType::Rsa2048,
            group: Group::X25519,
        },
        Case {
            suite: Suite::Tls12Aes128Gcm,
            key: KeyType::EcdsaP256,
            group: Group::X25519,
        },
    ];

    /// The post-quantum comparison: the same TLS 1.3 handshake with X25519 and
    /// with X25519MLKEM768.
    pub const HANDSHAKES_PQ: [Case; 2] = [
        Case {
            suite: Suite::Tls13Aes128Gcm,
            key: KeyType::EcdsaP256,
            group: Group::X25519,
        },
        Case {
            suite: Suite::Tls13Aes128Gcm,
            key: KeyType::EcdsaP256,
            group: Group::X25519MlKem768,
        },
    ];

    /// The resumed-handshake cases: TLS 1.3 (`psk_dhe_ke`, so an X25519
    /// exchange too) and TLS 1.2 (a ticket, no key exchange), ECDSA P-256.
    pub const RESUMED: [Case; 2] = [Case::HANDSHAKES[0], Case::HANDSHAKES[2]];

    /// A record-layer case (the certificate does not matter there).
    pub fn records(suite: Suite) -> Case {
        Case {
            suite,
            key: KeyType::EcdsaP256,
            group: Group::X25519,
        }
    }

    /// "TLS1.3 AES-128-GCM, X25519, ECDSA P-256".
    pub fn label(&self) -> String {
        format!(
            "{}, {}, {}",
            self.suite.label(),
            self.group.label(),
            self.key.label()
        )
    }
}

/// The name every client connects to (in every test certificate's SAN).
pub const SERVER_NAME: &str = "localhost";

/// Path of a file under the repository's `tests/data/`.
pub fn data(name: &str) -> String {
    format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Deterministic application data (so the receiver can check every byte).
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Which end of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The connecting end.
    Client,
    /// The accepting end.
    Server,
}

/// Time spent inside each side's calls during one handshake.
#[derive(Clone, Copy, Debug, Default)]
pub struct SideTimes {
    /// Client: connection creation and every call that drove it.
    pub client: Duration,
    /// Server: the same.
    pub server: Duration,
    /// See [`SideTimes::for_callgrind`].
    pub callgrind: bool,
}

impl SideTimes {
    /// Times whose every side call also runs through a function callgrind can
    /// single out (`cg_client` / `cg_server`, see `bench/callgrind.sh`).
    pub fn for_callgrind() -> Self {
        Self {
            callgrind: true,
            ..Self::default()
        }
    }

    /// Runs client-side work, timing it.
    #[inline]
    pub fn on_client<T>(&mut self, f: impl FnOnce() -> T) -> T {
        if self.callgrind {
            timed(&mut self.client, || cg_client(f))
        } else {
            timed(&mut self.client, f)
        }
    }

    /// Runs server-side work, timing it.
    #[inline]
    pub fn on_server<T>(&mut self, f: impl FnOnce() -> T) -> T {
        if self.callgrind {
            timed(&mut self.server, || cg_server(f))
        } else {
            timed(&mut self.server, f)
        }
    }
}

/// Client-side work in a measured callgrind run (`--toggle-collect='*cg_client*'`).
#[inline(never)]
fn cg_client<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Server-side work in a measured callgrind run (`--toggle-collect='*cg_server*'`).
#[inline(never)]
fn cg_server<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Runs `f`, adding its duration to `acc`.
#[inline]
pub fn timed<T>(acc: &mut Duration, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    *acc += t.elapsed();
    r
}

/// A TLS library under test, configured for one [`Case`].
pub trait Library: Sized {
    /// Display name.
    const NAME: &'static str;
    /// A connected client/server pair.
    type Pair: Pair;
    /// Builds client and server configurations for `case` (`Err`: this library
    /// cannot run the case, with why). `release_mode` asks for a configuration
    /// that releases I/O buffers when idle where that is a configuration
    /// option (OpenSSL's `SSL_MODE_RELEASE_BUFFERS`).
    fn setup(case: Case, release_mode: bool) -> Result<Self, String>;
    /// Creates both connections and runs a full handshake to completion,
    /// adding each side's time to `t`. Panics if the handshake fails.
    fn handshake(&self, t: &mut SideTimes) -> Self::Pair;
}

/// A library set up with session resumption on (tickets), for the
/// resumed-handshake cases only: every other case runs its peers with
/// resumption off, so none pays for it there.
pub trait Resume: Sized {
    /// Display name.
    const NAME: &'static str;
    /// Client and server configurations for `case` with tickets on, and one
    /// full (untimed) handshake whose session the first resumed handshake
    /// offers. `Err`: this library cannot run the case, with why.
    fn setup_resumption(case: Case) -> Result<Self, String>;
    /// One resumed handshake offering the session the previous connection
    /// left, each side's time added to `t` (the client's includes reading the
    /// server's TLS 1.3 ticket, the server's issuing it), keeping the
    /// session this connection leaves for the next (a TLS 1.3 ticket is used
    /// once, as real clients do). Untimed, it checks that both sides resumed
    /// with the case's version and suite, so a silently full handshake
    /// cannot pass as a resumed one.
    fn resumed_handshake(&mut self, case: Case, t: &mut SideTimes) -> Result<(), String>;
}

/// A connected pair over the in-memory transport; the client sends, the server receives.
pub trait Pair {
    /// Asserts the negotiated version, suite, group and server key type.
    fn check(&self, case: Case) -> Result<(), String>;
    /// One application write of all of `data` on the client, flushed into the transport.
    fn send(&mut self, data: &[u8]);
    /// One read on the server into `buf`; 0 when nothing is buffered.
    fn recv(&mut self, buf: &mut [u8]) -> usize;
    /// Sends `data` from the server to the client and reads it there (for the
    /// memory measurement, so both ends have used their buffers).
    fn echo_back(&mut self, data: &[u8]);
    /// Frees idle I/O buffers on `side` with the library's own API; `Ok(false)`
    /// when the library has none.
    fn release_buffers(&mut self, side: Side) -> Result<bool, String>;
    /// Splits into (client, server, transport) so one side can be dropped alone.
    fn into_parts(self) -> (Box<dyn Any>, Box<dyn Any>, Box<dyn Any>);
}
