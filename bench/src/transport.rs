//! The in-memory transport every library uses: a byte queue each way.
//! Writes append, reads take from the front; an empty queue reads as
//! `WouldBlock`, like a non-blocking socket with nothing to read.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

/// One direction's queue (shared by the writer and the reader).
#[derive(Clone, Default, Debug)]
pub struct Pipe(Arc<Mutex<VecDeque<u8>>>);

impl Pipe {
    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees the queue's storage (between measurements).
    pub fn shrink(&self) {
        self.0.lock().unwrap().shrink_to_fit();
    }
}

/// One end of the duplex transport.
#[derive(Debug)]
pub struct End {
    rx: Pipe,
    tx: Pipe,
}

impl End {
    /// The queue this end reads.
    pub fn rx(&self) -> &Pipe {
        &self.rx
    }
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.0.lock().unwrap();
        if q.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        q.read(buf)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.0.lock().unwrap().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A connected pair of ends: what one writes, the other reads.
pub fn duplex() -> (End, End) {
    let (a, b) = (Pipe::default(), Pipe::default());
    (
        End {
            rx: a.clone(),
            tx: b.clone(),
        },
        End { rx: b, tx: a },
    )
}
