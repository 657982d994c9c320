//! The client's in-memory store of sessions to resume, by server name (what
//! lets a client with many connections to one server resume without any
//! application code, as curl or a browser do).

use super::SavedSession;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Tickets kept per server name: servers send one or two per connection, and
/// a client with several connections in flight uses one each.
const PER_NAME: usize = 8;

/// A bounded store of sessions by server name. TLS 1.3 tickets are taken when
/// used (RFC 8446 §C.4: each ticket once); a TLS 1.2 session stays until a
/// newer one replaces it.
#[derive(Debug)]
pub struct ClientSessionStore {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_name: HashMap<String, VecDeque<SavedSession>>,
    /// Names by first insertion, oldest first (evicted when over capacity).
    order: VecDeque<String>,
}

impl ClientSessionStore {
    /// A store for at most `capacity` server names (0: keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Keeps `s` for its server name (a session without one is not kept).
    pub fn put(&self, s: SavedSession) {
        let Some(name) = s.server_name.clone() else {
            return;
        };
        if self.capacity == 0 {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        if !inner.by_name.contains_key(&name) {
            if inner.order.len() >= self.capacity {
                if let Some(old) = inner.order.pop_front() {
                    inner.by_name.remove(&old);
                }
            }
            inner.order.push_back(name.clone());
        }
        let list = inner.by_name.entry(name).or_default();
        if !s.is_single_use() {
            // One TLS 1.2 session per name: the newest.
            list.retain(SavedSession::is_single_use);
        }
        if list.len() >= PER_NAME {
            list.pop_front();
        }
        list.push_back(s);
    }

    /// A session for `name`, newest first: a TLS 1.3 ticket is removed, a
    /// TLS 1.2 session is copied.
    pub fn take(&self, name: &str) -> Option<SavedSession> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let list = g.by_name.get_mut(name)?;
        let i = list.len().checked_sub(1)?;
        if list[i].is_single_use() {
            list.remove(i)
        } else {
            Some(list[i].clone())
        }
    }

    /// Sessions kept for `name`.
    pub fn count(&self, name: &str) -> usize {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.by_name.get(name).map_or(0, VecDeque::len)
    }
}
