//! Mail through the durable queue: rendering and sending, retries and dead-letter on the manual
//! clock, delivery after a restart, real SMTP with lettre, template overrides, and the doctor
//! check.

use std::time::Duration;

use janua::cli::doctor::{mail_check, Verdict};
use janua::config::Config;
use janua::jobs::mail_delivery;
use janua::mail::capture::{extract_link, extract_token};
use janua_core::clock::Clock;
use janua_core::ids::JobId;
use janua_core::jobs::{Job, JobStatus};
use janua_core::mail::{enqueue_mail, Mail, OutgoingMail};

use crate::helpers::smtp::{decode_quoted_printable, SmtpReceiver};
use crate::helpers::{spawn_app_with_options, TestApp, TestOptions};

const WAIT: Duration = Duration::from_secs(10);

fn driven() -> TestOptions {
    TestOptions {
        background_jobs: false,
        ..TestOptions::default()
    }
}

fn verification(to: &str, token: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_owned(),
        to_name: Some("Ada Lovelace".to_owned()),
        mail: Mail::EmailVerification {
            link: format!("https://app.example.com/auth/verify-email?token={token}"),
            expires_in_hours: 48,
        },
        locale: None,
    }
}

async fn enqueue(app: &TestApp, outgoing: &OutgoingMail) -> JobId {
    enqueue_mail(app.state.store.as_ref(), outgoing, app.clock.now())
        .await
        .unwrap()
}

async fn job(app: &TestApp, id: JobId) -> Job {
    app.state.store.get_job(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_queued_mail_is_rendered_and_sent_with_its_link() {
    let app = spawn_app_with_options(&[], driven()).await;
    let id = enqueue(&app, &verification("ada@example.com", "tok123")).await;

    assert_eq!(mail_delivery::run_once(&app.state).await, 1);

    let sent = app.mail.messages();
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.to, "ada@example.com");
    assert_eq!(mail.to_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(mail.subject, "Verify your email address for Janua");
    assert!(
        mail.text.starts_with("Hello Ada Lovelace,"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("48 hours"));
    assert_eq!(
        extract_link(&mail.text).as_deref(),
        Some("https://app.example.com/auth/verify-email?token=tok123")
    );
    assert_eq!(extract_token(&mail.html).as_deref(), Some("tok123"));
    assert!(mail
        .html
        .contains("<a href=\"https://app.example.com/auth/verify-email?token=tok123\""));

    let done = job(&app, id).await;
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.attempts, 1);
    assert_eq!(
        mail_delivery::run_once(&app.state).await,
        0,
        "sent once only"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("janua_mail_sent_total{result=\"sent\"}"),
        "mail counter missing"
    );
}

#[tokio::test]
async fn a_failed_send_is_retried_later_and_then_succeeds() {
    let app = spawn_app_with_options(&[], driven()).await;
    app.mail.set_failing(Some("421 relay busy"));
    let id = enqueue(&app, &verification("ada@example.com", "t")).await;

    assert_eq!(mail_delivery::run_once(&app.state).await, 1);
    let waiting = job(&app, id).await;
    assert_eq!(waiting.status, JobStatus::Pending);
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.last_error.unwrap().contains("421 relay busy"));
    let wait = (waiting.run_at - app.clock.now()).num_seconds();
    assert!(
        (24..=36).contains(&wait),
        "first retry after 30 s ± 20 %, got {wait}"
    );
    assert_eq!(mail_delivery::run_once(&app.state).await, 0, "not due yet");

    app.mail.set_failing(None);
    app.clock.advance(chrono::Duration::seconds(37));
    assert_eq!(mail_delivery::run_once(&app.state).await, 1);
    assert_eq!(job(&app, id).await.status, JobStatus::Succeeded);
    assert_eq!(app.mail.messages_to("ada@example.com").len(), 1);
}

#[tokio::test]
async fn a_mail_that_keeps_failing_is_dead_lettered_after_eight_attempts() {
    let app = spawn_app_with_options(&[], driven()).await;
    app.mail.set_failing(Some("connection refused"));
    let id = enqueue(&app, &verification("ada@example.com", "t")).await;

    let mut waits = Vec::new();
    for attempt in 1..=8 {
        assert_eq!(
            mail_delivery::run_once(&app.state).await,
            1,
            "attempt {attempt}"
        );
        let after = job(&app, id).await;
        assert_eq!(after.attempts, attempt);
        if attempt < 8 {
            assert_eq!(after.status, JobStatus::Pending, "attempt {attempt}");
            waits.push((after.run_at - app.clock.now()).num_seconds());
            // The clock counts milliseconds; stored times have microseconds.
            app.clock
                .set(after.run_at + chrono::Duration::milliseconds(1));
        }
    }
    let dead = job(&app, id).await;
    assert_eq!(dead.status, JobStatus::Failed);
    assert!(dead.finished_at.is_some());
    assert!(dead.last_error.unwrap().contains("connection refused"));
    assert!(app.mail.messages().is_empty());

    let nominal = [30, 120, 600, 1800, 3600, 7200, 14400];
    for (wait, base) in waits.iter().zip(nominal) {
        let band = (base * 8 / 10)..=(base * 12 / 10);
        assert!(
            band.contains(wait),
            "waited {wait} s where {base} s ± 20 % was due"
        );
    }
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(
        mail_delivery::run_once(&app.state).await,
        0,
        "dead letters stay dead"
    );
}

#[tokio::test]
async fn a_malformed_address_is_dead_lettered_at_once_by_the_smtp_mailer() {
    let receiver = SmtpReceiver::start().await;
    let port = receiver.port.to_string();
    let app = spawn_app_with_options(
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &port),
            ("SMTP_TLS", "none"),
        ],
        TestOptions {
            configured_mailer: true,
            background_jobs: false,
        },
    )
    .await;
    let id = enqueue(&app, &verification("not an address", "t")).await;
    assert_eq!(mail_delivery::run_once(&app.state).await, 1);
    let dead = job(&app, id).await;
    assert_eq!(dead.status, JobStatus::Failed);
    assert_eq!(dead.attempts, 1);
    assert!(receiver.messages().is_empty());
}

#[tokio::test]
async fn mail_enqueued_before_a_restart_is_delivered_by_the_restarted_server() {
    let app = spawn_app_with_options(&[], driven()).await;
    let recipients = ["a@example.com", "b@example.com", "c@example.com"];
    for (i, to) in recipients.iter().enumerate() {
        enqueue(&app, &verification(to, &format!("token{i}"))).await;
    }
    assert!(app.mail.messages().is_empty());

    let app = app.restart_with(TestOptions::default()).await;
    for (i, to) in recipients.iter().enumerate() {
        let mail = app.mail.wait_for(to, WAIT).await;
        let mail = mail.unwrap_or_else(|| panic!("no mail to {to} after the restart"));
        assert_eq!(extract_token(&mail.text), Some(format!("token{i}")));
    }
    assert_eq!(app.mail.messages().len(), 3);
}

#[tokio::test]
async fn lettre_delivers_a_multipart_message_to_a_real_smtp_server() {
    let receiver = SmtpReceiver::start().await;
    let port = receiver.port.to_string();
    let app = spawn_app_with_options(
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &port),
            ("SMTP_TLS", "none"),
            ("EMAIL_FROM", "Janua <no-reply@id.example.com>"),
        ],
        TestOptions {
            configured_mailer: true,
            background_jobs: true,
        },
    )
    .await;
    assert_eq!(app.state.mailer.name(), "smtp");
    let id = enqueue(&app, &verification("ada@example.com", "smtp42")).await;

    let received = receiver.wait_for_message(WAIT).await.expect("a message");
    assert_eq!(received.from, "no-reply@id.example.com");
    assert_eq!(received.to, ["ada@example.com"]);
    let data = &received.data;
    assert!(
        data.contains("Subject: Verify your email address for Janua"),
        "{data}"
    );
    assert!(
        data.contains("From: Janua <no-reply@id.example.com>"),
        "{data}"
    );
    assert!(
        data.contains("To: \"Ada Lovelace\" <ada@example.com>"),
        "{data}"
    );
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/html; charset=utf-8"),
        "{data}"
    );
    let decoded = decode_quoted_printable(data);
    assert!(
        decoded.contains("https://app.example.com/auth/verify-email?token=smtp42"),
        "{decoded}"
    );

    for _ in 0..50 {
        if job(&app, id).await.status == JobStatus::Succeeded {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job was not completed after delivery");
}

#[tokio::test]
async fn a_template_in_email_templates_dir_replaces_the_built_in_one() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("magic_link.txt"),
        "Subject: Sign in to {{ app_name }} (custom)\n\nYour link: {{ link }}\n",
    )
    .unwrap();
    std::fs::write(
        templates.path().join("magic_link.html"),
        "<p>Custom <a href=\"{{ link }}\">sign in</a> for {{ to }}</p>",
    )
    .unwrap();
    let dir = templates.path().to_str().unwrap();
    let app = spawn_app_with_options(
        &[("EMAIL_TEMPLATES_DIR", dir), ("APP_NAME", "Acme ID")],
        driven(),
    )
    .await;
    let outgoing = OutgoingMail::new(
        "bob@example.com",
        Mail::MagicLink {
            link: "https://app.example.com/magic?token=m1".to_owned(),
            expires_in_minutes: 15,
        },
    );
    enqueue(&app, &outgoing).await;
    assert_eq!(mail_delivery::run_once(&app.state).await, 1);
    let mail = app.mail.messages().pop().unwrap();
    assert_eq!(mail.subject, "Sign in to Acme ID (custom)");
    assert_eq!(
        mail.text,
        "Your link: https://app.example.com/magic?token=m1\n"
    );
    assert_eq!(
        mail.html,
        "<p>Custom <a href=\"https://app.example.com/magic?token=m1\">sign in</a> for bob@example.com</p>"
    );
}

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))).unwrap()
}

#[tokio::test]
async fn doctor_passes_mail_when_the_smtp_server_answers_ehlo() {
    let receiver = SmtpReceiver::start().await;
    let port = receiver.port.to_string();
    let check = mail_check(&config(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_TLS", "none"),
    ]))
    .await;
    assert_eq!(check.verdict, Verdict::Pass, "{}", check.message);
}

#[tokio::test]
async fn doctor_fails_mail_when_the_smtp_server_does_not_answer() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port().to_string();
    drop(unused);
    let check = mail_check(&config(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_TLS", "none"),
    ]))
    .await;
    assert_eq!(check.verdict, Verdict::Fail, "{}", check.message);
    assert!(check.message.contains("SMTP_HOST"), "{}", check.message);
}

#[tokio::test]
async fn doctor_warns_without_smtp_in_development_and_fails_in_production() {
    let dev = mail_check(&config(&[("ENVIRONMENT", "development")])).await;
    assert_eq!(dev.verdict, Verdict::Warn, "{}", dev.message);
    assert!(dev.message.contains("logged"));

    let production = mail_check(&config(&[
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", "Zq8v2LrT0pWn5sYb7cJh3kXe9uMa1dGf6QiR4oVt"),
        ("BASE_URL", "https://id.example.com"),
    ]))
    .await;
    assert_eq!(production.verdict, Verdict::Fail, "{}", production.message);
}
