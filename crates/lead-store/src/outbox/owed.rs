//! What an event owes: the rows a new lead, a decision or a release writes into the outbox in
//! its own transaction — one per webhook endpoint that takes the event, per employee who wants
//! an e-mail, per device — and the sender's confirmation.

use diesel::prelude::*;
use lead_domain::Timestamp;

use super::*;
use crate::db::DbConnection;
use crate::ids::{CompanyId, EmployeeId, LeadId, OrderId, PushSubscriptionId, TicketId, WebhookId};
use crate::outbox::Outbox;
use crate::schema::{employees, outbox, push_subscriptions, webhooks};
use crate::{db::dialect, Result};

/// Which deliveries new leads owe besides webhooks: e-mails (none unless an SMTP server is
/// configured) and push messages (none unless push is).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DeliveryPolicy {
    /// Whether e-mails are sent at all: each active employee who wants one gets one per lead.
    pub(crate) email: bool,
    /// Whether push messages are sent: each device of an active employee who wants them gets
    /// one per lead.
    pub(crate) push: bool,
    /// Confirmations to senders per key and day at most (keys that send them).
    pub(crate) confirmations_per_day: i64,
}

/// A delivery row to insert.
#[derive(Insertable)]
#[diesel(table_name = outbox)]
pub(crate) struct NewDelivery {
    company_id: CompanyId,
    channel: &'static str,
    event: &'static str,
    /// The webhook endpoint or push subscription (by `channel`).
    target_id: Option<i64>,
    employee_id: Option<EmployeeId>,
    order_id: Option<OrderId>,
    ticket_id: Option<TicketId>,
    /// The `webhook-id` (see [`DueDelivery::message_id`]).
    message_id: String,
    next_attempt_at: i64,
    created_at: i64,
}

/// A new delivery's `webhook-id`: a UUIDv7, unique without asking the database (ids are not:
/// after a restore the next delivery takes an id already used for one sent before).
pub(crate) fn new_message_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// Who a company's events go to: its active webhook endpoints (and the events each takes),
/// the active employees who want an e-mail per new lead, and the devices of those who want a
/// push message.
#[derive(Debug, Default, Clone)]
pub(crate) struct Subscribers {
    webhooks: Vec<(WebhookId, Vec<Event>)>,
    mail: Vec<EmployeeId>,
    devices: Vec<(PushSubscriptionId, EmployeeId)>,
}

impl Subscribers {
    /// The subscribers of `company_id`; employees' e-mails and devices only as far as `owed`
    /// says (an SMTP server, push are configured).
    pub(crate) fn of(conn: &mut DbConnection, company_id: CompanyId, owed: DeliveryPolicy) -> Result<Subscribers> {
        let hooks: Vec<(WebhookId, String)> = webhooks::table
            .filter(webhooks::company_id.eq(company_id))
            .filter(webhooks::active.eq(1))
            .filter(webhooks::removed_at.is_null())
            .select((webhooks::id, webhooks::events))
            .order(webhooks::id)
            .load(conn)?;
        let mail = if owed.email {
            employees::table
                .filter(employees::company_id.eq(company_id))
                .filter(employees::active.eq(1))
                .filter(employees::notify_email.eq(1))
                .select(employees::id)
                .order(employees::id)
                .load(conn)?
        } else {
            Vec::new()
        };
        let devices = if owed.push {
            push_subscriptions::table
                .inner_join(employees::table)
                .filter(push_subscriptions::company_id.eq(company_id))
                .filter(employees::active.eq(1))
                .filter(employees::notify_push.eq(1))
                .select((push_subscriptions::id, push_subscriptions::employee_id))
                .order(push_subscriptions::id)
                .load(conn)?
        } else {
            Vec::new()
        };
        Ok(Subscribers {
            webhooks: hooks
                .into_iter()
                .map(|(id, events)| Ok((id, parse_events(&events)?)))
                .collect::<Result<_>>()?,
            mail,
            devices,
        })
    }

    /// The deliveries `event` about `lead` owes: one per endpoint that takes it; for a new
    /// lead one e-mail per employee who wants one and one push message per device; for an
    /// event `to` one employee (a lead given to them), their e-mail and their devices.
    pub(crate) fn owed(
        &self,
        company_id: CompanyId,
        lead: LeadId,
        event: Event,
        to: Option<EmployeeId>,
        now: i64,
    ) -> impl Iterator<Item = NewDelivery> + '_ {
        let row = move |channel: Channel, target_id, employee_id| {
            NewDelivery::new(company_id, channel, event, Some(lead), target_id, employee_id, now)
        };
        let hooks = self
            .webhooks
            .iter()
            .filter(move |(_, events)| events.contains(&event))
            .map(move |&(id, _)| row(Channel::Webhook, Some(id.get()), None));
        let created = event == Event::created(lead);
        let addressed = move |employee: EmployeeId| created || to == Some(employee);
        hooks
            .chain(
                self.mail
                    .iter()
                    .filter(move |&&employee| addressed(employee))
                    .map(move |&employee| row(Channel::Email, None, Some(employee))),
            )
            .chain(
                self.devices
                    .iter()
                    .filter(move |&&(_, employee)| addressed(employee))
                    .map(move |&(device, employee)| row(Channel::Push, Some(device.get()), Some(employee))),
            )
    }
}

impl NewDelivery {
    /// A delivery due now.
    pub(crate) fn new(
        company_id: CompanyId,
        channel: Channel,
        event: Event,
        lead: Option<LeadId>,
        target_id: Option<i64>,
        employee_id: Option<EmployeeId>,
        now: i64,
    ) -> NewDelivery {
        let (order_id, ticket_id) = lead.map_or((None, None), LeadId::columns);
        NewDelivery {
            company_id,
            channel: channel.as_str(),
            event: event.as_str(),
            target_id,
            employee_id,
            order_id,
            ticket_id,
            message_id: new_message_id(),
            next_attempt_at: now,
            created_at: now,
        }
    }
}

/// The confirmation e-mail to the sender of a new `lead`.
pub(crate) fn confirmation(company_id: CompanyId, lead: LeadId, now: i64) -> NewDelivery {
    NewDelivery::new(
        company_id,
        Channel::Email,
        Event::Confirmation,
        Some(lead),
        None,
        None,
        now,
    )
}

/// Writes the deliveries `event` about `lead` owes (inside the caller's transaction).
pub(crate) fn enqueue(
    conn: &mut DbConnection,
    company_id: CompanyId,
    lead: LeadId,
    event: Event,
    to: Option<EmployeeId>,
    owed: DeliveryPolicy,
    now: i64,
) -> Result<()> {
    let rows: Vec<NewDelivery> = Subscribers::of(conn, company_id, owed)?
        .owed(company_id, lead, event, to, now)
        .collect();
    if !rows.is_empty() {
        dialect::insert_rows!(conn, outbox, rows);
    }
    Ok(())
}

impl Outbox<'_> {
    /// Writes the deliveries `event` about `lead` owes (inside the caller's transaction).
    pub(crate) fn enqueue(
        &self,
        conn: &mut DbConnection,
        company_id: CompanyId,
        lead: LeadId,
        event: Event,
    ) -> Result<()> {
        self.enqueue_to(conn, company_id, lead, event, None)
    }

    /// Writes the deliveries `event` about `lead` owes, the personal ones to employee `to`
    /// (inside the caller's transaction).
    pub(crate) fn enqueue_to(
        &self,
        conn: &mut DbConnection,
        company_id: CompanyId,
        lead: LeadId,
        event: Event,
        to: Option<EmployeeId>,
    ) -> Result<()> {
        enqueue(
            conn,
            company_id,
            lead,
            event,
            to,
            self.store.shared.owed,
            Timestamp::now().millis(),
        )
    }
}

/// Fails the pending deliveries of an endpoint.
pub(crate) fn fail_pending(conn: &mut DbConnection, endpoint: Endpoint, why: &str) -> Result<()> {
    let (channel, target) = match endpoint {
        Endpoint::Webhook(id) => (Channel::Webhook, id.get()),
        Endpoint::Push(id) => (Channel::Push, id.get()),
    };
    diesel::update(
        outbox::table
            .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
            .filter(outbox::target_id.eq(target))
            .filter(outbox::channel.eq(channel.as_str())),
    )
    .set((
        outbox::status.eq(DeliveryStatus::Failed.as_str()),
        outbox::last_error.eq(why),
        outbox::claimed_until.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}
