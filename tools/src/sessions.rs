//! Resumption for `baton serve` (tickets, and Redis as the fleet's store) and
//! `baton ticket-keys`, the rotating side.

use crate::Failure;
use baton::resumption::redis::{
    self as store, KeySourceOptions, RedisCacheOptions, RedisSessionCache, RedisTicketKeySource,
    RedisUrl, RotateOptions,
};
use baton::{ConfigBuilder, TicketKeys};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `baton serve`'s resumption (with tickets on): keys generated in memory or
/// from Redis, and an optional Redis session cache. Held while serving
/// (dropping it stops the key poller).
#[derive(Debug)]
pub struct Resumption {
    source: Option<RedisTicketKeySource>,
    cache: Option<Arc<RedisSessionCache>>,
}

impl Resumption {
    /// Applies `--ticket-keys URL` and `--session-cache URL` to `b`.
    pub fn configure(
        ticket_keys: Option<&str>,
        poll: Option<&str>,
        session_cache: Option<&str>,
        b: &mut ConfigBuilder,
    ) -> Result<Self, Failure> {
        let mut opts = KeySourceOptions::default();
        if let Some(secs) = poll {
            if ticket_keys.is_none() {
                return Err(Failure::Usage(
                    "--ticket-keys-poll goes with --ticket-keys".into(),
                ));
            }
            opts.poll_interval = secs
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "--ticket-keys-poll wants seconds from 1 to 3600, got {secs:?}"
                    ))
                })?;
        }
        let source = match ticket_keys {
            None => {
                // One machine: keys made and rotated in memory.
                b.set_ticket_keys(Arc::new(TicketKeys::generated()));
                None
            }
            Some(url) => {
                let keys = Arc::new(TicketKeys::new());
                let source = RedisTicketKeySource::start(url, Arc::clone(&keys), opts)
                    .map_err(|e| Failure::Usage(format!("--ticket-keys: {e}")))?;
                b.set_ticket_keys(keys);
                Some(source)
            }
        };
        let cache = match session_cache {
            None => None,
            Some(url) => {
                let cache = Arc::new(
                    RedisSessionCache::start(url, RedisCacheOptions::default())
                        .map_err(|e| Failure::Usage(format!("--session-cache: {e}")))?,
                );
                b.set_session_cache(Arc::clone(&cache) as _);
                Some(cache)
            }
        };
        Ok(Self { source, cache })
    }

    /// The Redis counters, one line each (printed with the workers' stats).
    pub fn stats(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = &self.source {
            out.push(format!("redis ticket keys {}: {}", s.url(), s.stats()));
        }
        if let Some(c) = &self.cache {
            out.push(format!("redis session cache {}: {}", c.url(), c.stats()));
        }
        out
    }
}

/// What `baton ticket-keys` does.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// make a ticket key (random 32-byte secret) with an intro time --lead
    /// seconds ahead, publish it, and delete the keys past both lifetimes.
    /// Racing rotators make one key: after one made a key, the others make
    /// none for --min-interval. Run it from one place (cron, a timer), every
    /// hour or so.
    Rotate,
    /// the published keys: name, intro time, state (no secrets)
    List,
}

/// `baton ticket-keys`'s options.
#[derive(clap::Args, Debug)]
pub struct TicketKeysArgs {
    /// rotate or list
    #[arg(value_enum, value_name = "ACTION")]
    action: Action,
    /// where the keys are published (as `baton serve --ticket-keys`), e.g.
    /// redis://HOST:PORT/KEYPREFIX
    #[arg(long, value_name = "URL")]
    redis: String,
    /// intro time ahead of now (default 20: two of the servers' 10 s polls,
    /// so every server has the key before it is used)
    #[arg(long, value_name = "SECS")]
    lead: Option<String>,
    /// the rotation slot (default 60)
    #[arg(long, value_name = "SECS")]
    min_interval: Option<String>,
    /// a key's encrypt-decrypt lifetime (default 7200, as the servers)
    #[arg(long, value_name = "SECS")]
    encrypt_decrypt: Option<String>,
    /// its decrypt-only lifetime after that (default 46800)
    #[arg(long, value_name = "SECS")]
    decrypt_only: Option<String>,
}

/// `baton ticket-keys rotate|list`.
pub fn ticket_keys_main(p: TicketKeysArgs) -> Result<(), Failure> {
    let url = RedisUrl::parse(&p.redis).map_err(|e| Failure::Usage(format!("--redis: {e}")))?;
    let secs = |name: &str, v: &Option<String>, default: Duration| -> Result<Duration, Failure> {
        match v {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| Failure::Usage(format!("{name} wants whole seconds, got {v:?}"))),
        }
    };
    let d = RotateOptions::default();
    let opts = RotateOptions {
        lead: secs("--lead", &p.lead, d.lead)?,
        min_interval: secs("--min-interval", &p.min_interval, d.min_interval)?
            .max(Duration::from_secs(1)),
        encrypt_decrypt: secs("--encrypt-decrypt", &p.encrypt_decrypt, d.encrypt_decrypt)?,
        decrypt_only: secs("--decrypt-only", &p.decrypt_only, d.decrypt_only)?,
    };
    let mut con = store::open(&url, Duration::from_secs(5)).map_err(|e| format!("{url}: {e}"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if p.action == Action::Rotate {
        let out = store::rotate(&mut con, &url, &opts, now).map_err(|e| format!("{url}: {e}"))?;
        match out.created {
            Some(k) => println!("created {k}"),
            None => println!("no key made: another rotator made one less than --min-interval ago"),
        }
        for name in out.retired {
            let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
            println!("retired {hex}");
        }
    } else {
        for k in store::list(&mut con, &url, &opts, now).map_err(|e| format!("{url}: {e}"))? {
            println!("{k}");
        }
    }
    Ok(())
}
