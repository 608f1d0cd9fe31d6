//! The team's API under `/api/v1/`: the order inbox, tickets, customers and notifications,
//! for employees with a bearer token, strictly scoped to the employee's company.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{Id, Store};
use serde::Serialize;
use serde_json::Value;

use crate::error::ErrorBody;
use crate::views::{CustomerFileView, CustomerView, NotificationView, OrderView, Page, SubmissionView, TicketView};
use crate::{json, read_body, ApiError, HttpConfig, TeamMember};

const ORDER_NOT_FOUND: &str = "Diese Bestellung gibt es nicht.";
const TICKET_NOT_FOUND: &str = "Dieses Ticket gibt es nicht.";
const CUSTOMER_NOT_FOUND: &str = "Diesen Kunden gibt es nicht.";
const NOTIFICATION_NOT_FOUND: &str = "Diese Benachrichtigung gibt es nicht.";

/// Page size when `limit` is not given, and the most a page may hold.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    store: &web::Data<Store>,
    work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = store.clone().into_inner();
    web::block(move || work(&store)).await?
}

/// The record id of a path; anything that is not a positive number cannot exist.
fn record_id(path: &str, not_found: &'static str) -> Result<Id, ApiError> {
    path.parse::<Id>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound(not_found))
}

/// The query parameters that lists share, plus whatever else the route reads.
struct ListQuery {
    pairs: Vec<(String, String)>,
    before: Option<Id>,
    limit: i64,
}

impl ListQuery {
    fn parse(req: &HttpRequest) -> Result<ListQuery, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let limit = match get("limit") {
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
        let before = match get("cursor") {
            None => None,
            Some(text) => Some(text.parse::<Id>().map_err(|_| ApiError::InvalidField {
                field: "cursor",
                message: "„cursor“ ist ungültig; verwenden Sie den „next_cursor“ der vorigen Seite.".into(),
            })?),
        };
        Ok(ListQuery { pairs, before, limit })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn status<S: std::str::FromStr>(&self, allowed: &str) -> Result<Option<S>, ApiError> {
        self.get("status")
            .map(|text| {
                text.parse::<S>().map_err(|_| ApiError::InvalidField {
                    field: "status",
                    message: format!("„status“ muss einer dieser Werte sein: {allowed}."),
                })
            })
            .transpose()
    }

    /// One more than the page holds, to learn whether another page follows.
    fn fetch(&self) -> Option<i64> {
        Some(self.limit + 1)
    }
}

fn ok(body: &impl Serialize) -> HttpResponse {
    json(StatusCode::OK, body)
}

// --- who am I -------------------------------------------------------------------------------

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    id: Id,
    name: String,
    email: String,
    company_id: Id,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "team", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn me(member: TeamMember, store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let employee = blocking(&store, move |s| Ok(s.find_employee(member.0.employee_id)?)).await?;
    Ok(ok(&Me {
        id: employee.id,
        name: employee.name,
        email: employee.email,
        company_id: employee.company_id,
    }))
}

// --- orders ---------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/orders", tag = "team", security(("bearer" = [])), params(("status" = Option<String>, Query, description = "new, accepted or rejected"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<OrderView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_orders(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let status = query.status::<OrderStatus>("new, accepted, rejected")?;
    let (before, fetch, limit) = (query.before, query.fetch(), query.limit);
    let orders = blocking(&store, move |s| {
        Ok(s.list_orders(member.0.company_id, status, before, fetch)?)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        orders,
        limit,
        |o| o.id,
        |o| OrderView::new(o, false),
    )))
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
    let failed_only = match query.get("failed") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::InvalidField {
                field: "failed",
                message: "„failed“ muss „true“ oder „false“ sein.".into(),
            })
        }
    };
    let filter = lead_store::SubmissionFilter {
        company_id: Some(member.0.company_id),
        key_prefix: query.get("key").map(str::to_owned),
        failed_only,
        before: query.before,
        limit: query.fetch(),
    };
    let limit = query.limit;
    let submissions = blocking(&store, move |s| Ok(s.list_submissions(&filter)?)).await?;
    Ok(ok(&Page::from_fetched(
        submissions,
        limit,
        |s| s.id,
        SubmissionView::from,
    )))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = OrderView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn get_order(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, ORDER_NOT_FOUND)?;
    let order = blocking(&store, move |s| {
        s.get_order(member.0.company_id, id)
            .map_err(|e| ApiError::from_store(e, ORDER_NOT_FOUND, ""))
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
    let id = record_id(&path, ORDER_NOT_FOUND)?;
    let order = blocking(&store, move |s| {
        s.decide_order(member.0, id, decision)
            .map_err(|e| ApiError::from_store(e, ORDER_NOT_FOUND, "Über diese Bestellung wurde bereits entschieden"))
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

// --- tickets --------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/tickets", tag = "team", security(("bearer" = [])), params(("status" = Option<String>, Query, description = "open or closed"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<TicketView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_tickets(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let status = query.status::<TicketStatus>("open, closed")?;
    let (before, fetch, limit) = (query.before, query.fetch(), query.limit);
    let tickets = blocking(&store, move |s| {
        Ok(s.list_tickets(member.0.company_id, status, before, fetch)?)
    })
    .await?;
    Ok(ok(&Page::from_fetched(
        tickets,
        limit,
        |t| t.id,
        |t| TicketView::new(t, false),
    )))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = TicketView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn get_ticket(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, TICKET_NOT_FOUND)?;
    let ticket = blocking(&store, move |s| {
        s.get_ticket(member.0.company_id, id)
            .map_err(|e| ApiError::from_store(e, TICKET_NOT_FOUND, ""))
    })
    .await?;
    Ok(ok(&TicketView::new(ticket, true)))
}

async fn set_ticket_status(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
    status: TicketStatus,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, TICKET_NOT_FOUND)?;
    let conflict = match status {
        TicketStatus::Closed => "Das Ticket ist bereits geschlossen",
        TicketStatus::Open => "Das Ticket ist bereits offen",
    };
    let ticket = blocking(&store, move |s| {
        s.set_ticket_status(member.0, id, status)
            .map_err(|e| ApiError::from_store(e, TICKET_NOT_FOUND, conflict))
    })
    .await?;
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

#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), request_body(content = AssignBody, description = "The customer to file the ticket under"), responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 409, description = "Already in a file", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn assign_ticket(
    member: TeamMember,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, TICKET_NOT_FOUND)?;
    let body = json_object(&read_body(None, body, &config).await?)?;
    let customer_id = match body.get("customer_id") {
        None | Some(Value::Null) => return Err(ApiError::MissingField("customer_id")),
        Some(value) => value
            .as_i64()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::InvalidField {
                field: "customer_id",
                message: "„customer_id“ muss die Nummer eines Kunden sein.".into(),
            })?,
    };
    let ticket = blocking(&store, move |s| {
        s.get_ticket(member.0.company_id, id)
            .map_err(|e| ApiError::from_store(e, TICKET_NOT_FOUND, ""))?;
        s.assign_ticket(member.0.company_id, id, customer_id)
            .map_err(|e| ApiError::from_store(e, CUSTOMER_NOT_FOUND, "Das Ticket liegt bereits in einer Kundenakte"))
    })
    .await?;
    Ok(ok(&TicketView::new(ticket, true)))
}

// --- customers ------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/customers", tag = "team", security(("bearer" = [])), params(("q" = Option<String>, Query, description = "part of the name or email"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<CustomerView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_customers(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let search = query.get("q").map(str::to_owned);
    let (before, fetch, limit) = (query.before, query.fetch(), query.limit);
    let customers = blocking(&store, move |s| {
        Ok(s.list_customers(member.0.company_id, search.as_deref(), before, fetch)?)
    })
    .await?;
    Ok(ok(&Page::from_fetched(customers, limit, |c| c.id, CustomerView::from)))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "team", security(("bearer" = [])), request_body = NewCustomerBody, responses((status = 201, body = CustomerView), (status = 400, body = ErrorBody), (status = 409, description = "The email belongs to another customer", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn create_customer(
    member: TeamMember,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let body = json_object(&read_body(None, body, &config).await?)?;
    let name = required_text(&body, "name")?;
    let email = required_text(&body, "email")?;
    let customer = blocking(&store, move |s| {
        s.add_customer(member.0.company_id, &name, &email).map_err(|e| {
            ApiError::from_store(
                e,
                CUSTOMER_NOT_FOUND,
                "Ein Kunde mit dieser E-Mail-Adresse existiert bereits",
            )
        })
    })
    .await?;
    Ok(json(StatusCode::CREATED, &CustomerView::from(customer)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = CustomerFileView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn customer_file(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, CUSTOMER_NOT_FOUND)?;
    let file = blocking(&store, move |s| {
        s.customer_file(member.0.company_id, id)
            .map_err(|e| ApiError::from_store(e, CUSTOMER_NOT_FOUND, ""))
    })
    .await?;
    Ok(ok(&CustomerFileView::from(file)))
}

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
    let id = record_id(&path, CUSTOMER_NOT_FOUND)?;
    let claimed = blocking(&store, move |s| {
        s.claim_for_customer(member.0.company_id, id)
            .map_err(|e| ApiError::from_store(e, CUSTOMER_NOT_FOUND, ""))
    })
    .await?;
    Ok(ok(&ClaimedView {
        tickets: claimed.tickets,
        orders: claimed.orders,
    }))
}

// --- notifications --------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/notifications", tag = "team", security(("bearer" = [])), params(("unread" = Option<bool>, Query, description = "only unread ones"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<NotificationView>), (status = 400, body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_notifications(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(&req)?;
    let unread_only = match query.get("unread") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::InvalidField {
                field: "unread",
                message: "„unread“ muss „true“ oder „false“ sein.".into(),
            })
        }
    };
    let (before, fetch, limit) = (query.before, query.fetch(), query.limit);
    let notes = blocking(&store, move |s| {
        Ok(s.list_notifications(member.0.employee_id, unread_only, before, fetch)?)
    })
    .await?;
    Ok(ok(&Page::from_fetched(notes, limit, |n| n.id, NotificationView::from)))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The record's id")), responses((status = 200, body = NotificationView), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn read_notification(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id = record_id(&path, NOTIFICATION_NOT_FOUND)?;
    let note = blocking(&store, move |s| {
        s.mark_notification_read(member.0, id)
            .map_err(|e| ApiError::from_store(e, NOTIFICATION_NOT_FOUND, ""))
    })
    .await?;
    Ok(ok(&NotificationView::from(note)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MarkedRead {
    marked_read: usize,
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "team", security(("bearer" = [])), responses((status = 200, body = MarkedRead), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn read_all_notifications(
    member: TeamMember,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let marked_read = blocking(&store, move |s| Ok(s.mark_all_notifications_read(member.0)?)).await?;
    Ok(ok(&MarkedRead { marked_read }))
}

// --- bodies ---------------------------------------------------------------------------------

/// A team-API body: a JSON object, whatever the Content-Type says.
fn json_object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::Lead(lead_domain::LeadError::InvalidJson(
            lead_domain::JsonProblem::NotAnObject,
        ))),
        Err(_) => Err(ApiError::Lead(lead_domain::LeadError::InvalidJson(
            lead_domain::JsonProblem::Syntax,
        ))),
    }
}

fn required_text(body: &serde_json::Map<String, Value>, field: &'static str) -> Result<String, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::MissingField(field)),
        Some(Value::String(text)) if text.trim().is_empty() => Err(ApiError::MissingField(field)),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ApiError::InvalidField {
            field,
            message: format!("Das Feld „{field}“ muss Text sein."),
        }),
    }
}

/// Registers the team routes.
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    use crate::allow_only;
    cfg.service(allow_only(["/api/v1/me"], "GET").route(web::get().to(me)))
        .service(allow_only(["/api/v1/orders"], "GET").route(web::get().to(list_orders)))
        .service(allow_only(["/api/v1/orders/{id}"], "GET").route(web::get().to(get_order)))
        .service(allow_only(["/api/v1/orders/{id}/accept"], "POST").route(web::post().to(accept_order)))
        .service(allow_only(["/api/v1/orders/{id}/reject"], "POST").route(web::post().to(reject_order)))
        .service(allow_only(["/api/v1/tickets"], "GET").route(web::get().to(list_tickets)))
        .service(allow_only(["/api/v1/tickets/{id}"], "GET").route(web::get().to(get_ticket)))
        .service(allow_only(["/api/v1/tickets/{id}/close"], "POST").route(web::post().to(close_ticket)))
        .service(allow_only(["/api/v1/tickets/{id}/reopen"], "POST").route(web::post().to(reopen_ticket)))
        .service(allow_only(["/api/v1/tickets/{id}/assign"], "POST").route(web::post().to(assign_ticket)))
        .service(
            allow_only(["/api/v1/customers"], "GET, POST")
                .route(web::get().to(list_customers))
                .route(web::post().to(create_customer)),
        )
        .service(allow_only(["/api/v1/customers/{id}"], "GET").route(web::get().to(customer_file)))
        .service(allow_only(["/api/v1/customers/{id}/claim"], "POST").route(web::post().to(claim)))
        .service(allow_only(["/api/v1/notifications"], "GET").route(web::get().to(list_notifications)))
        .service(allow_only(["/api/v1/submissions"], "GET").route(web::get().to(list_submissions)))
        .service(allow_only(["/api/v1/notifications/stream"], "GET").route(web::get().to(crate::live::stream)))
        .service(allow_only(["/api/v1/notifications/read-all"], "POST").route(web::post().to(read_all_notifications)))
        .service(allow_only(["/api/v1/notifications/{id}/read"], "POST").route(web::post().to(read_notification)));
}

/// The body of `POST /api/v1/tickets/{id}/assign`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the JSON the handler reads
pub(crate) struct AssignBody {
    /// A customer of your company.
    customer_id: i64,
}

/// The body of `POST /api/v1/customers`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the JSON the handler reads
pub(crate) struct NewCustomerBody {
    /// The customer's name.
    name: String,
    /// The customer's email, unique in your company.
    email: String,
}
