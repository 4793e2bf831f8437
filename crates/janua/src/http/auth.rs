//! Authentication extractors: the caller as a verified user (`Authorization: Bearer <JWT>`), or
//! as a platform administrator. Handlers take one of these as their first argument, so a route
//! cannot forget to authenticate.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use janua_core::auth::principal::{authenticate, UserPrincipal};

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

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentUser(principal) = CurrentUser::from_request_parts(parts, state).await?;
        if principal.is_admin {
            Ok(AdminUser(principal))
        } else {
            Err(ApiError::forbidden())
        }
    }
}
