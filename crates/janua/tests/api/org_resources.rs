//! Resources that may belong to an organization — its audit entries, its webhook endpoints,
//! its OAuth clients — follow the organization's roles through the one RBAC check: an org
//! `admin` (who holds `audit:read`, `webhooks:*`, `integrations:*`) may read and manage them,
//! a plain `member` and an outsider may not.

use serde_json::{json, Value};

use crate::helpers::oauth::REDIRECT_URI;
use crate::helpers::orgs::{slug, As};
use crate::helpers::{spawn_app_with, TestApp};

struct Cast {
    org: String,
    admin: String,
    member: String,
    outsider: String,
}

/// An organization with an owner, an `admin` and a `member`, and a user outside it.
async fn cast(app: &TestApp) -> Cast {
    let owner = app.new_user().await;
    let admin = app.new_user().await;
    let member = app.new_user().await;
    let outsider = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("res")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.add_member(&owner.access_token, &org, &admin.id, "admin")
        .await;
    app.add_member(&owner.access_token, &org, &member.id, "member")
        .await;
    Cast {
        org,
        admin: admin.access_token,
        member: member.access_token,
        outsider: outsider.access_token,
    }
}

fn user(token: &str) -> As {
    As::User(token.to_owned())
}

#[tokio::test]
async fn org_admins_read_the_organizations_audit_entries_and_members_do_not() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "1000/minute")]).await;
    let c = cast(&app).await;
    let path = format!("/api/v1/audit-logs?org_id={}", c.org);
    let (status, body) = app.call("GET", &path, &user(&c.admin), None).await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<&str> = body["logs"]
        .as_array()
        .expect("a list of entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"organization.member_added"),
        "{actions:?}"
    );
    for who in [&c.member, &c.outsider] {
        let (status, body) = app.call("GET", &path, &user(who), None).await;
        assert_eq!(status, 403, "{body}");
    }
}

#[tokio::test]
async fn org_admins_manage_the_organizations_webhooks_and_members_do_not() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_SIGNIN", "1000/minute"),
        ("WEBHOOK_ALLOW_PRIVATE_URLS", "true"),
    ])
    .await;
    let c = cast(&app).await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["*"], "organization_id": c.org});
    for who in [&c.member, &c.outsider] {
        let (status, answer) = app
            .call("POST", "/api/v1/webhooks", &user(who), Some(&body))
            .await;
        assert_eq!(status, 403, "{answer}");
    }
    let (status, created) = app
        .call("POST", "/api/v1/webhooks", &user(&c.admin), Some(&body))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["organization_id"], c.org.as_str());
    let id = created["id"].as_str().unwrap().to_owned();

    let list = format!("/api/v1/webhooks?organization_id={}", c.org);
    let (status, listed) = app.call("GET", &list, &user(&c.admin), None).await;
    assert_eq!(status, 200, "{listed}");
    assert!(listed.to_string().contains(&id));
    for who in [&c.member, &c.outsider] {
        let (status, _) = app.call("GET", &list, &user(who), None).await;
        assert_eq!(status, 403);
        let (status, _) = app
            .call(
                "DELETE",
                &format!("/api/v1/webhooks/{id}"),
                &user(who),
                None,
            )
            .await;
        // Someone who may not manage an endpoint is not told it exists.
        assert_eq!(status, 404);
    }
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            &user(&c.admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn org_admins_manage_the_organizations_oauth_clients_and_members_do_not() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "1000/minute")]).await;
    let c = cast(&app).await;
    let body = json!({
        "name": format!("Org client {}", slug("c")),
        "redirect_uris": [REDIRECT_URI],
        "organization_id": c.org,
    });
    for who in [&c.member, &c.outsider] {
        let (status, answer) = app
            .call("POST", "/api/v1/oauth/clients", &user(who), Some(&body))
            .await;
        assert_eq!(status, 403, "{answer}");
    }
    // One org admin creates it; another (not its creator) may read, list and change it.
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/oauth/clients",
            &user(&c.admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let second_admin = promote_second_admin(&app, &c).await;
    let path = format!("/api/v1/oauth/clients/{id}");
    let (status, got) = app.call("GET", &path, &user(&second_admin), None).await;
    assert_eq!(status, 200, "{got}");
    let (status, changed) = app
        .call(
            "PATCH",
            &path,
            &user(&second_admin),
            Some(&json!({"description": "managed by the org"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (status, listed) = app
        .call(
            "GET",
            &format!("/api/v1/oauth/clients?organization_id={}", c.org),
            &user(&second_admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    assert!(listed.to_string().contains(&id), "{listed}");
    // Members and outsiders neither see nor change it.
    for who in [&c.member, &c.outsider] {
        let (status, _) = app.call("GET", &path, &user(who), None).await;
        assert_eq!(status, 403);
        let (status, _) = app
            .call(
                "PATCH",
                &path,
                &user(who),
                Some(&json!({"description": "x"})),
            )
            .await;
        assert_eq!(status, 403);
        let (_, listed) = app
            .call(
                "GET",
                &format!("/api/v1/oauth/clients?organization_id={}", c.org),
                &user(who),
                None,
            )
            .await;
        assert!(!listed.to_string().contains(&id), "{listed}");
    }
}

/// A second `admin` of the organization, so "may manage" is not just "created it".
async fn promote_second_admin(app: &TestApp, c: &Cast) -> String {
    let other = app.new_user().await;
    let (status, body): (u16, Value) = app
        .call(
            "POST",
            &format!("/api/v1/organizations/{}/members/add", c.org),
            &user(&c.admin),
            Some(&json!({"user_id": other.id, "role": "admin"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    other.access_token
}
