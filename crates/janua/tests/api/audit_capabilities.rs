//! Every capability's changes leave their audit entries (API.md §15): an organization's whole
//! lifecycle — settings, members, roles, invitations, API keys, deletion — is recorded in
//! order, each entry carrying the organization, and the org's admins read it back through
//! `/audit-logs?org_id=`.

use serde_json::{json, Value};

use crate::helpers::oauth::audit_actions;
use crate::helpers::orgs::{slug, As};
use crate::helpers::spawn_app;

fn ok(status: u16, body: &Value) {
    assert!((200..300).contains(&status), "{status} {body}");
}

#[tokio::test]
async fn an_organizations_lifecycle_is_recorded_action_by_action() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let member = app.new_user().await;
    let me = As::User(owner.access_token.clone());
    let org = app.create_org(&owner.access_token, &slug("aud")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = format!("/api/v1/organizations/{org}");
    let steps: Vec<(&str, String, Option<Value>)> = vec![
        ("PATCH", o.clone(), Some(json!({"name": "Renamed"}))),
        (
            "POST",
            format!("{o}/members/add"),
            Some(json!({"user_id": member.id, "role": "member"})),
        ),
        (
            "PATCH",
            format!("{o}/members/{}", member.id),
            Some(json!({"role": "admin"})),
        ),
        (
            "POST",
            format!("/api/v1/roles?organization_id={org}"),
            Some(json!({"name": "support", "permissions": ["users:read"]})),
        ),
        (
            "POST",
            format!("/api/v1/roles/assign?organization_id={org}"),
            Some(json!({"user_id": member.id, "role_name": "support"})),
        ),
    ];
    for (method, path, body) in &steps {
        let (status, answer) = app.call(method, path, &me, body.as_ref()).await;
        ok(status, &answer);
    }
    let (status, invitation) = app
        .call(
            "POST",
            "/api/v1/invitations",
            &me,
            Some(&json!({"organization_id": org, "email": "guest@example.com", "role": "member"})),
        )
        .await;
    ok(status, &invitation);
    let invitation = invitation["id"].as_str().unwrap().to_owned();
    let (status, answer) = app
        .call(
            "DELETE",
            &format!("/api/v1/invitations/{invitation}"),
            &me,
            None,
        )
        .await;
    ok(status, &answer);
    let (key, _) = app
        .create_api_key(&owner.access_token, &org, &["org:read"])
        .await;
    for (method, path) in [
        ("POST", format!("/api/v1/api-keys/{key}/rotate")),
        ("DELETE", format!("/api/v1/api-keys/{key}")),
        ("DELETE", format!("{o}/members/{}", member.id)),
    ] {
        let (status, answer) = app.call(method, &path, &me, None).await;
        ok(status, &answer);
    }

    // The organization's admins read its entries (the owner here), newest first.
    let (status, page) = app
        .call(
            "GET",
            &format!("/api/v1/audit-logs?org_id={org}&limit=100"),
            &me,
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut read: Vec<String> = page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["org_id"], org.as_str(), "{e}");
            e["action"].as_str().unwrap().to_owned()
        })
        .collect();
    read.reverse();
    let expected = [
        "organization.created",
        "organization.updated",
        "organization.member_added",
        "organization.member_role_changed",
        "role.created",
        "role.assigned",
        "invitation.created",
        "invitation.revoked",
        "api_key.created",
        "api_key.rotated",
        "api_key.revoked",
        "organization.member_removed",
    ];
    assert_eq!(read, expected);

    let (status, answer) = app.call("DELETE", &o, &me, None).await;
    ok(status, &answer);
    let all = audit_actions(&app).await;
    assert_eq!(all.last().map(String::as_str), Some("organization.deleted"));
}
