//! Rules for JSON values that both backends enforce alike. PostgreSQL's `jsonb` cannot hold the
//! NUL character (`\u0000`) while SQLite's TEXT can; refusing it up front keeps the backends
//! interchangeable and turns what would be a database error into a validation error.

use janua_core::error::{Error, FieldError, Result};
use serde_json::Value;

/// Refuses a value that some backend cannot store; `field` names it in the error.
pub(crate) fn ensure_storable(field: &str, value: &Value) -> Result<()> {
    if contains_nul(value) {
        return Err(Error::Validation(vec![FieldError::new(
            field,
            "must not contain the NUL character (\\u0000)",
        )]));
    }
    Ok(())
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nul_characters_are_found_in_nested_strings_and_keys() {
        assert!(contains_nul(&json!({"a": [1, {"b": "x\u{0}y"}]})));
        assert!(contains_nul(&json!({"k\u{0}": 1})));
        assert!(!contains_nul(&json!({"a": [1, "ü 🚀", null, true]})));
    }

    #[test]
    fn a_value_with_nul_is_a_validation_error_naming_the_field() {
        let Err(Error::Validation(fields)) = ensure_storable("value", &json!("\u{0}")) else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "value");
    }
}
