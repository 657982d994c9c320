use super::hybrid::test_support::{break_modulus, CT_LEN, EK_LEN};
use super::*;
use crate::tls13::rfc8448::{self, unhex};

fn assert_illegal<T: core::fmt::Debug>(r: Result<T, Error>) {
    assert_eq!(
        r.unwrap_err().sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER)
    );
}

const ECDH_GROUPS: [NamedGroup; 4] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

fn secret_len(g: NamedGroup) -> usize {
    match g {
        NamedGroup::SECP384R1 => 48,
        NamedGroup::SECP521R1 => 66,
        NamedGroup::X25519MLKEM768 | NamedGroup::SECP256R1MLKEM768 => 64,
        _ => 32,
    }
}

#[test]
fn both_sides_agree_every_group() {
    for &g in SUPPORTED_GROUPS {
        let a = KeyExchange::start(g).unwrap();
        let b = KeyExchange::start(g).unwrap();
        assert_eq!(a.group(), g);
        assert_ne!(a.public_key(), b.public_key());
        let resp = respond(g, a.public_key()).unwrap();
        let s1 = a.complete(&resp.share).unwrap();
        assert_eq!(s1.as_bytes(), resp.secret.as_bytes(), "{g}");
        assert_eq!(s1.len(), secret_len(g), "{g}");
    }
}

#[test]
fn ecdh_share_forms_and_symmetric_agreement() {
    for g in ECDH_GROUPS {
        let a = KeyExchange::start(g).unwrap();
        let b = KeyExchange::start(g).unwrap();
        assert_eq!(a.public_key().len(), ecdh_share_len(g));
        if g != NamedGroup::X25519 {
            assert_eq!(a.public_key()[0], 0x04);
        }
        let a_pub = a.public_key().to_vec();
        let b_pub = b.public_key().to_vec();
        let s1 = a.complete(&b_pub).unwrap();
        let s2 = b.complete(&a_pub).unwrap();
        assert_eq!(s1.as_bytes(), s2.as_bytes());
    }
}

/// The draft's layouts: which part comes first, and every length.
#[test]
fn hybrid_share_layouts() {
    // X25519MLKEM768: ML-KEM first. The X25519 tail is a valid X25519 share.
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    assert_eq!(x.public_key().len(), EK_LEN + 32);
    let x_tail = x.public_key()[EK_LEN..].to_vec();
    assert!(respond(NamedGroup::X25519, &x_tail).is_ok());
    let r = respond(NamedGroup::X25519MLKEM768, x.public_key()).unwrap();
    assert_eq!(r.share.len(), CT_LEN + 32);

    // SecP256r1MLKEM768: the uncompressed P-256 point first.
    let p = KeyExchange::start(NamedGroup::SECP256R1MLKEM768).unwrap();
    assert_eq!(p.public_key().len(), 65 + EK_LEN);
    assert_eq!(p.public_key()[0], 0x04);
    assert!(respond(NamedGroup::SECP256R1, &p.public_key()[..65]).is_ok());
    let r = respond(NamedGroup::SECP256R1MLKEM768, p.public_key()).unwrap();
    assert_eq!(r.share.len(), 65 + CT_LEN);
    assert_eq!(r.share[0], 0x04);
}

/// The secret's halves are in share order: for X25519MLKEM768 the X25519
/// secret is the last 32 bytes, for SecP256r1MLKEM768 the ECDH one the first.
#[test]
fn hybrid_secret_order() {
    use aws_lc_rs::agreement;
    // Respond to a client whose ECDH half we hold separately, so the ECDH
    // secret can be computed on its own.
    for (g, ecdh_alg, ecdh_len, kem_first) in [
        (NamedGroup::X25519MLKEM768, &agreement::X25519, 32, true),
        (
            NamedGroup::SECP256R1MLKEM768,
            &agreement::ECDH_P256,
            65,
            false,
        ),
    ] {
        let client = KeyExchange::start(g).unwrap();
        let mine = agreement::PrivateKey::generate(ecdh_alg).unwrap();
        let mine_pub = mine.compute_public_key().unwrap();
        let mut share = client.public_key().to_vec();
        let at = if kem_first { EK_LEN } else { 0 };
        share[at..at + ecdh_len].copy_from_slice(mine_pub.as_ref());
        let r = respond(g, &share).unwrap();
        let server_ecdh = if kem_first {
            &r.share[CT_LEN..]
        } else {
            &r.share[..ecdh_len]
        };
        let ecdh_ss = agreement::agree(
            &mine,
            agreement::UnparsedPublicKey::new(ecdh_alg, server_ecdh),
            (),
            |s| Ok(s.to_vec()),
        )
        .unwrap();
        let got = r.secret.as_bytes();
        if kem_first {
            assert_eq!(&got[32..], &ecdh_ss[..], "{g}");
        } else {
            assert_eq!(&got[..32], &ecdh_ss[..], "{g}");
        }
    }
}

#[test]
fn unsupported_group_is_usage() {
    for g in [
        NamedGroup::X448,
        NamedGroup::SECP384R1MLKEM1024,
        NamedGroup::MLKEM1024,
    ] {
        let e = KeyExchange::start(g).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
        assert_eq!(
            respond(g, &[0; 32]).unwrap_err().kind(),
            crate::error::ErrorKind::Usage
        );
    }
}

#[test]
fn hybrids_are_not_tls12_groups() {
    assert!(is_hybrid(NamedGroup::X25519MLKEM768));
    assert!(is_hybrid(NamedGroup::SECP256R1MLKEM768));
    assert!(!tls12_group(NamedGroup::X25519MLKEM768));
    assert!(!tls12_group(NamedGroup::SECP256R1MLKEM768));
    for g in ECDH_GROUPS {
        assert!(tls12_group(g) && !is_hybrid(g));
    }
}

/// Wrong lengths and shares of another group, on both sides of every group.
#[test]
fn bad_shares_are_illegal_parameter() {
    for &g in SUPPORTED_GROUPS {
        let client = KeyExchange::start(g).unwrap();
        let good_client = client.public_key().to_vec();
        let good_server = respond(g, &good_client).unwrap().share;
        let kx = || KeyExchange::start(g).unwrap();
        let foreign_group = if g == NamedGroup::X25519 {
            NamedGroup::SECP256R1
        } else {
            NamedGroup::X25519
        };
        let foreign = KeyExchange::start(foreign_group).unwrap();
        for (bad, what) in [
            (Vec::new(), "empty"),
            (good_client[..good_client.len() - 1].to_vec(), "short"),
            ([&good_client[..], &[0]].concat(), "long"),
            (foreign.public_key().to_vec(), "foreign"),
        ] {
            assert_illegal(respond(g, &bad).map(|_| what));
        }
        for bad in [
            Vec::new(),
            good_server[..good_server.len() - 1].to_vec(),
            [&good_server[..], &[0]].concat(),
            foreign.public_key().to_vec(),
        ] {
            assert_illegal(kx().complete(&bad));
        }
        // The good shares still work.
        assert!(respond(g, &good_client).is_ok());
        assert!(kx().complete(&good_server).is_ok());
    }
}

#[test]
fn nist_points_off_curve_or_not_uncompressed() {
    for g in [
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
        NamedGroup::SECP521R1,
    ] {
        let good = KeyExchange::start(g).unwrap().public_key().to_vec();
        // Flip a bit of y: no longer on the curve.
        let mut off = good.clone();
        let last = off.len() - 1;
        off[last] ^= 1;
        assert_illegal(KeyExchange::start(g).unwrap().complete(&off));
        // Compressed and hybrid forms are not allowed in TLS 1.3.
        let coord = (good.len() - 1) / 2;
        let mut compressed = vec![0x02 | (good[good.len() - 1] & 1)];
        compressed.extend_from_slice(&good[1..1 + coord]);
        assert_illegal(KeyExchange::start(g).unwrap().complete(&compressed));
        let mut hybrid = good.clone();
        hybrid[0] = 0x06 | (good[good.len() - 1] & 1);
        assert_illegal(KeyExchange::start(g).unwrap().complete(&hybrid));
        // All zeros (the point at infinity is not encodable this way).
        let mut zero = vec![0u8; good.len()];
        zero[0] = 0x04;
        assert_illegal(KeyExchange::start(g).unwrap().complete(&zero));
    }
}

#[test]
fn x25519_low_order_points_rejected() {
    // All-zero and the order-1 point u=1 give an all-zero shared secret.
    let mut one = [0u8; 32];
    one[0] = 1;
    for bad in [[0u8; 32], one] {
        assert_illegal(
            KeyExchange::start(NamedGroup::X25519)
                .unwrap()
                .complete(&bad),
        );
        assert_illegal(respond(NamedGroup::X25519, &bad));
    }
}

/// The ECDH half of a hybrid gets the same checks as the group alone.
#[test]
fn hybrid_with_bad_ecdh_half_is_illegal_parameter() {
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let mut share = x.public_key().to_vec();
    share[EK_LEN..].fill(0); // low-order X25519 point
    assert_illegal(respond(NamedGroup::X25519MLKEM768, &share));

    let p = KeyExchange::start(NamedGroup::SECP256R1MLKEM768).unwrap();
    let mut share = p.public_key().to_vec();
    share[64] ^= 1; // P-256 point off the curve
    assert_illegal(respond(NamedGroup::SECP256R1MLKEM768, &share));
    let mut share = p.public_key().to_vec();
    share[0] = 0x02; // not uncompressed
    assert_illegal(respond(NamedGroup::SECP256R1MLKEM768, &share));

    // On the client side too: the server's ECDH half.
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let mut r = respond(NamedGroup::X25519MLKEM768, x.public_key())
        .unwrap()
        .share;
    r[CT_LEN..].fill(0);
    assert_illegal(x.complete(&r));
}

/// FIPS 203 §7.2: a key with a coefficient ≥ q is refused before encapsulating.
#[test]
fn mlkem_key_with_out_of_range_coefficient_is_illegal_parameter() {
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let mut share = x.public_key().to_vec();
    break_modulus(&mut share[..EK_LEN]);
    assert_illegal(respond(NamedGroup::X25519MLKEM768, &share));

    let p = KeyExchange::start(NamedGroup::SECP256R1MLKEM768).unwrap();
    let mut share = p.public_key().to_vec();
    break_modulus(&mut share[65..]);
    assert_illegal(respond(NamedGroup::SECP256R1MLKEM768, &share));
}

/// A tampered ciphertext of the right length decapsulates (implicit
/// rejection) to a different secret: the handshake then fails at Finished.
#[test]
fn tampered_ciphertext_gives_a_different_secret() {
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let mut r = respond(NamedGroup::X25519MLKEM768, x.public_key()).unwrap();
    r.share[0] ^= 1;
    let s = x.complete(&r.share).unwrap();
    assert_ne!(s.as_bytes(), r.secret.as_bytes());
    assert_eq!(s.as_bytes()[32..], r.secret.as_bytes()[32..]);
}

#[test]
fn debug_redacts() {
    let x = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    assert_eq!(format!("{x:?}"), "KeyExchange(X25519MLKEM768)");
    let r = respond(NamedGroup::X25519MLKEM768, x.public_key()).unwrap();
    assert_eq!(format!("{r:?}"), "Response");
}

#[test]
fn rfc8448_x25519_shared_secret() {
    let client =
        KeyExchange::from_private_key_for_test(NamedGroup::X25519, &unhex(rfc8448::CLIENT_PRIV))
            .unwrap();
    let server =
        KeyExchange::from_private_key_for_test(NamedGroup::X25519, &unhex(rfc8448::SERVER_PRIV))
            .unwrap();
    assert_eq!(client.public_key(), unhex(rfc8448::CLIENT_PUB));
    assert_eq!(server.public_key(), unhex(rfc8448::SERVER_PUB));
    let s1 = client.complete(&unhex(rfc8448::SERVER_PUB)).unwrap();
    let s2 = server.complete(&unhex(rfc8448::CLIENT_PUB)).unwrap();
    assert_eq!(s1.as_bytes(), unhex(rfc8448::ECDHE));
    assert_eq!(s2.as_bytes(), unhex(rfc8448::ECDHE));
}
