//! Who owns a lead: an employee of its company takes it, gives it to a colleague or to nobody;
//! each change is in the lead's history, tells the webhooks, and tells the new owner when a
//! colleague gave it to them.

use diesel::prelude::*;
use lead_domain::Timestamp;

use super::{load, LeadKind};
use crate::db::DbConnection;
use crate::ids::{CompanyId, EmployeeId, LeadId};
use crate::models::{EmployeeRef, Member};
use crate::outbox::Event;
use crate::rows::NewNotification;
use crate::schema::{employees, notifications, owner_changes, tickets, web_orders};
use crate::team::Team;
use crate::{Problem, Result, StoreError};

/// One change of a lead's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChange {
    /// When.
    pub at: Timestamp,
    /// The employee who changed it; `None` when the operator did.
    pub by: Option<EmployeeRef>,
    /// The owner before (`None`: nobody).
    pub before: Option<EmployeeRef>,
    /// The owner after (`None`: nobody).
    pub after: Option<EmployeeRef>,
}

impl Team<'_> {
    /// Gives a lead of kind `K` of the member's company (one the team sees) to `owner`, an
    /// active employee of the company, or to nobody (`None`). The change is in the lead's
    /// history and owes the webhooks `order.owner_changed` / `ticket.owner_changed`; an owner
    /// given it by a colleague is notified in the dashboard, and by e-mail and push as they
    /// chose. Giving it to whom it has changes nothing.
    pub fn set_owner<K: LeadKind>(&self, member: Member, id: K::Id, owner: Option<EmployeeId>) -> Result<K> {
        self.store.write(|conn| {
            // Two employees taking it at once: the second reads the first's owner as before.
            let lead_id: LeadId = id.into();
            crate::team::notes::lock_record(
                conn,
                match lead_id {
                    LeadId::Order(id) => crate::NoteOn::Order(id),
                    LeadId::Ticket(id) => crate::NoteOn::Ticket(id),
                },
            )?;
            let lead: K = load(conn, member.company_id, id)?;
            let before = lead.owner().map(|owner| owner.id);
            if before == owner {
                return Ok(lead);
            }
            if let Some(owner) = owner {
                active_colleague(conn, member.company_id, owner)?;
            }
            let now = Timestamp::now().millis();
            let set = (Some(member.employee_id), now);
            match lead_id {
                LeadId::Order(id) => diesel::update(web_orders::table.find(id))
                    .set((web_orders::owner_id.eq(owner), web_orders::owner_by.eq(set.0)))
                    .execute(conn)?,
                LeadId::Ticket(id) => diesel::update(tickets::table.find(id))
                    .set((tickets::owner_id.eq(owner), tickets::owner_by.eq(set.0)))
                    .execute(conn)?,
            };
            let (order_id, ticket_id) = lead_id.columns();
            diesel::insert_into(owner_changes::table)
                .values((
                    owner_changes::company_id.eq(member.company_id),
                    owner_changes::order_id.eq(order_id),
                    owner_changes::ticket_id.eq(ticket_id),
                    owner_changes::employee_id.eq(Some(member.employee_id)),
                    owner_changes::actor.eq(&*self.store.actor),
                    owner_changes::at.eq(now),
                    owner_changes::owner_before.eq(before),
                    owner_changes::owner_after.eq(owner),
                ))
                .execute(conn)?;
            let lead: K = load(conn, member.company_id, id)?;
            let given = owner.filter(|&owner| owner != member.employee_id);
            if let Some(owner) = given {
                let by = lead.owner_by().map_or("", |by| by.name.as_str());
                diesel::insert_into(notifications::table)
                    .values(NewNotification {
                        company_id: member.company_id,
                        employee_id: owner,
                        kind: K::TYPE.as_str(),
                        text: lead_domain::assigned_notification(by, K::TYPE, lead.title()),
                        order_id,
                        ticket_id,
                        created_at: now,
                    })
                    .execute(conn)?;
            }
            self.store
                .outbox()
                .enqueue_to(conn, member.company_id, lead_id, Event::owner_changed(lead_id), given)?;
            crate::db::dialect::announce_commits(conn, std::iter::once(member.company_id))?;
            Ok(lead)
        })
    }

    /// The changes of a lead's owner, newest first (another company's lead, or a held one, is
    /// not found).
    pub fn owner_history<K: LeadKind>(&self, company_id: CompanyId, id: K::Id) -> Result<Vec<OwnerChange>> {
        self.store.read(|conn| {
            load::<K>(conn, company_id, id)?;
            let mut query = owner_changes::table
                .filter(owner_changes::company_id.eq(company_id))
                .select((
                    owner_changes::at,
                    owner_changes::employee_id,
                    owner_changes::owner_before,
                    owner_changes::owner_after,
                ))
                .order(owner_changes::id.desc())
                .into_boxed();
            query = match id.into() {
                LeadId::Order(order) => query.filter(owner_changes::order_id.eq(order)),
                LeadId::Ticket(ticket) => query.filter(owner_changes::ticket_id.eq(ticket)),
            };
            // When, by whom, from whom, to whom.
            type Row = (i64, Option<EmployeeId>, Option<EmployeeId>, Option<EmployeeId>);
            let rows: Vec<Row> = query.load(conn)?;
            let mut named: Vec<EmployeeId> = rows
                .iter()
                .flat_map(|&(_, by, before, after)| [by, before, after])
                .flatten()
                .collect();
            named.sort_unstable();
            named.dedup();
            let names: std::collections::HashMap<EmployeeId, String> = employees::table
                .filter(employees::id.eq_any(&named))
                .select((employees::id, employees::name))
                .load(conn)?
                .into_iter()
                .collect();
            let person = |id: Option<EmployeeId>| {
                id.map(|id| EmployeeRef {
                    id,
                    name: names.get(&id).cloned().unwrap_or_default(),
                })
            };
            Ok(rows
                .into_iter()
                .map(|(at, by, before, after)| OwnerChange {
                    at: at.into(),
                    by: person(by),
                    before: person(before),
                    after: person(after),
                })
                .collect())
        })
    }
}

/// Fails unless `employee` is an active employee of the company: what an owner must be.
fn active_colleague(conn: &mut DbConnection, company_id: CompanyId, employee: EmployeeId) -> Result<()> {
    let found: i64 = employees::table
        .filter(employees::id.eq(employee))
        .filter(employees::company_id.eq(company_id))
        .filter(employees::active.eq(1))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(StoreError::Invalid {
            field: "employee_id",
            problem: Problem::Other(format!("{employee} is no active employee of this company")),
        });
    }
    Ok(())
}
