//! The rows the store inserts, as Diesel's `Insertable`s (crate-private: callers go through
//! the store's operations).

use diesel::prelude::*;

use crate::ids::{CompanyId, CustomerId, EmployeeId, KeyId, OrderId, TicketId};
use crate::schema::{
    api_keys, customer_emails, customers, employees, idempotency_keys, notifications, tickets, web_orders,
};

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct NewKey<'a> {
    pub company_id: CompanyId,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub label: &'a str,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = employees)]
pub(crate) struct NewEmployee<'a> {
    pub company_id: CompanyId,
    pub name: &'a str,
    pub email: &'a str,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = customers)]
pub(crate) struct NewCustomer<'a> {
    pub company_id: CompanyId,
    pub name: &'a str,
    pub name_normalized: &'a str,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub created_at: i64,
    pub phone: &'a str,
    pub organization: &'a str,
    pub street: &'a str,
    pub zip: &'a str,
    pub city: &'a str,
    pub country: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = customer_emails)]
pub(crate) struct NewCustomerEmail<'a> {
    pub company_id: CompanyId,
    pub customer_id: CustomerId,
    pub email: &'a str,
    pub email_normalized: &'a str,
}

// The rows the writer inserts own their values: a multi-row insert of a fixed number of
// rows is prepared once and reused only when its rows' types are `'static` (Diesel keys its
// statement cache by type). `None` is NULL, never the column's default, so that SQLite takes
// them in one multi-row statement.

#[derive(Insertable)]
#[diesel(table_name = web_orders, treat_none_as_default_value = false)]
pub(crate) struct NewOrder {
    pub company_id: CompanyId,
    pub api_key_id: KeyId,
    pub customer_id: Option<CustomerId>,
    pub email: String,
    pub email_normalized: String,
    pub title: String,
    pub message: Option<String>,
    pub total_cents: i64,
    pub status: &'static str,
    pub payload: String,
    pub created_at: i64,
    pub held: Option<&'static str>,
    pub owner_id: Option<EmployeeId>,
    pub consent_given: Option<i32>,
    pub consent_text: Option<String>,
    pub consent_at: Option<i64>,
    pub consent_page: Option<String>,
    pub consent_client: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub(crate) struct NewTicket {
    pub company_id: CompanyId,
    pub api_key_id: KeyId,
    pub customer_id: Option<CustomerId>,
    pub email: String,
    pub email_normalized: String,
    pub title: String,
    pub message: String,
    pub status: &'static str,
    pub payload: String,
    pub created_at: i64,
    pub held: Option<&'static str>,
    pub owner_id: Option<EmployeeId>,
    pub consent_given: Option<i32>,
    pub consent_text: Option<String>,
    pub consent_at: Option<i64>,
    pub consent_page: Option<String>,
    pub consent_client: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub(crate) struct NewNotification {
    pub company_id: CompanyId,
    pub employee_id: EmployeeId,
    pub kind: &'static str,
    pub text: String,
    pub order_id: Option<OrderId>,
    pub ticket_id: Option<TicketId>,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub(crate) struct NewIdempotencyKey {
    pub api_key_id: KeyId,
    pub idem_key: String,
    pub lead_type: &'static str,
    pub record_id: i64,
    pub created_at: i64,
}
