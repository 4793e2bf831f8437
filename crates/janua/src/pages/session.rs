//! `GET /api/v1/auth/session` (API.md §4): who the browser (by `janua_session` cookie) or the
//! bearer is, for single-page apps and the OAuth pages. JSON, with the REST error shape.

use axum::extract::State;
use axum::http::HeaderMap;
use janua_core::auth::account;
use janua_core::auth::browser_session::authenticate_cookie;
use janua_core::auth::principal::authenticate;
use janua_core::auth::sessions::Session;
use janua_core::auth::tokens::roles;
use janua_core::auth::users::User;
use janua_core::clock::format_timestamp;
use serde::Serialize;

use crate::http::auth::bearer_from_headers;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::pages::cookies::session_values;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct SessionView {
    authenticated: bool,
    user: SessionUserView,
    session: SessionExpiryView,
}

#[derive(Debug, Serialize)]
struct SessionUserView {
    id: String,
    email: String,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: bool,
    roles: Vec<String>,
    /// RBAC (API.md §12) is not built yet: no permissions are granted through roles.
    permissions: Vec<String>,
    is_admin: bool,
}

#[derive(Debug, Serialize)]
struct SessionExpiryView {
    expires_at: String,
}

impl SessionView {
    fn new(user: &User, session: &Session) -> Self {
        Self {
            authenticated: true,
            user: SessionUserView {
                id: user.id.to_string(),
                email: user.email.clone(),
                username: user.username.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                email_verified: user.email_verified,
                roles: roles(user),
                permissions: Vec::new(),
                is_admin: user.is_admin,
            },
            session: SessionExpiryView {
                expires_at: format_timestamp(session.expires_at.min(session.absolute_expires_at)),
            },
        }
    }
}

/// The cookie wins when both are sent; an invalid cookie falls back to the bearer.
pub async fn get_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionView>, ApiError> {
    for secret in session_values(&headers) {
        match authenticate_cookie(&state.core, secret).await {
            Ok((user, session)) => return Ok(Json(SessionView::new(&user, &session))),
            Err(janua_core::Error::Unauthorized) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    let bearer = bearer_from_headers(&headers).ok_or_else(ApiError::unauthorized)?;
    let principal = authenticate(&state.core, bearer)
        .await
        .map_err(|e| match e {
            janua_core::Error::Unauthorized => ApiError::unauthorized(),
            other => ApiError::from(other),
        })?;
    let user = account::current_user(&state.core, &principal).await?;
    let session_id = principal.session_id.ok_or_else(ApiError::unauthorized)?;
    let session = state
        .core
        .store
        .get_session(session_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(SessionView::new(&user, &session)))
}
