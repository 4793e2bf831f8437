//! The database itself: ping, migrations and their status, on every backend.

use janua_store::DatabaseConfig;

use crate::backend::{for_each_backend, for_each_database};
use janua_core::ports::Backend;

#[tokio::test]
async fn ping_answers_on_a_live_database() {
    for_each_backend(|store| async move {
        store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn migration_status_is_current_after_connect() {
    for_each_backend(|store| async move {
        let status = store.migration_status().await.unwrap();
        assert!(status.is_current(), "{status:?}");
        assert!(!status.known.is_empty());
        assert_eq!(status.applied, status.known);
        assert!(status.modified.is_empty() && status.unknown.is_empty());
    })
    .await;
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    for_each_backend(|store| async move {
        let before = store.migration_status().await.unwrap();
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(store.migration_status().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn connecting_without_applying_migrations_leaves_them_all_pending() {
    for_each_database(|db| async move {
        let config = DatabaseConfig {
            apply_migrations: false,
            ..db.config()
        };
        let store = janua_store::connect(&config).await.unwrap();
        let status = store.migration_status().await.unwrap();
        assert_eq!(status.pending(), status.known);
        assert!(status.applied.is_empty());
        assert!(!status.is_current());

        store.migrate().await.unwrap();
        assert!(store.migration_status().await.unwrap().is_current());
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_migration_edited_after_it_was_applied_is_reported_as_modified() {
    for_each_database(|db| async move {
        let store = db.connect().await;
        let first = store.migration_status().await.unwrap().known[0];
        let checksum = match db.backend {
            Backend::Sqlite => "X'00'",
            Backend::Postgres => "decode('00', 'hex')",
        };
        db.execute_raw(&format!(
            "UPDATE _sqlx_migrations SET checksum = {checksum} WHERE version = {first}"
        ))
        .await;
        let status = store.migration_status().await.unwrap();
        assert_eq!(status.modified, vec![first]);
        assert!(!status.is_current());
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_migration_from_a_newer_release_is_reported_as_unknown() {
    for_each_database(|db| async move {
        let store = db.connect().await;
        let checksum = match db.backend {
            Backend::Sqlite => "X'00'",
            Backend::Postgres => "decode('00', 'hex')",
        };
        db.execute_raw(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99999999, 'from the future', TRUE, {checksum}, 1)"
        ))
        .await;
        let status = store.migration_status().await.unwrap();
        assert_eq!(status.unknown, vec![99_999_999]);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_store_reports_its_backend() {
    for_each_database(|db| async move {
        let store = db.connect().await;
        assert_eq!(store.backend(), db.backend);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_replica_leaves_ping_healthy() {
    for_each_database(|db| async move {
        let config = DatabaseConfig {
            replica_urls: vec!["postgres://janua:secret@127.0.0.1:1/janua".to_owned()],
            ..db.config()
        };
        let store = janua_store::connect(&config).await.unwrap();
        store.ping().await.unwrap();
        store.close().await;
    })
    .await;
}
