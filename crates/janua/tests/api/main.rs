//! The black-box suite: every test starts the real server on a random port and talks HTTP to
//! it. One binary; modules only. With `TEST_DATABASE_URL` and `TEST_REDIS_URL` set, the same
//! tests run on PostgreSQL and Redis (see `helpers/backend.rs`).

// Tests fail by panicking; helpers outside #[test] functions do too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod admin_system;
mod api_keys;
mod audit;
mod audit_capabilities;
mod avatars;
mod bad_input;
mod docs;
mod email_flows;
mod health_and_shutdown;
mod helpers;
mod invitations;
mod keys;
mod mail;
mod metrics;
mod mfa;
mod mfa_sign_in;
mod middleware;
mod oauth_clients;
mod oauth_device;
mod oauth_logout;
mod oauth_tokens;
mod oidc_conformance;
mod oidc_email_verification;
mod oidc_flow;
mod oidc_mfa;
mod oidc_organizations;
mod org_isolation;
mod org_resources;
mod orgs;
mod pages;
mod passkeys;
mod policies;
mod sessions;
mod sign_in;
mod sign_up;
mod tokens;
mod users;
mod webhooks;
