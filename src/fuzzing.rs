//! Entry points for fuzzers (`tests/fuzz/`). Not a stable API.
//!
//! Each function takes arbitrary bytes and must never panic. Where input
//! parses, they also check that re-encoding and re-parsing gives the same
//! value, so an `assert!` firing here is a real codec bug.

use crate::msgs::codec::Codec;
use crate::msgs::enums::HandshakeType;
use crate::msgs::extensions::{ClientExtensions, ServerExtContext, ServerExtensions};
use crate::msgs::handshake::{
    client_hello_binders_offset, ClientHello, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::joiner::HandshakeJoiner;

fn check_client_extensions(ch: &ClientHello) {
    if let Ok(exts) = ClientExtensions::parse(&ch.extensions) {
        let again = ClientExtensions::parse(&exts.to_extensions());
        let expected = ClientExtensions {
            unknown: Vec::new(),
            ..exts
        };
        assert_eq!(again.ok(), Some(expected), "ClientExtensions round trip");
    }
}

fn check_server_extensions(ctx: ServerExtContext, exts: &[crate::msgs::extensions::Extension]) {
    if let Ok(parsed) = ServerExtensions::parse(ctx, exts) {
        let again = ServerExtensions::parse(ctx, &parsed.to_extensions(ctx));
        assert_eq!(again.ok(), Some(parsed), "ServerExtensions round trip");
    }
}

fn check_message(msg: &HandshakeMessage) {
    let bytes = msg.to_bytes();
    let body = bytes.get(4..).unwrap_or(&[]);
    let again = HandshakeMessage::read_tls13(msg.typ, body);
    assert_eq!(
        again.as_ref().ok(),
        Some(msg),
        "handshake message round trip"
    );
    match &msg.payload {
        HandshakePayload::ClientHello(ch) => {
            check_client_extensions(ch);
            let _ = client_hello_binders_offset(&bytes);
        }
        HandshakePayload::ServerHello(sh) => {
            let ctx = if sh.is_hrr() {
                ServerExtContext::HelloRetryRequest
            } else {
                ServerExtContext::ServerHello13
            };
            check_server_extensions(ctx, &sh.extensions);
            check_server_extensions(ServerExtContext::ServerHello12, &sh.extensions);
        }
        HandshakePayload::EncryptedExtensions(exts) => {
            check_server_extensions(ServerExtContext::EncryptedExtensions, exts);
        }
        HandshakePayload::NewSessionTicket13(nst) => {
            let _ = nst.max_early_data_size();
        }
        _ => {}
    }
}

/// A ClientHello body (no handshake header).
pub fn client_hello(data: &[u8]) {
    if let Ok(ch) = ClientHello::read_bytes(data) {
        check_message(&HandshakeMessage::new(HandshakePayload::ClientHello(ch)));
    }
}

/// A ServerHello or HelloRetryRequest body (no handshake header).
pub fn server_hello(data: &[u8]) {
    if let Ok(sh) = ServerHello::read_bytes(data) {
        check_message(&HandshakeMessage::new(HandshakePayload::ServerHello(sh)));
    }
}

/// Any TLS 1.3 handshake message: the first byte is the type, the rest the body.
pub fn handshake13(data: &[u8]) {
    let Some((&typ, body)) = data.split_first() else {
        return;
    };
    if let Ok(msg) = HandshakeMessage::read_tls13(HandshakeType(typ), body) {
        check_message(&msg);
    }
}

/// Any TLS 1.2 handshake message: the first byte is the type, the rest the body.
pub fn handshake12(data: &[u8]) {
    let Some((&typ, body)) = data.split_first() else {
        return;
    };
    if let Ok(msg) = HandshakeMessage::read_tls12(HandshakeType(typ), body) {
        check_message12(&msg);
    }
}

/// Re-encoding a TLS 1.2 message that parsed gives back the same message.
fn check_message12(msg: &HandshakeMessage) {
    let bytes = msg.to_bytes();
    let back = HandshakeMessage::read_tls12(msg.typ, &bytes[4..]);
    // ok-panic: fuzz oracle; the fuzzer is meant to find a re-encoding mismatch.
    assert_eq!(
        back.as_ref().ok(),
        Some(msg),
        "TLS 1.2 re-encoding changed the message"
    );
}

/// The joiner: the first byte gives the number of size bytes that follow
/// (`n % 8`); each size byte is the length of one push (0 counts as 1), and the remaining
/// data is pushed in those sizes (the last push takes what is left).
pub fn joiner(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, mut payload) = rest.split_at(n);
    let mut j = HandshakeJoiner::new();
    let mut popped = Vec::new();
    let mut sizes = sizes
        .iter()
        .map(|&s| usize::from(s))
        .chain(Some(usize::MAX));
    while !payload.is_empty() {
        let size = sizes.next().unwrap_or(usize::MAX).clamp(1, payload.len());
        let (chunk, tail) = payload.split_at(size);
        payload = tail;
        if j.push(chunk).is_err() {
            return;
        }
        loop {
            match j.pop() {
                Ok(Some(m)) => {
                    assert_eq!(m.typ.0, m.encoded.first().copied().unwrap_or(0));
                    popped.extend_from_slice(&m.encoded);
                    if let Ok(msg) = HandshakeMessage::read_tls13(m.typ, m.body()) {
                        check_message(&msg);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    // Everything popped is a prefix of the input; the rest is still buffered.
    let input = &rest[n..];
    assert!(input.starts_with(&popped), "joiner reordered bytes");
    assert_eq!(j.is_empty(), popped.len() == input.len());
}

/// The deframer and record opening: `data` is a byte stream cut into reads by
/// its own first byte; every complete record is opened with a fixed key. The
/// low two bits of that byte pick TLS 1.3, TLS 1.2 AES-GCM or TLS 1.2 ChaCha20.
pub fn records(data: &[u8]) {
    use crate::crypto::aead::AeadAlg;
    use crate::record::deframer::Deframer;
    use crate::record::protect::Decrypter;
    use crate::secrets::Secret;
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let dec = match cut % 4 {
        0 | 1 => Decrypter::new_tls13(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 12]),
        2 => Decrypter::new_tls12(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 4]),
        _ => Decrypter::new_tls12(AeadAlg::ChaCha20Poly1305, &Secret::new(&[7; 32]), &[9; 12]),
    };
    let Ok(mut dec) = dec else {
        return;
    };
    let mut df = Deframer::new();
    let step = usize::from(cut).max(1);
    for chunk in stream.chunks(step) {
        let mut off = 0;
        while off < chunk.len() {
            let space = df.space(usize::MAX);
            if space.is_empty() {
                return;
            }
            let n = space.len().min(chunk.len() - off);
            space[..n].copy_from_slice(&chunk[off..off + n]);
            df.commit(n);
            off += n;
            loop {
                match df.next_record() {
                    Ok(Some(rec)) => {
                        if let Ok((_, range)) = dec.open(&rec.header_bytes, rec.payload) {
                            // ok-panic: fuzz oracle; the fuzzer is meant to find these.
                            assert!(range.len() <= crate::record::MAX_PLAINTEXT);
                            assert!(range.end <= rec.payload.len());
                        }
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
        }
    }
}

/// Feeds `data` to a connection as everything its peer says, in reads cut by
/// `data`'s first byte; the handshake must end in an error or success, never a panic.
pub fn drive(conn: &mut crate::Connection, data: &[u8]) {
    let (step, stream) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s).max(1), rest.to_vec()),
        None => (1, Vec::new()),
    };
    let mut pos = 0;
    conn.set_io_callbacks(
        |b| Ok(b.len()),
        move |buf| {
            let n = step.min(buf.len()).min(stream.len() - pos);
            buf[..n].copy_from_slice(&stream[pos..pos + n]);
            pos += n;
            Ok(n)
        },
    );
    if conn.negotiate().is_ok() {
        let mut buf = [0u8; 512];
        for _ in 0..64 {
            match conn.recv(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}
