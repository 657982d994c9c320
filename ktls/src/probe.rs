//! What the running kernel's TLS can do, found by trying it on throw-away
//! loopback TCP sockets (AF_UNIX has no kTLS), once per process.

use crate::sys;
use baton::offload::{Direction, KernelCipher};
use baton::ProtocolVersion;
use std::borrow::Cow;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::OnceLock;

/// The kernel's TLS support, as probed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelSupport {
    /// Why the `tls` ULP can't be used at all (`None`: it can).
    pub unavailable: Option<String>,
    /// (version, cipher) pairs the kernel accepts for sending.
    pub tx: Vec<(ProtocolVersion, KernelCipher)>,
    /// (version, cipher) pairs the kernel accepts for receiving.
    pub rx: Vec<(ProtocolVersion, KernelCipher)>,
    /// TLS 1.3 KeyUpdate: a second key on a direction is accepted (Linux 6.14+).
    pub rekey: bool,
    /// `TLS_TX_ZEROCOPY_RO` exists.
    pub tx_zerocopy: bool,
    /// `TLS_RX_EXPECT_NO_PAD` exists.
    pub rx_no_pad: bool,
}

impl KernelSupport {
    /// True if the ULP works and at least one pair is supported each way.
    pub fn available(&self) -> bool {
        self.unavailable.is_none() && !self.tx.is_empty() && !self.rx.is_empty()
    }

    /// Why `dir` can't use the kernel for (version, cipher), or `None` if it can.
    pub fn refusal(
        &self,
        dir: Direction,
        version: ProtocolVersion,
        cipher: KernelCipher,
    ) -> Option<Cow<'static, str>> {
        if let Some(why) = &self.unavailable {
            return Some(Cow::Owned(why.clone()));
        }
        let list = match dir {
            Direction::Send => &self.tx,
            Direction::Recv => &self.rx,
        };
        if list.contains(&(version, cipher)) {
            None
        } else {
            Some(Cow::Owned(format!(
                "this kernel's TLS has no {version} {cipher} for {dir}"
            )))
        }
    }
}

/// Probes once per process (a few loopback sockets) and caches the answer.
pub fn probe() -> &'static KernelSupport {
    static CACHE: OnceLock<KernelSupport> = OnceLock::new();
    CACHE.get_or_init(run_probe)
}

/// A connected loopback pair (client, accepted server side).
fn pair(listener: &TcpListener) -> std::io::Result<(TcpStream, TcpStream)> {
    let c = TcpStream::connect(listener.local_addr()?)?;
    let (s, _) = listener.accept()?;
    Ok((c, s))
}

fn run_probe() -> KernelSupport {
    let mut out = KernelSupport::default();
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => {
            out.unavailable = Some(format!("cannot open a loopback socket to probe kTLS: {e}"));
            return out;
        }
    };
    let versions = [ProtocolVersion::TLSV1_2, ProtocolVersion::TLSV1_3];
    for version in versions {
        for cipher in KernelCipher::ALL {
            let Ok((c, _s)) = pair(&listener) else {
                continue;
            };
            let fd = c.as_fd();
            if let Err(e) = sys::set_ulp(fd) {
                out.unavailable = Some(match e.raw_os_error() {
                    Some(libc::ENOENT) => {
                        "the kernel has no TLS ULP (CONFIG_TLS / `modprobe tls`)".into()
                    }
                    _ => format!("attaching the tls ULP failed: {e}"),
                });
                return out;
            }
            if sys::set_probe_key(fd, Direction::Send, version, cipher).is_ok() {
                out.tx.push((version, cipher));
                if version == ProtocolVersion::TLSV1_3 && cipher == KernelCipher::Aes128Gcm {
                    out.tx_zerocopy = sys::set_tls_flag(fd, sys::TLS_TX_ZEROCOPY_RO).is_ok();
                    // Before 6.14 a second TLS_TX fails with EBUSY.
                    out.rekey = sys::set_probe_key(fd, Direction::Send, version, cipher).is_ok();
                }
            }
            if sys::set_probe_key(fd, Direction::Recv, version, cipher).is_ok() {
                out.rx.push((version, cipher));
                if version == ProtocolVersion::TLSV1_3 && cipher == KernelCipher::Aes128Gcm {
                    out.rx_no_pad = sys::set_tls_flag(fd, sys::TLS_RX_EXPECT_NO_PAD).is_ok();
                }
            }
        }
    }
    if out.tx.is_empty() && out.rx.is_empty() {
        out.unavailable = Some("the kernel's TLS accepted none of Baton's ciphers".into());
    }
    out
}

impl core::fmt::Display for KernelSupport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(why) = &self.unavailable {
            return write!(f, "kernel TLS unavailable: {why}");
        }
        let list = |v: &[(ProtocolVersion, KernelCipher)]| {
            v.iter()
                .map(|(v, c)| format!("{v} {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "kernel TLS: tx [{}]; rx [{}]; rekey={} tx_zerocopy={} rx_no_pad={}",
            list(&self.tx),
            list(&self.rx),
            self.rekey,
            self.tx_zerocopy,
            self.rx_no_pad
        )
    }
}
