//! Criterion: a full handshake (both sides) per library for each handshake case.

#![forbid(unsafe_code)]

use baton_bench::baton_lib::Baton;
use baton_bench::openssl_lib::OpenSsl;
use baton_bench::rustls_lib::Rustls;
use baton_bench::s2n_lib::S2n;
use baton_bench::{measure, Case, Library, SideTimes};
use criterion::{criterion_group, criterion_main, Criterion};

fn one<L: Library>(c: &mut Criterion, case: Case) {
    let Ok(lib) = L::setup(case, false) else {
        return;
    };
    drop(measure::connected(&lib, case).expect("negotiated the case"));
    c.benchmark_group(case.label())
        .bench_function(L::NAME, |b| {
            b.iter(|| lib.handshake(&mut SideTimes::default()))
        });
}

fn handshakes(c: &mut Criterion) {
    for case in Case::HANDSHAKES {
        one::<Baton>(c, case);
        one::<S2n>(c, case);
        one::<Rustls>(c, case);
        one::<OpenSsl>(c, case);
    }
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
