//! Leads as the team and the operator read them — one kind of lead, parameterised by
//! [`LeadKind`]: every list, count, page, held review and release is written once (here, and
//! for the tables in `table.rs`), and what differs is stated once per kind: an order's total
//! and decision (`orders.rs`), a ticket's message, close and reopen (`tickets.rs`).

use lead_domain::{LeadType, Timestamp, Word};

use crate::ids::{CompanyId, CustomerId, LeadId};
use crate::models::{EmployeeRef, Hold};
use crate::team::Team;
use crate::{Result, StoreError};

mod orders;
mod owners;
pub(crate) mod table;
mod tickets;

pub use owners::OwnerChange;

pub use orders::OrderRecord;
pub use tickets::TicketRecord;

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

/// Which leads a list shows: those the team sees, or those held back (for one reason, or
/// for any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// What the team sees.
    Team,
    /// What the team sees of one customer's file.
    Customer(CustomerId),
    /// Held back, for this reason or any.
    Held(Option<Hold>),
    /// Every lead, held or not.
    Any,
}

/// Whose leads a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// Nobody's.
    Nobody,
    /// This employee's.
    By(crate::ids::EmployeeId),
}

/// The names a lead's row is read with: who last changed its status, who owns it, and who made
/// them the owner.
pub(crate) struct Names {
    pub(crate) changer: Option<String>,
    pub(crate) owner: Option<String>,
    pub(crate) assigner: Option<String>,
}

/// A kind of lead — [`OrderRecord`] or [`TicketRecord`] — as the store reads it. Lists,
/// counts, pages, the held review and the release are one implementation for both:
///
/// ```no_run
/// # fn show(store: &lead_store::Store, company: lead_store::CompanyId) -> lead_store::Result<()> {
/// use lead_store::{LeadQuery, OrderRecord, TicketRecord};
///
/// let orders: Vec<OrderRecord> = store.team().leads(company, &LeadQuery::default())?;
/// let open_tickets = store.team().leads::<TicketRecord>(company, &LeadQuery {
///     status: Some(lead_domain::TicketStatus::Open),
///     ..LeadQuery::default()
/// })?;
/// # Ok(()) }
/// ```
pub trait LeadKind: table::Table + Clone + Send + Sync + 'static {
    /// Its id type.
    type Id: Copy
        + Eq
        + std::hash::Hash
        + std::fmt::Debug
        + std::fmt::Display
        + std::str::FromStr
        + Into<LeadId>
        + Send
        + Sync
        + 'static;
    /// Where it stands.
    type Status: Word;

    /// Which kind.
    const TYPE: LeadType;

    /// The id with this number.
    fn numbered(number: i64) -> Self::Id;
    /// Its id.
    fn id(&self) -> Self::Id;
    /// Where it stands.
    fn status(&self) -> Self::Status;
    /// The sender's address as sent.
    fn email(&self) -> &str;
    /// Its title.
    fn title(&self) -> &str;
    /// The message sent with it (a ticket's request; an order's optional note).
    fn message(&self) -> Option<&str>;
    /// The original request body.
    fn payload(&self) -> &str;
    /// When it arrived.
    fn created_at(&self) -> Timestamp;
    /// The customer whose file holds it.
    fn customer_id(&self) -> Option<CustomerId>;
    /// Why it is held back from the team, if it is.
    fn held(&self) -> Option<Hold>;
    /// Who last changed its status (decided an order; closed or reopened a ticket), and when.
    fn changed(&self) -> (Option<&EmployeeRef>, Option<Timestamp>);
    /// Who owns it.
    fn owner(&self) -> Option<&EmployeeRef>;
    /// Who made its owner the owner (`None`: the key's routing, as it arrived).
    fn owner_by(&self) -> Option<&EmployeeRef>;
    /// The files it came with.
    fn attachments(&self) -> &[crate::Attachment];
    /// Its consent on record, if it has one.
    fn consent(&self) -> Option<&crate::Consent>;
    /// The text of the notification it gives every employee when it arrives.
    fn notification_text(&self) -> String;
}

/// What a list of leads of kind `K` is narrowed to.
#[derive(Debug, Clone)]
pub struct LeadQuery<K: LeadKind> {
    /// Only in this status.
    pub status: Option<K::Status>,
    /// Only what this finds.
    pub search: Search,
    /// Only the leads of this owner (or of nobody).
    pub owner: Option<Owned>,
    /// Only ids below this one (the last of the previous page): pages that stay put while new
    /// leads arrive.
    pub before: Option<K::Id>,
    /// At most this many.
    pub limit: Option<i64>,
}

impl<K: LeadKind> Default for LeadQuery<K> {
    fn default() -> Self {
        LeadQuery {
            status: None,
            search: Search::default(),
            owner: None,
            before: None,
            limit: None,
        }
    }
}

/// The accessors of [`LeadKind`] that read a field of the same name, for a record type whose
/// fields are named alike (inside its `impl LeadKind`).
macro_rules! same_fields {
    () => {
        fn id(&self) -> Self::Id {
            self.id
        }

        fn status(&self) -> Self::Status {
            self.status
        }

        fn email(&self) -> &str {
            &self.email
        }

        fn title(&self) -> &str {
            &self.title
        }

        fn payload(&self) -> &str {
            &self.payload
        }

        fn created_at(&self) -> Timestamp {
            self.created_at
        }

        fn customer_id(&self) -> Option<CustomerId> {
            self.customer_id
        }

        fn held(&self) -> Option<Hold> {
            self.held
        }

        fn owner(&self) -> Option<&EmployeeRef> {
            self.owner.as_ref()
        }

        fn owner_by(&self) -> Option<&EmployeeRef> {
            self.owner_by.as_ref()
        }

        fn attachments(&self) -> &[crate::Attachment] {
            &self.attachments
        }

        fn consent(&self) -> Option<&crate::Consent> {
            self.consent.as_ref()
        }
    };
}
use same_fields;

/// The number of a lead's id.
pub(crate) fn number<K: LeadKind>(id: K::Id) -> i64 {
    let lead: LeadId = id.into();
    lead.get()
}

impl Team<'_> {
    /// The team's leads of kind `K` of a company that `query` finds, newest first (held ones
    /// are not the team's).
    pub fn leads<K: LeadKind>(&self, company_id: CompanyId, query: &LeadQuery<K>) -> Result<Vec<K>> {
        let rows = table::Rows {
            status: query.status.map(Word::word),
            search: Some(&query.search),
            owner: query.owner,
            before: query.before.map(number::<K>),
            limit: query.limit,
            ..table::Rows::of(company_id, Listing::Team)
        };
        self.store.read(|conn| K::select(conn, &rows))
    }

    /// Every one of the team's leads of kind `K` that `query` finds, newest first, handed to
    /// `each` a chunk of `query.limit` (500 if none) at a time — a keyset walk: leads that
    /// arrive meanwhile are newer than where it began, so none is skipped or given twice.
    /// Ends after the last chunk, at an error, or when `each` answers `false`.
    pub fn walk_leads<K: LeadKind, E: From<StoreError>>(
        &self,
        company_id: CompanyId,
        mut query: LeadQuery<K>,
        mut each: impl FnMut(Vec<K>) -> std::result::Result<bool, E>,
    ) -> std::result::Result<(), E> {
        let chunk = query.limit.unwrap_or(500).max(1);
        query.limit = Some(chunk);
        loop {
            let leads = self.leads(company_id, &query)?;
            let last = leads.last().map(LeadKind::id);
            let full = leads.len() as i64 == chunk;
            if !each(leads)? || !full {
                return Ok(());
            }
            query.before = last;
        }
    }

    /// How many of the team's leads of kind `K` `search` finds (of `owner`, if given), per
    /// status (every status, zeros too).
    pub fn count_leads<K: LeadKind>(
        &self,
        company_id: CompanyId,
        search: &Search,
        owner: Option<Owned>,
    ) -> Result<Vec<(K::Status, i64)>> {
        let counted = self
            .store
            .read(|conn| K::count_by_status(conn, company_id, search, owner))?;
        Ok(K::Status::ALL
            .iter()
            .map(|&status| {
                let n = counted
                    .iter()
                    .find(|(word, _)| word == status.word())
                    .map_or(0, |(_, n)| *n);
                (status, n)
            })
            .collect())
    }

    /// One lead of the company; another company's, or a held one, is not found.
    pub fn lead<K: LeadKind>(&self, company_id: CompanyId, id: K::Id) -> Result<K> {
        self.store.read(|conn| load(conn, company_id, id))
    }

    /// A company's leads of kind `K` held back from the team for `hold` (any reason: `None`),
    /// newest first: what the operator reviews (and may release).
    pub fn held_leads<K: LeadKind>(
        &self,
        company_id: CompanyId,
        hold: Option<Hold>,
        limit: Option<i64>,
    ) -> Result<Vec<K>> {
        let rows = table::Rows {
            limit,
            ..table::Rows::of(company_id, Listing::Held(hold))
        };
        self.store.read(|conn| K::select(conn, &rows))
    }

    /// Releases a held lead to the team: from now on it is like any other; every active
    /// employee of its company is notified and its deliveries are owed as when a lead arrives,
    /// live streams hear of it, and the audit log records it.
    pub fn release_lead<K: LeadKind>(&self, id: K::Id) -> Result<K> {
        let lead: LeadId = id.into();
        let what = K::TYPE.as_str();
        self.store.write(|conn| {
            let Some(company_id) = K::unhold(conn, lead.get())? else {
                return Err(StoreError::NotFound(
                    crate::error::Entity::lead(K::TYPE),
                    format!("no held {what} with id {id}"),
                ));
            };
            let record = load::<K>(conn, company_id, id)?;
            crate::team::notifications::notify_team(conn, company_id, lead, &record.notification_text())?;
            self.store
                .outbox()
                .enqueue(conn, company_id, lead, crate::outbox::Event::created(lead))?;
            crate::db::dialect::announce_commits(conn, std::iter::once(company_id))?;
            crate::access::audit::record(
                conn,
                &self.store.actor,
                crate::access::audit::About::Company(company_id),
                &format!("{what}.release"),
                &format!("{what} {id} of company {company_id}"),
            )?;
            Ok(record)
        })
    }
}

/// One lead of the company as the team sees it: a held one is not found.
pub(crate) fn load<K: LeadKind>(conn: &mut crate::db::DbConnection, company_id: CompanyId, id: K::Id) -> Result<K> {
    let ids = [number::<K>(id)];
    let rows = table::Rows {
        ids: Some(&ids),
        ..table::Rows::of(company_id, Listing::Team)
    };
    K::select(conn, &rows)?
        .pop()
        .ok_or_else(|| StoreError::missing(crate::error::Entity::lead(K::TYPE), id))
}
