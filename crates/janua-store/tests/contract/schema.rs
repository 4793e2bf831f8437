//! The two migration directories describe one schema: same versions, and in each version the
//! same tables with the same columns (in order, with corresponding types, nullability, defaults
//! and foreign keys) and the same indexes. SQLite tables are STRICT.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

/// Version → file contents.
fn migrations(backend: &str) -> BTreeMap<i64, String> {
    std::fs::read_dir(migrations_dir(backend))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let version = name.split('_').next().unwrap().parse().unwrap();
            (version, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

#[derive(Debug, Default, PartialEq)]
struct Schema {
    /// Table → column lines, in order.
    tables: BTreeMap<String, Vec<String>>,
    /// Index name → definition up to any WHERE clause.
    indexes: BTreeMap<String, String>,
    /// The closing line of every CREATE TABLE.
    table_endings: Vec<String>,
}

const CONSTRAINT_WORDS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

fn parse(sql: &str) -> Schema {
    let mut schema = Schema::default();
    let mut current: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        if line.starts_with("--") || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            let name = rest.split_whitespace().next().unwrap().to_owned();
            schema.tables.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if line.starts_with(')') && current.is_some() {
            schema.table_endings.push(line.to_owned());
            current = None;
        } else if let Some(table) = &current {
            let first = line.split_whitespace().next().unwrap();
            if !CONSTRAINT_WORDS.contains(&first) {
                schema
                    .tables
                    .get_mut(table)
                    .unwrap()
                    .push(line.trim_end_matches(',').to_owned());
            }
        } else if line.starts_with("CREATE INDEX") || line.starts_with("CREATE UNIQUE INDEX") {
            let mut words = line
                .split_whitespace()
                .skip_while(|w| *w != "INDEX")
                .skip(1);
            let name = words.next().unwrap().to_owned();
            let definition = line.split(" WHERE ").next().unwrap().to_owned();
            schema.indexes.insert(name, definition);
        }
    }
    schema
}

/// What a PostgreSQL column line must look like in SQLite.
fn expected_sqlite_column(pg: &str) -> String {
    let mut words = pg.splitn(3, ' ');
    let name = words.next().unwrap();
    let pg_type = words.next().unwrap();
    let rest = words.next().unwrap_or("");
    let (sqlite_type, check) = match pg_type {
        "UUID" | "TIMESTAMPTZ" | "TEXT" => ("TEXT", None),
        "JSONB" => ("TEXT", Some(format!("CHECK (json_valid({name}))"))),
        "BOOLEAN" => ("INTEGER", Some(format!("CHECK ({name} IN (0, 1))"))),
        "BIGINT" | "INTEGER" => ("INTEGER", None),
        "BYTEA" => ("BLOB", None),
        other => panic!("no SQLite counterpart for PostgreSQL type {other} ({name})"),
    };
    let rest = rest
        .replace("DEFAULT FALSE", "DEFAULT 0")
        .replace("DEFAULT TRUE", "DEFAULT 1");
    [
        Some(name.to_owned()),
        Some(sqlite_type.to_owned()),
        (!rest.is_empty()).then_some(rest),
        check,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

#[test]
fn both_backends_define_the_same_migration_versions() {
    let postgres: Vec<i64> = migrations("postgres").into_keys().collect();
    let sqlite: Vec<i64> = migrations("sqlite").into_keys().collect();
    assert!(!postgres.is_empty());
    assert_eq!(postgres, sqlite);
}

#[test]
fn both_backends_define_the_same_tables_columns_and_indexes() {
    let sqlite_all = migrations("sqlite");
    for (version, pg_sql) in migrations("postgres") {
        let pg = parse(&pg_sql);
        let lite = parse(&sqlite_all[&version]);
        let pg_tables: Vec<_> = pg.tables.keys().collect();
        let lite_tables: Vec<_> = lite.tables.keys().collect();
        assert_eq!(pg_tables, lite_tables, "tables of migration {version}");
        for (table, pg_columns) in &pg.tables {
            let expected: Vec<String> = pg_columns
                .iter()
                .map(|c| expected_sqlite_column(c))
                .collect();
            assert_eq!(
                &expected, &lite.tables[table],
                "columns of {table} in migration {version}"
            );
        }
        assert_eq!(pg.indexes, lite.indexes, "indexes of migration {version}");
    }
}

#[test]
fn every_sqlite_table_is_strict() {
    for (version, sql) in migrations("sqlite") {
        let schema = parse(&sql);
        assert_eq!(schema.table_endings.len(), schema.tables.len());
        for ending in schema.table_endings {
            assert_eq!(ending, ") STRICT;", "migration {version}");
        }
    }
}

#[test]
fn the_schema_covers_every_capability_of_the_api() {
    let schema = parse(&migrations("postgres")[&1]);
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "one_time_tokens",
        "login_lockouts",
        "signing_keys",
        "mfa_totp",
        "mfa_backup_codes",
        "passkeys",
        "organizations",
        "organization_members",
        "invitations",
        "roles",
        "user_roles",
        "policies",
        "api_keys",
        "oauth_clients",
        "oauth_client_secrets",
        "authorization_requests",
        "authorization_codes",
        "oauth_consents",
        "device_codes",
        "audit_logs",
        "outbox_events",
        "webhook_endpoints",
        "webhook_deliveries",
        "jobs",
        "system_settings",
        "cors_origins",
        "sso_configurations",
        "scim_configurations",
        "scim_tokens",
        "social_accounts",
        "compliance_requests",
        "migration_jobs",
    ] {
        assert!(schema.tables.contains_key(table), "{table}");
    }
}
