//! A stapled OCSP response validated for a fixed chain (the first byte picks
//! it), and the same bytes as a CertificateStatus body and an SCT list.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    baton::fuzzing::ocsp_response(data);
});
