//! How the operator's lists are printed: a readable table, or one line of JSON.

mod access;
mod leads;
mod outbox;

pub use access::{AuditRow, CompanyRow, EmployeeRow, KeyRow, TokenRow};
pub use leads::{CustomerRow, NotificationRow, OrderRow, SubmissionRow, TicketRow};
pub use outbox::{DeliveryRow, WebhookRow};

use lead_domain::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;

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

/// The stored request body as a JSON value, exactly as sent but on one line (whitespace
/// outside strings removed; numbers and key order untouched).
pub(crate) fn payload(raw: &str) -> Box<RawValue> {
    let mut compact = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        compact.push(c);
    }
    RawValue::from_string(compact).unwrap_or_else(|_| {
        // Stored payloads were valid JSON when accepted; keep anything else visible as text.
        serde_json::value::to_raw_value(raw).expect("a string serialises")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_goes_on_one_line_exactly_as_sent() {
        let raw = "{\n  \"type\": \"order\",\n  \"note\": \"a  b\\\" \\n c\",\n  \"total\": 1.230,\n  \"big\": 12345678901234567890123\n}";
        assert_eq!(
            payload(raw).get(),
            r#"{"type":"order","note":"a  b\" \n c","total":1.230,"big":12345678901234567890123}"#
        );
    }

    #[test]
    fn cells_are_flat_and_short() {
        assert_eq!(cell("a\nb".into()), "a b");
        let long = cell("x".repeat(100));
        assert_eq!(long.chars().count(), 48);
        assert!(long.ends_with('…'));
    }
}
