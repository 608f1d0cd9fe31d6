//! The team's API under `/api/v1/`: the order inbox, tickets, customers, notifications, the
//! submission log, the outbox's deliveries and the caller's push devices, for employees with a bearer token, strictly scoped to the employee's
//! company. One file per topic; what they share is here.

mod customers;
mod leads;
mod messages;
mod notes;
mod notifications;
mod orders;
mod push;
mod tickets;

pub(crate) use customers::*;
pub(crate) use leads::OwnerBody;
pub(crate) use messages::*;
pub(crate) use notes::*;
pub(crate) use notifications::*;
pub(crate) use orders::*;
pub(crate) use push::*;
pub(crate) use tickets::*;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{CompanyId, EmployeeId, Store};
use serde::Serialize;

use crate::error::ErrorBody;
use crate::request::blocking;
use crate::{json, ApiError, TeamMember};

/// Page size when `limit` is not given, and the most a page may hold.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// The query parameters that lists share, plus whatever else the route reads.
struct ListQuery {
    pairs: Vec<(String, String)>,
    limit: i64,
}

impl ListQuery {
    fn parse(req: &HttpRequest) -> Result<ListQuery, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let limit = match pairs.iter().find(|(name, _)| name == "limit").map(|(_, v)| v) {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::InvalidField {
                    field: "limit",
                    message: format!("„limit“ muss eine Zahl von 1 bis {MAX_LIMIT} sein."),
                })?,
        };
        Ok(ListQuery { pairs, limit })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The `cursor`: the id of the last record of the previous page.
    fn before<T: std::str::FromStr>(&self) -> Result<Option<T>, ApiError> {
        self.get("cursor")
            .map(|text| {
                text.parse::<T>().map_err(|_| ApiError::InvalidField {
                    field: "cursor",
                    message: "„cursor“ ist ungültig; verwenden Sie den „next_cursor“ der vorigen Seite.".into(),
                })
            })
            .transpose()
    }

    fn status<S: std::str::FromStr<Err = lead_domain::UnknownWord>>(&self) -> Result<Option<S>, ApiError> {
        self.get("status")
            .map(|text| {
                text.parse::<S>().map_err(|unknown| ApiError::InvalidField {
                    field: "status",
                    message: format!("„status“ muss einer dieser Werte sein: {}.", unknown.expected_list()),
                })
            })
            .transpose()
    }

    /// A `true` / `false` parameter; absent is `false`.
    fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError::InvalidField {
                field: name,
                message: format!("„{name}“ muss „true“ oder „false“ sein."),
            }),
        }
    }

    /// `owner`: `me` (the caller's), `none` (nobody's) or an employee's number.
    fn owner(&self, me: EmployeeId) -> Result<Option<lead_store::Owned>, ApiError> {
        owner_of(self.get("owner"), me).ok_or_else(|| ApiError::InvalidField {
            field: "owner",
            message: "„owner“ muss „me“, „none“ oder die Nummer eines Mitarbeiters sein.".into(),
        })
    }

    /// One more than the page holds, to learn whether another page follows.
    fn fetch(&self) -> Option<i64> {
        Some(self.limit + 1)
    }

    /// `q`, `since` and `until` (days, `YYYY-MM-DD`, in UTC; `until` inclusive).
    fn search(&self) -> Result<lead_store::Search, ApiError> {
        search_of(|name| self.get(name), &lead_domain::TimeZone::UTC)
    }
}

/// A list's search from its query parameters `q`, `since` and `until` — days (`YYYY-MM-DD`) in
/// `zone`, both included.
pub(crate) fn search_of<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    zone: &lead_domain::TimeZone,
) -> Result<lead_store::Search, ApiError> {
    let day = |name: &'static str, following: bool| {
        get(name)
            .filter(|text| !text.trim().is_empty())
            .map(|text| {
                lead_domain::Timestamp::day_starts(text, zone, following).ok_or_else(|| ApiError::InvalidField {
                    field: name,
                    message: format!("„{name}“ muss ein Datum wie 2026-12-01 sein."),
                })
            })
            .transpose()
    };
    Ok(lead_store::Search {
        text: get("q").map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned),
        since: day("since", false)?,
        until: day("until", true)?,
    })
}

/// Whose leads a list's `owner` parameter asks for (`None`: no such owner); absent or empty
/// asks for everyone's.
pub(crate) fn owner_of(given: Option<&str>, me: EmployeeId) -> Option<Option<lead_store::Owned>> {
    use lead_store::Owned;
    match given.map(str::trim) {
        None | Some("") => Some(None),
        Some("me") => Some(Some(Owned::By(me))),
        Some("none") => Some(Some(Owned::Nobody)),
        Some(number) => number
            .parse()
            .ok()
            .filter(|&n: &i64| n > 0)
            .map(|n| Some(Owned::By(EmployeeId::new(n)))),
    }
}

fn ok(body: &impl Serialize) -> HttpResponse {
    json(StatusCode::OK, body)
}

/// The signed-in employee.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    #[schema(value_type = i64)]
    id: EmployeeId,
    name: String,
    email: String,
    #[schema(value_type = i64)]
    company_id: CompanyId,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "team", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn me(member: TeamMember, store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let employee = blocking(&store, move |s| s.access().find_employee(member.0.employee_id)).await?;
    Ok(ok(&Me {
        id: employee.id,
        name: employee.name,
        email: employee.email,
        company_id: employee.company_id,
    }))
}

/// Registers the team routes.
pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(routes.allow_only(["/api/v1/me"], "GET").route(web::get().to(me)))
        .service(
            routes
                .allow_only(["/api/v1/orders"], "GET")
                .route(web::get().to(list_orders)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}"], "GET")
                .route(web::get().to(get_order)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/accept"], "POST")
                .route(web::post().to(accept_order)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/reject"], "POST")
                .route(web::post().to(reject_order)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets"], "GET")
                .route(web::get().to(list_tickets)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}"], "GET")
                .route(web::get().to(get_ticket)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/close"], "POST")
                .route(web::post().to(close_ticket)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/reopen"], "POST")
                .route(web::post().to(reopen_ticket)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/assign"], "POST")
                .route(web::post().to(assign_ticket)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/owner"], "POST")
                .route(web::post().to(order_owner)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/owner"], "POST")
                .route(web::post().to(ticket_owner)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/customer"], "POST")
                .route(web::post().to(order_customer)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/customer"], "POST")
                .route(web::post().to(ticket_customer)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers"], "GET, POST")
                .route(web::get().to(list_customers))
                .route(web::post().to(create_customer)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}"], "GET, PATCH")
                .route(web::get().to(customer_file))
                .route(web::patch().to(update_customer)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/history"], "GET")
                .route(web::get().to(customer_history)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/merge"], "POST")
                .route(web::post().to(merge_customers)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/tickets"], "GET")
                .route(web::get().to(customer_tickets)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/orders"], "GET")
                .route(web::get().to(customer_orders)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/claim"], "POST")
                .route(web::post().to(claim)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/notes"], "GET, POST")
                .route(web::get().to(order_notes))
                .route(web::post().to(add_order_note)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/notes"], "GET, POST")
                .route(web::get().to(ticket_notes))
                .route(web::post().to(add_ticket_note)),
        )
        .service(
            routes
                .allow_only(["/api/v1/orders/{id}/messages"], "GET, POST")
                .route(web::get().to(order_messages))
                .route(web::post().to(reply_to_order)),
        )
        .service(
            routes
                .allow_only(["/api/v1/tickets/{id}/messages"], "GET, POST")
                .route(web::get().to(ticket_messages))
                .route(web::post().to(reply_to_ticket)),
        )
        .service(
            routes
                .allow_only(["/api/v1/customers/{id}/notes"], "GET, POST")
                .route(web::get().to(customer_notes))
                .route(web::post().to(add_customer_note)),
        )
        .service(
            routes
                .allow_only(["/api/v1/notifications"], "GET")
                .route(web::get().to(list_notifications)),
        )
        .service(
            routes
                .allow_only(["/api/v1/submissions"], "GET")
                .route(web::get().to(list_submissions)),
        )
        .service(
            routes
                .allow_only(["/api/v1/deliveries"], "GET")
                .route(web::get().to(list_deliveries)),
        )
        .service(
            routes
                .allow_only(["/api/v1/notifications/stream"], "GET")
                .route(web::get().to(crate::live::stream)),
        )
        .service(
            routes
                .allow_only(["/api/v1/notifications/read-all"], "POST")
                .route(web::post().to(read_all_notifications)),
        )
        .service(
            routes
                .allow_only(["/api/v1/notifications/{id}/read"], "POST")
                .route(web::post().to(read_notification)),
        )
        .service(
            routes
                .allow_only(["/api/v1/push/subscriptions"], "GET, POST")
                .route(web::get().to(list_devices))
                .route(web::post().to(subscribe)),
        )
        .service(
            routes
                .allow_only(["/api/v1/push/subscriptions/{id}"], "DELETE")
                .route(web::delete().to(remove_device)),
        )
        .service(
            routes
                .allow_only(["/api/v1/push/test"], "POST")
                .route(web::post().to(send_test)),
        );
}
