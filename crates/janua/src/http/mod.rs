//! The HTTP surface: every route group and the middleware stack, in one place.
//!
//! Middleware, outermost first: the envelope (request id, client IP, span and metrics,
//! security headers, error shaping) → CORS → admission (global rate limit, maintenance gate) →
//! panic catcher → time-out → body limit (`MAX_BODY_BYTES`; the avatar upload alone brings its
//! own, larger one).

pub mod api;
pub mod audit;
pub mod auth;
pub mod cors;
pub mod docs;
pub mod error;
pub mod extract;
pub mod health;
pub mod maintenance;
pub mod middleware;
pub mod oidc;
pub mod rate_limit;
pub mod request_id;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::normalize_path::NormalizePath;
use tower_http::timeout::TimeoutLayer;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The complete application: routes, fallback and middleware, with trailing slashes ignored.
pub fn app(state: AppState) -> NormalizePath<Router> {
    NormalizePath::trim_trailing_slash(router(state))
}

/// The operations routes alone (health, readiness, metrics), for `janua worker`.
pub fn operations_app(state: AppState) -> NormalizePath<Router> {
    let router = Router::new()
        .merge(health::routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::envelope,
        ))
        .with_state(state);
    NormalizePath::trim_trailing_slash(router)
}

pub fn router(state: AppState) -> Router {
    let config = &state.config;
    // The whole stack is ONE layer: axum boxes a route once per `Router::layer` call and clones
    // every box on every request, so a call per middleware made each request pay for a dozen
    // nested boxes (docs/benchmarks.md, "HTTP request path"). `Router::layer` wraps every
    // route (and the fallback) individually, so each middleware still sees the matched route
    // template. ServiceBuilder lists the layers outermost first.
    let stack = ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::envelope,
        ))
        .layer(cors::layer(
            &config.security.cors_origins,
            state.core.clone(),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::admit,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.server.request_timeout,
        ));
    Router::new()
        .merge(health::routes())
        .merge(api::routes())
        .merge(crate::pages::routes())
        .merge(docs::routes())
        .merge(oidc::routes())
        .fallback(fallback)
        .layer((
            DefaultBodyLimit::max(config.server.max_body_bytes),
            RequestBodyLimitLayer::new(config.server.max_body_bytes),
        ))
        // Merged after the body limits above, so only its own, larger limit applies.
        .merge(api::avatars::upload_routes())
        .layer(stack)
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found()
}
