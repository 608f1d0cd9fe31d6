//! The operator's and the team's lists of deliveries, and retrying a failed one.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::access::audit;
use crate::db::DbConnection;
use crate::deliveries::Deliveries;
use crate::ids::{CompanyId, DeliveryId};
use crate::outbox::{parse_word, shown_url, Channel, DeliveryStatus, Event};
use crate::schema::{employees, outbox, push_subscriptions, tickets, web_orders, webhooks};
use crate::{Result, Scope, StoreError};

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

impl Deliveries<'_> {
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
        self.store.read(|conn| {
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
    pub fn retry_delivery(&self, scope: Scope, id: DeliveryId) -> Result<()> {
        self.store.write(|conn| {
            let now = Timestamp::now().millis();
            type Found = (String, Option<i64>, Option<i32>, Option<i64>, String, Option<i64>);
            let found: Option<(Found, CompanyId)> = outbox_with_endpoints!()
                .filter(outbox::id.eq(id))
                .select((
                    (
                        outbox::status,
                        outbox::claimed_until,
                        webhooks::active.nullable(),
                        webhooks::removed_at.nullable(),
                        outbox::channel,
                        push_subscriptions::id.nullable(),
                    ),
                    outbox::company_id,
                ))
                .first(conn)
                .optional()?;
            // Another company's delivery is answered like a missing one.
            let found = found
                .filter(|(_, company)| scope.reaches(*company))
                .map(|(found, _)| found);
            match found {
                None => return Err(StoreError::missing(crate::error::Entity::Delivery, id)),
                Some((status, ..)) if status == DeliveryStatus::Delivered.as_str() => {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::NotRetryable,
                        format!("delivery {id} was delivered"),
                    ))
                }
                Some((status, Some(until), ..)) if status == DeliveryStatus::Pending.as_str() && until > now => {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::NotRetryable,
                        format!("delivery {id} is being sent right now"),
                    ))
                }
                Some((_, _, _, Some(_), ..)) => {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::NotRetryable,
                        format!("the endpoint of delivery {id} was removed"),
                    ))
                }
                Some((_, _, Some(0), ..)) => {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::NotRetryable,
                        format!("the endpoint of delivery {id} is disabled (webhook enable)"),
                    ))
                }
                Some((_, _, _, _, channel, None)) if channel == Channel::Push.as_str() => {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::NotRetryable,
                        format!("the device of delivery {id} is no longer subscribed"),
                    ))
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
                &self.store.actor,
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

/// One query of [`Deliveries::list_deliveries`].
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
