//! Resumption for `baton serve` (tickets, and Redis as the fleet's store) and
//! `baton ticket-keys`, the rotating side.

use crate::Failure;
use baton::early::{AntiReplayMode, AntiReplayStore, MemoryAntiReplay};
use baton::resumption::redis::{
    self as store, KeySourceOptions, RedisAntiReplay, RedisCacheOptions, RedisSessionCache,
    RedisTicketKeySource, RedisUrl, RotateOptions,
};
use baton::{ConfigBuilder, TicketKeys};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `baton serve`'s sessions: ticket keys generated in memory or from Redis,
/// an optional Redis session cache, and early data with its anti-replay
/// store. Made once and applied to every Config the server builds (the
/// flags' one, or each site's), so all sites share one key set and one
/// store; each site keeps its sessions to itself through its resumption
/// context. Held while serving (dropping it stops the key poller).
pub struct SessionSetup {
    keys: Arc<TicketKeys>,
    source: Option<RedisTicketKeySource>,
    cache: Option<Arc<RedisSessionCache>>,
    early: Option<EarlyData>,
}

/// `--early-data`'s settings.
struct EarlyData {
    store: Arc<dyn AntiReplayStore>,
    redis: Option<Arc<RedisAntiReplay>>,
    mode: AntiReplayMode,
    window: Duration,
}

impl core::fmt::Debug for SessionSetup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionSetup")
            .field("redis_keys", &self.source.as_ref().map(|s| s.url()))
            .field("redis_cache", &self.cache.as_ref().map(|c| c.url()))
            .field("early_data", &self.early.is_some())
            .finish()
    }
}

/// Most early data a connection may send: a few requests' heads.
const EARLY_DATA_MAX: u32 = 16 * 1024;

/// The session flags of `baton serve`.
#[derive(Debug, Default)]
pub struct SessionFlags<'a> {
    pub ticket_keys: Option<&'a str>,
    pub ticket_keys_poll: Option<&'a str>,
    pub session_cache: Option<&'a str>,
    pub early_data: bool,
    pub anti_replay: Option<&'a str>,
    pub anti_replay_mode: Option<&'a str>,
}

impl SessionSetup {
    /// Checks the flags and starts what they name (Redis pollers and
    /// stores connect in the background: a server starts without Redis).
    pub fn start(f: &SessionFlags<'_>) -> Result<Self, Failure> {
        let mut opts = KeySourceOptions::default();
        if let Some(secs) = f.ticket_keys_poll {
            if f.ticket_keys.is_none() {
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
        let early = early_data(f)?;
        let (keys, source) = match f.ticket_keys {
            // One machine: keys made and rotated in memory.
            None => (Arc::new(TicketKeys::generated()), None),
            Some(url) => {
                let keys = Arc::new(TicketKeys::new());
                let source = RedisTicketKeySource::start(url, Arc::clone(&keys), opts)
                    .map_err(|e| Failure::Usage(format!("--ticket-keys: {e}")))?;
                (keys, Some(source))
            }
        };
        let cache = match f.session_cache {
            None => None,
            Some(url) => Some(Arc::new(
                RedisSessionCache::start(url, RedisCacheOptions::default())
                    .map_err(|e| Failure::Usage(format!("--session-cache: {e}")))?,
            )),
        };
        Ok(Self {
            keys,
            source,
            cache,
            early,
        })
    }

    /// Turns tickets on in `b` with the shared keys, cache and early data;
    /// `context` keeps this Config's sessions from resuming on another
    /// (see [`baton::ConfigBuilder::set_resumption_context`]).
    pub fn apply(&self, b: &mut ConfigBuilder, context: &[u8]) -> Result<(), String> {
        b.session_tickets(true);
        b.set_ticket_keys(Arc::clone(&self.keys));
        b.set_resumption_context(context)
            .map_err(|e| format!("resumption context: {e}"))?;
        if let Some(cache) = &self.cache {
            b.set_session_cache(Arc::clone(cache) as _);
        }
        if let Some(e) = &self.early {
            // The window a ClientHello's ticket age must fall in: the same one
            // the tickets' age is checked against.
            b.set_ticket_age_window(e.window);
            b.set_max_early_data_size(EARLY_DATA_MAX)
                .map_err(|e| format!("early data: {e}"))?;
            b.set_anti_replay(Arc::clone(&e.store), e.mode);
        }
        Ok(())
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
        if let Some(a) = self.early.as_ref().and_then(|e| e.redis.as_ref()) {
            out.push(format!("redis anti-replay {}: {}", a.url(), a.stats()));
        }
        out
    }
}

/// `--early-data`, `--anti-replay` and `--anti-replay-mode`.
fn early_data(f: &SessionFlags<'_>) -> Result<Option<EarlyData>, Failure> {
    if !f.early_data {
        if f.anti_replay.is_some() || f.anti_replay_mode.is_some() {
            return Err(Failure::Usage(
                "--anti-replay and --anti-replay-mode go with --early-data".into(),
            ));
        }
        return Ok(None);
    }
    let window = Duration::from_secs(10);
    let mode = match f.anti_replay_mode {
        None | Some("client-hellos") => AntiReplayMode::RecordClientHellos { window },
        Some("tickets") => AntiReplayMode::SingleUseTickets,
        Some(other) => {
            return Err(Failure::Usage(format!(
                "--anti-replay-mode wants client-hellos or tickets, got {other:?}"
            )))
        }
    };
    let (store, redis): (Arc<dyn AntiReplayStore>, _) = match f.anti_replay {
        None => (Arc::new(MemoryAntiReplay::new(1 << 16)), None),
        Some(url) => {
            let store = Arc::new(
                RedisAntiReplay::start(url, Default::default())
                    .map_err(|e| Failure::Usage(format!("--anti-replay: {e}")))?,
            );
            (Arc::clone(&store) as _, Some(store))
        }
    };
    Ok(Some(EarlyData {
        store,
        redis,
        mode,
        window,
    }))
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
