//! What every handler needs from a request, written once for the lead endpoint, the team API
//! and the dashboard: the body within its limits, a JSON body as a typed struct, the record
//! id of the path, the client's address, and store work on a blocking thread.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use lead_domain::{JsonProblem, LeadError};
use lead_store::{AttachmentId, CustomerId, NotificationId, OrderId, PushSubscriptionId, Store, TicketId};
use serde::de::DeserializeOwned;

use crate::limits::RateLimits;
use crate::{ApiError, HttpConfig};

/// Reads a request body of at most `config.body_limit` bytes: a declared `Content-Length`
/// above it is refused before reading, a chunked body as soon as it grows past it, and a
/// body that takes longer than `config.body_timeout` to arrive is given up on (`408`).
pub(crate) async fn read_body(
    req: &HttpRequest,
    body: web::Payload,
    config: &HttpConfig,
) -> Result<web::Bytes, ApiError> {
    read_body_up_to(req, body, config, config.body_limit).await
}

/// A request's body of at most `limit` bytes (see [`read_body`]).
pub(crate) async fn read_body_up_to(
    req: &HttpRequest,
    body: web::Payload,
    config: &HttpConfig,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    read_limited(req, body, limit, |_| config.body_timeout).await
}

/// A request's body of at most `limit` bytes, which may take as long as `timeout` says for
/// the length it declares (`None`: chunked).
pub(crate) async fn read_limited(
    req: &HttpRequest,
    body: web::Payload,
    limit: usize,
    timeout: impl FnOnce(Option<u64>) -> std::time::Duration,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    actix_web::rt::time::timeout(timeout(declared), body.to_bytes_limited(limit))
        .await
        .map_err(|_| ApiError::RequestTimeout)?
        .map_err(|_| ApiError::PayloadTooLarge(limit))?
        .map_err(|_| ApiError::UnreadableBody)
}

/// A team-API body: a JSON object (whatever the Content-Type says), read into `T`. What `T`
/// cannot take is said by its fields (see [`Given`]), so a missing or mistyped field gets the
/// contract's `missing_field` / `invalid_field`.
pub(crate) async fn json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    body: web::Payload,
    config: &HttpConfig,
) -> Result<T, ApiError> {
    let bytes = read_body(req, body, config).await?;
    let invalid = |problem| ApiError::Lead(LeadError::InvalidJson(problem));
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value @ serde_json::Value::Object(_)) => {
            serde_json::from_value(value).map_err(|_| invalid(JsonProblem::Syntax))
        }
        Ok(_) => Err(invalid(JsonProblem::NotAnObject)),
        Err(_) => Err(invalid(JsonProblem::Syntax)),
    }
}

/// A field of a JSON body as it was given: absent (or `null`), a value of the right type, or
/// something else — so that the handler, not the parser, says what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Given<T> {
    /// Not in the body, or `null`.
    #[default]
    Absent,
    /// A value of the right type.
    Value(T),
    /// A value of another type.
    WrongType,
}

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Given<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => Given::Absent,
            value => serde_json::from_value(value).map_or(Given::WrongType, Given::Value),
        })
    }
}

impl<T> Given<T> {
    /// An optional field: absent (or `null`) is `None`, a value of another type
    /// `invalid_field`.
    pub(crate) fn optional(self, field: &'static str) -> Result<Option<T>, ApiError> {
        match self {
            Given::Absent => Ok(None),
            Given::Value(value) => Ok(Some(value)),
            Given::WrongType => Err(ApiError::InvalidField {
                field,
                message: format!("Das Feld „{field}“ hat den falschen Typ."),
            }),
        }
    }
}

impl Given<String> {
    /// Required text: absent or blank is `missing_field`, anything but text `invalid_field`.
    pub(crate) fn required_text(self, field: &'static str) -> Result<String, ApiError> {
        match self {
            Given::Value(text) if !text.trim().is_empty() => Ok(text),
            Given::Absent | Given::Value(_) => Err(ApiError::MissingField(field)),
            Given::WrongType => Err(ApiError::InvalidField {
                field,
                message: format!("Das Feld „{field}“ muss Text sein."),
            }),
        }
    }
}

/// A kind of record a path names by number, with what the team is told when there is none.
pub(crate) trait Record: Copy + Send + 'static {
    /// Which kind of record it names (for the German sentence of its `404`).
    const ENTITY: lead_store::Entity;
    /// The record with this number.
    fn numbered(number: i64) -> Self;
}

macro_rules! records {
    ($($id:ty => $entity:ident,)*) => {$(
        impl Record for $id {
            const ENTITY: lead_store::Entity = lead_store::Entity::$entity;
            fn numbered(number: i64) -> Self {
                <$id>::new(number)
            }
        }
    )*};
}

records! {
    AttachmentId => Attachment,
    OrderId => Order,
    TicketId => Ticket,
    CustomerId => Customer,
    NotificationId => Notification,
    PushSubscriptionId => Device,
}

/// The record a path segment names; anything that is not a positive number cannot exist.
pub(crate) fn record_id<T: Record>(segment: &str) -> Result<T, ApiError> {
    segment
        .parse::<i64>()
        .ok()
        .filter(|number| *number > 0)
        .map(T::numbered)
        .ok_or(ApiError::NotFound(lead_present::german::missing(T::ENTITY)))
}

/// The client's address: the peer, or — behind a trusted proxy — whom it forwards for.
pub(crate) fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    match req.app_data::<web::Data<RateLimits>>() {
        Some(limits) => limits.client_ip(req),
        None => req.peer_addr().map(|addr| addr.ip()),
    }
}

/// Runs blocking store work on actix's blocking threads, off the async workers.
pub(crate) async fn blocking<T, E>(
    store: &web::Data<Store>,
    work: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let store = store.clone().into_inner();
    web::block(move || work(&store)).await?.map_err(Into::into)
}

/// Refuses (`400`, on `field`) a URL the server would not send to — resolving its name as the
/// sending does; the answer never says where the name leads (what a company's admin could
/// otherwise learn of the inside network), the log does.
pub(crate) async fn reachable_target(config: &HttpConfig, field: &'static str, url: &str) -> Result<(), ApiError> {
    (config.webhooks.check)(url.to_owned()).await.map_err(|why| {
        log::info!("refused {field} {}: {why}", lead_store::shown_url(url));
        ApiError::InvalidField {
            field,
            message: "An diese Adresse sendet der Server nicht: Ziel ist nicht öffentlich erreichbar.".into(),
        }
    })
}
