//! One id type per entity, so that an order's id can never be passed where a ticket's or an
//! employee's is meant. Each is a database id (a 64-bit integer) in SQL, in JSON and in text.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use lead_domain::LeadType;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow, serde::Serialize, serde::Deserialize,
        )]
        #[diesel(sql_type = BigInt)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id with this number.
            pub const fn new(number: i64) -> Self {
                Self(number)
            }

            /// Its number.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        /// An id is its number: it compares with one (ids of different kinds never do).
        impl PartialEq<i64> for $name {
            fn eq(&self, number: &i64) -> bool {
                self.0 == *number
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }

        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map(Self)
            }
        }
    )*};
}

ids! {
    /// A company (tenant).
    CompanyId;
    /// An API key.
    KeyId;
    /// An employee.
    EmployeeId;
    /// An employee token or dashboard session.
    TokenId;
    /// A customer.
    CustomerId;
    /// A web order.
    OrderId;
    /// A ticket.
    TicketId;
    /// An in-app notification.
    NotificationId;
    /// An entry of the submission log.
    SubmissionId;
    /// An entry of the audit log.
    AuditId;
    /// A company's webhook endpoint.
    WebhookId;
    /// A delivery of the outbox (one webhook request, one e-mail, one push message).
    DeliveryId;
    /// A device's Web Push subscription.
    PushSubscriptionId;
    /// An internal note of the team.
    NoteId;
    /// A file a lead came with.
    AttachmentId;
    /// A message of a lead's e-mail conversation.
    MessageId;
}

/// The record a lead became: a web order or a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeadId {
    /// A web order.
    Order(OrderId),
    /// A ticket.
    Ticket(TicketId),
}

impl LeadId {
    /// The record's number (the `id` of the answer to the website).
    pub fn get(self) -> i64 {
        match self {
            LeadId::Order(id) => id.get(),
            LeadId::Ticket(id) => id.get(),
        }
    }

    /// Order or ticket.
    pub fn lead_type(self) -> LeadType {
        match self {
            LeadId::Order(_) => LeadType::Order,
            LeadId::Ticket(_) => LeadType::Ticket,
        }
    }

    /// The lead as the two columns a row that belongs to one has: `order_id`, `ticket_id`.
    pub fn columns(self) -> (Option<OrderId>, Option<TicketId>) {
        match self {
            LeadId::Order(id) => (Some(id), None),
            LeadId::Ticket(id) => (None, Some(id)),
        }
    }

    /// The lead a stored `lead_type` column (`order` or `ticket`) and a record number name.
    pub(crate) fn from_columns(lead_type: &str, number: i64) -> crate::Result<LeadId> {
        match lead_type.parse() {
            Ok(lead_type) => Ok(LeadId::of(lead_type, number)),
            Err(_) => Err(crate::StoreError::corrupt(format!("lead type {lead_type:?}"))),
        }
    }

    /// The id of a record of `lead_type` with this number.
    pub fn of(lead_type: LeadType, number: i64) -> LeadId {
        match lead_type {
            LeadType::Order => LeadId::Order(OrderId::new(number)),
            LeadType::Ticket => LeadId::Ticket(TicketId::new(number)),
        }
    }
}

impl From<OrderId> for LeadId {
    fn from(id: OrderId) -> LeadId {
        LeadId::Order(id)
    }
}

impl From<TicketId> for LeadId {
    fn from(id: TicketId) -> LeadId {
        LeadId::Ticket(id)
    }
}
