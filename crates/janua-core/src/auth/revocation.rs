//! Revocation that takes effect at once on every instance. Revoking writes the database (the
//! record) and a marker in the cache (the fast path): with Redis every instance sees the marker
//! on its next token check, without touching the database. With the in-process cache, a check
//! that finds no marker confirms with the database, keeping the answer for one second.

use std::time::Duration;

use crate::context::Core;
use crate::error::Result;
use crate::ids::SessionId;

const REVOKED_SESSION: &str = "revoked:sid:";
const LIVE_SESSION: &str = "live:sid:";
const REVOKED_TOKEN: &str = "revoked:jti:";
const LIVE_TOKEN: &str = "live:jti:";
/// How long an in-process "this session is live" answer is trusted.
const LIVE_TTL: Duration = Duration::from_secs(1);

fn marker_ttl(core: &Core) -> Duration {
    // A revoked session's access tokens live at most one access-token lifetime.
    core.auth
        .access_token_ttl
        .to_std()
        .unwrap_or(Duration::from_secs(900))
        + Duration::from_secs(60)
}

/// Records that these sessions were revoked (after the database says so).
pub async fn publish_revoked_sessions(core: &Core, ids: &[SessionId]) {
    let ttl = marker_ttl(core);
    for id in ids {
        let key = format!("{REVOKED_SESSION}{id}");
        if let Err(e) = core.cache.set(&key, b"1", ttl).await {
            // The database already holds the revocation; checks fall back to it when the cache
            // is unreachable, so this is logged, not fatal.
            tracing::warn!(error = %e, "could not publish a session revocation to the cache");
        }
        let _ = core.cache.delete(&format!("{LIVE_SESSION}{id}")).await;
    }
}

pub async fn publish_revoked_token(core: &Core, jti: &str, ttl: Duration) {
    if let Err(e) = core
        .cache
        .set(&format!("{REVOKED_TOKEN}{jti}"), b"1", ttl)
        .await
    {
        tracing::warn!(error = %e, "could not publish a token revocation to the cache");
    }
}

/// Whether the session behind a token is revoked (or gone).
pub async fn is_session_revoked(core: &Core, id: SessionId) -> Result<bool> {
    match core.cache.get(&format!("{REVOKED_SESSION}{id}")).await {
        Ok(Some(_)) => return Ok(true),
        Ok(None) if core.cache_is_shared => return Ok(false),
        Ok(None) => {
            if let Ok(Some(_)) = core.cache.get(&format!("{LIVE_SESSION}{id}")).await {
                return Ok(false);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cache unavailable; checking the session in the database")
        }
    }
    let now = core.clock.now();
    let live = core
        .store
        .get_session(id)
        .await?
        .is_some_and(|s| s.is_live(now));
    let key = if live {
        format!("{LIVE_SESSION}{id}")
    } else {
        format!("{REVOKED_SESSION}{id}")
    };
    let ttl = if live { LIVE_TTL } else { marker_ttl(core) };
    let _ = core.cache.set(&key, b"1", ttl).await;
    Ok(!live)
}

/// Whether an access token was individually revoked (RFC 7009 revocation of access tokens).
pub async fn is_token_revoked(core: &Core, jti: &str) -> Result<bool> {
    match core.cache.get(&format!("{REVOKED_TOKEN}{jti}")).await {
        Ok(Some(_)) => return Ok(true),
        Ok(None) if core.cache_is_shared => return Ok(false),
        Ok(None) => {
            if let Ok(Some(_)) = core.cache.get(&format!("{LIVE_TOKEN}{jti}")).await {
                return Ok(false);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cache unavailable; checking the token in the database")
        }
    }
    let Ok(id) = uuid::Uuid::try_parse(jti) else {
        return Ok(true);
    };
    let denied = core.store.is_access_token_denied(id).await?;
    if !denied {
        let _ = core
            .cache
            .set(&format!("{LIVE_TOKEN}{jti}"), b"1", LIVE_TTL)
            .await;
    }
    Ok(denied)
}
