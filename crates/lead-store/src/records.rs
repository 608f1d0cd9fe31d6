//! Orders and tickets as the team and the operator read them, and why a lead may be held
//! back from the team.

use diesel::prelude::*;
use lead_domain::{Money, OrderStatus, TicketStatus, Timestamp};

use crate::ids::{CompanyId, CustomerId, EmployeeId, OrderId, TicketId};
use crate::models::EmployeeRef;
use crate::schema::{tickets, web_orders};
use crate::StoreError;

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

impl TryFrom<String> for Hold {
    type Error = StoreError;

    fn try_from(name: String) -> Result<Hold, StoreError> {
        Hold::parse(&name).ok_or_else(|| StoreError::corrupt(format!("unknown hold {name:?}")))
    }
}

/// What a team list is narrowed to, besides a status: text found in the address, title,
/// message or anything the website sent (case-insensitive; `%` and `_` literal), and a time
/// range of arrival (`since` inclusive, `until` exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Text to find.
    pub text: Option<String>,
    /// Arrived at or after.
    pub since: Option<lead_domain::Timestamp>,
    /// Arrived before.
    pub until: Option<lead_domain::Timestamp>,
}

/// Narrows a boxed query of `$table` (`web_orders` or `tickets`) by `$search`.
macro_rules! searched {
    ($query:expr, $table:ident, $search:expr) => {{
        use $crate::dialect::lower;
        let mut query = $query;
        let search: &$crate::records::Search = $search;
        if let Some(text) = search.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            let pattern = $crate::dialect::contains(text);
            query = query.filter(
                lower($table::email.nullable())
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower($table::title.nullable()).like(pattern.clone()).escape('\\'))
                    .or(lower($table::message.nullable()).like(pattern.clone()).escape('\\'))
                    .or(lower($table::payload.nullable()).like(pattern).escape('\\')),
            );
        }
        if let Some(since) = search.since {
            query = query.filter($table::created_at.ge(since.millis()));
        }
        if let Some(until) = search.until {
            query = query.filter($table::created_at.lt(until.millis()));
        }
        query
    }};
}
pub(crate) use searched;

/// Which leads a list shows: those the team sees, or those held back (for one reason, or
/// for any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    Team,
    /// What the team sees of one customer's file.
    Customer(crate::ids::CustomerId),
    Held(Option<Hold>),
}

/// Whether a stored lead, held for `held` (or not: `None`), is a real lead: it counts against
/// its key's daily cap and keeps its `Idempotency-Key` and its fingerprint. Spam is not, nor is
/// a lead whose `Idempotency-Key` belongs to another one.
pub(crate) fn counts_as_lead(held: Option<Hold>) -> bool {
    matches!(held, None | Some(Hold::Quarantine))
}

/// A web order in a company's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Its id (the `id` of the success answer).
    pub id: OrderId,
    /// The company.
    pub company_id: CompanyId,
    /// The matching customer, if any.
    pub customer_id: Option<CustomerId>,
    /// Sender's email as sent (trimmed).
    pub email: String,
    /// Subject or `Web-Bestellung`.
    pub title: String,
    /// Optional note.
    pub message: Option<String>,
    /// The gross amount.
    pub total: Money,
    /// Where it stands in the inbox.
    pub status: OrderStatus,
    /// The original request body.
    pub payload: String,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Who accepted or rejected it.
    pub decided_by: Option<EmployeeRef>,
    /// When it was accepted or rejected.
    pub decided_at: Option<Timestamp>,
    /// Why it is held back from the team, if it is.
    pub held: Option<Hold>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = web_orders)]
pub(crate) struct OrderRow {
    id: OrderId,
    company_id: CompanyId,
    customer_id: Option<CustomerId>,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: i64,
    #[diesel(deserialize_as = String)]
    status: OrderStatus,
    payload: String,
    #[diesel(deserialize_as = i64)]
    created_at: Timestamp,
    decided_by: Option<EmployeeId>,
    decided_at: Option<i64>,
    held: Option<String>,
}

impl TryFrom<(OrderRow, Option<String>)> for OrderRecord {
    type Error = StoreError;

    fn try_from((row, decider): (OrderRow, Option<String>)) -> Result<Self, StoreError> {
        let total = u64::try_from(row.total_cents)
            .ok()
            .and_then(Money::from_cents)
            .ok_or_else(|| StoreError::corrupt(format!("order {}: total of {} cents", row.id, row.total_cents)))?;
        Ok(OrderRecord {
            id: row.id,
            company_id: row.company_id,
            customer_id: row.customer_id,
            email: row.email,
            title: row.title,
            message: row.message,
            total,
            status: row.status,
            payload: row.payload,
            created_at: row.created_at,
            decided_by: EmployeeRef::from_parts(row.decided_by, decider),
            decided_at: row.decided_at.map(Timestamp::from),
            held: row.held.map(Hold::try_from).transpose()?,
        })
    }
}

/// A ticket in a company's ticket system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// Its id.
    pub id: TicketId,
    /// The company.
    pub company_id: CompanyId,
    /// The customer whose file holds it, if one matched.
    pub customer_id: Option<CustomerId>,
    /// Sender's email as sent (trimmed).
    pub email: String,
    /// Subject or `Anfrage Webseite`.
    pub title: String,
    /// The request.
    pub message: String,
    /// Open or closed.
    pub status: TicketStatus,
    /// The original request body.
    pub payload: String,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Who last closed or reopened it.
    pub status_changed_by: Option<EmployeeRef>,
    /// When it was last closed or reopened.
    pub status_changed_at: Option<Timestamp>,
    /// Why it is held back from the team, if it is.
    pub held: Option<Hold>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(crate) struct TicketRow {
    id: TicketId,
    company_id: CompanyId,
    customer_id: Option<CustomerId>,
    email: String,
    title: String,
    message: String,
    #[diesel(deserialize_as = String)]
    status: TicketStatus,
    payload: String,
    #[diesel(deserialize_as = i64)]
    created_at: Timestamp,
    status_changed_by: Option<EmployeeId>,
    status_changed_at: Option<i64>,
    held: Option<String>,
}

impl TryFrom<(TicketRow, Option<String>)> for TicketRecord {
    type Error = StoreError;

    fn try_from((row, changer): (TicketRow, Option<String>)) -> Result<Self, StoreError> {
        Ok(TicketRecord {
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
            status_changed_at: row.status_changed_at.map(Timestamp::from),
            held: row.held.map(Hold::try_from).transpose()?,
        })
    }
}
