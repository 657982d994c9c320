//! Record sizing on the runtime's sends, as `openssl s_client` sees the records,
//! and `compare_paths` (not a check: the paths side by side).

use super::*;

/// Application data records as `openssl s_client -msg` saw them arrive: the
/// length field of each TLS 1.3 record header from the server whose inner
/// content type is application_data, in order.
fn app_records_received(msgfile: &std::path::Path) -> Vec<usize> {
    let text = std::fs::read_to_string(msgfile).unwrap();
    let hex = |line: &str| -> Vec<u8> {
        line.split_whitespace()
            .filter_map(|b| u8::from_str_radix(b, 16).ok())
            .collect()
    };
    let mut out = Vec::new();
    let mut pending = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("<<<") {
            continue;
        }
        let next = lines.next().unwrap_or("");
        if line.contains("RecordHeader") {
            let h = hex(next);
            pending = (h.len() == 5).then(|| u16::from_be_bytes([h[3], h[4]]) as usize);
        } else if line.contains("InnerContent") {
            if let (Some(len), [0x17]) = (pending.take(), &hex(next)[..]) {
                out.push(len);
            }
        }
    }
    out
}

/// Dynamic record sizing on the runtime's sends (kernel SEND or sealed): as
/// `openssl s_client` receives them, the first 16 KiB of echoed data come in
/// records that fit one 1500-byte frame, then in full records.
#[test]
fn echoes_start_in_small_records_then_full_ones() {
    if !openssl_available("echoes_start_in_small_records_then_full_ones") {
        return;
    }
    const LEN: usize = 256 * 1024;
    let rt = start(LEN, 1, Duration::from_secs(10));
    let msgfile = scratch_dir().join("uring-records.msg");
    let _ = std::fs::remove_file(&msgfile);
    let ca = data("ca-ecdsa.pem");
    let mut cli = s_client(
        rt.local_addr().port(),
        &[
            "-servername",
            "localhost",
            "-CAfile",
            ca.to_str().unwrap(),
            "-verify_return_error",
            "-quiet",
            "-msg",
            "-msgfile",
            msgfile.to_str().unwrap(),
        ],
    );
    let payload = Arc::new(payload(LEN, 41));
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    let stats = rt.shutdown();
    assert_eq!(
        sha256_hex(&out.stdout),
        sha256_hex(&payload),
        "{}",
        out.stderr
    );
    let data_records = app_records_received(&msgfile);
    eprintln!(
        "{} records: {:?} ...; {}",
        data_records.len(),
        &data_records[..data_records.len().min(40)],
        stats[0]
    );
    // TLS 1.3 records carry 17 bytes of overhead: 1378 bytes of data make a
    // 1395-byte record, 1400 bytes on the wire.
    let wire = |len: usize| len + 5;
    let mut seen = 0;
    let mut i = 0;
    while seen < 16 * 1024 {
        assert!(
            wire(data_records[i]) <= 1400,
            "record {i}: {data_records:?}"
        );
        seen += data_records[i] - 17;
        i += 1;
    }
    // Then records as large as each echo allows: s_client writes 8 KiB
    // records, and the echo of one receive completion is sealed at once, so
    // they are 8 KiB or, when two arrived in one receive, 16 KiB: either way
    // no longer cut to one frame, and never over a full record.
    assert!(
        data_records[i..].iter().any(|&l| wire(l) > 1400),
        "larger records after the threshold: {data_records:?}"
    );
    assert!(
        data_records.iter().all(|&l| l <= 16 * 1024 + 17),
        "{data_records:?}"
    );
}

/// The same for a file body (SPLICE or sendfile through kTLS, or sealed): the response
/// head shares the first small record with the body's start (corked: MSG_MORE
/// on the head, or sealed together), small records up to 16 KiB, then full.
#[test]
fn a_file_body_starts_in_small_records_with_its_head() {
    if !openssl_available("a_file_body_starts_in_small_records_with_its_head") {
        return;
    }
    const LEN: usize = 1 << 20;
    let (dir, files) = body_files("uring-small-records", &[LEN]);
    for splice in [true, false] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir.clone()))).unwrap();
        let msgfile = scratch_dir().join("uring-file-records.msg");
        let _ = std::fs::remove_file(&msgfile);
        let ca = data("ca-ecdsa.pem");
        let mut cli = s_client(
            rt.local_addr().port(),
            &[
                "-servername",
                "localhost",
                "-CAfile",
                ca.to_str().unwrap(),
                "-verify_return_error",
                "-quiet",
                "-msg",
                "-msgfile",
                msgfile.to_str().unwrap(),
            ],
        );
        cli.feed_stdin(Arc::new(format!("{}\nbye\n", files[0].0).into_bytes()));
        let out = cli.wait(BULK_TIMEOUT);
        let stats = rt.shutdown();
        let head = format!("{LEN}\n");
        assert_eq!(&out.stdout[..head.len()], head.as_bytes(), "{}", out.stderr);
        assert_eq!(
            sha256_hex(&out.stdout[head.len()..]),
            sha256_hex(&files[0].1),
            "{}",
            stats[0]
        );
        if baton_ktls::probe().available() {
            let by = if splice {
                stats[0].file_bytes_spliced
            } else {
                stats[0].file_bytes_sendfile
            };
            assert_eq!(by, LEN as u64, "{}", stats[0]);
        }
        let records = app_records_received(&msgfile);
        eprintln!("{:?} ...; {}", &records[..records.len().min(20)], stats[0]);
        // The head is not a record of its own: it fills the first small record
        // together with the body's first bytes.
        assert_eq!(records[0], 1395, "{records:?}");
        let mut seen = 0;
        let mut i = 0;
        while seen < 16 * 1024 {
            assert!(records[i] <= 1395, "record {i}: {records:?}");
            seen += records[i] - 17;
            i += 1;
        }
        assert!(records[i..].iter().all(|&l| l >= 1395), "{records:?}");
        assert!(
            records[i..].iter().filter(|&&l| l == 16401).count() >= 60,
            "{records:?}"
        );
    }
}

/// Not a check: the runtime's paths side by side in one run, as ratios
/// (`cargo test -p baton-ktls --test uring -- --ignored compare_paths
/// --nocapture`; in tools/ktls-vm for the kernel paths). A 64 MiB body by
/// SPLICE vs sendfile (or sealed), and 32 MiB echoed to `openssl s_client` with
/// multishot vs single-shot receives; best of three each.
#[test]
#[ignore]
fn compare_paths() {
    let (dir, files) = body_files("uring-compare", &[64 << 20]);
    let mut body = Vec::new();
    // kTLS: splice, then sendfile; userspace: READ_FIXED, then plain READ.
    for (splice, file_buffers) in [(true, 32), (false, 0)] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            file_buffers,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir.clone()))).unwrap();
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let t0 = Instant::now();
            let mut conn = fetch_all(rt.local_addr().port(), &files);
            best = best.min(t0.elapsed());
            conn.shutdown().unwrap();
        }
        let s = rt.shutdown().remove(0);
        body.push(best);
        eprintln!(
            "64 MiB body, splice={splice} file_buffers={file_buffers}: {:.0} MB/s \
             (spliced/sendfile/sealed {}/{}/{}, reads fixed/plain {}/{})",
            64.0 * 1.048576 / best.as_secs_f64(),
            s.file_bytes_spliced,
            s.file_bytes_sendfile,
            s.file_bytes_sealed,
            s.file_reads_fixed,
            s.file_reads_plain
        );
    }
    eprintln!(
        "body time, (kTLS) sendfile / splice or (userspace) plain READ / READ_FIXED: {:.2}",
        body[1].as_secs_f64() / body[0].as_secs_f64()
    );
    const LEN: usize = 32 << 20;
    let data = Arc::new(payload(LEN, 9));
    let mut echo = Vec::new();
    for multishot in [true, false] {
        let mut best = Duration::MAX;
        let mut provided = 0;
        for _ in 0..3 {
            let cfg = RuntimeConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                workers: 1,
                multishot_recv: multishot,
                ..Default::default()
            };
            let rt = Runtime::start(cfg, tls_config(), Arc::new(EchoUpTo(LEN))).unwrap();
            let t0 = Instant::now();
            let mut cli = s_client_ecdsa_quiet(rt.local_addr().port());
            cli.feed_stdin(Arc::clone(&data));
            let out = cli.wait(BULK_TIMEOUT);
            best = best.min(t0.elapsed());
            assert_eq!(out.stdout.len(), LEN);
            provided = rt.shutdown()[0].recv_provided;
        }
        echo.push(best);
        eprintln!(
            "32 MiB echo, multishot={multishot}: {:.0} MB/s (recv_provided {provided})",
            32.0 * 1.048576 / best.as_secs_f64()
        );
    }
    eprintln!(
        "echo time, single-shot / multishot: {:.2}",
        echo[1].as_secs_f64() / echo[0].as_secs_f64()
    );
}
