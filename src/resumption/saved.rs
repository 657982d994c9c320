//! The client's saved session and its versioned byte form.

use super::state::{put_opt, put_u64, read_bool, read_opt, read_u64};
use crate::error::{Error, Result};
use crate::msgs::codec::{put_u16, put_u32, put_u8, DecodeError, Reader};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::secrets::Secret;

/// What a client keeps to resume a session: the ticket or session id, the
/// secret that goes with it, and what the original handshake negotiated.
///
/// **It holds a secret**: whoever has these bytes can resume the session and
/// read what is sent in it. Store it as you would a private key; it is
/// zeroized on drop and redacted in `Debug`.
#[derive(Clone)]
pub struct SavedSession {
    pub(crate) version: ProtocolVersion,
    pub(crate) suite: CipherSuite,
    /// TLS 1.3: the ticket's PSK. TLS 1.2: the master secret.
    pub(crate) secret: Secret,
    pub(crate) ems: bool,
    /// The ticket (TLS 1.3, or TLS 1.2 RFC 5077); empty for a TLS 1.2 session id only.
    pub(crate) ticket: Vec<u8>,
    /// TLS 1.2: the session id the server gave (may be empty with a ticket).
    pub(crate) session_id: Vec<u8>,
    /// Unix seconds when the ticket arrived (its age counts from here).
    pub(crate) received_at: u64,
    /// Seconds the server said the ticket is good for.
    pub(crate) lifetime: u32,
    pub(crate) age_add: u32,
    pub(crate) max_early_data: u32,
    pub(crate) server_name: Option<String>,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The server's certificate chain from the original handshake.
    pub(crate) peer_chain: Vec<Vec<u8>>,
}

/// The magic that starts [`SavedSession::to_bytes`]' output.
const MAGIC: &[u8; 3] = b"BTS";
/// The format version this code writes and reads.
const FORMAT_V1: u8 = 1;
/// Most certificates kept from the server's chain.
pub(crate) const MAX_CHAIN: usize = 16;
/// Most bytes in one certificate (TLS's own u24 limit).
const MAX_CERT: usize = 0xff_ffff;
/// Most bytes in a TLS 1.2 session id (RFC 5246 §7.4.1.2).
const MAX_SESSION_ID: usize = 32;

impl SavedSession {
    /// The versioned byte form (see the type's warning: it holds a secret).
    ///
    /// `b"BTS"`, a format byte (1), then the fields, length-prefixed. A
    /// session Baton made always fits the format; a field that would not
    /// (a chain over 16 certificates keeps its first 16, an over-long name
    /// or ALPN is left out) is trimmed rather than failing.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(
            64 + self.ticket.len() + self.peer_chain.iter().map(|c| c.len() + 3).sum::<usize>(),
        ));
        out.extend_from_slice(MAGIC);
        put_u8(&mut out, FORMAT_V1);
        put_u16(&mut out, self.version.0);
        put_u16(&mut out, self.suite.0);
        // A Secret is at most 66 bytes.
        put_u8(&mut out, self.secret.len() as u8);
        out.extend_from_slice(self.secret.as_bytes());
        put_u8(&mut out, u8::from(self.ems));
        // Tickets come in a u16 field and session ids in a u8 one (≤ 32).
        let ticket = &self.ticket[..self.ticket.len().min(0xffff)];
        put_u16(&mut out, ticket.len() as u16);
        out.extend_from_slice(ticket);
        let id = &self.session_id[..self.session_id.len().min(MAX_SESSION_ID)];
        put_u8(&mut out, id.len() as u8);
        out.extend_from_slice(id);
        put_u64(&mut out, self.received_at);
        put_u32(&mut out, self.lifetime);
        put_u32(&mut out, self.age_add);
        put_u32(&mut out, self.max_early_data);
        put_opt(
            &mut out,
            self.server_name.as_deref().map(str::as_bytes),
            0xffff,
        );
        put_opt(&mut out, self.alpn.as_deref(), 0xff);
        let certs: Vec<&Vec<u8>> = self
            .peer_chain
            .iter()
            .filter(|c| c.len() <= MAX_CERT)
            .take(MAX_CHAIN)
            .collect();
        put_u8(&mut out, certs.len() as u8);
        for c in certs {
            let be = (c.len() as u32).to_be_bytes();
            out.extend_from_slice(&be[1..]);
            out.extend_from_slice(c);
        }
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' output. A typed error for bytes
    /// of another format version or malformed ones
    /// ([`ErrorKind::Usage`](crate::ErrorKind::Usage): the application gave them).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MAGIC.len() + 1 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::usage("not a saved Baton session"));
        }
        if bytes[MAGIC.len()] != FORMAT_V1 {
            return Err(Error::usage(format!(
                "saved session format {} is not supported (this build reads format {FORMAT_V1})",
                bytes[MAGIC.len()]
            )));
        }
        Self::read(&mut Reader::new(&bytes[MAGIC.len() + 1..]))
            .map_err(|e| Error::usage(format!("malformed saved session: {}", e.0)))
    }

    fn read(r: &mut Reader<'_>) -> core::result::Result<Self, DecodeError> {
        let version = ProtocolVersion(r.u16()?);
        let suite = CipherSuite(r.u16()?);
        let secret = r.bytes8()?;
        if secret.len() > Secret::MAX_LEN {
            return Err(DecodeError("secret too long"));
        }
        let secret = Secret::new(secret);
        let ems = read_bool(r)?;
        let ticket = r.bytes16()?.to_vec();
        let session_id = r.bytes8()?;
        if session_id.len() > MAX_SESSION_ID {
            return Err(DecodeError("session id too long"));
        }
        let session_id = session_id.to_vec();
        let received_at = read_u64(r)?;
        let lifetime = r.u32()?;
        let age_add = r.u32()?;
        let max_early_data = r.u32()?;
        let server_name = match read_opt(r, true)? {
            Some(b) => Some(
                core::str::from_utf8(b)
                    .map_err(|_| DecodeError("server name not UTF-8"))?
                    .to_owned(),
            ),
            None => None,
        };
        let alpn = read_opt(r, false)?.map(<[u8]>::to_vec);
        let count = r.u8()? as usize;
        if count > MAX_CHAIN {
            return Err(DecodeError("certificate chain too long"));
        }
        let mut peer_chain = Vec::with_capacity(count);
        for _ in 0..count {
            peer_chain.push(r.bytes24()?.to_vec());
        }
        r.expect_empty("trailing bytes")?;
        Ok(Self {
            version,
            suite,
            secret,
            ems,
            ticket,
            session_id,
            received_at,
            lifetime,
            age_add,
            max_early_data,
            server_name,
            alpn,
            peer_chain,
        })
    }

    /// The protocol version of the session.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The cipher suite of the session.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    /// The server name it was made for.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Seconds the server said it is good for.
    pub fn lifetime_secs(&self) -> u32 {
        self.lifetime
    }

    /// Its age at `now` (Unix seconds).
    pub fn age_secs(&self, now: u64) -> u64 {
        now.saturating_sub(self.received_at)
    }

    /// TLS 1.3: how many bytes of early data (0-RTT) the ticket allows
    /// (its max_early_data_size; 0: none, and `send_early_data` sends none).
    pub fn max_early_data(&self) -> u32 {
        self.max_early_data
    }

    /// TLS 1.3 tickets are for one use (RFC 8446 §C.4).
    pub fn is_single_use(&self) -> bool {
        self.version == ProtocolVersion::TLSV1_3
    }
}

impl core::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SavedSession")
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("server_name", &self.server_name)
            .field("ticket_len", &self.ticket.len())
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}
