//! Choosing and opening a backend: URL schemes, bad settings, unreachable servers.

use std::time::{Duration, Instant};

use janua_core::error::Error;
use janua_store::DatabaseConfig;

fn field_of(error: &Error) -> Option<&str> {
    match error {
        Error::Validation(fields) => fields.first().map(|f| f.field.as_str()),
        _ => None,
    }
}

#[tokio::test]
async fn an_unknown_url_scheme_is_a_validation_error_naming_database_url() {
    for url in ["mysql://root@localhost/janua", "janua.db", ""] {
        let error = janua_store::connect(&DatabaseConfig::new(url))
            .await
            .err()
            .unwrap();
        assert_eq!(field_of(&error), Some("DATABASE_URL"), "{url}: {error:?}");
    }
}

#[tokio::test]
async fn in_memory_sqlite_is_refused_with_a_hint() {
    let error = janua_store::connect(&DatabaseConfig::new("sqlite::memory:"))
        .await
        .err()
        .unwrap();
    assert_eq!(field_of(&error), Some("DATABASE_URL"));
}

#[tokio::test]
async fn an_unknown_ssl_mode_is_a_validation_error_naming_database_ssl_mode() {
    let config = DatabaseConfig {
        ssl_mode: "sometimes".to_owned(),
        ..DatabaseConfig::new("postgres://janua@127.0.0.1:1/janua")
    };
    let error = janua_store::connect(&config).await.err().unwrap();
    assert_eq!(field_of(&error), Some("DATABASE_SSL_MODE"));
}

#[tokio::test]
async fn a_postgres_server_that_does_not_listen_is_unavailable_quickly_without_the_password() {
    let config = DatabaseConfig {
        acquire_timeout: Duration::from_millis(500),
        ..DatabaseConfig::new("postgres://janua:hunter2@127.0.0.1:1/janua_db")
    };
    let started = Instant::now();
    let error = janua_store::connect(&config).await.err().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let Error::Unavailable(message) = error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains("janua_db"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn a_sqlite_database_file_is_created_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = janua_store::connect(&DatabaseConfig::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    assert!(path.exists());
    assert!(store.migration_status().await.unwrap().is_current());
    store.close().await;
}

#[tokio::test]
async fn a_sqlite_file_in_a_missing_directory_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("janua.db");
    let config = DatabaseConfig {
        acquire_timeout: Duration::from_secs(2),
        ..DatabaseConfig::new(format!("sqlite://{}", path.display()))
    };
    let error = janua_store::connect(&config).await.err().unwrap();
    assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
}
