//! A person's data on request (DSGVO Art. 15 and 17): everything stored about one e-mail
//! address in one company — found, exported as one JSON document, or erased in one
//! transaction.
//!
//! What belongs to a person: the company's customers with that address, every order and
//! ticket sent with it or filed under such a customer (held ones too), what hangs on those
//! (notifications, deliveries and their attempts, `Idempotency-Key`s, duplicate
//! fingerprints), and every submission log entry, notification, delivery and wrong-password
//! count whose text contains the address. Records of others that mention the address (a
//! colleague's ticket that names it) are not the person's: the export lists them, and an admin
//! can redact them (`mentions.rs`).

mod mentions;
mod rows;

pub use mentions::{Mention, REDACTED};

use diesel::prelude::*;
use serde::Serialize;

use self::mentions::{naming, others};
use self::rows::{CustomerChangeExport, DeliveryRow, LoginRow, MessageExport, NoteExport, NoteRow, SubmissionRow};
use crate::access::audit;
use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId};
use crate::privacy::deletion::{delete_leads, delete_what_hangs_on};
use crate::privacy::Privacy;
use crate::schema::{
    companies, customer_changes, customer_emails, customers, employees, login_throttle, messages, notes, notifications,
    outbox, submissions, web_orders,
};
use crate::team::records::table::Table;
use crate::team::records::{OrderRecord, TicketRecord};
use crate::{Result, StoreError};

/// What `person erase` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Erased {
    /// Customers deleted.
    pub customers: usize,
    /// Orders deleted.
    pub orders: usize,
    /// Orders kept as business records, with the personal fields anonymised.
    pub orders_anonymised: usize,
    /// Tickets deleted.
    pub tickets: usize,
    /// Submission log entries deleted.
    pub submissions: usize,
    /// Notifications deleted (besides those of the deleted leads).
    pub notifications: usize,
    /// Deliveries deleted (besides those of the deleted leads).
    pub deliveries: usize,
    /// Wrong-password counts deleted.
    pub login_failures: usize,
}

/// The title an anonymised order keeps.
pub const ANONYMISED_TITLE: &str = "Bestellung (anonymisiert)";

/// Everything stored about one person in one company (DSGVO Art. 15), read in one snapshot:
/// the leads as records — `lead_present::person` shows them as the team API does —, the
/// rest as the rows the export writes.
#[derive(Debug)]
pub struct PersonData {
    /// The address, normalised.
    pub email: String,
    /// The company.
    pub company_id: CompanyId,
    /// Its name.
    pub company_name: String,
    /// The company's customers with the address.
    pub customers: Vec<crate::models::Customer>,
    /// Every order sent with the address or filed under such a customer (held ones too).
    pub orders: Vec<OrderRecord>,
    /// Every such ticket.
    pub tickets: Vec<TicketRecord>,
    /// The rest, as written out: the team's notes, the leads' e-mails, notifications, deliveries, submission log
    /// entries and wrong-password counts, and the records of others that mention the address.
    pub rows: PersonRows,
}

/// What else an export holds about a person, as written out (`customer_history`, `notes`,
/// `messages`, `notifications`, `deliveries`, `submissions`, `login_failures`, `mentioned_in`).
#[derive(Debug, Serialize)]
pub struct PersonRows {
    customer_history: Vec<CustomerChangeExport>,
    notes: Vec<NoteExport>,
    messages: Vec<MessageExport>,
    notifications: Vec<NoteRow>,
    deliveries: Vec<DeliveryRow>,
    submissions: Vec<SubmissionRow>,
    login_failures: Vec<LoginRow>,
    mentioned_in: Vec<Mention>,
}

/// Everything of one person, as ids and rows.
struct Found {
    customers: Vec<crate::models::Customer>,
    orders: Vec<OrderRecord>,
    tickets: Vec<TicketRecord>,
}

impl Privacy<'_> {
    /// Everything stored about `email` in the company (DSGVO Art. 15), read in one snapshot;
    /// `lead_present::person::document` makes it the JSON document.
    pub fn export_person(&self, company_id: CompanyId, email: &str) -> Result<PersonData> {
        let email = address(email)?;
        // One read transaction: a consistent picture, even while leads arrive.
        self.store.read(|conn| {
            conn.transaction(|conn| {
                let company: String = companies::table
                    .find(company_id)
                    .select(companies::name)
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| StoreError::missing(crate::error::Entity::Company, company_id))?;
                let found = find(conn, company_id, &email)?;
                let (order_ids, ticket_ids) = lead_ids(&found);
                let named = naming(conn, company_id, &email)?;
                let mentioned_in = others(conn, company_id, &email, &found)?;
                let notes: Vec<NoteRow> = notifications::table
                    .filter(notifications::company_id.eq(company_id))
                    .filter(
                        notifications::order_id
                            .eq_any(&order_ids)
                            .or(notifications::ticket_id.eq_any(&ticket_ids))
                            .or(notifications::id.eq_any(&named.notifications)),
                    )
                    .select((
                        notifications::id,
                        notifications::employee_id,
                        notifications::kind,
                        notifications::text,
                        notifications::order_id,
                        notifications::ticket_id,
                        notifications::created_at,
                        notifications::read_at,
                    ))
                    .order(notifications::id)
                    .load(conn)?;
                let deliveries: Vec<DeliveryRow> = outbox::table
                    .filter(outbox::company_id.eq(company_id))
                    .filter(
                        outbox::order_id
                            .eq_any(&order_ids)
                            .or(outbox::ticket_id.eq_any(&ticket_ids))
                            .or(outbox::id.eq_any(&named.deliveries)),
                    )
                    .select((
                        outbox::id,
                        outbox::channel,
                        outbox::event,
                        outbox::status,
                        outbox::attempts,
                        outbox::body,
                        outbox::last_error,
                        outbox::created_at,
                    ))
                    .order(outbox::id)
                    .load(conn)?;
                let logged: Vec<SubmissionRow> = submissions::table
                    .filter(submissions::id.eq_any(&named.submissions))
                    .select((
                        submissions::id,
                        submissions::at,
                        submissions::key_prefix,
                        submissions::origin,
                        submissions::client_ip,
                        submissions::status,
                        submissions::code,
                        submissions::body,
                    ))
                    .order(submissions::id)
                    .load(conn)?;
                let customer_ids: Vec<i64> = found.customers.iter().map(|c| c.id.get()).collect();
                let written: Vec<NoteExport> = notes::table
                    .left_join(employees::table)
                    .filter(notes::company_id.eq(company_id))
                    .filter(
                        notes::order_id
                            .eq_any(&order_ids)
                            .or(notes::ticket_id.eq_any(&ticket_ids))
                            .or(notes::customer_id.eq_any(&customer_ids)),
                    )
                    .select((
                        notes::id,
                        notes::order_id,
                        notes::ticket_id,
                        notes::customer_id,
                        employees::name.nullable(),
                        notes::text,
                        notes::created_at,
                    ))
                    .order(notes::id)
                    .load(conn)?;
                let mails: Vec<MessageExport> = messages::table
                    .left_join(employees::table)
                    .filter(messages::company_id.eq(company_id))
                    .filter(
                        messages::order_id
                            .eq_any(&order_ids)
                            .or(messages::ticket_id.eq_any(&ticket_ids)),
                    )
                    .select((
                        messages::id,
                        messages::order_id,
                        messages::ticket_id,
                        messages::direction,
                        messages::sender,
                        messages::recipient,
                        messages::subject,
                        messages::text,
                        employees::name.nullable(),
                        messages::created_at,
                    ))
                    .order(messages::id)
                    .load(conn)?;
                let history: Vec<CustomerChangeExport> = customer_changes::table
                    .left_join(employees::table)
                    .filter(customer_changes::customer_id.eq_any(&customer_ids))
                    .select((
                        customer_changes::id,
                        customer_changes::customer_id,
                        diesel::dsl::sql::<diesel::sql_types::Text>("COALESCE(employees.name, customer_changes.actor)"),
                        customer_changes::at,
                        customer_changes::changes,
                    ))
                    .order(customer_changes::id)
                    .load(conn)?;
                // Another company's employee's login is that company's business, not this export's.
                let own_login = !crate::access::logins::shared_elsewhere(conn, &email, company_id)?;
                let logins: Vec<LoginRow> = login_throttle::table
                    .filter(login_throttle::login.eq(&email))
                    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(if own_login {
                        "1 = 1"
                    } else {
                        "1 = 0"
                    }))
                    .select((
                        login_throttle::client,
                        login_throttle::failed,
                        login_throttle::locked_until,
                        login_throttle::updated_at,
                    ))
                    .load(conn)?;
                Ok(PersonData {
                    email,
                    company_id,
                    company_name: company,
                    customers: found.customers,
                    orders: found.orders,
                    tickets: found.tickets,
                    rows: PersonRows {
                        customer_history: history,
                        notes: written,
                        messages: mails,
                        notifications: notes,
                        deliveries,
                        submissions: logged,
                        login_failures: logins,
                        mentioned_in,
                    },
                })
            })
        })
    }

    /// Erases everything stored about `email` in the company, in one transaction (DSGVO
    /// Art. 17) — with `keep_orders`, orders stay as business records with every personal
    /// field anonymised (address, title, message, the original body, the customer). The audit
    /// log records the erasure with a salted hash of the address, never the address.
    pub fn erase_person(&self, company_id: CompanyId, email: &str, keep_orders: bool) -> Result<Erased> {
        let email = address(email)?;
        let hashed = lead_auth::salted_hash(&email).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.store
            .write(|conn| {
                companies::table
                    .find(company_id)
                    .select(companies::id)
                    .first::<CompanyId>(conn)
                    .optional()?
                    .ok_or_else(|| StoreError::missing(crate::error::Entity::Company, company_id))?;
                let found = find(conn, company_id, &email)?;
                let (order_ids, ticket_ids) = lead_ids(&found);
                let named = naming(conn, company_id, &email)?;
                let mut erased = Erased {
                    customers: found.customers.len(),
                    tickets: ticket_ids.len(),
                    ..Erased::default()
                };
                if keep_orders && !order_ids.is_empty() {
                    anonymise_orders(conn, &order_ids)?;
                    erased.orders_anonymised = order_ids.len();
                } else {
                    delete_leads(conn, "web_orders", "order", "order_id", &order_ids)?;
                    erased.orders = order_ids.len();
                }
                delete_leads(conn, "tickets", "ticket", "ticket_id", &ticket_ids)?;
                let customer_ids: Vec<CustomerId> = found.customers.iter().map(|c| c.id).collect();
                diesel::delete(notes::table.filter(notes::customer_id.eq_any(&customer_ids))).execute(conn)?;
                // The file with every address and its history.
                diesel::delete(customer_emails::table.filter(customer_emails::customer_id.eq_any(&customer_ids)))
                    .execute(conn)?;
                diesel::delete(customer_changes::table.filter(customer_changes::customer_id.eq_any(&customer_ids)))
                    .execute(conn)?;
                diesel::delete(customers::table.filter(customers::id.eq_any(&customer_ids))).execute(conn)?;
                // What is left that names the address: found before the leads went, deleted now.
                (erased.submissions, erased.notifications, erased.deliveries) = named.delete(conn)?;
                // Wrong-password counts under the address — not when it is another company's
                // employee's login: those protect that account.
                if !crate::access::logins::shared_elsewhere(conn, &email, company_id)? {
                    erased.login_failures =
                        diesel::delete(login_throttle::table.filter(login_throttle::login.eq(&email))).execute(conn)?;
                }
                audit::record(
                    conn,
                    &self.store.actor,
                    audit::About::Company(company_id),
                    "person.erase",
                    &format!(
                        "company {company_id}: the person with the address of {hashed} — {} customers, {} orders \
                     deleted, {} anonymised, {} tickets, {} submission log entries, {} notifications, {} deliveries, \
                     {} wrong-password counts",
                        erased.customers,
                        erased.orders,
                        erased.orders_anonymised,
                        erased.tickets,
                        erased.submissions,
                        erased.notifications,
                        erased.deliveries,
                        erased.login_failures
                    ),
                )?;
                Ok(erased)
            })
            .inspect(|_| self.store.wipe_log())
    }
}

/// The address as stored for matching: trimmed, lower-cased; refused when it is none.
fn address(email: &str) -> Result<String> {
    crate::input::checked_email(email).map(|email| email.normalized())
}

/// The person's customers, and the orders and tickets sent with the address or filed under
/// one of them, held ones included.
fn find(conn: &mut DbConnection, company_id: CompanyId, email: &str) -> Result<Found> {
    // Every customer with the address, as its main one or a further one.
    let ids: Vec<CustomerId> = customer_emails::table
        .filter(customer_emails::company_id.eq(company_id))
        .filter(customer_emails::email_normalized.eq(email))
        .select(customer_emails::customer_id)
        .load(conn)?;
    let mut customers = Vec::new();
    for id in &ids {
        customers.push(crate::team::customers::load_customer(conn, company_id, *id)?);
    }
    let ids: Vec<CustomerId> = customers.iter().map(|c| c.id).collect();
    let person = crate::team::records::table::Rows {
        person: Some((email, &ids)),
        oldest_first: true,
        ..crate::team::records::table::Rows::of(company_id, crate::team::records::Listing::Any)
    };
    let orders = OrderRecord::select(conn, &person)?;
    let tickets = TicketRecord::select(conn, &person)?;
    Ok(Found {
        customers,
        orders,
        tickets,
    })
}

fn lead_ids(found: &Found) -> (Vec<i64>, Vec<i64>) {
    (
        found.orders.iter().map(|o| o.id.get()).collect(),
        found.tickets.iter().map(|t| t.id.get()).collect(),
    )
}

/// Keeps the orders `ids` as business records — amount, status, dates, who decided — with
/// nothing left that names the person; what hangs on them goes.
fn anonymise_orders(conn: &mut DbConnection, ids: &[i64]) -> Result<()> {
    delete_what_hangs_on(conn, "order", "order_id", ids)?;
    diesel::update(web_orders::table.filter(web_orders::id.eq_any(ids)))
        .set((
            web_orders::email.eq(""),
            web_orders::email_normalized.eq(""),
            web_orders::customer_id.eq(None::<CustomerId>),
            web_orders::title.eq(ANONYMISED_TITLE),
            web_orders::message.eq(None::<String>),
            web_orders::payload.eq("{}"),
            // Whether consent was given stays (what the record was kept under); where from goes.
            web_orders::consent_page.eq(None::<String>),
            web_orders::consent_client.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}
