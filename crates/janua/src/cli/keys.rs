//! `janua keys rotate|list|prune`: the signing key ring from the command line. Works on the
//! database directly; running servers pick changes up at their next refresh (≤ 30 s), and a
//! rotated key signs only after 5 minutes, so every instance and relying party has it first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use janua_core::clock::{format_timestamp, Clock, SystemClock};
use janua_core::ports::Store;
use janua_core::tokens::keys::stored::{apply_rotation, prune, publish_new_key};
use janua_core::tokens::keys::SigningAlgorithm;
use janua_core::tokens::store::StoredSigningKey;

use crate::app::{database_config, imported_keys, key_sealer, max_token_lifetime};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish a new signing key (every algorithm, or --alg); it signs after 5 minutes.
    Rotate {
        /// Sign with the new key at once (relying parties that cached the JWKS may reject
        /// tokens until they fetch it again).
        #[arg(long)]
        now: bool,
        /// Only this algorithm: RS256, ES256 or EdDSA.
        #[arg(long, value_parser = parse_algorithm)]
        alg: Option<SigningAlgorithm>,
    },
    /// List the keys: kid, algorithm, state and dates.
    List,
    /// Delete retired keys whose tokens have all expired.
    Prune,
}

fn parse_algorithm(raw: &str) -> Result<SigningAlgorithm, String> {
    SigningAlgorithm::parse(raw).map_err(|_| "expected RS256, ES256 or EdDSA".to_owned())
}

pub async fn run(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if let Some(imported) = imported_keys(&config)? {
        return match command {
            KeysCommand::List => {
                println!(
                    "keys come from JWT_PRIVATE_KEY (not stored in the database):\n{:<44} {:<6} active",
                    imported.kid(),
                    imported.algorithm().as_str()
                );
                for kid in imported.previous_kids() {
                    println!("{kid:<44} {:<6} retired (JWT_PREVIOUS_PUBLIC_KEYS)", "");
                }
                Ok(())
            }
            _ => anyhow::bail!(
                "keys come from JWT_PRIVATE_KEY: rotate by deploying a new JWT_PRIVATE_KEY with \
                 the old public key in JWT_PREVIOUS_PUBLIC_KEYS"
            ),
        };
    }
    let store = janua_store::connect(&database_config(&config)).await?;
    let outcome = match command {
        KeysCommand::Rotate { now, alg } => {
            rotate(&config, store.as_ref(), clock.now(), now, alg).await
        }
        KeysCommand::List => list(store.as_ref()).await,
        KeysCommand::Prune => {
            let deleted = prune(store.as_ref(), clock.now(), max_token_lifetime(&config)).await?;
            println!("deleted {deleted} retired key(s)");
            Ok(())
        }
    };
    store.close().await;
    outcome
}

async fn rotate(
    config: &Config,
    store: &dyn Store,
    now: DateTime<Utc>,
    immediately: bool,
    alg: Option<SigningAlgorithm>,
) -> anyhow::Result<()> {
    let sealer = key_sealer(config)?;
    let algorithms = alg.map_or(SigningAlgorithm::ALL.to_vec(), |alg| vec![alg]);
    let mut published = Vec::new();
    for alg in algorithms {
        published.push(publish_new_key(store, &sealer, alg, now, immediately).await?);
    }
    if immediately {
        apply_rotation(store, now).await?;
    }
    for key in &published {
        println!(
            "published {} key {}; signs from {}",
            key.alg.as_str(),
            key.kid,
            format_timestamp(key.activates_at)
        );
    }
    Ok(())
}

async fn list(store: &dyn Store) -> anyhow::Result<()> {
    let keys = store.list_signing_keys().await?;
    println!(
        "{:<44} {:<6} {:<10} {:<9} {:<25} {:<25} RETIRED",
        "KID", "ALG", "STATE", "SOURCE", "CREATED", "SIGNS FROM"
    );
    for key in &keys {
        println!("{}", row(key));
    }
    if keys.is_empty() {
        println!("(none yet: keys are generated when the server first starts)");
    }
    Ok(())
}

fn row(key: &StoredSigningKey) -> String {
    format!(
        "{:<44} {:<6} {:<10} {:<9} {:<25} {:<25} {}",
        key.kid,
        key.alg.as_str(),
        key.state.as_str(),
        key.source.as_str(),
        format_timestamp(key.created_at),
        format_timestamp(key.activated_at.unwrap_or(key.activates_at)),
        key.retired_at
            .map_or_else(|| "-".to_owned(), format_timestamp),
    )
}
