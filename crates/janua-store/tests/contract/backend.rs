//! The databases a contract test runs on: SQLite on a temporary file, always; PostgreSQL when
//! `TEST_DATABASE_URL` names a server (for example `postgres://postgres@127.0.0.1:5433/postgres`).
//! Each test gets a fresh PostgreSQL database, `janua_test_<uuid>`, created through that URL and
//! dropped (`WITH (FORCE)`) when the test ends, even when it fails.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use janua_core::ports::{Backend, Store};
use janua_store::DatabaseConfig;
use sqlx::Connection;

/// One fresh, empty database for one test.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    /// Keeps the SQLite file's directory alive for the test.
    _dir: Option<tempfile::TempDir>,
    /// For PostgreSQL: the server URL to drop the database through, and its name.
    drop_through: Option<(String, String)>,
}

impl TestDatabase {
    /// Small pools and a short wait: tests run in parallel on a shared machine.
    pub fn config(&self) -> DatabaseConfig {
        DatabaseConfig {
            pool_size: 2,
            max_overflow: 1,
            acquire_timeout: Duration::from_secs(10),
            ..DatabaseConfig::new(self.url.clone())
        }
    }

    pub async fn connect(&self) -> Arc<dyn Store> {
        janua_store::connect(&self.config()).await.unwrap()
    }

    /// Runs SQL outside the store, for tests that tamper with the database behind its back.
    pub async fn execute_raw(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("janua.db").display());
        Self {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
            drop_through: None,
        }
    }

    async fn postgres(server_url: &str) -> Self {
        let name = format!("janua_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(server_url).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Self {
            backend: Backend::Postgres,
            url: with_database(server_url, &name),
            _dir: None,
            drop_through: Some((server_url.to_owned(), name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("(the failing test ran on {})", self.backend.as_str());
        }
        let Some((server_url, name)) = self.drop_through.take() else {
            return;
        };
        // Drop cannot await, and may run while a failed test unwinds inside the test's runtime:
        // drop the database from a helper thread with its own runtime, and only report failure.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&server_url).await?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(&sql).execute(&mut conn).await?;
                conn.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a test database: {dropped:?}");
        }
    }
}

/// `url` with its database (path) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..path_start])
}

/// Every backend available to this run, each a fresh database.
async fn databases() -> Vec<TestDatabase> {
    let mut all = vec![TestDatabase::sqlite().await];
    if let Ok(server_url) = std::env::var("TEST_DATABASE_URL") {
        all.push(TestDatabase::postgres(&server_url).await);
    }
    all
}

/// Runs `test` once per backend, each time on a fresh, empty (unmigrated) database.
pub async fn for_each_database<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in databases().await {
        test(db).await;
    }
}

/// Runs `test` once per backend, each time on a fresh store connected with migrations applied.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in databases().await {
        let store = db.connect().await;
        test(Arc::clone(&store)).await;
        store.close().await;
        drop(db);
    }
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5433/postgres", "x"),
        "postgres://postgres@127.0.0.1:5433/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
}
