//! Rate limiting on fixed windows kept in the cache, so with Redis every instance counts
//! against the same budget. The global per-IP limit is a middleware; routes with their own
//! limits (sign-in, sign-up, …) call [`RateLimiter::check`] with their key.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use janua_core::ports::Cache;

use crate::config::RateLimit;
use crate::http::error::ApiError;
use crate::http::extract::ClientIp;
use crate::state::AppState;
use crate::telemetry::metrics::RATE_LIMITED_TOTAL;

#[derive(Clone)]
pub struct RateLimiter {
    cache: Arc<dyn Cache>,
    enabled: bool,
}

impl RateLimiter {
    pub fn new(cache: Arc<dyn Cache>, enabled: bool) -> Self {
        Self { cache, enabled }
    }

    /// Counts one hit against `limit` for `name` + `key`; refuses with 429 and `Retry-After`
    /// once the window's budget is spent. When the cache cannot be reached the request is let
    /// through (an identity server that refuses all sign-ins while Redis restarts is worse), and
    /// the failure is logged; readiness reports the cache outage separately.
    pub async fn check(
        &self,
        name: &'static str,
        key: &str,
        limit: &RateLimit,
    ) -> Result<(), ApiError> {
        if !self.enabled || limit.max == 0 {
            return Ok(());
        }
        let cache_key = format!("rl:{name}:{key}");
        match self.cache.hit(&cache_key, limit.window).await {
            Ok(window) if window.count > u64::from(limit.max) => {
                metrics::counter!(RATE_LIMITED_TOTAL, "limit" => name).increment(1);
                let retry_after = window.resets_in.as_secs().max(1);
                Err(ApiError::rate_limited(retry_after))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(limit = name, error = %e, "rate limit not applied: cache unavailable");
                Ok(())
            }
        }
    }
}

/// Paths that probes and scrapers call; limiting them would turn load into false outages.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/ready" | "/metrics" | "/api/v1/health/live" | "/api/v1/health/ready"
    )
}

/// The global per-IP limit (`RATE_LIMIT_GLOBAL`) for a request to `path` from `ip`; the
/// refusal is the answer to send.
pub async fn check_global(
    state: &AppState,
    path: &str,
    ip: Option<ClientIp>,
) -> Result<(), Response> {
    if exempt(path) {
        return Ok(());
    }
    let ip = ip.map(|ip| ip.0.to_string()).unwrap_or_default();
    let limit = &state.config.rate_limits.global;
    state
        .rate_limiter
        .check("global", &ip, limit)
        .await
        .map_err(IntoResponse::into_response)
}
