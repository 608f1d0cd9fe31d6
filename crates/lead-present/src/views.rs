//! The JSON shape of an order and a ticket, as the team API shows them and webhooks send them
//! (one shape, so a receiver and an API client read the same).

use lead_domain::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;

use lead_store::{
    CompanyId, CustomerId, Delivery, DeliveryId, EmployeeId, EmployeeRef, LeadId, Notification, NotificationId,
    OrderId, OrderRecord, Submission, SubmissionId, TicketId, TicketRecord,
};

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

/// A web order; `payload` only where one order is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderView {
    #[schema(value_type = i64)]
    id: OrderId,
    /// `new`, `accepted` or `rejected`.
    #[schema(value_type = String)]
    status: &'static str,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: u64,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
    created_at: String,
    decided_by: Option<EmployeeView>,
    decided_at: Option<String>,
    /// What the website sent beyond the known fields.
    #[schema(value_type = Object)]
    extra: serde_json::Map<String, serde_json::Value>,
    /// The original request body (only where one record is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    payload: Option<Box<RawValue>>,
}

impl OrderView {
    /// The view of `order`, with its original payload if `with_payload`.
    pub fn new(order: OrderRecord, with_payload: bool) -> OrderView {
        OrderView {
            payload: with_payload.then(|| payload(&order.payload)),
            extra: lead_domain::extra_fields(&order.payload),
            id: order.id,
            status: order.status.as_str(),
            email: order.email,
            title: order.title,
            message: order.message,
            total_cents: order.total.cents(),
            customer_id: order.customer_id,
            created_at: time(order.created_at),
            decided_by: order.decided_by.map(EmployeeView::from),
            decided_at: order.decided_at.map(time),
        }
    }
}

/// A ticket; `payload` only where one ticket is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketView {
    #[schema(value_type = i64)]
    id: TicketId,
    /// `open` or `closed`.
    #[schema(value_type = String)]
    status: &'static str,
    email: String,
    title: String,
    message: String,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
    created_at: String,
    status_changed_by: Option<EmployeeView>,
    status_changed_at: Option<String>,
    /// What the website sent beyond the known fields.
    #[schema(value_type = Object)]
    extra: serde_json::Map<String, serde_json::Value>,
    /// The original request body (only where one record is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    payload: Option<Box<RawValue>>,
}

impl TicketView {
    /// The view of `ticket`, with its original payload if `with_payload`.
    pub fn new(ticket: TicketRecord, with_payload: bool) -> TicketView {
        TicketView {
            payload: with_payload.then(|| payload(&ticket.payload)),
            extra: lead_domain::extra_fields(&ticket.payload),
            id: ticket.id,
            status: ticket.status.as_str(),
            email: ticket.email,
            title: ticket.title,
            message: ticket.message,
            customer_id: ticket.customer_id,
            created_at: time(ticket.created_at),
            status_changed_by: ticket.status_changed_by.map(EmployeeView::from),
            status_changed_at: ticket.status_changed_at.map(time),
        }
    }
}

/// An in-app notification.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    #[schema(value_type = i64)]
    id: NotificationId,
    /// `order`, `ticket`, or `webhook` (one of the company's webhook endpoints was disabled).
    #[schema(value_type = String)]
    kind: &'static str,
    text: String,
    read: bool,
    read_at: Option<String>,
    #[schema(value_type = Option<i64>)]
    order_id: Option<OrderId>,
    #[schema(value_type = Option<i64>)]
    ticket_id: Option<TicketId>,
    created_at: String,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        let (order_id, ticket_id) = match n.lead {
            Some(LeadId::Order(id)) => (Some(id), None),
            Some(LeadId::Ticket(id)) => (None, Some(id)),
            None => (None, None),
        };
        NotificationView {
            id: n.id,
            kind: n.kind(),
            text: n.text,
            read: n.read_at.is_some(),
            read_at: n.read_at.map(time),
            order_id,
            ticket_id,
            created_at: time(n.created_at),
        }
    }
}

/// A request to the lead endpoint, as the submission log kept it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    #[schema(value_type = i64)]
    id: SubmissionId,
    at: String,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    size: i64,
    /// For failures: the body as sent (at most 8 KiB, keys redacted).
    body: Option<String>,
    /// Why it was answered as it was, where the status does not say it (a form's
    /// `redirect` that was not followed).
    note: Option<String>,
}

impl From<Submission> for SubmissionView {
    fn from(s: Submission) -> Self {
        SubmissionView {
            id: s.id,
            at: time(s.at),
            key_prefix: s.key_prefix,
            origin: s.origin,
            client_ip: s.client_ip,
            status: s.status,
            code: s.code,
            size: s.size,
            body: s.body,
            note: s.note,
        }
    }
}

/// A delivery of the outbox (a webhook request, an e-mail, a push message).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    #[schema(value_type = i64)]
    id: DeliveryId,
    #[schema(value_type = i64)]
    company_id: CompanyId,
    /// `webhook`, `email` or `push`.
    #[schema(value_type = String)]
    channel: &'static str,
    /// The endpoint (scheme, host and port: the rest of its URL may be a credential), the
    /// e-mail address, or the employee's address and the device's push service.
    target: String,
    /// `order.created`, `ticket.created`, `order.accepted`, `order.rejected`,
    /// `ticket.closed`, `ticket.reopened`, `confirmation` or `push.test`.
    #[schema(value_type = String)]
    event: &'static str,
    attempts: u32,
    /// `pending`, `delivered` or `failed`.
    #[schema(value_type = String)]
    status: &'static str,
    /// The endpoint's last HTTP status.
    last_status: Option<i32>,
    last_error: Option<String>,
    /// When it is tried next (pending ones).
    next_attempt_at: Option<String>,
    created_at: String,
}

impl From<Delivery> for DeliveryView {
    /// As a company's team sees it: a webhook's URL as scheme, host and port only.
    fn from(d: Delivery) -> Self {
        let webhook = d.channel == lead_store::Channel::Webhook;
        let mut view = DeliveryView::whole(d);
        if webhook {
            view.target = lead_store::shown_url(&view.target);
        }
        view
    }
}

impl DeliveryView {
    /// As the operator sees it: the whole target.
    pub fn whole(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            company_id: d.company_id,
            channel: d.channel.as_str(),
            target: d.target,
            event: d.event.as_str(),
            attempts: d.attempts,
            status: d.status.as_str(),
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(time),
            created_at: time(d.created_at),
        }
    }
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
}
