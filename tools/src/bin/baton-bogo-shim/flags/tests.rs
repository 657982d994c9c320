//! The command line parser's tests.
use super::*;

fn args(s: &[&str]) -> Vec<String> {
    s.iter().map(|a| a.to_string()).collect()
}

#[test]
fn prefixes_values_and_credentials() {
    let f = parse(&args(&[
        "-port",
        "4433",
        "-shim-id",
        "7",
        "-server",
        "-curves",
        "29",
        "-curves",
        "23",
        "-on-resume-expect-version",
        "772",
        "-cert-file",
        "a.pem",
        "-key-file",
        "a.key",
        "-new-x509-credential",
        "-cert-file",
        "b.pem",
        "-signing-prefs",
        "1027",
        "-advertise-alpn",
        "\u{3}foo\u{3}bar",
        "-on-handshaker-bogus-flag-is-skipped",
    ]));
    // An unknown flag is unimplemented even behind -on-handshaker: its
    // arity is unknown.
    assert!(matches!(f, Err(ParseError::Unimplemented(_))));
    let f = parse(&args(&[
        "-port",
        "4433",
        "-shim-id",
        "7",
        "-server",
        "-curves",
        "29",
        "-curves",
        "23",
        "-on-resume-expect-version",
        "772",
        "-cert-file",
        "a.pem",
        "-key-file",
        "a.key",
        "-new-x509-credential",
        "-cert-file",
        "b.pem",
        "-signing-prefs",
        "1027",
        "-advertise-alpn",
        "\u{3}foo\u{3}bar",
    ]))
    .unwrap();
    assert_eq!((f.port, f.shim_id), (4433, 7));
    assert!(f.initial.server && f.resume.server);
    assert_eq!(f.initial.curves, [29, 23]);
    assert_eq!(
        (f.initial.expect_version, f.resume.expect_version),
        (None, Some(772))
    );
    assert_eq!(f.initial.default_cred.cert_file, "a.pem");
    assert_eq!(f.initial.credentials[0].cert_file, "b.pem");
    assert_eq!(f.initial.credentials[0].signing_prefs, [1027]);
    let alpn = alpn_list(f.initial.advertise_alpn.as_deref().unwrap());
    assert_eq!(alpn, [b"foo".to_vec(), b"bar".to_vec()]);
}

#[test]
fn resumption_flags_go_to_their_connections() {
    let f = parse(&args(&[
        "-resume-count",
        "2",
        "-expect-session-miss",
        "-on-resume-no-ticket",
        "-on-resume-resumption-delay",
        "10",
        "-on-initial-expect-no-session",
        "-ticket-key",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v",
    ]))
    .unwrap();
    assert_eq!(f.initial.resume_count, 2);
    assert!(f.initial.expect_session_miss && f.resume.expect_session_miss);
    assert!(!f.initial.no_ticket && f.resume.no_ticket);
    assert_eq!(
        (f.initial.resumption_delay, f.resume.resumption_delay),
        (0, 10)
    );
    assert!(f.initial.expect_no_session && !f.resume.expect_no_session);
    let key: Vec<u8> = (0..48).collect();
    assert_eq!(f.initial.ticket_key.as_deref(), Some(&key[..]));
    let f = parse(&args(&[
        "-expect-session-id",
        "-on-initial-expect-no-session-id",
        "-on-resume-expect-ticket-age-skew",
        "-5",
    ]))
    .unwrap();
    assert!(f.initial.expect_session_id && f.resume.expect_session_id);
    assert!(f.initial.expect_no_session_id && !f.resume.expect_no_session_id);
    assert_eq!(
        (
            f.initial.expect_ticket_age_skew,
            f.resume.expect_ticket_age_skew
        ),
        (0, -5)
    );
}

#[test]
fn early_data_flags_and_the_retry_connection() {
    let f = parse(&args(&[
        "-resume-count",
        "1",
        "-enable-early-data",
        "-on-resume-expect-reject-early-data",
        "-on-resume-shim-writes-first",
        "-on-retry-expect-alpn",
        "foo",
        "-expect-ticket-supports-early-data",
    ]))
    .unwrap();
    for o in [&f.initial, &f.resume, &f.retry] {
        assert!(o.enable_early_data && o.expect_ticket_supports_early_data);
    }
    assert!(f.resume.expect_reject_early_data && f.resume.shim_writes_first);
    // The retry has the unprefixed flags and its own, not -on-resume's.
    assert!(!f.retry.expect_reject_early_data && !f.retry.shim_writes_first);
    assert_eq!(f.retry.expect_alpn.as_deref(), Some("foo"));
    assert_eq!(f.resume.expect_alpn, None);
}

#[test]
fn base64_values() {
    assert_eq!(base64("-x", "").unwrap(), b"");
    assert_eq!(base64("-x", "Zg==").unwrap(), b"f");
    assert_eq!(base64("-x", "Zm8=").unwrap(), b"fo");
    assert_eq!(base64("-x", "Zm9v").unwrap(), b"foo");
    assert_eq!(base64("-x", "+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
    for bad in ["Zg", "Zg=", "Z===", "Zm9v!A==", "=Zm9"] {
        assert!(
            matches!(base64("-x", bad), Err(ParseError::Invalid(_))),
            "{bad}"
        );
    }
}

#[test]
fn absent_features_are_unimplemented_only_where_they_apply() {
    assert!(matches!(
        parse(&args(&["-dtls"])),
        Err(ParseError::Unimplemented(_))
    ));
    // A resumption-only flag matters only if a resumption runs.
    assert!(parse(&args(&["-on-resume-use-ticket-callback"])).is_ok());
    assert!(matches!(
        parse(&args(&[
            "-resume-count",
            "1",
            "-on-resume-use-ticket-callback"
        ])),
        Err(ParseError::Unimplemented(_))
    ));
    // So does one for the handshake after a 0-RTT rejection.
    let reason = ["-on-retry-expect-early-data-reason", "peer_declined"];
    assert!(parse(&args(&reason)).is_ok());
    assert!(matches!(
        parse(&args(&["-resume-count", "1", reason[0], reason[1]])),
        Err(ParseError::Unimplemented(_))
    ));
    // Ignored flags take their value along.
    let f = parse(&args(&["-write-settings", "x", "-server"])).unwrap();
    assert!(f.initial.server);
    assert!(matches!(
        parse(&args(&["-port"])),
        Err(ParseError::Invalid(_))
    ));
}

#[test]
fn staples_go_to_their_credentials() {
    let f = parse(&args(&[
        "-server",
        "-async",
        "-use-early-callback",
        "-ocsp-response",
        "AQIDBA==",
        "-new-x509-credential",
        "-signed-cert-timestamps",
        "AAYABAUGBwg=",
        "-on-resume-expect-ocsp-response",
        "BQYHCA==",
        "-enable-signed-cert-timestamps",
    ]))
    .unwrap();
    let o = &f.initial;
    assert!(o.async_mode && o.use_early_callback && o.enable_sct);
    assert_eq!(o.default_cred.ocsp_response, [1, 2, 3, 4]);
    assert!(o.default_cred.sct_list.is_empty());
    assert_eq!(o.credentials[0].sct_list, [0, 6, 0, 4, 5, 6, 7, 8]);
    assert_eq!(o.expect_ocsp_response, None);
    assert_eq!(
        f.resume.expect_ocsp_response.as_deref(),
        Some(&[5, 6, 7, 8][..])
    );
    // BoringSSL's OCSP callback is still unimplemented.
    assert!(matches!(
        parse(&args(&["-use-ocsp-callback"])),
        Err(ParseError::Unimplemented(_))
    ));
}
