use super::*;

const ALGS: [AeadAlg; 3] = [
    AeadAlg::Aes128Gcm,
    AeadAlg::Aes256Gcm,
    AeadAlg::ChaCha20Poly1305,
];

fn pair(aead: AeadAlg) -> (Encrypter, Decrypter) {
    let key = Secret::new(&vec![0x42; aead.key_len()]);
    let iv = [9u8; 12];
    (
        Encrypter::new_tls13(aead, &key, &iv).unwrap(),
        Decrypter::new_tls13(aead, &key, &iv).unwrap(),
    )
}

fn open_vec(d: &mut Decrypter, rec: &mut [u8]) -> Result<(ContentType, Vec<u8>), Error> {
    let (hdr, body) = rec.split_at_mut(HEADER_LEN);
    let hdr: [u8; 5] = hdr.try_into().unwrap();
    let (typ, range) = d.open(&hdr, body)?;
    Ok((typ, body[range].to_vec()))
}

fn pair12(aead: AeadAlg) -> (Encrypter, Decrypter) {
    let key = Secret::new(&vec![0x42; aead.key_len()]);
    let iv = vec![9u8; crate::tls12::prf::tls12_iv_len(aead)];
    (
        Encrypter::new_tls12(aead, &key, &iv).unwrap(),
        Decrypter::new_tls12(aead, &key, &iv).unwrap(),
    )
}

#[test]
fn tls12_roundtrip_and_wire_layout() {
    for aead in ALGS {
        let (mut e, mut d) = pair12(aead);
        let explicit = if aead == AeadAlg::ChaCha20Poly1305 {
            0
        } else {
            8
        };
        assert_eq!(e.overhead(), 5 + explicit + 16);
        for (i, (typ, pt)) in [
            (ContentType::HANDSHAKE, &b"finished"[..]),
            (ContentType::APPLICATION_DATA, &[0xab; 16384][..]),
            (ContentType::ALERT, &[1, 0][..]),
            (ContentType::APPLICATION_DATA, &b""[..]),
        ]
        .into_iter()
        .enumerate()
        {
            let mut out = Vec::new();
            e.seal(typ, pt, 0, &mut out).unwrap();
            assert_eq!(out.len(), 5 + explicit + pt.len() + 16);
            assert_eq!(out[0], typ.0, "TLS 1.2 keeps the real outer type");
            assert_eq!(&out[1..3], &[3, 3]);
            assert_eq!(u16::from_be_bytes([out[3], out[4]]) as usize, out.len() - 5);
            if explicit == 8 {
                assert_eq!(
                    &out[5..13],
                    &(i as u64).to_be_bytes(),
                    "explicit nonce = seq"
                );
            }
            let (t, p) = open_vec(&mut d, &mut out).unwrap();
            assert_eq!((t, p.as_slice()), (typ, pt));
        }
        assert!(e
            .seal(ContentType::APPLICATION_DATA, b"x", 1, &mut Vec::new())
            .is_err());
        let tk = e.traffic_keys();
        assert_eq!(tk.version, ProtocolVersion::TLSV1_2);
        assert_eq!(tk.iv.len(), crate::tls12::prf::tls12_iv_len(aead));
        assert_eq!(tk.seq, 4);
    }
}

/// A TLS 1.2 GCM record built by hand with aws-lc-rs (RFC 5288 nonce,
/// RFC 5246 AAD) opens, and ours matches it byte for byte.
#[test]
fn tls12_gcm_matches_an_independent_construction() {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
    let key = [0x11u8; 16];
    let salt = [0xa1, 0xa2, 0xa3, 0xa4];
    let seq: u64 = 0x0102_0304_0506_0708;
    let pt = b"GET / HTTP/1.1\r\n\r\n";
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&salt);
    nonce[4..].copy_from_slice(&seq.to_be_bytes());
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[23, 3, 3, 0, pt.len() as u8]);
    let k = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    let mut body = pt.to_vec();
    let tag = k
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut body,
        )
        .unwrap();
    let mut rec = vec![23, 3, 3, 0, (8 + pt.len() + 16) as u8];
    rec.extend_from_slice(&seq.to_be_bytes());
    rec.extend_from_slice(&body);
    rec.extend_from_slice(tag.as_ref());

    let secret = Secret::new(&key);
    let mut e = Encrypter::new_tls12(AeadAlg::Aes128Gcm, &secret, &salt).unwrap();
    e.set_seq_for_test(seq);
    let mut ours = Vec::new();
    e.seal(ContentType::APPLICATION_DATA, pt, 0, &mut ours)
        .unwrap();
    assert_eq!(ours, rec);
    let mut d = Decrypter::new_tls12(AeadAlg::Aes128Gcm, &secret, &salt).unwrap();
    d.set_seq_for_test(seq);
    let (t, p) = open_vec(&mut d, &mut rec).unwrap();
    assert_eq!((t, p.as_slice()), (ContentType::APPLICATION_DATA, &pt[..]));
}

#[test]
fn tls12_tampering_and_malformed_records() {
    for aead in ALGS {
        let (mut e, _) = pair12(aead);
        let mut rec = Vec::new();
        e.seal(
            ContentType::APPLICATION_DATA,
            b"attack at dawn",
            0,
            &mut rec,
        )
        .unwrap();
        // Any flipped bit (header type/version/length excepted: see below) fails.
        for i in 1..rec.len() {
            if i == 3 || i == 4 {
                continue; // length: covered by the truncation cases
            }
            let (_, mut d) = pair12(aead);
            let mut bad = rec.clone();
            bad[i] ^= 0x40;
            assert_eq!(
                alert(open_vec(&mut d, &mut bad)),
                AlertDescription::BAD_RECORD_MAC,
                "{aead:?} byte {i}"
            );
            assert_eq!(d.seq(), 0, "seq advances only on success");
        }
        // The outer type is authenticated: handshake instead of application data fails.
        let (_, mut d) = pair12(aead);
        let mut bad = rec.clone();
        bad[0] = ContentType::HANDSHAKE.0;
        assert_eq!(
            alert(open_vec(&mut d, &mut bad)),
            AlertDescription::BAD_RECORD_MAC
        );
        // CCS and unknown types are never protected.
        for t in [20u8, 24, 0] {
            let mut bad = rec.clone();
            bad[0] = t;
            assert_eq!(
                alert(open_vec(&mut d, &mut bad)),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
        // Out of sequence (a replayed or dropped record) fails.
        let (_, mut d) = pair12(aead);
        d.set_seq_for_test(1);
        assert_eq!(
            alert(open_vec(&mut d, &mut rec.clone())),
            AlertDescription::BAD_RECORD_MAC
        );
        // Truncated to less than nonce + tag, and oversized.
        let (_, mut d) = pair12(aead);
        for cut in [5, 6, 5 + 8, 5 + 15] {
            let mut short = rec[..cut.min(rec.len())].to_vec();
            assert!(matches!(
                alert(open_vec(&mut d, &mut short)),
                AlertDescription::BAD_RECORD_MAC
            ));
        }
        let mut big = vec![23, 3, 3, 0x41, 0x01];
        big.resize(5 + MAX_CIPHERTEXT + 1, 0);
        assert_eq!(
            alert(open_vec(&mut d, &mut big)),
            AlertDescription::RECORD_OVERFLOW
        );
    }
}

#[test]
fn seal_into_dirty_buffer_matches_seal_and_checks_length() {
    for aead in ALGS {
        for (mut a, mut b) in [
            (pair(aead).0, pair(aead).0),
            (pair12(aead).0, pair12(aead).0),
        ] {
            // Both sides of CHACHA_SCATTER_MIN: copied and sealed in place, or not.
            for size in [
                1000,
                CHACHA_SCATTER_MIN - 1,
                CHACHA_SCATTER_MIN,
                MAX_PLAINTEXT,
            ] {
                let pt = vec![0x5a; size];
                let mut want = Vec::new();
                a.seal(ContentType::APPLICATION_DATA, &pt, 0, &mut want)
                    .unwrap();
                let seq = b.seq();
                let len = b
                    .record_len(ContentType::APPLICATION_DATA, size, 0)
                    .unwrap();
                assert_eq!(len, want.len());
                for wrong in [len - 1, len + 1, 0] {
                    let mut dst = vec![0xee; wrong];
                    assert!(b
                        .seal_into(ContentType::APPLICATION_DATA, &pt, 0, &mut dst)
                        .is_err());
                    assert_eq!(b.seq(), seq, "a refused seal uses no sequence number");
                }
                // Old bytes in the buffer (a reused output buffer) do not leak through.
                let mut dst = vec![0xee; len];
                b.seal_into(ContentType::APPLICATION_DATA, &pt, 0, &mut dst)
                    .unwrap();
                assert_eq!(dst, want);
                assert_eq!(b.seq(), seq + 1);
            }
        }
    }
}

#[test]
fn tls12_constructor_checks_iv_length() {
    let key = Secret::new(&[0; 16]);
    assert!(Encrypter::new_tls12(AeadAlg::Aes128Gcm, &key, &[0; 12]).is_err());
    assert!(Decrypter::new_tls12(AeadAlg::Aes128Gcm, &key, &[0; 3]).is_err());
    let key = Secret::new(&[0; 32]);
    assert!(Encrypter::new_tls12(AeadAlg::ChaCha20Poly1305, &key, &[0; 4]).is_err());
    assert!(Decrypter::new_tls12(AeadAlg::ChaCha20Poly1305, &key, &[0; 12]).is_ok());
}

fn alert(r: Result<(ContentType, Vec<u8>), Error>) -> AlertDescription {
    r.unwrap_err().sent_alert().unwrap()
}

#[test]
fn roundtrip_with_padding() {
    for aead in ALGS {
        let (mut e, mut d) = pair(aead);
        assert_eq!(e.overhead(), 22);
        let cases: [(ContentType, &[u8], usize); 5] = [
            (ContentType::HANDSHAKE, b"hello", 0),
            (ContentType::APPLICATION_DATA, b"data", 100),
            (ContentType::ALERT, &[1, 0], 3),
            (ContentType::APPLICATION_DATA, b"", 0),
            (ContentType::APPLICATION_DATA, b"", 7),
        ];
        for (i, (typ, pt, pad)) in cases.into_iter().enumerate() {
            let mut out = b"keep".to_vec();
            e.seal(typ, pt, pad, &mut out).unwrap();
            assert_eq!(&out[..4], b"keep");
            let rec = &mut out[4..];
            let ct_len = pt.len() + pad + 1 + 16;
            assert_eq!(rec.len(), 5 + ct_len);
            assert_eq!(&rec[..3], &[23, 3, 3]);
            assert_eq!(u16::from_be_bytes([rec[3], rec[4]]) as usize, ct_len);
            assert_eq!(e.seq(), i as u64 + 1);
            let (t, p) = open_vec(&mut d, rec).unwrap();
            assert_eq!((t, &p[..]), (typ, pt));
            assert_eq!(d.seq(), i as u64 + 1);
        }
    }
}

#[test]
fn max_sizes() {
    let (mut e, mut d) = pair(AeadAlg::Aes128Gcm);
    let big = vec![0x61; MAX_PLAINTEXT];
    let mut out = Vec::new();
    e.seal(ContentType::APPLICATION_DATA, &big, 0, &mut out)
        .unwrap();
    assert_eq!(out.len(), MAX_PLAINTEXT + e.overhead());
    let (_, p) = open_vec(&mut d, &mut out).unwrap();
    assert_eq!(p.len(), MAX_PLAINTEXT);
    // Too much plaintext + padding is refused and leaves `out` alone.
    let mut out = vec![1, 2];
    assert!(e
        .seal(ContentType::APPLICATION_DATA, &big, 1, &mut out)
        .is_err());
    assert!(e
        .seal(ContentType::APPLICATION_DATA, b"", usize::MAX, &mut out)
        .is_err());
    assert!(e.seal(ContentType(0), b"x", 0, &mut out).is_err());
    assert_eq!(out, vec![1, 2]);
    assert_eq!(e.seq(), 1);
}

#[test]
fn all_zero_inner_plaintext_is_unexpected_message() {
    for aead in ALGS {
        let key = Secret::new(&vec![0x42; aead.key_len()]);
        let iv = [9u8; 12];
        let mut d = Decrypter::new_tls13(aead, &key, &iv).unwrap();
        // Seal zeros directly with the AEAD, as a peer without a type byte would.
        for zeros in [0usize, 1, 50] {
            d.set_seq_for_test(0);
            let raw = AeadKey::new(aead, key.as_bytes()).unwrap();
            let ct_len = zeros + 16;
            let mut rec = vec![23, 3, 3, (ct_len >> 8) as u8, ct_len as u8];
            let hdr: [u8; 5] = rec[..5].try_into().unwrap();
            rec.extend(vec![0u8; zeros]);
            raw.seal_in_place(tls13_nonce(&Secret::new(&iv), 0), &hdr, &mut rec, 5)
                .unwrap();
            assert_eq!(
                alert(open_vec(&mut d, &mut rec)),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
    }
}

fn seal_raw_inner(aead: AeadAlg, inner: &[u8]) -> Vec<u8> {
    let key = Secret::new(&vec![0x42; aead.key_len()]);
    let raw = AeadKey::new(aead, key.as_bytes()).unwrap();
    let ct_len = inner.len() + 16;
    let mut rec = vec![23, 3, 3, (ct_len >> 8) as u8, ct_len as u8];
    let hdr: [u8; 5] = rec[..5].try_into().unwrap();
    rec.extend_from_slice(inner);
    raw.seal_in_place(tls13_nonce(&Secret::new(&[9u8; 12]), 0), &hdr, &mut rec, 5)
        .unwrap();
    rec
}

#[test]
fn over_limit_is_record_overflow() {
    let aead = AeadAlg::ChaCha20Poly1305;
    // Content of 2^14 + 1 bytes (then the type) is over the limit ...
    let mut inner = vec![0x61; MAX_PLAINTEXT + 1];
    inner.push(23);
    let mut rec = seal_raw_inner(aead, &inner);
    let (_, mut d) = pair(aead);
    assert_eq!(
        alert(open_vec(&mut d, &mut rec)),
        AlertDescription::RECORD_OVERFLOW
    );
    // ... and so is padding past 2^14 + 1 octets of TLSInnerPlaintext: "the
    // presence of padding does not change the overall record size
    // limitations" (RFC 8446 §5.4; BoGo: LargePlaintext-TLS13-Padded-*).
    for (content, padding) in [(MAX_PLAINTEXT, 1), (MAX_PLAINTEXT, 239), (8193, 8192)] {
        let mut inner = vec![0x61; content];
        inner.push(23);
        inner.resize(content + 1 + padding, 0);
        let mut rec = seal_raw_inner(aead, &inner);
        let (_, mut d) = pair(aead);
        assert_eq!(
            alert(open_vec(&mut d, &mut rec)),
            AlertDescription::RECORD_OVERFLOW,
            "{content} + {padding}"
        );
    }
    // Exactly 2^14 + 1 octets (content, type, padding) is fine.
    for (content, padding) in [(MAX_PLAINTEXT, 0), (100, MAX_PLAINTEXT - 100)] {
        let mut inner = vec![0x61; content];
        inner.push(23);
        inner.resize(content + 1 + padding, 0);
        let mut rec = seal_raw_inner(aead, &inner);
        let (_, mut d) = pair(aead);
        let (t, p) = open_vec(&mut d, &mut rec).unwrap();
        assert_eq!((t, p.len()), (ContentType::APPLICATION_DATA, content));
    }
    // Ciphertext longer than 2^14 + 256 is refused before decrypting.
    let mut body = vec![0u8; MAX_CIPHERTEXT + 1];
    let hdr = [23, 3, 3, 0x41, 0x01];
    let (_, mut d) = pair(aead);
    assert_eq!(
        d.open(&hdr, &mut body).unwrap_err().sent_alert(),
        Some(AlertDescription::RECORD_OVERFLOW)
    );
    assert_eq!(d.seq(), 0);
}

#[test]
fn outer_type_must_be_application_data() {
    let (mut e, mut d) = pair(AeadAlg::Aes128Gcm);
    let mut out = Vec::new();
    e.seal(ContentType::HANDSHAKE, b"hi", 0, &mut out).unwrap();
    for outer in [20u8, 21, 22] {
        let mut t = out.clone();
        t[0] = outer;
        assert_eq!(
            alert(open_vec(&mut d, &mut t)),
            AlertDescription::UNEXPECTED_MESSAGE
        );
    }
    assert_eq!(d.seq(), 0);
    assert!(open_vec(&mut d, &mut out).is_ok());
}

#[test]
fn invalid_inner_type_is_unexpected_message() {
    for typ in [20u8, 24, 0xff] {
        let mut rec = seal_raw_inner(AeadAlg::Aes128Gcm, &[1, 2, typ, 0, 0]);
        let (_, mut d) = pair(AeadAlg::Aes128Gcm);
        assert_eq!(
            alert(open_vec(&mut d, &mut rec)),
            AlertDescription::UNEXPECTED_MESSAGE
        );
    }
}

#[test]
fn tampering_and_wrong_sequence_are_bad_record_mac() {
    for aead in ALGS {
        let (mut e, mut d) = pair(aead);
        let mut out = Vec::new();
        e.seal(ContentType::APPLICATION_DATA, b"payload", 0, &mut out)
            .unwrap();
        for i in 1..out.len() {
            let mut t = out.clone();
            t[i] ^= 0x01;
            let r = open_vec(&mut d, &mut t);
            // Header version/length bytes are AAD: flipping them fails too.
            assert_eq!(alert(r), AlertDescription::BAD_RECORD_MAC, "byte {i}");
            assert_eq!(d.seq(), 0, "failed opens do not advance seq");
        }
        // Replayed / reordered: record 0 opened at seq 1 fails.
        let mut first = out.clone();
        assert!(open_vec(&mut d, &mut first).is_ok());
        let mut replay = out.clone();
        assert_eq!(
            alert(open_vec(&mut d, &mut replay)),
            AlertDescription::BAD_RECORD_MAC
        );
    }
}

#[test]
fn sequence_numbers_and_nonces() {
    let iv = Secret::new(&[0xff; 12]);
    assert_eq!(tls13_nonce(&iv, 0), [0xff; 12]);
    let n = tls13_nonce(&iv, 0x0102_0304_0506_0708);
    assert_eq!(
        n,
        [0xff, 0xff, 0xff, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7]
    );
    // Skip ahead on both sides: records still match up.
    let (mut e, mut d) = pair(AeadAlg::Aes256Gcm);
    e.set_seq_for_test(1_000_000);
    d.set_seq_for_test(1_000_000);
    let mut out = Vec::new();
    e.seal(ContentType::HANDSHAKE, b"x", 0, &mut out).unwrap();
    assert!(open_vec(&mut d, &mut out).is_ok());
    assert_eq!((e.seq(), d.seq()), (1_000_001, 1_000_001));
}

#[test]
fn sequence_never_wraps() {
    let (mut e, mut d) = pair(AeadAlg::ChaCha20Poly1305);
    e.set_seq_for_test(u64::MAX - 1);
    let mut out = Vec::new();
    e.seal(ContentType::APPLICATION_DATA, b"last", 0, &mut out)
        .unwrap();
    assert_eq!(e.seq(), u64::MAX);
    let before = out.len();
    assert!(e
        .seal(ContentType::APPLICATION_DATA, b"wrap", 0, &mut out)
        .is_err());
    assert_eq!(out.len(), before);
    assert_eq!(e.seq(), u64::MAX);
    d.set_seq_for_test(u64::MAX - 1);
    assert!(open_vec(&mut d, &mut out).is_ok());
    assert_eq!(d.seq(), u64::MAX);
    let mut more = vec![23, 3, 3, 0, 17];
    more.extend([0u8; 17]);
    assert!(open_vec(&mut d, &mut more).is_err());
    assert_eq!(d.seq(), u64::MAX);
}

#[test]
fn wants_rekey_at_the_limit() {
    for (aead, limit) in [
        (AeadAlg::Aes128Gcm, 1u64 << 24),
        (AeadAlg::Aes256Gcm, 1 << 24),
        (AeadAlg::ChaCha20Poly1305, 1 << 62),
    ] {
        let (mut e, _) = pair(aead);
        assert!(!e.wants_rekey());
        e.set_seq_for_test(limit - 1);
        assert!(!e.wants_rekey());
        let mut out = Vec::new();
        e.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out)
            .unwrap();
        assert!(e.wants_rekey());
        // Still able to seal (the engine sends KeyUpdate with this key).
        e.seal(ContentType::HANDSHAKE, b"ku", 0, &mut out).unwrap();
    }
    // 2^24 is under the AES-GCM confidentiality limit of 2^24.5 records.
    assert!(((1u64 << 24) as f64) < 2f64.powf(24.5));
}

#[test]
fn traffic_keys_exported() {
    let key = Secret::new(&[7u8; 16]);
    let iv = [3u8; 12];
    let mut e = Encrypter::new_tls13(AeadAlg::Aes128Gcm, &key, &iv).unwrap();
    let mut out = Vec::new();
    e.seal(ContentType::APPLICATION_DATA, b"a", 0, &mut out)
        .unwrap();
    e.seal(ContentType::APPLICATION_DATA, b"b", 0, &mut out)
        .unwrap();
    let tk = e.traffic_keys();
    assert_eq!(tk.aead, AeadAlg::Aes128Gcm);
    assert_eq!(tk.key.as_bytes(), &[7u8; 16]);
    assert_eq!(tk.iv.as_bytes(), &[3u8; 12]);
    assert_eq!(tk.seq, 2);
    assert!(!format!("{tk:?}").contains("7, 7"));
    let d = Decrypter::new_tls13(AeadAlg::Aes128Gcm, &key, &iv).unwrap();
    assert_eq!(d.traffic_keys().seq, 0);
    // Wrong key length is an internal error, not a panic.
    assert!(Encrypter::new_tls13(AeadAlg::Aes256Gcm, &key, &iv).is_err());
    assert!(Decrypter::new_tls13(AeadAlg::ChaCha20Poly1305, &key, &iv).is_err());
}
