//! The REST API under `/api/v1`: one module per capability, each exposing `routes()`.
//! Capabilities with org-scoped routes also expose `scoped()` (see [`scoped`]).

pub mod admin;
pub mod admin_system;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod avatars;
pub mod fields;
pub mod invitations;
pub mod mfa;
pub mod oauth_clients;
pub mod orgs;
pub mod passkeys;
pub mod policies;
pub mod rbac;
pub mod scoped;
pub mod sessions;
pub mod users;
pub mod webhooks;

use axum::Router;

use crate::state::AppState;

fn scoped() -> scoped::Scoped {
    orgs::scoped()
        .merge(invitations::scoped())
        .merge(rbac::scoped())
        .merge(api_keys::scoped())
        .merge(policies::scoped())
}

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
        .merge(orgs::routes())
        .merge(invitations::routes())
        .merge(rbac::routes())
        .merge(api_keys::routes())
        .merge(admin::routes())
        .merge(admin_system::routes())
        .merge(policies::routes())
        .merge(scoped().router)
}

/// Every org-scoped route (method, path template), as registered.
pub fn org_scoped_routes() -> Vec<scoped::ScopedRoute> {
    let mut routes = scoped().routes;
    routes.sort();
    routes
}
