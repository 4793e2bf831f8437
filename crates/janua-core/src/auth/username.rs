//! Usernames: 3–50 characters of `[A-Za-z0-9_-]`, unique case-insensitively.

use crate::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let valid = (3..=50).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "username",
                "3 to 50 characters: letters, digits, '_' or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_character_and_length_rules() {
        assert!(Username::parse("alice_01").is_ok());
        assert!(Username::parse("a-b").is_ok());
        for bad in ["ab", "with space", "ünïcode", "semi;colon", &"x".repeat(51)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }
}
