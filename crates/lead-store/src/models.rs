//! Rows as the product reads them. Flags are `bool`, timestamps Unix milliseconds.

use diesel::prelude::*;

use crate::schema::{api_keys, customers, employees, idempotency_keys, notifications, tickets, web_orders};

/// A database id.
pub type Id = i64;

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its id.
    pub id: Id,
    /// Its unique name.
    pub name: String,
    /// Whether its keys work.
    pub active: bool,
    /// When it was added.
    pub created_at: i64,
}

/// Why a stored lead is held back from the team: it notifies nobody and appears in no team
/// view until the operator releases it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hold {
    /// Past its key's daily cap.
    Quarantine,
    /// Caught by the spam honeypot.
    Spam,
    /// Sent with an `Idempotency-Key` already used for another body: kept for review instead
    /// of refused, so that a reused or forged key costs no lead.
    Conflict,
}

/// Which leads a list shows: those the team sees, or those held back (for one reason, or
/// for any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    Team,
    Held(Option<Hold>),
}

/// The stored form of a key's origins: space-separated, or NULL for none.
pub(crate) fn origins_from_column(column: Option<String>) -> Vec<String> {
    column
        .map(|text| text.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Whether a stored lead, held for `held` (or not: `None`), is a real lead: it counts against
/// its key's daily cap and keeps its `Idempotency-Key` and its fingerprint. Spam is not, nor is
/// a lead whose `Idempotency-Key` belongs to another one.
pub(crate) fn counts_as_lead(held: Option<Hold>) -> bool {
    matches!(held, None | Some(Hold::Quarantine))
}

impl Hold {
    /// The hold of a stored name; `None` for one that is not.
    pub fn parse(name: &str) -> Option<Hold> {
        [Hold::Quarantine, Hold::Spam, Hold::Conflict]
            .into_iter()
            .find(|hold| hold.as_str() == name)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Quarantine => "quarantine",
            Hold::Spam => "spam",
            Hold::Conflict => "conflict",
        }
    }
}

/// How a lead is submitted, besides what it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// An `Idempotency-Key`: a retry (same API key, within 24 hours) with the same body gets
    /// the first lead's answer and stores nothing; another body with the same key is stored
    /// held as [`Hold::Conflict`]. Without one, the same body within the store's duplicate
    /// window gets the first lead's answer (see [`StoreConfig::duplicate_window`](crate::StoreConfig)).
    pub idempotency_key: Option<String>,
    /// Caught by the spam honeypot: stored whole but held back as spam, notifying nobody,
    /// counted against no daily cap, and recording neither its `Idempotency-Key` nor its
    /// fingerprint (so a bot cannot use up the key or the body of a real lead).
    pub spam: bool,
}

/// What may be shown of an API key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Its id.
    pub id: Id,
    /// The company it belongs to.
    pub company_id: Id,
    /// The non-secret display prefix.
    pub prefix: String,
    /// The operator's label.
    pub label: String,
    /// Whether it has been revoked.
    pub active: bool,
    /// When it was issued or imported.
    pub created_at: i64,
    /// When a lead was last accepted with it.
    pub last_used_at: Option<i64>,
    /// At most this many leads a day (UTC) reach the team; the rest are quarantined.
    pub daily_cap: Option<i64>,
    /// The websites it may be used from (empty: any).
    pub origins: Vec<String>,
}

/// The result of looking a presented key up by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookup {
    /// The key's id.
    pub key_id: Id,
    /// The company it belongs to.
    pub company_id: Id,
    /// Whether the key is active (not revoked).
    pub key_active: bool,
    /// Whether its company is active.
    pub company_active: bool,
    /// The origins it may be used from, like `https://www.example.de` (empty: any).
    pub origins: Vec<String>,
}

/// The key and company a lead is recorded for, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant {
    /// The company.
    pub company_id: Id,
    /// The key that was presented.
    pub key_id: Id,
}

/// An employee of a company: receives the in-app notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// Its id.
    pub id: Id,
    /// The company.
    pub company_id: Id,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Deactivated employees get no notifications.
    pub active: bool,
    /// When added.
    pub created_at: i64,
}

/// A customer of a company: leads with a matching email are filed under it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Customer {
    /// Its id.
    pub id: Id,
    /// The company.
    pub company_id: Id,
    /// Name.
    pub name: String,
    /// Email address as entered.
    pub email: String,
    /// When added.
    pub created_at: i64,
}

/// An employee named on a record (who decided, who closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRef {
    /// The employee's id.
    pub id: Id,
    /// The employee's name.
    pub name: String,
}

impl EmployeeRef {
    pub(crate) fn from_parts(id: Option<Id>, name: Option<String>) -> Option<EmployeeRef> {
        Some(EmployeeRef {
            id: id?,
            name: name.unwrap_or_default(),
        })
    }
}

/// A web order in a company's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Its id (the `id` of the success answer).
    pub id: Id,
    /// The company.
    pub company_id: Id,
    /// The matching customer, if any.
    pub customer_id: Option<Id>,
    /// Sender's email as sent (trimmed).
    pub email: String,
    /// Subject or `Web-Bestellung`.
    pub title: String,
    /// Optional note.
    pub message: Option<String>,
    /// Gross amount in cents.
    pub total_cents: i64,
    /// `new`, `accepted` or `rejected`.
    pub status: String,
    /// The original request body.
    pub payload: String,
    /// When it arrived.
    pub created_at: i64,
    /// Who accepted or rejected it.
    pub decided_by: Option<EmployeeRef>,
    /// When it was accepted or rejected.
    pub decided_at: Option<i64>,
    /// Held back from the team (`quarantine`), or `None`.
    pub held: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = web_orders)]
pub(crate) struct OrderRow {
    id: Id,
    company_id: Id,
    customer_id: Option<Id>,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: i64,
    status: String,
    payload: String,
    created_at: i64,
    decided_by: Option<Id>,
    decided_at: Option<i64>,
    held: Option<String>,
}

impl From<(OrderRow, Option<String>)> for OrderRecord {
    fn from((row, decider): (OrderRow, Option<String>)) -> Self {
        OrderRecord {
            id: row.id,
            company_id: row.company_id,
            customer_id: row.customer_id,
            email: row.email,
            title: row.title,
            message: row.message,
            total_cents: row.total_cents,
            status: row.status,
            payload: row.payload,
            created_at: row.created_at,
            decided_by: EmployeeRef::from_parts(row.decided_by, decider),
            decided_at: row.decided_at,
            held: row.held,
        }
    }
}

impl OrderRecord {
    /// The notification this order sends the team.
    pub(crate) fn notification(&self) -> crate::notifications::LeadNote {
        let total = u64::try_from(self.total_cents)
            .ok()
            .and_then(lead_domain::Money::from_cents);
        crate::notifications::LeadNote {
            kind: "order",
            text: lead_domain::order_notification(total.unwrap_or_default()),
            order_id: Some(self.id),
            ticket_id: None,
        }
    }
}

/// A ticket in a company's ticket system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// Its id.
    pub id: Id,
    /// The company.
    pub company_id: Id,
    /// The customer whose file holds it, if one matched.
    pub customer_id: Option<Id>,
    /// Sender's email as sent (trimmed).
    pub email: String,
    /// Subject or `Anfrage Webseite`.
    pub title: String,
    /// The request.
    pub message: String,
    /// `open` or `closed`.
    pub status: String,
    /// The original request body.
    pub payload: String,
    /// When it arrived.
    pub created_at: i64,
    /// Who last closed or reopened it.
    pub status_changed_by: Option<EmployeeRef>,
    /// When it was last closed or reopened.
    pub status_changed_at: Option<i64>,
    /// Held back from the team (`quarantine`), or `None`.
    pub held: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(crate) struct TicketRow {
    id: Id,
    company_id: Id,
    customer_id: Option<Id>,
    email: String,
    title: String,
    message: String,
    status: String,
    payload: String,
    created_at: i64,
    status_changed_by: Option<Id>,
    status_changed_at: Option<i64>,
    held: Option<String>,
}

impl From<(TicketRow, Option<String>)> for TicketRecord {
    fn from((row, changer): (TicketRow, Option<String>)) -> Self {
        TicketRecord {
            id: row.id,
            company_id: row.company_id,
            customer_id: row.customer_id,
            email: row.email,
            title: row.title,
            message: row.message,
            status: row.status,
            payload: row.payload,
            created_at: row.created_at,
            status_changed_by: EmployeeRef::from_parts(row.status_changed_by, changer),
            status_changed_at: row.status_changed_at,
            held: row.held,
        }
    }
}

impl TicketRecord {
    /// The notification this ticket sends the team.
    pub(crate) fn notification(&self) -> crate::notifications::LeadNote {
        crate::notifications::LeadNote {
            kind: "ticket",
            text: lead_domain::ticket_notification(&self.title, &self.email),
            order_id: None,
            ticket_id: Some(self.id),
        }
    }
}

/// The result of looking a presented employee token up by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLookup {
    /// The token's id.
    pub token_id: Id,
    /// Its employee.
    pub employee_id: Id,
    /// The employee's company.
    pub company_id: Id,
    /// Whether the token is active (not revoked).
    pub token_active: bool,
    /// Whether the employee is active.
    pub employee_active: bool,
    /// Whether the company is active.
    pub company_active: bool,
}

/// An authenticated employee of the team API: every operation is scoped to its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The employee.
    pub employee_id: Id,
    /// The employee's company.
    pub company_id: Id,
    /// The token it authenticated with (long-lived streams re-check it).
    pub token_id: Id,
}

/// What may be shown of an employee token: never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id.
    pub id: Id,
    /// Its employee.
    pub employee_id: Id,
    /// The display prefix.
    pub prefix: String,
    /// Whether it has been revoked.
    pub active: bool,
    /// When it was issued.
    pub created_at: i64,
}

/// A customer's file: the customer with its tickets and orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFile {
    /// The customer.
    pub customer: Customer,
    /// Its tickets, newest first.
    pub tickets: Vec<TicketRecord>,
    /// Its orders, newest first.
    pub orders: Vec<OrderRecord>,
}

/// How many unassigned records a claim filed into a customer's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Claimed {
    /// Tickets filed.
    pub tickets: usize,
    /// Orders filed.
    pub orders: usize,
}

/// An in-app notification for one employee.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    /// Its id.
    pub id: Id,
    /// The employee it is for.
    pub employee_id: Id,
    /// `order` or `ticket`.
    pub kind: String,
    /// The German text.
    pub text: String,
    /// The order it is about.
    pub order_id: Option<Id>,
    /// The ticket it is about.
    pub ticket_id: Option<Id>,
    /// When it was read.
    pub read_at: Option<i64>,
    /// When it was created.
    pub created_at: i64,
}

/// What recording a lead produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The new order's or ticket's id.
    pub id: Id,
    /// The customer it was filed under.
    pub customer_id: Option<Id>,
    /// How many employees were notified.
    pub notified: usize,
    /// A retry (the same `Idempotency-Key`, or the same body within the duplicate window):
    /// the first lead's answer, nothing new stored.
    pub replayed: bool,
    /// Stored, but held back from the team (and so nobody was notified).
    pub held: Option<Hold>,
}

/// Row counts of the whole database (for checks and the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Web orders.
    pub orders: i64,
    /// Tickets.
    pub tickets: i64,
    /// Notifications.
    pub notifications: i64,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct NewKey<'a> {
    pub company_id: Id,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub label: &'a str,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = employees)]
pub(crate) struct NewEmployee<'a> {
    pub company_id: Id,
    pub name: &'a str,
    pub email: &'a str,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = customers)]
pub(crate) struct NewCustomer<'a> {
    pub company_id: Id,
    pub name: &'a str,
    pub name_normalized: &'a str,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub created_at: i64,
}

// The rows the writer inserts own their values: a multi-row insert of a fixed number of
// rows is prepared once and reused only when its rows' types are `'static` (Diesel keys its
// statement cache by type). `None` is NULL, never the column's default, so that SQLite takes
// them in one multi-row statement.

#[derive(Insertable)]
#[diesel(table_name = web_orders, treat_none_as_default_value = false)]
pub(crate) struct NewOrder {
    pub company_id: Id,
    pub api_key_id: Id,
    pub customer_id: Option<Id>,
    pub email: String,
    pub email_normalized: String,
    pub title: String,
    pub message: Option<String>,
    pub total_cents: i64,
    pub status: &'static str,
    pub payload: String,
    pub created_at: i64,
    pub held: Option<&'static str>,
}

#[derive(Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub(crate) struct NewTicket {
    pub company_id: Id,
    pub api_key_id: Id,
    pub customer_id: Option<Id>,
    pub email: String,
    pub email_normalized: String,
    pub title: String,
    pub message: String,
    pub status: &'static str,
    pub payload: String,
    pub created_at: i64,
    pub held: Option<&'static str>,
}

#[derive(Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub(crate) struct NewNotification {
    pub company_id: Id,
    pub employee_id: Id,
    pub kind: &'static str,
    pub text: String,
    pub order_id: Option<Id>,
    pub ticket_id: Option<Id>,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub(crate) struct NewIdempotencyKey {
    pub api_key_id: Id,
    pub idem_key: String,
    pub lead_type: &'static str,
    pub record_id: Id,
    pub created_at: i64,
}
