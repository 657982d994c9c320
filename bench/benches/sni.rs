//! Criterion: the SNI certificate store's lookup with 10,000 exact names
//! and 1,000 wildcards (what each handshake pays before choosing among the
//! candidates): an exact hit, a wildcard hit and a miss to the default.

#![forbid(unsafe_code)]

use baton::cert::SniCertStore;
use baton::CertChainAndKey;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::Arc;

fn store() -> SniCertStore {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");
    let ck = Arc::new(
        CertChainAndKey::from_pem_files(
            format!("{dir}server-p256-chain.pem"),
            format!("{dir}server-p256.key"),
        )
        .expect("test certificate"),
    );
    let mut s = SniCertStore::new();
    // One certificate under every name: the lookup's cost does not depend
    // on how many distinct certificates there are.
    for i in 0..10_000 {
        s.add_for_names(Arc::clone(&ck), &[format!("tenant{i}.example.com")])
            .unwrap();
    }
    for i in 0..1_000 {
        s.add_for_names(Arc::clone(&ck), &[format!("*.zone{i}.example.net")])
            .unwrap();
    }
    s.add_default(ck);
    s
}

fn lookups(c: &mut Criterion) {
    let s = store();
    assert_eq!(s.name_count(), 11_000);
    let mut g = c.benchmark_group("sni lookup, 11,000 names");
    for (label, name) in [
        ("exact", "tenant7777.example.com"),
        ("wildcard", "www.zone777.example.net"),
        ("miss", "nobody.example.org"),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| s.candidates(black_box(Some(name)), &[]).next().is_some())
        });
    }
    g.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
