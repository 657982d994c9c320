//! The TLS 1.2 PRF and everything derived with it: master secret (plain and
//! extended), key block, Finished verify_data and the keying-material exporter.
//!
//! The PRF itself is aws-lc-rs's (`tls_prf`, P_SHA256/P_SHA384); its output
//! buffers are zeroized on drop, and what we keep is copied into [`Secret`].

use crate::crypto::aead::AeadAlg;
use crate::crypto::hash::HashAlg;
use crate::error::{Error, Result};
use crate::secrets::Secret;
use aws_lc_rs::tls_prf;

/// Length of the TLS 1.2 master secret.
const MASTER_LEN: usize = 48;
/// Length of Finished.verify_data for every suite Baton implements (RFC 5246 §7.4.9).
pub(crate) const VERIFY_DATA_LEN: usize = 12;

fn algorithm(hash: HashAlg) -> &'static tls_prf::Algorithm {
    match hash {
        HashAlg::Sha256 => &tls_prf::P_SHA256,
        HashAlg::Sha384 => &tls_prf::P_SHA384,
    }
}

/// PRF(secret, label, seed1 || seed2)[..len], in a buffer zeroized on drop.
fn prf(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed1: &[u8],
    seed2: &[u8],
    len: usize,
) -> Result<tls_prf::Secret> {
    tls_prf::Secret::new(algorithm(hash), secret)
        .and_then(|s| s.derive_with_seed_concatination(label, seed1, seed2, len))
        .map_err(|_| Error::internal("TLS 1.2 PRF failed"))
}

/// master_secret = PRF(pre_master_secret, "master secret", client_random || server_random)
/// (RFC 5246 §8.1). Used only when the peer lacks the extended master secret.
pub(crate) fn master_secret(
    hash: HashAlg,
    pms: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<Secret> {
    let out = prf(
        hash,
        pms,
        b"master secret",
        client_random,
        server_random,
        MASTER_LEN,
    )?;
    Ok(Secret::new(out.as_ref()))
}

/// The extended master secret (RFC 7627 §4): bound to the whole handshake
/// through `session_hash`, the transcript hash up to and including
/// ClientKeyExchange.
pub(crate) fn extended_master_secret(
    hash: HashAlg,
    pms: &[u8],
    session_hash: &[u8],
) -> Result<Secret> {
    let out = prf(
        hash,
        pms,
        b"extended master secret",
        session_hash,
        &[],
        MASTER_LEN,
    )?;
    Ok(Secret::new(out.as_ref()))
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

/// key_block = PRF(master, "key expansion", server_random || client_random),
/// cut into client key, server key, client IV, server IV (RFC 5246 §6.3).
pub(crate) fn key_block(
    hash: HashAlg,
    aead: AeadAlg,
    master: &Secret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<KeyBlock> {
    let (k, iv) = (aead.key_len(), tls12_iv_len(aead));
    let block = prf(
        hash,
        master.as_bytes(),
        b"key expansion",
        server_random,
        client_random,
        2 * (k + iv),
    )?;
    let b = block.as_ref();
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
    hash: HashAlg,
    master: &Secret,
    label: &[u8],
    handshake_hash: &[u8],
) -> Result<[u8; VERIFY_DATA_LEN]> {
    let out = prf(
        hash,
        master.as_bytes(),
        label,
        handshake_hash,
        &[],
        VERIFY_DATA_LEN,
    )?;
    let mut vd = [0u8; VERIFY_DATA_LEN];
    vd.copy_from_slice(out.as_ref());
    Ok(vd)
}

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
    let out = prf(hash, master.as_bytes(), label, &seed, &[], out_len)?;
    Ok(out.as_ref().to_vec())
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
                let kb = key_block(hash, aead, &ems, &cr, &sr).unwrap();
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
            let vd = verify_data(hash, &ems, b"client finished", th.as_bytes()).unwrap();
            assert_eq!(
                vd.to_vec(),
                p_hash(
                    hash,
                    ems.as_bytes(),
                    &cat(&[b"client finished", th.as_bytes()]),
                    12
                )
            );
            let sv = verify_data(hash, &ems, b"server finished", th.as_bytes()).unwrap();
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
}
