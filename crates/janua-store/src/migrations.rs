//! Where the schema stands: the migrations embedded in this binary compared with the rows sqlx
//! wrote to `_sqlx_migrations`. Shared by both backends; each reads its own rows.

use janua_core::ports::MigrationStatus;
use sqlx::migrate::Migrator;

/// One row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRow {
    pub version: i64,
    pub checksum: Vec<u8>,
    /// False when a migration failed half-way (only possible outside a transaction); such a
    /// version counts as pending, since sqlx refuses to go on until it is repaired.
    pub success: bool,
}

pub(crate) fn status(migrator: &Migrator, rows: &[AppliedRow]) -> MigrationStatus {
    let known: Vec<i64> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect();
    let mut status = MigrationStatus {
        known,
        applied: Vec::new(),
        modified: Vec::new(),
        unknown: Vec::new(),
    };
    for row in rows.iter().filter(|r| r.success) {
        status.applied.push(row.version);
        match migrator.iter().find(|m| m.version == row.version) {
            None => status.unknown.push(row.version),
            Some(m) if m.checksum.as_ref() != row.checksum.as_slice() => {
                status.modified.push(row.version)
            }
            Some(_) => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::MIGRATOR as SQLITE;

    fn row(version: i64, checksum: &[u8]) -> AppliedRow {
        AppliedRow {
            version,
            checksum: checksum.to_vec(),
            success: true,
        }
    }

    fn applied_as_embedded() -> Vec<AppliedRow> {
        SQLITE.iter().map(|m| row(m.version, &m.checksum)).collect()
    }

    #[test]
    fn a_fresh_database_has_every_embedded_migration_pending() {
        let status = status(&SQLITE, &[]);
        assert!(!status.known.is_empty());
        assert_eq!(status.pending(), status.known);
        assert!(!status.is_current());
    }

    #[test]
    fn applying_every_embedded_migration_is_current() {
        let status = status(&SQLITE, &applied_as_embedded());
        assert!(status.is_current());
        assert_eq!(status.applied, status.known);
        assert!(status.modified.is_empty() && status.unknown.is_empty());
    }

    #[test]
    fn an_edited_migration_is_reported_as_modified() {
        let mut rows = applied_as_embedded();
        rows[0].checksum = vec![0; 48];
        let status = status(&SQLITE, &rows);
        assert_eq!(status.modified, vec![rows[0].version]);
        assert!(!status.is_current());
    }

    #[test]
    fn a_version_from_a_newer_binary_is_reported_as_unknown() {
        let mut rows = applied_as_embedded();
        rows.push(row(99_999, b"x"));
        let status = status(&SQLITE, &rows);
        assert_eq!(status.unknown, vec![99_999]);
        assert!(status.is_current());
    }

    #[test]
    fn a_failed_migration_stays_pending() {
        let mut rows = applied_as_embedded();
        rows[0].success = false;
        let status = status(&SQLITE, &rows);
        assert_eq!(status.pending(), vec![rows[0].version]);
    }
}
