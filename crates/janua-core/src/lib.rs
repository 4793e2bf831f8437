//! Janua's domain: types, rules and use cases, and the ports (traits) they need.
//!
//! This crate knows nothing about HTTP, SQL or Redis; its Cargo.toml lists none of them, so the
//! compiler keeps those concerns in `janua-store` and `janua`.
//!
//! # Layout
//! - [`admin`]: platform administration: the admin check, stats, CORS origins, account flags.
//! - [`api_keys`]: organization API keys (`sk_live_…`): issue, rotate, revoke, verify.
//! - [`audit`]: audit entries written with the changes they describe, and their outbox events.
//! - [`auth`]: accounts: users, passwords, sessions, refresh tokens, one-time tokens.
//! - [`context`]: [`Core`](context::Core), the ports and settings every use case receives.
//! - [`error`]: [`Error`](error::Error), failures named by meaning, never by source.
//! - [`ids`]: typed identifiers (`UserId`, `OrgId`, …) parsed at the edge.
//! - [`clock`]: the [`Clock`](clock::Clock) port, the only way core reads the time.
//! - [`crypto`]: secret digests, constant-time comparison, random tokens, encryption at rest.
//! - [`mfa`]: second factors: TOTP, backup codes, the sign-in challenge, recovery by email.
//! - [`passkeys`]: WebAuthn passkeys: registration, passwordless sign-in, management.
//! - [`orgs`]: organizations, members, invitations, and the org claims of tokens.
//! - [`ports`]: the storage and cache traits that adapters implement.
//! - [`rbac`]: permissions, roles, and the one enforcement point of org-scoped routes.
//! - [`settings`]: runtime system settings (key/value, admin-managed).
//! - [`jobs`]: the durable job queue (`JobStore`) and retry schedules.
//! - [`mail`]: the mails Janua sends, the `Mailer` port, and enqueuing mail as jobs.
//! - [`oidc`]: the OAuth 2.0 / OpenID Connect provider: clients, authorize, tokens, device flow.
//! - [`tokens`]: the JWT key ring (generation, rotation, JWKS, signing and verification).
//! - [`health`]: readiness checks over the ports.
//! - [`webhooks`]: endpoints, the outbox fan-out, signed deliveries with retries.

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod context;
pub mod crypto;
pub mod error;
pub mod health;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod mfa;
pub mod oidc;
pub mod orgs;
pub mod passkeys;
pub mod ports;
pub mod rbac;
pub mod settings;
pub mod tokens;
pub mod webhooks;

pub use error::{Error, Result};
