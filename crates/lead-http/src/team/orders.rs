//! The order inbox: list, read, accept, reject.

use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::OrderStatus;
use lead_store::{OrderId, Store};

use super::{ok, ListQuery};
use crate::error::ErrorBody;
use crate::request::{about, blocking, record_id};
use crate::views::{OrderView, Page};
use crate::{ApiError, TeamMember};

#[utoipa::path(get, path = "/api/v1/orders", tag = "team", security(("bearer" = [])), params(("status" = Option<String>, Query, description = "new, accepted or rejected"), ("q" = Option<String>, Query, description = "text in the e-mail, title, message or any field the website sent (any case)"), ("since" = Option<String>, Query, description = "arrived on or after this day, YYYY-MM-DD (UTC)"), ("until" = Option<String>, Query, description = "arrived on or before this day, YYYY-MM-DD (UTC)"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<OrderView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_orders(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let before = query.before::<OrderId>()?;
    let status = query.status::<OrderStatus>()?;
    let search = query.search()?;
    let limit = query.limit;
    let orders = blocking(&store, move |s| {
        s.find_orders(member.0.company_id, status, &search, before, limit + 1)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        orders,
        limit,
        |o| o.id.get(),
        |o| OrderView::new(o, false),
    )))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = OrderView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn get_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = record_id(&path)?;
    let order = blocking(&store, move |s| {
        s.get_order(member.0.company_id, id).map_err(about::<OrderId>(""))
    })
    .await?;
    Ok(ok(&OrderView::new(order, true)))
}

async fn decide_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
    decision: OrderStatus,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = record_id(&path)?;
    let order = blocking(&store, move |s| {
        s.decide_order(member.0, id, decision)
            .map_err(about::<OrderId>("Über diese Bestellung wurde bereits entschieden"))
    })
    .await?;
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
