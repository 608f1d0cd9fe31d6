//! A lead's e-mail conversation: read it, and answer the lead's sender from the company's
//! mailbox. Company-scoped like the leads (another company's lead is not found, exactly like
//! a missing one).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{LeadId, LeadKind, OrderRecord, Store, TicketRecord};
use serde::{Deserialize, Serialize};

use super::ok;
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given, Record};
use crate::views::MessageView;
use crate::{json, ApiError, HttpConfig, TeamMember};

/// The body of `POST …/messages`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewMessageBody {
    /// The reply (at most 10 000 characters); the customer's last message is quoted below it.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    text: Given<String>,
}

/// A lead's conversation, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Conversation {
    items: Vec<MessageView>,
}

async fn list<K: LeadKind>(member: TeamMember, path: &str, store: web::Data<Store>) -> Result<HttpResponse, ApiError>
where
    K::Id: Record,
{
    let id: K::Id = record_id(path)?;
    let company = member.0.company_id;
    let (lead, messages) = blocking(&store, move |s| {
        let lead = s.team().lead::<K>(company, id)?;
        let messages = s.team().conversation(company, id.into())?;
        Ok::<_, lead_store::StoreError>((lead, messages))
    })
    .await?;
    // A ticket made from an e-mail begins with that e-mail; any other lead with what the
    // website sent.
    let items = lead_present::views::origin(&lead, &messages)
        .is_none()
        .then(|| MessageView::original(&lead))
        .into_iter()
        .chain(messages.into_iter().map(MessageView::from))
        .collect();
    Ok(ok(&Conversation { items }))
}

async fn reply<K: LeadKind>(
    req: HttpRequest,
    member: TeamMember,
    path: &str,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError>
where
    K::Id: Record,
{
    let id: K::Id = record_id(path)?;
    let body = json_body::<NewMessageBody>(&req, body, &config).await?;
    let text = body.text.required_text("text")?;
    let lead: LeadId = id.into();
    let message = blocking(&store, move |s| s.team().reply(member.0, lead, &text)).await?;
    Ok(json(StatusCode::CREATED, &MessageView::from(message)))
}

/// The two routes of one kind of lead's conversation: `GET` as `$list` and `POST` (a reply) as
/// `$reply`, documented for the OpenAPI description.
macro_rules! message_routes {
    ($list:ident, $reply:ident, $path:literal, $id:literal, $kind:ty) => {
        #[utoipa::path(get, path = $path, tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = $id)), responses((status = 200, description = "The website's message first, then every e-mail out and in, oldest first", body = Conversation), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
        pub(crate) async fn $list(
            member: TeamMember,
            path: web::Path<String>,
            store: web::Data<Store>,
        ) -> Result<HttpResponse, ApiError> {
            list::<$kind>(member, &path, store).await
        }

        #[utoipa::path(post, path = $path, tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = $id)), request_body = NewMessageBody, responses((status = 201, description = "Stored and on its way (see `delivery`): from the company's mailbox to the lead's sender, `Re: <title> [#T<id>]` (`[#B<id>]` for an order); a ticket now waits for the customer (`pending`)", body = MessageView), (status = 400, body = ErrorBody), (status = 409, description = "The company has no mailbox, it has no SMTP server to send by, or the lead has as many replies as it may (`[notes] per_record`)", body = ErrorBody), (status = 429, description = "Too many writes with this token (`[limits] per_token_writes`)", body = ErrorBody), (status = 404, description = "No such record in your company", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
        pub(crate) async fn $reply(
            req: HttpRequest,
            member: TeamMember,
            path: web::Path<String>,
            body: web::Payload,
            store: web::Data<Store>,
            config: web::Data<HttpConfig>,
        ) -> Result<HttpResponse, ApiError> {
            reply::<$kind>(req, member, &path, body, store, config).await
        }
    };
}

message_routes!(
    order_messages,
    reply_to_order,
    "/api/v1/orders/{id}/messages",
    "The order's id",
    OrderRecord
);
message_routes!(
    ticket_messages,
    reply_to_ticket,
    "/api/v1/tickets/{id}/messages",
    "The ticket's id",
    TicketRecord
);
