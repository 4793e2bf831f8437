//! Ceremony state between the options call and the verify call: kept in the shared cache
//! (Redis when configured, so options on one instance and verify on another work), read once
//! with `take`, and refused after its deadline by core's clock.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::context::Core;
use crate::error::{Error, Result};

#[derive(Serialize, Deserialize)]
struct Stored<T> {
    state: T,
    expires_at: DateTime<Utc>,
}

pub async fn put<T: Serialize>(
    core: &Core,
    key: &str,
    state: T,
    ttl: chrono::Duration,
) -> Result<()> {
    let stored = Stored {
        state,
        expires_at: core.clock.now() + ttl,
    };
    let value = serde_json::to_vec(&stored).map_err(Error::internal)?;
    let ttl = ttl.to_std().unwrap_or(std::time::Duration::from_secs(300));
    core.cache.set(key, &value, ttl).await
}

/// The state under `key`, removed; `None` when unknown, used or expired.
pub async fn take<T: DeserializeOwned>(core: &Core, key: &str) -> Result<Option<T>> {
    let Some(raw) = core.cache.take(key).await? else {
        return Ok(None);
    };
    let Ok(stored) = serde_json::from_slice::<Stored<T>>(&raw) else {
        return Ok(None);
    };
    Ok((stored.expires_at > core.clock.now()).then_some(stored.state))
}
