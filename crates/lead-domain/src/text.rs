//! The free-text fields of a lead: title (from `subject`) and message.

use std::fmt;

use crate::LeadType;

/// Why a text field is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than the field allows, in characters after trimming.
    #[error("longer than {max} characters")]
    TooLong {
        /// The most characters the field takes.
        max: usize,
    },
    /// Holds a NUL character (U+0000), which no form produces and PostgreSQL's text type
    /// cannot store.
    #[error("contains a NUL character")]
    Nul,
}

/// Trims `text`; `None` when nothing is left, an error when it is too long.
fn bounded(text: &str, max: usize) -> Result<Option<String>, TextError> {
    let trimmed = text.trim();
    if trimmed.contains('\0') {
        Err(TextError::Nul)
    } else if trimmed.is_empty() {
        Ok(None)
    } else if trimmed.chars().count() > max {
        Err(TextError::TooLong { max })
    } else {
        Ok(Some(trimmed.to_owned()))
    }
}

/// The title of an order or ticket: the sender's `subject`, or the type's fallback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Title(String);

impl Title {
    /// The longest accepted subject, in characters.
    pub const MAX_CHARS: usize = 200;
    /// A ticket's title when no subject was sent (quoted in the published API).
    pub const TICKET_FALLBACK: &'static str = "Anfrage Webseite";
    /// An order's title when no subject was sent.
    pub const ORDER_FALLBACK: &'static str = "Web-Bestellung";

    /// The title for a lead of type `kind` whose subject is `subject` (blank or absent: fallback).
    pub fn from_subject(subject: Option<&str>, kind: LeadType) -> Result<Title, TextError> {
        let given = match subject {
            Some(text) => bounded(text, Self::MAX_CHARS)?,
            None => None,
        };
        Ok(Title(given.unwrap_or_else(|| Self::fallback(kind).to_owned())))
    }

    /// The fallback title of a lead type.
    pub fn fallback(kind: LeadType) -> &'static str {
        match kind {
            LeadType::Order => Self::ORDER_FALLBACK,
            LeadType::Ticket => Self::TICKET_FALLBACK,
        }
    }

    /// The title text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The message text of a lead: trimmed and non-blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message(String);

impl Message {
    /// The longest accepted message, in characters.
    pub const MAX_CHARS: usize = 20_000;

    /// Trims `text`; `Ok(None)` when it is blank.
    pub fn parse(text: &str) -> Result<Option<Message>, TextError> {
        Ok(bounded(text, Self::MAX_CHARS)?.map(Message))
    }

    /// The message text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_subject_falls_back_per_type() {
        for subject in [None, Some(""), Some("  \t\n")] {
            assert_eq!(
                Title::from_subject(subject, LeadType::Ticket).unwrap().as_str(),
                "Anfrage Webseite"
            );
            assert_eq!(
                Title::from_subject(subject, LeadType::Order).unwrap().as_str(),
                "Web-Bestellung"
            );
        }
    }

    #[test]
    fn subject_is_trimmed_and_bounded_in_characters() {
        let title = Title::from_subject(Some("  Angebot  "), LeadType::Ticket).unwrap();
        assert_eq!(title.as_str(), "Angebot");
        let two_hundred = "ü".repeat(200); // 400 bytes, 200 characters
        assert!(Title::from_subject(Some(&two_hundred), LeadType::Order).is_ok());
        assert_eq!(
            Title::from_subject(Some(&format!("{two_hundred}x")), LeadType::Order),
            Err(TextError::TooLong { max: 200 })
        );
    }

    #[test]
    fn a_nul_character_is_refused() {
        assert_eq!(Message::parse("Hallo\0Welt"), Err(TextError::Nul));
        assert_eq!(Title::from_subject(Some("\0"), LeadType::Order), Err(TextError::Nul));
    }

    #[test]
    fn message_is_trimmed_blank_is_none_and_bounded() {
        assert_eq!(Message::parse(" Hallo ").unwrap().unwrap().as_str(), "Hallo");
        assert_eq!(Message::parse("   ").unwrap(), None);
        assert!(Message::parse(&"x".repeat(20_000)).unwrap().is_some());
        assert_eq!(
            Message::parse(&"x".repeat(20_001)),
            Err(TextError::TooLong { max: 20_000 })
        );
    }
}
