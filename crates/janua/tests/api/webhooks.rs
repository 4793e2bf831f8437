//! `/api/v1/webhooks` and delivery: signed deliveries to a local receiver verified with an
//! independent HMAC, retries on the §14 schedule (manual clock), dead-lettering and
//! redelivery, test deliveries, the SSRF guard at registration and at delivery, two instances
//! delivering each attempt once, CRUD, ownership and bad input.

use std::collections::HashMap;
use std::time::Duration;

use janua::jobs::webhook_delivery::run_once;
use serde_json::{json, Value};

use crate::helpers::assert_error_shape;
use crate::helpers::audit::{ADMIN_EMAIL, ADMIN_PASSWORD};
use crate::helpers::webhooks::{expected_signature, Receiver};
use crate::helpers::{spawn_app_with_options, spawn_second_instance, TestApp, TestOptions};

const WAIT: Duration = Duration::from_secs(15);

/// An app that may deliver to loopback, with an administrator; jobs only when `jobs`.
async fn app(jobs: bool, extra: &[(&str, &str)]) -> (TestApp, String) {
    let mut vars = vec![
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("RATE_LIMIT_SIGNIN", "1000/minute"),
        ("WEBHOOK_ALLOW_PRIVATE_URLS", "true"),
        ("WEBHOOK_POLL_INTERVAL_MS", "20"),
    ];
    vars.extend_from_slice(extra);
    let options = TestOptions {
        background_jobs: jobs,
        ..TestOptions::default()
    };
    let app = spawn_app_with_options(&vars, options).await;
    let admin = app.admin_token().await;
    // Endpoints get no backlog; moving past the bootstrap's events keeps the tests exact.
    app.clock.advance(chrono::Duration::seconds(1));
    (app, admin)
}

async fn create(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let r = app.post_json_auth("/api/v1/webhooks", token, &body).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Vec<Value> {
    let r = app
        .get_auth(&format!("/api/v1/webhooks/{endpoint}/deliveries"), token)
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

async fn rounds(app: &TestApp, n: usize) -> usize {
    let mut attempts = 0;
    for _ in 0..n {
        attempts += run_once(&app.state).await;
    }
    attempts
}

#[tokio::test]
async fn deliveries_are_signed_and_verify_with_an_independent_hmac() {
    let (app, admin) = app(false, &[]).await;
    let receiver = Receiver::start().await;
    let (status, endpoint) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["user.created"], "description": "ops", "headers": {"X-Team": "identity"}}),
    )
    .await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    let id = endpoint["id"].as_str().unwrap().to_owned();
    let user = app.new_user().await;
    assert_eq!(rounds(&app, 2).await, 1, "only user.created is subscribed");
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let delivery = &got[0];
    let timestamp = delivery.header("janua-webhook-timestamp");
    assert!(timestamp.parse::<i64>().is_ok());
    assert_eq!(
        delivery.header("janua-webhook-signature"),
        expected_signature(&secret, &timestamp, &delivery.body)
    );
    assert_ne!(
        delivery.header("janua-webhook-signature"),
        expected_signature("whsec_wrong", &timestamp, &delivery.body)
    );
    assert_eq!(delivery.header("x-team"), "identity");
    assert_eq!(delivery.header("content-type"), "application/json");
    let body = delivery.json();
    assert_eq!(body["type"], "user.created");
    assert_eq!(body["id"], delivery.header("janua-webhook-id"));
    assert_eq!(body["data"]["user_id"], user.id);
    assert_eq!(body["data"]["email"], user.email);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let log = deliveries(&app, &admin, &id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["status_code"], 200);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["event_id"], body["id"]);
    assert!(log[0]["latency_ms"].is_u64());
    assert!(log[0]["delivered_at"].is_string());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("janua_webhook_deliveries_total{result=\"success\"}"),
        "{metrics}"
    );
    janua::jobs::webhook_delivery::record_queue_gauges(&app.state).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("janua_webhook_queue_depth"));
    assert!(metrics.contains("janua_webhook_oldest_pending_seconds"));
    let stats: Value = app
        .get_auth(&format!("/api/v1/webhooks/{id}/stats"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total_deliveries"], 1);
    assert_eq!(stats["successful"], 1);
    assert_eq!(stats["success_rate"], 1.0);
    assert_eq!(stats["period_days"], 7);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_event_on_the_third_attempt_after_1_then_5_minutes() {
    let (app, admin) = app(false, &[]).await;
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500, 500]);
    let (_, endpoint) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["user.created"]}),
    )
    .await;
    let id = endpoint["id"].as_str().unwrap();
    app.new_user().await;
    assert_eq!(rounds(&app, 1).await, 1);
    let log = deliveries(&app, &admin, id).await;
    assert_eq!(log[0]["status"], "retrying");
    assert_eq!(log[0]["status_code"], 500);
    assert!(log[0]["next_retry_at"].is_string());
    // Not due yet: the first retry waits 1 minute (± 20 %).
    app.clock.advance(chrono::Duration::seconds(40));
    assert_eq!(rounds(&app, 1).await, 0);
    app.clock.advance(chrono::Duration::seconds(40));
    assert_eq!(rounds(&app, 1).await, 1);
    app.clock.advance(chrono::Duration::minutes(3));
    assert_eq!(
        rounds(&app, 1).await,
        0,
        "the second retry waits about 5 minutes"
    );
    app.clock.advance(chrono::Duration::minutes(4));
    assert_eq!(rounds(&app, 1).await, 1);
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    let ids: Vec<String> = got.iter().map(|r| r.header("janua-webhook-id")).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "the event id is stable across retries"
    );
    let log = deliveries(&app, &admin, id).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempt"], 3);
    assert!(log[0]["next_retry_at"].is_null());
}

#[tokio::test]
async fn the_last_failed_attempt_dead_letters_and_redelivery_sends_it_again() {
    let (app, admin) = app(false, &[("WEBHOOK_RETRY_DELAYS", "60,60")]).await;
    let receiver = Receiver::start().await;
    receiver.respond_with(&[503, 503, 503]);
    let (_, endpoint) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["user.created"]}),
    )
    .await;
    let id = endpoint["id"].as_str().unwrap();
    let user = app.new_user().await;
    let _ = user;
    for _ in 0..4 {
        rounds(&app, 1).await;
        app.clock.advance(chrono::Duration::minutes(2));
    }
    let log = deliveries(&app, &admin, id).await;
    let created = log
        .iter()
        .find(|d| d["event_type"] == "user.created")
        .unwrap();
    assert_eq!(created["status"], "failed");
    assert_eq!(created["attempt"], 3);
    let before = receiver.received().len();
    rounds(&app, 2).await;
    assert_eq!(
        receiver.received().len(),
        before,
        "nothing after the dead letter"
    );
    let delivery_id = created["id"].as_str().unwrap();
    let admin = app.admin_token().await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "pending");
    rounds(&app, 1).await;
    let again = receiver.received();
    let last = again.last().unwrap();
    assert_eq!(last.json()["type"], "user.created");
    assert_eq!(last.json()["id"], created["event_id"]);
    let log = deliveries(&app, &admin, id).await;
    let created = log.iter().find(|d| d["id"] == delivery_id).unwrap();
    assert_eq!(created["status"], "delivered");
}

#[tokio::test]
async fn a_test_delivery_reports_the_receivers_answer() {
    let (app, admin) = app(false, &[]).await;
    let receiver = Receiver::start().await;
    let (_, endpoint) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["user.created"]}),
    )
    .await;
    let id = endpoint["id"].as_str().unwrap();
    let secret = endpoint["secret"].as_str().unwrap();
    let r = app
        .post_json_auth(&format!("/api/v1/webhooks/{id}/test"), &admin, &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["status_code"], 200);
    assert!(result["duration_ms"].is_u64());
    assert!(result["error"].is_null());
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["type"], "webhook.test");
    let ts = got[0].header("janua-webhook-timestamp");
    assert_eq!(
        got[0].header("janua-webhook-signature"),
        expected_signature(secret, &ts, &got[0].body)
    );
    receiver.respond_with(&[500]);
    let failed: Value = app
        .post_json_auth(&format!("/api/v1/webhooks/{id}/test"), &admin, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["success"], false);
    assert_eq!(failed["status_code"], 500);
    // Tests are never retried or fanned out to other endpoints.
    app.clock.advance(chrono::Duration::hours(2));
    rounds(&app, 2).await;
    assert_eq!(receiver.received().len(), 2);
    let admin = app.admin_token().await;
    let log = deliveries(&app, &admin, id).await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().any(|d| d["status"] == "failed"));
}

#[tokio::test]
async fn private_targets_are_refused_at_registration_by_default() {
    let app = crate::helpers::spawn_app().await;
    let user = app.new_user().await;
    for url in [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://localhost:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/",
    ] {
        let (status, body) = create(
            &app,
            &user.access_token,
            json!({"url": url, "events": ["*"]}),
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(assert_error_shape(&body), "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"][0]["field"], "url", "{body}");
    }
}

#[tokio::test]
async fn private_targets_are_refused_again_at_delivery_after_resolution() {
    // Default configuration: the guard is on. The endpoints are written past the API (as if the
    // checks had passed at registration and DNS changed since); nothing is ever sent to them.
    let options = TestOptions {
        background_jobs: false,
        ..TestOptions::default()
    };
    let app = spawn_app_with_options(&[], options).await;
    let store = app.state.store.clone();
    let now = janua_core::clock::Clock::now(app.clock.as_ref());
    let targets = [
        "http://localhost:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest",
        "http://[::1]:9/hook",
        "http://127.0.0.1:9/hook",
    ];
    for url in targets {
        let id = uuid::Uuid::now_v7();
        let endpoint = janua_core::webhooks::Endpoint {
            id,
            owner: janua_core::webhooks::EndpointOwner::Platform,
            url: url.to_owned(),
            secret_sealed: app
                .state
                .webhooks
                .sealer
                .seal(b"whsec_test", id.as_bytes())
                .unwrap(),
            events: vec!["*".into()],
            headers: Default::default(),
            description: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        store.create_webhook_endpoint(&endpoint, &[]).await.unwrap();
    }
    app.new_user().await;
    assert!(run_once(&app.state).await >= targets.len());
    let endpoints = store
        .list_webhook_endpoints(&Default::default())
        .await
        .unwrap();
    for endpoint in endpoints {
        let log = store
            .list_webhook_deliveries(endpoint.id, 10)
            .await
            .unwrap();
        assert!(!log.is_empty());
        for d in log {
            assert_eq!(d.status.as_str(), "retrying", "{}", endpoint.url);
            assert_eq!(d.response_status, None, "{}", endpoint.url);
            let error = d.error.unwrap_or_default();
            assert!(error.contains("refused"), "{}: {error}", endpoint.url);
        }
    }
}

#[tokio::test]
async fn two_instances_deliver_each_event_exactly_once() {
    let (first, admin) = app(true, &[]).await;
    let second = spawn_second_instance(
        &first,
        &[
            ("WEBHOOK_ALLOW_PRIVATE_URLS", "true"),
            ("WEBHOOK_POLL_INTERVAL_MS", "20"),
        ],
    )
    .await;
    // The same moment on both instances' clocks (the first moved past its bootstrap).
    second.clock.advance(chrono::Duration::seconds(1));
    let receiver = Receiver::start().await;
    create(
        &first,
        &admin,
        json!({"url": receiver.url, "events": ["user.created"]}),
    )
    .await;
    let count = 24;
    for i in 0..count {
        if i % 2 == 0 {
            first.new_user().await;
        } else {
            second.new_user().await;
        }
    }
    receiver.wait_for(count, WAIT).await;
    // Give both workers time to (wrongly) send anything twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *seen.entry(r.header("janua-webhook-id")).or_default() += 1;
    }
    assert_eq!(seen.len(), count);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
}

#[tokio::test]
async fn endpoints_are_managed_by_their_owner_and_secrets_shown_once() {
    let (app, admin) = app(false, &[]).await;
    let receiver = Receiver::start().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let (status, created) = create(
        &app,
        &alice.access_token,
        json!({"url": receiver.url, "events": ["*"]}),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["organization_id"].is_null());
    let fetched: Value = app
        .get_auth(&format!("/api/v1/webhooks/{id}"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(fetched.get("secret").is_none());
    assert_eq!(fetched["url"], receiver.url);
    let list: Value = app
        .get_auth("/api/v1/webhooks", &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert!(list["endpoints"][0].get("secret").is_none());
    assert_eq!(
        app.get_auth(&format!("/api/v1/webhooks/{id}"), &bob.access_token)
            .await
            .status(),
        404
    );
    let bobs: Value = app
        .get_auth("/api/v1/webhooks", &bob.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs["total"], 0);
    let all: Value = app
        .get_auth("/api/v1/webhooks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 1);
    // A user's endpoint hears about that user only.
    app.sign_in(&bob.email, &bob.password).await;
    app.sign_in(&alice.email, &alice.password).await;
    rounds(&app, 2).await;
    let got = receiver.received();
    assert!(!got.is_empty());
    assert!(got
        .iter()
        .all(|r| r.json()["data"]["user_id"] == alice.id.as_str()));
    // Regenerated secret: shown once, and the next delivery is signed with it.
    let renewed: Value = app
        .post_json_auth(
            &format!("/api/v1/webhooks/{id}/regenerate-secret"),
            &alice.access_token,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = renewed["secret"].as_str().unwrap();
    assert_ne!(secret, created["secret"].as_str().unwrap());
    app.sign_in(&alice.email, &alice.password).await;
    rounds(&app, 1).await;
    let last = receiver.received().last().unwrap().clone();
    let ts = last.header("janua-webhook-timestamp");
    assert_eq!(
        last.header("janua-webhook-signature"),
        expected_signature(secret, &ts, &last.body)
    );
    // Update, deactivate, delete.
    let patched = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&alice.access_token)
        .json(&json!({"events": ["user.updated"], "is_active": false, "description": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["events"], json!(["user.updated"]));
    assert_eq!(patched["is_active"], false);
    let inactive: Value = app
        .get_auth("/api/v1/webhooks?is_active=false", &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inactive["total"], 1);
    assert_eq!(
        app.delete_auth(&format!("/api/v1/webhooks/{id}"), &bob.access_token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete_auth(&format!("/api/v1/webhooks/{id}"), &alice.access_token)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/webhooks/{id}"), &alice.access_token)
            .await
            .status(),
        404
    );
    // Managing endpoints is audited.
    let actions = app.audit_actions_about(&admin, &id).await;
    assert_eq!(
        actions,
        vec![
            "webhook.created",
            "webhook.secret_regenerated",
            "webhook.updated",
            "webhook.deleted"
        ]
    );
    // Organization endpoints need the organization's permission (platform admins have it).
    let org = uuid::Uuid::now_v7();
    let (status, _) = create(
        &app,
        &alice.access_token,
        json!({"url": receiver.url, "events": ["*"], "organization_id": org}),
    )
    .await;
    assert_eq!(status, 403);
    let types: Value = app
        .get_auth("/api/v1/webhooks/events/types", &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(types["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "user.signed_in" && e["description"].is_string()));
}

#[tokio::test]
async fn the_signature_checker_agrees_with_the_receiver_rule() {
    let (app, admin) = app(false, &[]).await;
    let payload = "{\"id\":\"1\"}";
    let signature = expected_signature("whsec_abc", "1700000000", payload.as_bytes());
    let check = |sig: String, ts: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .post_json_auth(
                    "/api/v1/webhooks/verify-signature",
                    &admin,
                    &json!({"secret": "whsec_abc", "payload": payload, "signature": sig, "timestamp": ts}),
                )
                .await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["valid"].clone()
        }
    };
    assert_eq!(check(signature.clone(), json!(1_700_000_000)).await, true);
    assert_eq!(check(signature.clone(), json!("1700000000")).await, true);
    assert_eq!(check(signature, json!(1_700_000_001)).await, false);
    let missing = app
        .post_json_auth("/api/v1/webhooks/verify-signature", &admin, &json!({}))
        .await;
    assert_eq!(missing.status(), 422);
}

#[tokio::test]
async fn bad_webhook_input_is_a_4xx_in_the_common_shape() {
    let (app, admin) = app(false, &[]).await;
    let receiver = Receiver::start().await;
    let long = "d".repeat(501);
    for body in [
        json!({}),
        json!({"url": receiver.url}),
        json!({"events": ["*"]}),
        json!({"url": receiver.url, "events": []}),
        json!({"url": receiver.url, "events": ["user.exploded"]}),
        json!({"url": "ftp://example.com/", "events": ["*"]}),
        json!({"url": "http://user:pw@example.com/", "events": ["*"]}),
        json!({"url": "not a url", "events": ["*"]}),
        json!({"url": receiver.url, "events": ["*"], "headers": {"Host": "evil"}}),
        json!({"url": receiver.url, "events": ["*"], "headers": {"Janua-Webhook-Signature": "x"}}),
        json!({"url": receiver.url, "events": ["*"], "headers": {"X-Bad": "a\nb"}}),
        json!({"url": receiver.url, "events": ["*"], "description": long}),
        json!({"url": receiver.url, "events": ["*"], "organization_id": "nope"}),
    ] {
        let (status, response) = create(&app, &admin, body.clone()).await;
        assert_eq!(status, 422, "{body}: {response}");
        assert_eq!(assert_error_shape(&response), "VALIDATION_ERROR");
    }
    for body in [
        json!({"url": 5, "events": ["*"]}),
        json!({"url": receiver.url, "events": "*"}),
    ] {
        let (status, response) = create(&app, &admin, body.clone()).await;
        assert!((400..500).contains(&status), "{body}");
        assert_error_shape(&response);
    }
    let raw = app
        .client
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"url\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(
        app.get_auth("/api/v1/webhooks/nope", &admin).await.status(),
        400
    );
    let missing = uuid::Uuid::now_v7();
    assert_eq!(
        app.get_auth(&format!("/api/v1/webhooks/{missing}"), &admin)
            .await
            .status(),
        404
    );
    let (_, endpoint) = create(&app, &admin, json!({"url": receiver.url, "events": ["*"]})).await;
    let id = endpoint["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/webhooks/{id}/stats?days=0"),
        format!("/api/v1/webhooks/{id}/stats?days=x"),
        "/api/v1/webhooks?is_active=maybe".to_owned(),
    ] {
        let r = app.get_auth(&path, &admin).await;
        assert_eq!(r.status(), 422, "{path}");
    }
    let r = app
        .post_json_auth(
            &format!("/api/v1/webhooks/{id}/deliveries/{missing}/redeliver"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.get("/api/v1/webhooks").await.status(), 401);
}
