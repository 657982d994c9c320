//! Every named security policy on the in-memory pair, in both roles.
//!
//! - A Baton server with the policy against a permissive Baton client (every
//!   suite, group and scheme Baton implements, TLS 1.3 and 1.2, key share
//!   X25519 first): the server's preference decides, so the result is the
//!   policy's highest active version, its first active suite for that version,
//!   and its first active group (after a HelloRetryRequest when that is not
//!   X25519).
//! - A Baton client with the policy against a permissive Baton server: the
//!   permissive server's order decides among what the policy offers, and the
//!   group is the policy's first (its only key share).
//!
//! The expectations are computed from the tables through the public inspection
//! API (`baton::policy`), so every policy is covered, and a table of literal
//! expectations (read off the s2n tables by hand) pins a few of them so that the
//! computation cannot drift along with the code it checks.

use crate::pair::{connect, data, handshake, transfer};
use baton::{
    AlertDescription, CertChainAndKey, CipherSuite, Config, ConfigBuilder, Connection, ErrorKind,
    NamedGroup, ProtocolVersion, SecurityPolicy, SignatureScheme,
};

const TLS12: ProtocolVersion = ProtocolVersion::TLSV1_2;
const TLS13: ProtocolVersion = ProtocolVersion::TLSV1_3;

/// Every suite Baton implements, in the permissive peer's preference order.
const ALL_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];
/// X25519 first and X25519MLKEM768 first among the hybrids: the permissive
/// client's two key shares; the hybrids last, so the permissive server takes a
/// classical share over them.
const ALL_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
];
const ALL_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// TLS 1.2 and 1.3 with everything Baton implements; no restriction on
/// certificate signatures.
pub static PERMISSIVE: SecurityPolicy = SecurityPolicy {
    name: "permissive",
    min_version: TLS12,
    max_version: TLS13,
    cipher_suites: ALL_SUITES,
    signature_schemes: ALL_SCHEMES,
    certificate_signature_schemes: None,
    groups: ALL_GROUPS,
    chacha20_boosted: false,
};

/// [`PERMISSIVE`] without TLS 1.3.
pub static PERMISSIVE_TLS12: SecurityPolicy = SecurityPolicy {
    name: "permissive-tls12",
    max_version: TLS12,
    ..PERMISSIVE
};

/// A server chain from `tests/data` and the one scheme every signature in it uses.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    pub chain: &'static str,
    pub key: &'static str,
    pub signed_with: SignatureScheme,
}

pub const RSA_2048: Chain = Chain {
    chain: "server-rsa.pem",
    key: "server-rsa.key",
    signed_with: SignatureScheme::RSA_PKCS1_SHA256,
};
pub const P256: Chain = Chain {
    chain: "server-p256-chain.pem",
    key: "server-p256.key",
    signed_with: SignatureScheme::ECDSA_SECP256R1_SHA256,
};
pub const CNSA_P384: Chain = Chain {
    chain: "server-cnsa-p384.pem",
    key: "server-cnsa-p384.key",
    signed_with: SignatureScheme::ECDSA_SECP384R1_SHA384,
};
pub const CNSA_RSA_3072: Chain = Chain {
    chain: "server-cnsa-rsa3072.pem",
    key: "server-cnsa-rsa3072.key",
    signed_with: SignatureScheme::RSA_PKCS1_SHA384,
};
/// Every server in this module holds all four, SHA-256-signed ones first, so a
/// server that sends a CNSA chain chose it.
pub const SERVER_CHAINS: [Chain; 4] = [RSA_2048, P256, CNSA_P384, CNSA_RSA_3072];
/// The P-384 leaf signed with SHA-256 (by `ca-ecdsa`).
pub const P384_SHA256: Chain = Chain {
    chain: "server-p384.pem",
    key: "server-p384.key",
    signed_with: SignatureScheme::ECDSA_SECP256R1_SHA256,
};
/// Every chain [`run`] can recognise.
const KNOWN_CHAINS: [Chain; 5] = [RSA_2048, P256, CNSA_P384, CNSA_RSA_3072, P384_SHA256];

const CAS: [&str; 4] = [
    "ca-rsa.pem",
    "ca-ecdsa.pem",
    "ca-cnsa-p384.pem",
    "ca-cnsa-rsa3072.pem",
];

pub fn server(chains: &[Chain], policy: impl FnOnce(&mut ConfigBuilder)) -> Config {
    let mut b = Config::builder_minimal();
    for c in chains {
        b.add_cert_chain_and_key(
            CertChainAndKey::from_pem_files(data(c.chain), data(c.key)).unwrap(),
        );
    }
    policy(&mut b);
    b.build().unwrap()
}

pub fn client(policy: impl FnOnce(&mut ConfigBuilder)) -> Config {
    let mut b = Config::builder_minimal();
    for ca in CAS {
        b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
            .unwrap();
    }
    policy(&mut b);
    b.build().unwrap()
}

fn named(name: &'static str) -> impl FnOnce(&mut ConfigBuilder) {
    move |b| {
        b.security_policy(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

pub fn custom(p: &'static SecurityPolicy) -> impl FnOnce(&mut ConfigBuilder) {
    move |b| {
        b.custom_security_policy(p).unwrap();
    }
}

/// What a handshake produced, as seen from both ends (which must agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    pub group: NamedGroup,
    pub hrr: bool,
}

/// Everything about one completed handshake that the checks below look at.
pub struct Done {
    pub outcome: Outcome,
    /// The chain the server sent, identified among [`SERVER_CHAINS`].
    pub chain: Chain,
    /// The scheme of the server's handshake signature.
    pub scheme: SignatureScheme,
    client_offered: ProtocolVersion,
    server_max: ProtocolVersion,
}

pub fn run(label: &str, ccfg: &Config, scfg: &Config) -> Done {
    let (mut c, mut s) = connect(ccfg, scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap_or_else(|e| panic!("{label}: client: {e} [{e:?}]"));
    sr.unwrap_or_else(|e| panic!("{label}: server: {e} [{e:?}]"));
    let outcome = |conn: &Connection| Outcome {
        version: conn.actual_protocol_version().unwrap(),
        suite: conn.cipher_suite().unwrap(),
        group: conn.kx_group().unwrap(),
        hrr: conn.used_hello_retry(),
    };
    assert_eq!(outcome(&c), outcome(&s), "{label}: both ends agree");
    let leaf = &c.peer_cert_chain()[0];
    let chain = *KNOWN_CHAINS
        .iter()
        .find(|ch| crate::util::leaf_der(ch.chain) == *leaf)
        .unwrap_or_else(|| panic!("{label}: the server sent an unknown chain"));
    assert_eq!(s.selected_cert().unwrap().chain()[0], *leaf);
    let scheme = s.signature_scheme().unwrap();
    assert_eq!(c.peer_signature_scheme(), Some(scheme));
    let msg = b"policy check";
    assert_eq!(transfer(&mut c, &mut s, msg), msg, "{label}");
    assert_eq!(transfer(&mut s, &mut c, msg), msg, "{label}");
    Done {
        outcome: outcome(&c),
        chain,
        scheme,
        client_offered: s.client_protocol_version().unwrap(),
        server_max: s.server_protocol_version().unwrap(),
    }
}

/// The highest version the policy negotiates (`None`: it negotiates nothing).
fn top_version(p: &SecurityPolicy) -> Option<ProtocolVersion> {
    p.active_versions().last().copied()
}

fn first_suite_at(order: &[CipherSuite], p: &SecurityPolicy, v: ProtocolVersion) -> CipherSuite {
    let ours = p.active_cipher_suites();
    *order
        .iter()
        .find(|cs| ours.contains(cs) && cs.is_tls13() == (v == TLS13))
        .unwrap_or_else(|| panic!("{}: no active suite for {v}", p.name))
}

/// The permissive client's key shares (see `initial_share_groups`): its first
/// group and its first of the other kind (classical / hybrid).
const CLIENT_SHARES: &[NamedGroup] = &[NamedGroup::X25519, NamedGroup::X25519MLKEM768];

fn is_hybrid(g: &NamedGroup) -> bool {
    matches!(
        *g,
        NamedGroup::X25519MLKEM768 | NamedGroup::SECP256R1MLKEM768
    )
}

/// The policy as a server, against the permissive client: server preference,
/// except that in TLS 1.3 a group the client sent a key share for is taken
/// (the policy's best of those) rather than costing a round trip (as s2n
/// does); otherwise the policy's first group, after a HelloRetryRequest.
fn expected_as_server(p: &SecurityPolicy) -> Outcome {
    let version = top_version(p).unwrap();
    let suite = first_suite_at(&p.active_cipher_suites(), p, version);
    let groups = p.active_groups();
    let shared = groups.iter().copied().find(|g| CLIENT_SHARES.contains(g));
    let group = match (version, shared) {
        (TLS13, Some(g)) => g,
        _ => groups[0],
    };
    Outcome {
        version,
        suite,
        group,
        hrr: version == TLS13 && shared.is_none(),
    }
}

/// The policy as a client, against the permissive server: the permissive
/// server's preference among what the policy offers. In TLS 1.3 the client
/// shares its first group and its first group of the other kind (classical /
/// hybrid); the server takes the share it prefers.
fn expected_as_client(p: &SecurityPolicy) -> Outcome {
    let version = top_version(p).unwrap();
    let suite = first_suite_at(ALL_SUITES, p, version);
    let groups = p.active_groups();
    let mut shares = vec![groups[0]];
    shares.extend(
        groups
            .iter()
            .copied()
            .find(|g| is_hybrid(g) != is_hybrid(&groups[0])),
    );
    let group = match version {
        TLS13 => *ALL_GROUPS.iter().find(|g| shares.contains(g)).unwrap(),
        _ => *ALL_GROUPS.iter().find(|g| groups.contains(g)).unwrap(),
    };
    Outcome {
        version,
        suite,
        group,
        hrr: false,
    }
}

/// Checks that hold in both roles for the named policy `p`.
fn check_policy_invariants(label: &str, p: &SecurityPolicy, done: &Done) {
    let o = done.outcome;
    assert!(p.active_versions().contains(&o.version), "{label}: {o:?}");
    assert!(
        p.active_cipher_suites().contains(&o.suite),
        "{label}: {o:?}"
    );
    assert!(p.active_groups().contains(&o.group), "{label}: {o:?}");
    assert!(
        p.active_signature_schemes().contains(&done.scheme),
        "{label}: signed with {:?}",
        done.scheme
    );
    if let Some(allowed) = p.certificate_signature_schemes {
        assert!(
            allowed.contains(&done.chain.signed_with),
            "{label}: sent {:?}, signed with {:?}, which the policy does not allow",
            done.chain.chain,
            done.chain.signed_with
        );
    }
    if !p.negotiates(TLS13) {
        assert_eq!(o.version, TLS12, "{label}: a policy without TLS 1.3");
    }
}

#[test]
fn every_named_policy_as_server_against_a_permissive_client() {
    let ccfg = client(custom(&PERMISSIVE));
    let mut ran = 0;
    for name in baton::policy::policy_names() {
        let p = baton::policy::lookup(name).unwrap();
        if top_version(p).is_none() {
            continue; // refused at configuration time; see the test below
        }
        let scfg = server(&SERVER_CHAINS, named(name));
        let label = format!("server {name}");
        let done = run(&label, &ccfg, &scfg);
        assert_eq!(done.outcome, expected_as_server(p), "{label}");
        check_policy_invariants(&label, p, &done);
        // The server reports the most it would have done; a TLS 1.2 policy never more.
        assert_eq!(Some(done.server_max), top_version(p), "{label}");
        assert_eq!(done.client_offered, TLS13, "{label}");
        ran += 1;
    }
    assert_eq!(ran, baton::policy::policy_names().len() - 4);
}

#[test]
fn every_named_policy_as_client_against_a_permissive_server() {
    let scfg = server(&SERVER_CHAINS, custom(&PERMISSIVE));
    let mut ran = 0;
    for name in baton::policy::policy_names() {
        let p = baton::policy::lookup(name).unwrap();
        if top_version(p).is_none() {
            continue;
        }
        let ccfg = client(named(name));
        let label = format!("client {name}");
        let done = run(&label, &ccfg, &scfg);
        assert_eq!(done.outcome, expected_as_client(p), "{label}");
        check_policy_invariants(&label, p, &done);
        // A TLS 1.2-only policy does not even offer TLS 1.3.
        assert_eq!(Some(done.client_offered), top_version(p), "{label}");
        ran += 1;
    }
    assert_eq!(ran, baton::policy::policy_names().len() - 4);
}

/// Literal expectations, read off the tables by hand (not computed), for a few
/// policies in each role: (policy, role is server?, version, suite, group, HRR).
#[test]
fn pinned_outcomes() {
    use CipherSuite as C;
    use NamedGroup as G;
    #[rustfmt::skip]
    let pins: &[(&str, bool, ProtocolVersion, CipherSuite, NamedGroup, bool)] = &[
        // As the server: its own order.
        ("default_tls13", true, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        ("20240417", true, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        // s2n's "default" (20170210) has only ECDHE-RSA suites (and CBC/RSA-kx ones).
        ("default", true, TLS12, C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("default_fips", true, TLS12, C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("20240331", true, TLS12, C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        // 20160411 lists ECDHE-RSA-AES128-CBC-SHA first: skipped, so GCM.
        ("20160411", true, TLS12, C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        // 20190122 puts ChaCha20 first.
        ("20190122", true, TLS12, C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, G::SECP256R1, false),
        // 20190801/20190802 put TLS 1.3 AES-256 first; 20190802 has no X25519.
        ("20190801", true, TLS13, C::TLS13_AES_256_GCM_SHA384, G::X25519, false),
        ("20190802", true, TLS13, C::TLS13_AES_256_GCM_SHA384, G::SECP256R1, true),
        ("20200207", true, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        // 20230317 lists TLS 1.2 suites first, but TLS 1.3 is chosen first; P-256 by HRR.
        ("20230317", true, TLS13, C::TLS13_AES_128_GCM_SHA256, G::SECP256R1, true),
        ("rfc9151", true, TLS13, C::TLS13_AES_256_GCM_SHA384, G::SECP384R1, true),
        ("CloudFront-TLS-1-2-2021", true, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        // As the client: the permissive server's order (AES-128 first, ECDSA before RSA).
        ("default_tls13", false, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        ("default", false, TLS12, C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("20190122", false, TLS12, C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("20190801", false, TLS13, C::TLS13_AES_128_GCM_SHA256, G::X25519, false),
        ("20230317", false, TLS13, C::TLS13_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("default_fips", false, TLS12, C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, G::SECP256R1, false),
        ("rfc9151", false, TLS13, C::TLS13_AES_256_GCM_SHA384, G::SECP384R1, false),
    ];
    for &(name, as_server, version, suite, group, hrr) in pins {
        let want = Outcome {
            version,
            suite,
            group,
            hrr,
        };
        let p = baton::policy::lookup(name).unwrap();
        let (label, done, computed) = if as_server {
            let ccfg = client(custom(&PERMISSIVE));
            let scfg = server(&SERVER_CHAINS, named(name));
            let label = format!("pinned server {name}");
            (
                label.clone(),
                run(&label, &ccfg, &scfg),
                expected_as_server(p),
            )
        } else {
            let ccfg = client(named(name));
            let scfg = server(&SERVER_CHAINS, custom(&PERMISSIVE));
            let label = format!("pinned client {name}");
            (
                label.clone(),
                run(&label, &ccfg, &scfg),
                expected_as_client(p),
            )
        };
        assert_eq!(done.outcome, want, "{label}");
        assert_eq!(computed, want, "{label}: the computed expectation agrees");
    }
}

/// Policies Baton can negotiate nothing under are refused when the config is
/// built, with an error that names the policy and says why.
#[test]
fn policies_with_nothing_active_are_refused_at_configuration() {
    let dead: Vec<&str> = baton::policy::policy_names()
        .into_iter()
        .filter(|n| top_version(baton::policy::lookup(n).unwrap()).is_none())
        .collect();
    assert_eq!(dead, ["20140601", "20141001", "20150202", "20150214"]);
    for name in dead {
        let mut b = Config::builder_minimal();
        let e = b.security_policy(name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{name}");
        assert!(
            e.message().contains(name) && e.message().contains("no cipher suite Baton implements"),
            "{name}: {e}"
        );
        // The table stays inspectable, and so does what it would need.
        let p = baton::policy::lookup(name).unwrap();
        assert!(!p.cipher_suites.is_empty() && p.active_cipher_suites().is_empty());
    }
    // A custom policy with no implemented group is refused the same way.
    static NO_GROUP: SecurityPolicy = SecurityPolicy {
        groups: &[NamedGroup::X448],
        ..PERMISSIVE
    };
    let e = Config::builder_minimal()
        .custom_security_policy(&NO_GROUP)
        .unwrap_err();
    assert!(e.message().contains("no key exchange group"), "{e}");
    // A custom policy that allows TLS 1.3 but has no TLS 1.3 suite offers and
    // accepts TLS 1.2 only.
    static NO_TLS13_SUITE: SecurityPolicy = SecurityPolicy {
        cipher_suites: &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        ..PERMISSIVE
    };
    let done = run(
        "no TLS 1.3 suite, as client",
        &client(custom(&NO_TLS13_SUITE)),
        &server(&SERVER_CHAINS, custom(&PERMISSIVE)),
    );
    assert_eq!((done.outcome.version, done.client_offered), (TLS12, TLS12));
    let done = run(
        "no TLS 1.3 suite, as server",
        &client(custom(&PERMISSIVE)),
        &server(&SERVER_CHAINS, custom(&NO_TLS13_SUITE)),
    );
    assert_eq!((done.outcome.version, done.server_max), (TLS12, TLS12));
}

/// rfc9151 (CNSA): secp384r1 only, AES-256-GCM only, and certificate chains
/// signed with ECDSA P-384/SHA-384 or RSA PKCS#1/SHA-384 only, in both roles.
#[test]
fn rfc9151_in_detail() {
    let rfc9151 = || named("rfc9151");
    // Server, TLS 1.3 client with an X25519 key share: HRR to P-384, and the
    // CNSA chain although SHA-256-signed chains come first in the config.
    let done = run(
        "rfc9151 server, TLS 1.3",
        &client(custom(&PERMISSIVE)),
        &server(&SERVER_CHAINS, rfc9151()),
    );
    assert_eq!(
        done.outcome,
        Outcome {
            version: TLS13,
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            group: NamedGroup::SECP384R1,
            hrr: true,
        }
    );
    assert_eq!(done.chain.chain, CNSA_P384.chain);
    assert_eq!(done.scheme, SignatureScheme::ECDSA_SECP384R1_SHA384);
    // Server, TLS 1.2 client: ECDHE-ECDSA AES-256-GCM over P-384, CNSA chain.
    let done = run(
        "rfc9151 server, TLS 1.2",
        &client(custom(&PERMISSIVE_TLS12)),
        &server(&SERVER_CHAINS, rfc9151()),
    );
    assert_eq!(
        done.outcome,
        Outcome {
            version: TLS12,
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            group: NamedGroup::SECP384R1,
            hrr: false,
        }
    );
    assert_eq!(done.chain.chain, CNSA_P384.chain);
    // Only the RSA chains: the RSA-3072 CNSA one, signing with a SHA-384 scheme.
    let done = run(
        "rfc9151 server, RSA chains",
        &client(custom(&PERMISSIVE)),
        &server(&[RSA_2048, CNSA_RSA_3072], rfc9151()),
    );
    assert_eq!(done.chain.chain, CNSA_RSA_3072.chain);
    assert_eq!(done.scheme, SignatureScheme::RSA_PSS_RSAE_SHA384);

    // Client against the permissive server: P-384 key share, AES-256-GCM, and the
    // server picks the CNSA chain from the client's signature_algorithms_cert.
    let done = run(
        "rfc9151 client",
        &client(rfc9151()),
        &server(&SERVER_CHAINS, custom(&PERMISSIVE)),
    );
    assert_eq!(done.outcome.suite, CipherSuite::TLS13_AES_256_GCM_SHA384);
    assert_eq!(done.outcome.group, NamedGroup::SECP384R1);
    assert!(!done.outcome.hrr);
    assert_eq!(done.chain.chain, CNSA_P384.chain);

    // Failures: no AES-256-GCM, no P-384, or only SHA-256-signed chains.
    static AES128_ONLY: SecurityPolicy = SecurityPolicy {
        cipher_suites: &[
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        ..PERMISSIVE
    };
    static X25519_ONLY: SecurityPolicy = SecurityPolicy {
        groups: &[NamedGroup::X25519],
        ..PERMISSIVE
    };
    for (label, peer, chains) in [
        ("no AES-256", &AES128_ONLY, &SERVER_CHAINS[..]),
        ("no P-384", &X25519_ONLY, &SERVER_CHAINS[..]),
    ] {
        for rfc_is_server in [true, false] {
            let (ccfg, scfg) = if rfc_is_server {
                (client(custom(peer)), server(chains, rfc9151()))
            } else {
                (client(rfc9151()), server(chains, custom(peer)))
            };
            let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
            let (cr, sr) = handshake(&mut c, &mut s);
            assert!(cr.is_err(), "{label}, rfc9151 server: {rfc_is_server}");
            assert_eq!(
                sr.unwrap_err().sent_alert(),
                Some(AlertDescription::HANDSHAKE_FAILURE),
                "{label}, rfc9151 server: {rfc_is_server}"
            );
        }
    }
    // Only SHA-256-signed chains: the server still sends one (RFC 8446
    // §4.4.2.2), and the rfc9151 client refuses it.
    let (mut c, mut s) = connect(
        &client(rfc9151()),
        &server(&[RSA_2048, P256], custom(&PERMISSIVE)),
        "localhost",
    );
    let (cr, _) = handshake(&mut c, &mut s);
    assert_eq!(
        cr.unwrap_err().sent_alert(),
        Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
    );
}
