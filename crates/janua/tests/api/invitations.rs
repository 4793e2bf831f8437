//! Invitations by email, end to end through the captured mail: invite, read the mail, accept
//! (signing up, signed in, or with an existing account's password); revoke, resend, expiry.

use std::time::Duration;

use janua::mail::capture::extract_token;
use serde_json::json;

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app, TestApp};

const WAIT: Duration = Duration::from_secs(10);

/// Waits for the invitation mail to `to` (sign-up verification mails are skipped) and returns
/// (subject, token); clears the outbox.
async fn mailed_token(app: &TestApp, to: &str) -> (String, String) {
    let deadline = std::time::Instant::now() + WAIT;
    let mail = loop {
        if let Some(mail) = app
            .mail
            .messages_to(to)
            .into_iter()
            .find(|m| m.subject.contains("invited you"))
        {
            break mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no invitation mail to {to}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    app.mail.clear();
    let token = extract_token(&mail.text).expect("a token in the invitation");
    (mail.subject, token)
}

async fn org_with_owner(app: &TestApp) -> (String, String, String) {
    let owner = app.new_user().await;
    let s = slug("inv");
    let org = app.create_org(&owner.access_token, &s).await;
    (
        owner.access_token,
        org["id"].as_str().unwrap().to_owned(),
        org["name"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_invitee_without_an_account_signs_up_through_the_mailed_link() {
    let app = spawn_app().await;
    let (owner, org, name) = org_with_owner(&app).await;
    let email = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, invitation) = app
        .call("POST", "/api/v1/invitations", &As::User(owner.clone()),
              Some(&json!({"organization_id": org, "email": email, "role": "admin", "message": "Welcome aboard"})))
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["email_sent"], true);
    let (subject, token) = mailed_token(&app, &email).await;
    assert!(subject.contains(&name), "{subject}");
    assert!(invitation["invite_url"].as_str().unwrap().ends_with(&token));
    let (status, valid) = app
        .call(
            "GET",
            &format!("/api/v1/invitations/validate/{token}"),
            &As::Anonymous,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(valid["organization_name"], name.as_str());
    assert_eq!(valid["role"], "admin");
    // Sign-up needs an acceptable password.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(&json!({"token": token, "password": "weak"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "WEAK_PASSWORD")
    );
    let (status, accepted) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(
                &json!({"token": token, "password": "Invited-Password-42", "name": "Grace Hopper"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["is_new_user"], true);
    assert_eq!(accepted["organization_id"], org.as_str());
    // The new account signs in and is an admin of the organization.
    let response = app.sign_in(&email, "Invited-Password-42").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email_verified"], true);
    assert_eq!(body["user"]["first_name"], "Grace");
    let token_b = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, orgs) = app
        .call("GET", "/api/v1/organizations", &As::User(token_b), None)
        .await;
    assert_eq!(orgs["organizations"][0]["role"], "admin");
    // The link works once.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(&json!({"token": token, "password": "Invited-Password-42"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_TOKEN")
    );
    let (_, list) = app
        .call(
            "GET",
            &format!("/api/v1/invitations?organization_id={org}"),
            &As::User(owner),
            None,
        )
        .await;
    assert_eq!(list["accepted_count"], 1);
}

#[tokio::test]
async fn a_signed_in_invitee_accepts_only_an_invitation_to_their_own_email() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_owner(&app).await;
    let invitee = app.new_user().await;
    let other = app.new_user().await;
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/organizations/{org}/invite"),
            &As::User(owner.clone()),
            Some(&json!({"email": invitee.email})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, token) = mailed_token(&app, &invitee.email).await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::User(other.access_token.clone()),
            Some(&json!({"token": token})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (403, "FORBIDDEN")
    );
    // Without a session an existing account proves its password.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(&json!({"token": token, "password": "Wrong-Password-123"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_CREDENTIALS")
    );
    let (status, accepted) = app
        .call(
            "POST",
            &format!("/api/v1/organizations/invitations/{token}/accept"),
            &As::User(invitee.access_token.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["is_new_user"], false);
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/organizations/{org}"),
            &As::User(invitee.access_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // Inviting a member again is a conflict.
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/v1/organizations/{org}/invite"),
            &As::User(owner),
            Some(&json!({"email": invitee.email})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (409, "CONFLICT")
    );
}

#[tokio::test]
async fn revoked_resent_and_expired_invitations_stop_old_links() {
    let app = spawn_app().await;
    let owner_user = app.new_user().await;
    let org = app.create_org(&owner_user.access_token, &slug("exp")).await;
    let org = org["id"].as_str().unwrap().to_owned();
    let as_owner = As::User(owner_user.access_token.clone());
    let invite = |email: &'static str| json!({"organization_id": org, "email": email});
    let (_, first) = app
        .call(
            "POST",
            "/api/v1/invitations",
            &as_owner,
            Some(&invite("one@example.com")),
        )
        .await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations",
            &as_owner,
            Some(&invite("one@example.com")),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (409, "CONFLICT")
    );
    let (_, old) = mailed_token(&app, "one@example.com").await;
    let id = first["id"].as_str().unwrap();
    let (status, resent) = app
        .call(
            "POST",
            &format!("/api/v1/invitations/{id}/resend"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(status, 200, "{resent}");
    let (_, new) = mailed_token(&app, "one@example.com").await;
    assert_ne!(old, new);
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/invitations/validate/{old}"),
            &As::Anonymous,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/invitations/{id}"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/invitations/validate/{new}"),
            &As::Anonymous,
            None,
        )
        .await;
    assert_eq!(status, 404);
    // Expiry: seven days by default.
    app.call(
        "POST",
        "/api/v1/invitations",
        &as_owner,
        Some(&invite("two@example.com")),
    )
    .await;
    let (_, token) = mailed_token(&app, "two@example.com").await;
    app.clock
        .advance(chrono::Duration::days(7) + chrono::Duration::seconds(1));
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(&json!({"token": token, "password": "Invited-Password-42"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_TOKEN")
    );
    // A week later the owner's access token has long expired: sign in again.
    let (fresh, _) = app.sign_in_tokens(&owner_user).await;
    let as_owner = As::User(fresh);
    let (_, list) = app
        .call(
            "GET",
            &format!("/api/v1/invitations?organization_id={org}"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(list["expired_count"], 1);
    // An expired invitation does not block a new one.
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/invitations",
            &as_owner,
            Some(&invite("two@example.com")),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn bulk_invitations_report_each_address_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_owner(&app).await;
    let as_owner = As::User(owner);
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/bulk",
            &As::User(app.new_user().await.access_token),
            Some(&json!({"organization_id": org, "emails": ["x@example.com"]})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (403, "NOT_A_MEMBER")
    );
    let (status, result) = app
        .call("POST", "/api/v1/invitations/bulk", &as_owner, Some(&json!({"organization_id": org, "emails": ["a@example.com", "not-an-email", "b@example.com"]})))
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["total_sent"], 2);
    assert_eq!(result["total_failed"], 1);
    let many: Vec<String> = (0..101).map(|i| format!("u{i}@example.com")).collect();
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/invitations/bulk",
            &as_owner,
            Some(&json!({"organization_id": org, "emails": many})),
        )
        .await;
    assert_eq!(status, 422);
    for bad in [
        json!({"organization_id": org}),
        json!({"organization_id": org, "email": "x@example.com", "role": "emperor"}),
        json!({"organization_id": org, "email": "x@example.com", "expires_in": 31}),
        json!({"organization_id": org, "email": "x@example.com", "message": "m".repeat(501)}),
        json!({"email": "x@example.com"}),
    ] {
        let (status, body) = app
            .call("POST", "/api/v1/invitations", &as_owner, Some(&bad))
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_error_shape(&body);
    }
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/invitations/validate/unknown-token",
            &As::Anonymous,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            &As::Anonymous,
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
}
