//! The outbox: every delivery owed to the world outside — a webhook request, an e-mail, a push
//! message — is a
//! row written in the same transaction as what caused it (a lead, a decision, a release), so
//! that nothing committed is ever left unsent and nothing unsent is ever lost. The delivery
//! workers (crate `lead-deliver`) claim due rows in one short transaction, send outside any
//! transaction, and record the attempt in another ([`Store::claim_deliveries`],
//! [`Store::record_attempts`]).
//!
//! Here: the vocabulary (channels, events, formats, statuses), the company's webhook
//! endpoints, the rows a lead or an event owes, claiming and recording, and the operator's
//! and team's lists.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::ids::{CompanyId, DeliveryId, EmployeeId, LeadId, OrderId, PushSubscriptionId, TicketId, WebhookId};
use crate::ingest::DeliveryPolicy;
use crate::records::{OrderRecord, OrderRow, TicketRecord, TicketRow};
use crate::schema::{companies, employees, outbox, outbox_attempts, push_subscriptions, tickets, web_orders, webhooks};
use crate::{audit, dialect, Result, Store, StoreError};

/// Spells each variant of a closed set of words (as stored and as shown), and parses it back.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> std::result::Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!(
                        "{other:?} is not one of {}",
                        [$($text),*].join(", ")
                    )),
                }
            }
        }
    };
}

words! {
    /// How a delivery leaves.
    Channel {
        /// An HTTP request to a company's webhook endpoint.
        Webhook = "webhook",
        /// An e-mail (to an employee, or a confirmation to the sender).
        Email = "email",
        /// A Web Push message to an employee's device.
        Push = "push",
    }
}

words! {
    /// What happened.
    Event {
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
        /// An employee reopened a ticket.
        TicketReopened = "ticket.reopened",
        /// The sender's confirmation e-mail of a new lead.
        Confirmation = "confirmation",
        /// A test message to an employee's devices („Test senden“).
        PushTest = "push.test",
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
    ];

    /// The event of a new (or released) lead.
    pub fn created(lead: LeadId) -> Event {
        match lead {
            LeadId::Order(_) => Event::OrderCreated,
            LeadId::Ticket(_) => Event::TicketCreated,
        }
    }
}

words! {
    /// What a webhook endpoint is sent.
    WebhookFormat {
        /// A signed JSON event (Standard Webhooks).
        Standard = "standard",
        /// `{"text": …}`: the German notification and a link, unsigned — what the incoming
        /// webhooks of Slack, Mattermost, Rocket.Chat and Microsoft Teams accept.
        Slack = "slack",
    }
}

words! {
    /// Where a delivery stands.
    DeliveryStatus {
        /// Not delivered yet: due at `next_attempt_at`.
        Pending = "pending",
        /// Delivered.
        Delivered = "delivered",
        /// Given up: the schedule ran out, the target refused it for good, or the endpoint
        /// was disabled or removed.
        Failed = "failed",
    }
}

/// A company's webhook endpoint (its secrets are never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// The company whose events it receives.
    pub company_id: CompanyId,
    /// Where they are sent.
    pub url: String,
    /// Which events.
    pub events: Vec<Event>,
    /// What it is sent.
    pub format: WebhookFormat,
    /// Whether it is sent anything.
    pub active: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Its last delivery that succeeded.
    pub last_success_at: Option<Timestamp>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Where a delivery goes and how it is signed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The endpoint.
    pub id: WebhookId,
    /// Its URL.
    pub url: String,
    /// What it is sent.
    pub format: WebhookFormat,
    /// The secrets that sign a request: the current one, and for a day after a rotation the
    /// previous one too.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for WebhookTarget {
    /// Without the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("format", &self.format)
            .field("secrets", &self.secrets.len())
            .finish()
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

/// A device a push message goes to: its push service's URL and the keys its message is
/// encrypted for (RFC 8291).
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The subscription.
    pub id: PushSubscriptionId,
    /// The push service's URL for the device.
    pub endpoint: String,
    /// The device's P-256 public key (base64url, uncompressed point).
    pub p256dh: String,
    /// The device's authentication secret (base64url, 16 bytes).
    pub auth: String,
}

impl std::fmt::Debug for PushTarget {
    /// Without the endpoint's path (a capability) and the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("id", &self.id)
            .field("endpoint", &shown_url(&self.endpoint))
            .finish_non_exhaustive()
    }
}

/// A lead as the team sees it.
#[derive(Debug, Clone)]
pub enum LeadRecord {
    /// A web order.
    Order(OrderRecord),
    /// A ticket.
    Ticket(TicketRecord),
}

/// Who an e-mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTo {
    /// An employee of the company (the notification of a new lead).
    Employee {
        /// The employee.
        id: EmployeeId,
        /// Their name.
        name: String,
        /// Their address.
        email: String,
    },
    /// The lead's sender (the confirmation).
    Sender(String),
}

/// A delivery a worker has claimed: everything needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// What a receiver deduplicates by (`webhook-id`): the same for every attempt, and never
    /// given to another delivery — also after a restore from a backup, when delivery ids are
    /// given again.
    pub message_id: String,
    /// The company it is for.
    pub company_id: CompanyId,
    /// How it leaves.
    pub channel: Channel,
    /// What happened.
    pub event: Event,
    /// Attempts made before this one.
    pub attempts: u32,
    /// What the first attempt sent (retries send the same); `None` before the first.
    pub body: Option<String>,
    /// When the event happened.
    pub created_at: Timestamp,
    /// The endpoint (webhook channel).
    pub webhook: Option<WebhookTarget>,
    /// The device (push channel).
    pub push: Option<PushTarget>,
    /// The addressee (e-mail channel).
    pub mail_to: Option<MailTo>,
    /// The lead it is about, as it stands now (before the first attempt, and for e-mails).
    pub lead: Option<LeadRecord>,
    /// The company's name (e-mails).
    pub company_name: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Not delivered; try again then.
    RetryAt(Timestamp),
    /// Not delivered, and never will be (the schedule ran out, or the target refused it
    /// for good).
    Failed,
    /// The endpoint answered that it is gone for good: a webhook endpoint (`410`) is disabled,
    /// a push subscription (`404`, `410`) deleted, at once.
    Gone,
}

/// One attempt, to be recorded.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery.
    pub id: DeliveryId,
    /// Its endpoint (webhook and push deliveries).
    pub endpoint: Option<Endpoint>,
    /// When it started.
    pub at: Timestamp,
    /// How long it took.
    pub duration: Duration,
    /// The target's answer: an HTTP status, an SMTP reply code.
    pub status: Option<i32>,
    /// What went wrong.
    pub error: Option<String>,
    /// What the first attempt sent, kept if it is retried (so every retry sends the same).
    pub body: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// What a delivery worker hands over in one transaction (see [`Store::exchange_deliveries`]).
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// Attempts made since the last exchange, to be recorded.
    pub attempts: Vec<Attempt>,
    /// Claimed deliveries it will not send now (their endpoint is busy).
    pub give_back: Vec<DeliveryId>,
    /// Claimed deliveries it still holds (queued or being sent): their claims are renewed.
    pub renew: Vec<DeliveryId>,
    /// When those are due again.
    pub busy_wait: Duration,
    /// How many due deliveries to claim (0: none).
    pub claim: i64,
    /// Endpoints it has no room for: none of their deliveries is claimed.
    pub skip: Vec<Endpoint>,
    /// It has no room for e-mail: none is claimed.
    pub skip_email: bool,
    /// For how long they are claimed.
    pub lease: Duration,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
}

/// A delivery, as the operator's and the team's lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The company it is for.
    pub company_id: CompanyId,
    /// How it leaves.
    pub channel: Channel,
    /// Where to: the endpoint's URL, the e-mail address, the device's push service.
    pub target: String,
    /// What happened.
    pub event: Event,
    /// Attempts made.
    pub attempts: u32,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// The target's last answer (HTTP status, SMTP reply code).
    pub last_status: Option<i32>,
    /// The last error.
    pub last_error: Option<String>,
    /// When it is tried next (pending ones).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was owed.
    pub created_at: Timestamp,
}

/// Which deliveries a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryFilter {
    /// Only this company's.
    pub company_id: Option<CompanyId>,
    /// Only this channel's.
    pub channel: Option<Channel>,
    /// Only those in this state.
    pub status: Option<DeliveryStatus>,
    /// Only those with an id below this (the cursor of the previous page).
    pub before: Option<DeliveryId>,
    /// At most this many.
    pub limit: Option<i64>,
}

/// A new endpoint.
#[derive(Clone)]
pub struct NewWebhook<'a> {
    /// The company whose events it receives.
    pub company_id: CompanyId,
    /// Where they are sent.
    pub url: &'a str,
    /// Which events (at least one).
    pub events: &'a [Event],
    /// What it is sent.
    pub format: WebhookFormat,
    /// Its signing secret (`whsec_…`).
    pub secret: &'a str,
}

impl std::fmt::Debug for NewWebhook<'_> {
    /// Without the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("company_id", &self.company_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// An endpoint's URL as the team is shown it: scheme, host and port only. The rest may be a
/// credential (the path of a Slack incoming webhook is one); only the operator sees it whole.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".into();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.len() == rest.len() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// After a rotation, the previous secret signs too for this long, so receivers can switch.
pub const PREVIOUS_SECRET_VALID: Duration = Duration::from_secs(24 * 3600);

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

    /// The deliveries `event` about `lead` owes: one per endpoint that takes it, and for a
    /// new lead one e-mail per employee who wants one and one push message per device.
    pub(crate) fn owed(
        &self,
        company_id: CompanyId,
        lead: LeadId,
        event: Event,
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
        let (mails, devices) = if created {
            (self.mail.as_slice(), self.devices.as_slice())
        } else {
            (&[][..], &[][..])
        };
        hooks
            .chain(
                mails
                    .iter()
                    .map(move |&employee| row(Channel::Email, None, Some(employee))),
            )
            .chain(
                devices
                    .iter()
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
        let (order_id, ticket_id) = match lead {
            Some(LeadId::Order(id)) => (Some(id), None),
            Some(LeadId::Ticket(id)) => (None, Some(id)),
            None => (None, None),
        };
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
    owed: DeliveryPolicy,
    now: i64,
) -> Result<()> {
    let rows: Vec<NewDelivery> = Subscribers::of(conn, company_id, owed)?
        .owed(company_id, lead, event, now)
        .collect();
    if !rows.is_empty() {
        dialect::insert_rows!(conn, outbox, rows);
    }
    Ok(())
}

/// The events stored in a webhook's `events` column.
fn parse_events(text: &str) -> Result<Vec<Event>> {
    text.split(',')
        .map(|event| {
            event
                .parse()
                .map_err(|_| StoreError::corrupt(format!("webhook event {event:?}")))
        })
        .collect()
}

/// A stored word of one of the closed sets above.
fn parse_word<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("{what} {text:?}")))
}

/// A webhook as stored.
type WebhookRow = (
    WebhookId,
    CompanyId,
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<i64>,
    i64,
);

macro_rules! webhook_columns {
    () => {
        (
            webhooks::id,
            webhooks::company_id,
            webhooks::url,
            webhooks::events,
            webhooks::format,
            webhooks::active,
            webhooks::disabled_reason,
            webhooks::last_success_at,
            webhooks::created_at,
        )
    };
}

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

fn webhook_of(row: WebhookRow) -> Result<Webhook> {
    let (id, company_id, url, events, format, active, disabled_reason, last_success_at, created_at) = row;
    Ok(Webhook {
        id,
        company_id,
        url,
        events: parse_events(&events)?,
        format: parse_word(&format, "webhook format")?,
        active: active == 1,
        disabled_reason,
        last_success_at: last_success_at.map(Timestamp::from),
        created_at: created_at.into(),
    })
}

impl Store {
    /// Writes the deliveries `event` about `lead` owes (inside the caller's transaction).
    pub(crate) fn enqueue(
        &self,
        conn: &mut DbConnection,
        company_id: CompanyId,
        lead: LeadId,
        event: Event,
    ) -> Result<()> {
        enqueue(
            conn,
            company_id,
            lead,
            event,
            self.shared.owed,
            Timestamp::now().millis(),
        )
    }

    /// Adds a webhook endpoint for a company (active at once).
    pub fn add_webhook(&self, new: &NewWebhook<'_>) -> Result<WebhookId> {
        if new.events.is_empty() || new.events.iter().any(|event| !Event::WEBHOOK_EVENTS.contains(event)) {
            return Err(StoreError::Invalid {
                field: "events",
                problem: crate::Problem::Other(format!(
                    "name one or more of {}",
                    Event::WEBHOOK_EVENTS
                        .iter()
                        .map(|event| event.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        }
        let events: Vec<&str> = new.events.iter().map(|event| event.as_str()).collect();
        self.write(|conn| {
            crate::companies::ensure_company(conn, new.company_id)?;
            let id = dialect::each_backend!(&mut *conn, c => diesel::insert_into(webhooks::table)
                .values((
                    webhooks::company_id.eq(new.company_id),
                    webhooks::url.eq(new.url),
                    webhooks::events.eq(events.join(",")),
                    webhooks::format.eq(new.format.as_str()),
                    webhooks::secret.eq(new.secret),
                    webhooks::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(webhooks::id)
                .get_result::<WebhookId>(c))?;
            audit::record(
                conn,
                &self.actor,
                audit::About::Company(new.company_id),
                "webhook.add",
                &format!("webhook {id} of company {} to {}", new.company_id, new.url),
            )?;
            Ok(id)
        })
    }

    /// The webhook endpoints (of one company, or all), oldest first; removed ones are gone.
    pub fn list_webhooks(&self, company_id: Option<CompanyId>) -> Result<Vec<Webhook>> {
        self.read(|conn| {
            let mut query = webhooks::table
                .filter(webhooks::removed_at.is_null())
                .select(webhook_columns!())
                .order(webhooks::id)
                .into_boxed();
            if let Some(company_id) = company_id {
                query = query.filter(webhooks::company_id.eq(company_id));
            }
            query.load::<WebhookRow>(conn)?.into_iter().map(webhook_of).collect()
        })
    }

    /// One endpoint and where and how it is sent to (for `webhook test`).
    pub fn find_webhook(&self, id: WebhookId) -> Result<(Webhook, WebhookTarget)> {
        self.read(|conn| {
            let webhook = webhooks::table
                .find(id)
                .filter(webhooks::removed_at.is_null())
                .select(webhook_columns!())
                .first::<WebhookRow>(conn)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("no webhook with id {id}")))?;
            let webhook = webhook_of(webhook)?;
            let target = targets(conn, &[id], Timestamp::now().millis(), false)?
                .remove(&id)
                .ok_or_else(|| StoreError::NotFound(format!("no webhook with id {id}")))?;
            Ok((webhook, target))
        })
    }

    /// Removes an endpoint: it is sent nothing more, and its pending deliveries fail.
    pub fn remove_webhook(&self, id: WebhookId) -> Result<()> {
        self.write(|conn| {
            let now = Timestamp::now().millis();
            let removed = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::removed_at.eq(now),
                    webhooks::active.eq(0),
                    webhooks::disabled_reason.eq("removed by the operator"),
                ))
                .execute(conn)?;
            if removed == 0 {
                return Err(StoreError::NotFound(format!("no webhook with id {id}")));
            }
            fail_pending(conn, Endpoint::Webhook(id), "the endpoint was removed")?;
            audit::record(
                conn,
                &self.actor,
                audit::About::Webhook(id),
                "webhook.remove",
                &format!("webhook {id}"),
            )
        })
    }

    /// Enables a disabled endpoint again (its failed deliveries stay failed: `outbox retry`).
    pub fn enable_webhook(&self, id: WebhookId) -> Result<()> {
        self.write(|conn| {
            let enabled = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::active.eq(1),
                    webhooks::disabled_reason.eq(None::<String>),
                    webhooks::failing_since.eq(None::<i64>),
                ))
                .execute(conn)?;
            if enabled == 0 {
                return Err(StoreError::NotFound(format!("no webhook with id {id}")));
            }
            audit::record(
                conn,
                &self.actor,
                audit::About::Webhook(id),
                "webhook.enable",
                &format!("webhook {id}"),
            )
        })
    }

    /// Gives an endpoint a new secret; the old one goes on signing alongside for
    /// [`PREVIOUS_SECRET_VALID`].
    pub fn rotate_webhook_secret(&self, id: WebhookId, secret: &str) -> Result<()> {
        self.write(|conn| {
            let now = Timestamp::now().millis();
            let until = now + i64::try_from(PREVIOUS_SECRET_VALID.as_millis()).expect("a day in milliseconds");
            let rotated = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::previous_secret.eq(webhooks::secret.nullable()),
                    webhooks::previous_secret_until.eq(until),
                    webhooks::secret.eq(secret),
                ))
                .execute(conn)?;
            if rotated == 0 {
                return Err(StoreError::NotFound(format!("no webhook with id {id}")));
            }
            audit::record(
                conn,
                &self.actor,
                audit::About::Webhook(id),
                "webhook.rotate-secret",
                &format!("webhook {id}"),
            )
        })
    }

    /// One write transaction for a delivery worker: records `exchange.attempts`, gives back the
    /// claims in `exchange.give_back` (due again after `exchange.busy_wait`), and claims up to
    /// `exchange.claim` due deliveries for `exchange.lease` (another worker takes one over
    /// only after it) — each at most once across every instance (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`). The ids claimed; [`Store::load_deliveries`] reads what they need.
    pub fn exchange_deliveries(&self, exchange: &Exchange) -> Result<Vec<DeliveryId>> {
        let now = Timestamp::now().millis();
        if exchange.attempts.is_empty() && exchange.give_back.is_empty() && exchange.renew.is_empty() {
            // Most of the time nothing is due: a read finds that without the write lock.
            let due = |conn: &mut DbConnection| {
                dialect::due_deliveries(conn, now, 1, false, &exchange.skip, exchange.skip_email)
            };
            if exchange.claim <= 0 || self.read(due)?.is_empty() {
                return Ok(Vec::new());
            }
        }
        self.write(|conn| {
            self.record(conn, &exchange.attempts, exchange.disable_after, now)?;
            // Still held (queued or being sent): the claims are renewed, so that no other worker
            // takes them over while this one lives.
            if !exchange.renew.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&exchange.renew)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.lease))))
                    .execute(conn)?;
            }
            if !exchange.give_back.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&exchange.give_back)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.busy_wait))))
                    .execute(conn)?;
            }
            if exchange.claim <= 0 {
                return Ok(Vec::new());
            }
            let ids = dialect::due_deliveries(conn, now, exchange.claim, true, &exchange.skip, exchange.skip_email)?;
            if !ids.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.lease))))
                    .execute(conn)?;
            }
            Ok(ids)
        })
    }

    /// Everything needed to send the claimed `ids`, read outside the write transaction. A
    /// delivery whose endpoint was disabled or removed since comes without its `webhook`.
    pub fn load_deliveries(&self, ids: &[DeliveryId]) -> Result<Vec<DueDelivery>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|conn| load_due(conn, ids, Timestamp::now().millis()))
    }

    /// SQLite (one server process per file): gives back the claims a process that died
    /// left, at its next start. PostgreSQL leaves them to expire: other instances may be
    /// sending them right now.
    pub fn recover_claims(&self) -> Result<usize> {
        if self.backend == crate::Backend::Postgres {
            return Ok(0);
        }
        // Usually there are none: looked for without taking the write lock.
        let left: i64 = self.read(|conn| {
            Ok(outbox::table
                .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(outbox::claimed_until.is_not_null())
                .count()
                .get_result(conn)?)
        })?;
        if left == 0 {
            return Ok(0);
        }
        self.write(|conn| {
            Ok(diesel::update(
                outbox::table
                    .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
                    .filter(outbox::claimed_until.is_not_null()),
            )
            .set(outbox::claimed_until.eq(None::<i64>))
            .execute(conn)?)
        })
    }

    /// Records attempts: each delivery's state and history, and its endpoint's — a success
    /// clears a webhook endpoint's failing streak (and dates a device's last push), a `410
    /// Gone` disables a webhook endpoint at once and deletes a device's subscription, a
    /// failure that ends a streak of `disable_after` disables a webhook endpoint; the
    /// company's active employees are told of every endpoint disabled. Successes, the common
    /// case, are a few statements for all.
    fn record(&self, conn: &mut DbConnection, attempts: &[Attempt], disable_after: Duration, now: i64) -> Result<()> {
        if attempts.is_empty() {
            return Ok(());
        }
        let history: Vec<_> = attempts
            .iter()
            .map(|attempt| {
                (
                    outbox_attempts::outbox_id.eq(attempt.id),
                    outbox_attempts::at.eq(attempt.at.millis()),
                    outbox_attempts::status.eq(attempt.status),
                    outbox_attempts::error.eq(attempt.error.clone()),
                    outbox_attempts::duration_ms.eq(millis(attempt.duration)),
                )
            })
            .collect();
        dialect::insert_rows!(conn, outbox_attempts, history);

        let mut delivered: std::collections::BTreeMap<Option<i32>, Vec<DeliveryId>> = Default::default();
        let mut succeeded: std::collections::BTreeSet<WebhookId> = Default::default();
        let mut reached: std::collections::BTreeSet<PushSubscriptionId> = Default::default();
        for attempt in attempts {
            let (status, next) = match attempt.outcome {
                Outcome::Delivered => {
                    delivered.entry(attempt.status).or_default().push(attempt.id);
                    match attempt.endpoint {
                        Some(Endpoint::Webhook(id)) => _ = succeeded.insert(id),
                        Some(Endpoint::Push(id)) => _ = reached.insert(id),
                        None => {}
                    }
                    continue;
                }
                Outcome::RetryAt(at) => (DeliveryStatus::Pending, at.millis()),
                Outcome::Failed | Outcome::Gone => (DeliveryStatus::Failed, now),
            };
            // Only a delivery still pending is recorded: one failed meanwhile (its endpoint
            // disabled or removed) stays failed.
            let row = outbox::table
                .find(attempt.id)
                .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()));
            diesel::update(row)
                .set((
                    outbox::status.eq(status.as_str()),
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::next_attempt_at.eq(next),
                    outbox::claimed_until.eq(None::<i64>),
                    outbox::last_status.eq(attempt.status),
                    outbox::last_error.eq(attempt.error.as_deref()),
                ))
                .execute(conn)?;
            // What the first attempt sent, for the retries to send the same.
            if let (Some(body), DeliveryStatus::Pending) = (&attempt.body, status) {
                diesel::update(row.filter(outbox::body.is_null()))
                    .set(outbox::body.eq(body))
                    .execute(conn)?;
            }
            match attempt.endpoint {
                Some(Endpoint::Webhook(webhook)) => self.endpoint_failed(conn, webhook, attempt, disable_after, now)?,
                Some(Endpoint::Push(device)) if attempt.outcome == Outcome::Gone => {
                    crate::push::forget_device(conn, device, "the push service no longer knows the device")?;
                }
                Some(Endpoint::Push(_)) | None => {}
            }
        }
        for (status, ids) in delivered {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq_any(&ids))
                    .filter(outbox::status.eq(DeliveryStatus::Pending.as_str())),
            )
            .set((
                outbox::status.eq(DeliveryStatus::Delivered.as_str()),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::next_attempt_at.eq(now),
                outbox::claimed_until.eq(None::<i64>),
                outbox::last_status.eq(status),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
        }
        if !succeeded.is_empty() {
            diesel::update(webhooks::table.filter(webhooks::id.eq_any(&succeeded)))
                .set((
                    webhooks::last_success_at.eq(now),
                    webhooks::failing_since.eq(None::<i64>),
                ))
                .execute(conn)?;
        }
        if !reached.is_empty() {
            diesel::update(push_subscriptions::table.filter(push_subscriptions::id.eq_any(&reached)))
                .set(push_subscriptions::last_success_at.eq(now))
                .execute(conn)?;
        }
        Ok(())
    }

    /// What a failed attempt means for its endpoint: `410 Gone` disables it at once; a
    /// failure that ends a streak of `disable_after` disables it.
    fn endpoint_failed(
        &self,
        conn: &mut DbConnection,
        webhook: WebhookId,
        attempt: &Attempt,
        disable_after: Duration,
        now: i64,
    ) -> Result<()> {
        if attempt.outcome == Outcome::Gone {
            return self.disable_webhook(conn, webhook, Disabled::Gone, now);
        }
        let hook = webhooks::table.find(webhook);
        diesel::update(hook.filter(webhooks::failing_since.is_null()))
            .set(webhooks::failing_since.eq(attempt.at.millis()))
            .execute(conn)?;
        let since: Option<i64> = hook.select(webhooks::failing_since).first(conn)?;
        if since.is_some_and(|since| now - since >= millis(disable_after)) {
            self.disable_webhook(conn, webhook, Disabled::Failing(disable_after), now)?;
        }
        Ok(())
    }

    /// Disables an active endpoint for `reason`: its pending deliveries fail, and every active
    /// employee of its company is told which endpoint and why.
    fn disable_webhook(&self, conn: &mut DbConnection, id: WebhookId, why: Disabled, now: i64) -> Result<()> {
        let reason = why.reason();
        let disabled: Vec<(CompanyId, String)> =
            diesel::update(webhooks::table.find(id).filter(webhooks::active.eq(1)))
                .set((webhooks::active.eq(0), webhooks::disabled_reason.eq(&reason)))
                .returning((webhooks::company_id, webhooks::url))
                .get_results(conn)?;
        let Some((company_id, url)) = disabled.into_iter().next() else {
            return Ok(());
        };
        log::warn!("webhook {id} ({url}) of company {company_id} disabled: {reason}");
        fail_pending(
            conn,
            Endpoint::Webhook(id),
            &format!("the endpoint was disabled: {reason}"),
        )?;
        let text = lead_domain::webhook_disabled_notification(&shown_url(&url), &why.german());
        crate::notifications::notify_about_webhook(conn, company_id, &text, now)?;
        audit::record(
            conn,
            &self.actor,
            audit::About::Company(company_id),
            "webhook.disable",
            &format!("webhook {id} of company {company_id}: {reason}"),
        )
    }

    /// Deliveries, newest first.
    pub fn list_deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
        // One company's deliveries come in two parts: the pending ones (found through the
        // index of what is due) and the finished ones (indexed by company once finished, so
        // that a new lead pays for one outbox index, not two).
        let parts: &[Part] = match (filter.company_id, filter.status) {
            (None, _) => &[Part::All],
            (Some(_), Some(DeliveryStatus::Pending)) => &[Part::Pending],
            (Some(_), Some(_)) => &[Part::Finished],
            (Some(_), None) => &[Part::Pending, Part::Finished],
        };
        self.read(|conn| {
            let mut rows = Vec::new();
            for &part in parts {
                rows.extend(delivery_rows(conn, filter, part)?);
            }
            rows.sort_unstable_by_key(|row: &DeliveryRow| std::cmp::Reverse(row.0));
            if let Some(limit) = filter.limit {
                rows.truncate(usize::try_from(limit).unwrap_or(0));
            }
            rows.into_iter()
                .map(|row| {
                    let (
                        id,
                        company_id,
                        channel,
                        url,
                        device,
                        employee,
                        order_from,
                        ticket_from,
                        event,
                        attempts,
                        status,
                        last,
                        error,
                        next,
                        at,
                    ) = row;
                    let status: DeliveryStatus = parse_word(&status, "delivery status")?;
                    let channel: Channel = parse_word(&channel, "channel")?;
                    let target = match channel {
                        Channel::Webhook => url.unwrap_or_default(),
                        // Which employee's device, at which push service (the rest of its URL
                        // is a capability); a device since unsubscribed by its employee alone.
                        Channel::Push => match device {
                            Some(device) => format!("{} ({})", employee.unwrap_or_default(), shown_url(&device)),
                            None => employee.unwrap_or_default(),
                        },
                        // A confirmation goes to the lead's sender.
                        Channel::Email => employee.or(order_from).or(ticket_from).unwrap_or_default(),
                    };
                    Ok(Delivery {
                        id,
                        company_id,
                        channel,
                        target,
                        event: parse_word(&event, "event")?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        status,
                        last_status: last,
                        last_error: error,
                        next_attempt_at: (status == DeliveryStatus::Pending).then(|| Timestamp::from(next)),
                        created_at: at.into(),
                    })
                })
                .collect()
        })
    }

    /// Tries a delivery again now — a failed one too (its endpoint must be active).
    pub fn retry_delivery(&self, id: DeliveryId) -> Result<()> {
        self.write(|conn| {
            let now = Timestamp::now().millis();
            type Found = (String, Option<i64>, Option<i32>, Option<i64>, String, Option<i64>);
            let found: Option<Found> = outbox_with_endpoints!()
                .filter(outbox::id.eq(id))
                .select((
                    outbox::status,
                    outbox::claimed_until,
                    webhooks::active.nullable(),
                    webhooks::removed_at.nullable(),
                    outbox::channel,
                    push_subscriptions::id.nullable(),
                ))
                .first(conn)
                .optional()?;
            match found {
                None => return Err(StoreError::NotFound(format!("no delivery with id {id}"))),
                Some((status, ..)) if status == DeliveryStatus::Delivered.as_str() => {
                    return Err(StoreError::Conflict(format!("delivery {id} was delivered")))
                }
                Some((status, Some(until), ..)) if status == DeliveryStatus::Pending.as_str() && until > now => {
                    return Err(StoreError::Conflict(format!("delivery {id} is being sent right now")))
                }
                Some((_, _, _, Some(_), ..)) => {
                    return Err(StoreError::Conflict(format!(
                        "the endpoint of delivery {id} was removed"
                    )))
                }
                Some((_, _, Some(0), ..)) => {
                    return Err(StoreError::Conflict(format!(
                        "the endpoint of delivery {id} is disabled (webhook enable)"
                    )))
                }
                Some((_, _, _, _, channel, None)) if channel == Channel::Push.as_str() => {
                    return Err(StoreError::Conflict(format!(
                        "the device of delivery {id} is no longer subscribed"
                    )))
                }
                Some(_) => {}
            }
            diesel::update(outbox::table.find(id))
                .set((
                    outbox::status.eq(DeliveryStatus::Pending.as_str()),
                    outbox::next_attempt_at.eq(now),
                    outbox::claimed_until.eq(None::<i64>),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &self.actor,
                audit::About::Delivery(id),
                "outbox.retry",
                &format!("delivery {id}"),
            )
        })
    }
}

/// A delivery as listed: id, company, channel, the endpoint's URL, the device's push URL, the
/// employee's, order's and ticket's addresses, event, attempts, status, last status and
/// error, next attempt, created.
type DeliveryRow = (
    DeliveryId,
    CompanyId,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i32,
    String,
    Option<i32>,
    Option<String>,
    i64,
    i64,
);

/// Which deliveries one query of a list reads.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Whatever the filter says.
    All,
    /// Pending ones only.
    Pending,
    /// Delivered or failed ones only.
    Finished,
}

/// One query of [`Store::list_deliveries`].
fn delivery_rows(conn: &mut DbConnection, filter: &DeliveryFilter, part: Part) -> Result<Vec<DeliveryRow>> {
    let mut query = outbox_with_endpoints!()
        .left_join(employees::table.on(outbox::employee_id.eq(employees::id.nullable())))
        .left_join(web_orders::table.on(outbox::order_id.eq(web_orders::id.nullable())))
        .left_join(tickets::table.on(outbox::ticket_id.eq(tickets::id.nullable())))
        .select((
            outbox::id,
            outbox::company_id,
            outbox::channel,
            webhooks::url.nullable(),
            push_subscriptions::endpoint.nullable(),
            employees::email.nullable(),
            web_orders::email.nullable(),
            tickets::email.nullable(),
            outbox::event,
            outbox::attempts,
            outbox::status,
            outbox::last_status,
            outbox::last_error,
            outbox::next_attempt_at,
            outbox::created_at,
        ))
        .into_boxed();
    if let Some(company_id) = filter.company_id {
        query = query.filter(outbox::company_id.eq(company_id));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(outbox::channel.eq(channel.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(outbox::status.eq(status.as_str()));
    }
    // Spelled as the partial indexes' conditions, so that both backends use them.
    match part {
        Part::All | Part::Finished => {
            if let Part::Finished = part {
                query = query.filter(outbox::status.ne(DeliveryStatus::Pending.as_str()));
            }
            if let Some(before) = filter.before {
                query = query.filter(outbox::id.lt(before));
            }
            if let Some(limit) = filter.limit {
                query = query.limit(limit);
            }
            Ok(query.order(outbox::id.desc()).load::<DeliveryRow>(conn)?)
        }
        // Through the index of what is due (the pending ones are few, unless deliveries lag
        // far behind: then the latest due); the page is cut out in memory.
        Part::Pending => {
            let rows: Vec<DeliveryRow> = query
                .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
                .order(outbox::next_attempt_at.desc())
                .limit(PENDING_LISTED)
                .load(conn)?;
            Ok(rows
                .into_iter()
                .filter(|row| filter.before.is_none_or(|before| row.0 < before))
                .collect())
        }
    }
}

/// The most pending deliveries of one company a list looks at.
const PENDING_LISTED: i64 = 10_000;

/// Why an endpoint is disabled without the operator.
#[derive(Debug, Clone, Copy)]
enum Disabled {
    /// It answered `410 Gone`.
    Gone,
    /// Every attempt failed for this long.
    Failing(Duration),
}

impl Disabled {
    /// For the operator (`webhook list`).
    fn reason(self) -> String {
        match self {
            Disabled::Gone => "the endpoint answered 410 Gone".into(),
            Disabled::Failing(span) => format!("every delivery failed for {}", span_in_words(span, "days", "hours")),
        }
    }

    /// For the team's notification.
    fn german(self) -> String {
        match self {
            Disabled::Gone => "der Empfänger antwortete 410 Gone (gibt es nicht mehr)".into(),
            Disabled::Failing(span) => format!(
                "seit {} schlug jede Zustellung fehl",
                span_in_words(span, "Tagen", "Stunden")
            ),
        }
    }
}

/// A span in whole days, or (shorter than a day) whole hours.
fn span_in_words(span: Duration, days: &str, hours: &str) -> String {
    let secs = span.as_secs();
    if secs >= 24 * 3600 {
        format!("{} {days}", secs / (24 * 3600))
    } else {
        format!("{} {hours}", secs.div_ceil(3600).max(1))
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

/// Where and how each of `ids` (not removed; with `active_only`, not disabled) is sent to.
fn targets(
    conn: &mut DbConnection,
    ids: &[WebhookId],
    now: i64,
    active_only: bool,
) -> Result<HashMap<WebhookId, WebhookTarget>> {
    /// id, url, format, secret, previous secret and until when it signs.
    type Row = (WebhookId, String, String, String, Option<String>, Option<i64>);
    let mut query = webhooks::table
        .filter(webhooks::id.eq_any(ids))
        .filter(webhooks::removed_at.is_null())
        .into_boxed();
    if active_only {
        query = query.filter(webhooks::active.eq(1));
    }
    let rows: Vec<Row> = query
        .select((
            webhooks::id,
            webhooks::url,
            webhooks::format,
            webhooks::secret,
            webhooks::previous_secret,
            webhooks::previous_secret_until,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, url, format, secret, previous, until)| {
            let mut secrets = vec![secret];
            if until.is_some_and(|until| until > now) {
                secrets.extend(previous);
            }
            Ok((
                id,
                WebhookTarget {
                    id,
                    url,
                    format: parse_word(&format, "webhook format")?,
                    secrets,
                },
            ))
        })
        .collect()
}

/// Everything needed to send `ids`, in bulk: one query per table.
fn load_due(conn: &mut DbConnection, ids: &[DeliveryId], now: i64) -> Result<Vec<DueDelivery>> {
    type Row = (
        DeliveryId,
        CompanyId,
        String,
        String,
        i32,
        Option<String>,
        i64,
        Option<i64>,
        Option<EmployeeId>,
        Option<OrderId>,
        Option<TicketId>,
        Option<String>,
    );
    let rows: Vec<Row> = outbox::table
        .filter(outbox::id.eq_any(ids))
        .select((
            outbox::id,
            outbox::company_id,
            outbox::channel,
            outbox::event,
            outbox::attempts,
            outbox::body,
            outbox::created_at,
            outbox::target_id,
            outbox::employee_id,
            outbox::order_id,
            outbox::ticket_id,
            outbox::message_id,
        ))
        .order(outbox::id)
        .load(conn)?;
    let target_of = |row: &Row, channel: Channel| row.7.filter(|_| row.2 == channel.as_str());
    let mut hooks: Vec<WebhookId> = rows
        .iter()
        .filter_map(|row| target_of(row, Channel::Webhook))
        .map(WebhookId::new)
        .collect();
    hooks.sort_unstable();
    hooks.dedup();
    let targets = targets(conn, &hooks, now, true)?;
    let device_ids: Vec<PushSubscriptionId> = rows
        .iter()
        .filter_map(|row| target_of(row, Channel::Push))
        .map(PushSubscriptionId::new)
        .collect();
    let devices = crate::push::devices(conn, &device_ids)?;
    let is_mail = |row: &Row| row.2 == Channel::Email.as_str();
    // The records where the body is still to be made; an e-mail always needs its record (a
    // confirmation goes to its sender).
    let needs_record = |row: &Row| row.5.is_none() || is_mail(row);
    let order_ids: Vec<OrderId> = rows.iter().filter(|r| needs_record(r)).filter_map(|r| r.9).collect();
    let ticket_ids: Vec<TicketId> = rows.iter().filter(|r| needs_record(r)).filter_map(|r| r.10).collect();
    let mut orders: HashMap<OrderId, OrderRecord> = HashMap::new();
    if !order_ids.is_empty() {
        let found: Vec<(OrderRow, Option<String>)> = crate::orders::orders_with_decider!()
            .filter(web_orders::id.eq_any(&order_ids))
            .load(conn)?;
        for row in found {
            let order = OrderRecord::try_from(row)?;
            orders.insert(order.id, order);
        }
    }
    let mut tickets_found: HashMap<TicketId, TicketRecord> = HashMap::new();
    if !ticket_ids.is_empty() {
        let found: Vec<(TicketRow, Option<String>)> = crate::tickets::tickets_with_changer!()
            .filter(tickets::id.eq_any(&ticket_ids))
            .load(conn)?;
        for row in found {
            let ticket = TicketRecord::try_from(row)?;
            tickets_found.insert(ticket.id, ticket);
        }
    }
    let mail_rows = || rows.iter().filter(|r| is_mail(r));
    let employee_ids: Vec<EmployeeId> = mail_rows().filter_map(|r| r.8).collect();
    let staff: HashMap<EmployeeId, (String, String)> = if employee_ids.is_empty() {
        HashMap::new()
    } else {
        // Only who still wants them: an employee deactivated or turned off since gets none.
        employees::table
            .filter(employees::id.eq_any(&employee_ids))
            .filter(employees::active.eq(1))
            .filter(employees::notify_email.eq(1))
            .select((employees::id, employees::name, employees::email))
            .load::<(EmployeeId, String, String)>(conn)?
            .into_iter()
            .map(|(id, name, email)| (id, (name, email)))
            .collect()
    };
    let company_ids: Vec<CompanyId> = mail_rows().map(|r| r.1).collect();
    let names: HashMap<CompanyId, String> = if company_ids.is_empty() {
        HashMap::new()
    } else {
        companies::table
            .filter(companies::id.eq_any(&company_ids))
            .select((companies::id, companies::name))
            .load::<(CompanyId, String)>(conn)?
            .into_iter()
            .collect()
    };

    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, company_id, channel, event, attempts, body, created_at, target, employee, order, ticket, message_id) =
            row;
        let channel: Channel = parse_word(channel, "channel")?;
        let (webhook, push) = match (channel, target) {
            (Channel::Webhook, Some(hook)) => (targets.get(&WebhookId::new(*hook)).cloned(), None),
            // Only to the employee it was owed to: a device since subscribed by another gets
            // none of its previous owner's messages.
            (Channel::Push, Some(device)) => match devices.get(&PushSubscriptionId::new(*device)) {
                Some((owner, target)) if Some(*owner) == *employee => (None, Some(target.clone())),
                _ => (None, None),
            },
            _ => (None, None),
        };
        let lead = match (needs_record(row), order, ticket) {
            (false, _, _) => None,
            (true, Some(order), _) => orders.get(order).cloned().map(LeadRecord::Order),
            (true, None, Some(ticket)) => tickets_found.get(ticket).cloned().map(LeadRecord::Ticket),
            (true, None, None) => None,
        };
        let mail_to = match (channel, employee, &lead) {
            (Channel::Email, Some(employee), _) => staff.get(employee).map(|(name, email)| MailTo::Employee {
                id: *employee,
                name: name.clone(),
                email: email.clone(),
            }),
            (Channel::Email, None, Some(LeadRecord::Order(order))) => Some(MailTo::Sender(order.email.clone())),
            (Channel::Email, None, Some(LeadRecord::Ticket(ticket))) => Some(MailTo::Sender(ticket.email.clone())),
            _ => None,
        };
        due.push(DueDelivery {
            id: *id,
            // None only for a delivery made before message ids were kept: its id then.
            message_id: message_id.clone().unwrap_or_else(|| format!("msg_{id}")),
            company_id: *company_id,
            channel,
            event: parse_word(event, "event")?,
            attempts: u32::try_from(*attempts).unwrap_or(0),
            body: body.clone(),
            created_at: (*created_at).into(),
            webhook,
            push,
            mail_to,
            lead,
            company_name: (channel == Channel::Email)
                .then(|| names.get(company_id).cloned())
                .flatten(),
        });
    }
    Ok(due)
}

/// A duration in whole milliseconds.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
