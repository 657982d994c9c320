//! File bodies with an image in memory (`Output::send_file_image`): sealed
//! from the image in userspace, sent from the file by the kernel. The images
//! here deliberately differ from the files, so the bytes received prove
//! which one was sent.

use super::*;

/// Answers "NAME START LEN\n" with "LEN\n" and that part of the file, its
/// image the file's bytes XOR 0x5a (or, for names starting with "short",
/// an image one byte short of the file, which the runtime must ignore).
struct ImageFiles(std::path::PathBuf);

struct ImageHandler {
    dir: std::path::PathBuf,
    line: Vec<u8>,
    waiting: std::collections::VecDeque<String>,
    busy: bool,
}

fn image_of(content: &[u8]) -> Vec<u8> {
    content.iter().map(|b| b ^ 0x5a).collect()
}

impl ImageHandler {
    fn next(&mut self, out: &mut Output) -> Flow {
        if self.busy {
            return Flow::Continue;
        }
        let Some(req) = self.waiting.pop_front() else {
            return Flow::Continue;
        };
        let mut it = req.split(' ');
        let name = it.next().unwrap();
        let start: u64 = it.next().unwrap().parse().unwrap();
        let len: u64 = it.next().unwrap().parse().unwrap();
        let path = self.dir.join(name);
        let content = std::fs::read(&path).unwrap();
        let mut image = image_of(&content);
        if name.starts_with("short") {
            image.pop();
        }
        out.extend_from_slice(format!("{len}\n").as_bytes());
        out.send_file_image(
            std::fs::File::open(&path).unwrap(),
            start,
            len,
            image.into(),
        );
        self.busy = true;
        Flow::Continue
    }
}

impl Handler for ImageHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        split_lines(&mut self.line, input, &mut self.waiting);
        self.next(out)
    }
    fn on_drained(&mut self, out: &mut Output) -> Flow {
        self.busy = false;
        self.next(out)
    }
}

impl Service for ImageFiles {
    type Handler = ImageHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> ImageHandler {
        ImageHandler {
            dir: self.0.clone(),
            line: Vec::new(),
            waiting: Default::default(),
            busy: false,
        }
    }
}

/// Whole files at record boundaries and a range of the largest, pipelined
/// on one connection; then a file whose image is too short. Userspace
/// records come from the images (no file read at all), kernel TLS sends the
/// files.
#[test]
fn file_images_are_sealed_from_memory_and_the_kernel_sends_the_file() {
    const SIZES: [usize; 6] = [0, 1, 16380, 16385, 100_000, (1 << 20) + 7];
    let (dir, mut files) = body_files("uring-images", &SIZES);
    let short = payload(70_000, 9);
    std::fs::write(dir.join("short"), &short).unwrap();
    files.push(("short".into(), short));
    let kernel = baton_ktls::probe().available();
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(ImageFiles(dir.clone()))).unwrap();
    let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    // (name, start, len) and what must arrive.
    let mut asks = Vec::new();
    for (name, content) in &files {
        asks.push((name.clone(), 0, content.len()));
    }
    let big = &files[5];
    asks.push((big.0.clone(), 12_345, 200_000));
    let ask: String = asks
        .iter()
        .map(|(n, s, l)| format!("{n} {s} {l}\n"))
        .collect();
    send_all(&mut conn, ask.as_bytes()).unwrap();
    let mut from_image = 0;
    let mut from_file = 0;
    for (name, start, len) in &asks {
        let content = &files.iter().find(|(n, _)| n == name).unwrap().1;
        let part = &content[*start..start + len];
        let want = if kernel || name == "short" {
            from_file += len;
            part.to_vec()
        } else {
            from_image += len;
            image_of(part)
        };
        let head = format!("{len}\n");
        let got = recv_exact(&mut conn, head.len() + len).unwrap();
        assert_eq!(&got[..head.len()], head.as_bytes(), "{name}");
        assert_eq!(sha256_hex(&got[head.len()..]), sha256_hex(&want), "{name}");
    }
    conn.shutdown().unwrap();
    let stats = rt.shutdown();
    let s = &stats[0];
    assert_eq!(s.file_bytes_from_image, from_image as u64, "{s}");
    if kernel {
        assert_eq!(
            s.file_bytes_spliced + s.file_bytes_sendfile,
            from_file as u64,
            "{s}"
        );
        assert_eq!(s.file_bytes_sealed, 0, "{s}");
    } else {
        // Only the file with the short image was read.
        assert_eq!(s.file_bytes_sealed, from_file as u64, "{s}");
        assert!(s.file_reads_fixed + s.file_reads_plain >= 2, "{s}");
    }
    assert!(s.errors.is_empty(), "{s}");
    check_paths(&stats, 1);
}

/// Every claim is fresh (one early request per ticket here).
struct FreshStore;

impl baton::early::AntiReplayStore for FreshStore {
    fn claim(&self, _key: &[u8], _ttl: Duration) -> baton::early::Claim {
        baton::early::Claim::Fresh
    }

    fn remembers_since(&self) -> Option<std::time::SystemTime> {
        None
    }
}

/// A request in 0-RTT early data is answered before the client's Finished
/// (0.5-RTT, sealed in userspace whatever the kernel can do later): its
/// body, at most 64 KiB, comes from the image too.
#[test]
fn an_early_answer_takes_its_body_from_the_image() {
    let (dir, files) = body_files("uring-images-early", &[40_000]);
    let server = super::early::early_server_config(16 * 1024, Arc::new(FreshStore));
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ..Default::default()
    };
    let rt = Runtime::start(cfg, server, Arc::new(ImageFiles(dir))).unwrap();
    let port = rt.local_addr().port();
    let client = super::early::early_client_config();
    let (name, content) = &files[0];
    let ask = format!("{name} 0 {}\n", content.len());
    let head = format!("{}\n", content.len());
    // A full handshake for a ticket; its answer comes after the handshake.
    let mut first = Connection::new_client(&client);
    first.set_server_name("localhost").unwrap();
    first.set_io(tcp_connect(port));
    send_all(&mut first, ask.as_bytes()).unwrap();
    recv_exact(&mut first, head.len() + content.len()).unwrap();
    let saved = first.saved_session().expect("a ticket");
    drop(first);
    // The same request as early data.
    let mut conn = Connection::new_client(&client);
    conn.set_server_name("localhost").unwrap();
    conn.session_mut().set_saved_session(saved).unwrap();
    conn.set_io(tcp_connect(port));
    assert_eq!(conn.send_early_data(ask.as_bytes()).unwrap(), ask.len());
    conn.negotiate().unwrap();
    assert_eq!(
        conn.early_data_status(),
        baton::early::EarlyDataStatus::Accepted
    );
    let got = recv_exact(&mut conn, head.len() + content.len()).unwrap();
    assert_eq!(&got[..head.len()], head.as_bytes());
    assert_eq!(
        sha256_hex(&got[head.len()..]),
        sha256_hex(&image_of(content))
    );
    drop(conn);
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.half_rtt_answers), 1, "{stats:?}");
    assert_eq!(total(&stats, |s| s.early_data), 1, "{stats:?}");
}
