//! Storage contract tests: the same assertions on every available backend (SQLite always,
//! PostgreSQL when `TEST_DATABASE_URL` is set), compiled into one test binary.

// Helpers shared by the tests (fresh databases, raw SQL) fail the test by panicking, like the
// tests themselves; clippy's test allowances cover only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod audit;
mod avatars;
mod backend;
mod connect;
mod jobs;
mod lockouts;
mod mfa;
mod oauth;
mod one_time_tokens;
mod orgs;
mod passkeys;
mod replicas;
mod schema;
mod sessions;
mod settings;
mod signing_keys;
mod system;
mod users;
mod webhooks;
