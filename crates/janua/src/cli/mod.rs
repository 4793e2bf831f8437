//! The command line: one binary, `janua`, with subcommands. `serve` is the default.
//! Every subcommand reads the same configuration from the environment.

pub mod admin;
pub mod config_check;
pub mod doctor;
pub mod healthcheck;
pub mod keys;
pub mod migrate;
pub mod serve;
pub mod worker;

use clap::{Parser, Subcommand};

use crate::cli::keys::KeysCommand;

#[derive(Debug, Parser)]
#[command(
    name = "janua",
    version,
    about = "Janua: self-hosted identity (OAuth 2.0 / OpenID Connect provider and account API)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Run only the background workers (mail, webhooks, retention, key rotation), serving
    /// /health, /ready and /metrics on PORT.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate {
        /// Only report which migrations are applied and pending.
        #[arg(long)]
        status: bool,
    },
    /// Check configuration, database, migrations, cache and key material; exit 1 if any fail.
    Doctor,
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Call the local /health endpoint; exit 0 when it answers 200 (container health checks).
    Healthcheck {
        /// Overrides the port from the configuration.
        #[arg(long)]
        port: Option<u16>,
    },
    /// Signing keys: rotate, list, prune.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Administrators: `admin create --email E` (password from ADMIN_PASSWORD or stdin).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Print the version.
    Version,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it, secrets redacted.
    Check,
}
