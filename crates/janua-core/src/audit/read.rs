//! The audit log's read use cases (API.md §15): list with cursor, one entry, stats, and the
//! retention cleanup. Exports page through [`list_page`] so no export holds the log in memory.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::query::{AuditCursor, AuditFilter, AuditStats, Scope};
use super::AuditEntry;
use crate::context::Core;
use crate::error::{Error, Result};

/// One page of entries, newest first.
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Entries matching the filter in all pages.
    pub total: u64,
    /// Where the next page starts, when there is one.
    pub next: Option<AuditCursor>,
}

/// A page of `limit` entries after `cursor`, with the total.
pub async fn list(
    core: &Core,
    filter: &AuditFilter,
    cursor: Option<&AuditCursor>,
    limit: u32,
) -> Result<AuditPage> {
    let (entries, next) = list_page(core.store.as_ref(), filter, cursor, limit).await?;
    let total = core.store.count_audit(filter).await?;
    Ok(AuditPage {
        entries,
        total,
        next,
    })
}

/// A page without the total (exports): asks one more row than `limit` to know whether more
/// follow.
pub async fn list_page(
    store: &dyn crate::ports::Store,
    filter: &AuditFilter,
    cursor: Option<&AuditCursor>,
    limit: u32,
) -> Result<(Vec<AuditEntry>, Option<AuditCursor>)> {
    let mut entries = store
        .list_audit(filter, cursor, limit.saturating_add(1))
        .await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next = more
        .then(|| entries.last())
        .flatten()
        .map(|last| AuditCursor {
            occurred_at: last.occurred_at,
            id: last.id,
        });
    Ok((entries, next))
}

/// One entry, if `scope` lets the reader see it (others' entries are `NotFound`, not 403).
pub async fn get(core: &Core, scope: &Scope, id: Uuid) -> Result<AuditEntry> {
    let entry = core.store.get_audit(id).await?.ok_or(Error::NotFound)?;
    let visible = match scope {
        Scope::All => true,
        Scope::Organization(org) => entry.organization_id == Some(*org),
        Scope::User(user) => {
            let me = user.to_string();
            let acted = entry.actor.kind == super::ActorType::User
                && entry.actor.id.as_deref() == Some(me.as_str());
            let targeted = entry
                .target
                .as_ref()
                .is_some_and(|t| t.kind == "user" && t.id == me);
            acted || targeted
        }
    };
    if visible {
        Ok(entry)
    } else {
        Err(Error::NotFound)
    }
}

pub async fn stats(core: &Core, filter: &AuditFilter) -> Result<AuditStats> {
    core.store.audit_stats(filter).await
}

/// Deletes entries older than `days` days; returns how many (`DELETE /cleanup`, retention job).
pub async fn delete_older_than(core: &Core, days: u32) -> Result<u64> {
    let cutoff = cutoff(core.clock.now(), days);
    core.store.delete_audit_before(cutoff).await
}

pub fn cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days))
}
