//! The outbox: every delivery owed to the world outside — a webhook request, an e-mail, a push
//! message — is a row written in the same transaction as what caused it (a lead, a decision, a
//! release), so that nothing committed is ever left unsent and nothing unsent is ever lost.
//! The delivery workers (crate `lead-deliver`) claim due rows in one short transaction, send
//! outside any transaction, and record the attempt in another
//! ([`Deliveries::exchange_deliveries`](crate::Deliveries::exchange_deliveries)).
//!
//! Sending is `deliveries/`, above the team's records it reads; this folder is what is owed,
//! written by everything that owes it, below them.
//!
//! Here the vocabulary (channels, events, endpoints, formats, statuses); then one file per
//! topic: what an event owes (`owed.rs`), the company's webhook endpoints (`webhooks.rs`) and
//! the employees' devices (`push.rs`).

use crate::ids::{LeadId, PushSubscriptionId, WebhookId};
use crate::{Result, StoreError};

lead_domain::words! {
    /// How a delivery leaves.
    Channel("channel") {
        /// An HTTP request to a company's webhook endpoint.
        Webhook = "webhook",
        /// An e-mail (to an employee, or a confirmation to the sender).
        Email = "email",
        /// A Web Push message to an employee's device.
        Push = "push",
    }
}

lead_domain::words! {
    /// What happened.
    Event("event") {
        /// A web order arrived (or a held one was released).
        OrderCreated = "order.created",
        /// A ticket arrived (or a held one was released).
        TicketCreated = "ticket.created",
        /// An employee accepted an order.
        OrderAccepted = "order.accepted",
        /// An employee rejected an order.
        OrderRejected = "order.rejected",
        /// An employee closed a ticket.
        TicketClosed = "ticket.closed",
        /// An employee reopened a ticket, or the customer's e-mail answer opened it again.
        TicketReopened = "ticket.reopened",
        /// An employee answered a ticket's sender: it waits for the customer.
        TicketPending = "ticket.pending",
        /// An order got another owner (or none).
        OrderOwnerChanged = "order.owner_changed",
        /// A ticket got another owner (or none).
        TicketOwnerChanged = "ticket.owner_changed",
        /// The sender's confirmation e-mail of a new lead.
        Confirmation = "confirmation",
        /// A test message to an employee's devices („Test senden“).
        PushTest = "push.test",
        /// A reply of the team to a lead's sender (the message is the delivery's target).
        Reply = "message.reply",
        /// A customer's e-mail joined a lead's conversation: its owner (or, with none, every
        /// active employee) is told.
        Answered = "message.received",
    }
}

impl Event {
    /// The events a webhook endpoint can receive (all of them unless it names some).
    pub const WEBHOOK_EVENTS: &'static [Event] = &[
        Event::OrderCreated,
        Event::TicketCreated,
        Event::OrderAccepted,
        Event::OrderRejected,
        Event::TicketClosed,
        Event::TicketReopened,
        Event::TicketPending,
        Event::OrderOwnerChanged,
        Event::TicketOwnerChanged,
    ];

    /// The event of a lead's new owner.
    pub fn owner_changed(lead: LeadId) -> Event {
        match lead {
            LeadId::Order(_) => Event::OrderOwnerChanged,
            LeadId::Ticket(_) => Event::TicketOwnerChanged,
        }
    }

    /// The event of a new (or released) lead.
    pub fn created(lead: LeadId) -> Event {
        match lead {
            LeadId::Order(_) => Event::OrderCreated,
            LeadId::Ticket(_) => Event::TicketCreated,
        }
    }
}

/// Where a delivery goes when it is not an e-mail: a webhook endpoint or a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A company's webhook endpoint.
    Webhook(WebhookId),
    /// An employee's device (its push subscription).
    Push(PushSubscriptionId),
}

lead_domain::words! {
    /// What a webhook endpoint is sent.
    WebhookFormat("format") {
        /// A signed JSON event (Standard Webhooks).
        Standard = "standard",
        /// `{"text": …}`: the German notification and a link, unsigned — what the incoming
        /// webhooks of Slack, Mattermost, Rocket.Chat and Microsoft Teams accept.
        Slack = "slack",
    }
}

lead_domain::words! {
    /// Where a delivery stands.
    DeliveryStatus("status") {
        /// Not delivered yet: due at `next_attempt_at`.
        Pending = "pending",
        /// Delivered.
        Delivered = "delivered",
        /// Given up: the schedule ran out, the target refused it for good, or the endpoint
        /// was disabled or removed.
        Failed = "failed",
    }
}

/// The events stored in a webhook's `events` column.
pub(crate) fn parse_events(text: &str) -> Result<Vec<Event>> {
    text.split(',')
        .map(|event| {
            event
                .parse()
                .map_err(|_| StoreError::corrupt(format!("webhook event {event:?}")))
        })
        .collect()
}

/// A stored word of one of the closed sets above.
pub(crate) fn parse_word<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("{what} {text:?}")))
}

pub(crate) mod mailbox;
pub(crate) mod owed;
pub(crate) mod push;
mod webhooks;

pub(crate) use owed::{confirmation, fail_pending, DeliveryPolicy, NewDelivery, Subscribers};
pub use push::PushTarget;
pub(crate) use webhooks::targets;
pub use webhooks::{shown_url, NewWebhook, Webhook, WebhookTarget, PREVIOUS_SECRET_VALID};

handle! {
    /// What is owed to the outside and where it goes: the companies' webhook endpoints, the
/// employees' devices, the server's push keys and the companies' mailboxes.
    Outbox by outbox
}

/// Deletes the outbox rows where `condition` holds, with their attempts (the outbox has no
/// foreign keys to what it delivers).
pub(crate) fn delete_deliveries(conn: &mut crate::db::DbConnection, condition: &str) -> crate::Result<usize> {
    use diesel::RunQueryDsl as _;
    let attempts = diesel::sql_query(format!(
        "DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE {condition})"
    ));
    crate::db::dialect::each_backend!(conn, c => attempts.execute(c))?;
    let rows = diesel::sql_query(format!("DELETE FROM outbox WHERE {condition}"));
    Ok(crate::db::dialect::each_backend!(conn, c => rows.execute(c))?)
}
