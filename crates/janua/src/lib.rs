//! The Janua server: everything that touches the outside world, around the domain in
//! `janua-core` and the storage in `janua-store`.
//!
//! # Layout
//! - [`config`]: the typed configuration tree read once from the environment (API.md §18).
//! - [`core_builder`]: the configuration in the domain's terms: `janua_core::Core`.
//! - [`app`]: builds a running server from a config; serves until stopped, draining first.
//! - [`server`]: the TCP/TLS listener and per-connection hyper serving.
//! - [`shutdown`]: waits for SIGTERM or SIGINT.
//! - [`state`]: `AppState`, what handlers can reach.
//! - [`http`]: routes and middleware (errors, request ids, metrics, rate limits, CORS).
//! - [`pages`]: hosted HTML pages (sign-in, password reset, email verification), CSRF, cookies.
//! - [`cache`]: the in-process and Redis (single, cluster) caches.
//! - [`mail`]: mail rendering and the SMTP, log and capture mailers.
//! - [`jobs`]: background jobs with named handles and a stop signal.
//! - [`webhooks`]: the SSRF-guarded webhook client and the delivery runtime.
//! - [`telemetry`]: logging, metrics, Sentry and OpenTelemetry.
//! - [`cli`]: the `janua` subcommands.

pub mod app;
pub mod bootstrap;
pub mod cache;
pub mod cli;
pub mod config;
pub mod core_builder;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod pages;
pub mod server;
pub mod shutdown;
pub mod state;
pub mod telemetry;
pub mod webhooks;
