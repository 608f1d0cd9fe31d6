//! The sender's email address: trimmed, syntax-checked, compared case-insensitively.
//!
//! Every address people have is one (CONTRACT.md, amendment 2026-12-06): UTF-8 in the local
//! part and the domain (RFC 6531: `jürgen@beispiel.de`, `kunde@müller.de`), a quoted local part
//! (`"max mustermann"@beispiel.de`), a domain literal (`a@[192.0.2.1]`). Not one: no `@`, an
//! empty local part or domain, whitespace or a control character outside quotes, a domain label
//! that is empty or starts or ends with `-`.

use std::fmt;

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
        if !well_formed(trimmed) {
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

/// The longest local part, in characters (RFC 5321 counts 64 octets; a character is what a
/// person types).
const MAX_LOCAL_CHARS: usize = 64;

/// Whether `text` has the syntax of an address (see the module's description).
fn well_formed(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    local_part(local) && domain_part(domain)
}

/// A dot-atom of any letters but the specials, or a quoted string.
fn local_part(local: &str) -> bool {
    if local.is_empty() || local.chars().count() > MAX_LOCAL_CHARS {
        return false;
    }
    if let Some(inner) = local.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) {
        let mut escaped = false;
        for c in inner.chars() {
            match (escaped, c) {
                (_, c) if c.is_control() => return false,
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => return false,
                _ => {}
            }
        }
        return !escaped;
    }
    local
        .chars()
        .all(|c| !(c.is_whitespace() || c.is_control() || "()<>[]:;@\\,\"".contains(c)))
}

/// Labels of letters (any script), digits and `-`, or a literal IP address in brackets.
fn domain_part(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        let address = literal.strip_prefix("IPv6:").unwrap_or(literal);
        return address.parse::<std::net::IpAddr>().is_ok();
    }
    !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().count() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
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
        for text in [
            "max",
            "max@",
            "@beispiel.de",
            "max mustermann@beispiel.de",
            "a@b@c.de",
            "max@beispiel..de",
            "max@-beispiel.de",
            "max@beispiel-.de",
            "max@beis piel.de",
            "max@beispiel.de.",
            "ma\u{7}x@beispiel.de",
            "\"max\"mustermann\"@beispiel.de",
            "max@[300.1.1.1]",
            "ma(x)@beispiel.de",
        ] {
            assert_eq!(Email::parse(text), Err(EmailError::Malformed), "{text:?}");
        }
    }

    #[test]
    fn every_address_people_have_is_one() {
        for text in [
            "jürgen@beispiel.de",
            "kunde@müller.de",
            "Jürgen.Müller@Bäckerei-Müller.de",
            "\"max mustermann\"@beispiel.de",
            "\"a\\\"b\"@beispiel.de",
            "用户@例子.广告",
            "max+newsletter@beispiel.de",
            "o'brien@example.com",
            "a@[192.0.2.1]",
            "a@[IPv6:2001:db8::1]",
            "admin@localhost",
        ] {
            assert!(Email::parse(text).is_ok(), "{text:?}");
        }
        assert_eq!(
            Email::parse("Jürgen@Beispiel.DE").unwrap().normalized(),
            "jürgen@beispiel.de"
        );
        assert_eq!(
            Email::parse(&format!("{}@b.de", "ü".repeat(65))),
            Err(EmailError::Malformed)
        );
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
