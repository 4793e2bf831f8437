//! Hosted pages (API.md §4 "Hosted pages"): server-rendered HTML for signing in, forgotten
//! passwords and email verification, plus `GET /api/v1/auth/session` for browsers.
//!
//! - [`login`]: `GET /api/v1/auth/login`, `POST /api/v1/auth/login-form`.
//! - [`password`]: forgot-password and reset-password pages and forms.
//! - [`verify`]: the email-verification link (`/auth/verify-email`, `/api/v1/auth/verify-email`).
//! - [`session`]: `GET /api/v1/auth/session` (cookie or bearer).
//! - [`consent`]: the OAuth consent page; [`device`]: the device verification page (RFC 8628).
//! - [`csrf`]: CSRF tokens and the `Origin` check; [`cookies`]: `janua_session`, `janua_csrf`.
//! - [`render`]: the minijinja environment; [`response`]: page responses, errors, extractors.
//!
//! Handlers stay thin and call the same `janua-core` use cases as the JSON API. Every page
//! answers HTML (errors included, marked `AlreadyShaped` so the JSON error layer leaves them
//! alone) under a strict Content-Security-Policy with no scripts at all.

pub mod consent;
pub mod cookies;
pub mod csrf;
pub mod device;
pub mod login;
pub mod password;
pub mod render;
pub mod response;
pub mod session;
pub mod verify;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::config::Config;
use crate::pages::cookies::CookiePolicy;
use crate::pages::csrf::CsrfKey;
use crate::pages::render::{PageRenderer, TemplateError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", get(login::get_login))
        .route(
            "/api/v1/auth/login-form",
            axum::routing::post(login::post_login_form),
        )
        .route(
            "/api/v1/auth/forgot-password",
            get(password::get_forgot_password),
        )
        .route(
            "/api/v1/auth/forgot-password-form",
            axum::routing::post(password::post_forgot_password_form),
        )
        .route(
            "/api/v1/auth/reset-password",
            get(password::get_reset_password),
        )
        .route(
            "/api/v1/auth/reset-password-form",
            axum::routing::post(password::post_reset_password_form),
        )
        .route("/auth/verify-email", get(verify::get_verify_email))
        .route("/api/v1/auth/verify-email", get(verify::get_verify_email))
        .route("/api/v1/auth/session", get(session::get_session))
        .route(
            "/api/v1/oauth/device",
            get(device::get_device).post(device::post_device),
        )
        .route("/static/pages/janua.css", get(get_stylesheet))
}

/// What the page handlers share, built once from the configuration.
#[derive(Debug)]
pub struct Pages {
    pub renderer: PageRenderer,
    pub csrf: CsrfKey,
    pub cookies: CookiePolicy,
    /// Origins our own forms are posted from: `BASE_URL` and `API_BASE_URL`.
    pub own_origins: Vec<String>,
    /// Where `next` may send the browser: our origins, `FRONTEND_URL` and `CORS_ORIGINS`.
    pub redirect_origins: Vec<String>,
    /// Shown next to the new-password field.
    pub password_min_length: usize,
}

impl Pages {
    pub fn from_config(config: &Config) -> Result<Self, TemplateError> {
        let urls = &config.urls;
        let own_origins = vec![urls.base_url.clone(), urls.api_base_url.clone()];
        let mut redirect_origins = own_origins.clone();
        redirect_origins.push(urls.frontend_url.clone());
        redirect_origins.extend(config.security.cors_origins.iter().cloned());
        Ok(Self {
            renderer: PageRenderer::new(&config.server.app_name)?,
            csrf: CsrfKey::derive(config.security.secret_key.expose()),
            cookies: CookiePolicy::from_config(config),
            own_origins,
            redirect_origins,
            password_min_length: config.security.password_policy.min_length,
        })
    }
}

const STYLESHEET: &str = include_str!("../../static/pages/janua.css");

/// The pages' stylesheet. Served whatever `ENABLE_DOCS` says (the docs' `/static/` is off
/// with them).
pub async fn get_stylesheet() -> axum::response::Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}
