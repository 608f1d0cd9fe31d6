//! The JSON shapes of the team API.

use lead_domain::Timestamp;
pub use lead_present::views::{DeliveryView, NotificationView, OrderView, SubmissionView, TicketView};
use lead_store::{Customer, CustomerFile, CustomerId, NoteId, OrderId, PushSubscription, PushSubscriptionId, TicketId};
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
