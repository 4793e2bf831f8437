//! Typed helpers for the account endpoints: a test user that signs up and signs in.

use serde_json::{json, Value};

use super::TestApp;

pub const PASSWORD: &str = "Correct-Horse-Battery-9";

pub struct TestUser {
    pub email: String,
    pub password: String,
    pub id: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn post_json_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/signup",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/signin",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs up a fresh user with a unique email and returns its tokens.
    pub async fn new_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = self.sign_up(&email, PASSWORD).await;
        assert_eq!(response.status(), 200, "sign-up failed");
        let body: Value = response.json().await.unwrap();
        TestUser {
            email,
            password: PASSWORD.to_owned(),
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            access_token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["tokens"]["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Signs in again and returns (access, refresh).
    pub async fn sign_in_tokens(&self, user: &TestUser) -> (String, String) {
        let response = self.sign_in(&user.email, &user.password).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        (
            body["tokens"]["access_token"].as_str().unwrap().to_owned(),
            body["tokens"]["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}
