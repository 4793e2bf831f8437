//! The API reference: `/openapi.json` generated from the handlers' annotations, and the
//! `/docs` (Swagger UI) and `/redoc` pages, whose scripts are vendored and embedded in the
//! binary so they render with no network. All of it is off unless `ENABLE_DOCS`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use crate::http::error::ApiError;
use crate::http::health;
use crate::http::oidc;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Janua API", description = "Self-hosted identity: OAuth 2.0 / OpenID Connect provider and account API."),
    paths(
        health::get_root,
        health::get_health,
        health::get_ready,
        health::get_api_health,
        health::get_api_live,
        health::get_detailed,
        health::get_metrics,
        oidc::jwks::get_jwks,
        oidc::discovery::get_configuration,
        oidc::authorize::get_authorize,
        oidc::token::post_token,
        oidc::token::post_device_authorization,
        oidc::userinfo::get_userinfo,
        oidc::introspect::post_introspect,
        oidc::introspect::post_revoke,
        oidc::logout::get_logout,
    ),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics"),
        (name = "oidc", description = "OpenID Connect provider")
    )
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(get_openapi))
        .route("/docs", get(get_swagger_page))
        .route("/redoc", get(get_redoc_page))
        .route("/static/{*path}", get(get_static))
}

/// Files served under `/static/`, embedded at compile time.
const STATIC_FILES: &[(&str, &str, &[u8])] = &[
    (
        "docs/swagger-init.js",
        "text/javascript",
        include_bytes!("../../static/docs/swagger-init.js"),
    ),
    (
        "vendor/swagger-ui/swagger-ui.css",
        "text/css",
        include_bytes!("../../static/vendor/swagger-ui/swagger-ui.css"),
    ),
    (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "text/javascript",
        include_bytes!("../../static/vendor/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "vendor/redoc/redoc.standalone.js",
        "text/javascript",
        include_bytes!("../../static/vendor/redoc/redoc.standalone.js"),
    ),
];

const SWAGGER_PAGE: &str = include_str!("../../static/docs/swagger.html");
const REDOC_PAGE: &str = include_str!("../../static/docs/redoc.html");

/// Scripts and styles from our own origin only; Swagger UI and Redoc need inline styles and
/// Redoc a worker from a blob.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'";

fn docs_enabled(state: &AppState) -> Result<(), ApiError> {
    if state.config.features.enable_docs {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

pub async fn get_openapi(State(state): State<AppState>) -> Result<Response, ApiError> {
    docs_enabled(&state)?;
    let json = ApiDoc::openapi().to_json().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

fn page(html: &'static str) -> Response {
    let mut response = axum::response::Html(html).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    response
}

pub async fn get_swagger_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    docs_enabled(&state)?;
    Ok(page(SWAGGER_PAGE))
}

pub async fn get_redoc_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    docs_enabled(&state)?;
    Ok(page(REDOC_PAGE))
}

pub async fn get_static(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    docs_enabled(&state)?;
    let (_, content_type, bytes) = STATIC_FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .ok_or_else(ApiError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        *bytes,
    )
        .into_response())
}
