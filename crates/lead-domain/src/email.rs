//! The sender's email address: trimmed, syntax-checked, compared case-insensitively.

use std::fmt;

use validator::ValidateEmail;

/// Why a text is not an acceptable email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("the email address is empty")]
    Empty,
    /// More than [`Email::MAX_CHARS`] characters after trimming.
    #[error("the email address is longer than 254 characters")]
    TooLong,
    /// Not the syntax of an email address.
    #[error("not a valid email address")]
    Malformed,
}

/// A syntactically valid email address, trimmed, with its case kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest accepted address, in characters.
    pub const MAX_CHARS: usize = 254;

    /// Trims `text` and checks length and syntax.
    pub fn parse(text: &str) -> Result<Email, EmailError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        if !trimmed.validate_email() {
            return Err(EmailError::Malformed);
        }
        Ok(Email(trimmed.to_owned()))
    }

    /// The address as sent (trimmed, case kept).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to match customers: lowercased.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_case() {
        let email = Email::parse("  Max.Mustermann@Beispiel.de \n").unwrap();
        assert_eq!(email.as_str(), "Max.Mustermann@Beispiel.de");
        assert_eq!(email.normalized(), "max.mustermann@beispiel.de");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in ["max", "max@", "@beispiel.de", "max mustermann@beispiel.de", "a@b@c.de"] {
            assert_eq!(Email::parse(text), Err(EmailError::Malformed), "{text:?}");
        }
    }

    #[test]
    fn rejects_blank() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn length_counts_characters_after_trimming() {
        // 64-char local part (the most RFC 5321 allows) and a domain of labels ≤ 63 chars.
        let local = "a".repeat(64);
        let domain = format!("{}.{}.{}.de", "b".repeat(63), "c".repeat(63), "d".repeat(58));
        let exactly = format!("{local}@{domain}");
        assert_eq!(exactly.chars().count(), 254);
        assert!(Email::parse(&format!("  {exactly}  ")).is_ok());
        let longer = format!("{local}@e{domain}");
        assert_eq!(Email::parse(&longer), Err(EmailError::TooLong));
    }
}
