//! Authentication extractors: the caller as a verified user (`Authorization: Bearer <JWT>`), as
//! any principal a `key` route accepts ([`Caller`]: a user, or an API key through `X-API-Key` or
//! `Bearer sk_live_…`), or as a platform administrator. Handlers take one of these as their
//! first argument, so a route cannot forget to authenticate. `/auth`, `/users/me`, `/sessions`
//! take [`CurrentUser`], which never accepts an API key (API.md §0).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderName;
use janua_core::api_keys::verify::{looks_like_api_key, note_use, verify as verify_api_key};
use janua_core::auth::principal::{authenticate, Principal, UserPrincipal};

use crate::config::RateLimit;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Longest bearer token we will try to verify; anything longer is not ours.
const MAX_BEARER_LEN: usize = 8 * 1024;

/// A signed-in user (`user` in API.md §0).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserPrincipal);

/// A platform administrator (`admin` in API.md §0).
#[derive(Debug, Clone)]
pub struct AdminUser(pub UserPrincipal);

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
            .map_err(|e| match e {
                janua_core::Error::Unauthorized => ApiError::unauthorized(),
                other => ApiError::from(other),
            })?;
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
        let CurrentUser(principal) = CurrentUser::from_request_parts(parts, state).await?;
        let principal = Principal::User(principal);
        janua_core::admin::require_platform_admin(&principal)?;
        match principal {
            Principal::User(user) => Ok(AdminUser(user)),
            Principal::ApiKey(_) => Err(ApiError::forbidden()),
        }
    }
}
