//! Tests of the built `janua` binary as an operator uses it: configuration from the
//! environment only, `serve` with defaults, SIGTERM, `migrate`, `doctor`, `config check`,
//! `healthcheck`, TLS, and start-up with the optional exporters.

// Tests fail by panicking; helpers outside #[test] functions do too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_janua");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A command with a clean environment: only PATH, plus what the test sets.
fn janua(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    for (k, v) in vars {
        command.env(k, v);
    }
    command
}

fn run(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    janua(dir, vars).args(args).output().expect("janua runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, vars: &[(&str, &str)]) -> Self {
        Self::start_with_scheme(dir, vars, "http")
    }

    /// Starts `janua serve` on a free port and waits until `/health` answers over `scheme`
    /// (the probe accepts any certificate: it only waits). The port is free when chosen but
    /// not reserved, so another socket may take it before the server binds; the server then
    /// exits with "binding …", and this tries a new port (at most five times).
    fn start_with_scheme(dir: &Path, vars: &[(&str, &str)], scheme: &str) -> Self {
        for _ in 0..5 {
            let mut server = Self::spawn(dir, vars);
            match server.wait_until_healthy(scheme) {
                Ok(()) => return server,
                Err(output) if output.contains("binding 127.0.0.1") => continue,
                Err(output) => panic!("janua serve exited before it was healthy:\n{output}"),
            }
        }
        panic!("janua serve could not bind a free port in five attempts");
    }

    /// Starts `janua serve` on a free port without waiting for it.
    fn spawn(dir: &Path, vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let port_text = port.to_string();
        let mut all = vec![("PORT", port_text.as_str()), ("HOST", "127.0.0.1")];
        all.extend_from_slice(vars);
        let child = janua(dir, &all)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        Self { child, port }
    }

    /// Polls `/health` until it answers 2xx (`Ok`) or the process exits (`Err` with
    /// everything it printed); panics after 30 s.
    fn wait_until_healthy(&mut self, scheme: &str) -> Result<(), String> {
        let url = format!("{scheme}://127.0.0.1:{}/health", self.port);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return Err(self.child.wait_with_output_timeout().1);
            }
            let healthy = runtime.block_on(async {
                client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            });
            if healthy {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server on port {} did not become healthy", self.port);
    }

    /// Sends SIGTERM and returns the exit status and everything the server printed.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        self.child.wait_with_output_timeout()
    }
}

trait WaitWithTimeout {
    fn wait_with_output_timeout(&mut self) -> (std::process::ExitStatus, String);
}

impl WaitWithTimeout for Child {
    fn wait_with_output_timeout(&mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.try_wait().unwrap() {
                let mut out = String::new();
                use std::io::Read;
                if let Some(mut s) = self.stdout.take() {
                    let _ = s.read_to_string(&mut out);
                }
                if let Some(mut s) = self.stderr.take() {
                    let _ = s.read_to_string(&mut out);
                }
                return (status, out);
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("janua {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn serve_with_no_configuration_uses_sqlite_in_the_working_directory_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("SHUTDOWN_DRAIN_SECONDS", "0")]);
    assert!(
        dir.path().join("janua.db").exists(),
        "the default database file is created on first run"
    );
    let (status, output) = server.terminate();
    assert!(status.success(), "exit status {status:?}\n{output}");
}

#[test]
fn config_check_reports_every_problem_at_once_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            ("PORT", "eighty"),
            ("DATABASE_URL", "mysql://nope"),
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", "short"),
        ],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let printed = text(&out);
    for variable in ["PORT", "DATABASE_URL", "SECRET_KEY"] {
        assert!(
            printed.contains(variable),
            "{variable} not reported:\n{printed}"
        );
    }
    assert!(
        !printed.contains("short"),
        "secret values are never printed:\n{printed}"
    );
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-very-secret-value-that-must-not-leak-0123456789";
    let out = run(
        dir.path(),
        &[
            ("SECRET_KEY", secret),
            ("SMTP_USERNAME", "mailer"),
            ("SMTP_PASSWORD", "smtp-pass-xyz"),
        ],
        &["config", "check"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        !printed.contains(secret) && !printed.contains("smtp-pass-xyz"),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the JSON configuration");
    assert!(json.is_object());
}

#[test]
fn migrate_applies_everything_and_status_reports_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [("DATABASE_URL", "sqlite://janua-migrate.db")];
    let out = run(dir.path(), &vars, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(dir.path(), &vars, &["migrate", "--status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("pending:  none"), "{}", text(&out));
}

#[test]
fn doctor_passes_on_a_working_setup() {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![("SECRET_KEY", "doctor-secret-key-0123456789-abcdefghijkl")];
    let database = std::env::var("TEST_DATABASE_URL").ok();
    let redis = std::env::var("TEST_REDIS_URL").ok();
    if let Some(url) = &database {
        vars.push(("DATABASE_URL", url));
    }
    if let Some(url) = &redis {
        vars.push(("REDIS_URL", url));
    }
    let migrated = run(dir.path(), &vars, &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated));
    let out = run(dir.path(), &vars, &["doctor"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    for check in [
        "PASS  configuration",
        "PASS  database",
        "PASS  migrations",
        "PASS  cache",
        "PASS  secret key",
        "PASS  signing keys",
    ] {
        assert!(printed.contains(check), "{check} missing:\n{printed}");
    }
}

#[test]
fn doctor_fails_with_a_clear_message_when_redis_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[("REDIS_URL", "redis://127.0.0.1:1")],
        &["doctor"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("FAIL  cache"), "{printed}");
    assert!(
        printed.contains("REDIS_URL"),
        "the message says what to check:\n{printed}"
    );
}

#[test]
fn doctor_fails_with_a_clear_message_when_the_database_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[(
            "DATABASE_URL",
            "postgres://janua:pw-not-shown@127.0.0.1:1/janua",
        )],
        &["doctor"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("FAIL  database"), "{printed}");
    assert!(printed.contains("DATABASE_URL"), "{printed}");
    assert!(
        !printed.contains("pw-not-shown"),
        "passwords are masked:\n{printed}"
    );
}

#[test]
fn healthcheck_exits_zero_against_a_live_server_and_one_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("SHUTDOWN_DRAIN_SECONDS", "0")]);
    let port = server.port.to_string();
    let out = run(dir.path(), &[("PORT", &port)], &["healthcheck"]);
    assert!(out.status.success(), "{}", text(&out));
    drop(server);
    let closed = free_port().to_string();
    let out = run(dir.path(), &[], &["healthcheck", "--port", &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn tls_termination_serves_tls_1_2_and_1_3_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.key_pair.serialize_pem()).unwrap();
    let server = Server::start_with_scheme(
        dir.path(),
        &[
            ("SHUTDOWN_DRAIN_SECONDS", "0"),
            ("TLS_CERT_FILE", cert_path.to_str().unwrap()),
            ("TLS_KEY_FILE", key_path.to_str().unwrap()),
        ],
        "https",
    );
    let port = server.port;
    let port_text = port.to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let root = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
    for version in [
        reqwest::tls::Version::TLS_1_2,
        reqwest::tls::Version::TLS_1_3,
    ] {
        let client = reqwest::Client::builder()
            .add_root_certificate(root.clone())
            .min_tls_version(version)
            .max_tls_version(version)
            .build()
            .unwrap();
        let url = format!("https://localhost:{port}/health");
        let response = runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match client.get(&url).send().await {
                    Ok(r) => return r,
                    Err(e) if Instant::now() > deadline => panic!("TLS {version:?} failed: {e}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        assert_eq!(response.status(), 200, "{version:?}");
        assert!(
            response.headers().contains_key("strict-transport-security"),
            "HSTS over https"
        );
    }
    let out = run(
        dir.path(),
        &[
            ("PORT", &port_text),
            ("TLS_CERT_FILE", cert_path.to_str().unwrap()),
            ("TLS_KEY_FILE", key_path.to_str().unwrap()),
        ],
        &["healthcheck"],
    );
    assert!(
        out.status.success(),
        "healthcheck speaks TLS too: {}",
        text(&out)
    );
    drop(server);
}

#[test]
fn the_server_starts_and_stops_with_sentry_and_opentelemetry_configured() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9: export fails quietly in the background, serving must not.
    let server = Server::start(
        dir.path(),
        &[
            ("SHUTDOWN_DRAIN_SECONDS", "0"),
            ("SENTRY_DSN", "http://publickey@127.0.0.1:9/1"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
        ],
    );
    let (status, output) = server.terminate();
    assert!(status.success(), "{output}");
}

#[test]
fn json_logs_are_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("SHUTDOWN_DRAIN_SECONDS", "0"),
            ("LOG_FORMAT", "json"),
            ("LOG_LEVEL", "info"),
        ],
    );
    let (status, output) = server.terminate();
    assert!(status.success(), "{output}");
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "the server logs at info level");
    for line in lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string(), "{line}");
    }
}

const KEYS_SECRET: &str = "keys-secret-key-0123456789-abcdefghijklmnop";

/// The kid printed by `janua keys rotate` ("published ALG key KID; signs from …").
fn published_kids(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("published "))
        .filter_map(|rest| rest.split(' ').nth(2))
        .map(|kid| kid.trim_end_matches(';').to_owned())
        .collect()
}

#[test]
fn keys_rotate_publishes_keys_that_keys_list_shows_with_their_state() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("DATABASE_URL", "sqlite://janua-keys.db"),
        ("SECRET_KEY", KEYS_SECRET),
    ];
    let out = run(dir.path(), &vars, &["keys", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(none yet"), "{}", text(&out));

    let later = run(dir.path(), &vars, &["keys", "rotate", "--alg", "ES256"]);
    assert!(later.status.success(), "{}", text(&later));
    let later_kids = published_kids(&later);
    assert_eq!(later_kids.len(), 1, "{}", text(&later));

    let now = run(dir.path(), &vars, &["keys", "rotate", "--now"]);
    assert!(now.status.success(), "{}", text(&now));
    let now_kids = published_kids(&now);
    assert_eq!(now_kids.len(), 3, "one per algorithm:\n{}", text(&now));

    let out = run(dir.path(), &vars, &["keys", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listed.starts_with("KID"), "{listed}");
    let state_of = |kid: &str| {
        listed
            .lines()
            .find(|line| line.starts_with(kid))
            .and_then(|line| line.split_whitespace().nth(2))
            .map(str::to_owned)
    };
    assert_eq!(
        state_of(&later_kids[0]).as_deref(),
        Some("published"),
        "{listed}"
    );
    for kid in &now_kids {
        assert_eq!(state_of(kid).as_deref(), Some("active"), "{listed}");
    }

    let bad = run(dir.path(), &vars, &["keys", "rotate", "--alg", "HS256"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("RS256, ES256 or EdDSA"),
        "{}",
        text(&bad)
    );
}

#[test]
fn doctor_fails_when_stored_keys_do_not_decrypt_with_the_configured_secret() {
    let dir = tempfile::tempdir().unwrap();
    let database = ("DATABASE_URL", "sqlite://janua-doctor-keys.db");
    let out = run(
        dir.path(),
        &[database, ("SECRET_KEY", KEYS_SECRET)],
        &["keys", "rotate", "--now"],
    );
    assert!(out.status.success(), "{}", text(&out));

    let out = run(
        dir.path(),
        &[database, ("SECRET_KEY", KEYS_SECRET)],
        &["doctor"],
    );
    assert!(text(&out).contains("PASS  signing keys"), "{}", text(&out));

    let out = run(
        dir.path(),
        &[
            database,
            ("SECRET_KEY", "another-secret-key-0123456789-abcdefghijkl"),
        ],
        &["doctor"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("FAIL  signing keys"), "{printed}");
    assert!(printed.contains("JWT_SECRET_KEY"), "{printed}");
}

#[test]
fn with_jwt_private_key_the_env_key_is_listed_and_rotation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let pem = key.serialize_pem();
    let vars = [
        ("SECRET_KEY", KEYS_SECRET),
        ("JWT_ALGORITHM", "EdDSA"),
        ("JWT_PRIVATE_KEY", pem.as_str()),
        ("JWT_KID", "env-key-2026"),
    ];
    let out = run(dir.path(), &vars, &["keys", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("env-key-2026"), "{}", text(&out));
    let out = run(dir.path(), &vars, &["keys", "rotate"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("JWT_PREVIOUS_PUBLIC_KEYS"),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &vars, &["doctor"]);
    assert!(text(&out).contains("PASS  signing keys"), "{}", text(&out));
    assert!(!text(&out).contains("PRIVATE KEY"), "{}", text(&out));
}

#[test]
fn admin_create_makes_a_verified_admin_that_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [("ADMIN_PASSWORD", "Cli-Admin-Password-9")];
    let out = run(
        dir.path(),
        &vars,
        &["admin", "create", "--email", "Cli@Example.com"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("administrator Cli@example.com"),
        "{}",
        text(&out)
    );
    let weak = run(
        dir.path(),
        &[("ADMIN_PASSWORD", "weak")],
        &["admin", "create", "--email", "other@example.com"],
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(text(&weak).contains("too weak"), "{}", text(&weak));
    assert!(
        !text(&weak).contains("weak\n"),
        "the password is not echoed"
    );
    let server = Server::start(dir.path(), &[("SHUTDOWN_DRAIN_SECONDS", "0")]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/api/v1/auth/signin", server.port))
            .json(&serde_json::json!({"email": "cli@example.com", "password": "Cli-Admin-Password-9"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["user"]["is_admin"], true, "{body}");
    assert_eq!(body["user"]["email_verified"], true);
}
