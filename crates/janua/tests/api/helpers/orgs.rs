//! Typed helpers for organizations, members and API keys, and a request builder that speaks
//! as any caller (anonymous, a user's token, an API key).

use serde_json::{json, Value};

use super::TestApp;

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum As {
    Anonymous,
    User(String),
    /// `X-API-Key: <key>`.
    Key(String),
    /// `Authorization: Bearer <key>`.
    BearerKey(String),
}

impl TestApp {
    /// Sends `method path` as `who`, with an optional JSON body; returns (status, body).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: &As,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        request = match who {
            As::Anonymous => request,
            As::User(token) | As::BearerKey(token) => request.bearer_auth(token),
            As::Key(key) => request.header("X-API-Key", key),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request failed");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// Creates an organization as `token` (the caller becomes owner) and returns its JSON.
    pub async fn create_org(&self, token: &str, slug: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/organizations",
                &As::User(token.to_owned()),
                Some(&json!({"name": format!("Org {slug}"), "slug": slug})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    pub async fn add_member(&self, owner: &str, org: &str, user: &str, role: &str) {
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/v1/organizations/{org}/members/add"),
                &As::User(owner.to_owned()),
                Some(&json!({"user_id": user, "role": role})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// Creates an API key in `org` as `token`; returns (key id, secret).
    pub async fn create_api_key(
        &self,
        token: &str,
        org: &str,
        scopes: &[&str],
    ) -> (String, String) {
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/v1/api-keys?organization_id={org}"),
                &As::User(token.to_owned()),
                Some(&json!({"name": "test key", "scopes": scopes, "rate_limit_per_min": 10000})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["key"].as_str().unwrap().to_owned(),
        )
    }
}

/// A unique slug.
pub fn slug(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
