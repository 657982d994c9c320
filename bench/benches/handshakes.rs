//! Criterion: a full handshake (both sides) per library for each handshake
//! case, and a resumed one for each resumed case.

#![forbid(unsafe_code)]

use baton_bench::baton_lib::{Baton, BatonResume};
use baton_bench::openssl_lib::{OpenSsl, OpenSslResume};
use baton_bench::rustls_lib::{Rustls, RustlsResume};
use baton_bench::s2n_lib::{S2n, S2nResume};
use baton_bench::{measure, Case, Library, Resume, SideTimes};
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

/// A resumed handshake (both sides; OpenSSL's server with a rustls client),
/// each offering the session the previous one left.
fn resumed<L: Resume>(c: &mut Criterion, case: Case) {
    let Ok(mut lib) = L::setup_resumption(case) else {
        return;
    };
    lib.resumed_handshake(case, &mut SideTimes::default())
        .expect("resumed the case");
    c.benchmark_group(format!("resumed {}", case.label()))
        .bench_function(L::NAME, |b| {
            b.iter(|| {
                lib.resumed_handshake(case, &mut SideTimes::default())
                    .expect("resumed")
            })
        });
}

fn handshakes(c: &mut Criterion) {
    for case in Case::HANDSHAKES {
        one::<Baton>(c, case);
        one::<S2n>(c, case);
        one::<Rustls>(c, case);
        one::<OpenSsl>(c, case);
    }
    for case in Case::RESUMED {
        resumed::<BatonResume>(c, case);
        resumed::<S2nResume>(c, case);
        resumed::<RustlsResume>(c, case);
        resumed::<OpenSslResume>(c, case);
    }
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
