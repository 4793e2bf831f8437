//! Tests of the sqlx → core error mapping: the parsers on their own, the mapping on a stand-in
//! database error, and real constraint violations on SQLite (and on PostgreSQL when
//! `TEST_DATABASE_URL` is set).

use std::borrow::Cow;
use std::fmt;

use sqlx::Connection;

use super::*;

#[derive(Debug)]
struct FakeDbError {
    message: &'static str,
    code: Option<&'static str>,
    kind: fn() -> ErrorKind,
}

impl fmt::Display for FakeDbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for FakeDbError {}

impl DatabaseError for FakeDbError {
    fn message(&self) -> &str {
        self.message
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        self.code.map(Cow::Borrowed)
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> ErrorKind {
        (self.kind)()
    }
}

fn fake(message: &'static str, code: Option<&'static str>, kind: fn() -> ErrorKind) -> Error {
    from_sqlx(sqlx::Error::Database(Box::new(FakeDbError {
        message,
        code,
        kind,
    })))
}

#[test]
fn sqlite_unique_messages_name_the_table_and_columns() {
    assert_eq!(
        sqlite_unique_target("UNIQUE constraint failed: users.email_normalized").as_deref(),
        Some("users.email_normalized")
    );
    assert_eq!(
        sqlite_unique_target(
            "UNIQUE constraint failed: organization_members.organization_id, organization_members.user_id"
        )
        .as_deref(),
        Some("organization_members.organization_id,user_id")
    );
    assert_eq!(
        sqlite_unique_target("UNIQUE constraint failed: index 'users_lower_email'").as_deref(),
        Some("users_lower_email")
    );
}

#[test]
fn postgres_key_details_yield_columns_without_values() {
    assert_eq!(
        postgres_key_columns("Key (email_normalized)=(a@b.c) already exists."),
        Some(vec!["email_normalized".to_owned()])
    );
    assert_eq!(
        postgres_key_columns("Key (organization_id, user_id)=(x, y) already exists."),
        Some(vec!["organization_id".to_owned(), "user_id".to_owned()])
    );
    assert_eq!(postgres_key_columns("something else"), None);
}

#[test]
fn a_unique_violation_becomes_a_conflict() {
    let error = fake(
        "UNIQUE constraint failed: organizations.slug",
        Some("2067"),
        || ErrorKind::UniqueViolation,
    );
    assert!(matches!(error, Error::Conflict { what } if what == "organizations.slug"));
}

#[test]
fn a_foreign_key_violation_becomes_not_found() {
    let error = fake("FOREIGN KEY constraint failed", Some("787"), || {
        ErrorKind::ForeignKeyViolation
    });
    assert!(matches!(error, Error::NotFound));
}

#[test]
fn a_busy_or_locked_sqlite_database_is_unavailable() {
    for code in ["5", "517", "6", "262"] {
        let error = fake("database is locked", Some(code), || ErrorKind::Other);
        assert!(matches!(error, Error::Unavailable(_)), "{code}");
    }
}

#[test]
fn check_violations_and_unknown_database_errors_are_internal() {
    let error = fake("CHECK constraint failed: x", Some("275"), || {
        ErrorKind::CheckViolation
    });
    assert!(matches!(error, Error::Internal(_)));
    let error = fake("syntax error", Some("1"), || ErrorKind::Other);
    assert!(matches!(error, Error::Internal(_)));
}

#[test]
fn pool_timeouts_io_and_closed_pools_are_unavailable() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
    for error in [
        sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed,
        sqlx::Error::Io(io),
    ] {
        assert!(matches!(from_sqlx(error), Error::Unavailable(_)));
    }
}

#[test]
fn a_missing_row_is_not_found_and_a_decode_failure_is_internal() {
    assert!(matches!(
        from_sqlx(sqlx::Error::RowNotFound),
        Error::NotFound
    ));
    let decode = sqlx::Error::ColumnNotFound("x".to_owned());
    assert!(matches!(from_sqlx(decode), Error::Internal(_)));
}

const SCHEMA: [&str; 2] = [
    "CREATE TEMP TABLE parents (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE)",
    "CREATE TEMP TABLE children (id INTEGER PRIMARY KEY, \
     parent_id INTEGER NOT NULL REFERENCES parents (id), a TEXT, b TEXT, UNIQUE (a, b))",
];

async fn assert_real_violations_map<C>(conn: &mut C)
where
    for<'c> &'c mut C: sqlx::Executor<'c>,
{
    for statement in SCHEMA {
        sqlx::raw_sql(statement).execute(&mut *conn).await.unwrap();
    }
    let setup = "INSERT INTO parents (id, slug) VALUES (1, 'acme'); \
                 INSERT INTO children (id, parent_id, a, b) VALUES (1, 1, 'x', 'y')";
    sqlx::raw_sql(setup).execute(&mut *conn).await.unwrap();

    let duplicate = sqlx::raw_sql("INSERT INTO parents (id, slug) VALUES (2, 'acme')")
        .execute(&mut *conn)
        .await
        .err()
        .expect("the statement breaks a constraint");
    assert!(matches!(from_sqlx(duplicate), Error::Conflict { what } if what == "parents.slug"));

    let duplicate =
        sqlx::raw_sql("INSERT INTO children (id, parent_id, a, b) VALUES (2, 1, 'x', 'y')")
            .execute(&mut *conn)
            .await
            .err()
            .expect("the statement breaks a constraint");
    assert!(matches!(from_sqlx(duplicate), Error::Conflict { what } if what == "children.a,b"));

    let orphan = sqlx::raw_sql("INSERT INTO children (id, parent_id) VALUES (3, 99)")
        .execute(&mut *conn)
        .await
        .err()
        .expect("the statement breaks a constraint");
    assert!(matches!(from_sqlx(orphan), Error::NotFound));
}

#[tokio::test]
async fn real_sqlite_violations_map_to_conflict_and_not_found() {
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::raw_sql("PRAGMA foreign_keys = ON")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_real_violations_map(&mut conn).await;
}

#[tokio::test]
async fn real_postgres_violations_map_to_conflict_and_not_found() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    assert_real_violations_map(&mut conn).await;
}
