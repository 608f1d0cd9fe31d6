//! The order inbox: list, read, accept, reject.

use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::OrderStatus;
use lead_store::{OrderId, OrderRecord, Store};

use super::ok;
use crate::error::ErrorBody;
use crate::request::{blocking, record_id};
use crate::views::{OrderView, Page};
use crate::{ApiError, TeamMember};

#[utoipa::path(get, path = "/api/v1/orders", tag = "team", security(("bearer" = [])), params(("status" = Option<String>, Query, description = "new, accepted or rejected"), ("q" = Option<String>, Query, description = "text in the e-mail, title, message or any field the website sent (any case)"), ("since" = Option<String>, Query, description = "arrived on or after this day, YYYY-MM-DD (UTC)"), ("until" = Option<String>, Query, description = "arrived on or before this day, YYYY-MM-DD (UTC)"), ("owner" = Option<String>, Query, description = "me (yours), none (nobody's) or an employee's id"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<OrderView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_orders(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::list::<OrderRecord>(member, req, store).await
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = OrderView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn get_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    super::leads::get::<OrderRecord>(member, path, store).await
}

async fn decide_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
    decision: OrderStatus,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = record_id(&path)?;
    let order = blocking(&store, move |s| s.team().decide_order(member.0, id, decision)).await?;
    Ok(ok(&OrderView::new(order, true)))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/accept", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = OrderView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already decided", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn accept_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    decide_order(member, path, store, OrderStatus::Accepted).await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/reject", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = OrderView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already decided", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn reject_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    decide_order(member, path, store, OrderStatus::Rejected).await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/owner", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), request_body(content = super::OwnerBody, description = "Who owns it from now on: an active employee of your company, or nobody (null)"), responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn order_owner(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<crate::HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    super::leads::set_owner::<OrderRecord>(req, member, path, body, store, config).await
}
