//! The TLS 1.2 PRF and everything derived with it: master secret (plain and
//! extended), key block, Finished verify_data and the keying-material exporter.
//!
//! The PRF itself is aws-lc-rs's (`tls_prf`, P_SHA256/P_SHA384); its output
//! buffers are zeroized on drop, and what we keep is copied into [`Secret`].

use crate::crypto::aead::AeadAlg;
use crate::crypto::hash::{HashAlg, PrkKey};
use crate::error::{Error, Result};
use crate::secrets::Secret;
use zeroize::Zeroizing;

/// Length of the TLS 1.2 master secret.
const MASTER_LEN: usize = 48;
/// Length of Finished.verify_data for every suite Baton implements (RFC 5246 §7.4.9).
pub(crate) const VERIFY_DATA_LEN: usize = 12;

/// PRF(secret, label, seed1 || seed2) (RFC 5246 §5) into `out`. P_hash runs
/// on aws-lc-rs's HMAC with the key set up once (aws-lc-rs's `tls_prf` boxes
/// the secret and sets the HMAC key up afresh on every call, and a resumed
/// handshake makes three calls).
fn prf_into(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed1: &[u8],
    seed2: &[u8],
    out: &mut [u8],
) {
    hash.prk_key(secret).p_hash(&[label, seed1, seed2], out);
}

/// [`prf_into`] a stack buffer of `len` ≤ 2 * 48 bytes, kept as a [`Secret`]
/// when it fits, zeroized either way.
fn prf_fixed<const N: usize>(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed1: &[u8],
    seed2: &[u8],
) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    prf_into(hash, secret, label, seed1, seed2, &mut out[..]);
    out
}

/// master_secret = PRF(pre_master_secret, "master secret", client_random || server_random)
/// (RFC 5246 §8.1). Used only when the peer lacks the extended master secret.
pub(crate) fn master_secret(
    hash: HashAlg,
    pms: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<Secret> {
    let out = prf_fixed::<MASTER_LEN>(hash, pms, b"master secret", client_random, server_random);
    Ok(Secret::new(&out[..]))
}

/// The extended master secret (RFC 7627 §4): bound to the whole handshake
/// through `session_hash`, the transcript hash up to and including
/// ClientKeyExchange.
pub(crate) fn extended_master_secret(
    hash: HashAlg,
    pms: &[u8],
    session_hash: &[u8],
) -> Result<Secret> {
    if session_hash.len() != hash.output_len() {
        return Err(Error::internal("session hash is not the PRF hash's length"));
    }
    let out = prf_fixed::<MASTER_LEN>(hash, pms, b"extended master secret", session_hash, &[]);
    Ok(Secret::new(&out[..]))
}

/// Both directions' AEAD keys and IVs (no MAC keys: AEAD suites only).
pub(crate) struct KeyBlock {
    pub client_key: Secret,
    pub server_key: Secret,
    /// AES-GCM: the 4-byte implicit salt (RFC 5288 §3); ChaCha20-Poly1305: the 12-byte IV (RFC 7905 §2).
    pub client_iv: Secret,
    pub server_iv: Secret,
}

/// The fixed IV length of an AEAD in TLS 1.2.
pub(crate) fn tls12_iv_len(aead: AeadAlg) -> usize {
    match aead {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 4,
        AeadAlg::ChaCha20Poly1305 => 12,
    }
}

/// A TLS 1.2 master secret with its PRF (HMAC) key set up once: the key
/// block and both Finished messages are derived from it.
pub(crate) struct MasterSecret {
    secret: Secret,
    prf: PrkKey,
}

impl MasterSecret {
    pub(crate) fn new(hash: HashAlg, secret: Secret) -> Self {
        let prf = hash.prk_key(secret.as_bytes());
        Self { secret, prf }
    }

    /// The secret itself (for sessions and the exporter).
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    pub(crate) fn into_secret(self) -> Secret {
        self.secret
    }
}

/// key_block = PRF(master, "key expansion", server_random || client_random),
/// cut into client key, server key, client IV, server IV (RFC 5246 §6.3).
pub(crate) fn key_block(
    aead: AeadAlg,
    master: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<KeyBlock> {
    let (k, iv) = (aead.key_len(), tls12_iv_len(aead));
    // At most 2 * (32 + 12) bytes (AES-256 or ChaCha20 keys, 12-byte IVs).
    let mut block = Zeroizing::new([0u8; 2 * (32 + 12)]);
    let b = &mut block[..2 * (k + iv)];
    master
        .prf
        .p_hash(&[b"key expansion", server_random, client_random], b);
    let b = &*b;
    Ok(KeyBlock {
        client_key: Secret::new(&b[..k]),
        server_key: Secret::new(&b[k..2 * k]),
        client_iv: Secret::new(&b[2 * k..2 * k + iv]),
        server_iv: Secret::new(&b[2 * k + iv..]),
    })
}

/// Finished.verify_data = PRF(master, label, Hash(handshake messages))[..12]
/// (RFC 5246 §7.4.9); `label` is `b"client finished"` or `b"server finished"`.
pub(crate) fn verify_data(
    master: &MasterSecret,
    label: &[u8],
    handshake_hash: &[u8],
) -> Result<[u8; VERIFY_DATA_LEN]> {
    let mut vd = [0u8; VERIFY_DATA_LEN];
    master.prf.p_hash(&[label, handshake_hash], &mut vd);
    Ok(vd)
}

/// The longest exporter output: a caller's length, bounded so a mistake
/// cannot ask for gigabytes.
const MAX_EXPORT_LEN: usize = 65535;

/// Labels that RFC 5705 §4 reserves for the protocol itself.
const RESERVED_LABELS: &[&[u8]] = &[
    b"client finished",
    b"server finished",
    b"master secret",
    b"key expansion",
    b"extended master secret",
];

/// Keying material exporter (RFC 5705 §4): PRF(master, label, client_random ||
/// server_random [|| u16 length || context]). The context, when present, is at
/// most 2^16 - 1 bytes.
pub(crate) fn export(
    hash: HashAlg,
    master: &Secret,
    label: &[u8],
    context: Option<&[u8]>,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out_len: usize,
) -> Result<Vec<u8>> {
    if RESERVED_LABELS.contains(&label) {
        return Err(Error::usage(
            "exporter label is reserved for the TLS 1.2 key schedule",
        ));
    }
    let mut seed = Vec::with_capacity(64 + 2 + context.map_or(0, <[u8]>::len));
    seed.extend_from_slice(client_random);
    seed.extend_from_slice(server_random);
    if let Some(ctx) = context {
        let len = u16::try_from(ctx.len())
            .map_err(|_| Error::usage("exporter context longer than 65535 bytes"))?;
        seed.extend_from_slice(&len.to_be_bytes());
        seed.extend_from_slice(ctx);
    }
    if out_len > MAX_EXPORT_LEN {
        return Err(Error::usage("exporter output longer than 65535 bytes"));
    }
    let mut out = vec![0u8; out_len];
    prf_into(hash, master.as_bytes(), label, &seed, &[], &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// P_hash written out from RFC 5246 §5 with HMAC, independent of aws-lc-rs's PRF.
    fn p_hash(hash: HashAlg, secret: &[u8], label_seed: &[u8], len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut a = hash.hmac(secret, label_seed).as_bytes().to_vec();
        while out.len() < len {
            let mut input = a.clone();
            input.extend_from_slice(label_seed);
            out.extend_from_slice(hash.hmac(secret, &input).as_bytes());
            a = hash.hmac(secret, &a).as_bytes().to_vec();
        }
        out.truncate(len);
        out
    }

    fn prf(
        hash: HashAlg,
        secret: &[u8],
        label: &[u8],
        seed1: &[u8],
        seed2: &[u8],
        len: usize,
    ) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len];
        prf_into(hash, secret, label, seed1, seed2, &mut out);
        Ok(out)
    }

    /// Our P_hash against aws-lc-rs's own TLS PRF, at every length across
    /// several hash-output boundaries and for long secrets (hashed to an
    /// HMAC key) and short ones.
    #[test]
    fn prf_matches_aws_lc_tls_prf() {
        use aws_lc_rs::tls_prf;
        for (hash, alg) in [
            (HashAlg::Sha256, &tls_prf::P_SHA256),
            (HashAlg::Sha384, &tls_prf::P_SHA384),
        ] {
            for secret_len in [1usize, 32, 48, 200] {
                let secret: Vec<u8> = (0..secret_len).map(|i| (i * 7 + 1) as u8).collect();
                for len in (1..=150).chain([255, 1000]) {
                    let ours =
                        prf(hash, &secret, b"a label", b"seed one", b"seed two", len).unwrap();
                    let theirs = tls_prf::Secret::new(alg, &secret)
                        .unwrap()
                        .derive_with_seed_concatination(b"a label", b"seed one", b"seed two", len)
                        .unwrap();
                    assert_eq!(
                        ours,
                        theirs.as_ref(),
                        "{hash:?} secret {secret_len} len {len}"
                    );
                }
            }
        }
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// The widely published TLS 1.2 PRF test vectors (IETF TLS WG mailing
    /// list, 2009): P_SHA256 and P_SHA384 over label "test label".
    #[test]
    fn prf_known_answers() {
        let secret = unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf(HashAlg::Sha256, &secret, b"test label", &seed, &[], 100).unwrap();
        assert_eq!(
            out.as_ref(),
            unhex(
                "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
                 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab
                 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
                 87 34 7b 66"
            )
        );
        let secret = unhex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = unhex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let out = prf(HashAlg::Sha384, &secret, b"test label", &seed, &[], 148).unwrap();
        assert_eq!(
            out.as_ref(),
            unhex(
                "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07 e8 1c 83 cd
                 e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00 88 4f 9d c2 36 f8 0e dd
                 8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73 eb c2 c5 fd 4a bf da d0 5d 91 84 25
                 9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2 60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6
                 91 c8 f3 a2 68 54 30 8d 5e aa 3b e8 5e 09 90 70 3d 73 e5 6f"
            )
        );
    }

    #[test]
    fn derivations_match_the_rfc_formulas() {
        let pms = [0x33u8; 32];
        let cr = [1u8; 32];
        let sr = [2u8; 32];
        for hash in [HashAlg::Sha256, HashAlg::Sha384] {
            let ms = master_secret(hash, &pms, &cr, &sr).unwrap();
            assert_eq!(
                ms.as_bytes(),
                p_hash(hash, &pms, &cat(&[b"master secret", &cr, &sr]), 48)
            );
            let session_hash = hash.hash(b"handshake messages");
            let ems = extended_master_secret(hash, &pms, session_hash.as_bytes()).unwrap();
            assert_eq!(
                ems.as_bytes(),
                p_hash(
                    hash,
                    &pms,
                    &cat(&[b"extended master secret", session_hash.as_bytes()]),
                    48
                )
            );
            assert_ne!(ems.as_bytes(), ms.as_bytes());
            for aead in [
                AeadAlg::Aes128Gcm,
                AeadAlg::Aes256Gcm,
                AeadAlg::ChaCha20Poly1305,
            ] {
                let kb = key_block(aead, &MasterSecret::new(hash, ems.clone()), &cr, &sr).unwrap();
                let (k, iv) = (aead.key_len(), tls12_iv_len(aead));
                let want = p_hash(
                    hash,
                    ems.as_bytes(),
                    &cat(&[b"key expansion", &sr, &cr]),
                    2 * (k + iv),
                );
                assert_eq!(kb.client_key.as_bytes(), &want[..k]);
                assert_eq!(kb.server_key.as_bytes(), &want[k..2 * k]);
                assert_eq!(kb.client_iv.as_bytes(), &want[2 * k..2 * k + iv]);
                assert_eq!(kb.server_iv.as_bytes(), &want[2 * k + iv..]);
            }
            let th = hash.hash(b"transcript");
            let m = MasterSecret::new(hash, ems.clone());
            let vd = verify_data(&m, b"client finished", th.as_bytes()).unwrap();
            assert_eq!(
                vd.to_vec(),
                p_hash(
                    hash,
                    ems.as_bytes(),
                    &cat(&[b"client finished", th.as_bytes()]),
                    12
                )
            );
            let sv = verify_data(&m, b"server finished", th.as_bytes()).unwrap();
            assert_ne!(vd, sv);
        }
    }

    #[test]
    fn exporter() {
        let ms = Secret::new(&[9u8; 48]);
        let (cr, sr) = ([1u8; 32], [2u8; 32]);
        let with = export(
            HashAlg::Sha256,
            &ms,
            b"EXPERIMENTAL x",
            Some(b"ctx"),
            &cr,
            &sr,
            40,
        )
        .unwrap();
        assert_eq!(
            with,
            p_hash(
                HashAlg::Sha256,
                &[9; 48],
                &cat(&[b"EXPERIMENTAL x", &cr, &sr, &[0, 3], b"ctx"]),
                40
            )
        );
        let without = export(HashAlg::Sha256, &ms, b"EXPERIMENTAL x", None, &cr, &sr, 40).unwrap();
        let empty = export(
            HashAlg::Sha256,
            &ms,
            b"EXPERIMENTAL x",
            Some(b""),
            &cr,
            &sr,
            40,
        )
        .unwrap();
        assert_ne!(
            without, empty,
            "no context and empty context differ (RFC 5705)"
        );
        assert!(export(HashAlg::Sha256, &ms, b"key expansion", None, &cr, &sr, 8).is_err());
        let long = vec![0u8; 70_000];
        assert!(export(HashAlg::Sha256, &ms, b"x", Some(&long), &cr, &sr, 8).is_err());
    }
    fn arr32(hex: &str) -> [u8; 32] {
        unhex(hex).try_into().unwrap()
    }

    /// NIST SP 800-135 (CAVP TLS 1.2 KDF) vectors: pre-master secret → master
    /// secret → key block, for SHA-256 and SHA-384.
    struct Nist {
        hash: HashAlg,
        pms: &'static str,
        server_hello_random: &'static str,
        client_hello_random: &'static str,
        server_random: &'static str,
        client_random: &'static str,
        master_secret: &'static str,
        key_block: &'static str,
    }

    const NIST: [Nist; 2] = [
        Nist {
            hash: HashAlg::Sha256,
            pms: "f8938ecc9edebc5030c0c6a441e213cd24e6f770a50dda07876f8d55da062bca\
                  db386b411fd4fe4313a604fce6c17fbc",
            server_hello_random: "f6c9575ed7ddd73e1f7d16eca115415812a43c2b747daaaae043abfb50053fce",
            client_hello_random: "36c129d01a3200894b9179faac589d9835d58775f9b5ea3587cb8fd0364cae8c",
            server_random: "ae6c806f8ad4d80784549dff28a4b58fd837681a51d928c3e30ee5ff14f39868",
            client_random: "62e1fd91f23f558a605f28478c58cf72637b89784d959df7e946d3f07bd1b616",
            master_secret: "202c88c00f84a17a20027079604787461176455539e705be730890602c289a50\
                            01e34eeb3a043e5d52a65e66125188bf",
            key_block: "d06139889fffac1e3a71865f504aa5d0d2a2e89506c6f2279b670c3e1b74f531\
                        016a2530c51a3a0f7e1d6590d0f0566b2f387f8d11fd4f731cdd572d2eae927f\
                        6f2f81410b25e6960be68985add6c38445ad9f8c64bf8068bf9a6679485d966f\
                        1ad6f68b43495b10a683755ea2b858d70ccac7ec8b053c6bd41ca299d4e51928",
        },
        Nist {
            hash: HashAlg::Sha384,
            pms: "a5e2642633f5b8c81ad3fe0c2fe3a8e5ef806b06121dd10df4bb0fe857bfdcf5\
                  22558e05d2682c9a80c741a3aab1716f",
            server_hello_random: "cb6e0b3eb02976b6466dfa9651c2919414f1648fd3a7838d02153e5bd39535b6",
            client_hello_random: "abe4bf5527429ac8eb13574d2709e8012bd1a113c6d3b1d3aa2c3840518778ac",
            server_random: "1b1c8568344a65c30828e7483c0e353e2c68641c9551efae6927d9cd627a107c",
            client_random: "954b5fe1849c2ede177438261f099a2fcd884d001b9fe1de754364b1f6a6dd8e",
            master_secret: "b4d49bfa87747fe815457bc3da15073d6ac73389e703079a3503c09e14bd559a\
                            5b3c7c601c7365f6ea8c68d3d9596827",
            key_block: "10fd89ef689c7ef033387b8a8f3e5e8e7c11f680f6bdd71fbac3246a73e98d45\
                        d03185dde686e6b2369e4503e9dc5a6d2cee3e2bf2fa3f41d3de57dff3e197c8\
                        a9d5f74cc2d277119d894f8584b07a0a5822f0bd68b3433ec6adaf5c9406c5f3\
                        ddbb71bbe17ce98f3d4d5893d3179ef369f57aad908e2bf710639100c3ce7e0c",
        },
    ];

    #[test]
    fn nist_master_secret_and_key_block() {
        for v in NIST {
            let ms = master_secret(
                v.hash,
                &unhex(v.pms),
                &arr32(v.client_hello_random),
                &arr32(v.server_hello_random),
            )
            .unwrap();
            assert_eq!(ms.as_bytes(), unhex(v.master_secret), "{:?}", v.hash);
            let kb_want = unhex(v.key_block);
            for aead in [
                AeadAlg::Aes128Gcm,
                AeadAlg::Aes256Gcm,
                AeadAlg::ChaCha20Poly1305,
            ] {
                let kb = key_block(
                    aead,
                    &MasterSecret::new(v.hash, ms.clone()),
                    &arr32(v.client_random),
                    &arr32(v.server_random),
                )
                .unwrap();
                let (k, i) = (aead.key_len(), tls12_iv_len(aead));
                assert_eq!(kb.client_key.as_bytes(), &kb_want[..k]);
                assert_eq!(kb.server_key.as_bytes(), &kb_want[k..2 * k]);
                assert_eq!(kb.client_iv.as_bytes(), &kb_want[2 * k..2 * k + i]);
                assert_eq!(kb.server_iv.as_bytes(), &kb_want[2 * k + i..2 * k + 2 * i]);
                assert_eq!(
                    format!("{:?}", kb.client_key),
                    format!("Secret(<{k} bytes redacted>)")
                );
            }
        }
    }

    #[test]
    fn extended_master_secret_openssl_session() {
        // From an OpenSSL TLS 1.2 session with EMS and
        // ECDHE-ECDSA-AES256-GCM-SHA384, as recorded in s2n-tls's PRF tests.
        let pms = unhex("05e12675c9264d82b53fa15d589c829af9be1ae3d881ab0b023b7b8cad8bc058");
        let session_hash = unhex(
            "e6cbbaa03909ea387714fe70c07546086dedfcee086fd2985dfdd50924393619\
             009115758e490e2e3b0c13bebdad5fbb",
        );
        let ems = extended_master_secret(HashAlg::Sha384, &pms, &session_hash).unwrap();
        assert_eq!(
            ems.as_bytes(),
            unhex(
                "aef116e65e2cd77d4e96b1ceeadb7912ddd9aaf3a907aa3344ec3a2de6cc3b69\
                 9ca768fe389eab3b53c98d8ccd830b06"
            )
        );
        // A SHA-256-sized hash with the SHA-384 PRF is a bug, not a wrong key.
        assert!(extended_master_secret(HashAlg::Sha384, &pms, &session_hash[..32]).is_err());
        assert!(extended_master_secret(HashAlg::Sha256, &pms, &session_hash).is_err());
    }
}
