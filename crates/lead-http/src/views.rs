//! The JSON shapes of the team API.

use lead_domain::Timestamp;
pub use lead_present::views::{OrderView, TicketView};
use lead_store::{
    CompanyId, Customer, CustomerFile, CustomerId, Delivery, DeliveryId, LeadId, NoteId, Notification, NotificationId,
    OrderId, PushSubscription, PushSubscriptionId, Submission, SubmissionId, TicketId,
};
use serde::Serialize;

/// RFC 3339 in UTC with milliseconds.
fn time(at: Timestamp) -> String {
    at.to_string()
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
    /// The newest tickets (`limit`, default 50), newest first.
    tickets: Vec<TicketView>,
    /// The `cursor` of `GET /api/v1/customers/{id}/tickets` for the older ones; `null` when
    /// these are all.
    tickets_next_cursor: Option<String>,
    /// The newest orders (`limit`, default 50), newest first.
    orders: Vec<OrderView>,
    /// The `cursor` of `GET /api/v1/customers/{id}/orders` for the older ones; `null` when
    /// these are all.
    orders_next_cursor: Option<String>,
}

impl From<CustomerFile> for CustomerFileView {
    fn from(file: CustomerFile) -> Self {
        let next = |more: bool, last: Option<i64>| last.filter(|_| more).map(|id| id.to_string());
        CustomerFileView {
            customer: file.customer.into(),
            tickets_next_cursor: next(file.more_tickets, file.tickets.last().map(|t| t.id.get())),
            orders_next_cursor: next(file.more_orders, file.orders.last().map(|o| o.id.get())),
            tickets: file.tickets.into_iter().map(|t| TicketView::new(t, false)).collect(),
            orders: file.orders.into_iter().map(|o| OrderView::new(o, false)).collect(),
        }
    }
}

/// An internal note of the team on a record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NoteView {
    #[schema(value_type = i64)]
    id: NoteId,
    /// Who wrote it.
    author: lead_present::views::EmployeeView,
    text: String,
    created_at: String,
    #[schema(value_type = Option<i64>)]
    order_id: Option<OrderId>,
    #[schema(value_type = Option<i64>)]
    ticket_id: Option<TicketId>,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
}

impl From<lead_store::Note> for NoteView {
    fn from(note: lead_store::Note) -> Self {
        let (order_id, ticket_id, customer_id) = match note.on {
            lead_store::NoteOn::Order(id) => (Some(id), None, None),
            lead_store::NoteOn::Ticket(id) => (None, Some(id), None),
            lead_store::NoteOn::Customer(id) => (None, None, Some(id)),
        };
        NoteView {
            id: note.id,
            author: note.author.into(),
            text: note.text,
            created_at: time(note.created_at),
            order_id,
            ticket_id,
            customer_id,
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
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            company_id: d.company_id,
            channel: d.channel.as_str(),
            target: match d.channel {
                lead_store::Channel::Webhook => lead_store::shown_url(&d.target),
                _ => d.target,
            },
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

/// One of the employee's devices that get push messages.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    #[schema(value_type = i64)]
    id: PushSubscriptionId,
    /// Its push service: scheme and host (the rest of the URL is the device's secret).
    service: String,
    /// Browser and system, from the user agent that subscribed („Chrome auf Android“).
    device: String,
    created_at: String,
    /// When a push last reached its push service.
    last_success_at: Option<String>,
}

impl From<PushSubscription> for DeviceView {
    fn from(d: PushSubscription) -> Self {
        DeviceView {
            id: d.id,
            service: d.service,
            device: d.device,
            created_at: time(d.created_at),
            last_success_at: d.last_success_at.map(time),
        }
    }
}
