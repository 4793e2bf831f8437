//! Core errors: what went wrong, in the domain's words. The HTTP layer alone maps them to status
//! codes; storage and cache adapters translate their own failures into these.

use std::fmt;

/// A field that failed validation, reported back to the client as one `details` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a core operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `what` names the rule (for example `email`, `slug`).
    #[error("conflict on {what}")]
    Conflict { what: String },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// A dependency (database, cache, mail relay) did not answer; the request may be retried.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state; the message is logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn internal(source: impl fmt::Display) -> Self {
        Error::Internal(source.to_string())
    }

    pub fn unavailable(source: impl fmt::Display) -> Self {
        Error::Unavailable(source.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
