//! `/api/v1/sessions`: listing, inspecting and revoking one's own sessions, across instances.

use serde_json::{json, Value};

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, spawn_second_instance};

#[tokio::test]
async fn sessions_list_the_callers_live_sessions_with_device_info() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
    let signed_in = app
        .client
        .post(app.url("/api/v1/auth/signin"))
        .header("user-agent", iphone)
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let list: Value = app
        .get_auth("/api/v1/sessions", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(
        sessions.iter().filter(|s| s["is_current"] == true).count(),
        1
    );
    let phone = sessions
        .iter()
        .find(|s| s["device_type"] == "mobile")
        .expect("the iPhone session");
    assert_eq!(phone["os"], "iOS");
    assert_eq!(phone["browser"], "Safari");
    assert_eq!(phone["ip_address"], "127.0.0.1");
    assert_eq!(phone["revoked"], false);
}

#[tokio::test]
async fn another_users_session_is_not_found_and_bad_ids_are_invalid() {
    let app = spawn_app().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let bobs: Value = app
        .get_auth("/api/v1/sessions", &bob.access_token)
        .await
        .json()
        .await
        .unwrap();
    let bob_session = bobs["sessions"][0]["id"].as_str().unwrap();
    let foreign = app
        .get_auth(
            &format!("/api/v1/sessions/{bob_session}"),
            &alice.access_token,
        )
        .await;
    assert_eq!(foreign.status(), 404);
    let foreign = app
        .delete_auth(
            &format!("/api/v1/sessions/{bob_session}"),
            &alice.access_token,
        )
        .await;
    assert_eq!(foreign.status(), 404);
    let invalid = app
        .get_auth("/api/v1/sessions/not-a-uuid", &alice.access_token)
        .await;
    assert_eq!(invalid.status(), 400);
    assert_eq!(
        assert_error_shape(&invalid.json().await.unwrap()),
        "INVALID_ID"
    );
}

#[tokio::test]
async fn revoking_a_session_twice_says_it_is_already_revoked() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (other_access, _) = app.sign_in_tokens(&user).await;
    let list: Value = app
        .get_auth("/api/v1/sessions", &other_access)
        .await
        .json()
        .await
        .unwrap();
    let current = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .delete_auth(&format!("/api/v1/sessions/{current}"), &user.access_token)
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        revoked.json::<Value>().await.unwrap()["message"],
        "Session revoked successfully"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &other_access)
            .await
            .status(),
        401
    );
    let again = app
        .delete_auth(&format!("/api/v1/sessions/{current}"), &user.access_token)
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        assert_error_shape(&again.json().await.unwrap()),
        "SESSION_ALREADY_REVOKED"
    );
}

#[tokio::test]
async fn revoke_all_keeps_only_the_current_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (a, _) = app.sign_in_tokens(&user).await;
    let (b, _) = app.sign_in_tokens(&user).await;
    let response = app
        .delete_auth("/api/v1/sessions", &user.access_token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["revoked_count"], 2);
    assert_eq!(app.get_auth("/api/v1/auth/me", &a).await.status(), 401);
    assert_eq!(app.get_auth("/api/v1/auth/me", &b).await.status(), 401);
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn beyond_the_session_limit_the_oldest_session_is_revoked() {
    let app = spawn_app_with(&[("MAX_SESSIONS_PER_IDENTITY", "2")]).await;
    let user = app.new_user().await;
    app.clock.advance(chrono::Duration::seconds(1));
    let (second, _) = app.sign_in_tokens(&user).await;
    app.clock.advance(chrono::Duration::seconds(1));
    let (third, _) = app.sign_in_tokens(&user).await;
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401,
        "the oldest went"
    );
    assert_eq!(app.get_auth("/api/v1/auth/me", &second).await.status(), 200);
    assert_eq!(app.get_auth("/api/v1/auth/me", &third).await.status(), 200);
}

#[tokio::test]
async fn touching_a_session_slides_its_expiry_and_activity_and_alerts_answer() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let list: Value = app
        .get_auth("/api/v1/sessions", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    let id = list["sessions"][0]["id"].as_str().unwrap().to_owned();
    let before = list["sessions"][0]["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(chrono::Duration::minutes(5));
    let touched = app
        .post_json_auth(
            &format!("/api/v1/sessions/{id}/refresh"),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(touched.status(), 200);
    let session: Value = app
        .get_auth(&format!("/api/v1/sessions/{id}"), &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(session["expires_at"].as_str().unwrap() > before.as_str());
    let activity: Value = app
        .get_auth(
            "/api/v1/sessions/activity/recent?limit=5",
            &user.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(activity["total"].as_u64().unwrap() >= 1);
    let alerts = app
        .get_auth("/api/v1/sessions/security/alerts", &user.access_token)
        .await;
    assert_eq!(alerts.status(), 200);
    assert!(alerts.json::<Value>().await.unwrap()["alerts"].is_array());
}

#[tokio::test]
async fn a_sign_out_on_one_instance_is_honoured_by_another_at_once() {
    let first = spawn_app().await;
    let second = spawn_second_instance(&first, &[]).await;
    let user = first.new_user().await;
    assert_eq!(
        second
            .get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        200,
        "B accepts A's token"
    );
    let out = first
        .post_json_auth("/api/v1/auth/signout", &user.access_token, &json!({}))
        .await;
    assert_eq!(out.status(), 200);
    if first.backend.redis_url.is_none() {
        // Without a shared cache, an instance trusts a session it checked in the last second.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(
        second
            .get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401,
        "B rejects it after sign-out on A"
    );
}
