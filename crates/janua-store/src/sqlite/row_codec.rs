//! How the shared statements (`crate::orgs_sql` and the other `*_sql` macros) bind and read
//! values on SQLite: UUIDs and times as TEXT (see [`super::codec`]), JSON (and string lists,
//! as JSON arrays) as TEXT.

use chrono::{DateTime, Utc};
use janua_core::error::{Error, Result};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::errors::from_sqlx;
use crate::sqlite::codec::{decode_json, decode_time, encode_json, encode_time};

pub fn enc_id(id: Uuid) -> String {
    id.to_string()
}

pub fn enc_time(at: DateTime<Utc>) -> String {
    encode_time(at)
}

pub fn enc_json(value: &Value) -> Result<String> {
    encode_json(value)
}

pub fn enc_list(list: &[String]) -> Result<String> {
    encode_json(&serde_json::json!(list))
}

/// An INTEGER column (64 bits here, so `fallback`, which PostgreSQL's 32-bit column needs, is
/// never used).
pub fn enc_int(n: i64, _fallback: i32) -> i64 {
    n
}

pub fn id(row: &SqliteRow, col: &str) -> Result<Uuid> {
    let raw: String = row.try_get(col).map_err(from_sqlx)?;
    Uuid::parse_str(&raw).map_err(Error::internal)
}

pub fn opt_id(row: &SqliteRow, col: &str) -> Result<Option<Uuid>> {
    let raw: Option<String> = row.try_get(col).map_err(from_sqlx)?;
    raw.map(|r| Uuid::parse_str(&r).map_err(Error::internal))
        .transpose()
}

pub fn time(row: &SqliteRow, col: &str) -> Result<DateTime<Utc>> {
    decode_time(&row.try_get::<String, _>(col).map_err(from_sqlx)?)
}

pub fn opt_time(row: &SqliteRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    let raw: Option<String> = row.try_get(col).map_err(from_sqlx)?;
    raw.as_deref().map(decode_time).transpose()
}

pub fn json(row: &SqliteRow, col: &str) -> Result<Value> {
    decode_json(&row.try_get::<String, _>(col).map_err(from_sqlx)?)
}

/// A count or measure, stored as SQLite's 64-bit INTEGER.
pub fn enc_u32(n: u32) -> i64 {
    i64::from(n)
}

pub fn int(row: &SqliteRow, col: &str) -> Result<i64> {
    row.try_get(col).map_err(from_sqlx)
}

pub fn opt_int(row: &SqliteRow, col: &str) -> Result<Option<i64>> {
    row.try_get(col).map_err(from_sqlx)
}

/// Text received from elsewhere (a webhook receiver's answer, an error), stored as it is:
/// SQLite's TEXT holds NUL.
pub fn enc_response_text(text: &str) -> String {
    text.to_owned()
}

pub fn list(row: &SqliteRow, col: &str) -> Result<Vec<String>> {
    decode_list(&row.try_get::<String, _>(col).map_err(from_sqlx)?)
}

/// A stored JSON array of strings.
fn decode_list(stored: &str) -> Result<Vec<String>> {
    serde_json::from_value(decode_json(stored)?)
        .map_err(|e| Error::internal(format!("stored list is not a string list: {e}")))
}
