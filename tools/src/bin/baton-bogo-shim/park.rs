//! BoringSSL's `-async` mode for the callbacks Baton has: the private-key
//! callback and the ClientHello (early) callback answer later, so every
//! handshake that signs parks with `Blocked::OnApplicationInput` and is
//! taken up again, as bssl_shim's asynchronous private-key method and
//! early callback make its handshakes return "retry" once.
//!
//! The shim runs one connection at a time on one thread: the callbacks put
//! their pending answers in one queue, and [`again`] answers them when the
//! handshake reports it is waiting, then calls it again.

use baton::hello_callback::{ClientHelloAction, ClientHelloAnswer, PendingClientHello};
use baton::pkey::{PrivateKeyCallback, PrivateKeyOp};
use baton::{Blocked, Error};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An answer the handshake waits for.
enum Pending {
    Sign(PrivateKeyOp),
    Hello(ClientHelloAnswer),
}

static QUEUE: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// Signatures answered late since the last [`take_parked_signatures`].
static PARKED_SIGNATURES: AtomicUsize = AtomicUsize::new(0);

/// How many signatures were parked and answered late since the last call:
/// the shim checks that async mode really took the parked path.
pub fn take_parked_signatures() -> usize {
    PARKED_SIGNATURES.swap(0, Ordering::Relaxed)
}

fn push(p: Pending) {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner()).push(p);
}

/// A private-key callback that leaves every signature for [`again`].
pub fn private_key_callback() -> Arc<PrivateKeyCallback> {
    Arc::new(|op| push(Pending::Sign(op)))
}

/// The answer of the ClientHello callback to go on: at once, or, in async
/// mode, later through [`again`].
pub fn hello_continue(async_mode: bool) -> ClientHelloAction {
    if !async_mode {
        return ClientHelloAction::Continue;
    }
    let (pending, answer) = PendingClientHello::new();
    push(Pending::Hello(answer));
    ClientHelloAction::Later(pending)
}

/// Answers everything pending; false if nothing was.
fn answer_all() -> bool {
    let pending = std::mem::take(&mut *QUEUE.lock().unwrap_or_else(|e| e.into_inner()));
    let any = !pending.is_empty();
    for p in pending {
        match p {
            Pending::Sign(op) => {
                PARKED_SIGNATURES.fetch_add(1, Ordering::Relaxed);
                op.sign()
            }
            Pending::Hello(answer) => answer.proceed(),
        }
    }
    any
}

/// Calls `f` (a handshake-driving call) until it stops waiting for the
/// application, answering what is pending each time. A wait with nothing
/// pending is returned as it is (a failure for the test). Bounded: a
/// handshake parks only a few times (ClientHello callback, one signature).
pub fn again<T>(mut f: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    let mut tries = 0;
    loop {
        match f() {
            Err(e) if e.blocked_on() == Some(Blocked::OnApplicationInput) => {
                tries += 1;
                if tries > 16 || !answer_all() {
                    return Err(e);
                }
            }
            r => return r,
        }
    }
}
