//! Customers: list and search, add, change, read a customer's file and its history, file
//! earlier leads under one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{CustomerChange, CustomerId, LeadKind, OrderRecord, Store, TicketRecord};
use serde::{Deserialize, Serialize};

use super::{ok, ListQuery};
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given, Record};
use crate::views::{CustomerChangeView, CustomerFileView, CustomerView, OrderView, Page, TicketView};
use crate::{json, ApiError, HttpConfig, TeamMember};

#[utoipa::path(get, path = "/api/v1/customers", tag = "team", security(("bearer" = [])), params(("q" = Option<String>, Query, description = "part of the name or email"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<CustomerView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_customers(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let search = query.get("q").map(str::to_owned);
    let (before, fetch, limit) = (query.before::<CustomerId>()?, query.fetch(), query.limit);
    let customers = blocking(&store, move |s| {
        s.team()
            .list_customers(member.0.company_id, search.as_deref(), before, fetch)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        customers,
        limit,
        |c| c.id.get(),
        CustomerView::from,
    )))
}

/// The body of `POST /api/v1/customers`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewCustomerBody {
    /// The customer's name.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    name: Given<String>,
    /// The customer's email, unique in your company.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    email: Given<String>,
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "team", security(("bearer" = [])), request_body = NewCustomerBody, responses((status = 201, body = CustomerView), (status = 400, body = ErrorBody), (status = 409, description = "The email belongs to another customer", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn create_customer(
    req: HttpRequest,
    member: TeamMember,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let body = json_body::<NewCustomerBody>(&req, body, &config).await?;
    let name = body.name.required_text("name")?;
    let email = body.email.required_text("email")?;
    let customer = blocking(&store, move |s| {
        s.team().add_customer(member.0.company_id, &name, &email)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &CustomerView::from(customer)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id"), ("limit" = Option<i64>, Query, description = "tickets and orders each, 1 to 200, default 50")), responses((status = 200, body = CustomerFileView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn customer_file(
    member: TeamMember,
    req: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: CustomerId = record_id(&path)?;
    let limit = ListQuery::parse(&req)?.limit;
    let file = blocking(&store, move |s| s.team().customer_file(member.0.company_id, id, limit)).await?;
    Ok(ok(&CustomerFileView::from(file)))
}

/// The body of `PATCH /api/v1/customers/{id}`: any of the fields; each one given is set (an
/// empty text clears it, an empty `emails` removes the further addresses), the others stay.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CustomerChangeBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Given<String>,
    /// The main address: unique in your company, with every customer's further ones.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Given<String>,
    /// The further addresses, all of them (at most 20): leads from them are filed here too.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    emails: Given<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Given<String>,
    /// The firm the customer is with.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    company: Given<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    street: Given<String>,
    /// The postal code, as text.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    zip: Given<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    city: Given<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    country: Given<String>,
}

/// The fields `PATCH /api/v1/customers/{id}` knows.
const CUSTOMER_FIELDS: [&str; 9] = [
    "name", "email", "emails", "phone", "company", "street", "zip", "city", "country",
];

impl CustomerChangeBody {
    fn change(self) -> Result<CustomerChange, ApiError> {
        Ok(CustomerChange {
            name: self.name.optional("name")?,
            email: self.email.optional("email")?,
            emails: self.emails.optional("emails")?,
            phone: self.phone.optional("phone")?,
            organization: self.company.optional("company")?,
            street: self.street.optional("street")?,
            zip: self.zip.optional("zip")?,
            city: self.city.optional("city")?,
            country: self.country.optional("country")?,
        })
    }
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), request_body = CustomerChangeBody, responses((status = 200, body = CustomerView), (status = 400, description = "A field is not what it must be, or unknown", body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "An address belongs to another customer", body = ErrorBody), (status = 429, description = "Too many writes with this token (`[limits] per_token_writes`)", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn update_customer(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let id: CustomerId = record_id(&path)?;
    let body = json_body::<serde_json::Map<String, serde_json::Value>>(&req, body, &config).await?;
    if let Some(unknown) = body.keys().find(|key| !CUSTOMER_FIELDS.contains(&key.as_str())) {
        return Err(ApiError::InvalidField {
            field: "body",
            message: format!(
                "Das Feld „{unknown}“ gibt es nicht; möglich sind: {}.",
                CUSTOMER_FIELDS.join(", ")
            ),
        });
    }
    let change = serde_json::from_value::<CustomerChangeBody>(serde_json::Value::Object(body))
        .map_err(|_| ApiError::Lead(lead_domain::LeadError::InvalidJson(lead_domain::JsonProblem::Syntax)))?
        .change()?;
    let member = member.0;
    let customer = blocking(&store, move |s| s.team().update_customer(member, id, &change)).await?;
    Ok(ok(&CustomerView::from(customer)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/history", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = CustomerHistoryView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn customer_history(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: CustomerId = record_id(&path)?;
    let history = blocking(&store, move |s| s.team().customer_history(member.0.company_id, id)).await?;
    Ok(ok(&CustomerHistoryView {
        items: history.into_iter().map(CustomerChangeView::from).collect(),
    }))
}

/// A customer's history, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CustomerHistoryView {
    items: Vec<CustomerChangeView>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/tickets", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The customer's id"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`tickets_next_cursor` of the file, or `next_cursor` of the previous page")), responses((status = 200, body = Page<TicketView>), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn customer_tickets(
    member: TeamMember,
    req: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::of_customer::<TicketRecord>(member, req, path, store).await
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/orders", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The customer's id"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`orders_next_cursor` of the file, or `next_cursor` of the previous page")), responses((status = 200, body = Page<OrderView>), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn customer_orders(
    member: TeamMember,
    req: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::of_customer::<OrderRecord>(member, req, path, store).await
}

/// How many earlier leads a claim filed under the customer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ClaimedView {
    tickets: usize,
    orders: usize,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/claim", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = ClaimedView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn claim(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: CustomerId = record_id(&path)?;
    let claimed = blocking(&store, move |s| s.team().claim_for_customer(member.0.company_id, id)).await?;
    Ok(ok(&ClaimedView {
        tickets: claimed.tickets,
        orders: claimed.orders,
    }))
}

/// A customer file for the lead of kind `K` at `path`: `201` with a new one, `200` with the
/// one that had its address already.
async fn from_lead<K: LeadKind>(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError>
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let member = member.0;
    let made = blocking(&store, move |s| s.team().customer_from_lead::<K>(member, id)).await?;
    let status = if made.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &CustomerView::from(made.customer)))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/customer", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 201, description = "A customer file made from the order (name, phone, firm and postal address from what the website sent), the order filed into it with your other unfiled leads from its address", body = CustomerView), (status = 200, description = "The customer that has the order's address already, the order filed into it", body = CustomerView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "The order is in a customer's file already", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn order_customer(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    from_lead::<OrderRecord>(member, path, store).await
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/customer", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 201, description = "A customer file made from the ticket, the ticket filed into it", body = CustomerView), (status = 200, description = "The customer that has the ticket's address already, the ticket filed into it", body = CustomerView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "The ticket is in a customer's file already", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn ticket_customer(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    from_lead::<TicketRecord>(member, path, store).await
}

/// A customer's number given as `field`: required, a positive whole number.
pub(super) fn customer_number(given: Given<i64>, field: &'static str) -> Result<CustomerId, ApiError> {
    match given {
        Given::Absent => Err(ApiError::MissingField(field)),
        Given::Value(id) if id > 0 => Ok(CustomerId::new(id)),
        Given::Value(_) | Given::WrongType => Err(ApiError::InvalidField {
            field,
            message: format!("„{field}“ muss die Nummer eines Kunden sein."),
        }),
    }
}

/// The body of `POST /api/v1/customers/{id}/merge`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct MergeBody {
    /// The other customer of your company, merged into this one and then gone.
    #[serde(default)]
    #[schema(value_type = i64, required = true)]
    from: Given<i64>,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The customer that stays")), request_body = MergeBody, responses((status = 200, description = "The customer that stayed, with the other's addresses as further ones; the other's orders, tickets, notes and history are its now, and the other is gone", body = CustomerView), (status = 400, description = "`from` missing, not a customer's number, the same customer, or more than 20 further addresses together", body = ErrorBody), (status = 404, description = "Either customer is not in your company", body = ErrorBody), (status = 429, description = "Too many writes with this token (`[limits] per_token_writes`)", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn merge_customers(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let into: CustomerId = record_id(&path)?;
    let from = customer_number(json_body::<MergeBody>(&req, body, &config).await?.from, "from")?;
    let member = member.0;
    let customer = blocking(&store, move |s| s.team().merge_customers(member, into, from)).await?;
    Ok(ok(&CustomerView::from(customer)))
}
