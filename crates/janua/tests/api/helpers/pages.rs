//! A tiny browser for the hosted pages: keeps the cookies the server sets (honouring
//! `Max-Age=0`), sends them back, posts forms, and reads CSRF tokens out of the HTML.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::TestApp;

pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&self, response: &reqwest::Response) {
        for header in set_cookies(response) {
            let first = header.split(';').next().unwrap_or_default();
            let (name, value) = first.split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            if header.contains("Max-Age=0") {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.remember(&response);
        response
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_from(path, fields, None).await
    }

    /// Posts a form with an explicit `Origin` header, as a browser would.
    pub async fn post_form_from(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        self.remember(&response);
        response
    }

    /// Opens a form page and returns its CSRF token.
    pub async fn form_token(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        csrf_token(&response.text().await.unwrap())
    }

    /// Signs in through the hosted form; returns the response (302 on success).
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let token = self.form_token("/api/v1/auth/login").await;
        self.post_form(
            "/api/v1/auth/login-form",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }

    /// `GET /api/v1/auth/session` with the browser's cookies.
    pub async fn session(&self) -> (u16, serde_json::Value) {
        let response = self.get("/api/v1/auth/session").await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value of the form's hidden `csrf_token` field.
pub fn csrf_token(html: &str) -> String {
    hidden_field(html, "csrf_token").expect("the page has a csrf_token field")
}

pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}
