//! The web-order inbox: list, read, accept or reject.

use diesel::prelude::*;
use lead_domain::{OrderStatus, Timestamp};

use crate::ids::{CompanyId, LeadId, OrderId};
use crate::models::Member;
use crate::outbox::Event;
use crate::records::{searched, Hold, Listing, OrderRecord, OrderRow, Search};
use crate::schema::{employees, web_orders};
use crate::{Result, Store, StoreError};

/// Orders joined with the name of the employee who decided them.
macro_rules! orders_with_decider {
    () => {
        web_orders::table
            .left_join(employees::table.on(web_orders::decided_by.eq(employees::id.nullable())))
            .select((OrderRow::as_select(), employees::name.nullable()))
    };
}
pub(crate) use orders_with_decider;

impl Store {
    /// The team's orders of a company narrowed by `search` (and a status), newest first: only
    /// ids below `before`, at most `limit` — pages that stay put while new leads arrive.
    pub fn find_orders(
        &self,
        company_id: CompanyId,
        status: Option<OrderStatus>,
        search: &Search,
        before: Option<OrderId>,
        limit: i64,
    ) -> Result<Vec<OrderRecord>> {
        self.read(|conn| {
            let mut query = orders_with_decider!()
                .filter(web_orders::company_id.eq(company_id))
                .filter(web_orders::held.is_null())
                .order(web_orders::id.desc())
                .limit(limit)
                .into_boxed();
            query = searched!(query, web_orders, search);
            if let Some(status) = status {
                query = query.filter(web_orders::status.eq(status.as_str()));
            }
            if let Some(before) = before {
                query = query.filter(web_orders::id.lt(before));
            }
            let rows: Vec<(OrderRow, Option<String>)> = query.load(conn)?;
            rows.into_iter().map(OrderRecord::try_from).collect()
        })
    }

    /// How many of the team's orders `search` finds, per status (every status, zeros too).
    pub fn count_orders(&self, company_id: CompanyId, search: &Search) -> Result<Vec<(OrderStatus, i64)>> {
        self.read(|conn| {
            let query = web_orders::table
                .filter(web_orders::company_id.eq(company_id))
                .filter(web_orders::held.is_null())
                .group_by(web_orders::status)
                .select((web_orders::status, diesel::dsl::count_star()))
                .into_boxed();
            let counted: Vec<(String, i64)> = searched!(query, web_orders, search).load(conn)?;
            Ok(OrderStatus::ALL
                .into_iter()
                .map(|status| {
                    let n = counted
                        .iter()
                        .find(|(s, _)| s == status.as_str())
                        .map_or(0, |(_, n)| *n);
                    (status, n)
                })
                .collect())
        })
    }

    /// A company's web orders, newest first: optionally of one status, only those with an id
    /// below `before` (the cursor of the previous page), at most `limit`.
    pub fn list_orders(
        &self,
        company_id: CompanyId,
        status: Option<OrderStatus>,
        before: Option<OrderId>,
        limit: Option<i64>,
    ) -> Result<Vec<OrderRecord>> {
        self.read(|conn| list(conn, company_id, Listing::Team, status, before, limit))
    }

    /// A company's orders held back from the team for `hold` (any reason: `None`),
    /// newest first: what the operator reviews (and may release).
    pub fn list_held_orders(
        &self,
        company_id: CompanyId,
        hold: Option<Hold>,
        limit: Option<i64>,
    ) -> Result<Vec<OrderRecord>> {
        self.read(|conn| list(conn, company_id, Listing::Held(hold), None, None, limit))
    }

    /// Releases a held order to the team: from now on it is like any other, and every active
    /// employee gets the notification it would have sent when it arrived.
    pub fn release_order(&self, order_id: OrderId) -> Result<OrderRecord> {
        self.release(LeadId::Order(order_id), |conn, company_id| {
            let order = load_order(conn, company_id, order_id)?;
            let text = lead_domain::order_notification(order.total);
            Ok((order, text))
        })
    }

    /// One order of the company; another company's order is simply not found.
    pub fn get_order(&self, company_id: CompanyId, order_id: OrderId) -> Result<OrderRecord> {
        self.read(|conn| load_order(conn, company_id, order_id))
    }

    /// Accepts or rejects a `new` order, recording who and when. A decided order is a
    /// [`StoreError::Conflict`]: the first decision stands.
    pub fn decide_order(&self, member: Member, order_id: OrderId, decision: OrderStatus) -> Result<OrderRecord> {
        if decision == OrderStatus::New {
            return Err(StoreError::Invalid {
                field: "status",
                problem: crate::Problem::Other("a decision is accepted or rejected".into()),
            });
        }
        self.write(|conn| {
            let updated = diesel::update(
                web_orders::table
                    .filter(web_orders::id.eq(order_id))
                    .filter(web_orders::company_id.eq(member.company_id))
                    .filter(web_orders::status.eq(OrderStatus::New.as_str())),
            )
            .set((
                web_orders::status.eq(decision.as_str()),
                web_orders::decided_by.eq(member.employee_id),
                web_orders::decided_at.eq(Timestamp::now().millis()),
            ))
            .execute(conn)?;
            let order = load_order(conn, member.company_id, order_id)?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!("the order was already {}", order.status)));
            }
            let event = match decision {
                OrderStatus::Accepted => Event::OrderAccepted,
                _ => Event::OrderRejected,
            };
            self.enqueue(conn, member.company_id, LeadId::Order(order_id), event)?;
            Ok(order)
        })
    }
}

/// The orders of a company, newest first: those shown to the team, or those held back
/// (see [`Listing`]).
pub(crate) fn list(
    conn: &mut crate::db::DbConnection,
    company_id: CompanyId,
    listing: Listing,
    status: Option<OrderStatus>,
    before: Option<OrderId>,
    limit: Option<i64>,
) -> Result<Vec<OrderRecord>> {
    let mut query = orders_with_decider!()
        .filter(web_orders::company_id.eq(company_id))
        .order(web_orders::id.desc())
        .into_boxed();
    query = match listing {
        Listing::Team => query.filter(web_orders::held.is_null()),
        Listing::Customer(customer) => query
            .filter(web_orders::held.is_null())
            .filter(web_orders::customer_id.eq(customer)),
        Listing::Held(None) => query.filter(web_orders::held.is_not_null()),
        Listing::Held(Some(hold)) => query.filter(web_orders::held.eq(hold.as_str())),
    };
    if let Some(status) = status {
        query = query.filter(web_orders::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(web_orders::id.lt(before));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let rows: Vec<(OrderRow, Option<String>)> = query.load(conn)?;
    rows.into_iter().map(OrderRecord::try_from).collect()
}

/// One order of the company as the team sees it: a held one is not found.
pub(crate) fn load_order(
    conn: &mut crate::db::DbConnection,
    company_id: CompanyId,
    order_id: OrderId,
) -> Result<OrderRecord> {
    orders_with_decider!()
        .filter(web_orders::id.eq(order_id))
        .filter(web_orders::company_id.eq(company_id))
        .filter(web_orders::held.is_null())
        .first::<(OrderRow, Option<String>)>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no order with id {order_id}")))?
        .try_into()
}
