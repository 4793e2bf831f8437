//! The one place where `sqlx::Error` becomes a core [`Error`], for both backends.
//!
//! - Unique violation → [`Error::Conflict`] whose `what` names the columns in the same form on
//!   both backends: `table.column`, or `table.col_a,col_b` for a composite key (for example
//!   `users.email_normalized`, `organization_members.organization_id,user_id`). Core matches on it
//!   to answer `EMAIL_TAKEN`, `SLUG_TAKEN`, … Values are never included (they may be personal).
//! - Foreign-key violation → [`Error::NotFound`]: every foreign key in the schema cascades or sets
//!   NULL on delete, so the only way to break one is to reference a row that does not exist.
//! - Pool timeout, I/O, TLS, a closed pool, and transient server states (connection loss,
//!   shutdown, too many connections, serialization failure, deadlock, SQLite busy/locked) →
//!   [`Error::Unavailable`]: the request may be retried.
//! - NUL characters PostgreSQL cannot store → [`Error::Validation`] (field `input`).
//! - `RowNotFound` → [`Error::NotFound`]; anything else (check and not-null violations included:
//!   core validates first, so they are bugs) → [`Error::Internal`].

use janua_core::error::{Error, FieldError};
use sqlx::error::{DatabaseError, ErrorKind};

/// Translates a failed migration run. A migration edited after it was applied, or an applied
/// version this binary does not know (the database is newer), needs an operator, not a retry.
pub(crate) fn from_migrate(error: sqlx::migrate::MigrateError) -> Error {
    use sqlx::migrate::MigrateError;
    match error {
        MigrateError::Execute(e) => from_sqlx(e),
        MigrateError::ExecuteMigration(e, version) => match from_sqlx(e) {
            Error::Internal(message) => {
                Error::Internal(format!("migration {version} failed: {message}"))
            }
            other => other,
        },
        MigrateError::VersionMismatch(version) => Error::Internal(format!(
            "migration {version} was edited after it was applied; restore the released file"
        )),
        MigrateError::VersionMissing(version) => Error::Internal(format!(
            "the database has migration {version}, which this binary does not know; \
             run a release at least as new as the one that migrated it"
        )),
        MigrateError::Dirty(version) => Error::Internal(format!(
            "migration {version} failed part-way earlier; repair the schema and its \
             _sqlx_migrations row by hand"
        )),
        other => Error::internal(format!("migration failed: {other}")),
    }
}

/// Translates a sqlx failure into the core's words.
pub(crate) fn from_sqlx(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::RowNotFound => Error::NotFound,
        sqlx::Error::Database(db) => from_database(db.as_ref()),
        sqlx::Error::PoolTimedOut => {
            Error::unavailable("database pool timed out waiting for a free connection")
        }
        sqlx::Error::PoolClosed => Error::unavailable("database pool is closed"),
        sqlx::Error::Io(e) => Error::unavailable(format!("database I/O error: {e}")),
        sqlx::Error::Tls(e) => Error::unavailable(format!("database TLS error: {e}")),
        sqlx::Error::WorkerCrashed => Error::unavailable("database connection worker crashed"),
        other => Error::internal(other),
    }
}

fn from_database(db: &dyn DatabaseError) -> Error {
    match db.kind() {
        ErrorKind::UniqueViolation => Error::Conflict {
            what: unique_violation_target(db),
        },
        ErrorKind::ForeignKeyViolation => Error::NotFound,
        _ if is_unstorable_character(db) => Error::Validation(vec![FieldError::new(
            "input",
            "contains a character that cannot be stored (such as NUL)",
        )]),
        _ if is_transient(db) => Error::unavailable(format!("database busy: {}", db.message())),
        _ => Error::internal(format!("database error: {}", db.message())),
    }
}

/// PostgreSQL refuses NUL in text (22021) and in jsonb (22P05); SQLite stores both. Input that
/// reaches the database with one is a client mistake that validation missed, not a server fault.
fn is_unstorable_character(db: &dyn DatabaseError) -> bool {
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some_and(|pg| matches!(pg.code(), "22021" | "22P05"))
}

/// Server states that go away by themselves: retrying later can succeed.
fn is_transient(db: &dyn DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        // 08: connection exception, 53: insufficient resources, 57P: operator intervention
        // (shutdown, cannot connect now), 40001/40P01: serialization failure, deadlock.
        code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P")
            || code == "40001"
            || code == "40P01"
    } else {
        // SQLite extended result codes: the low byte is the primary code, 5 BUSY, 6 LOCKED.
        code.parse::<i32>()
            .map(|extended| matches!(extended & 0xff, 5 | 6))
            .unwrap_or(false)
    }
}

/// `table.col` or `table.col_a,col_b`, read from the error without the offending values.
fn unique_violation_target(db: &dyn DatabaseError) -> String {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let columns = pg.detail().and_then(postgres_key_columns);
        return match (pg.table(), columns) {
            (Some(table), Some(columns)) => format!("{table}.{}", columns.join(",")),
            _ => pg.constraint().unwrap_or("unknown").to_owned(),
        };
    }
    sqlite_unique_target(db.message())
        .or_else(|| db.constraint().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Columns from PostgreSQL's detail `Key (a, b)=(1, 2) already exists.`, values dropped.
fn postgres_key_columns(detail: &str) -> Option<Vec<String>> {
    let after = detail.strip_prefix("Key (")?;
    let (columns, _values) = after.split_once(")=(")?;
    Some(
        columns
            .split(", ")
            .map(|c| c.trim().trim_matches('"').to_owned())
            .collect(),
    )
}

/// From SQLite's `UNIQUE constraint failed: t.a, t.b` to `t.a,b`; an expression index is
/// reported as `index 'name'` and yields the index name.
fn sqlite_unique_target(message: &str) -> Option<String> {
    let list = message.split_once("constraint failed: ")?.1.trim();
    if let Some(index) = list.strip_prefix("index ") {
        return Some(index.trim_matches('\'').to_owned());
    }
    let mut table = None;
    let mut columns = Vec::new();
    for qualified in list.split(", ") {
        let (t, column) = qualified.split_once('.')?;
        table.get_or_insert(t);
        columns.push(column);
    }
    Some(format!("{}.{}", table?, columns.join(",")))
}

#[cfg(test)]
mod tests;
