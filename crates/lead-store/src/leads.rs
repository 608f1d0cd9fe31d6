//! The ingestion path: find a key by its hash, record a lead in one transaction.

use diesel::prelude::*;
use diesel::SqliteConnection;
use lead_domain::{Lead, OrderStatus, TicketStatus, Timestamp};

use crate::models::{Id, KeyLookup, NewNotification, NewOrder, NewTicket, Recorded, Tenant};
use crate::schema::{api_keys, companies, customers, employees, notifications, tickets, web_orders};
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

    /// Records a validated lead for `tenant` with its original body `payload`: the order or
    /// ticket, its link to the matching customer and one notification per active employee,
    /// all in one transaction. Fails with [`StoreError::KeyNotValid`] if the key was revoked
    /// or the company deactivated since it was looked up; then nothing is written.
    pub fn record_lead(&self, tenant: Tenant, lead: &Lead, payload: &str) -> Result<Recorded> {
        let recorded = self.write(|conn| record_lead_in(conn, tenant, lead, payload, Timestamp::now().millis()))?;
        // Nobody listening is fine: streams read the database when they start.
        let _ = self.commits.send(tenant.company_id);
        Ok(recorded)
    }
}

/// The body of [`Store::record_lead`], inside the caller's transaction.
fn record_lead_in(
    conn: &mut SqliteConnection,
    tenant: Tenant,
    lead: &Lead,
    payload: &str,
    now: i64,
) -> Result<Recorded> {
    note_key_use(conn, tenant, now)?;
    let email = lead.email();
    let email_normalized = email.normalized();
    let customer_id = customers::table
        .filter(customers::company_id.eq(tenant.company_id))
        .filter(customers::email_normalized.eq(&email_normalized))
        .select(customers::id)
        .first::<Id>(conn)
        .optional()?;

    let (id, order_id, ticket_id) = match lead {
        Lead::Order(order) => {
            let id = diesel::insert_into(web_orders::table)
                .values(NewOrder {
                    company_id: tenant.company_id,
                    api_key_id: tenant.key_id,
                    customer_id,
                    email: email.as_str(),
                    email_normalized: &email_normalized,
                    title: order.title.as_str(),
                    message: order.message.as_ref().map(|m| m.as_str()),
                    total_cents: i64::try_from(order.total.cents()).expect("at most 99 999 999.99 €"),
                    status: OrderStatus::New.as_str(),
                    payload,
                    created_at: now,
                })
                .returning(web_orders::id)
                .get_result::<Id>(conn)?;
            (id, Some(id), None)
        }
        Lead::Ticket(ticket) => {
            let id = diesel::insert_into(tickets::table)
                .values(NewTicket {
                    company_id: tenant.company_id,
                    api_key_id: tenant.key_id,
                    customer_id,
                    email: email.as_str(),
                    email_normalized: &email_normalized,
                    title: ticket.title.as_str(),
                    message: ticket.message.as_str(),
                    status: TicketStatus::Open.as_str(),
                    payload,
                    created_at: now,
                })
                .returning(tickets::id)
                .get_result::<Id>(conn)?;
            (id, None, Some(id))
        }
    };

    let notified = notify_employees(conn, tenant.company_id, lead, order_id, ticket_id, now)?;
    Ok(Recorded {
        id,
        customer_id,
        notified,
    })
}

/// Marks the key as used, and in the same statement re-checks that it and its company are
/// still active: a key revoked a moment ago stops working at once.
fn note_key_use(conn: &mut SqliteConnection, tenant: Tenant, now: i64) -> Result<()> {
    let active_companies = companies::table.filter(companies::active.eq(1)).select(companies::id);
    let updated = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(tenant.key_id))
            .filter(api_keys::company_id.eq(tenant.company_id))
            .filter(api_keys::active.eq(1))
            .filter(api_keys::company_id.eq_any(active_companies)),
    )
    .set(api_keys::last_used_at.eq(now))
    .execute(conn)?;
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::KeyNotValid)
    }
}

/// One notification per active employee of the company; returns how many.
fn notify_employees(
    conn: &mut SqliteConnection,
    company_id: Id,
    lead: &Lead,
    order_id: Option<Id>,
    ticket_id: Option<Id>,
    now: i64,
) -> Result<usize> {
    let recipients: Vec<Id> = employees::table
        .filter(employees::company_id.eq(company_id))
        .filter(employees::active.eq(1))
        .select(employees::id)
        .load(conn)?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let text = lead.notification_text();
    let kind = lead.lead_type().as_str();
    let rows: Vec<NewNotification<'_>> = recipients
        .iter()
        .map(|&employee_id| NewNotification {
            company_id,
            employee_id,
            kind,
            text: &text,
            order_id,
            ticket_id,
            created_at: now,
        })
        .collect();
    // Chunks keep each statement well below SQLite's limit on bound parameters.
    let mut inserted = 0;
    for chunk in rows.chunks(1000) {
        inserted += diesel::insert_into(notifications::table).values(chunk).execute(conn)?;
    }
    Ok(inserted)
}
