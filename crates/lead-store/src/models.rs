//! What the store hands out besides orders and tickets (`records.rs`): companies, keys,
//! employees, customers, tokens, notifications, and what recording a lead came to. Ids are
//! typed per entity (`ids.rs`), times are [`Timestamp`]s, key and token states are
//! lead-auth's.

use diesel::prelude::*;
use lead_auth::{KeyState, TokenState};
use lead_domain::Timestamp;

use crate::ids::{CompanyId, CustomerId, EmployeeId, KeyId, LeadId, NotificationId, OrderId, TicketId, TokenId};
use crate::schema::notifications;

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its unique name.
    pub name: String,
    /// Whether its keys work.
    pub active: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// The stored form of a key's origins: space-separated, or NULL for none.
pub(crate) fn origins_from_column(column: Option<String>) -> Vec<String> {
    column
        .map(|text| text.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
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
    /// What the virus scanner said of each of the body's files, in their order; a file
    /// without a verdict here is [`Scan::Off`]. One found infected holds the lead as
    /// [`Hold::Malware`].
    pub scans: Vec<Scan>,
    /// Where the lead's consent was given: the page (`Referer`, else `Origin`) and the client's
    /// address (as the HTTP layer shortened it). Recorded when the body says anything about
    /// consent, or its key has a consent text.
    pub consent_page: Option<String>,
    /// See [`SubmitOptions::consent_page`].
    pub consent_client: Option<String>,
    /// The proof of work the lead brought, checked (its key requires one): a solution counts
    /// once. A lead for the team whose proof a stored lead used already is held as spam
    /// instead (a retry of that very lead gets its answer, as always).
    pub proof: Option<lead_auth::proof::Solved>,
    /// Its key requires a proof of work and it brought no valid one: held as spam like a lead
    /// whose proof was used before — unless it is a retry or duplicate of a stored lead, which
    /// gets that lead's answer (a retry may come after its challenge expired).
    pub unproven: bool,
}

/// A lead's consent on record (DSGVO Art. 7(1)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Whether the visitor gave it.
    pub given: bool,
    /// The sentence they saw (the form's, else the key's).
    pub text: Option<String>,
    /// When (the lead's arrival).
    pub at: Timestamp,
    /// From which page.
    pub page: Option<String>,
    /// From which address (shortened to /24 or /48 unless `[privacy] truncate_ips` is off).
    pub client: Option<String>,
}

impl Consent {
    /// The consent of a lead's columns (`None`: none on record).
    pub(crate) fn of_columns(
        given: Option<i32>,
        text: Option<String>,
        at: Option<i64>,
        page: Option<String>,
        client: Option<String>,
    ) -> Option<Consent> {
        Some(Consent {
            given: given? == 1,
            text,
            at: at.unwrap_or_default().into(),
            page,
            client,
        })
    }
}

/// What may be shown of an API key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Its id.
    pub id: KeyId,
    /// The company it belongs to.
    pub company_id: CompanyId,
    /// The non-secret display prefix.
    pub prefix: String,
    /// The operator's label.
    pub label: String,
    /// Whether it has been revoked.
    pub active: bool,
    /// When it was issued or imported.
    pub created_at: Timestamp,
    /// When a lead was last accepted with it.
    pub last_used_at: Option<Timestamp>,
    /// At most this many leads a day (UTC) reach the team; the rest are quarantined.
    pub daily_cap: Option<i64>,
    /// The websites it may be used from (empty: any).
    pub origins: Vec<String>,
    /// The consent sentence its form shows (recorded with each lead that sends none).
    pub consent_text: Option<String>,
    /// Whether each sender gets a confirmation e-mail.
    pub confirm_sender: bool,
    /// Whether its leads must bring a proof of work (the ALTCHA widget's `altcha` field).
    pub challenge: bool,
}

/// The result of looking a presented key up by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookup {
    /// The key and its company.
    pub tenant: Tenant,
    /// Whether the key may act (see [`KeyState::of`]).
    pub state: KeyState,
    /// The origins it may be used from, like `https://www.example.de` (empty: any).
    pub origins: Vec<String>,
    /// Whether its leads must bring a proof of work; one without is held as spam.
    pub challenge: bool,
}

/// The key and company a lead is recorded for, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tenant {
    /// The company.
    pub company_id: CompanyId,
    /// The key that was presented.
    pub key_id: KeyId,
}

/// An employee of a company: receives the in-app notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// Its id.
    pub id: EmployeeId,
    /// The company.
    pub company_id: CompanyId,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Deactivated employees get no notifications.
    pub active: bool,
    /// When added.
    pub created_at: Timestamp,
    /// What the employee may do in the dashboard.
    pub role: Role,
}

lead_domain::words! {
    /// What an employee may do: work the inbox, or also manage the company's employees, keys,
    /// webhooks and data requests.
    Role("role") {
        /// Works orders, tickets and customers.
        Member = "member",
        /// Also manages the company in the dashboard's admin pages.
        Admin = "admin",
    }
}

/// A customer of a company: leads from any of its addresses are filed under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Its id.
    pub id: CustomerId,
    /// The company.
    pub company_id: CompanyId,
    /// Name.
    pub name: String,
    /// The main email address, as entered.
    pub email: String,
    /// Further addresses (as entered, in the order given): leads from them are filed here too.
    pub emails: Vec<String>,
    /// Phone number, as entered; empty if unknown.
    pub phone: String,
    /// The firm the customer is with; empty if none.
    pub organization: String,
    /// Street and number.
    pub street: String,
    /// Postal code, as text.
    pub zip: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// When added.
    pub created_at: Timestamp,
}

/// An employee named on a record (who decided, who closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRef {
    /// The employee's id.
    pub id: EmployeeId,
    /// The employee's name.
    pub name: String,
}

impl EmployeeRef {
    pub(crate) fn from_parts(id: Option<EmployeeId>, name: Option<String>) -> Option<EmployeeRef> {
        Some(EmployeeRef {
            id: id?,
            name: name.unwrap_or_default(),
        })
    }
}

/// The result of looking a presented employee token up by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLookup {
    /// The employee, the company and the token.
    pub member: Member,
    /// Whether the token may act (see [`TokenState::of`]).
    pub state: TokenState,
}

/// An authenticated employee of the team API: every operation is scoped to its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The employee.
    pub employee_id: EmployeeId,
    /// The employee's company.
    pub company_id: CompanyId,
    /// The token it authenticated with (long-lived streams re-check it).
    pub token_id: TokenId,
    /// A dashboard session made with a one-time password: it opens nothing but the page to
    /// set one's own password.
    pub password_only: bool,
}

/// What may be shown of an employee token: never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id.
    pub id: TokenId,
    /// Its employee.
    pub employee_id: EmployeeId,
    /// The display prefix.
    pub prefix: String,
    /// Whether it has been revoked.
    pub active: bool,
    /// When it was issued.
    pub created_at: Timestamp,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// The employee it is for.
    pub employee_id: EmployeeId,
    /// The order or ticket it is about; none for a notice about one of the company's webhook
    /// endpoints (disabled because it is gone, or has failed for days).
    pub lead: Option<LeadId>,
    /// The German text.
    pub text: String,
    /// When it was read.
    pub read_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Notification {
    /// What it is about: `order`, `ticket` or `webhook`.
    pub fn kind(&self) -> &'static str {
        self.lead.map_or("webhook", |lead| lead.lead_type().as_str())
    }
}

/// A notification as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub(crate) struct NotificationRow {
    id: NotificationId,
    employee_id: EmployeeId,
    text: String,
    order_id: Option<OrderId>,
    ticket_id: Option<TicketId>,
    read_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = crate::StoreError;

    fn try_from(row: NotificationRow) -> crate::Result<Notification> {
        // The table's CHECK holds one of the two, or (a notice about a webhook) neither.
        let lead = match (row.order_id, row.ticket_id) {
            (Some(order), None) => Some(LeadId::Order(order)),
            (None, Some(ticket)) => Some(LeadId::Ticket(ticket)),
            (None, None) => None,
            _ => {
                return Err(crate::StoreError::corrupt(format!(
                    "notification {} points to no one record",
                    row.id
                )))
            }
        };
        Ok(Notification {
            id: row.id,
            employee_id: row.employee_id,
            lead,
            text: row.text,
            read_at: row.read_at.map(Timestamp::from),
            created_at: row.created_at.into(),
        })
    }
}

/// What recording a lead produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The new order or ticket.
    pub id: LeadId,
    /// The customer it was filed under.
    pub customer_id: Option<CustomerId>,
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

lead_domain::words! {
    /// Which new senders get a customer file of their own as their lead arrives („Neue
    /// Absender automatisch als Kunden anlegen“): none — only existing customers match —, the
    /// senders of orders, or of every lead.
    AutoCustomers("auto_customers") {
        /// Nobody (the default).
        Off = "off",
        /// The senders of orders.
        Orders = "orders",
        /// The senders of orders and tickets.
        All = "all",
    }
}

lead_domain::words! {
    /// What the virus scanner (clamd) said of a file: only `clean` and `off` files are served.
    Scan("scan") {
        /// Scanned, nothing found.
        Clean = "clean",
        /// Not scanned yet (the scanner did not answer): scanned when it is back, not served
        /// until then.
        Pending = "pending",
        /// Malware: never served.
        Infected = "infected",
        /// No scanner is configured.
        Off = "off",
    }
}

impl Scan {
    /// Whether a file with this verdict may be downloaded.
    pub fn servable(self) -> bool {
        matches!(self, Scan::Clean | Scan::Off)
    }
}

lead_domain::words! {
    /// Why a stored lead is held back from the team: it notifies nobody and appears in no team
    /// view until the operator releases it.
    Hold("hold") {
        /// Past its key's daily cap.
        Quarantine = "quarantine",
        /// Caught by the spam honeypot.
        Spam = "spam",
        /// Sent with an `Idempotency-Key` already used for another body: kept for review
        /// instead of refused, so that a reused or forged key costs no lead.
        Conflict = "conflict",
        /// A file it came with is malware (clamd found it): its files are never served.
        Malware = "malware",
    }
}

/// Whether a stored lead, held for `held` (or not: `None`), is a real lead: it counts against
/// its key's daily cap and keeps its `Idempotency-Key` and its fingerprint (so that its retries
/// are answered with it, malware or not). Spam is not, nor is a lead whose `Idempotency-Key`
/// belongs to another one.
pub(crate) fn counts_as_lead(held: Option<Hold>) -> bool {
    matches!(held, None | Some(Hold::Quarantine) | Some(Hold::Malware))
}
