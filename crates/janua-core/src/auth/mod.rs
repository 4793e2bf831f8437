//! Accounts: users, credentials, sessions and the tokens that prove them (API.md §3–§6).

pub mod email;
pub mod passwords;
pub mod sessions;
pub mod store;
pub mod username;
pub mod users;
