//! The handshake future behind [`TlsAcceptor::accept`](super::TlsAcceptor::accept)
//! and [`TlsConnector::connect`](super::TlsConnector::connect).

use super::stream::{tls_error, TlsStream};
use super::wake::with_current;
use crate::Blocked;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// Drives a handshake to completion and resolves to the [`TlsStream`]; on
/// failure, to the error (the alert sent first, as far as the transport took
/// it). While the handshake waits for the application (an asynchronous
/// callback, see [`handshake_waker`](super::handshake_waker)) it stays
/// `Pending` until woken by the answer: no polling loop.
#[must_use = "futures do nothing unless polled"]
pub struct Handshake<IO> {
    state: State<IO>,
}

enum State<IO> {
    /// Boxed: a session is about 2 KiB, and the future moves (into a task).
    Running(Box<TlsStream<IO>>),
    /// Setting up the session failed before any I/O (a bad server name).
    Failed(io::Error),
    Done,
}

impl<IO> core::fmt::Debug for Handshake<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Running(s) => format!("{s:?}"),
            State::Failed(e) => format!("failed: {e}"),
            State::Done => "done".into(),
        };
        f.debug_struct("Handshake").field("state", &state).finish()
    }
}

impl<IO> Handshake<IO> {
    pub(super) fn new(stream: TlsStream<IO>) -> Self {
        Self {
            state: State::Running(Box::new(stream)),
        }
    }

    pub(super) fn failed(e: io::Error) -> Self {
        Self {
            state: State::Failed(e),
        }
    }

    /// The stream being set up (its transport and session), until the
    /// future resolved.
    pub fn get_ref(&self) -> Option<&TlsStream<IO>> {
        match &self.state {
            State::Running(s) => Some(s),
            _ => None,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for Handshake<IO> {
    type Output = io::Result<TlsStream<IO>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let s = match &mut this.state {
            State::Running(s) => s,
            State::Failed(_) => match std::mem::replace(&mut this.state, State::Done) {
                State::Failed(e) => return Poll::Ready(Err(e)),
                _ => unreachable!("matched Failed above"),
            },
            State::Done => panic!("Handshake polled after it completed"),
        };
        match poll_handshake(s, cx) {
            Poll::Ready(Ok(())) => match std::mem::replace(&mut this.state, State::Done) {
                State::Running(s) => Poll::Ready(Ok(*s)),
                _ => unreachable!("matched Running above"),
            },
            Poll::Ready(Err(e)) => {
                this.state = State::Done;
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn poll_handshake<IO: AsyncRead + AsyncWrite + Unpin>(
    s: &mut TlsStream<IO>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    loop {
        // Registered before the session runs, so an answer given at any
        // moment after (on any thread) wakes this task.
        s.wake.register(cx.waker());
        let wake = Arc::clone(&s.wake);
        match with_current(&wake, || s.session.poll_handshake()) {
            Ok(done) => {
                // Our flight goes out before we wait for the peer's: it waits
                // for ours. On completion the last flight must be out too.
                match s.poll_write_tls(cx) {
                    Poll::Ready(Ok(())) => {}
                    other => return other,
                }
                if done {
                    return Poll::Ready(Ok(()));
                }
            }
            Err(e) if e.blocked_on() == Some(Blocked::OnApplicationInput) => {
                // Anything already produced goes out; then wait for the
                // answer's wake-up (the transport's too, if it pushed back).
                return match s.poll_write_tls(cx) {
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    _ => Poll::Pending,
                };
            }
            Err(e) => return Poll::Ready(Err(s.fail(cx, tls_error(e)))),
        }
        match s.poll_read_tls(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(0)) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "peer closed the connection during the handshake",
                )))
            }
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::InvalidData => {
                return Poll::Ready(Err(s.fail(cx, e)))
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        }
    }
}
