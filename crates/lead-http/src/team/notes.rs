//! Internal notes on orders, tickets and customers: the team's own remarks, company-scoped
//! like their records (another company's record is not found, exactly like a missing one).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{CustomerId, Note, NoteId, NoteOn, NotesPage, OrderId, Store, TicketId};
use serde::Deserialize;

use super::{ok, ListQuery};
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given, Record};
use crate::views::{NoteView, Page};
use crate::{json, ApiError, HttpConfig, TeamMember};

/// The body of `POST …/notes`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewNoteBody {
    /// The note (at most 10 000 characters).
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    text: Given<String>,
}

async fn list<T: Record>(
    member: TeamMember,
    req: HttpRequest,
    path: &str,
    store: web::Data<Store>,
    on: fn(T) -> NoteOn,
) -> Result<HttpResponse, ApiError> {
    let id: T = record_id(path)?;
    let query = ListQuery::parse(&req)?;
    let after = query.before::<NoteId>()?;
    let (fetch, limit) = (query.limit + 1, query.limit);
    let company = member.0.company_id;
    let notes = blocking(&store, move |s| {
        s.team()
            .list_notes(company, on(id), NotesPage::OldestAfter(after), fetch)
    })
    .await?;
    Ok(ok(&Page::from_fetched(notes, limit, |n| n.id.get(), NoteView::from)))
}

async fn add<T: Record>(
    req: HttpRequest,
    member: TeamMember,
    path: &str,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
    on: fn(T) -> NoteOn,
) -> Result<HttpResponse, ApiError> {
    let id: T = record_id(path)?;
    let body = json_body::<NewNoteBody>(&req, body, &config).await?;
    let text = body.text.required_text("text")?;
    let note: Note = blocking(&store, move |s| s.team().add_note(member.0, on(id), &text)).await?;
    Ok(json(StatusCode::CREATED, &NoteView::from(note)))
}

/// The two routes of the notes on one kind of record: `GET` (a page, oldest first) as `$list`
/// and `POST` (a new note) as `$add`, documented for the OpenAPI description.
macro_rules! note_routes {
    ($list:ident, $add:ident, $path:literal, $id:literal, $record:ty, $on:expr) => {
        #[utoipa::path(get, path = $path, tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = $id), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")), responses((status = 200, body = Page<NoteView>), (status = 400, body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
        pub(crate) async fn $list(
            member: TeamMember,
            req: HttpRequest,
            path: web::Path<String>,
            store: web::Data<Store>,
        ) -> Result<HttpResponse, ApiError> {
            list::<$record>(member, req, &path, store, $on).await
        }

        #[utoipa::path(post, path = $path, tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = $id)), request_body = NewNoteBody, responses((status = 201, body = NoteView), (status = 400, body = ErrorBody), (status = 409, description = "The record holds as many notes as it may (`[notes] per_record`)", body = ErrorBody), (status = 429, description = "Too many writes with this token (`[limits] per_token_writes`)", body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
        pub(crate) async fn $add(
            req: HttpRequest,
            member: TeamMember,
            path: web::Path<String>,
            body: web::Payload,
            store: web::Data<Store>,
            config: web::Data<HttpConfig>,
        ) -> Result<HttpResponse, ApiError> {
            add::<$record>(req, member, &path, body, store, config, $on).await
        }
    };
}

note_routes!(
    order_notes,
    add_order_note,
    "/api/v1/orders/{id}/notes",
    "The order's id",
    OrderId,
    NoteOn::Order
);
note_routes!(
    ticket_notes,
    add_ticket_note,
    "/api/v1/tickets/{id}/notes",
    "The ticket's id",
    TicketId,
    NoteOn::Ticket
);
note_routes!(
    customer_notes,
    add_customer_note,
    "/api/v1/customers/{id}/notes",
    "The customer's id",
    CustomerId,
    NoteOn::Customer
);
