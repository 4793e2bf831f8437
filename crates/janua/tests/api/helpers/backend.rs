//! Which storage and cache a test app runs on. Default: a fresh SQLite file and the in-process
//! cache. With `TEST_DATABASE_URL` (a PostgreSQL server URL), each app gets its own freshly
//! created database; with `TEST_REDIS_URL`, Redis with a per-app key prefix.

use std::path::Path;

#[derive(Debug, Clone)]
pub struct Backend {
    pub database_url: String,
    pub redis_url: Option<String>,
    /// Key namespace in Redis, shared by instances of one test and unique across tests.
    pub redis_prefix: String,
}

impl Backend {
    pub async fn fresh(dir: &Path) -> Self {
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => fresh_postgres_database(&server).await,
            _ => format!("sqlite://{}", dir.join("janua.db").display()),
        };
        let redis_url = std::env::var("TEST_REDIS_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let redis_prefix = format!("janua-test-{}:", uuid::Uuid::new_v4().simple());
        Self {
            database_url,
            redis_url,
            redis_prefix,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

/// Creates an empty database named after a fresh UUID on the server of `server_url`.
async fn fresh_postgres_database(server_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("janua_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .expect("TEST_DATABASE_URL reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL names a database");
    format!("{base}/{name}")
}
