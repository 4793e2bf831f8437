//! The in-process cache: a moka map with per-entry expiry. Right for a single instance; with
//! several instances, revocations and rate limits would not be shared, which is why production
//! deployments set `REDIS_URL`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use janua_core::ports::{Cache, WindowCount};
use moka::future::Cache as MokaCache;
use moka::Expiry;

/// One stored value and the instant it stops being valid.
#[derive(Clone)]
struct Entry {
    value: Arc<Vec<u8>>,
    expires_at: Instant,
}

/// A rate-limit window: its count and when it ends.
#[derive(Clone)]
struct Window {
    count: Arc<std::sync::atomic::AtomicU64>,
    expires_at: Instant,
}

struct EntryExpiry;

impl Expiry<String, Entry> for EntryExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Entry,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        updated_at: Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(updated_at))
    }
}

struct WindowExpiry;

impl Expiry<String, Window> for WindowExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Window,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(created_at))
    }
}

pub struct MemoryCache {
    values: MokaCache<String, Entry>,
    /// Counters live apart from values so a hit is an atomic add, not a read-modify-write.
    windows: MokaCache<String, Window>,
}

/// Upper bound on entries per map, so a flood of distinct keys cannot exhaust memory.
const MAX_ENTRIES: u64 = 1_000_000;

impl MemoryCache {
    pub fn new() -> Self {
        Self {
            values: MokaCache::builder()
                .max_capacity(MAX_ENTRIES)
                .expire_after(EntryExpiry)
                .build(),
            windows: MokaCache::builder()
                .max_capacity(MAX_ENTRIES)
                .expire_after(WindowExpiry)
                .build(),
        }
    }

    fn live(entry: Option<Entry>) -> Option<Vec<u8>> {
        entry
            .filter(|e| e.expires_at > Instant::now())
            .map(|e| e.value.as_ref().clone())
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> janua_core::Result<()> {
        Ok(())
    }

    async fn get(&self, key: &str) -> janua_core::Result<Option<Vec<u8>>> {
        Ok(Self::live(self.values.get(key).await))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> janua_core::Result<()> {
        let entry = Entry {
            value: Arc::new(value.to_vec()),
            expires_at: Instant::now() + ttl,
        };
        self.values.insert(key.to_owned(), entry).await;
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> janua_core::Result<bool> {
        let now = Instant::now();
        let fresh = Entry {
            value: Arc::new(value.to_vec()),
            expires_at: now + ttl,
        };
        let result = self
            .values
            .entry(key.to_owned())
            .and_compute_with(|existing| {
                let op = match existing {
                    Some(e) if e.value().expires_at > now => moka::ops::compute::Op::Nop,
                    _ => moka::ops::compute::Op::Put(fresh),
                };
                std::future::ready(op)
            })
            .await;
        Ok(matches!(
            result,
            moka::ops::compute::CompResult::Inserted(_)
                | moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }

    async fn take(&self, key: &str) -> janua_core::Result<Option<Vec<u8>>> {
        Ok(Self::live(self.values.remove(key).await))
    }

    async fn delete(&self, key: &str) -> janua_core::Result<()> {
        self.values.invalidate(key).await;
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> janua_core::Result<WindowCount> {
        let now = Instant::now();
        let entry = self
            .windows
            .entry(key.to_owned())
            .and_compute_with(|existing| {
                let op = match existing {
                    Some(w) if w.value().expires_at > now => moka::ops::compute::Op::Nop,
                    _ => moka::ops::compute::Op::Put(Window {
                        count: Arc::new(std::sync::atomic::AtomicU64::new(0)),
                        expires_at: now + window,
                    }),
                };
                std::future::ready(op)
            })
            .await;
        let window_state = match entry {
            moka::ops::compute::CompResult::Inserted(e)
            | moka::ops::compute::CompResult::ReplacedWith(e)
            | moka::ops::compute::CompResult::Unchanged(e) => e.into_value(),
            _ => {
                return Err(janua_core::Error::internal(
                    "rate-limit window vanished while counting",
                ));
            }
        };
        let count = window_state
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        Ok(WindowCount {
            count,
            resets_in: window_state.expires_at.saturating_duration_since(now),
        })
    }
}
