//! A web order: what it holds besides what every lead does (a total), and its decision —
//! accepted or rejected, once.

use diesel::prelude::*;
use lead_domain::{LeadType, Money, OrderStatus, Timestamp};

use super::LeadKind;
use crate::ids::{CompanyId, CustomerId, EmployeeId, LeadId, OrderId};
use crate::models::Hold;
use crate::models::{EmployeeRef, Member};
use crate::outbox::Event;
use crate::schema::web_orders;
use crate::team::Team;
use crate::{Result, StoreError};

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
    /// The employee who owns it, if anyone does.
    pub owner: Option<EmployeeRef>,
    /// Who made them the owner (`None`: the key's routing, as it arrived).
    pub owner_by: Option<EmployeeRef>,
    /// The files it came with, in the order they came.
    pub attachments: Vec<crate::team::attachments::Attachment>,
    /// Its consent on record, if it has one.
    pub consent: Option<crate::models::Consent>,
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
    owner_id: Option<EmployeeId>,
    owner_by: Option<EmployeeId>,
    consent_given: Option<i32>,
    consent_text: Option<String>,
    consent_at: Option<i64>,
    consent_page: Option<String>,
    consent_client: Option<String>,
}

impl TryFrom<(OrderRow, super::Names)> for OrderRecord {
    type Error = StoreError;

    fn try_from((row, names): (OrderRow, super::Names)) -> Result<Self, StoreError> {
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
            decided_by: EmployeeRef::from_parts(row.decided_by, names.changer),
            decided_at: row.decided_at.map(Timestamp::from),
            held: row.held.map(Hold::try_from).transpose()?,
            owner: EmployeeRef::from_parts(row.owner_id, names.owner),
            owner_by: EmployeeRef::from_parts(row.owner_by, names.assigner),
            attachments: Vec::new(),
            consent: crate::models::Consent::of_columns(
                row.consent_given,
                row.consent_text,
                row.consent_at,
                row.consent_page,
                row.consent_client,
            ),
        })
    }
}

super::table::lead_table!(OrderRecord, OrderRow, web_orders, decided_by);

impl LeadKind for OrderRecord {
    type Id = OrderId;
    type Status = OrderStatus;

    const TYPE: LeadType = LeadType::Order;

    super::same_fields!();

    fn numbered(number: i64) -> OrderId {
        OrderId::new(number)
    }

    fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    fn changed(&self) -> (Option<&EmployeeRef>, Option<Timestamp>) {
        (self.decided_by.as_ref(), self.decided_at)
    }

    fn notification_text(&self) -> String {
        lead_domain::order_notification(self.total).to_string()
    }
}

impl Team<'_> {
    /// Accepts or rejects a `new` order, recording who and when. A decided order is a
    /// [`StoreError::Conflict`]: the first decision stands.
    pub fn decide_order(&self, member: Member, order_id: OrderId, decision: OrderStatus) -> Result<OrderRecord> {
        if decision == OrderStatus::New {
            return Err(StoreError::Invalid {
                field: "status",
                problem: crate::Problem::Other("a decision is accepted or rejected".into()),
            });
        }
        self.store.write(|conn| {
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
            let order = super::load::<OrderRecord>(conn, member.company_id, order_id)?;
            if updated == 0 {
                return Err(StoreError::Conflict(
                    crate::error::Clash::Decided(order.status),
                    format!("the order was already {}", order.status),
                ));
            }
            let event = match decision {
                OrderStatus::Accepted => Event::OrderAccepted,
                _ => Event::OrderRejected,
            };
            self.store
                .outbox()
                .enqueue(conn, member.company_id, LeadId::Order(order_id), event)?;
            Ok(order)
        })
    }
}
