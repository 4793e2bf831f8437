//! `/api/v1/users`: profile, deletion, admin list and suspension; admin bootstrap.

use serde_json::{json, Value};

use crate::helpers::accounts::PASSWORD;
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, TestApp};

const ADMIN_EMAIL: &str = "root@example.com";
const ADMIN_PASSWORD: &str = "Admin-Password-123";

async fn admin_app() -> (TestApp, String) {
    let app = spawn_app_with(&[
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
    ])
    .await;
    let body: Value = app
        .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["user"]["is_admin"], true, "{body}");
    assert_eq!(
        body["user"]["email_verified"], true,
        "the bootstrap admin is verified"
    );
    let token = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    (app, token)
}

async fn patch(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_profile_can_be_read_updated_and_cleared() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = patch(
        &app,
        &user.access_token,
        json!({"first_name": "Grace", "display_name": "Amazing Grace", "phone_number": "+14155550100", "timezone": "America/New_York", "user_metadata": {"theme": "dark"}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["first_name"], "Grace");
    assert_eq!(me["timezone"], "America/New_York");
    assert_eq!(me["user_metadata"]["theme"], "dark");
    assert_eq!(me["status"], "active");
    let cleared: Value = patch(&app, &user.access_token, json!({"first_name": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared["first_name"].is_null());
    assert_eq!(
        cleared["display_name"], "Amazing Grace",
        "absent fields are untouched"
    );
    let read: Value = app
        .get_auth("/api/v1/users/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["display_name"], "Amazing Grace");
}

#[tokio::test]
async fn invalid_profile_fields_are_a_422() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for body in [
        json!({"phone_number": "555-1234"}),
        json!({"timezone": "Not A Zone"}),
        json!({"first_name": "x".repeat(101)}),
        json!({"user_metadata": [1, 2]}),
        json!({"user_metadata": {"big": "x".repeat(17 * 1024)}}),
        json!({"first_name": 42}),
    ] {
        let response = patch(&app, &user.access_token, body.clone()).await;
        assert_eq!(response.status(), 422, "{body:.60}");
        assert_eq!(
            assert_error_shape(&response.json().await.unwrap()),
            "VALIDATION_ERROR"
        );
    }
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_frees_the_email() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let wrong = app
        .delete_auth("/api/v1/users/me?password=nope", &user.access_token)
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        assert_error_shape(&wrong.json().await.unwrap()),
        "INVALID_PASSWORD"
    );
    let deleted = app
        .delete_auth(
            &format!("/api/v1/users/me?password={PASSWORD}"),
            &user.access_token,
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status(), 401);
    assert_eq!(
        app.sign_up(&user.email, PASSWORD).await.status(),
        200,
        "the address can be used again"
    );
}

#[tokio::test]
async fn users_see_themselves_but_not_others_and_admins_see_everyone() {
    let (app, admin) = admin_app().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    assert_eq!(
        app.get_auth(&format!("/api/v1/users/{}", alice.id), &alice.access_token)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/users/{}", bob.id), &alice.access_token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/users/{}", bob.id), &admin)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_auth("/api/v1/users/nope", &admin).await.status(),
        400
    );
}

#[tokio::test]
async fn the_user_list_is_for_admins_with_search_status_and_pagination() {
    let (app, admin) = admin_app().await;
    let alice = app.new_user().await;
    for _ in 0..3 {
        app.new_user().await;
    }
    let refused = app.get_auth("/api/v1/users", &alice.access_token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        assert_error_shape(&refused.json().await.unwrap()),
        "FORBIDDEN"
    );
    let page: Value = app
        .get_auth("/api/v1/users?page=1&per_page=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["users"].as_array().unwrap().len(), 2);
    assert_eq!(page["per_page"], 2);
    let search = alice.email.split('@').next().unwrap();
    let found: Value = app
        .get_auth(&format!("/api/v1/users?search={search}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    let wildcard: Value = app
        .get_auth("/api/v1/users?search=%25", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wildcard["total"], 0, "LIKE wildcards are literal");
    let bad = app.get_auth("/api/v1/users?status=zombie", &admin).await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn suspension_revokes_access_and_reactivation_restores_sign_in() {
    let (app, admin) = admin_app().await;
    let user = app.new_user().await;
    let suspended = app
        .post_json_auth(
            &format!("/api/v1/users/{}/suspend", user.id),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(suspended.status(), 200);
    assert_eq!(
        suspended.json::<Value>().await.unwrap()["status"],
        "suspended"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401
    );
    let reactivated = app
        .post_json_auth(
            &format!("/api/v1/users/{}/reactivate", user.id),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(
        reactivated.json::<Value>().await.unwrap()["status"],
        "active"
    );
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status(), 200);
    let not_admin = app
        .post_json_auth(
            &format!("/api/v1/users/{}/suspend", user.id),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(
        not_admin.status(),
        401,
        "the old token died with the suspension"
    );
}

#[tokio::test]
async fn the_last_admin_cannot_delete_themselves() {
    let (app, admin) = admin_app().await;
    let response = app
        .delete_auth(
            &format!("/api/v1/users/me?password={ADMIN_PASSWORD}"),
            &admin,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        assert_error_shape(&response.json().await.unwrap()),
        "SOLE_ADMIN"
    );
}

#[tokio::test]
async fn bootstrap_creates_exactly_one_admin_across_restarts() {
    let (app, admin) = admin_app().await;
    let second = crate::helpers::spawn_second_instance(
        &app,
        &[
            ("ADMIN_EMAIL", "other@example.com"),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ],
    )
    .await;
    let list: Value = second
        .get_auth("/api/v1/users", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "no second admin once one exists: {list}");
}
