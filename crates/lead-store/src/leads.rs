//! The ingestion path: find a key by its hash, record a lead in one transaction.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::{Lead, OrderStatus, TicketStatus};

use crate::db::DbConnection;
use crate::ingest::PendingLead;
use crate::models::{Id, KeyLookup, NewNotification, NewOrder, NewTicket, Recorded, Tenant};
use crate::schema::{api_keys, companies, customers, employees, idempotency_keys, notifications, tickets, web_orders};
use crate::{Result, Store, StoreError};

impl Store {
    /// Looks a presented key up by its SHA-256 hex; `None` when no key has that hash.
    pub fn find_key_by_hash(&self, key_hash: &str) -> Result<Option<KeyLookup>> {
        self.read(|conn| {
            api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::key_hash.eq(key_hash))
                .select((api_keys::id, api_keys::company_id, api_keys::active, companies::active))
                .first::<(Id, Id, i32, i32)>(conn)
                .optional()
                .map(|found| {
                    found.map(|(key_id, company_id, key_active, company_active)| KeyLookup {
                        key_id,
                        company_id,
                        key_active: key_active == 1,
                        company_active: company_active == 1,
                    })
                })
                .map_err(StoreError::from)
        })
    }

    /// Queues a validated lead for `tenant` with its original body `payload`, to be recorded
    /// with its customer link and one notification per active employee, all or nothing, in
    /// the writer's next batch. Never blocks: a full queue is [`StoreError::Busy`]. The
    /// returned [`PendingLead`] resolves once the batch has committed — with
    /// [`StoreError::KeyNotValid`] if the key was revoked or its company deactivated in the
    /// meantime (then nothing was written).
    ///
    /// With an `idempotency_key`, a retry (same API key, within 24 hours) with the same body
    /// resolves to the first lead's answer (`replayed`) and stores nothing; with another body
    /// it is [`StoreError::IdempotencyConflict`].
    pub fn submit_lead(
        &self,
        tenant: Tenant,
        lead: Lead,
        payload: String,
        idempotency_key: Option<String>,
    ) -> Result<PendingLead> {
        self.ingest.submit(tenant, lead, payload, idempotency_key)
    }

    /// [`Store::submit_lead`], waiting (blocking this thread) for the commit.
    pub fn record_lead(&self, tenant: Tenant, lead: &Lead, payload: &str) -> Result<Recorded> {
        self.submit_lead(tenant, lead.clone(), payload.to_owned(), None)?.wait()
    }
}

diesel::define_sql_function! {
    /// SQLite's rowid of the last insert on this connection.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// Inserts `values` into `table` and returns the new row's id: on SQLite with
/// `last_insert_rowid()` rather than `RETURNING`, which SQLite re-prepares on every execution
/// (measured: about a tenth of the writer's time); on PostgreSQL with `RETURNING`.
macro_rules! insert_returning_id {
    ($conn:expr, $table:ident, $values:expr) => {
        match $conn {
            DbConnection::Sqlite(conn) => {
                diesel::insert_into($table::table).values($values).execute(conn)?;
                diesel::select(last_insert_rowid()).get_result::<Id>(conn)?
            }
            DbConnection::Postgres(conn) => diesel::insert_into($table::table)
                .values($values)
                .returning($table::id)
                .get_result::<Id>(conn)?,
        }
    };
}

/// What the leads of one batch share: the time, which keys are still valid, and each
/// company's active employees — looked up once per batch instead of once per lead.
pub(crate) struct Batch {
    now: i64,
    valid_keys: HashMap<Id, bool>,
    recipients: HashMap<Id, Vec<Id>>,
}

impl Batch {
    /// Prepares a batch of leads from `tenants`: checks that each key and its company are
    /// still active — inside the write transaction, so a key revoked a moment ago stops
    /// working at once — and loads the active employees of each company.
    pub(crate) fn prepare(conn: &mut DbConnection, tenants: impl Iterator<Item = Tenant>, now: i64) -> Result<Batch> {
        let mut batch = Batch {
            now,
            valid_keys: HashMap::new(),
            recipients: HashMap::new(),
        };
        for tenant in tenants {
            if batch.valid_keys.contains_key(&tenant.key_id) {
                continue;
            }
            let valid = api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::id.eq(tenant.key_id))
                .filter(api_keys::company_id.eq(tenant.company_id))
                .filter(api_keys::active.eq(1))
                .filter(companies::active.eq(1))
                .select(api_keys::id)
                .load::<Id>(conn)?
                .len()
                == 1;
            batch.valid_keys.insert(tenant.key_id, valid);
            if valid && !batch.recipients.contains_key(&tenant.company_id) {
                let recipients = employees::table
                    .filter(employees::company_id.eq(tenant.company_id))
                    .filter(employees::active.eq(1))
                    .select(employees::id)
                    .order(employees::id)
                    .load(conn)?;
                batch.recipients.insert(tenant.company_id, recipients);
            }
        }
        Ok(batch)
    }

    /// Notes the keys that had a lead accepted in this batch as used now.
    pub(crate) fn note_key_use(&self, conn: &mut DbConnection, keys: impl Iterator<Item = Id>) -> Result<()> {
        for key_id in keys {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::last_used_at.eq(self.now))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Records one lead of a prepared batch inside the caller's transaction: the order or
/// ticket, its customer link, and one notification per active employee.
pub(crate) fn record_lead_in(
    conn: &mut DbConnection,
    batch: &Batch,
    tenant: Tenant,
    lead: &Lead,
    payload: &str,
    idempotency_key: Option<&str>,
) -> Result<Recorded> {
    if batch.valid_keys.get(&tenant.key_id) != Some(&true) {
        return Err(StoreError::KeyNotValid);
    }
    let now = batch.now;
    if let Some(key) = idempotency_key {
        if let Some(first) = earlier_answer(conn, tenant, key, lead, payload, now)? {
            return Ok(first);
        }
    }
    let email = lead.email();
    let email_normalized = email.normalized();
    let customer_id = customers::table
        .filter(customers::company_id.eq(tenant.company_id))
        .filter(customers::email_normalized.eq(&email_normalized))
        .select(customers::id)
        .load::<Id>(conn)?
        .into_iter()
        .next(); // (company, email) is unique; no LIMIT, whose bound value would re-prepare

    let (id, order_id, ticket_id) = match lead {
        Lead::Order(order) => {
            let values = NewOrder::of(tenant, order, &email_normalized, customer_id, payload, now);
            let id = insert_returning_id!(conn, web_orders, &values);
            (id, Some(id), None)
        }
        Lead::Ticket(ticket) => {
            let values = NewTicket::of(tenant, ticket, &email_normalized, customer_id, payload, now);
            let id = insert_returning_id!(conn, tickets, &values);
            (id, None, Some(id))
        }
    };

    // One single-row insert per employee: the same prepared statement every time.
    let text = lead.notification_text();
    let kind = lead.lead_type().as_str();
    let recipients = batch.recipients.get(&tenant.company_id).map_or(&[][..], Vec::as_slice);
    for &employee_id in recipients {
        diesel::insert_into(notifications::table)
            .values(NewNotification {
                company_id: tenant.company_id,
                employee_id,
                kind,
                text: &text,
                order_id,
                ticket_id,
                created_at: now,
            })
            .execute(conn)?;
    }
    if let Some(key) = idempotency_key {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::api_key_id.eq(tenant.key_id),
                idempotency_keys::idem_key.eq(key),
                idempotency_keys::lead_type.eq(lead.lead_type().as_str()),
                idempotency_keys::record_id.eq(id),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)
            // Another writer (PostgreSQL) took the same key a moment ago: try again, and
            // the lookup above answers with its lead.
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                    StoreError::IdempotencyRace
                }
                other => other.into(),
            })?;
    }
    Ok(Recorded {
        id,
        customer_id,
        notified: recipients.len(),
        replayed: false,
    })
}

/// How long an `Idempotency-Key` is remembered.
const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The answer already given for this `Idempotency-Key` (same API key, last 24 hours) if the
/// body is the same; [`StoreError::IdempotencyConflict`] if it is not; `None` if the key is new.
fn earlier_answer(
    conn: &mut DbConnection,
    tenant: Tenant,
    key: &str,
    lead: &Lead,
    payload: &str,
    now: i64,
) -> Result<Option<Recorded>> {
    let mine = idempotency_keys::table
        .filter(idempotency_keys::api_key_id.eq(tenant.key_id))
        .filter(idempotency_keys::idem_key.eq(key));
    diesel::delete(mine.filter(idempotency_keys::created_at.lt(now - IDEMPOTENCY_WINDOW_MS))).execute(conn)?;
    let Some((lead_type, record_id)) = mine
        .select((idempotency_keys::lead_type, idempotency_keys::record_id))
        .load::<(String, Id)>(conn)?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let stored: Option<(String, Option<Id>)> = if lead_type == "order" {
        web_orders::table
            .find(record_id)
            .select((web_orders::payload, web_orders::customer_id))
            .load(conn)?
            .into_iter()
            .next()
    } else {
        tickets::table
            .find(record_id)
            .select((tickets::payload, tickets::customer_id))
            .load(conn)?
            .into_iter()
            .next()
    };
    match stored {
        Some((first_payload, customer_id)) if first_payload == payload && lead_type == lead.lead_type().as_str() => {
            Ok(Some(Recorded {
                id: record_id,
                customer_id,
                notified: 0,
                replayed: true,
            }))
        }
        _ => Err(StoreError::IdempotencyConflict),
    }
}

/// Records a whole batch with a handful of statements: one customer lookup, one multi-row
/// insert each for orders, tickets and notifications. Used on PostgreSQL, where every
/// statement is a network round trip. All or nothing: the caller runs it in a savepoint and
/// falls back to [`record_lead_in`] lead by lead if it fails.
pub(crate) fn record_batch_set_based(
    conn: &mut DbConnection,
    batch: &Batch,
    leads: &[(Tenant, &Lead, &str)],
) -> Result<Vec<Result<Recorded>>> {
    let now = batch.now;
    let normalized: Vec<String> = leads.iter().map(|(_, lead, _)| lead.email().normalized()).collect();
    let customers: HashMap<(Id, String), Id> = customers::table
        .filter(customers::email_normalized.eq_any(&normalized))
        .select((customers::id, customers::company_id, customers::email_normalized))
        .load::<(Id, Id, String)>(conn)?
        .into_iter()
        .map(|(id, company, email)| ((company, email), id))
        .collect();
    let valid = |tenant: &Tenant| batch.valid_keys.get(&tenant.key_id) == Some(&true);
    let customer_of = |tenant: &Tenant, email: &String| customers.get(&(tenant.company_id, email.clone())).copied();

    let mut new_orders = Vec::new();
    let mut new_tickets = Vec::new();
    for ((tenant, lead, payload), email_normalized) in leads.iter().zip(&normalized) {
        if !valid(tenant) {
            continue;
        }
        let customer_id = customer_of(tenant, email_normalized);
        match lead {
            Lead::Order(order) => new_orders.push(NewOrder::of(
                *tenant,
                order,
                email_normalized,
                customer_id,
                payload,
                now,
            )),
            Lead::Ticket(ticket) => new_tickets.push(NewTicket::of(
                *tenant,
                ticket,
                email_normalized,
                customer_id,
                payload,
                now,
            )),
        }
    }
    let DbConnection::Postgres(pg) = conn else {
        return Err(StoreError::Unavailable("set-based batches are for PostgreSQL".into()));
    };
    // PostgreSQL returns the rows of a multi-row INSERT … RETURNING in the order of its VALUES.
    let order_ids: Vec<Id> = if new_orders.is_empty() {
        Vec::new()
    } else {
        diesel::insert_into(web_orders::table)
            .values(&new_orders)
            .returning(web_orders::id)
            .get_results(pg)?
    };
    let ticket_ids: Vec<Id> = if new_tickets.is_empty() {
        Vec::new()
    } else {
        diesel::insert_into(tickets::table)
            .values(&new_tickets)
            .returning(tickets::id)
            .get_results(pg)?
    };

    let (mut next_order, mut next_ticket) = (order_ids.iter(), ticket_ids.iter());
    let mut outcomes = Vec::with_capacity(leads.len());
    let mut texts = Vec::new();
    let mut targets = Vec::new();
    for ((tenant, lead, _), email_normalized) in leads.iter().zip(&normalized) {
        if !valid(tenant) {
            outcomes.push(Err(StoreError::KeyNotValid));
            continue;
        }
        let (id, order_id, ticket_id) = match lead {
            Lead::Order(_) => {
                let id = *next_order.next().expect("one id per order");
                (id, Some(id), None)
            }
            Lead::Ticket(_) => {
                let id = *next_ticket.next().expect("one id per ticket");
                (id, None, Some(id))
            }
        };
        let recipients = batch.recipients.get(&tenant.company_id).map_or(&[][..], Vec::as_slice);
        texts.push(lead.notification_text());
        targets.push((*tenant, lead.lead_type().as_str(), order_id, ticket_id, recipients));
        outcomes.push(Ok(Recorded {
            replayed: false,
            id,
            customer_id: customer_of(tenant, email_normalized),
            notified: recipients.len(),
        }));
    }
    let notifications: Vec<NewNotification<'_>> = targets
        .iter()
        .zip(&texts)
        .flat_map(|((tenant, kind, order_id, ticket_id, recipients), text)| {
            recipients.iter().map(move |&employee_id| NewNotification {
                company_id: tenant.company_id,
                employee_id,
                kind,
                text,
                order_id: *order_id,
                ticket_id: *ticket_id,
                created_at: now,
            })
        })
        .collect();
    // Chunks keep each statement below PostgreSQL's 65,535 bound parameters (7 per row).
    for chunk in notifications.chunks(5000) {
        diesel::insert_into(notifications::table).values(chunk).execute(pg)?;
    }
    Ok(outcomes)
}

impl<'a> NewOrder<'a> {
    /// The row of a new web order (status `new`).
    fn of(
        tenant: Tenant,
        order: &'a lead_domain::WebOrder,
        email_normalized: &'a str,
        customer_id: Option<Id>,
        payload: &'a str,
        now: i64,
    ) -> NewOrder<'a> {
        NewOrder {
            company_id: tenant.company_id,
            api_key_id: tenant.key_id,
            customer_id,
            email: order.email.as_str(),
            email_normalized,
            title: order.title.as_str(),
            message: order.message.as_ref().map(|m| m.as_str()),
            total_cents: i64::try_from(order.total.cents()).expect("at most 99 999 999.99 €"),
            status: OrderStatus::New.as_str(),
            payload,
            created_at: now,
        }
    }
}

impl<'a> NewTicket<'a> {
    /// The row of a new ticket (status `open`).
    fn of(
        tenant: Tenant,
        ticket: &'a lead_domain::Ticket,
        email_normalized: &'a str,
        customer_id: Option<Id>,
        payload: &'a str,
        now: i64,
    ) -> NewTicket<'a> {
        NewTicket {
            company_id: tenant.company_id,
            api_key_id: tenant.key_id,
            customer_id,
            email: ticket.email.as_str(),
            email_normalized,
            title: ticket.title.as_str(),
            message: ticket.message.as_str(),
            status: TicketStatus::Open.as_str(),
            payload,
            created_at: now,
        }
    }
}
