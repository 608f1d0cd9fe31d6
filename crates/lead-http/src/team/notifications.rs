//! An employee's notifications (the live stream is `live.rs`), the submission log (why did
//! that form fail?) and the outbox (did our webhook get it?).

use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{
    Channel, DeliveryFilter, DeliveryId, DeliveryStatus, NotificationId, Store, SubmissionFilter, SubmissionId,
};
use serde::Serialize;

use super::{ok, ListQuery};
use crate::error::ErrorBody;
use crate::request::{blocking, record_id};
use crate::views::{DeliveryView, NotificationView, Page, SubmissionView};
use crate::{ApiError, TeamMember};

#[utoipa::path(get, path = "/api/v1/notifications", tag = "team", security(("bearer" = [])), params(("unread" = Option<bool>, Query, description = "only unread ones"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<NotificationView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_notifications(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let before = query.before::<NotificationId>()?;
    let unread_only = query.flag("unread")?;
    let (fetch, limit) = (query.fetch(), query.limit);
    let notes = blocking(&store, move |s| {
        s.team()
            .list_notifications(member.0.employee_id, unread_only, before, fetch)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        notes,
        limit,
        |n| n.id.get(),
        NotificationView::from,
    )))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = NotificationView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn read_notification(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: NotificationId = record_id(&path)?;
    let note = blocking(&store, move |s| s.team().mark_notification_read(member.0, id)).await?;
    Ok(ok(&NotificationView::from(note)))
}

/// How many notifications were marked read.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MarkedRead {
    marked_read: usize,
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "team", security(("bearer" = [])), responses((status = 200, body = MarkedRead), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn read_all_notifications(
    member: TeamMember,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let marked_read = blocking(&store, move |s| s.team().mark_all_notifications_read(member.0)).await?;
    Ok(ok(&MarkedRead { marked_read }))
}

/// `GET /api/v1/submissions[?failed=true]`: the company's requests to the lead endpoint,
/// newest first — why did that form fail?
#[utoipa::path(get, path = "/api/v1/submissions", tag = "team", security(("bearer" = [])), params(("failed" = Option<bool>, Query, description = "only failures"), ("key" = Option<String>, Query, description = "only keys whose prefix starts with this"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<SubmissionView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_submissions(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let before = query.before::<SubmissionId>()?;
    let filter = SubmissionFilter {
        company_id: Some(member.0.company_id),
        key_prefix: query.get("key").map(str::to_owned),
        failed_only: query.flag("failed")?,
        before,
        limit: query.fetch(),
        ..Default::default()
    };
    let limit = query.limit;
    let submissions = blocking(&store, move |s| s.intake().list_submissions(&filter)).await?;
    Ok(ok(&Page::from_fetched(
        submissions,
        limit,
        |s| s.id.get(),
        SubmissionView::from,
    )))
}

/// `GET /api/v1/deliveries[?channel=webhook&status=failed]`: the company's outbox, newest
/// first — where each webhook delivery stands.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "team", security(("bearer" = [])), params(("channel" = Option<String>, Query, description = "webhook or email"), ("status" = Option<String>, Query, description = "pending, delivered or failed"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<DeliveryView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_deliveries(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let word = |name: &'static str| query.get(name).map(str::trim).filter(|value| !value.is_empty());
    let channel = word("channel")
        .map(|value| value.parse::<Channel>())
        .transpose()
        .map_err(|_| ApiError::InvalidField {
            field: "channel",
            message: "„channel“ muss „webhook“ oder „email“ sein.".into(),
        })?;
    let status = word("status")
        .map(|value| value.parse::<DeliveryStatus>())
        .transpose()
        .map_err(|_| ApiError::InvalidField {
            field: "status",
            message: "„status“ muss „pending“, „delivered“ oder „failed“ sein.".into(),
        })?;
    let filter = DeliveryFilter {
        company_id: Some(member.0.company_id),
        channel,
        status,
        before: query.before::<DeliveryId>()?,
        limit: query.fetch(),
    };
    let limit = query.limit;
    let deliveries = blocking(&store, move |s| s.deliveries().list_deliveries(&filter)).await?;
    Ok(ok(&Page::from_fetched(
        deliveries,
        limit,
        |d| d.id.get(),
        DeliveryView::from,
    )))
}
