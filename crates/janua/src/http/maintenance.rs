//! Maintenance mode on the request path (API.md §16): while the switch is on, writes by anyone
//! but a platform administrator get 503 `SERVICE_UNAVAILABLE` with the operator's message.
//!
//! What still works for everyone: reads (GET, HEAD, OPTIONS, so also the GET links in mails),
//! `/health`, `/ready`, `/metrics`, and the writes that only open, refresh or close sessions
//! and tokens ([`SESSION_WRITES`]): without them an administrator whose token expired could
//! not sign in to switch maintenance off, and every signed-in user would be signed out after
//! one access-token lifetime. Everything else that writes (sign-up, password reset, profile
//! and organization changes, OAuth consent, device approval, …) is refused.
//!
//! The switch is a system setting; each instance caches it for [`CACHE_TTL_SECONDS`], so a
//! change made on one instance reaches the others within that time (at once on the instance
//! that made it).

use std::sync::RwLock;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use janua_core::admin::maintenance::{self, MaintenanceMode};
use janua_core::context::Core;

use crate::http::auth::{bearer_admin, AdminUser};
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long an instance trusts the switch it read.
pub const CACHE_TTL_SECONDS: i64 = 5;

/// Writes that keep working for everyone: signing in (password, MFA challenge, passkey, magic
/// link, hosted login forms), refreshing, signing out, and the OAuth token, introspection,
/// revocation and end-session endpoints.
pub const SESSION_WRITES: &[&str] = &[
    "/api/v1/auth/signin",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/signout",
    "/api/v1/auth/logout",
    "/api/v1/auth/login-form",
    "/api/v1/auth/login-mfa-form",
    "/api/v1/auth/magic-link/verify",
    "/api/v1/mfa/challenge/verify",
    "/api/v1/passkeys/authenticate/options",
    "/api/v1/passkeys/authenticate/verify",
    "/api/v1/oauth/token",
    "/api/v1/oauth/introspect",
    "/api/v1/oauth/revoke",
    "/logout",
];

/// This instance's copy of the switch.
#[derive(Debug, Default)]
pub struct MaintenanceCache {
    /// The value and when it was read. A std lock: held for a clone, never across an await.
    entry: RwLock<Option<(DateTime<Utc>, MaintenanceMode)>>,
}

impl MaintenanceCache {
    /// The switch, re-read from the database when the copy is older than the TTL. If the read
    /// fails the last known value stands (off if none): writes would fail anyway then.
    pub async fn current(&self, core: &Core) -> MaintenanceMode {
        let now = core.clock.now();
        let cached = self.entry.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((read_at, mode)) = &cached {
            if now - *read_at < Duration::seconds(CACHE_TTL_SECONDS) && now >= *read_at {
                return mode.clone();
            }
        }
        match maintenance::current(core).await {
            Ok(mode) => {
                self.remember(mode.clone(), now);
                mode
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the maintenance switch; keeping the last value");
                cached.map(|(_, mode)| mode).unwrap_or_default()
            }
        }
    }

    /// Replaces the copy (after this instance changed the switch).
    pub fn remember(&self, mode: MaintenanceMode, now: DateTime<Utc>) {
        *self.entry.write().unwrap_or_else(|e| e.into_inner()) = Some((now, mode));
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The gate: the request back when it may pass, else the 503 to send. Runs inside the route
/// layer, so it sees the matched route (unknown paths stay 404).
pub async fn gate(state: &AppState, request: Request) -> Result<Request, Response> {
    let routed = request.extensions().get::<MatchedPath>().is_some();
    if !routed || !is_write(request.method()) || SESSION_WRITES.contains(&request.uri().path()) {
        return Ok(request);
    }
    let mode = state.maintenance.current(&state.core).await;
    if !mode.enabled {
        return Ok(request);
    }
    let (mut parts, body) = request.into_parts();
    match bearer_admin(state, &parts.headers).await {
        Some(admin) => {
            // The handler's `AdminUser` reuses this instead of verifying the token again.
            parts.extensions.insert(AdminUser(admin));
            Ok(Request::from_parts(parts, body))
        }
        None => Err(ApiError::maintenance(mode.message_or_default()).into_response()),
    }
}
