//! How the shared statements (`crate::orgs_sql` and the other `*_sql` macros) bind and read
//! values on PostgreSQL: native UUID, TIMESTAMPTZ and JSONB (string lists as JSONB arrays).

use chrono::{DateTime, Utc};
use janua_core::error::Result;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

use crate::errors::from_sqlx;

pub fn enc_id(id: Uuid) -> Uuid {
    id
}

pub fn enc_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at
}

pub fn enc_json(value: &Value) -> Result<Json<Value>> {
    Ok(Json(value.clone()))
}

pub fn enc_list(list: &[String]) -> Result<Json<&[String]>> {
    Ok(Json(list))
}

/// An INTEGER column (32 bits here); a value out of its range is stored as `fallback`.
pub fn enc_int(n: i64, fallback: i32) -> i32 {
    i32::try_from(n).unwrap_or(fallback)
}

pub fn id(row: &PgRow, col: &str) -> Result<Uuid> {
    row.try_get(col).map_err(from_sqlx)
}

pub fn opt_id(row: &PgRow, col: &str) -> Result<Option<Uuid>> {
    row.try_get(col).map_err(from_sqlx)
}

pub fn time(row: &PgRow, col: &str) -> Result<DateTime<Utc>> {
    row.try_get(col).map_err(from_sqlx)
}

pub fn opt_time(row: &PgRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    row.try_get(col).map_err(from_sqlx)
}

pub fn json(row: &PgRow, col: &str) -> Result<Value> {
    row.try_get::<Json<Value>, _>(col)
        .map(|j| j.0)
        .map_err(from_sqlx)
}

/// A count or measure: `INTEGER` columns are 32-bit here, so larger values are clamped.
pub fn enc_u32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub fn list(row: &PgRow, col: &str) -> Result<Vec<String>> {
    row.try_get::<Json<Vec<String>>, _>(col)
        .map(|j| j.0)
        .map_err(from_sqlx)
}

pub fn int(row: &PgRow, col: &str) -> Result<i64> {
    row.try_get::<i32, _>(col).map(i64::from).map_err(from_sqlx)
}

pub fn opt_int(row: &PgRow, col: &str) -> Result<Option<i64>> {
    row.try_get::<Option<i32>, _>(col)
        .map(|n| n.map(i64::from))
        .map_err(from_sqlx)
}

/// Text received from elsewhere (a webhook receiver's answer, an error): PostgreSQL's text
/// cannot hold NUL, so it is dropped rather than failing the write.
pub fn enc_response_text(text: &str) -> String {
    text.replace('\0', "")
}
