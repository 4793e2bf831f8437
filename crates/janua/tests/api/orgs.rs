//! Organizations and members: creation (the caller is owner), slugs, settings and the
//! require-MFA policy, member roles, the last-owner rule, leaving, ownership transfer, and the
//! organization claims of tokens.

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app, TestApp};
use crate::mfa;

const O: &str = "/api/v1/organizations";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn error_code(
    app: &TestApp,
    method: &str,
    path: &str,
    who: &As,
    body: Option<Value>,
) -> (u16, String) {
    let (status, body) = app.call(method, path, who, body.as_ref()).await;
    (status, assert_error_shape(&body))
}

#[tokio::test]
async fn the_creator_becomes_owner_and_sees_the_organization_in_their_list() {
    let app = spawn_app().await;
    let ada = app.new_user().await;
    let s = slug("acme");
    let org = app.create_org(&ada.access_token, &s).await;
    assert_eq!(org["slug"], s.as_str());
    assert_eq!(org["member_count"], 1);
    assert_eq!(org["owner_email"], ada.email.as_str());
    let me = As::User(ada.access_token.clone());
    let (status, list) = app.call("GET", O, &me, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["organizations"][0]["role"], "owner");
    let (status, by_slug) = app.call("GET", &format!("{O}/slug/{s}"), &me, None).await;
    assert_eq!(status, 200, "{by_slug}");
    assert_eq!(by_slug["owner"]["id"], ada.id.as_str());
    assert_eq!(by_slug["id"], org["id"]);
}

#[tokio::test]
async fn slugs_are_unique_and_validated() {
    let app = spawn_app().await;
    let ada = app.new_user().await;
    let me = As::User(ada.access_token.clone());
    let s = slug("dup");
    app.create_org(&ada.access_token, &s).await;
    let (status, code) = error_code(
        &app,
        "POST",
        O,
        &me,
        Some(json!({"name": "Again", "slug": s})),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "SLUG_TAKEN"));
    for bad in [
        json!({"name": "X", "slug": "Upper"}),
        json!({"name": "X", "slug": "a b"}),
        json!({"name": "X"}),
        json!({"slug": "no-name"}),
        json!({"name": "x".repeat(201), "slug": "long-name"}),
        json!({"name": "X", "slug": "ok-slug", "billing_email": "not-an-email"}),
        json!({"name": 5, "slug": "typed"}),
    ] {
        let (status, body) = app.call("POST", O, &me, Some(&bad)).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
        assert_error_shape(&body);
    }
    let (status, body) = app.call("GET", &format!("{O}/not-a-uuid"), &me, None).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_ID")
    );
    let response = app
        .client
        .post(app.url(O))
        .bearer_auth(&ada.access_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn roles_are_granted_only_up_to_ones_own_and_the_last_owner_cannot_leave() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let admin = app.new_user().await;
    let member = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("roles")).await;
    let org = org["id"].as_str().unwrap();
    app.add_member(&owner.access_token, org, &admin.id, "admin")
        .await;
    let as_admin = As::User(admin.access_token.clone());
    // An admin may add members and admins, never owners.
    let (status, code) = error_code(
        &app,
        "POST",
        &format!("{O}/{org}/members/add"),
        &as_admin,
        Some(json!({"user_id": member.id, "role": "owner"})),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "INSUFFICIENT_PERMISSIONS"));
    let (status, _) = app
        .call(
            "POST",
            &format!("{O}/{org}/members/add"),
            &as_admin,
            Some(&json!({"user_id": member.id, "role": "member"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, code) = error_code(
        &app,
        "POST",
        &format!("{O}/{org}/members/add"),
        &as_admin,
        Some(json!({"user_id": member.id})),
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "CONFLICT"));
    // Nor demote the owner.
    let (status, code) = error_code(
        &app,
        "PATCH",
        &format!("{O}/{org}/members/{}/role", owner.id),
        &as_admin,
        Some(json!({"new_role": "member"})),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "INSUFFICIENT_PERMISSIONS"));
    // The only owner can neither leave nor step down.
    let as_owner = As::User(owner.access_token.clone());
    let (status, code) = error_code(
        &app,
        "DELETE",
        &format!("{O}/{org}/members/{}", owner.id),
        &as_owner,
        None,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "SOLE_ADMIN"));
    let (status, code) = error_code(
        &app,
        "PATCH",
        &format!("{O}/{org}/members/{}/role", owner.id),
        &as_owner,
        Some(json!({"new_role": "admin"})),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "SOLE_ADMIN"));
    // A member leaves by removing themselves.
    let (status, body) = app
        .call(
            "DELETE",
            &format!("{O}/{org}/members/{}", member.id),
            &As::User(member.access_token.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, members) = app
        .call("GET", &format!("{O}/{org}/members"), &as_owner, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(members.as_array().unwrap().len(), 2);
    // Bad role names are field errors.
    let (status, code) = error_code(
        &app,
        "PATCH",
        &format!("{O}/{org}/members/{}/role", admin.id),
        &as_owner,
        Some(json!({"new_role": "god"})),
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"));
}

#[tokio::test]
async fn ownership_moves_to_a_member_and_the_old_owner_becomes_admin() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let heir = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("heir")).await;
    let org = org["id"].as_str().unwrap();
    let as_owner = As::User(owner.access_token.clone());
    let (status, code) = error_code(
        &app,
        "POST",
        &format!("{O}/{org}/transfer-ownership"),
        &as_owner,
        Some(json!({"new_owner_id": heir.id})),
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"));
    app.add_member(&owner.access_token, org, &heir.id, "member")
        .await;
    let (status, body) = app
        .call(
            "POST",
            &format!("{O}/{org}/transfer-ownership"),
            &as_owner,
            Some(&json!({"new_owner_id": heir.id})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["owner"]["id"], heir.id.as_str());
    let (_, members) = app
        .call("GET", &format!("{O}/{org}/members"), &as_owner, None)
        .await;
    let role_of = |id: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .unwrap()["role"]
            .clone()
    };
    assert_eq!(role_of(&heir.id), "owner");
    assert_eq!(role_of(&owner.id), "admin");
    // Now the former owner can leave: another owner remains.
    let (status, _) = app
        .call(
            "DELETE",
            &format!("{O}/{org}/members/{}", owner.id),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_organization_that_requires_mfa_refuses_sessions_without_a_second_factor() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("mfa")).await;
    let org = org["id"].as_str().unwrap();
    let (_, key) = app
        .create_api_key(&owner.access_token, org, &["org:read"])
        .await;
    let as_owner = As::User(owner.access_token.clone());
    let (status, body) = app
        .call(
            "PUT",
            &format!("{O}/{org}/settings"),
            &as_owner,
            Some(&json!({"require_mfa": "yes"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let (status, body) = app
        .call(
            "PUT",
            &format!("{O}/{org}/settings"),
            &as_owner,
            Some(&json!({"require_mfa": true, "theme": "dark"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["settings_data"]["theme"], "dark");
    let (status, code) = error_code(&app, "GET", &format!("{O}/{org}"), &as_owner, None).await;
    assert_eq!((status, code.as_str()), (403, "MFA_REQUIRED"));
    // API keys are not interactive sessions: the policy does not apply to them.
    let (status, body) = app
        .call("GET", &format!("{O}/{org}"), &As::Key(key), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["require_mfa"], true);
}

#[tokio::test]
async fn signing_in_with_an_organization_puts_its_claims_in_the_token() {
    let app = spawn_app().await;
    let ada = app.new_user().await;
    let org = app.create_org(&ada.access_token, &slug("claims")).await;
    let org = org["id"].as_str().unwrap();
    let response = app
        .post_json(
            "/api/v1/auth/signin",
            &json!({"email": ada.email, "password": ada.password, "organization_id": org}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let access = body["tokens"]["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["org_id"], org);
    assert_eq!(c["org_role"], "owner");
    assert_eq!(c["roles"], json!(["owner"]));
    // The selection sticks to the session across refreshes.
    let refresh = body["tokens"]["refresh_token"].as_str().unwrap();
    let response = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["org_id"],
        org
    );
    // Without a selection, the roles of every membership.
    let (plain, _) = app.sign_in_tokens(&ada).await;
    let c = claims(&plain);
    assert!(c.get("org_id").is_none());
    assert_eq!(c["roles"], json!(["owner"]));
    // A foreign organization is refused.
    let stranger = app.new_user().await;
    let response = app
        .post_json("/api/v1/auth/signin", &json!({"email": stranger.email, "password": stranger.password, "organization_id": org}))
        .await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "NOT_A_MEMBER");
    let response = app
        .post_json("/api/v1/auth/signin", &json!({"email": stranger.email, "password": stranger.password, "organization_id": "nope"}))
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn custom_roles_add_permissions_to_a_members_base_role() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let viewer = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("custom")).await;
    let org = org["id"].as_str().unwrap();
    app.add_member(&owner.access_token, org, &viewer.id, "viewer")
        .await;
    let as_owner = As::User(owner.access_token.clone());
    let as_viewer = As::User(viewer.access_token.clone());
    let (status, _) = app
        .call("GET", &format!("{O}/{org}/members"), &as_viewer, None)
        .await;
    assert_eq!(status, 403);
    let (status, role) = app
        .call(
            "POST",
            &format!("/api/v1/roles?organization_id={org}"),
            &as_owner,
            Some(&json!({"name": "support", "permissions": ["users:read"]})),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let (status, code) = error_code(
        &app,
        "POST",
        &format!("/api/v1/roles?organization_id={org}"),
        &as_owner,
        Some(json!({"name": "owner", "permissions": []})),
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"));
    let (status, code) = error_code(
        &app,
        "POST",
        &format!("/api/v1/roles?organization_id={org}"),
        &as_owner,
        Some(json!({"name": "x", "permissions": ["fly:away"]})),
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"));
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/roles/assign?organization_id={org}"),
            &as_owner,
            Some(&json!({"user_id": viewer.id, "role_name": "support"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call("GET", &format!("{O}/{org}/members"), &as_viewer, None)
        .await;
    assert_eq!(status, 200);
    let (status, check) = app
        .call(
            "POST",
            "/api/v1/rbac/check-permission",
            &as_viewer,
            Some(&json!({"permission": "users:read", "organization_id": org})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(check["has_permission"], true);
    let (_, check) = app
        .call(
            "POST",
            "/api/v1/rbac/check-permissions",
            &as_viewer,
            Some(&json!({"permissions": ["users:read", "users:remove"], "organization_id": org})),
        )
        .await;
    assert_eq!(
        check["permissions"],
        json!({"users:read": true, "users:remove": false})
    );
    let (status, code) = error_code(
        &app,
        "POST",
        "/api/v1/rbac/enforce",
        &as_viewer,
        Some(json!({"permission": "users:remove", "organization_id": org})),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "INSUFFICIENT_PERMISSIONS"));
    let (_, mine) = app
        .call(
            "GET",
            &format!("/api/v1/rbac/role?organization_id={org}"),
            &as_viewer,
            None,
        )
        .await;
    assert_eq!(mine["role"], "viewer");
    assert_eq!(mine["role_level"], 0);
    let (status, catalogue) = app
        .call("GET", "/api/v1/roles/permissions", &as_viewer, None)
        .await;
    assert_eq!(status, 200);
    assert!(catalogue["permissions"].as_array().unwrap().len() >= 20);
    // Deleting the role takes its permissions away.
    let role_id = role["id"].as_str().unwrap();
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/roles/{role_id}"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call("GET", &format!("{O}/{org}/members"), &as_viewer, None)
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn deleting_an_organization_removes_it_for_every_member() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let admin = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("gone")).await;
    let org = org["id"].as_str().unwrap();
    app.add_member(&owner.access_token, org, &admin.id, "admin")
        .await;
    let (status, code) = error_code(
        &app,
        "DELETE",
        &format!("{O}/{org}"),
        &As::User(admin.access_token.clone()),
        None,
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "INSUFFICIENT_PERMISSIONS"));
    let (status, body) = app
        .call(
            "DELETE",
            &format!("{O}/{org}"),
            &As::User(owner.access_token.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    let (status, _) = app
        .call(
            "GET",
            &format!("{O}/{org}"),
            &As::User(admin.access_token.clone()),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

/// The organization's require-MFA policy with a real second factor: the owner's password-only
/// session is refused, a session completed with a TOTP code (and one opened by refreshing it)
/// is let in.
#[tokio::test]
async fn a_session_with_a_second_factor_meets_the_organizations_mfa_policy() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("mfa2")).await;
    let org = org["id"].as_str().unwrap();
    let (status, body) = app
        .call(
            "PUT",
            &format!("{O}/{org}/settings"),
            &As::User(owner.access_token.clone()),
            Some(&json!({"require_mfa": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (secret, _) = crate::mfa::enable_and_verify(&app, &owner).await;
    // The session from before MFA was turned on has no second factor.
    let (status, code) = error_code(
        &app,
        "GET",
        &format!("{O}/{org}"),
        &As::User(owner.access_token.clone()),
        None,
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "MFA_REQUIRED"));

    let token = crate::mfa::mfa_token(&app, &owner).await;
    let code = crate::mfa::code_at(&app, &secret, 0);
    let (status, signed_in) = crate::mfa::challenge(&app, &token, &code).await;
    assert_eq!(status, 200, "{signed_in}");
    let access = signed_in["tokens"]["access_token"].as_str().unwrap();
    let (status, body) = app
        .call(
            "GET",
            &format!("{O}/{org}"),
            &As::User(access.to_owned()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let refresh = signed_in["tokens"]["refresh_token"].as_str().unwrap();
    let response = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    let (status, body) = app
        .call(
            "GET",
            &format!("{O}/{org}"),
            &As::User(refreshed["access_token"].as_str().unwrap().to_owned()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_session_opened_by_the_mfa_step_carries_the_membership_roles() {
    let app = spawn_app().await;
    let ada = app.new_user().await;
    app.create_org(&ada.access_token, &slug("mfa-roles")).await;
    let (secret, _) = mfa::enable_and_verify(&app, &ada).await;
    // The next time step: the enrolment's code was used for this one.
    app.clock.advance(chrono::Duration::seconds(30));
    let token = mfa::mfa_token(&app, &ada).await;
    let (status, body) = mfa::challenge(&app, &token, &mfa::code_at(&app, &secret, 0)).await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["tokens"]["access_token"].as_str().unwrap());
    assert!(c.get("org_id").is_none());
    assert_eq!(c["roles"], json!(["owner"]));
}
