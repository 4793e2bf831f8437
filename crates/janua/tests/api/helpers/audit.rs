//! Helpers for the audit log: an app with a bootstrap administrator, and reading entries.

use serde_json::Value;

use super::{spawn_app_with, TestApp};

pub const ADMIN_EMAIL: &str = "root@example.com";
pub const ADMIN_PASSWORD: &str = "Admin-Password-123";

/// An app with a bootstrap administrator (plus `vars`), and the administrator's access token.
pub async fn admin_app(vars: &[(&str, &str)]) -> (TestApp, String) {
    let mut all = vec![
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("RATE_LIMIT_SIGNIN", "1000/minute"),
    ];
    all.extend_from_slice(vars);
    let app = spawn_app_with(&all).await;
    let token = app.admin_token().await;
    (app, token)
}

impl TestApp {
    pub async fn admin_token(&self) -> String {
        let body: Value = self
            .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        body["tokens"]["access_token"]
            .as_str()
            .expect("admin signs in")
            .to_owned()
    }

    /// Every entry `query` (a query string without `?`) matches, as `token` sees them.
    pub async fn audit_entries(&self, token: &str, query: &str) -> Vec<Value> {
        let response = self
            .get_auth(&format!("/api/v1/audit-logs?limit=1000&{query}"), token)
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["logs"].as_array().unwrap().clone()
    }

    /// The actions of the entries about `resource` (a target id), oldest first.
    pub async fn audit_actions_about(&self, token: &str, resource: &str) -> Vec<String> {
        let mut actions: Vec<String> = self
            .audit_entries(token, &format!("resource={resource}"))
            .await
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        actions.reverse();
        actions
    }
}
