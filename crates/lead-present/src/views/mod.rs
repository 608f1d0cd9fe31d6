//! The published JSON views: what the team API answers, a webhook sends as `data`, the
//! operator's `--json` rows are built on and a person's export holds — one shape each, so
//! every reader reads the same. By topic: leads (`leads.rs`), their conversations
//! (`conversation.rs`), the team's other records
//! (`team.rs`), what the operator watches (`operations.rs`).

use lead_domain::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;

use lead_store::{EmployeeId, EmployeeRef};

/// RFC 3339 in UTC with milliseconds.
fn time(at: Timestamp) -> String {
    at.to_string()
}

/// The stored request body as embedded JSON, exactly as sent but on one line (whitespace
/// outside strings removed; numbers and key order untouched), so that a view is one line of
/// a JSON-lines export.
fn payload(raw: &str) -> Box<RawValue> {
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

/// An employee named on a record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EmployeeView {
    #[schema(value_type = i64)]
    id: EmployeeId,
    name: String,
}

impl From<EmployeeRef> for EmployeeView {
    fn from(e: EmployeeRef) -> Self {
        EmployeeView { id: e.id, name: e.name }
    }
}

mod conversation;
mod leads;
mod operations;
mod team;

pub use conversation::{origin, MessageView};
pub use leads::{AttachmentView, ConsentView, OrderView, TicketView};
pub use operations::{DeliveryView, SubmissionView};
pub use team::{
    device_label, CustomerChangeView, CustomerFileView, CustomerView, DeviceView, FieldChangeView, NoteView,
    NotificationView,
};

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
}
