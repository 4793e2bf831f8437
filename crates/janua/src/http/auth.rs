//! Authentication extractors: the caller as a verified user (`Authorization: Bearer <JWT>`), as
//! any principal a `key` route accepts ([`Caller`]: a user, or an API key through `X-API-Key` or
//! `Bearer sk_live_…`), or as a platform administrator ([`AdminUser`]: an admin's user token or
//! a client-credentials token with the `admin` scope). Handlers take one of these as their
//! first argument, so a route cannot forget to authenticate. `/auth`, `/users/me`, `/sessions`
//! take [`CurrentUser`], which never accepts an API key or a client token (API.md §0).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderName;
use janua_core::api_keys::verify::{looks_like_api_key, note_use, verify as verify_api_key};
use janua_core::auth::principal::{authenticate, authenticate_bearer, Principal, UserPrincipal};

use crate::config::RateLimit;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Longest bearer token we will try to verify; anything longer is not ours.
const MAX_BEARER_LEN: usize = 8 * 1024;

/// A signed-in user (`user` in API.md §0).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserPrincipal);

/// A platform administrator (`admin` in API.md §0): a user whose token says `is_admin`, or an
/// OAuth client whose client-credentials token carries the `admin` scope. Other users, other
/// client tokens and API keys are authenticated (bad credentials → 401) and then refused (403).
#[derive(Debug, Clone)]
pub struct AdminUser(pub Principal);

/// Any principal of a `key` route: a user's access token or an API key (rate-limited per key
/// by its `rate_limit_per_min`, shared through the cache).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_from_headers(&parts.headers)
}

pub fn bearer_from_headers(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_BEARER_LEN)
        .then_some(token)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(existing) = parts.extensions.get::<CurrentUser>() {
            return Ok(existing.clone());
        }
        let token = bearer_token(parts).ok_or_else(ApiError::unauthorized)?;
        let principal = authenticate(&state.core, token)
            .await
            .map_err(unauthorized_or)?;
        let user = CurrentUser(principal);
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(existing) = parts.extensions.get::<Caller>() {
            return Ok(existing.clone());
        }
        let header_key = parts
            .headers
            .get(X_API_KEY)
            .map(|v| v.to_str().map(str::trim).unwrap_or(""));
        let api_key = match (header_key, bearer_token(parts)) {
            (Some(key), _) => Some(key.to_owned()),
            (None, Some(bearer)) if looks_like_api_key(bearer) => Some(bearer.to_owned()),
            _ => None,
        };
        let caller = match api_key {
            Some(raw) => {
                let key = verify_api_key(&state.core, &raw).await?;
                let limit = RateLimit::per_minute(key.rate_limit_per_min);
                state
                    .rate_limiter
                    .check("api_key", &key.key_id.to_string(), &limit)
                    .await?;
                note_use(&state.core, &key).await;
                Caller(Principal::ApiKey(key))
            }
            None => {
                let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
                Caller(Principal::User(user))
            }
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(existing) = parts.extensions.get::<AdminUser>() {
            return Ok(existing.clone());
        }
        let presents_api_key = parts.headers.contains_key(X_API_KEY)
            || bearer_token(parts).is_some_and(looks_like_api_key);
        let principal = if presents_api_key {
            // Verified (and counted against its rate limit) like on any `key` route.
            Caller::from_request_parts(parts, state).await?.0
        } else {
            let token = bearer_token(parts).ok_or_else(ApiError::unauthorized)?;
            authenticate_bearer(&state.core, token)
                .await
                .map_err(unauthorized_or)?
        };
        janua_core::admin::require_platform_admin(&principal)?;
        let admin = AdminUser(principal);
        parts.extensions.insert(admin.clone());
        Ok(admin)
    }
}

/// The administrator behind a request's bearer JWT, if it is one; `None` for anything else
/// (no token, an API key, a bad token, a non-admin). For the maintenance gate, which must not
/// count an API key's use or answer 401 itself.
pub async fn bearer_admin(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Principal> {
    let token = bearer_from_headers(headers).filter(|t| !looks_like_api_key(t))?;
    let principal = authenticate_bearer(&state.core, token).await.ok()?;
    janua_core::admin::require_platform_admin(&principal)
        .ok()
        .map(|()| principal)
}

/// Invalid credentials are 401 `UNAUTHORIZED`; storage trouble keeps its own status.
fn unauthorized_or(error: janua_core::Error) -> ApiError {
    match error {
        janua_core::Error::Unauthorized => ApiError::unauthorized(),
        other => ApiError::from(other),
    }
}
