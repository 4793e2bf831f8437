//! `janua migrate [--status]`: apply (or list) the migrations embedded in this binary.

use janua_core::ports::MigrationStatus;

use crate::app::database_config;
use crate::config::Config;

pub async fn run(config: Config, status_only: bool) -> anyhow::Result<bool> {
    let mut db = database_config(&config);
    db.apply_migrations = false;
    let store = janua_store::connect(&db).await?;
    if !status_only {
        store.migrate().await?;
    }
    let status = store.migration_status().await?;
    print_status(&janua_store::redact_url(&db.url), &status);
    store.close().await;
    Ok(status.is_current())
}

fn print_status(url: &str, status: &MigrationStatus) {
    println!("database: {url}");
    println!("applied:  {}", join(&status.applied));
    println!("pending:  {}", join(&status.pending()));
    if !status.modified.is_empty() {
        println!(
            "modified after being applied (checksum mismatch): {}",
            join(&status.modified)
        );
    }
    if !status.unknown.is_empty() {
        println!(
            "applied but unknown to this binary (database is newer): {}",
            join(&status.unknown)
        );
    }
}

fn join(versions: &[i64]) -> String {
    if versions.is_empty() {
        "none".into()
    } else {
        versions
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
