//! Criterion: 16 KiB and 1 KiB records (send + receive) per library, TLS 1.3
//! AES-128-GCM over the in-memory transport, next to the raw AEAD seal.

#![forbid(unsafe_code)]

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use baton_bench::baton_lib::Baton;
use baton_bench::openssl_lib::OpenSsl;
use baton_bench::rustls_lib::Rustls;
use baton_bench::s2n_lib::S2n;
use baton_bench::{measure, pattern, Case, Library, Pair, Suite};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn one<L: Library>(c: &mut Criterion, size: usize) {
    let case = Case::records(Suite::Tls13Aes128Gcm);
    let Ok(lib) = L::setup(case, false) else {
        return;
    };
    let mut pair = measure::connected(&lib, case).expect("negotiated the case");
    let data = pattern(size);
    let mut buf = vec![0u8; size];
    let mut g = c.benchmark_group(format!("record_{size}B"));
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function(L::NAME, |b| {
        b.iter(|| {
            pair.send(&data);
            let mut got = 0;
            while got < size {
                let n = pair.recv(&mut buf[got..]);
                assert!(n > 0);
                got += n;
            }
        })
    });
    g.finish();
}

fn records(c: &mut Criterion) {
    for size in [1024, 16 * 1024] {
        one::<Baton>(c, size);
        one::<S2n>(c, size);
        one::<Rustls>(c, size);
        one::<OpenSsl>(c, size);
        let mut g = c.benchmark_group(format!("record_{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("aws-lc-rs seal (ceiling)", |b| {
            let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).unwrap());
            let mut buf = pattern(size);
            let mut seq = 0u64;
            b.iter(|| {
                seq += 1;
                let mut n = [0u8; 12];
                n[4..].copy_from_slice(&seq.to_be_bytes());
                key.seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from([23u8, 3, 3, 0, 0]),
                    &mut buf,
                )
                .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, records);
criterion_main!(benches);
