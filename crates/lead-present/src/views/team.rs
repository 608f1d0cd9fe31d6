//! What the team works with besides leads: customers and their files, notes, notifications,
//! devices.

use lead_store::{
    Customer, CustomerChangeEntry, CustomerFile, CustomerId, LeadId, Note, NoteId, NoteOn, Notification,
    NotificationId, OrderId, PushSubscription, PushSubscriptionId, TicketId,
};
use serde::Serialize;

use super::{time, EmployeeView, OrderView, TicketView};

/// A customer: everything the team keeps of them. Leads from the main address or any of
/// the further ones are filed under it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    #[schema(value_type = i64)]
    id: CustomerId,
    name: String,
    /// The main address.
    email: String,
    /// Further addresses.
    emails: Vec<String>,
    phone: String,
    /// The firm the customer is with.
    company: String,
    street: String,
    /// The postal code, as text.
    zip: String,
    city: String,
    country: String,
    created_at: String,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        CustomerView {
            id: c.id,
            name: c.name,
            email: c.email,
            emails: c.emails,
            phone: c.phone,
            company: c.organization,
            street: c.street,
            zip: c.zip,
            city: c.city,
            country: c.country,
            created_at: time(c.created_at),
        }
    }
}

/// One change of a customer file: when, by whom, which fields from what to what.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerChangeView {
    at: String,
    /// The employee who made it; `null` when the operator did.
    by: Option<EmployeeView>,
    /// Each field changed, with its value before and after (`emails`: the further addresses
    /// joined by `, `).
    changes: Vec<FieldChangeView>,
}

/// A field's value before and after a change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldChangeView {
    field: String,
    before: String,
    after: String,
}

impl From<CustomerChangeEntry> for CustomerChangeView {
    fn from(entry: CustomerChangeEntry) -> Self {
        CustomerChangeView {
            at: time(entry.at),
            by: entry.employee.map(EmployeeView::from),
            changes: entry
                .fields
                .into_iter()
                .map(|(field, before, after)| FieldChangeView { field, before, after })
                .collect(),
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
    /// Who wrote it; `null`: the server, as the lead arrived (a file it did not take).
    author: Option<EmployeeView>,
    text: String,
    created_at: String,
    #[schema(value_type = Option<i64>)]
    order_id: Option<OrderId>,
    #[schema(value_type = Option<i64>)]
    ticket_id: Option<TicketId>,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
}

impl From<Note> for NoteView {
    fn from(note: Note) -> Self {
        let (order_id, ticket_id, customer_id) = match note.on {
            NoteOn::Order(id) => (Some(id), None, None),
            NoteOn::Ticket(id) => (None, Some(id), None),
            NoteOn::Customer(id) => (None, None, Some(id)),
        };
        NoteView {
            id: note.id,
            author: note.author.map(EmployeeView::from),
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
        let (order_id, ticket_id) = n.lead.map_or((None, None), LeadId::columns);
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
            device: device_label(&d.device).to_owned(),
            created_at: time(d.created_at),
            last_success_at: d.last_success_at.map(time),
        }
    }
}

/// How a device is named to its employee: the label it was subscribed with („Chrome auf
/// Android“), or „Unbekanntes Gerät“ for none.
pub fn device_label(label: &str) -> &str {
    if label.trim().is_empty() {
        "Unbekanntes Gerät"
    } else {
        label
    }
}
