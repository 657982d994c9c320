//! Hashes, HMAC, HKDF and the handshake transcript.

use aws_lc_rs::{digest, hmac};
use zeroize::Zeroize;

use crate::error::Error;
use crate::msgs::enums::HandshakeType;
use crate::secrets::Secret;

/// The hash of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
}

/// A hash or HMAC output (not secret by itself; Finished values are compared with `ct_eq`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HashOutput {
    buf: [u8; 64],
    len: u8,
}

impl HashOutput {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// From a digest or HMAC tag (at most 64 bytes: SHA-512 is the largest aws-lc offers).
    fn from_slice(b: &[u8]) -> Self {
        let mut buf = [0u8; 64];
        let len = b.len().min(64);
        buf[..len].copy_from_slice(&b[..len]);
        Self {
            buf,
            len: len as u8,
        }
    }
}

impl core::fmt::Debug for HashOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HashOutput(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Largest hash output Baton uses (SHA-384).
const MAX_HASH_LEN: usize = 48;
/// Longest label HKDF-Expand-Label can carry: 255 minus the "tls13 " prefix.
pub(crate) const MAX_LABEL_LEN: usize = 255 - LABEL_PREFIX.len();
const LABEL_PREFIX: &[u8] = b"tls13 ";

impl HashAlg {
    fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            HashAlg::Sha256 => &digest::SHA256,
            HashAlg::Sha384 => &digest::SHA384,
        }
    }

    fn hmac_alg(self) -> hmac::Algorithm {
        match self {
            HashAlg::Sha256 => hmac::HMAC_SHA256,
            HashAlg::Sha384 => hmac::HMAC_SHA384,
        }
    }

    pub(crate) fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    pub(crate) fn hash(self, data: &[u8]) -> HashOutput {
        HashOutput::from_slice(digest::digest(self.digest_alg(), data).as_ref())
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> HashOutput {
        let key = hmac::Key::new(self.hmac_alg(), key);
        HashOutput::from_slice(hmac::sign(&key, data).as_ref())
    }

    /// HKDF-Extract(salt, ikm) (RFC 5869).
    pub(crate) fn hkdf_extract(self, salt: &[u8], ikm: &[u8]) -> Secret {
        // RFC 5869 §2.2: a missing salt is HashLen zeros; HMAC pads the empty key
        // with zeros to the block size, so an empty salt gives the same PRK.
        // Every handshake extracts with an empty salt: its HMAC key is made once.
        if salt.is_empty() {
            return Secret::new(hmac::sign(self.empty_salt_key(), ikm).as_ref());
        }
        let key = hmac::Key::new(self.hmac_alg(), salt);
        Secret::new(hmac::sign(&key, ikm).as_ref())
    }

    fn empty_salt_key(self) -> &'static hmac::Key {
        static KEYS: std::sync::OnceLock<[hmac::Key; 2]> = std::sync::OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            [
                hmac::Key::new(hmac::HMAC_SHA256, &[]),
                hmac::Key::new(hmac::HMAC_SHA384, &[]),
            ]
        });
        match self {
            HashAlg::Sha256 => &keys[0],
            HashAlg::Sha384 => &keys[1],
        }
    }

    /// A pseudorandom key set up for several HKDF-Expand calls: its HMAC key
    /// (two hash blocks of work, and an allocation) is made once, not per call.
    pub(crate) fn prk_key(self, prk: &[u8]) -> PrkKey {
        PrkKey {
            alg: self,
            key: hmac::Key::new(self.hmac_alg(), prk),
        }
    }

    #[cfg(test)]
    /// HKDF-Expand(prk, info, L) (RFC 5869 §2.3), `info` given in pieces.
    /// Fails if `out.len() > 255 * HashLen`.
    pub(crate) fn hkdf_expand(
        self,
        prk: &[u8],
        info: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.prk_key(prk).expand(info, out)
    }
}

/// An HKDF PRK whose HMAC key is ready: expand from it as often as needed.
#[derive(Clone)]
pub(crate) struct PrkKey {
    alg: HashAlg,
    key: hmac::Key,
}

impl PrkKey {
    /// HKDF-Expand(prk, info, L), `info` given in pieces. Fails if
    /// `out.len() > 255 * HashLen`.
    pub(crate) fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<(), Error> {
        let hash_len = self.alg.output_len();
        if out.len() > 255 * hash_len {
            return Err(Error::usage("HKDF-Expand output longer than 255 * HashLen"));
        }
        let key = &self.key;
        let mut prev = [0u8; MAX_HASH_LEN];
        let mut prev_len = 0;
        for (i, chunk) in out.chunks_mut(hash_len).enumerate() {
            let mut ctx = hmac::Context::with_key(key);
            ctx.update(&prev[..prev_len]);
            for part in info {
                ctx.update(part);
            }
            // i < 255 by the length check above.
            ctx.update(&[(i + 1) as u8]);
            let t = ctx.sign();
            let t = t.as_ref();
            prev[..hash_len].copy_from_slice(t);
            prev_len = hash_len;
            chunk.copy_from_slice(&t[..chunk.len()]);
        }
        prev.zeroize();
        Ok(())
    }
}

impl PrkKey {
    /// The TLS 1.2 P_hash (RFC 5246 §5) keyed by this HMAC key: `out` gets
    /// HMAC(A(1) || seed) || HMAC(A(2) || seed) || ..., where A(0) = seed and
    /// A(i) = HMAC(A(i-1)); `seed` is given in pieces (label, randoms...).
    pub(crate) fn p_hash(&self, seed: &[&[u8]], out: &mut [u8]) {
        let n = self.alg.output_len();
        let mut a = [0u8; MAX_HASH_LEN];
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in seed {
            ctx.update(part);
        }
        a[..n].copy_from_slice(ctx.sign().as_ref());
        let mut chunks = out.chunks_mut(n).peekable();
        while let Some(chunk) = chunks.next() {
            let mut ctx = hmac::Context::with_key(&self.key);
            ctx.update(&a[..n]);
            for part in seed {
                ctx.update(part);
            }
            let t = ctx.sign();
            chunk.copy_from_slice(&t.as_ref()[..chunk.len()]);
            if chunks.peek().is_some() {
                let next = hmac::sign(&self.key, &a[..n]);
                a[..n].copy_from_slice(next.as_ref());
            }
        }
        a.zeroize();
    }
}

impl HashAlg {
    /// HKDF-Expand-Label (RFC 8446 §7.1), "tls13 " prefix added here. `out.len()` ≤ 255*hash_len.
    ///
    /// For internal callers only: labels are constants, contexts are hashes or
    /// short nonces and output lengths are fixed, so the limits hold by
    /// construction. Anything sized by a user or the peer (exporters, ticket
    /// nonces) goes through [`HashAlg::try_hkdf_expand_label`].
    #[cfg(test)]
    pub(crate) fn hkdf_expand_label(
        self,
        secret: &[u8],
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) {
        // Internal callers pass constant labels, ≤ 255-byte contexts and fixed lengths.
        let r = self.try_hkdf_expand_label(secret, label, context, out);
        r.expect("HKDF-Expand-Label limits are met by construction"); // ok-panic: see above
    }

    /// HKDF-Expand-Label with its limits checked: `label` ≤ 249 bytes,
    /// `context` ≤ 255 bytes, `out` ≤ min(65535, 255 * HashLen) bytes; a
    /// violation is a Usage error.
    pub(crate) fn try_hkdf_expand_label(
        self,
        secret: &[u8],
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.prk_key(secret).try_expand_label(label, context, out)
    }

    /// Derive-Secret / HKDF-Expand-Label with output length = hash length, as a Secret.
    pub(crate) fn expand_label_secret(self, secret: &[u8], label: &[u8], context: &[u8]) -> Secret {
        self.prk_key(secret).expand_label_secret(label, context)
    }
}

impl PrkKey {
    /// HKDF-Expand-Label with its limits checked: `label` ≤ 249 bytes,
    /// `context` ≤ 255 bytes, `out` ≤ min(65535, 255 * HashLen) bytes; a
    /// violation is a Usage error.
    pub(crate) fn try_expand_label(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        if label.len() > MAX_LABEL_LEN {
            return Err(Error::usage("HKDF label too long"));
        }
        if context.len() > 255 {
            return Err(Error::usage("HKDF context too long"));
        }
        if out.len() > 255 * self.alg.output_len() {
            return Err(Error::usage("HKDF output too long"));
        }
        // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel;
        let len = (out.len() as u16).to_be_bytes();
        let label_len = [(LABEL_PREFIX.len() + label.len()) as u8];
        let context_len = [context.len() as u8];
        self.expand(
            &[&len, &label_len, LABEL_PREFIX, label, &context_len, context],
            out,
        )
    }

    /// HKDF-Expand-Label for internal callers (constant labels, hash-sized
    /// contexts, fixed lengths: the limits hold by construction).
    pub(crate) fn expand_label(&self, label: &[u8], context: &[u8], out: &mut [u8]) {
        let r = self.try_expand_label(label, context, out);
        r.expect("HKDF-Expand-Label limits are met by construction"); // ok-panic: see above
    }

    /// Derive-Secret / HKDF-Expand-Label of hash length, as a Secret.
    pub(crate) fn expand_label_secret(&self, label: &[u8], context: &[u8]) -> Secret {
        let mut buf = [0u8; MAX_HASH_LEN];
        let out = &mut buf[..self.alg.output_len()];
        self.expand_label(label, context, out);
        let s = Secret::new(out);
        buf.zeroize();
        s
    }
}

#[derive(Clone)]
enum TranscriptState {
    /// Hash not chosen yet: raw messages.
    Buffer(Vec<u8>),
    /// Running hash.
    Hashing(HashAlg, digest::Context),
}

/// The running handshake transcript. Buffers messages until the hash is known
/// (a client sends ClientHello before the suite is chosen), then hashes.
#[derive(Clone)]
pub(crate) struct Transcript {
    state: TranscriptState,
    /// The messages themselves, kept only where a TLS 1.2 CertificateVerify
    /// must sign them (it signs `handshake_messages`, not their hash).
    messages: Option<Vec<u8>>,
}

impl Transcript {
    pub(crate) fn new() -> Self {
        Self {
            state: TranscriptState::Buffer(Vec::new()),
            messages: None,
        }
    }

    /// Keeps every message from now on (and those buffered before the hash
    /// was fixed) for [`messages`](Self::messages). Call before `start_hash`;
    /// afterwards the earlier messages are gone and nothing is kept.
    pub(crate) fn keep_messages(&mut self) {
        if let TranscriptState::Buffer(buf) = &self.state {
            self.messages = Some(buf.clone());
        }
    }

    /// The messages added so far, if [`keep_messages`](Self::keep_messages) was in time.
    pub(crate) fn messages(&self) -> Option<&[u8]> {
        self.messages.as_deref()
    }
    /// Adds one encoded handshake message (header included).
    pub(crate) fn add(&mut self, encoded: &[u8]) {
        if let Some(m) = &mut self.messages {
            m.extend_from_slice(encoded);
        }
        match &mut self.state {
            TranscriptState::Buffer(buf) => buf.extend_from_slice(encoded),
            TranscriptState::Hashing(_, ctx) => ctx.update(encoded),
        }
    }
    /// Fixes the hash: hashes everything buffered so far and stops buffering.
    /// A second call with the same hash does nothing.
    pub(crate) fn start_hash(&mut self, alg: HashAlg) {
        match &self.state {
            TranscriptState::Buffer(buf) => {
                let mut ctx = digest::Context::new(alg.digest_alg());
                ctx.update(buf);
                self.state = TranscriptState::Hashing(alg, ctx);
            }
            TranscriptState::Hashing(have, _) => {
                debug_assert_eq!(*have, alg, "transcript hash changed after start_hash");
            }
        }
    }
    pub(crate) fn alg(&self) -> Option<HashAlg> {
        match &self.state {
            TranscriptState::Buffer(_) => None,
            TranscriptState::Hashing(alg, _) => Some(*alg),
        }
    }
    /// Hash of everything added so far. Requires `start_hash`.
    pub(crate) fn current_hash(&self) -> HashOutput {
        self.hash_with(&[])
    }

    /// Hash of everything added so far followed by `extra`, without adding
    /// `extra` (PSK binders hash a truncated ClientHello). Requires `start_hash`.
    pub(crate) fn hash_with(&self, extra: &[u8]) -> HashOutput {
        match &self.state {
            TranscriptState::Hashing(_, ctx) => {
                let mut ctx = ctx.clone();
                ctx.update(extra);
                HashOutput::from_slice(ctx.finish().as_ref())
            }
            TranscriptState::Buffer(buf) => {
                // Misuse by the engine; never reachable from input. Fall back to
                // SHA-256 (a wrong hash only fails the handshake) rather than panic.
                debug_assert!(false, "Transcript hash used before start_hash");
                let mut ctx = digest::Context::new(&digest::SHA256);
                ctx.update(buf);
                ctx.update(extra);
                HashOutput::from_slice(ctx.finish().as_ref())
            }
        }
    }

    /// Hash with `alg` of everything added so far followed by `extra`, whether or
    /// not the hash is fixed yet (a client computes PSK binders before the server
    /// picks a suite). If the hash is fixed, `alg` must be it.
    pub(crate) fn hash_given(&self, alg: HashAlg, extra: &[u8]) -> HashOutput {
        match &self.state {
            TranscriptState::Buffer(buf) => {
                let mut ctx = digest::Context::new(alg.digest_alg());
                ctx.update(buf);
                ctx.update(extra);
                HashOutput::from_slice(ctx.finish().as_ref())
            }
            TranscriptState::Hashing(have, _) => {
                debug_assert_eq!(*have, alg, "transcript hashed with another algorithm");
                self.hash_with(extra)
            }
        }
    }

    /// HelloRetryRequest: replaces the transcript so far (ClientHello1) with
    /// message_hash(254) || 00 00 Hash.length || Hash(ClientHello1) (RFC 8446 §4.4.1).
    /// Requires `start_hash`.
    pub(crate) fn rollup_for_hrr(&mut self) {
        let alg = match self.alg() {
            Some(alg) => alg,
            None => {
                debug_assert!(false, "rollup_for_hrr before start_hash");
                self.start_hash(HashAlg::Sha256);
                HashAlg::Sha256
            }
        };
        let h = self.current_hash();
        let mut ctx = digest::Context::new(alg.digest_alg());
        ctx.update(&[
            HandshakeType::MESSAGE_HASH.0,
            0,
            0,
            h.as_bytes().len() as u8,
        ]);
        ctx.update(h.as_bytes());
        self.state = TranscriptState::Hashing(alg, ctx);
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Transcript")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls13::rfc8448::unhex;

    #[test]
    fn sha_known_answers() {
        assert_eq!(
            HashAlg::Sha256.hash(b"abc").as_bytes(),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            HashAlg::Sha384.hash(b"abc").as_bytes(),
            unhex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                 8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(HashAlg::Sha256.output_len(), 32);
        assert_eq!(HashAlg::Sha384.output_len(), 48);
        assert_eq!(
            format!("{:?}", HashAlg::Sha256.hash(b"")),
            "HashOutput(e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)"
        );
    }

    #[test]
    fn hmac_rfc4231_case2() {
        // RFC 4231 test case 2.
        let key = b"Jefe";
        let data = b"what do ya want for nothing?";
        assert_eq!(
            HashAlg::Sha256.hmac(key, data).as_bytes(),
            unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            HashAlg::Sha384.hmac(key, data).as_bytes(),
            unhex(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649"
            )
        );
    }

    #[test]
    fn hkdf_rfc5869_case1() {
        let ikm = [0x0b; 22];
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = HashAlg::Sha256.hkdf_extract(&salt, &ikm);
        assert_eq!(
            prk.as_bytes(),
            unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let mut okm = [0u8; 42];
        HashAlg::Sha256
            .hkdf_expand(prk.as_bytes(), &[&info], &mut okm)
            .unwrap();
        assert_eq!(
            okm.to_vec(),
            unhex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf\
                 34007208d5b887185865"
            )
        );
    }

    #[test]
    fn hkdf_rfc5869_case3_empty_salt_info() {
        let ikm = [0x0b; 22];
        let prk = HashAlg::Sha256.hkdf_extract(&[], &ikm);
        assert_eq!(
            prk.as_bytes(),
            unhex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        );
        let mut okm = [0u8; 42];
        HashAlg::Sha256
            .hkdf_expand(prk.as_bytes(), &[], &mut okm)
            .unwrap();
        assert_eq!(
            okm.to_vec(),
            unhex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d\
                 9d201395faa4b61a96c8"
            )
        );
    }

    #[test]
    fn hkdf_expand_limits() {
        let prk = [1u8; 32];
        let mut ok = vec![0u8; 255 * 32];
        assert!(HashAlg::Sha256.hkdf_expand(&prk, &[], &mut ok).is_ok());
        let mut too_long = vec![0u8; 255 * 32 + 1];
        assert!(HashAlg::Sha256
            .hkdf_expand(&prk, &[], &mut too_long)
            .is_err());
        let mut out = [0u8; 32];
        let long_label = [b'a'; MAX_LABEL_LEN + 1];
        assert!(HashAlg::Sha256
            .try_hkdf_expand_label(&prk, &long_label, b"", &mut out)
            .is_err());
        assert!(HashAlg::Sha256
            .try_hkdf_expand_label(&prk, &long_label[1..], &[0u8; 255], &mut out)
            .is_ok());
        assert!(HashAlg::Sha256
            .try_hkdf_expand_label(&prk, b"x", &[0u8; 256], &mut out)
            .is_err());
    }

    #[test]
    fn expand_label_matches_manual_info() {
        // RFC 8448 §3 "derive secret for handshake": info = 00 20 0d "tls13 derived" 20 Hash("").
        let early = unhex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
        let empty_hash = HashAlg::Sha256.hash(b"");
        let derived =
            HashAlg::Sha256.expand_label_secret(&early, b"derived", empty_hash.as_bytes());
        let mut info = unhex("00200d746c7331332064657269766564");
        info.push(0x20);
        info.extend_from_slice(empty_hash.as_bytes());
        let mut manual = [0u8; 32];
        HashAlg::Sha256
            .hkdf_expand(&early, &[&info], &mut manual)
            .unwrap();
        assert_eq!(derived.as_bytes(), manual);
        assert_eq!(
            derived.as_bytes(),
            unhex("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")
        );
    }

    #[test]
    fn transcript_buffering_equals_direct_hashing() {
        let msgs: [&[u8]; 3] = [
            b"\x01\x00\x00\x02hi",
            b"\x02\x00\x00\x01!",
            b"\x08\x00\x00\x00",
        ];
        for alg in [HashAlg::Sha256, HashAlg::Sha384] {
            let mut all = Vec::new();
            for m in msgs {
                all.extend_from_slice(m);
            }
            // Buffer one message, then fix the hash and add the rest.
            let mut t = Transcript::new();
            assert_eq!(t.alg(), None);
            t.add(msgs[0]);
            t.start_hash(alg);
            assert_eq!(t.alg(), Some(alg));
            assert_eq!(t.current_hash(), alg.hash(msgs[0]));
            t.add(msgs[1]);
            t.add(msgs[2]);
            assert_eq!(t.current_hash(), alg.hash(&all));
            // current_hash does not disturb the running hash.
            assert_eq!(t.current_hash(), alg.hash(&all));
            // Everything buffered before start_hash.
            let mut u = Transcript::new();
            for m in msgs {
                u.add(m);
            }
            assert_eq!(
                u.hash_given(alg, b"xy"),
                alg.hash(&[&all[..], b"xy"].concat())
            );
            u.start_hash(alg);
            assert_eq!(u.current_hash(), alg.hash(&all));
            assert_eq!(u.hash_with(b"xy"), alg.hash(&[&all[..], b"xy"].concat()));
            assert_eq!(u.current_hash(), alg.hash(&all));
            // Clones diverge independently.
            let mut c = u.clone();
            c.add(b"more");
            assert_ne!(c.current_hash(), u.current_hash());
        }
    }

    #[test]
    fn transcript_hrr_rollup() {
        let ch1 = b"\x01\x00\x00\x03abc";
        let hrr = b"\x02\x00\x00\x01z";
        let ch2 = b"\x01\x00\x00\x03def";
        for alg in [HashAlg::Sha256, HashAlg::Sha384] {
            let mut t = Transcript::new();
            t.add(ch1);
            t.start_hash(alg);
            t.rollup_for_hrr();
            t.add(hrr);
            t.add(ch2);
            let h1 = alg.hash(ch1);
            let mut expect = vec![254, 0, 0, alg.output_len() as u8];
            expect.extend_from_slice(h1.as_bytes());
            assert_eq!(expect.len(), 4 + alg.output_len());
            expect.extend_from_slice(hrr);
            expect.extend_from_slice(ch2);
            assert_eq!(t.current_hash(), alg.hash(&expect));
        }
    }
}
