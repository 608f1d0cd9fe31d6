//! What the team API does alike for orders and tickets: list and read them. Each kind's routes
//! (`orders.rs`, `tickets.rs`) carry their documentation and what only that kind does.

use actix_web::{web, HttpRequest, HttpResponse};
use lead_present::Presented;
use lead_store::{CustomerId, LeadQuery, Store};

use super::{ok, ListQuery};
use crate::request::{blocking, record_id, Record};
use crate::views::Page;
use crate::{ApiError, TeamMember};

/// The team's leads of kind `K`: `status`, `q`, `since`, `until`, `limit` and `cursor`.
pub(super) async fn list<K: Presented>(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let limit = query.limit;
    let leads = LeadQuery::<K> {
        status: query.status::<K::Status>()?,
        search: query.search()?,
        before: query.before::<K::Id>()?,
        limit: query.fetch(),
    };
    let found = blocking(&store, move |s| s.team().leads(member.0.company_id, &leads)).await?;
    Ok(ok(&Page::from_fetched(
        found,
        limit,
        |lead| lead.id().into().get(),
        |lead| lead.view(false),
    )))
}

/// One lead of kind `K`, with its original payload.
pub(super) async fn get<K: Presented>(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError>
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let lead = blocking(&store, move |s| s.team().lead::<K>(member.0.company_id, id)).await?;
    Ok(ok(&lead.view(true)))
}

/// A customer's leads of kind `K`: `limit` and `cursor`.
pub(super) async fn of_customer<K: Presented>(
    member: TeamMember,
    req: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: CustomerId = record_id(&path)?;
    let query = ListQuery::parse(&req)?;
    let before = query.before::<K::Id>()?;
    let (fetch, limit) = (query.limit + 1, query.limit);
    let found = blocking(&store, move |s| {
        s.team().customer_leads::<K>(member.0.company_id, id, before, fetch)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        found,
        limit,
        |lead| lead.id().into().get(),
        |lead| lead.view(false),
    )))
}
