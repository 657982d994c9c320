//! The BoGo runner's command line (BoringSSL's `test_config.cc`): `-name` or
//! `-name value`, optionally prefixed `-on-initial`, `-on-resume`, `-on-retry`,
//! `-on-shim` or `-on-handshaker`. `-on-retry` flags are for the handshake
//! that goes on after the server rejected the client's 0-RTT (bssl_shim's
//! "retry" connection): it has the unprefixed flags and those, not the
//! `-on-resume` ones.
//!
//! Every flag the runner can pass is listed here, in one of three groups: the
//! ones the shim honours, the ones that change nothing for Baton (and are
//! accepted), and the ones that name a feature Baton does not have (the shim
//! then exits 89, "unimplemented").

/// One credential (`-cert-file`/`-key-file`, or a `-new-x509-credential` block).
#[derive(Clone, Debug, Default)]
pub struct Credential {
    pub cert_file: String,
    pub key_file: String,
    pub signing_prefs: Vec<u16>,
    /// The OCSP response stapled with it (opaque bytes to BoringSSL).
    pub ocsp_response: Vec<u8>,
    /// The SignedCertificateTimestampList sent with it.
    pub sct_list: Vec<u8>,
}

/// What the flags ask of one connection (initial or resumption handshake).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub server: bool,
    pub resume_count: u32,
    pub expect_session_miss: bool,
    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub no_tls13: bool,
    pub no_tls12: bool,
    pub cipher: Option<String>,
    pub curves: Vec<u16>,
    pub verify_prefs: Vec<u16>,
    pub default_cred: Credential,
    pub credentials: Vec<Credential>,
    pub trust_cert: Option<String>,
    pub verify_peer: bool,
    /// Server: a client without a certificate fails the handshake.
    pub require_any_client_cert: bool,
    /// The peer's chain must be the one in this PEM file.
    pub expect_peer_cert_file: Option<String>,
    /// The certificate check fails (Baton: a verify-host callback that refuses).
    pub verify_fail: bool,
    pub host_name: Option<String>,
    pub advertise_alpn: Option<Vec<u8>>,
    pub select_alpn: Option<String>,
    pub decline_alpn: bool,
    pub expect_alpn: Option<String>,
    pub expect_server_name: Option<String>,
    pub expect_no_server_name: bool,
    pub expect_version: Option<u16>,
    pub expect_cipher: Option<u16>,
    pub expect_curve_id: Option<u16>,
    pub expect_peer_sigalg: Option<u16>,
    pub expect_hrr: bool,
    pub expect_no_hrr: bool,
    pub expect_no_peer_cert: bool,
    /// TLS 1.2 negotiated the extended master secret (TLS 1.3 always has it).
    pub expect_ems: bool,
    /// Index into `credentials`; -1: the default credential.
    pub expect_selected_credential: Option<i64>,
    pub shim_writes_first: bool,
    pub shim_initial_write: Option<String>,
    pub shim_shuts_down: bool,
    pub check_close_notify: bool,
    pub key_update: bool,
    pub key_update_before_read: bool,
    pub implicit_handshake: bool,
    pub read_size: Option<usize>,
    pub export_keying_material: usize,
    pub export_label: String,
    pub export_context: String,
    pub use_export_context: bool,
    pub renegotiation_count: Option<u32>,
    /// Tickets off (`SSL_OP_NO_TICKET`): a server neither issues nor accepts
    /// them, a client does not ask for TLS 1.2 tickets.
    pub no_ticket: bool,
    /// The server's ticket key (BoringSSL's 48 bytes, base64 on the command line).
    pub ticket_key: Option<Vec<u8>>,
    /// Seconds the shim's clock moves before this (resumption) connection.
    pub resumption_delay: i64,
    /// Client: no new session arrives on this connection.
    pub expect_no_session: bool,
    /// Client: a resumed connection gets a new session (the ticket was renewed).
    pub expect_ticket_renewal: bool,
    /// Client: the session may not be resumed under another server name
    /// (always so in Baton).
    pub expect_not_resumable_across_names: bool,
    /// Initial connection: the server cached the session under a session id
    /// (a client: it received a session).
    pub expect_session_id: bool,
    /// Initial connection: no session was cached by id (a client: none
    /// received).
    pub expect_no_session_id: bool,
    /// Server, resumption: the ticket age skew in seconds (0: not checked,
    /// as in bssl_shim).
    pub expect_ticket_age_skew: i64,
    /// 0-RTT on: a server accepts it, a client offers it on resumption.
    pub enable_early_data: bool,
    /// The server accepted 0-RTT (client: what it sent was taken).
    pub expect_accept_early_data: bool,
    /// The client offered 0-RTT and the server refused it.
    pub expect_reject_early_data: bool,
    /// Client, TLS 1.3: whether the newest ticket received allows 0-RTT
    /// (bssl_shim checks it both ways).
    pub expect_ticket_supports_early_data: bool,
    /// Client: ask for an OCSP staple (`status_request`).
    pub enable_ocsp_stapling: bool,
    /// Client: ask for SCTs (`signed_certificate_timestamp`).
    pub enable_sct: bool,
    /// Client: the OCSP response the server must have stapled.
    pub expect_ocsp_response: Option<Vec<u8>>,
    /// Client: the SCT list the server must have sent.
    pub expect_sct_list: Option<Vec<u8>>,
    /// Server: a ClientHello callback (BoringSSL's early callback) that goes on.
    pub use_early_callback: bool,
    /// Server: a ClientHello callback that refuses the handshake.
    pub fail_early_callback: bool,
    /// BoringSSL's async mode: the private-key callback (and, with
    /// `-use-early-callback`, the ClientHello callback) answers later, so
    /// the handshake parks and is taken up again.
    pub async_mode: bool,
}

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Flags {
    pub port: u16,
    pub ipv6: bool,
    pub shim_id: u64,
    pub is_handshaker_supported: bool,
    pub initial: Options,
    pub resume: Options,
    /// A client's handshake after its 0-RTT was rejected (see the module docs).
    pub retry: Options,
}

/// Why the command line cannot be run.
#[derive(Debug)]
pub enum ParseError {
    /// A feature Baton does not have (exit 89).
    Unimplemented(String),
    /// A malformed command line (exit 1).
    Invalid(String),
}

/// Flags that name features Baton does not have, with whether they take a
/// value. Seeing one (for a connection that runs) makes the test unimplemented.
const UNIMPLEMENTED: &[(&str, bool)] = &[
    // DTLS and QUIC.
    ("-dtls", false),
    ("-mtu", true),
    ("-initial-timeout-duration-ms", true),
    ("-quic", false),
    ("-quic-transport-params", true),
    ("-expect-quic-transport-params", true),
    ("-quic-use-legacy-codepoint", true),
    ("-quic-early-data-context", true),
    // Encrypted ClientHello.
    ("-enable-ech-grease", false),
    ("-reject-unusable-ech-config", false),
    ("-ech-server-config", true),
    ("-ech-server-key", true),
    ("-ech-is-retry-config", true),
    ("-expect-ech-accept", false),
    ("-expect-ech-name-override", true),
    ("-expect-no-ech-name-override", false),
    ("-expect-ech-retry-configs", true),
    ("-expect-no-ech-retry-configs", false),
    ("-ech-config-list", true),
    ("-fail-early-callback-ech-rewind", false),
    // Channel ID, NPN, ALPS, SRTP, false start, GREASE, extension permutation.
    ("-expect-channel-id", true),
    ("-enable-channel-id", false),
    ("-send-channel-id", true),
    ("-advertise-npn", true),
    ("-advertise-empty-npn", false),
    ("-expect-next-proto", true),
    ("-expect-no-next-proto", false),
    ("-select-next-proto", true),
    ("-select-empty-next-proto", false),
    ("-defer-alps", false),
    ("-application-settings", true),
    ("-expect-peer-application-settings", true),
    ("-alps-use-new-codepoint", true),
    ("-srtp-profiles", true),
    ("-false-start", false),
    ("-allow-false-start-without-alpn", false),
    ("-enable-grease", false),
    ("-permute-extensions", false),
    // Resumption, tickets, PSK, 0-RTT (issues 14 and 15).
    ("-psk", true),
    ("-psk-identity", true),
    ("-new-psk-credential", false),
    ("-psk-importer-key", true),
    ("-psk-importer-identity", true),
    ("-psk-importer-context", true),
    ("-psk-importer-sha256", false),
    ("-psk-importer-sha384", false),
    ("-renew-ticket", false),
    ("-skip-ticket", false),
    ("-use-ticket-callback", false),
    ("-use-ticket-aead-callback", false),
    ("-reverify-on-resume", false),
    ("-resumption-across-names-enabled", false),
    ("-expect-resumable-across-names", false),
    ("-expect-early-data-reason", true),
    ("-early-write-after-message", true),
    // Client certificates and OCSP (issue 16): BoringSSL's callbacks.
    ("-use-client-ca-list", true),
    ("-expect-client-ca-list", true),
    ("-expect-certificate-types", true),
    ("-use-old-client-cert-callback", false),
    ("-retain-only-sha256-client-cert", false),
    ("-expect-sha256-client-cert", false),
    ("-use-ocsp-callback", false),
    ("-set-ocsp-in-callback", false),
    ("-decline-ocsp-callback", false),
    ("-fail-ocsp-callback", false),
    // Renegotiation.
    ("-renegotiate-once", false),
    ("-renegotiate-freely", false),
    ("-renegotiate-ignore", false),
    ("-renegotiate-explicit", false),
    ("-expect-secure-renegotiation", false),
    ("-expect-no-secure-renegotiation", false),
    ("-no-legacy-server-connect", false),
    // Other credentials: delegated, raw public keys, PAKE, trust anchor IDs.
    ("-new-delegated-credential", false),
    ("-delegated-credential", true),
    ("-new-spake2plusv1-credential", false),
    ("-pake-context", true),
    ("-pake-client-id", true),
    ("-pake-server-id", true),
    ("-pake-password", true),
    ("-wrong-pake-role", false),
    ("-new-rpk-credential", false),
    ("-accepted-peer-cert-types", true),
    ("-available-client-cert-types", true),
    ("-expect-peer-certificate-type", true),
    ("-expect-peer-rpk-sha256", true),
    ("-must-match-issuer", false),
    ("-cert-properties", true),
    ("-expect-peer-match-trust-anchor", false),
    ("-expect-no-peer-match-trust-anchor", false),
    ("-expect-peer-available-trust-anchors", true),
    ("-requested-trust-anchors", true),
    ("-available-trust-anchors", true),
    // BoringSSL callbacks, hooks and knobs Baton has no equivalent of.
    ("-install-ddos-callback", false),
    ("-fail-ddos-callback", false),
    ("-fail-cert-callback", false),
    ("-expect-msg-callback", true),
    ("-handshake-hints", false),
    ("-allow-hint-mismatch", false),
    ("-handshaker-resume", false),
    ("-handshaker-path", true),
    ("-install-cert-compression-algs", false),
    ("-install-one-cert-compression-alg", true),
    ("-key-shares", true),
    ("-no-key-shares", false),
    ("-curves-flags", true),
    ("-server-supported-groups-hint", true),
    ("-expect-peer-verify-pref", true),
    ("-expect-advertised-alpn", true),
    ("-reject-alpn", false),
    ("-select-empty-alpn", false),
    ("-allow-unknown-alpn-protos", false),
    ("-fallback-scsv", false),
    ("-send-alert", false),
    ("-tls-unique", false),
    ("-export-traffic-secrets", false),
    ("-use-exporter-between-reads", false),
    ("-max-cert-list", true),
    ("-max-send-fragment", true),
    ("-read-with-unfinished-write", false),
    ("-repeat-shim-initial-write", true),
    ("-write-different-record-sizes", false),
    ("-cbc-record-splitting", false),
    ("-handshake-never-done", false),
    ("-jdk11-workaround", false),
    ("-fips-202205", false),
    ("-wpa-202304", false),
    ("-cnsa-202407", false),
    ("-cnsa1-202603", false),
    ("-cnsa2-202603", false),
    ("-request-server-padding", true),
    ("-expect-server-sent-requested-padding", false),
    ("-server-supports-padding", false),
    ("-no-server-name-ack", false),
];

/// Flags that change nothing for Baton: BoringSSL API modes (partial
/// writes, peeking), debugging aids, and checks that a Baton
/// handshake already guarantees.
const IGNORED: &[(&str, bool)] = &[
    ("-partial-write", false),
    ("-peek-then-read", false),
    ("-handshake-twice", false),
    ("-no-op-extra-handshake", false),
    ("-use-custom-verify-callback", false),
    ("-expect-verify-result", false),
    ("-expect-no-offer-early-data", false),
    ("-forbid-renegotiation-after-handshake", false),
    ("-wait-for-debugger", false),
    ("-write-settings", true),
    ("-fuzzer-mode", false),
    // Baton has no TLS 1.0 or 1.1 to turn off.
    ("-no-tls11", false),
    ("-no-tls1", false),
    ("-private-key-delay-ms", true),
];

/// Why a resumption flag is unimplemented, where saying so helps: Baton has
/// resumption, but not these parts of BoringSSL's API around it.
fn why_unimplemented(name: &str) -> Option<&'static str> {
    Some(match name {
        "-use-ticket-callback" | "-use-ticket-aead-callback" | "-renew-ticket" | "-skip-ticket" => {
            "BoringSSL's ticket encryption callbacks; Baton seals tickets with its TicketKeys only"
        }
        "-use-ocsp-callback"
        | "-set-ocsp-in-callback"
        | "-decline-ocsp-callback"
        | "-fail-ocsp-callback" => {
            "BoringSSL's OCSP status callback (SSL_CTX_set_tlsext_status_cb); Baton staples the chain's response and validates a received one itself (OcspValidation)"
        }
        "-reverify-on-resume" => {
            "Baton does not verify the server's certificate again on a resumed connection"
        }
        "-resumption-across-names-enabled" | "-expect-resumable-across-names" => {
            "Baton's sessions are resumed only for the server name they were made for"
        }
        "-expect-early-data-reason" => {
            "Baton reports whether 0-RTT was accepted or rejected (early_data_status), not why"
        }
        "-early-write-after-message" => {
            "stopping the handshake after a given message (BoringSSL's message callback and async I/O)"
        }
        "-psk" | "-psk-identity" => {
            "TLS 1.2 PSK cipher suites through BoringSSL's PSK callbacks (RFC 4279); Baton's external PSKs are TLS 1.3 only"
        }
        "-new-psk-credential"
        | "-psk-importer-key"
        | "-psk-importer-identity"
        | "-psk-importer-context"
        | "-psk-importer-sha256"
        | "-psk-importer-sha384" => {
            "imported TLS 1.3 PSKs (RFC 9258, BoringSSL's PSK credentials); Baton takes external PSKs as they are, without the importer"
        }
        _ => return None,
    })
}

fn takes_value(name: &str) -> Option<bool> {
    UNIMPLEMENTED
        .iter()
        .chain(IGNORED)
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

fn int<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ParseError> {
    v.parse()
        .map_err(|_| ParseError::Invalid(format!("invalid value for {name}: {v}")))
}

/// Decodes standard base64 (test_config.cc's `Base64Flag`).
/// The DER certificates of a PEM file (for `-expect-peer-cert-file`).
pub fn pem_certificates(path: &str) -> Result<Vec<Vec<u8>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let mut out = Vec::new();
    for block in text.split("-----BEGIN CERTIFICATE-----").skip(1) {
        let body = block
            .split("-----END CERTIFICATE-----")
            .next()
            .unwrap_or_default();
        let b64: String = body.split_whitespace().collect();
        out.push(base64("-expect-peer-cert-file", &b64).map_err(|e| format!("{e:?}"))?);
    }
    Ok(out)
}

fn base64(name: &str, v: &str) -> Result<Vec<u8>, ParseError> {
    let bad = || ParseError::Invalid(format!("invalid base64 for {name}: {v}"));
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let body = v.trim_end_matches('=');
    if !v.len().is_multiple_of(4) || v.len() - body.len() > 2 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | digit(c).ok_or_else(bad)?;
        }
        acc <<= 6 * (4 - chunk.len() as u32);
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

/// Decodes an ALPN list in wire form (`\x03foo\x03bar`).
fn parse_wire_alpn(v: &[u8]) -> Result<Vec<Vec<u8>>, ParseError> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return Err(ParseError::Invalid("malformed -advertise-alpn".into()));
        }
        out.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(out)
}

/// The protocols in a wire-form ALPN list.
pub fn alpn_list(wire: &[u8]) -> Vec<Vec<u8>> {
    parse_wire_alpn(wire).unwrap_or_default()
}

impl Options {
    /// Applies one flag with its value (if it takes one) to these options.
    /// Returns `Ok(false)` for a flag these options do not know.
    fn apply(&mut self, name: &str, value: Option<&str>) -> Result<bool, ParseError> {
        let v = value.unwrap_or("");
        match name {
            "-server" => self.server = true,
            "-resume-count" => self.resume_count = int(name, v)?,
            "-expect-session-miss" => self.expect_session_miss = true,
            "-min-version" => self.min_version = Some(int(name, v)?),
            "-max-version" => self.max_version = Some(int(name, v)?),
            "-no-tls13" => self.no_tls13 = true,
            "-no-tls12" => self.no_tls12 = true,
            "-cipher" => self.cipher = Some(v.to_string()),
            "-curves" => self.curves.push(int(name, v)?),
            "-verify-prefs" => self.verify_prefs.push(int(name, v)?),
            "-new-x509-credential" => self.credentials.push(Credential::default()),
            "-cert-file" => self.current_cred().cert_file = v.to_string(),
            "-key-file" => self.current_cred().key_file = v.to_string(),
            "-signing-prefs" => {
                let pref = int(name, v)?;
                self.current_cred().signing_prefs.push(pref)
            }
            "-trust-cert" => self.trust_cert = Some(v.to_string()),
            "-verify-peer" => self.verify_peer = true,
            "-require-any-client-certificate" => self.require_any_client_cert = true,
            "-expect-peer-cert-file" => self.expect_peer_cert_file = Some(v.to_string()),
            "-verify-fail" => self.verify_fail = true,

            "-host-name" => self.host_name = Some(v.to_string()),
            "-advertise-alpn" => {
                parse_wire_alpn(v.as_bytes())?;
                self.advertise_alpn = Some(v.as_bytes().to_vec())
            }
            "-select-alpn" => self.select_alpn = Some(v.to_string()),
            "-decline-alpn" => self.decline_alpn = true,
            "-expect-alpn" => self.expect_alpn = Some(v.to_string()),
            "-expect-server-name" => self.expect_server_name = Some(v.to_string()),
            "-expect-no-server-name" => self.expect_no_server_name = true,
            "-expect-version" => self.expect_version = Some(int(name, v)?),
            "-expect-cipher" | "-expect-cipher-aes" => {
                let c: u16 = int(name, v)?;
                if c != 0 {
                    self.expect_cipher = Some(c)
                }
            }
            // This machine has AES instructions, so the AES expectation holds.
            "-expect-cipher-no-aes" => {
                let _: u16 = int(name, v)?;
            }
            "-expect-curve-id" => self.expect_curve_id = Some(int(name, v)?),
            "-expect-peer-signature-algorithm" => self.expect_peer_sigalg = Some(int(name, v)?),
            "-expect-hrr" => self.expect_hrr = true,
            "-expect-no-hrr" => self.expect_no_hrr = true,
            "-expect-no-peer-cert" => self.expect_no_peer_cert = true,
            "-expect-extended-master-secret" => self.expect_ems = true,
            "-expect-selected-credential" => self.expect_selected_credential = Some(int(name, v)?),
            "-shim-writes-first" => self.shim_writes_first = true,
            "-shim-initial-write" => self.shim_initial_write = Some(v.to_string()),
            "-shim-shuts-down" => self.shim_shuts_down = true,
            "-check-close-notify" => self.check_close_notify = true,
            "-key-update" => self.key_update = true,
            "-key-update-before-read" => self.key_update_before_read = true,
            "-implicit-handshake" => self.implicit_handshake = true,
            "-read-size" => self.read_size = Some(int(name, v)?),
            "-export-keying-material" => self.export_keying_material = int(name, v)?,
            "-export-label" => self.export_label = v.to_string(),
            "-export-context" => self.export_context = v.to_string(),
            "-use-export-context" => self.use_export_context = true,
            "-expect-total-renegotiations" => self.renegotiation_count = Some(int(name, v)?),
            "-no-ticket" => self.no_ticket = true,
            "-ticket-key" => self.ticket_key = Some(base64(name, v)?),
            "-resumption-delay" => self.resumption_delay = int(name, v)?,
            "-expect-no-session" => self.expect_no_session = true,
            "-expect-ticket-renewal" => self.expect_ticket_renewal = true,
            "-expect-not-resumable-across-names" => self.expect_not_resumable_across_names = true,
            "-expect-session-id" => self.expect_session_id = true,
            "-expect-no-session-id" => self.expect_no_session_id = true,
            "-expect-ticket-age-skew" => self.expect_ticket_age_skew = int(name, v)?,
            "-enable-early-data" => self.enable_early_data = true,
            "-expect-accept-early-data" => self.expect_accept_early_data = true,
            "-expect-reject-early-data" => self.expect_reject_early_data = true,
            "-expect-ticket-supports-early-data" => self.expect_ticket_supports_early_data = true,
            "-ocsp-response" => self.current_cred().ocsp_response = base64(name, v)?,
            "-signed-cert-timestamps" => self.current_cred().sct_list = base64(name, v)?,
            "-enable-ocsp-stapling" => self.enable_ocsp_stapling = true,
            "-enable-signed-cert-timestamps" => self.enable_sct = true,
            "-expect-ocsp-response" => self.expect_ocsp_response = Some(base64(name, v)?),
            "-expect-signed-cert-timestamps" => self.expect_sct_list = Some(base64(name, v)?),
            "-use-early-callback" => self.use_early_callback = true,
            "-fail-early-callback" => self.fail_early_callback = true,
            "-async" => self.async_mode = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn current_cred(&mut self) -> &mut Credential {
        match self.credentials.last_mut() {
            Some(c) => c,
            None => &mut self.default_cred,
        }
    }
}

/// Flags that the options know and that take no value.
const OPTION_SWITCHES: &[&str] = &[
    "-require-any-client-certificate",
    "-expect-extended-master-secret",
    "-server",
    "-expect-session-miss",
    "-no-tls13",
    "-no-tls12",
    "-new-x509-credential",
    "-verify-peer",
    "-verify-fail",
    "-decline-alpn",
    "-expect-no-server-name",
    "-expect-hrr",
    "-expect-no-hrr",
    "-expect-no-peer-cert",
    "-shim-writes-first",
    "-shim-shuts-down",
    "-check-close-notify",
    "-key-update",
    "-key-update-before-read",
    "-implicit-handshake",
    "-use-export-context",
    "-no-ticket",
    "-expect-no-session",
    "-expect-ticket-renewal",
    "-expect-session-id",
    "-expect-no-session-id",
    "-expect-not-resumable-across-names",
    "-enable-early-data",
    "-expect-accept-early-data",
    "-expect-reject-early-data",
    "-expect-ticket-supports-early-data",
    "-enable-ocsp-stapling",
    "-enable-signed-cert-timestamps",
    "-use-early-callback",
    "-fail-early-callback",
    "-async",
];

/// Flags that the options know and that take a value.
const OPTION_VALUES: &[&str] = &[
    "-resume-count",
    "-min-version",
    "-max-version",
    "-cipher",
    "-curves",
    "-verify-prefs",
    "-cert-file",
    "-key-file",
    "-expect-peer-cert-file",
    "-signing-prefs",
    "-trust-cert",
    "-host-name",
    "-advertise-alpn",
    "-select-alpn",
    "-expect-alpn",
    "-expect-server-name",
    "-expect-version",
    "-expect-cipher",
    "-expect-cipher-aes",
    "-expect-cipher-no-aes",
    "-expect-curve-id",
    "-expect-peer-signature-algorithm",
    "-shim-initial-write",
    "-read-size",
    "-export-keying-material",
    "-export-label",
    "-export-context",
    "-expect-total-renegotiations",
    "-expect-selected-credential",
    "-ticket-key",
    "-resumption-delay",
    "-expect-ticket-age-skew",
    "-ocsp-response",
    "-signed-cert-timestamps",
    "-expect-ocsp-response",
    "-expect-signed-cert-timestamps",
];

fn option_takes_value(name: &str) -> Option<bool> {
    if OPTION_SWITCHES.contains(&name) {
        Some(false)
    } else if OPTION_VALUES.contains(&name) {
        Some(true)
    } else {
        None
    }
}

fn strip<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix).filter(|r| r.starts_with('-'))
}

/// Parses the runner's arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Flags, ParseError> {
    let mut flags = Flags::default();
    let mut unimplemented: Option<String> = None;
    let mut resume_only_unimplemented: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        let mut name = arg;
        let mut skip = false;
        if let Some(r) = strip(name, "-on-shim") {
            name = r;
        } else if let Some(r) = strip(name, "-on-handshaker") {
            name = r;
            skip = true;
        }
        // Which connection(s) the flag is for: 0 initial, 1 resumption, 2 0-RTT retry.
        let mut target = None;
        if let Some(r) = strip(name, "-on-initial") {
            name = r;
            target = Some(0);
        } else if let Some(r) = strip(name, "-on-resume") {
            name = r;
            target = Some(1);
        } else if let Some(r) = strip(name, "-on-retry") {
            name = r;
            target = Some(2);
        }
        let has_value = match name {
            "-port" | "-shim-id" => true,
            "-ipv6" | "-is-handshaker-supported" => false,
            _ => match option_takes_value(name).or_else(|| takes_value(name)) {
                Some(v) => v,
                None => {
                    return Err(ParseError::Unimplemented(format!(
                        "unknown flag {name} (not in test_config.cc at this runner's commit)"
                    )))
                }
            },
        };
        let value = if has_value {
            let v = args
                .get(i)
                .ok_or_else(|| ParseError::Invalid(format!("missing value for {name}")))?;
            i += 1;
            Some(v.as_str())
        } else {
            None
        };
        if skip {
            continue;
        }
        match name {
            "-port" => flags.port = int(name, value.unwrap_or(""))?,
            "-shim-id" => flags.shim_id = int(name, value.unwrap_or(""))?,
            "-ipv6" => flags.ipv6 = true,
            "-is-handshaker-supported" => flags.is_handshaker_supported = true,
            _ if UNIMPLEMENTED.iter().any(|(n, _)| *n == name) => {
                let why = match why_unimplemented(name) {
                    Some(why) => format!("{name}: {why}"),
                    None => format!("{name} names a feature Baton does not have"),
                };
                match target {
                    None | Some(0) => {
                        unimplemented.get_or_insert(why);
                    }
                    // A 0-RTT retry happens only on a resumption.
                    _ => {
                        resume_only_unimplemented.get_or_insert(why);
                    }
                }
            }
            _ if IGNORED.iter().any(|(n, _)| *n == name) => {}
            _ => {
                if target.is_none() || target == Some(0) {
                    flags.initial.apply(name, value)?;
                }
                if target.is_none() || target == Some(1) {
                    flags.resume.apply(name, value)?;
                }
                if target.is_none() || target == Some(2) {
                    flags.retry.apply(name, value)?;
                }
            }
        }
    }
    if flags.is_handshaker_supported {
        return Ok(flags);
    }
    if let Some(why) = unimplemented {
        return Err(ParseError::Unimplemented(why));
    }
    // Flags for the resumption connections matter only if those run.
    if flags.initial.resume_count > 0 {
        if let Some(why) = resume_only_unimplemented {
            return Err(ParseError::Unimplemented(why));
        }
    }
    Ok(flags)
}

#[cfg(test)]
mod tests;
