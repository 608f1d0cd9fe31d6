//! How the operator's lists are printed: a readable table, or one line of JSON.

mod access;
mod leads;
mod outbox;

pub use access::{AuditRow, CompanyRow, EmployeeRow, KeyRow, TokenRow};
pub use leads::{CustomerRow, InTerminal, LeadRow, NotificationRow, SubmissionRow};
pub use outbox::{DeliveryRow, WebhookRow};

use lead_domain::Timestamp;
use serde::Serialize;

/// A row that can be printed both ways.
pub trait Row: Serialize {
    /// Column headers of the table.
    const HEADERS: &'static [&'static str];
    /// The row's cells, in header order.
    fn cells(&self) -> Vec<String>;
}

/// Prints `rows` as a JSON array on one line, or as a table.
pub fn print_rows<R: Row>(rows: &[R], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(rows)?);
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.cells().into_iter().map(cell).collect())
        .collect();
    let mut widths: Vec<usize> = R::HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |texts: Vec<&str>| {
        let padded: Vec<String> = texts
            .iter()
            .zip(&widths)
            .map(|(text, &width)| format!("{text:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(R::HEADERS.to_vec());
    for row in &cells {
        line(row.iter().map(String::as_str).collect());
    }
    if rows.is_empty() {
        println!("(none)");
    }
    Ok(())
}

/// One table cell: on one line, and long texts cut short (the JSON output has them whole).
fn cell(text: String) -> String {
    const MAX: usize = 48;
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > MAX {
        format!("{}…", flat.chars().take(MAX - 1).collect::<String>())
    } else {
        flat
    }
}

pub(crate) fn time(at: Timestamp) -> String {
    at.to_string()
}

/// A lead's status, with the reason it is held back if it is (`new (quarantine)`).
pub(crate) fn status(status: &str, held: Option<&str>) -> String {
    match held {
        Some(hold) => format!("{status} ({hold})"),
        None => status.to_owned(),
    }
}

pub(crate) fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_flat_and_short() {
        assert_eq!(cell("a\nb".into()), "a b");
        let long = cell("x".repeat(100));
        assert_eq!(long.chars().count(), 48);
        assert!(long.ends_with('…'));
    }
}
