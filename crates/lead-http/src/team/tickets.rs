//! Tickets: list, read, close, reopen, file under a customer.

use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::TicketStatus;
use lead_store::{CustomerId, Store, TicketId, TicketRecord};
use serde::Deserialize;

use super::ok;
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given};
use crate::views::{Page, TicketView};
use crate::{ApiError, HttpConfig, TeamMember};

#[utoipa::path(get, path = "/api/v1/tickets", tag = "team", security(("bearer" = [])), params(("status" = Option<String>, Query, description = "open, pending (answered, waiting for the customer) or closed"), ("q" = Option<String>, Query, description = "text in the e-mail, title, message or any field the website sent (any case)"), ("since" = Option<String>, Query, description = "arrived on or after this day, YYYY-MM-DD (UTC)"), ("until" = Option<String>, Query, description = "arrived on or before this day, YYYY-MM-DD (UTC)"), ("owner" = Option<String>, Query, description = "me (yours), none (nobody's) or an employee's id"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<TicketView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_tickets(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::list::<TicketRecord>(member, req, store).await
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = TicketView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn get_ticket(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::get::<TicketRecord>(member, path, store).await
}

async fn set_ticket_status(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
    status: TicketStatus,
) -> Result<HttpResponse, ApiError> {
    let id: TicketId = record_id(&path)?;
    let ticket = blocking(&store, move |s| s.team().set_ticket_status(member.0, id, status)).await?;
    Ok(ok(&TicketView::new(ticket, true)))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/close", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = TicketView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already closed", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn close_ticket(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    set_ticket_status(member, path, store, TicketStatus::Closed).await
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/reopen", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = TicketView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already open", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn reopen_ticket(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    set_ticket_status(member, path, store, TicketStatus::Open).await
}

/// The body of `POST /api/v1/tickets/{id}/assign`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct AssignBody {
    /// A customer of your company.
    #[serde(default)]
    #[schema(value_type = i64, required = true)]
    customer_id: Given<i64>,
}

impl AssignBody {
    fn customer(self) -> Result<CustomerId, ApiError> {
        super::customers::customer_number(self.customer_id, "customer_id")
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), request_body(content = AssignBody, description = "The customer to file the ticket under"), responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already in a file", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn assign_ticket(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let id: TicketId = record_id(&path)?;
    let customer_id = json_body::<AssignBody>(&req, body, &config).await?.customer()?;
    let ticket = blocking(&store, move |s| {
        s.team().assign_ticket(member.0.company_id, id, customer_id)
    })
    .await?;
    Ok(ok(&TicketView::new(ticket, true)))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/owner", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), request_body(content = super::OwnerBody, description = "Who owns it from now on: an active employee of your company, or nobody (null)"), responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn ticket_owner(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<crate::HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    super::leads::set_owner::<TicketRecord>(req, member, path, body, store, config).await
}
