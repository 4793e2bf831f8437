//! The built binary's background work: webhook deliveries pending when the server is killed
//! with SIGKILL are delivered after a restart, none lost; `janua worker` serves only the
//! operations routes and stops cleanly on SIGTERM.

// Tests fail by panicking; helpers outside #[test] functions do too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_janua");
const ADMIN: (&str, &str) = ("root@example.com", "Admin-Password-123");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Process {
    child: Child,
    port: u16,
    /// Where the process's stderr goes (a file, so that no pipe can fill up and block it).
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `janua <command>` on a free port with a clean environment plus `vars`.
fn spawn(dir: &Path, command: &str, vars: &[(&str, &str)]) -> Process {
    let port = free_port();
    let log = dir.join(format!("{command}-{port}.log"));
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .env("LOG_LEVEL", "warn")
        .current_dir(dir)
        .arg(command)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Process {
        child: cmd.spawn().expect("janua starts"),
        port,
        log,
    }
}

/// [`spawn`], then waits until `/health` answers. The port is free when chosen but not
/// reserved, so another socket may take it first; the process then exits with "binding …"
/// and this tries a new port (at most five times).
async fn start(
    client: &reqwest::Client,
    dir: &Path,
    command: &str,
    vars: &[(&str, &str)],
) -> Process {
    for _ in 0..5 {
        let mut process = spawn(dir, command, vars);
        match wait_healthy(client, &mut process).await {
            Ok(()) => return process,
            Err(output) if output.contains("binding 127.0.0.1") => continue,
            Err(output) => panic!("janua {command} exited before it was healthy:\n{output}"),
        }
    }
    panic!("janua {command} could not bind a free port in five attempts");
}

/// Polls `/health` until it answers 2xx (`Ok`) or the process exits (`Err` with its stderr);
/// panics after 30 s.
async fn wait_healthy(client: &reqwest::Client, process: &mut Process) -> Result<(), String> {
    let port = process.port;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if process.child.try_wait().unwrap().is_some() {
            return Err(std::fs::read_to_string(&process.log).unwrap_or_default());
        }
        let ok = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("janua on port {port} did not become healthy");
}

/// A receiver on `port` that records the event ids and emails it is sent.
async fn receiver(port: u16) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let record = record.clone();
            async move {
                record
                    .lock()
                    .unwrap()
                    .push(serde_json::from_slice::<Value>(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    seen
}

#[test]
fn deliveries_pending_when_the_server_is_killed_are_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let hook_port = free_port(); // nothing listens there yet: every attempt fails for now
    let delays = vec!["1"; 20].join(",");
    let vars = [
        ("ADMIN_EMAIL", ADMIN.0),
        ("ADMIN_PASSWORD", ADMIN.1),
        ("WEBHOOK_ALLOW_PRIVATE_URLS", "true"),
        ("WEBHOOK_RETRY_DELAYS", delays.as_str()),
        ("WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("WEBHOOK_POLL_INTERVAL_MS", "50"),
        ("RATE_LIMIT_SIGNUP", "1000/minute"),
        ("PASSWORD_HASH_MEMORY_KIB", "1024"),
        ("PASSWORD_HASH_ITERATIONS", "1"),
        ("SECRET_KEY", "binary-test-secret-key-0123456789-abcdef"),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let server = runtime.block_on(start(&client, dir.path(), "serve", &vars));
    let base = format!("http://127.0.0.1:{}", server.port);
    let emails: BTreeSet<String> = runtime.block_on(async {
        let signed_in: Value = client
            .post(format!("{base}/api/v1/auth/signin"))
            .json(&json!({"email": ADMIN.0, "password": ADMIN.1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let admin = signed_in["tokens"]["access_token"].as_str().unwrap().to_owned();
        let created = client
            .post(format!("{base}/api/v1/webhooks"))
            .bearer_auth(&admin)
            .json(&json!({"url": format!("http://127.0.0.1:{hook_port}/hook"), "events": ["user.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let mut emails = BTreeSet::new();
        for i in 0..10 {
            let email = format!("killed-{i}@example.com");
            let r = client
                .post(format!("{base}/api/v1/auth/signup"))
                .json(&json!({"email": email, "password": "Correct-Horse-Battery-9"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            emails.insert(email);
        }
        // Let the worker fail a few attempts, so deliveries are mid-retry when it dies.
        tokio::time::sleep(Duration::from_millis(700)).await;
        emails
    });
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no draining
    server.child.wait().unwrap();

    let received = runtime.block_on(async {
        let seen = receiver(hook_port).await;
        let restarted = start(&client, dir.path(), "serve", &vars).await;
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let got: BTreeSet<String> = seen
                .lock()
                .unwrap()
                .iter()
                .map(|b| b["data"]["email"].as_str().unwrap().to_owned())
                .collect();
            if got.len() >= emails.len() || Instant::now() > deadline {
                drop(restarted);
                return seen.lock().unwrap().clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let delivered: BTreeSet<String> = received
        .iter()
        .map(|b| b["data"]["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        delivered, emails,
        "every pending delivery arrives after the restart"
    );
}

#[test]
fn the_worker_serves_only_operations_routes_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let worker = runtime.block_on(start(&client, dir.path(), "worker", &[]));
    runtime.block_on(async {
        let base = format!("http://127.0.0.1:{}", worker.port);
        let metrics = client.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(metrics.status(), 200);
        let signup = client
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({"email": "a@example.com", "password": "Correct-Horse-Battery-9"}))
            .send()
            .await
            .unwrap();
        assert_eq!(signup.status(), 404, "the worker serves no API");
    });
    let mut worker = worker;
    let killed = Command::new("kill")
        .args(["-TERM", &worker.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = worker.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
