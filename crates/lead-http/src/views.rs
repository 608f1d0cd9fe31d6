//! The JSON shapes of the team API.

use lead_domain::Timestamp;
use lead_store::{
    Customer, CustomerFile, CustomerId, EmployeeId, EmployeeRef, LeadId, Notification, NotificationId, OrderId,
    OrderRecord, Submission, SubmissionId, TicketId, TicketRecord,
};
use serde::Serialize;
use serde_json::value::RawValue;

/// RFC 3339 in UTC with milliseconds.
fn time(at: Timestamp) -> String {
    at.to_string()
}

/// The original request body as embedded JSON.
fn payload(raw: &str) -> Box<RawValue> {
    RawValue::from_string(raw.to_owned())
        .unwrap_or_else(|_| serde_json::value::to_raw_value(raw).expect("a string serialises"))
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

/// A customer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    #[schema(value_type = i64)]
    id: CustomerId,
    name: String,
    email: String,
    created_at: String,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        CustomerView {
            id: c.id,
            name: c.name,
            email: c.email,
            created_at: time(c.created_at),
        }
    }
}

/// A customer's file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerFileView {
    #[serde(flatten)]
    customer: CustomerView,
    tickets: Vec<TicketView>,
    orders: Vec<OrderView>,
}

impl From<CustomerFile> for CustomerFileView {
    fn from(file: CustomerFile) -> Self {
        CustomerFileView {
            customer: file.customer.into(),
            tickets: file.tickets.into_iter().map(|t| TicketView::new(t, false)).collect(),
            orders: file.orders.into_iter().map(|o| OrderView::new(o, false)).collect(),
        }
    }
}

/// An in-app notification.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    #[schema(value_type = i64)]
    id: NotificationId,
    /// `order` or `ticket`.
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
            LeadId::Order(id) => (Some(id), None),
            LeadId::Ticket(id) => (None, Some(id)),
        };
        NotificationView {
            id: n.id,
            kind: n.lead.lead_type().as_str(),
            text: n.text,
            read: n.read_at.is_some(),
            read_at: n.read_at.map(time),
            order_id,
            ticket_id,
            created_at: time(n.created_at),
        }
    }
}

/// One page of a list: the items, and the cursor of the next page (`null` on the last).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` fetched records: the extra one only says that more exist.
    pub fn from_fetched<R>(mut records: Vec<R>, limit: i64, id: impl Fn(&R) -> i64, view: impl Fn(R) -> T) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = records.len() > limit;
        records.truncate(limit);
        let next_cursor = if more {
            records.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            items: records.into_iter().map(view).collect(),
            next_cursor,
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
