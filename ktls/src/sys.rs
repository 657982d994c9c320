//! The syscalls of kernel TLS: every `unsafe` block of the kTLS path is here.
//!
//! Layouts follow `include/uapi/linux/tls.h`; the crypto-info structs are our
//! own `#[repr(C)]` copies so that they are zeroized on drop whatever happens.
//! Every fd comes in as a `BorrowedFd`, so it is open for the whole call by type.

use baton::offload::{Direction, DirectionKeys, KernelCipher};
use baton::ProtocolVersion;
use std::io::{self, IoSlice};
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};
use zeroize::Zeroize;

/// `SOL_TLS` socket options (linux/tls.h).
const TLS_TX: libc::c_int = 1;
const TLS_RX: libc::c_int = 2;
pub(crate) const TLS_TX_ZEROCOPY_RO: libc::c_int = 3;
pub(crate) const TLS_RX_EXPECT_NO_PAD: libc::c_int = 4;
/// cmsg types at `SOL_TLS`.
const TLS_SET_RECORD_TYPE: libc::c_int = 1;
const TLS_GET_RECORD_TYPE: libc::c_int = 2;

const TLS_1_2_VERSION: u16 = 0x0303;
const TLS_1_3_VERSION: u16 = 0x0304;
const TLS_CIPHER_AES_GCM_128: u16 = 51;
const TLS_CIPHER_AES_GCM_256: u16 = 52;
const TLS_CIPHER_CHACHA20_POLY1305: u16 = 54;

/// `struct tls12_crypto_info_*`: `{u16 version, u16 cipher_type}` then iv, key,
/// salt, rec_seq. All fields after the header are bytes, so `repr(C)` has no padding.
#[repr(C)]
struct CryptoInfo<const IV: usize, const KEY: usize, const SALT: usize> {
    version: u16,
    cipher_type: u16,
    iv: [u8; IV],
    key: [u8; KEY],
    salt: [u8; SALT],
    rec_seq: [u8; 8],
}

impl<const IV: usize, const KEY: usize, const SALT: usize> CryptoInfo<IV, KEY, SALT> {
    fn zeroed() -> Self {
        Self {
            version: 0,
            cipher_type: 0,
            iv: [0; IV],
            key: [0; KEY],
            salt: [0; SALT],
            rec_seq: [0; 8],
        }
    }

    fn from_keys(cipher_type: u16, keys: &DirectionKeys) -> io::Result<Self> {
        let mut info = Self::zeroed();
        info.version = match keys.version() {
            ProtocolVersion::TLSV1_2 => TLS_1_2_VERSION,
            ProtocolVersion::TLSV1_3 => TLS_1_3_VERSION,
            _ => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
        };
        info.cipher_type = cipher_type;
        let (iv, key, salt) = (keys.iv(), keys.key(), keys.salt());
        if iv.len() != IV || key.len() != KEY || salt.len() != SALT {
            return Err(io::Error::other(
                "key material has the wrong length for the kernel",
            ));
        }
        info.iv.copy_from_slice(&iv);
        info.key.copy_from_slice(key);
        info.salt.copy_from_slice(salt);
        info.rec_seq = keys.rec_seq();
        Ok(info)
    }
}

impl<const IV: usize, const KEY: usize, const SALT: usize> Drop for CryptoInfo<IV, KEY, SALT> {
    fn drop(&mut self) {
        self.iv.zeroize();
        self.key.zeroize();
        self.salt.zeroize();
        self.rec_seq.zeroize();
    }
}

type Aes128Info = CryptoInfo<8, 16, 4>;
type Aes256Info = CryptoInfo<8, 32, 4>;
type Chacha20Info = CryptoInfo<12, 32, 0>;

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn cvt_size(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

fn setsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    val: &[u8],
) -> io::Result<()> {
    // SAFETY: `fd` is borrowed, so open for the call; `val` is a live byte
    // slice of the length passed and the kernel only reads `optlen` bytes of it.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            val.as_ptr().cast(),
            val.len() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Attaches the `tls` upper-layer protocol. `ENOENT`: the kernel has no TLS
/// module; `EEXIST`: already attached.
pub(crate) fn set_ulp(fd: BorrowedFd<'_>) -> io::Result<()> {
    setsockopt_bytes(fd, libc::SOL_TCP, libc::TCP_ULP, b"tls")
}

/// An integer `SOL_TLS` option (`TLS_TX_ZEROCOPY_RO`, `TLS_RX_EXPECT_NO_PAD`).
pub(crate) fn set_tls_flag(fd: BorrowedFd<'_>, name: libc::c_int) -> io::Result<()> {
    let one: libc::c_int = 1;
    setsockopt_bytes(fd, libc::SOL_TLS, name, &one.to_ne_bytes())
}

fn set_info<T>(fd: BorrowedFd<'_>, dir: Direction, info: &T) -> io::Result<()> {
    let name = match dir {
        Direction::Send => TLS_TX,
        Direction::Recv => TLS_RX,
    };
    // SAFETY: `fd` is borrowed (open for the call); `info` is a `repr(C)` struct
    // with the kernel's layout for its cipher, `size_of::<T>()` its exact size.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_TLS,
            name,
            (info as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Installs `keys` for `dir` (`TLS_TX` / `TLS_RX`). The struct holding the
/// key is zeroized when this returns, whether the kernel took it or not.
pub(crate) fn set_crypto(
    fd: BorrowedFd<'_>,
    dir: Direction,
    keys: &DirectionKeys,
) -> io::Result<()> {
    match keys.cipher() {
        KernelCipher::Aes128Gcm => set_info(
            fd,
            dir,
            &Aes128Info::from_keys(TLS_CIPHER_AES_GCM_128, keys)?,
        ),
        KernelCipher::Aes256Gcm => set_info(
            fd,
            dir,
            &Aes256Info::from_keys(TLS_CIPHER_AES_GCM_256, keys)?,
        ),
        KernelCipher::Chacha20Poly1305 => set_info(
            fd,
            dir,
            &Chacha20Info::from_keys(TLS_CIPHER_CHACHA20_POLY1305, keys)?,
        ),
        // A cipher Baton learned after this back end: not installed (the
        // probe never lists it, so no key of it gets this far).
        _ => Err(unsupported()),
    }
}

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "cipher not supported by this kernel back end",
    )
}

/// Installs an all-zero key of `cipher` for `version`: the probe's way to ask
/// the kernel what it supports, on a throw-away socket.
pub(crate) fn set_probe_key(
    fd: BorrowedFd<'_>,
    dir: Direction,
    version: ProtocolVersion,
    cipher: KernelCipher,
) -> io::Result<()> {
    let v = match version {
        ProtocolVersion::TLSV1_2 => TLS_1_2_VERSION,
        _ => TLS_1_3_VERSION,
    };
    match cipher {
        KernelCipher::Aes128Gcm => {
            let mut i = Aes128Info::zeroed();
            (i.version, i.cipher_type) = (v, TLS_CIPHER_AES_GCM_128);
            set_info(fd, dir, &i)
        }
        KernelCipher::Aes256Gcm => {
            let mut i = Aes256Info::zeroed();
            (i.version, i.cipher_type) = (v, TLS_CIPHER_AES_GCM_256);
            set_info(fd, dir, &i)
        }
        KernelCipher::Chacha20Poly1305 => {
            let mut i = Chacha20Info::zeroed();
            (i.version, i.cipher_type) = (v, TLS_CIPHER_CHACHA20_POLY1305);
            set_info(fd, dir, &i)
        }
        _ => Err(unsupported()),
    }
}

fn get_tx_info<T>(fd: BorrowedFd<'_>, info: &mut T) -> io::Result<()> {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `fd` is borrowed (open for the call); `info` is a writable
    // `repr(C)` struct of `len` bytes; the kernel writes at most `len` bytes.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_TLS,
            TLS_TX,
            (info as *mut T).cast(),
            &mut len,
        )
    })?;
    if len as usize != size_of::<T>() {
        return Err(io::Error::other(
            "unexpected TLS_TX info size from the kernel",
        ));
    }
    Ok(())
}

/// The sequence number of the next record the kernel will seal. The kernel
/// returns the whole crypto info (key included); it is zeroized on drop.
pub(crate) fn tx_seq(fd: BorrowedFd<'_>, cipher: KernelCipher) -> io::Result<u64> {
    let seq = match cipher {
        KernelCipher::Aes128Gcm => {
            let mut i = Aes128Info::zeroed();
            get_tx_info(fd, &mut i)?;
            i.rec_seq
        }
        KernelCipher::Aes256Gcm => {
            let mut i = Aes256Info::zeroed();
            get_tx_info(fd, &mut i)?;
            i.rec_seq
        }
        KernelCipher::Chacha20Poly1305 => {
            let mut i = Chacha20Info::zeroed();
            get_tx_info(fd, &mut i)?;
            i.rec_seq
        }
        _ => return Err(unsupported()),
    };
    Ok(u64::from_be_bytes(seq))
}

/// Room for one cmsg carrying one byte, aligned for `cmsghdr`.
#[repr(C)]
union CmsgBuf {
    _align: libc::cmsghdr,
    buf: [u8; 32],
}

fn cmsg_space_1() -> usize {
    // SAFETY: CMSG_SPACE is a pure computation on its argument.
    unsafe { libc::CMSG_SPACE(1) as usize }
}

/// Writes application data; the kernel seals it. `MSG_NOSIGNAL`: a closed peer
/// is an `EPIPE` error, never a SIGPIPE.
pub(crate) fn send_data(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (no name, no control, no iovecs).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with `struct iovec` on Unix.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
    // SAFETY: `fd` is borrowed (open for the call); msg points at `bufs`, which
    // outlives the call, and the kernel only reads them.
    cvt_size(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
}

/// Writes `data` as a record of `content_type` (`TLS_SET_RECORD_TYPE`).
pub(crate) fn send_control(fd: BorrowedFd<'_>, content_type: u8, data: &[u8]) -> io::Result<usize> {
    let mut cbuf = CmsgBuf { buf: [0; 32] };
    let space = cmsg_space_1();
    debug_assert!(space <= 32);
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: `cbuf` is aligned for cmsghdr and `space` bytes fit in it.
    msg.msg_control = unsafe { cbuf.buf.as_mut_ptr() }.cast();
    msg.msg_controllen = space as _;
    // SAFETY: msg_control points at `space` zeroed, aligned bytes, so
    // CMSG_FIRSTHDR returns a valid header pointer inside `cbuf`, and
    // CMSG_DATA(hdr) has room for the one byte written.
    unsafe {
        let hdr = libc::CMSG_FIRSTHDR(&msg);
        (*hdr).cmsg_level = libc::SOL_TLS;
        (*hdr).cmsg_type = TLS_SET_RECORD_TYPE;
        (*hdr).cmsg_len = libc::CMSG_LEN(1) as _;
        *libc::CMSG_DATA(hdr) = content_type;
    }
    // SAFETY: `fd` is borrowed (open for the call); msg's iovec and control
    // buffer are live for the call and the kernel only reads them.
    cvt_size(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
}

/// Reads decrypted bytes and their record type (`TLS_GET_RECORD_TYPE`); without
/// the cmsg (a plain TCP read) the bytes are application data.
pub(crate) fn recv_record(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<(u8, usize)> {
    let mut cbuf = CmsgBuf { buf: [0; 32] };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: taking the address of the union's byte view.
    msg.msg_control = unsafe { cbuf.buf.as_mut_ptr() }.cast();
    msg.msg_controllen = cmsg_space_1() as _;
    // SAFETY: `fd` is borrowed (open for the call); the iovec covers `buf`
    // (writable, live for the call) and the control buffer has
    // `msg_controllen` aligned bytes.
    let n = cvt_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) })?;
    let mut typ = baton::offload::content_type::APPLICATION_DATA;
    // SAFETY: after recvmsg, msg_control/msg_controllen describe the control data
    // the kernel wrote inside `cbuf`; CMSG_FIRSTHDR/NXTHDR stay within it and
    // return null at its end, and we read CMSG_DATA only for a cmsg whose
    // length covers one data byte.
    unsafe {
        let mut hdr = libc::CMSG_FIRSTHDR(&msg);
        while !hdr.is_null() {
            if (*hdr).cmsg_level == libc::SOL_TLS
                && (*hdr).cmsg_type == TLS_GET_RECORD_TYPE
                && (*hdr).cmsg_len as usize >= libc::CMSG_LEN(1) as usize
            {
                typ = *libc::CMSG_DATA(hdr);
            }
            hdr = libc::CMSG_NXTHDR(&msg, hdr);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::other("record type control message truncated"));
    }
    Ok((typ, n))
}

/// `sendfile(2)` from `file` at `offset` into the socket.
pub(crate) fn sendfile(
    sock: BorrowedFd<'_>,
    file: BorrowedFd<'_>,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    let mut off: libc::off_t = offset
        .try_into()
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: both fds are open for the call (borrowed); `off` is a live local.
    cvt_size(unsafe { libc::sendfile(sock.as_raw_fd(), file.as_raw_fd(), &mut off, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_info_sizes_match_the_kernel() {
        // sizeof(struct tls12_crypto_info_*) in linux/tls.h.
        assert_eq!(size_of::<Aes128Info>(), 40);
        assert_eq!(size_of::<Aes256Info>(), 56);
        assert_eq!(size_of::<Chacha20Info>(), 56);
        assert_eq!(
            size_of::<Aes128Info>(),
            size_of::<libc::tls12_crypto_info_aes_gcm_128>()
        );
        assert_eq!(
            size_of::<Aes256Info>(),
            size_of::<libc::tls12_crypto_info_aes_gcm_256>()
        );
        assert_eq!(
            size_of::<Chacha20Info>(),
            size_of::<libc::tls12_crypto_info_chacha20_poly1305>()
        );
    }
}
