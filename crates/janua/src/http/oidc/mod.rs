//! The OpenID Connect provider endpoints: `/.well-known/*` and, later, the OAuth 2.0 endpoints.
//! Each file is one endpoint group and calls one core function.
//!
//! - [`jwks`]: `GET /.well-known/jwks.json`, the public signing keys.

pub mod jwks;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().merge(jwks::routes())
}
