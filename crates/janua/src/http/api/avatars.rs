//! Avatars under `/api/v1/users` (API.md §6): upload (multipart `file`) and removal for the
//! caller, and the public picture URL. The upload route alone accepts bodies up to
//! [`AVATAR_BODY_LIMIT`] (see [`upload_routes`]); every other route keeps `MAX_BODY_BYTES`.

use std::convert::Infallible;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use janua_core::auth::account;
use janua_core::auth::avatars::MAX_AVATAR_BYTES;
use janua_core::error::FieldError;
use janua_core::ids::UserId;
use serde::Serialize;
use tower_http::limit::RequestBodyLimitLayer;

use crate::http::api::fields::path_id;
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// The upload's body limit: the largest picture plus room for the multipart framing.
pub const AVATAR_BODY_LIMIT: usize = MAX_AVATAR_BYTES + 64 * 1024;

/// The multipart part that carries the picture.
const FILE_PART: &str = "file";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/me/avatar", delete(delete_avatar))
        .route("/api/v1/users/{id}/avatar", get(get_avatar))
}

/// The upload, with its own body limit in place of `MAX_BODY_BYTES`: `http::router` merges it
/// after the global limits, so they do not wrap it.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/users/me/avatar",
        post(post_avatar)
            .layer::<_, Infallible>(DefaultBodyLimit::max(AVATAR_BODY_LIMIT))
            .layer::<_, Infallible>(RequestBodyLimitLayer::new(AVATAR_BODY_LIMIT)),
    )
}

#[derive(Debug, Serialize)]
pub struct AvatarView {
    profile_image_url: String,
}

/// Stores the `file` part as the caller's avatar; its type is read from its bytes, whatever
/// the part's `Content-Type` says.
pub async fn post_avatar(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<AvatarView>, ApiError> {
    let mut multipart = multipart.map_err(|_| not_multipart())?;
    let data = loop {
        let Some(field) = multipart.next_field().await.map_err(malformed)? else {
            return Err(ApiError::validation(vec![FieldError::new(
                FILE_PART,
                "is required",
            )]));
        };
        if field.name() == Some(FILE_PART) {
            break field.bytes().await.map_err(malformed)?;
        }
    };
    let profile_image_url = account::set_avatar(&state.core, &me, &data, &audit).await?;
    Ok(Json(AvatarView { profile_image_url }))
}

fn not_multipart() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "Expected a multipart/form-data request with a `file` part",
    )
}

/// A body cut off by the size limit is 413; any other framing problem is the client's 400.
fn malformed(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "The multipart body is malformed",
    )
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    message: &'static str,
}

pub async fn delete_avatar(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
) -> Result<Json<MessageView>, ApiError> {
    account::remove_avatar(&state.core, &me, &audit).await?;
    Ok(Json(MessageView {
        message: "Avatar removed",
    }))
}

/// The picture itself, public. Stored bytes are only ever served as the image type sniffed at
/// upload, and the headers stop a browser from treating them as anything else.
pub async fn get_avatar(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: UserId = path_id(&id)?;
    let avatar = account::avatar(&state.core, id).await?;
    let content_type = HeaderValue::from_str(&avatar.content_type).map_err(ApiError::internal)?;
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ),
    ];
    Ok((headers, avatar.data).into_response())
}
