//! What a server puts in a ticket or a cache entry.
//!
//! Wire form (all integers big-endian), format 2:
//! `format (1) | version (2) | suite (2) | secret <0..66> (u8 length) |
//! ems (1) | issued_at (8) | auth_time (8) | lifetime (4) | age_add (4) |
//! max_early_data (4) | server_name (present (1) [| u16 length | bytes]) |
//! alpn (present (1) [| u8 length | bytes]) |
//! peer_chain (count (1) | (u24 length | DER) * count)`.
//! Format 1 is format 2 without `peer_chain`: it is what a session without
//! a client certificate is written as (so tickets from before client
//! authentication still resume, and each state has one encoding: format 2
//! never holds an empty chain).

use crate::msgs::codec::{put_u16, put_u32, put_u8, DecodeError, Reader};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::secrets::{ct_eq, Secret};

/// A session without a client certificate.
const FORMAT_V1: u8 = 1;
/// A session with the client's certificate chain.
const FORMAT_V2: u8 = 2;

/// The most DER a session keeps of a client's chain: beyond it only the
/// leaf, and a leaf alone beyond it drops the client's authentication (the
/// session then resumes unauthenticated, or a full handshake where
/// a certificate is required). Keeps tickets small.
pub(crate) const MAX_KEPT_CHAIN: usize = 16 * 1024;

/// The plaintext of a ticket (TLS 1.3 or 1.2) or a TLS 1.2 cache entry.
/// Versioned on the wire; sealed by `TicketKeys` before it leaves the process.
#[derive(Clone, Debug)]
pub(crate) struct ServerSessionState {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    /// TLS 1.3: this ticket's PSK (from resumption_master_secret and the
    /// nonce). TLS 1.2: the master secret.
    pub secret: Secret,
    /// TLS 1.2: the session used the extended master secret.
    pub ems: bool,
    /// Unix seconds when this ticket or entry was made.
    pub issued_at: u64,
    /// Unix seconds of the full handshake that authenticated the peer (a
    /// resumed session carries it on; the keying-material lifetime counts from it).
    pub auth_time: u64,
    /// Seconds the ticket is good for (what NewSessionTicket said).
    pub lifetime: u32,
    /// TLS 1.3: `ticket_age_add`.
    pub age_add: u32,
    /// TLS 1.3: the NewSessionTicket's max_early_data_size (0: none).
    pub max_early_data: u32,
    /// The SNI of the original handshake.
    pub server_name: Option<String>,
    /// The ALPN protocol of the original handshake.
    pub alpn: Option<Vec<u8>>,
    /// Server: the client's certificate chain (leaf first), validated in the
    /// full handshake; empty when the client was not authenticated.
    pub peer_chain: Vec<Vec<u8>>,
}

impl PartialEq for ServerSessionState {
    fn eq(&self, o: &Self) -> bool {
        // The secret in constant time; the rest is not secret.
        ct_eq(self.secret.as_bytes(), o.secret.as_bytes())
            && self.version == o.version
            && self.suite == o.suite
            && self.ems == o.ems
            && self.issued_at == o.issued_at
            && self.auth_time == o.auth_time
            && self.lifetime == o.lifetime
            && self.age_add == o.age_add
            && self.max_early_data == o.max_early_data
            && self.server_name == o.server_name
            && self.alpn == o.alpn
            && self.peer_chain == o.peer_chain
    }
}

impl ServerSessionState {
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(
            48 + self.secret.len()
                + self.server_name.as_ref().map_or(0, |s| s.len())
                + self.alpn.as_ref().map_or(0, |a| a.len()),
        ));
        let chain = chain_fits(&self.peer_chain);
        put_u8(&mut out, if chain { FORMAT_V2 } else { FORMAT_V1 });
        put_u16(&mut out, self.version.0);
        put_u16(&mut out, self.suite.0);
        // A Secret is at most 66 bytes, so its length fits a u8.
        put_u8(&mut out, self.secret.len() as u8);
        out.extend_from_slice(self.secret.as_bytes());
        put_u8(&mut out, u8::from(self.ems));
        put_u64(&mut out, self.issued_at);
        put_u64(&mut out, self.auth_time);
        put_u32(&mut out, self.lifetime);
        put_u32(&mut out, self.age_add);
        put_u32(&mut out, self.max_early_data);
        // Both came from the wire in fields of these widths (SNI u16, ALPN
        // u8), so they fit; one that did not would be written as absent,
        // which makes a resumption mismatch (a full handshake), never a panic.
        put_opt(
            &mut out,
            self.server_name.as_deref().map(str::as_bytes),
            0xffff,
        );
        put_opt(&mut out, self.alpn.as_deref(), 0xff);
        if chain {
            put_chain(&mut out, &self.peer_chain);
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let format = r.u8()?;
        if format != FORMAT_V1 && format != FORMAT_V2 {
            return Err(DecodeError("unknown session state format"));
        }
        let version = ProtocolVersion(r.u16()?);
        let suite = CipherSuite(r.u16()?);
        let secret = r.bytes8()?;
        if secret.len() > Secret::MAX_LEN {
            return Err(DecodeError("session secret too long"));
        }
        let secret = Secret::new(secret);
        let ems = read_bool(&mut r)?;
        let issued_at = read_u64(&mut r)?;
        let auth_time = read_u64(&mut r)?;
        let lifetime = r.u32()?;
        let age_add = r.u32()?;
        let max_early_data = r.u32()?;
        let server_name = match read_opt(&mut r, true)? {
            Some(b) => Some(
                core::str::from_utf8(b)
                    .map_err(|_| DecodeError("session server name not UTF-8"))?
                    .to_owned(),
            ),
            None => None,
        };
        let alpn = read_opt(&mut r, false)?.map(<[u8]>::to_vec);
        let peer_chain = if format == FORMAT_V2 {
            read_chain(&mut r)?
        } else {
            Vec::new()
        };
        r.expect_empty("trailing bytes after session state")?;
        Ok(Self {
            version,
            suite,
            secret,
            ems,
            issued_at,
            auth_time,
            lifetime,
            age_add,
            max_early_data,
            server_name,
            alpn,
            peer_chain,
        })
    }
}

/// What of a validated client chain a session keeps (see [`MAX_KEPT_CHAIN`]).
pub(crate) fn chain_to_keep(chain: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let total: usize = chain.iter().map(Vec::len).sum();
    if total <= MAX_KEPT_CHAIN && chain.len() <= usize::from(u8::MAX) {
        return chain.to_vec();
    }
    match chain.first() {
        Some(leaf) if leaf.len() <= MAX_KEPT_CHAIN => vec![leaf.clone()],
        _ => Vec::new(),
    }
}

/// Whether a chain is written (format 2): one that is empty, or that does
/// not fit the fields (never one from [`chain_to_keep`]), makes a session
/// without client authentication, never a panic.
fn chain_fits(chain: &[Vec<u8>]) -> bool {
    !chain.is_empty()
        && chain.len() <= usize::from(u8::MAX)
        && chain.iter().all(|c| !c.is_empty() && c.len() < 1 << 24)
}

/// A chain as a count and u24-prefixed certificates; see [`chain_fits`].
fn put_chain(out: &mut Vec<u8>, chain: &[Vec<u8>]) {
    put_u8(out, chain.len() as u8);
    for der in chain {
        let n = der.len() as u32;
        // ok-panic: a u32 has four bytes; the low three are the u24.
        out.extend_from_slice(&n.to_be_bytes()[1..]);
        out.extend_from_slice(der);
    }
}

fn read_chain(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, DecodeError> {
    let n = r.u8()?;
    if n == 0 {
        return Err(DecodeError("empty client chain in session state"));
    }
    let mut chain = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let der = r.bytes24()?;
        if der.is_empty() {
            return Err(DecodeError("empty certificate in session state"));
        }
        chain.push(der.to_vec());
    }
    Ok(chain)
}

pub(super) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(super) fn read_u64(r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    let b = r.take(8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_be_bytes(a))
}

pub(super) fn read_bool(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError("bad boolean")),
    }
}

/// An optional byte string: a presence byte, then (if present) a u16
/// (`max` 0xffff) or u8 (`max` 0xff) length and the bytes.
pub(super) fn put_opt(out: &mut Vec<u8>, v: Option<&[u8]>, max: usize) {
    match v {
        Some(b) if b.len() <= max => {
            put_u8(out, 1);
            if max > 0xff {
                put_u16(out, b.len() as u16);
            } else {
                put_u8(out, b.len() as u8);
            }
            out.extend_from_slice(b);
        }
        _ => put_u8(out, 0),
    }
}

/// Reads [`put_opt`]'s form; `wide`: a u16 length, else a u8 one.
pub(super) fn read_opt<'a>(
    r: &mut Reader<'a>,
    wide: bool,
) -> Result<Option<&'a [u8]>, DecodeError> {
    if !read_bool(r)? {
        return Ok(None);
    }
    Ok(Some(if wide { r.bytes16()? } else { r.bytes8()? }))
}
