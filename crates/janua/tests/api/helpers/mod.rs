//! Test harness: [`spawn_app`] starts a fresh server (fresh database, isolated cache keys) on
//! port 0 and returns a [`TestApp`] with typed helpers.

pub mod backend;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use janua::app::App;
use janua::config::Config;
use janua::state::AppState;
use janua_core::clock::ManualClock;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub backend: backend::Backend,
    /// The server's state, for tests that reach past HTTP (the key ring, jobs' `run_once`).
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("body is not JSON"))
    }

    /// Sends the stop signal (as SIGTERM would) and returns the server task to await.
    pub fn begin_shutdown(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().expect("server already stopped")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Variables every test app gets: quiet, fast to drain, no global rate limit surprises.
fn base_vars(dir: &std::path::Path, backend: &backend::Backend) -> Vec<(String, String)> {
    let mut vars = vec![
        ("ENVIRONMENT", "test".to_owned()),
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", "0".to_owned()),
        ("LOG_LEVEL", "warn".to_owned()),
        ("SHUTDOWN_DRAIN_SECONDS", "0".to_owned()),
        ("SHUTDOWN_TIMEOUT_SECONDS", "5".to_owned()),
        (
            "SECRET_KEY",
            "test-secret-key-0123456789-abcdefghijklmnop".to_owned(),
        ),
        ("DATABASE_URL", backend.database_url.clone()),
    ];
    if let Some(redis) = &backend.redis_url {
        vars.push(("REDIS_URL", redis.clone()));
        vars.push((
            "REDIS_KEY_PREFIX",
            format!("janua-test-{}:", uuid::Uuid::new_v4().simple()),
        ));
    }
    let _ = dir;
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts an app with extra or overriding variables.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = backend::Backend::fresh(dir.path()).await;
    spawn_on(dir, backend, overrides).await
}

/// Starts a second instance on the database of `first` (as when several instances run behind
/// a load balancer). `first` must outlive it: for SQLite the file lives in its directory.
pub async fn spawn_app_sharing_database(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    spawn_on(dir, first.backend.clone(), &[]).await
}

/// Starts two instances at the same moment on one fresh, migrated database, as a rolling
/// deploy of a new installation does.
pub async fn spawn_two_apps_at_once() -> (TestApp, TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = backend::Backend::fresh(dir.path()).await;
    // Migrate first: this is about what the instances do next (concurrent first migrations on
    // SQLite are not serialized by sqlx).
    let store = janua_store::connect(&janua_store::DatabaseConfig::new(&backend.database_url))
        .await
        .expect("migrate");
    store.close().await;
    let second_dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = tokio::join!(
        spawn_on(dir, backend.clone(), &[]),
        spawn_on(second_dir, backend.clone(), &[])
    );
    (first, second)
}

async fn spawn_on(
    dir: tempfile::TempDir,
    backend: backend::Backend,
    overrides: &[(&str, &str)],
) -> TestApp {
    let mut vars = base_vars(dir.path(), &backend);
    for (key, value) in overrides {
        vars.retain(|(k, _)| k != key);
        vars.push(((*key).to_owned(), (*value).to_owned()));
    }
    let config = Config::from_vars(vars).expect("test configuration is valid");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("date"),
    ));
    let app = App::build_with_clock(config, clock.clone())
        .await
        .expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        backend,
        state,
        stop: Some(stop),
        server: Some(server),
        _dir: dir,
    }
}

/// Asserts the common REST error shape of API.md §1 and returns the code.
pub fn assert_error_shape(body: &serde_json::Value) -> String {
    let error = &body["error"];
    let code = error["code"].as_str().expect("error.code is a string");
    assert!(
        error["message"].is_string(),
        "error.message missing: {body}"
    );
    assert!(
        !error["request_id"].as_str().unwrap_or("").is_empty(),
        "error.request_id missing: {body}"
    );
    let timestamp = error["timestamp"].as_str().expect("error.timestamp");
    assert!(
        timestamp.ends_with('Z') && timestamp.contains('T'),
        "timestamp not RFC 3339 Z: {timestamp}"
    );
    assert_eq!(body["detail"], error["message"], "detail repeats message");
    code.to_owned()
}
