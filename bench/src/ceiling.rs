//! The crypto ceiling: raw aws-lc-rs AEAD seal/open on the same sizes, and the
//! raw public-key operations a handshake needs, so record-layer and handshake
//! overheads show as ratios.

use crate::{KeyType, Suite};
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `f` in growing batches until `budget` has passed; seconds per call.
pub fn per_op(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    let mut batch = 1u64;
    loop {
        for _ in 0..batch {
            f();
        }
        n += batch;
        let e = start.elapsed();
        if e >= budget {
            return e.as_secs_f64() / n as f64;
        }
        batch = (batch * 2).min(1 << 16);
    }
}

fn alg(suite: Suite) -> &'static aead::Algorithm {
    match suite {
        Suite::Tls13Aes128Gcm | Suite::Tls12Aes128Gcm => &aead::AES_128_GCM,
        Suite::Tls13Aes256Gcm => &aead::AES_256_GCM,
        Suite::Tls13Chacha20 => &aead::CHACHA20_POLY1305,
    }
}

fn key(suite: Suite) -> LessSafeKey {
    let a = alg(suite);
    LessSafeKey::new(UnboundKey::new(a, &vec![7u8; a.key_len()]).unwrap())
}

fn nonce(seq: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&seq.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

/// Raw seal throughput (bytes/s) for `size`-byte messages with a 5-byte AAD.
pub fn seal(suite: Suite, size: usize, budget: Duration) -> f64 {
    let k = key(suite);
    let mut buf = crate::pattern(size);
    let mut seq = 0u64;
    let t = per_op(budget, || {
        seq += 1;
        let tag = k
            .seal_in_place_separate_tag(nonce(seq), Aad::from([23u8, 3, 3, 0, 0]), &mut buf)
            .unwrap();
        black_box(tag.as_ref()[0]);
    });
    size as f64 / t
}

/// Raw open throughput (bytes/s): a seal+open round trip, less the seal.
pub fn open(suite: Suite, size: usize, budget: Duration) -> f64 {
    let k = key(suite);
    let mut buf = crate::pattern(size);
    buf.resize(size + alg(suite).tag_len(), 0);
    let aad = [23u8, 3, 3, 0, 0];
    let both = per_op(budget, || {
        let tag = k
            .seal_in_place_separate_tag(nonce(1), Aad::from(aad), &mut buf[..size])
            .unwrap();
        buf[size..].copy_from_slice(tag.as_ref());
        let plain = k.open_in_place(nonce(1), Aad::from(aad), &mut buf).unwrap();
        black_box(plain);
    });
    let seal_only = size as f64 / seal(suite, size, budget);
    size as f64 / (both - seal_only).max(both * 0.05)
}

/// Per-operation costs (seconds) of the public-key work in a handshake.
#[derive(Clone, Copy, Debug)]
pub struct PkCosts {
    /// X25519: generate a key pair, compute the shared secret.
    pub x25519: f64,
    /// ECDSA P-256 SHA-256 sign.
    pub ecdsa_sign: f64,
    /// ECDSA P-256 SHA-256 verify.
    pub ecdsa_verify: f64,
    /// RSA-2048 PSS-SHA256 sign.
    pub rsa_sign: f64,
    /// RSA-2048 verify.
    pub rsa_verify: f64,
}

impl PkCosts {
    /// Measures each operation with the test keys.
    pub fn measure(budget: Duration) -> PkCosts {
        let rng = SystemRandom::new();
        let peer = EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
        let peer_pub = peer.compute_public_key().unwrap().as_ref().to_vec();
        let x25519 = per_op(budget, || {
            let k = EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
            black_box(k.compute_public_key().unwrap());
            agreement::agree_ephemeral(
                k,
                UnparsedPublicKey::new(&agreement::X25519, &peer_pub),
                (),
                |s| {
                    black_box(s);
                    Ok(())
                },
            )
            .unwrap();
        });
        let msg = [0x20u8; 130];
        let der = |k: KeyType| {
            let (_, key, _) = k.files();
            PrivateKeyDer::from_pem_file(key)
                .unwrap()
                .secret_der()
                .to_vec()
        };
        let ec = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &der(KeyType::EcdsaP256),
        )
        .unwrap();
        let ecdsa_sign = per_op(budget, || {
            black_box(ec.sign(&rng, &msg).unwrap());
        });
        let sig = ec.sign(&rng, &msg).unwrap();
        let ec_pub = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_ASN1,
            ec.public_key().as_ref().to_vec(),
        );
        let ecdsa_verify = per_op(budget, || {
            ec_pub.verify(&msg, sig.as_ref()).unwrap();
        });
        let rsa = RsaKeyPair::from_pkcs8(&der(KeyType::Rsa2048)).unwrap();
        let mut rsa_sig = vec![0u8; rsa.public_modulus_len()];
        let rsa_sign = per_op(budget, || {
            rsa.sign(&signature::RSA_PSS_SHA256, &rng, &msg, &mut rsa_sig)
                .unwrap();
        });
        let rsa_pub = signature::UnparsedPublicKey::new(
            &signature::RSA_PSS_2048_8192_SHA256,
            rsa.public_key().as_ref().to_vec(),
        );
        let rsa_verify = per_op(budget, || {
            rsa_pub.verify(&msg, &rsa_sig).unwrap();
        });
        PkCosts {
            x25519,
            ecdsa_sign,
            ecdsa_verify,
            rsa_sign,
            rsa_verify,
        }
    }

    /// Seconds of raw crypto for the server's side of a full handshake: one
    /// X25519 and one signature.
    pub fn server(&self, key: KeyType) -> f64 {
        self.x25519
            + match key {
                KeyType::EcdsaP256 => self.ecdsa_sign,
                KeyType::Rsa2048 => self.rsa_sign,
            }
    }

    /// The client's side: one X25519 and every signature it checks (the
    /// handshake signature plus one per certificate in the chain: the P-256
    /// chain is leaf + intermediate, the RSA one a leaf under the root).
    pub fn client(&self, key: KeyType) -> f64 {
        self.x25519
            + match key {
                KeyType::EcdsaP256 => 3.0 * self.ecdsa_verify,
                KeyType::Rsa2048 => 2.0 * self.rsa_verify,
            }
    }
}

/// Bytes of handshake messages a TLS 1.2 resumed handshake hashes: a
/// ClientHello carrying a ticket (~350), ServerHello (~90), two Finished (16).
const TLS12_RESUMED_TRANSCRIPT: usize = 472;

/// Bytes of a TLS 1.2 session sealed in a ticket (master secret, suite,
/// times, server name and so on).
const TLS12_TICKET_STATE: usize = 112;

/// The raw crypto of one side of a TLS 1.2 resumed (ticket) handshake, in
/// seconds, each piece as aws-lc-rs runs it alone.
#[derive(Clone, Copy, Debug)]
pub struct Tls12Resumed {
    /// Client: its random, the transcript hash (two digests), the key block
    /// (PRF), both Finished (PRF each), both AES-128-GCM keys, sealing its
    /// Finished and opening the server's.
    pub client: f64,
    /// Server: the same, plus opening the ticket (HKDF-SHA256 for its key and
    /// nonce, an AES-256-GCM key, an open of the session state).
    pub server: f64,
}

/// One side's crypto, run once per call.
pub type CryptoOp = Box<dyn FnMut()>;

impl Tls12Resumed {
    /// Measures both sides' crypto.
    pub fn measure(budget: Duration) -> Tls12Resumed {
        let (mut client, mut server) = Self::ops();
        Tls12Resumed {
            client: per_op(budget, &mut client),
            server: per_op(budget, &mut server),
        }
    }

    /// One side's crypto each call: (client, server). Also run under
    /// callgrind (`--callgrind baton raw12`), beside the resumed handshakes.
    pub fn ops() -> (CryptoOp, CryptoOp) {
        let client = Box::new(side_crypto());
        let mut common = side_crypto();
        let mut ticket = ticket_open();
        let server = Box::new(move || {
            common();
            ticket();
        });
        (client, server)
    }
}

/// The crypto both sides of a TLS 1.2 resumed handshake do.
fn side_crypto() -> impl FnMut() {
    use aws_lc_rs::{digest, tls_prf};
    let rng = SystemRandom::new();
    let master = [0x33u8; 48];
    let randoms = [0x44u8; 64];
    let transcript = crate::pattern(TLS12_RESUMED_TRANSCRIPT);
    move || {
        let mut random = [0u8; 32];
        aws_lc_rs::rand::SecureRandom::fill(&rng, &mut random).unwrap();
        black_box(random);
        // The transcript, digested once for each Finished.
        let mut h = digest::Context::new(&digest::SHA256);
        h.update(&transcript[..TLS12_RESUMED_TRANSCRIPT - 16]);
        let first = h.clone().finish();
        h.update(&transcript[TLS12_RESUMED_TRANSCRIPT - 16..]);
        let second = h.finish();
        let prf = |label: &[u8], seed: &[u8], len| {
            let s = tls_prf::Secret::new(&tls_prf::P_SHA256, &master).unwrap();
            black_box(s.derive(label, seed, len).unwrap());
        };
        prf(b"key expansion", &randoms, 40);
        prf(b"server finished", first.as_ref(), 12);
        prf(b"client finished", second.as_ref(), 12);
        let k = |b| LessSafeKey::new(UnboundKey::new(&aead::AES_128_GCM, &[b; 16]).unwrap());
        let (seal_key, open_key) = (k(1), k(1));
        let mut fin = [0x14u8; 16 + 16];
        let aad = [22u8, 3, 3, 0, 16];
        let tag = seal_key
            .seal_in_place_separate_tag(nonce(1), Aad::from(aad), &mut fin[..16])
            .unwrap();
        fin[16..].copy_from_slice(tag.as_ref());
        black_box(
            open_key
                .open_in_place(nonce(1), Aad::from(aad), &mut fin)
                .unwrap(),
        );
    }
}

/// Opening a ticket: HKDF-SHA256 for its AES-256-GCM key and nonce (a
/// per-ticket salt, as s2n and Baton seal them), then the open.
fn ticket_open() -> impl FnMut() {
    use aws_lc_rs::hkdf;
    let ticket_key = [0x55u8; 32];
    let salt = [0x66u8; 32];
    let nonce12 = [7u8; 12];
    let make_key = move || {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &salt).extract(&ticket_key);
        let mut okm = [0u8; 44];
        prk.expand(&[b"ticket", b"name"], TicketOkm)
            .unwrap()
            .fill(&mut okm)
            .unwrap();
        LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, &okm[..32]).unwrap())
    };
    let mut sealed = crate::pattern(TLS12_TICKET_STATE);
    let tag = make_key()
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce12),
            Aad::empty(),
            &mut sealed,
        )
        .unwrap();
    sealed.extend_from_slice(tag.as_ref());
    move || {
        let mut t = sealed.clone();
        let k = make_key();
        black_box(
            k.open_in_place(Nonce::assume_unique_for_key(nonce12), Aad::empty(), &mut t)
                .unwrap(),
        );
    }
}

/// HKDF output length for the ticket key and nonce (32 + 12 bytes).
struct TicketOkm;

impl aws_lc_rs::hkdf::KeyType for TicketOkm {
    fn len(&self) -> usize {
        44
    }
}
