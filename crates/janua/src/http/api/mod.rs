//! The REST API under `/api/v1`: one module per capability, each exposing `routes()`.

pub mod audit;
pub mod auth;
pub mod avatars;
pub mod fields;
pub mod mfa;
pub mod oauth_clients;
pub mod passkeys;
pub mod sessions;
pub mod users;
pub mod webhooks;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(audit::routes())
        .merge(auth::routes())
        .merge(avatars::routes())
        .merge(mfa::routes())
        .merge(passkeys::routes())
        .merge(oauth_clients::routes())
        .merge(sessions::routes())
        .merge(users::routes())
        .merge(webhooks::routes())
}
