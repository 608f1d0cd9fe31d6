//! Internal notes of the team on an order, a ticket or a customer: who wrote what, when.
//! Company-scoped like their records (another company's record is simply not found); not
//! audited — they are the team's work, not access changes.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::ids::{CompanyId, CustomerId, EmployeeId, NoteId, OrderId, TicketId};
use crate::models::{EmployeeRef, Member};
use crate::schema::{employees, notes, tickets, web_orders};
use crate::team::customers::load_customer;
use crate::team::Team;
use crate::{Problem, Result, StoreError};

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteOn {
    /// A web order.
    Order(OrderId),
    /// A ticket.
    Ticket(TicketId),
    /// A customer's file.
    Customer(CustomerId),
}

/// An internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its id.
    pub id: NoteId,
    /// What it is about.
    pub on: NoteOn,
    /// Who wrote it (`None`: the server, as a lead arrived — a file it did not take).
    pub author: Option<EmployeeRef>,
    /// What it says.
    pub text: String,
    /// When.
    pub created_at: Timestamp,
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

type NoteRow = (
    NoteId,
    Option<OrderId>,
    Option<TicketId>,
    Option<CustomerId>,
    Option<EmployeeId>,
    Option<String>,
    String,
    i64,
);

fn note(row: NoteRow) -> Result<Note> {
    let (id, order, ticket, customer, author, name, text, created_at) = row;
    let on = match (order, ticket, customer) {
        (Some(order), None, None) => NoteOn::Order(order),
        (None, Some(ticket), None) => NoteOn::Ticket(ticket),
        (None, None, Some(customer)) => NoteOn::Customer(customer),
        _ => return Err(StoreError::corrupt(format!("note {id} is about no one record"))),
    };
    Ok(Note {
        id,
        on,
        author: EmployeeRef::from_parts(author, name),
        text,
        created_at: created_at.into(),
    })
}

impl Team<'_> {
    /// Adds `member`'s note on a record of their company (held leads, which the team does
    /// not see, are not found) — unless the record holds as many notes as it may
    /// ([`StoreError::NotesFull`]).
    pub fn add_note(&self, member: Member, on: NoteOn, text: &str) -> Result<Note> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Invalid {
                field: "text",
                problem: Problem::Blank,
            });
        }
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::Invalid {
                field: "text",
                problem: Problem::TooLong(MAX_NOTE_CHARS),
            });
        }
        let now = Timestamp::now().millis();
        let company = member.company_id;
        let most = self.store.notes_per_record;
        self.store.write(|conn| {
            ensure_record(conn, company, on)?;
            lock_record(conn, on)?;
            if count_notes(conn, on)? >= i64::from(most) {
                return Err(StoreError::NotesFull(most));
            }
            let (order, ticket, customer) = columns(on);
            let id: NoteId = diesel::insert_into(notes::table)
                .values((
                    notes::company_id.eq(company),
                    notes::employee_id.eq(member.employee_id),
                    notes::order_id.eq(order),
                    notes::ticket_id.eq(ticket),
                    notes::customer_id.eq(customer),
                    notes::text.eq(text),
                    notes::created_at.eq(now),
                ))
                .returning(notes::id)
                .get_result(conn)?;
            let name: String = employees::table
                .find(member.employee_id)
                .select(employees::name)
                .first(conn)?;
            Ok(Note {
                id,
                on,
                author: Some(EmployeeRef {
                    id: member.employee_id,
                    name,
                }),
                text: text.to_owned(),
                created_at: now.into(),
            })
        })
    }

    /// A page of the notes on a record of the company: `page` says which way and from where,
    /// `limit` how many at most.
    pub fn list_notes(&self, company_id: CompanyId, on: NoteOn, page: NotesPage, limit: i64) -> Result<Vec<Note>> {
        self.store.read(|conn| {
            ensure_record(conn, company_id, on)?;
            let query = notes::table
                .left_join(employees::table)
                .filter(notes::company_id.eq(company_id))
                .select((
                    notes::id,
                    notes::order_id,
                    notes::ticket_id,
                    notes::customer_id,
                    notes::employee_id,
                    employees::name.nullable(),
                    notes::text,
                    notes::created_at,
                ))
                .limit(limit)
                .into_boxed();
            let query = match on {
                NoteOn::Order(id) => query.filter(notes::order_id.eq(id)),
                NoteOn::Ticket(id) => query.filter(notes::ticket_id.eq(id)),
                NoteOn::Customer(id) => query.filter(notes::customer_id.eq(id)),
            };
            let query = match page {
                NotesPage::OldestAfter(None) => query.order(notes::id.asc()),
                NotesPage::OldestAfter(Some(after)) => query.filter(notes::id.gt(after)).order(notes::id.asc()),
                NotesPage::NewestBefore(None) => query.order(notes::id.desc()),
                NotesPage::NewestBefore(Some(before)) => query.filter(notes::id.lt(before)).order(notes::id.desc()),
            };
            query.load::<NoteRow>(conn)?.into_iter().map(note).collect()
        })
    }
}

/// Which page of a record's notes: oldest first from the start or after a note (the team
/// API), or newest first from the newest or before a note (the dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotesPage {
    /// Oldest first, after this note (`None`: from the first).
    OldestAfter(Option<NoteId>),
    /// Newest first, before this note (`None`: from the newest).
    NewestBefore(Option<NoteId>),
}

/// PostgreSQL: the record's row locked until the transaction ends, so that notes added to it
/// at once are counted one after the other, and owners given at once are recorded one after the
/// other (SQLite's one writer does that anyway).
pub(crate) fn lock_record(conn: &mut crate::db::DbConnection, on: NoteOn) -> Result<()> {
    let crate::db::DbConnection::Postgres(conn) = conn else {
        return Ok(());
    };
    // Ids the store holds itself, so safe to put in SQL.
    let (table, id) = match on {
        NoteOn::Order(id) => ("web_orders", id.get()),
        NoteOn::Ticket(id) => ("tickets", id.get()),
        NoteOn::Customer(id) => ("customers", id.get()),
    };
    diesel::sql_query(format!("SELECT id FROM {table} WHERE id = {id} FOR UPDATE")).execute(conn)?;
    Ok(())
}

/// How many notes the record has.
fn count_notes(conn: &mut crate::db::DbConnection, on: NoteOn) -> Result<i64> {
    let notes = notes::table.count();
    Ok(match on {
        NoteOn::Order(id) => notes.filter(notes::order_id.eq(id)).get_result(conn)?,
        NoteOn::Ticket(id) => notes.filter(notes::ticket_id.eq(id)).get_result(conn)?,
        NoteOn::Customer(id) => notes.filter(notes::customer_id.eq(id)).get_result(conn)?,
    })
}

fn columns(on: NoteOn) -> (Option<OrderId>, Option<TicketId>, Option<CustomerId>) {
    match on {
        NoteOn::Order(id) => (Some(id), None, None),
        NoteOn::Ticket(id) => (None, Some(id), None),
        NoteOn::Customer(id) => (None, None, Some(id)),
    }
}

/// Fails with "not found" unless the record is the company's and the team sees it.
fn ensure_record(conn: &mut crate::db::DbConnection, company_id: CompanyId, on: NoteOn) -> Result<()> {
    let found: i64 = match on {
        NoteOn::Order(id) => web_orders::table
            .filter(web_orders::id.eq(id))
            .filter(web_orders::company_id.eq(company_id))
            .filter(web_orders::held.is_null())
            .count()
            .get_result(conn)?,
        NoteOn::Ticket(id) => tickets::table
            .filter(tickets::id.eq(id))
            .filter(tickets::company_id.eq(company_id))
            .filter(tickets::held.is_null())
            .count()
            .get_result(conn)?,
        NoteOn::Customer(id) => {
            load_customer(conn, company_id, id)?;
            1
        }
    };
    match (found, on) {
        (1, _) => Ok(()),
        (_, NoteOn::Order(id)) => Err(StoreError::missing(crate::error::Entity::Order, id)),
        (_, NoteOn::Ticket(id)) => Err(StoreError::missing(crate::error::Entity::Ticket, id)),
        (_, NoteOn::Customer(id)) => Err(StoreError::missing(crate::error::Entity::Customer, id)),
    }
}

impl From<OrderId> for NoteOn {
    fn from(id: OrderId) -> NoteOn {
        NoteOn::Order(id)
    }
}

impl From<TicketId> for NoteOn {
    fn from(id: TicketId) -> NoteOn {
        NoteOn::Ticket(id)
    }
}
