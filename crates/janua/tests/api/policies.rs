//! Access policies: they decide before RBAC (deny wins a priority tie), can only take away from
//! an API key, and the evaluation endpoint explains a decision.

use serde_json::json;

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app};

#[tokio::test]
async fn policies_decide_before_roles_and_the_evaluation_endpoint_explains_why() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let viewer = app.new_user().await;
    let member = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("pol")).await;
    let org = org["id"].as_str().unwrap().to_owned();
    app.add_member(&owner.access_token, &org, &viewer.id, "viewer")
        .await;
    app.add_member(&owner.access_token, &org, &member.id, "member")
        .await;
    let (_, key) = app
        .create_api_key(&owner.access_token, &org, &["users:read"])
        .await;
    let as_owner = As::User(owner.access_token.clone());
    let members = format!("/api/v1/organizations/{org}/members");
    assert_eq!(
        app.call(
            "GET",
            &members,
            &As::User(viewer.access_token.clone()),
            None
        )
        .await
        .0,
        403
    );
    // Allow the viewer to read users.
    let (status, allow) = app
        .call(
            "POST",
            &format!("/api/v1/policies?organization_id={org}"),
            &as_owner,
            Some(
                &json!({"name": "viewer reads users", "effect": "allow", "priority": 10,
                           "target_type": "user", "target_id": viewer.id,
                           "resource_type": "users", "actions": ["read"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{allow}");
    assert_eq!(
        app.call(
            "GET",
            &members,
            &As::User(viewer.access_token.clone()),
            None
        )
        .await
        .0,
        200
    );
    // Deny reading users to the whole organization at the same priority: deny wins the tie.
    let (status, deny) = app
        .call(
            "POST",
            "/api/v1/rbac/policies",
            &as_owner,
            Some(
                &json!({"organization_id": org, "name": "nobody reads users", "effect": "deny",
                           "priority": 10, "target_type": "organization", "target_id": org,
                           "resource_type": "users", "actions": ["read"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{deny}");
    for who in [
        As::User(viewer.access_token.clone()),
        As::User(member.access_token.clone()),
        As::Key(key.clone()),
    ] {
        let (status, body) = app.call("GET", &members, &who, None).await;
        assert_eq!(
            (status, assert_error_shape(&body).as_str()),
            (403, "INSUFFICIENT_PERMISSIONS")
        );
    }
    let (status, evaluated) = app
        .call(
            "POST",
            "/api/v1/policies/evaluate",
            &As::User(member.access_token.clone()),
            Some(&json!({"organization_id": org, "resource_type": "users", "action": "read"})),
        )
        .await;
    assert_eq!(status, 200, "{evaluated}");
    assert_eq!(evaluated["allowed"], false);
    assert_eq!(evaluated["denied_by"], deny["id"]);
    assert_eq!(evaluated["matched_policies"].as_array().unwrap().len(), 1);
    // Disable the deny: roles decide again (the member reads users), and the evaluation says so.
    let deny_id = deny["id"].as_str().unwrap();
    let (status, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/policies/{deny_id}"),
            &as_owner,
            Some(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.call(
            "GET",
            &members,
            &As::User(member.access_token.clone()),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(app.call("GET", &members, &As::Key(key), None).await.0, 200);
    let (_, evaluated) = app
        .call(
            "POST",
            "/api/v1/policies/evaluate",
            &As::User(member.access_token.clone()),
            Some(&json!({"organization_id": org, "resource_type": "users", "action": "read"})),
        )
        .await;
    assert_eq!(
        (evaluated["allowed"].clone(), evaluated["reason"].clone()),
        (json!(true), json!("allowed_by_role"))
    );
    // Members may not write policies, nor ask about others; global policies are admin-only.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/policies",
            &As::User(member.access_token.clone()),
            Some(&json!({"organization_id": org, "name": "x", "effect": "allow"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (403, "INSUFFICIENT_PERMISSIONS")
    );
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/policies",
            &as_owner,
            Some(&json!({"name": "global", "effect": "allow"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call("POST", "/api/v1/policies/evaluate", &As::User(member.access_token.clone()),
              Some(&json!({"organization_id": org, "subject_id": owner.id, "resource_type": "org", "action": "delete"})))
        .await;
    assert_eq!(status, 403);
    for bad in [
        json!({"organization_id": org, "name": "x", "effect": "maybe"}),
        json!({"organization_id": org, "name": "x", "priority": 1001}),
        json!({"organization_id": org, "name": "x", "target_type": "user"}),
        json!({"organization_id": org, "name": "x", "conditions": [1]}),
        json!({"organization_id": org, "effect": "allow"}),
    ] {
        let (status, body) = app
            .call("POST", "/api/v1/policies", &as_owner, Some(&bad))
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}
