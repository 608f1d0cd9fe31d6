//! The one implementation of reading and releasing leads, for both kinds: `lead_table!` makes it
//! for a kind's table (`web_orders`, `tickets`), whose columns are named alike, and the name of
//! the column that says who last changed the lead's status.

use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId};
use crate::team::records::{Listing, Owned, Search};
use crate::Result;

/// Which rows of a kind's table to read, each field a filter (`None`: not filtered).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// Of this company.
    pub company: Option<CompanyId>,
    /// Held or not, or in a customer's file.
    pub listing: Listing,
    /// With one of these ids.
    pub ids: Option<&'a [i64]>,
    /// Of this person: from this normalised address, or in one of these customers' files.
    pub person: Option<(&'a str, &'a [CustomerId])>,
    /// In this status (as stored).
    pub status: Option<&'static str>,
    /// Found by this search.
    pub search: Option<&'a Search>,
    /// Owned by this employee, or by nobody.
    pub owner: Option<Owned>,
    /// With an id below this one.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Oldest first (the default is newest first).
    pub oldest_first: bool,
}

impl Rows<'_> {
    /// Every row of every company, held or not, newest first.
    pub const EVERY: Rows<'static> = Rows {
        company: None,
        listing: Listing::Any,
        ids: None,
        person: None,
        status: None,
        search: None,
        owner: None,
        before: None,
        limit: None,
        oldest_first: false,
    };

    /// Every row of the company that `listing` selects, newest first.
    pub fn of(company: CompanyId, listing: Listing) -> Rows<'static> {
        Rows {
            company: Some(company),
            listing,
            ..Rows::EVERY
        }
    }
}

/// What the store does with a kind's table. Sealed: implemented by `lead_table!` only.
pub trait Table: Sized {
    /// The rows `rows` selects, with the names of who last changed their status, who owns
    /// them and who made them the owner.
    fn select(conn: &mut DbConnection, rows: &Rows<'_>) -> Result<Vec<Self>>;

    /// How many of the team's leads of `company` `search` finds (of `owner`, if given), per
    /// stored status (only those with any).
    fn count_by_status(
        conn: &mut DbConnection,
        company: CompanyId,
        search: &Search,
        owner: Option<Owned>,
    ) -> Result<Vec<(String, i64)>>;

    /// Holds the lead with `id` no longer: its company, or `None` where no held lead has it.
    fn unhold(conn: &mut DbConnection, id: i64) -> Result<Option<CompanyId>>;
}

/// Implements [`Table`] for `$record`, read as `$row` from `$table`, whose `$changed_by`
/// column names who last changed a lead's status.
macro_rules! lead_table {
    ($record:ty, $row:ty, $table:ident, $changed_by:ident) => {
        impl $crate::team::records::table::Table for $record {
            fn select(
                conn: &mut $crate::db::DbConnection,
                rows: &$crate::team::records::table::Rows<'_>,
            ) -> $crate::Result<Vec<Self>> {
                use diesel::prelude::*;
                use $crate::schema::{employees, $table};
                use $crate::team::records::{Listing, Owned};
                let (owners, assigners) = diesel::alias!(employees as owners, employees as assigners);
                let mut query = $table::table
                    .left_join(employees::table.on($table::$changed_by.eq(employees::id.nullable())))
                    .left_join(owners.on($table::owner_id.eq(owners.field(employees::id).nullable())))
                    .left_join(assigners.on($table::owner_by.eq(assigners.field(employees::id).nullable())))
                    .select((
                        <$row>::as_select(),
                        employees::name.nullable(),
                        owners.field(employees::name).nullable(),
                        assigners.field(employees::name).nullable(),
                    ))
                    .into_boxed();
                if let Some(company) = rows.company {
                    query = query.filter($table::company_id.eq(company));
                }
                query = match rows.listing {
                    Listing::Team => query.filter($table::held.is_null()),
                    Listing::Customer(customer) => query
                        .filter($table::held.is_null())
                        .filter($table::customer_id.eq(customer)),
                    Listing::Held(None) => query.filter($table::held.is_not_null()),
                    Listing::Held(Some(hold)) => query.filter($table::held.eq(hold.as_str())),
                    Listing::Any => query,
                };
                if let Some(ids) = rows.ids {
                    query = query.filter($table::id.eq_any(ids));
                }
                if let Some((email, customers)) = rows.person {
                    query = query.filter(
                        $table::email_normalized
                            .eq(email)
                            .or($table::customer_id.eq_any(customers)),
                    );
                }
                if let Some(status) = rows.status {
                    query = query.filter($table::status.eq(status));
                }
                query = match rows.owner {
                    Some(Owned::By(employee)) => query.filter($table::owner_id.eq(employee)),
                    Some(Owned::Nobody) => query.filter($table::owner_id.is_null()),
                    None => query,
                };
                if let Some(search) = rows.search {
                    query = $crate::team::records::table::searched!(query, $table, search);
                }
                if let Some(before) = rows.before {
                    query = query.filter($table::id.lt(before));
                }
                if let Some(limit) = rows.limit {
                    query = query.limit(limit);
                }
                query = match rows.oldest_first {
                    true => query.order($table::id.asc()),
                    false => query.order($table::id.desc()),
                };
                let found: Vec<($row, $crate::team::records::Names)> = query
                    .load::<($row, Option<String>, Option<String>, Option<String>)>(conn)?
                    .into_iter()
                    .map(|(row, changer, owner, assigner)| {
                        (
                            row,
                            $crate::team::records::Names {
                                changer,
                                owner,
                                assigner,
                            },
                        )
                    })
                    .collect();
                let mut records: Vec<Self> = found
                    .into_iter()
                    .map(<$record>::try_from)
                    .collect::<$crate::Result<_>>()?;
                let ids: Vec<$crate::ids::LeadId> = records.iter().map(|record| record.id.into()).collect();
                let mut attached = $crate::team::attachments::of_leads(conn, &ids)?;
                for record in &mut records {
                    record.attachments = attached.remove(&record.id.into()).unwrap_or_default();
                }
                Ok(records)
            }

            fn count_by_status(
                conn: &mut $crate::db::DbConnection,
                company: $crate::ids::CompanyId,
                search: &$crate::team::records::Search,
                owner: Option<$crate::team::records::Owned>,
            ) -> $crate::Result<Vec<(String, i64)>> {
                use diesel::prelude::*;
                use $crate::schema::$table;
                use $crate::team::records::Owned;
                let mut query = $table::table
                    .filter($table::company_id.eq(company))
                    .filter($table::held.is_null())
                    .group_by($table::status)
                    .select(($table::status, diesel::dsl::count_star()))
                    .into_boxed();
                query = match owner {
                    Some(Owned::By(employee)) => query.filter($table::owner_id.eq(employee)),
                    Some(Owned::Nobody) => query.filter($table::owner_id.is_null()),
                    None => query,
                };
                Ok($crate::team::records::table::searched!(query, $table, search).load(conn)?)
            }

            fn unhold(conn: &mut $crate::db::DbConnection, id: i64) -> $crate::Result<Option<$crate::ids::CompanyId>> {
                use diesel::prelude::*;
                use $crate::schema::$table;
                let released: Vec<$crate::ids::CompanyId> = diesel::update(
                    $table::table
                        .filter($table::id.eq(id))
                        .filter($table::held.is_not_null()),
                )
                .set($table::held.eq(None::<String>))
                .returning($table::company_id)
                .get_results(conn)?;
                Ok(released.first().copied())
            }
        }
    };
}
pub(crate) use lead_table;

/// Narrows a boxed query of `$table` (`web_orders` or `tickets`) by `$search`.
macro_rules! searched {
    ($query:expr, $table:ident, $search:expr) => {{
        use $crate::db::dialect::lower;
        let mut query = $query;
        let search: &$crate::team::records::Search = $search;
        if let Some(text) = search.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            let pattern = $crate::db::dialect::contains(text);
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
