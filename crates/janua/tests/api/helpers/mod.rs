//! Test harness: [`spawn_app`] starts a fresh server (fresh database, isolated cache keys,
//! captured mail, manual clock) on port 0 and returns a [`TestApp`] with typed helpers.

pub mod accounts;
pub mod audit;
pub mod backend;
pub mod oauth;
pub mod orgs;
pub mod pages;
pub mod smtp;
pub mod webhooks;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use janua::app::{App, AppOptions};
use janua::config::Config;
use janua::mail::capture::CaptureMailer;
use janua::state::AppState;
use janua_core::clock::ManualClock;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub backend: backend::Backend,
    /// The outbox every mail lands in (unless the app was spawned with the configured mailer).
    pub mail: Arc<CaptureMailer>,
    /// The running app's state, for tests that reach past HTTP (key ring, jobs' `run_once`).
    pub state: AppState,
    /// How the app was started, so [`TestApp::restart_with`] can start it again the same way.
    vars: Vec<(String, String)>,
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

    /// Stops the server and starts a new one on the same database, configuration, clock and
    /// outbox: what survives this survives a process restart.
    /// `options` may differ from the first start's (start the jobs this time, say).
    pub async fn restart_with(mut self, options: TestOptions) -> TestApp {
        self.begin_shutdown()
            .await
            .expect("server task")
            .expect("server stopped cleanly");
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("tempdir"));
        start(
            self.vars.clone(),
            options,
            self.backend.clone(),
            dir,
            self.clock.clone(),
            self.mail.clone(),
        )
        .await
    }
}

/// How to start a test app beyond its variables.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Use the mailer the configuration asks for (SMTP, log) instead of the capture outbox.
    pub configured_mailer: bool,
    /// Start the background jobs (the default); false lets a test call `run_once` alone.
    pub background_jobs: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            configured_mailer: false,
            background_jobs: true,
        }
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
        // Tests create many users from one IP; the limit tests set their own values.
        ("RATE_LIMIT_SIGNUP", "1000/minute".to_owned()),
        // Fast hashing keeps the suite quick; production parameters are benchmarked instead.
        ("PASSWORD_HASH_MEMORY_KIB", "1024".to_owned()),
        ("PASSWORD_HASH_ITERATIONS", "1".to_owned()),
    ];
    if let Some(redis) = &backend.redis_url {
        vars.push(("REDIS_URL", redis.clone()));
        vars.push(("REDIS_KEY_PREFIX", backend.redis_prefix.clone()));
    }
    let _ = dir;
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts an app with extra or overriding variables.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_with_options(overrides, TestOptions::default()).await
}

/// Starts an app with extra variables and [`TestOptions`].
pub async fn spawn_app_with_options(overrides: &[(&str, &str)], options: TestOptions) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = backend::Backend::fresh(dir.path()).await;
    spawn_on(dir, backend, overrides, options).await
}

/// A second instance on the database (and Redis namespace) of `first`, as behind a load
/// balancer. `first` must outlive it: for SQLite the file lives in its directory.
pub async fn spawn_second_instance(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    spawn_on(
        dir,
        first.backend.clone(),
        overrides,
        TestOptions::default(),
    )
    .await
}

pub async fn spawn_app_sharing_database(first: &TestApp) -> TestApp {
    spawn_second_instance(first, &[]).await
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
        spawn_on(dir, backend.clone(), &[], TestOptions::default()),
        spawn_on(second_dir, backend.clone(), &[], TestOptions::default())
    );
    (first, second)
}

async fn spawn_on(
    dir: tempfile::TempDir,
    backend: backend::Backend,
    overrides: &[(&str, &str)],
    options: TestOptions,
) -> TestApp {
    try_spawn_on(dir, backend, overrides, options)
        .await
        .expect("app builds")
}

/// Starts an app with extra variables on a fresh backend, or says why it could not (for
/// callers that choose the port themselves and may lose it to another socket first).
pub async fn try_spawn_app_with(overrides: &[(&str, &str)]) -> anyhow::Result<TestApp> {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = backend::Backend::fresh(dir.path()).await;
    try_spawn_on(dir, backend, overrides, TestOptions::default()).await
}

async fn try_spawn_on(
    dir: tempfile::TempDir,
    backend: backend::Backend,
    overrides: &[(&str, &str)],
    options: TestOptions,
) -> anyhow::Result<TestApp> {
    let mut vars = base_vars(dir.path(), &backend);
    for (key, value) in overrides {
        vars.retain(|(k, _)| k != key);
        vars.push(((*key).to_owned(), (*value).to_owned()));
    }
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("date"),
    ));
    try_start(
        vars,
        options,
        backend,
        dir,
        clock,
        Arc::new(CaptureMailer::new()),
    )
    .await
}

async fn start(
    vars: Vec<(String, String)>,
    options: TestOptions,
    backend: backend::Backend,
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    mail: Arc<CaptureMailer>,
) -> TestApp {
    try_start(vars, options, backend, dir, clock, mail)
        .await
        .expect("app builds")
}

async fn try_start(
    vars: Vec<(String, String)>,
    options: TestOptions,
    backend: backend::Backend,
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    mail: Arc<CaptureMailer>,
) -> anyhow::Result<TestApp> {
    let config = Config::from_vars(vars.clone()).expect("test configuration is valid");
    let app_options = AppOptions {
        clock: clock.clone(),
        mailer: if options.configured_mailer {
            None
        } else {
            Some(mail.clone())
        },
        background_jobs: options.background_jobs,
    };
    let app = App::build_with(config, app_options).await?;
    let port = app.port();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Ok(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        backend,
        mail,
        state,
        vars,
        stop: Some(stop),
        server: Some(server),
        _dir: dir,
    })
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
