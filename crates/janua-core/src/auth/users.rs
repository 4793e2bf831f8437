//! Users: the account record and its lifecycle states (API.md §4, §6).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::auth::email::Email;
use crate::auth::username::Username;
use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Inactive,
    Suspended,
    Pending,
    Deleted,
}

impl UserStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Suspended => "suspended",
            UserStatus::Pending => "pending",
            UserStatus::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "active" => UserStatus::Active,
            "inactive" => UserStatus::Inactive,
            "suspended" => UserStatus::Suspended,
            "pending" => UserStatus::Pending,
            "deleted" => UserStatus::Deleted,
            _ => return None,
        })
    }

    /// Whether the account may sign in and its tokens are honoured.
    pub fn can_authenticate(&self) -> bool {
        matches!(self, UserStatus::Active | UserStatus::Pending)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub email_verified: bool,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub status: UserStatus,
    pub is_admin: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub profile_image_url: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub user_metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// What sign-up, admin creation and magic-link provisioning store.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub username: Option<Username>,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub email_verified: bool,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// Profile fields a user may change on themselves (`PATCH /users/me`). `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub user_metadata: Option<Value>,
}

impl ProfileUpdate {
    /// The names of the fields this update sets (for the audit entry; values are not logged).
    pub fn field_names(&self) -> Vec<&'static str> {
        let texts = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("display_name", &self.display_name),
            ("bio", &self.bio),
            ("phone_number", &self.phone_number),
            ("timezone", &self.timezone),
            ("locale", &self.locale),
        ];
        let mut names: Vec<&'static str> = texts
            .iter()
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| *name)
            .collect();
        if self.user_metadata.is_some() {
            names.push("user_metadata");
        }
        names
    }
}

/// How the user proved who they are, for the `amr` claim (RFC 8176 values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    MagicLink,
    Otp,
    Passkey,
}

impl AuthMethod {
    pub fn amr(&self) -> &'static [&'static str] {
        match self {
            AuthMethod::Password => &["pwd"],
            AuthMethod::MagicLink => &["email"],
            AuthMethod::Otp => &["pwd", "otp", "mfa"],
            AuthMethod::Passkey => &["hwk", "user", "mfa"],
        }
    }
}
