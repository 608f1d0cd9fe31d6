//! What the team API does alike for orders and tickets: list and read them. Each kind's routes
//! (`orders.rs`, `tickets.rs`) carry their documentation and what only that kind does.

use actix_web::{web, HttpRequest, HttpResponse};
use lead_present::Presented;
use lead_store::{CustomerId, EmployeeId, LeadQuery, Store};

use super::{ok, ListQuery};
use crate::request::{blocking, json_body, record_id, Record};
use crate::views::Page;
use crate::{ApiError, HttpConfig, TeamMember};

/// The team's leads of kind `K`: `status`, `q`, `since`, `until`, `owner`, `limit` and `cursor`.
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
        owner: query.owner(member.0.employee_id)?,
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

/// The body of `POST /api/v1/orders/{id}/owner` (and `tickets`).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct OwnerBody {
    /// An active employee of your company, or `null`: nobody. (Read as given: absent is
    /// `None`, `null` is `Some(Null)`.)
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<i64>, required = true)]
    employee_id: Option<serde_json::Value>,
}

/// A member as given, `null` included (absent members stay `None` by `default`).
fn given<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// Gives the lead of kind `K` at `path` to the employee the body names (`employee_id`), or to
/// nobody (`null`); the lead.
pub(super) async fn set_owner<K: Presented>(
    req: HttpRequest,
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError>
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let body = json_body::<OwnerBody>(&req, body, &config).await?;
    let owner = match &body.employee_id {
        None => return Err(ApiError::MissingField("employee_id")),
        Some(serde_json::Value::Null) => None,
        Some(value) => {
            Some(
                value
                    .as_i64()
                    .filter(|&n| n > 0)
                    .map(EmployeeId::new)
                    .ok_or_else(|| ApiError::InvalidField {
                        field: "employee_id",
                        message: "„employee_id“ muss die Nummer eines Mitarbeiters oder null sein.".into(),
                    })?,
            )
        }
    };
    let member = member.0;
    let lead = blocking(&store, move |s| s.team().set_owner::<K>(member, id, owner)).await?;
    Ok(ok(&lead.view(true)))
}
