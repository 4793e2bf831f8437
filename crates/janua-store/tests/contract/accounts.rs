//! Shared builders for the account contract tests (users, lockouts, sessions, one-time tokens):
//! a fixed clock origin, users and sessions with the fields those tests do not care about filled.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use janua_core::auth::email::Email;
use janua_core::auth::sessions::{DeviceInfo, NewSession};
use janua_core::auth::username::Username;
use janua_core::auth::users::{NewUser, User};
use janua_core::ids::{SessionId, UserId};
use janua_core::ports::Store;

/// `seconds` after a fixed instant, with a fraction both backends keep exactly.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_323_045 + seconds, 250_000_000)
        .unwrap()
}

pub fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        username: None,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        first_name: None,
        last_name: None,
        locale: None,
        email_verified: false,
        is_admin: false,
        created_at: at(0),
    }
}

pub fn with_username(user: NewUser, username: &str) -> NewUser {
    NewUser {
        username: Some(Username::parse(username).unwrap()),
        ..user
    }
}

pub async fn create_user(store: &Arc<dyn Store>, email: &str) -> User {
    store.create_user(&new_user(email), &[]).await.unwrap()
}

/// A session opened at `at(created)`, sliding for a day, absolute for thirty.
pub fn new_session(user_id: UserId, refresh_token_hash: &str, created: i64) -> NewSession {
    let created_at = at(created);
    NewSession {
        id: SessionId::new(),
        user_id,
        ip_address: Some("203.0.113.7".to_owned()),
        user_agent: Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Firefox/120.0".to_owned(),
        ),
        device: DeviceInfo::from_user_agent("Mozilla/5.0 (Macintosh) Firefox/120.0"),
        amr: vec!["pwd".to_owned(), "mfa".to_owned()],
        auth_time: created_at,
        created_at,
        expires_at: created_at + Duration::days(1),
        absolute_expires_at: created_at + Duration::days(30),
        refresh_token_hash: refresh_token_hash.to_owned(),
        refresh_expires_at: created_at + Duration::days(30),
        cookie_secret_hash: None,
    }
}
