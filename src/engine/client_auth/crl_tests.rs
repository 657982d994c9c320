//! The CRL lookup callback on a server checking its client's chain, both
//! versions: one lookup per certificate of the client's chain, the handshake
//! parked until they are answered (inline or later from another thread),
//! then the chain validated with the CRLs given.

use crate::cert::{CertChainAndKey, ClientAuth, CrlLookup};
use crate::error::{AlertDescription, Blocked};
use crate::{Config, Session};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams,
};
use std::sync::{Arc, Mutex, OnceLock};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

const INTER_SERIAL: u64 = 0x1001;
const LEAF_SERIAL: u64 = 0x2001;

/// root -> intermediate -> client leaf, and the four CRLs.
struct Pki {
    root: String,
    chain: String,
    key: String,
    /// The intermediate's CRLs: none revoked, the leaf revoked (DER).
    inter_none: Vec<u8>,
    inter_leaf: Vec<u8>,
    /// The root's: none revoked, the intermediate revoked.
    root_none: Vec<u8>,
    root_inter: Vec<u8>,
}

fn ca(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn crl(issuer: &Issuer<'_, KeyPair>, revoked: Option<u64>) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2020, 1, 1),
        next_update: rcgen::date_time_ymd(2100, 1, 1),
        crl_number: 1u64.into(),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .map(|serial| RevokedCertParams {
                serial_number: serial.into(),
                revocation_time: rcgen::date_time_ymd(2021, 1, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .into_iter()
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .unwrap()
    .der()
    .to_vec()
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root_key = KeyPair::generate().unwrap();
        let root = ca("Baton CRL Root").self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(ca("Baton CRL Root"), root_key);
        let inter_key = KeyPair::generate().unwrap();
        let mut inter_params = ca("Baton CRL Intermediate");
        inter_params.serial_number = Some(INTER_SERIAL.into());
        let inter = inter_params.signed_by(&inter_key, &root_issuer).unwrap();
        let inter_issuer = Issuer::new(ca("Baton CRL Intermediate"), inter_key);
        let mut leaf = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, "client");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf.serial_number = Some(LEAF_SERIAL.into());
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf.signed_by(&leaf_key, &inter_issuer).unwrap();
        Pki {
            root: root.pem(),
            chain: format!("{}{}", leaf.pem(), inter.pem()),
            key: leaf_key.serialize_pem(),
            inter_none: crl(&inter_issuer, None),
            inter_leaf: crl(&inter_issuer, Some(LEAF_SERIAL)),
            root_none: crl(&root_issuer, None),
            root_inter: crl(&root_issuer, Some(INTER_SERIAL)),
        }
    })
}

type Lookups = Arc<Mutex<Vec<CrlLookup>>>;

/// A server requiring a client certificate; `answer` runs in its lookup
/// callback.
fn server(tls12: bool, answer: impl Fn(CrlLookup) + Send + Sync + 'static) -> Session {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(pki().root.as_bytes()).unwrap();
    b.set_client_auth(ClientAuth::Required);
    b.set_crl_lookup_callback(answer);
    if tls12 {
        b.custom_security_policy(&crate::pkey::tests::TLS12)
            .unwrap();
    }
    Session::new_server(&b.build().unwrap())
}

fn client(tls12: bool) -> Session {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.add_client_cert_chain_and_key(
        CertChainAndKey::from_pem(pki().chain.as_bytes(), pki().key.as_bytes()).unwrap(),
    );
    if tls12 {
        b.custom_security_policy(&crate::pkey::tests::TLS12)
            .unwrap();
    }
    let mut s = Session::new_client(&b.build().unwrap());
    s.set_server_name("localhost").unwrap();
    s
}

fn pump(from: &mut Session, to: &mut Session) -> crate::Result<()> {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    if out.is_empty() {
        return Ok(());
    }
    to.feed_tls(&out)
}

fn blocked(r: &crate::Result<impl core::fmt::Debug>) -> bool {
    matches!(r, Err(e) if e.blocked_on() == Some(Blocked::OnApplicationInput))
}

/// Pumps flights both ways until both are done or one side fails; the
/// server's error, else the client's.
fn run(c: &mut Session, s: &mut Session) -> crate::Result<()> {
    for _ in 0..6 {
        pump(c, s)?;
        pump(s, c)?;
    }
    Ok(())
}

/// The answers, per index: the CRL given (`None`: dropped unanswered).
fn answers(inter: bool, root: bool) -> [Option<Vec<u8>>; 2] {
    let p = pki();
    [
        Some(if inter { &p.inter_leaf } else { &p.inter_none }.clone()),
        Some(if root { &p.root_inter } else { &p.root_none }.clone()),
    ]
}

fn answer(mut lookup: CrlLookup, crl: Option<Vec<u8>>) {
    assert!(lookup.issuer_der().is_some());
    if let Some(der) = crl {
        lookup.set_crl_der(&der).unwrap();
    }
}

/// Lookups answered later, from another thread: the server is parked until
/// then; the server's verdict.
fn later(tls12: bool, crls: [Option<Vec<u8>>; 2]) -> (Session, Session, crate::Result<()>) {
    let lookups: Lookups = Default::default();
    let parked = Arc::clone(&lookups);
    let mut s = server(tls12, move |l| parked.lock().unwrap().push(l));
    let mut c = client(tls12);
    assert!(!c.poll_handshake().unwrap());
    let mut r = Ok(());
    for _ in 0..4 {
        r = pump(&mut c, &mut s).and_then(|()| pump(&mut s, &mut c));
        if r.is_err() {
            break;
        }
    }
    assert!(blocked(&r), "tls12={tls12}: {r:?}");
    assert!(blocked(&s.poll_handshake()), "still waiting");
    assert!(!s.is_handshake_complete());
    let got: Vec<CrlLookup> = std::mem::take(&mut *lookups.lock().unwrap());
    assert_eq!(got.iter().map(CrlLookup::index).collect::<Vec<_>>(), [0, 1]);
    // Parked: Debug shows no certificate bytes nor secrets.
    let dbg = format!("{got:?}");
    assert!(dbg.contains("CrlLookup") && dbg.len() < 200, "{dbg}");
    std::thread::spawn(move || {
        for (l, crl) in got.into_iter().zip(crls) {
            answer(l, crl);
        }
    })
    .join()
    .unwrap();
    let r = s
        .poll_handshake()
        .map(|_| ())
        .and_then(|()| run(&mut c, &mut s));
    (c, s, r)
}

#[test]
fn client_chain_lookups_answered_later_from_another_thread() {
    for tls12 in [false, true] {
        let (c, s, r) = later(tls12, answers(false, false));
        assert!(r.is_ok(), "tls12={tls12}: {r:?}");
        assert!(c.is_handshake_complete() && s.is_handshake_complete());
        assert!(s.client_cert_verified());
        for (inter, root) in [(true, false), (false, true)] {
            let (_, s, r) = later(tls12, answers(inter, root));
            let e = r.expect_err("a revoked client chain");
            assert_eq!(
                e.sent_alert(),
                Some(AlertDescription::CERTIFICATE_REVOKED),
                "tls12={tls12} inter={inter} root={root}: {e:?}"
            );
            assert!(!s.is_handshake_complete());
        }
    }
}

#[test]
fn client_chain_lookups_answered_inline() {
    for tls12 in [false, true] {
        for (inter, root) in [(false, false), (true, false), (false, true)] {
            let crls = answers(inter, root);
            let calls = Arc::new(Mutex::new(0));
            let seen = Arc::clone(&calls);
            let mut s = server(tls12, move |l| {
                *seen.lock().unwrap() += 1;
                let crl = crls[l.index()].clone();
                answer(l, crl);
            });
            let mut c = client(tls12);
            assert!(!c.poll_handshake().unwrap());
            let r = run(&mut c, &mut s);
            assert_eq!(*calls.lock().unwrap(), 2);
            if inter || root {
                let e = r.expect_err("revoked");
                assert_eq!(e.sent_alert(), Some(AlertDescription::CERTIFICATE_REVOKED));
            } else {
                assert!(r.is_ok(), "tls12={tls12}: {r:?}");
                assert!(s.is_handshake_complete() && s.client_cert_verified());
            }
        }
    }
}

#[test]
fn a_dropped_client_chain_lookup_fails_the_handshake() {
    for tls12 in [false, true] {
        // The intermediate's lookup dropped: its status is unknown.
        let [leaf, _] = answers(false, false);
        let (_, s, r) = later(tls12, [leaf, None]);
        let e = r.expect_err("unknown revocation status");
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::CERTIFICATE_UNKNOWN),
            "tls12={tls12}: {e:?}"
        );
        assert!(!s.is_handshake_complete());
    }
}
