//! Customers: list and search, add, read a customer's file, file earlier leads under one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{CustomerId, OrderRecord, Store, TicketRecord};
use serde::{Deserialize, Serialize};

use super::{ok, ListQuery};
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given};
use crate::views::{CustomerFileView, CustomerView, OrderView, Page, TicketView};
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
