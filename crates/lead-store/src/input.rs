//! Checks on what the operator and the team type in: names, email addresses, and the
//! selectors (id or display prefix) that pick a key or a token.

use lead_domain::{Email, EmailError};

use crate::{Problem, Result, StoreError};

/// The longest company, employee or customer name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A trimmed, non-blank, bounded name.
pub(crate) fn checked_name(name: &str) -> Result<&str> {
    let invalid = |problem| StoreError::Invalid { field: "name", problem };
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid(Problem::Blank));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(Problem::TooLong(MAX_NAME_CHARS)));
    }
    Ok(name)
}

/// A valid email address.
pub(crate) fn checked_email(email: &str) -> Result<Email> {
    checked_email_of("email", email)
}

/// A valid email address, given as `field`.
pub(crate) fn checked_email_of(field: &'static str, email: &str) -> Result<Email> {
    Email::parse(email).map_err(|e| StoreError::Invalid {
        field,
        problem: match e {
            EmailError::Empty => Problem::Blank,
            EmailError::TooLong => Problem::TooLong(Email::MAX_CHARS),
            EmailError::Malformed => Problem::NotAnEmail(email.trim().to_owned()),
        },
    })
}

/// A trimmed text of at most `max` characters without control characters; empty is allowed
/// (a field not known).
pub(crate) fn checked_text(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid {
            field,
            problem: Problem::Other("contains a control character".into()),
        });
    }
    if text.chars().count() > max {
        return Err(StoreError::Invalid {
            field,
            problem: Problem::TooLong(max),
        });
    }
    Ok(text.to_owned())
}

/// Picks the one item whose id is `selector` (all digits) or whose display prefix equals or
/// starts with it. An exact prefix wins; several candidates are a conflict that names them.
pub(crate) fn select_by_id_or_prefix<T>(
    items: Vec<T>,
    selector: &str,
    what: &'static str,
    entity: crate::error::Entity,
    id_and_prefix: impl Fn(&T) -> (i64, &str),
) -> Result<T> {
    let selector = selector.trim();
    if selector.is_empty() {
        return Err(StoreError::Invalid {
            field: what,
            problem: Problem::Other(format!("give a {what} id or prefix")),
        });
    }
    let mut candidates: Vec<T> = if selector.bytes().all(|b| b.is_ascii_digit()) {
        let id = selector.parse::<i64>().ok();
        items
            .into_iter()
            .filter(|item| Some(id_and_prefix(item).0) == id)
            .collect()
    } else if items.iter().any(|item| id_and_prefix(item).1 == selector) {
        items
            .into_iter()
            .filter(|item| id_and_prefix(item).1 == selector)
            .collect()
    } else {
        items
            .into_iter()
            .filter(|item| id_and_prefix(item).1.starts_with(selector))
            .collect()
    };
    match candidates.len() {
        0 => Err(StoreError::NotFound(
            entity,
            format!("no {what} with id or prefix {selector:?}"),
        )),
        1 => Ok(candidates.remove(0)),
        _ => {
            let ids: Vec<String> = candidates
                .iter()
                .map(|item| id_and_prefix(item).0.to_string())
                .collect();
            Err(StoreError::Conflict(
                crate::error::Clash::Ambiguous,
                format!(
                    "the prefix {selector:?} is ambiguous: it matches {what}s {}; give the id",
                    ids.join(", ")
                ),
            ))
        }
    }
}
