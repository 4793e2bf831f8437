//! Retention settings (§18, §19): how long the cleanup job keeps audit events, webhook
//! deliveries and the personal data of deleted users.

use serde::Serialize;

use crate::config::env::Reader;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct RetentionConfig {
    pub audit_days: u32,
    pub webhook_delivery_days: u32,
    /// Days after a soft delete before the user's personal data is purged.
    pub deleted_user_purge_days: u32,
}

pub(super) fn read(r: &mut Reader) -> RetentionConfig {
    RetentionConfig {
        audit_days: r.number(&["AUDIT_RETENTION_DAYS"], 365, "a whole number of days"),
        webhook_delivery_days: r.number(
            &["WEBHOOK_DELIVERY_RETENTION_DAYS"],
            30,
            "a whole number of days",
        ),
        deleted_user_purge_days: r.number(
            &["DELETED_USER_PURGE_DAYS"],
            30,
            "a whole number of days",
        ),
    }
}
