//! Sending what the outbox holds: the delivery workers (crate `lead-deliver`) claim due rows
//! in one short transaction, send outside any transaction, and record the attempt in another
//! ([`Deliveries::exchange_deliveries`](crate::Deliveries::exchange_deliveries)); an endpoint that keeps
//! failing is disabled and its company's team told. One file per topic: claiming and
//! recording (`claims.rs`), what a claimed delivery needs to be sent (`due.rs`), and the
//! operator's and team's lists with the retry (`lists.rs`).
//!
//! Above `team/` (it reads the leads it sends and notifies the team), where `outbox/` — what
//! is owed, written by everything that owes it — stands below.

/// The outbox with each row's endpoint: its webhook (channel `webhook`) or its device (channel
/// `push`) — `target_id` names either, by channel.
macro_rules! outbox_with_endpoints {
    () => {
        outbox::table
            .left_join(
                webhooks::table.on(outbox::target_id
                    .eq(webhooks::id.nullable())
                    .and(outbox::channel.eq(Channel::Webhook.as_str()))),
            )
            .left_join(
                push_subscriptions::table.on(outbox::target_id
                    .eq(push_subscriptions::id.nullable())
                    .and(outbox::channel.eq(Channel::Push.as_str()))),
            )
    };
}

mod claims;
mod due;
mod lists;

pub use claims::{Attempt, Exchange, Outcome};
pub use due::{DueDelivery, LeadRecord, MailTo, OutgoingReply, Quoted};
pub use lists::{Delivery, DeliveryFilter};

handle! {
    /// Sending: the delivery workers' claims and records, and the lists of deliveries with their
/// retry.
    Deliveries by deliveries
}
