//! Accounts: users, credentials, sessions and the tokens that prove them (API.md §3–§6).

pub mod access_token;
pub mod account;
pub mod admin_users;
pub mod avatars;
pub mod browser_session;
pub mod email;
pub mod email_verification;
pub mod hash_pool;
pub mod magic_links;
pub mod one_time;
pub mod password_reset;
pub mod passwords;
pub mod principal;
pub mod redirects;
pub mod refresh;
pub mod revocation;
pub mod session_open;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod sign_out;
pub mod sign_up;
pub mod store;
pub mod tokens;
pub mod username;
pub mod users;
