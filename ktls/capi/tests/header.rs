//! The drift check for `include/baton.h`: regenerates it with cbindgen and
//! fails when it differs from the checked-in file. `BATON_BLESS=1` rewrites
//! the file instead (then commit it).

use std::path::Path;

#[test]
fn header_matches_the_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // Source files, not the crate: no `cargo metadata` from inside a test.
    let mut builder = cbindgen::Builder::new().with_config(config);
    for file in ["types.rs", "config.rs", "conn.rs", "ffi.rs"] {
        builder = builder.with_src(dir.join("src").join(file));
    }
    let mut generated = Vec::new();
    builder
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = dir.join("include/baton.h");
    if std::env::var_os("BATON_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writing include/baton.h");
        return;
    }
    let current = std::fs::read(&path).unwrap_or_default();
    assert!(
        current == generated,
        "include/baton.h is out of date with ktls/capi/src: regenerate it with \
         `BATON_BLESS=1 cargo test -p baton-capi --test header` and commit it"
    );
}
