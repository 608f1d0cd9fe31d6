//! The rows a person's export writes besides their leads: as stored, with times in RFC 3339.

use diesel::prelude::*;
use lead_domain::Timestamp;
use serde::Serialize;

/// A notification in an export.
#[derive(Debug, Queryable, Serialize)]
pub(super) struct NoteRow {
    id: i64,
    employee_id: i64,
    kind: String,
    text: String,
    order_id: Option<i64>,
    ticket_id: Option<i64>,
    #[serde(serialize_with = "time")]
    created_at: i64,
    #[serde(serialize_with = "maybe_time")]
    read_at: Option<i64>,
}

/// An internal note of the team in an export.
#[derive(Debug, Queryable, Serialize)]
pub(super) struct NoteExport {
    id: i64,
    order_id: Option<i64>,
    ticket_id: Option<i64>,
    customer_id: Option<i64>,
    /// `null`: the server's own note (a file it did not take).
    author: Option<String>,
    text: String,
    #[serde(serialize_with = "time")]
    created_at: i64,
}

/// A change of one of the person's customer files in an export: who, when, each field from
/// what to what (`[[field, before, after], …]`, as the file's history keeps it).
#[derive(Debug, Queryable, Serialize)]
pub(super) struct CustomerChangeExport {
    id: i64,
    customer_id: i64,
    by: String,
    #[serde(serialize_with = "time")]
    at: i64,
    #[serde(serialize_with = "raw_json")]
    changes: String,
}

/// A stored JSON text written as the JSON it is (text if it is not).
pub(super) fn raw_json<S: serde::Serializer>(text: &str, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value.serialize(serializer),
        Err(_) => serializer.serialize_str(text),
    }
}

/// A delivery in an export.
#[derive(Debug, Queryable, Serialize)]
pub(super) struct DeliveryRow {
    id: i64,
    channel: String,
    event: String,
    status: String,
    attempts: i32,
    body: Option<String>,
    last_error: Option<String>,
    #[serde(serialize_with = "time")]
    created_at: i64,
}

/// A submission log entry in an export.
#[derive(Debug, Queryable, Serialize)]
pub(super) struct SubmissionRow {
    id: i64,
    #[serde(serialize_with = "time")]
    at: i64,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    body: Option<String>,
}

/// A count of wrong passwords typed with the address, in an export.
#[derive(Debug, Queryable, Serialize)]
pub(super) struct LoginRow {
    client: String,
    failed: i32,
    #[serde(serialize_with = "maybe_time")]
    locked_until: Option<i64>,
    #[serde(serialize_with = "time")]
    updated_at: i64,
}

pub(super) fn time<S: serde::Serializer>(millis: &i64, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(&Timestamp::from_millis(*millis))
}

pub(super) fn maybe_time<S: serde::Serializer>(
    millis: &Option<i64>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match millis {
        Some(millis) => time(millis, serializer),
        None => serializer.serialize_none(),
    }
}

/// An e-mail of the conversation of one of the person's leads, in an export (without the
/// e-mail as it came, whose text this is).
#[derive(Debug, Queryable, Serialize)]
pub(super) struct MessageExport {
    id: i64,
    order_id: Option<i64>,
    ticket_id: Option<i64>,
    direction: String,
    from: String,
    to: String,
    subject: String,
    text: String,
    /// The employee who wrote it (out).
    author: Option<String>,
    #[serde(serialize_with = "time")]
    created_at: i64,
}
