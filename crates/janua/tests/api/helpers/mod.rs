//! Test harness: [`spawn_app`] starts a fresh server (fresh database, isolated cache keys) on
//! port 0 and returns a [`TestApp`] with typed helpers.

pub mod accounts;
pub mod backend;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use janua::app::App;
use janua::config::Config;
use janua_core::clock::ManualClock;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub backend: backend::Backend,
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
    spawn_on(backend, dir, overrides).await
}

/// A second instance on the same database (and the same Redis namespace), as behind a load
/// balancer.
pub async fn spawn_second_instance(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    spawn_on(first.backend.clone(), dir, overrides).await
}

async fn spawn_on(backend: backend::Backend, dir: tempfile::TempDir, overrides: &[(&str, &str)]) -> TestApp {
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
