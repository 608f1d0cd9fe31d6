//! Rows of leads and what they lead to: customers, orders, tickets, notifications, and the
//! submission log.

use lead_store::{
    CompanyId, Customer, CustomerId, LeadId, Notification, NotificationId, OrderId, OrderRecord, Submission,
    SubmissionId, TicketId, TicketRecord,
};
use serde::Serialize;
use serde_json::value::RawValue;

use super::{optional, payload, status, time, Row};

/// `customer list`
#[derive(Serialize)]
pub struct CustomerRow {
    id: CustomerId,
    company_id: CompanyId,
    name: String,
    email: String,
    created_at: String,
}

impl From<Customer> for CustomerRow {
    fn from(c: Customer) -> Self {
        CustomerRow {
            id: c.id,
            company_id: c.company_id,
            name: c.name,
            email: c.email,
            created_at: time(c.created_at),
        }
    }
}

impl Row for CustomerRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EMAIL", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.email.clone(),
            self.created_at.clone(),
        ]
    }
}

/// `orders list`
#[derive(Serialize)]
pub struct OrderRow {
    id: OrderId,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: u64,
    status: &'static str,
    customer_id: Option<CustomerId>,
    payload: Box<RawValue>,
    /// What the website sent beyond the known fields.
    extra: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    /// Why the lead is held back from the team (`quarantine`, `spam`, `conflict`), or `null`.
    held: Option<&'static str>,
}

impl From<OrderRecord> for OrderRow {
    fn from(o: OrderRecord) -> Self {
        OrderRow {
            id: o.id,
            email: o.email,
            title: o.title,
            message: o.message,
            total_cents: o.total.cents(),
            status: o.status.as_str(),
            customer_id: o.customer_id,
            payload: payload(&o.payload),
            extra: lead_domain::extra_fields(&o.payload),
            created_at: time(o.created_at),
            held: o.held.map(lead_store::Hold::as_str),
        }
    }
}

impl Row for OrderRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "CREATED", "STATUS", "TOTAL", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE",
    ];
    fn cells(&self) -> Vec<String> {
        let total = lead_domain::Money::from_cents(self.total_cents);
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            status(self.status, self.held),
            total.map_or_else(|| self.total_cents.to_string(), |m| m.to_german()),
            self.email.clone(),
            optional(self.customer_id),
            self.title.clone(),
            self.message.clone().unwrap_or_default(),
        ]
    }
}

/// `tickets list`
#[derive(Serialize)]
pub struct TicketRow {
    id: TicketId,
    email: String,
    title: String,
    message: String,
    status: &'static str,
    customer_id: Option<CustomerId>,
    payload: Box<RawValue>,
    /// What the website sent beyond the known fields.
    extra: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    /// Why the lead is held back from the team (`quarantine`, `spam`, `conflict`), or `null`.
    held: Option<&'static str>,
}

impl From<TicketRecord> for TicketRow {
    fn from(t: TicketRecord) -> Self {
        TicketRow {
            id: t.id,
            email: t.email,
            title: t.title,
            message: t.message,
            status: t.status.as_str(),
            customer_id: t.customer_id,
            payload: payload(&t.payload),
            extra: lead_domain::extra_fields(&t.payload),
            created_at: time(t.created_at),
            held: t.held.map(lead_store::Hold::as_str),
        }
    }
}

impl Row for TicketRow {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "STATUS", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            status(self.status, self.held),
            self.email.clone(),
            optional(self.customer_id),
            self.title.clone(),
            self.message.clone(),
        ]
    }
}

/// `submissions list`
#[derive(Serialize)]
pub struct SubmissionRow {
    id: SubmissionId,
    at: String,
    company_id: Option<CompanyId>,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    size: i64,
    body: Option<String>,
    /// Why it was answered as it was, where the status does not say it.
    note: Option<String>,
}

impl From<Submission> for SubmissionRow {
    fn from(s: Submission) -> Self {
        SubmissionRow {
            id: s.id,
            at: time(s.at),
            company_id: s.company_id,
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

impl Row for SubmissionRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "AT", "COMPANY", "KEY", "ORIGIN", "CLIENT", "STATUS", "CODE", "SIZE", "NOTE", "BODY",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.at.clone(),
            optional(self.company_id),
            self.key_prefix.clone().unwrap_or_default(),
            self.origin.clone().unwrap_or_default(),
            self.client_ip.clone().unwrap_or_default(),
            self.status.to_string(),
            self.code.clone().unwrap_or_default(),
            self.size.to_string(),
            self.note.clone().unwrap_or_default(),
            self.body.clone().unwrap_or_default(),
        ]
    }
}

/// `notifications list`
#[derive(Serialize)]
pub struct NotificationRow {
    id: NotificationId,
    kind: &'static str,
    text: String,
    read: bool,
    order_id: Option<OrderId>,
    ticket_id: Option<TicketId>,
    created_at: String,
}

impl From<Notification> for NotificationRow {
    fn from(n: Notification) -> Self {
        let (order_id, ticket_id) = match n.lead {
            Some(LeadId::Order(id)) => (Some(id), None),
            Some(LeadId::Ticket(id)) => (None, Some(id)),
            None => (None, None),
        };
        NotificationRow {
            id: n.id,
            kind: n.kind(),
            text: n.text,
            read: n.read_at.is_some(),
            order_id,
            ticket_id,
            created_at: time(n.created_at),
        }
    }
}

impl Row for NotificationRow {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "KIND", "READ", "TEXT"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            self.kind.to_owned(),
            self.read.to_string(),
            self.text.clone(),
        ]
    }
}
