//! The one classification of every failure: its status, its stable code, its German
//! message. Renderers show it — the contract's JSON body here (the lead endpoint and the
//! team API), a German page for the dashboard (`dashboard::PageError`), and the page a
//! browser gets for a form it posted (`browser::sorry`).

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use lead_auth::AuthError;
use lead_domain::{Invalid, JsonProblem, LeadError, MoneyError, TooLarge};
use lead_store::{Problem, StoreError};
use serde::Serialize;

/// Everything the HTTP layer can answer other than success.
#[derive(Debug)]
pub enum ApiError {
    /// 401 / 403.
    Auth(AuthError),
    /// 403: the key may not be used from the website (`Origin`) the request came from.
    OriginNotAllowed,
    /// 400: the payload broke a rule.
    Lead(LeadError),
    /// 400: the body could not be read (the client broke off, bad chunked encoding).
    UnreadableBody,
    /// 400: a form with more fields than this: refused before it is parsed further.
    TooManyFields(usize),
    /// 408: the body did not arrive in time; the connection is closed after the answer.
    RequestTimeout,
    /// 413: the body is over the limit (in bytes).
    PayloadTooLarge(usize),
    /// 413: a lead's files break a limit of `[attachments]`; nothing was stored.
    FilesTooLarge(TooLarge),
    /// 403: a download link whose signature is wrong, or that has expired.
    InvalidLink,
    /// 405: this path takes only the methods listed.
    MethodNotAllowed(&'static str),
    /// 404: no such path, or no such record in the caller's company (never a hint that it
    /// exists elsewhere). The German sentence says what was not found.
    NotFound(&'static str),
    /// 409: the record is not in a state that allows this (a second decision on an order).
    Conflict(String),
    /// 403: a dashboard form without the session's CSRF token (another site made the
    /// browser send it); nothing was changed.
    Csrf,
    /// 401: this client is locked out of the account after too many wrong passwords.
    LockedOut,
    /// 403: a dashboard page or action for the company's admins, asked for by a member.
    AdminOnly,
    /// 400: a required field of a team-API body is missing.
    MissingField(&'static str),
    /// 400: a field or query parameter has a value that is not allowed.
    InvalidField {
        /// The field or parameter.
        field: &'static str,
        /// A German sentence saying what is wrong.
        message: String,
    },
    /// 503: the database does not answer (health check).
    Unavailable(String),
    /// 503: the write queue is full; nothing was stored, retry after a second.
    Busy,
    /// 503: this instance is stopping (or its lead writer is down): send traffic elsewhere.
    NotReady,
    /// 429: too many requests from this client or with this key; retry after this many seconds.
    RateLimited(u64),
    /// 429: too many changes with this employee token or dashboard session (`[limits]
    /// per_token_writes`); nothing was changed, retry after this many seconds.
    WritesLimited(u64),
    /// 429: too much of one kind of work is under way on this server (password checks,
    /// exports); nothing was done, retry after a second. The German sentence says what.
    Saturated(&'static str),
    /// 422: the Idempotency-Key was used before for a different body; this one was stored
    /// nevertheless, held for the operator's review.
    IdempotencyConflict,
    /// 500: something failed inside; the cause goes to the log, never to the client.
    Internal(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.message())
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::Auth(error)
    }
}

impl From<LeadError> for ApiError {
    fn from(error: LeadError) -> Self {
        ApiError::Lead(error)
    }
}

impl From<StoreError> for ApiError {
    /// The one mapping of the store's errors (see [`ApiError::from_store`]).
    fn from(error: StoreError) -> Self {
        ApiError::from_store(error)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

/// The error body: `{"status":"error","code":…,"message":…,"field":…}`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    status: &'static str,
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
}

impl ApiError {
    /// Maps a store error: a record not found, or a conflict, in the German sentence for its
    /// kind (`lead_present::german`) — the one place where they are said.
    pub fn from_store(error: StoreError) -> ApiError {
        match error {
            StoreError::KeyNotValid => ApiError::Auth(AuthError::InvalidKey),
            StoreError::Busy => ApiError::Busy,
            StoreError::NotFound(what, _) => ApiError::NotFound(lead_present::german::missing(what)),
            StoreError::Conflict(why, _) => ApiError::Conflict(lead_present::german::clash(why)),
            StoreError::LockedOut => ApiError::LockedOut,
            StoreError::NotesFull(limit) => ApiError::Conflict(format!(
                "Dieser Datensatz hat bereits {limit} Notizen, so viele wie möglich; es wurde keine weitere gespeichert."
            )),
            StoreError::RepliesFull(limit) => ApiError::Conflict(format!(
                "Auf diese Anfrage wurde bereits {limit}-mal geantwortet, so oft wie möglich; die Antwort wurde nicht gesendet."
            )),
            StoreError::Invalid { field, problem } => ApiError::InvalidField {
                field,
                // In German, whatever the store said for the operator.
                message: match problem {
                    Problem::Blank => format!("Das Feld „{field}“ darf nicht leer sein."),
                    Problem::TooLong(max) => format!("Das Feld „{field}“ ist länger als {max} Zeichen."),
                    Problem::NotAnEmail(_) => format!("Das Feld „{field}“ enthält keine gültige E-Mail-Adresse."),
                    Problem::Other(_) => format!("Das Feld „{field}“ ist ungültig."),
                },
            },
            other => ApiError::Internal(other.to_string()),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Auth(error) => error.code(),
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::Lead(error) => error.code(),
            ApiError::UnreadableBody => "invalid_json",
            ApiError::TooManyFields(_) => "invalid_field",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::PayloadTooLarge(_) | ApiError::FilesTooLarge(_) => "payload_too_large",
            ApiError::InvalidLink => "forbidden",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Csrf | ApiError::AdminOnly => "forbidden",
            ApiError::LockedOut => "unauthorized",
            ApiError::MissingField(_) => "missing_field",
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::Unavailable(_) | ApiError::Busy | ApiError::Internal(_) => "internal_error",
            ApiError::RateLimited(_) | ApiError::WritesLimited(_) | ApiError::Saturated(_) => "rate_limited",
            ApiError::NotReady => "not_ready",
            ApiError::IdempotencyConflict => "idempotency_conflict",
        }
    }

    /// The contract's error body.
    pub(crate) fn body(&self) -> ErrorBody {
        ErrorBody {
            status: "error",
            code: self.code(),
            message: self.message(),
            field: self.field(),
        }
    }

    /// Logs what the operator must see: the cause of an internal failure.
    pub(crate) fn log(&self) {
        match self {
            ApiError::Internal(cause) => log::error!("request failed, nothing was stored: {cause}"),
            ApiError::Unavailable(cause) => log::warn!("health check failed: {cause}"),
            _ => {}
        }
    }

    /// Seconds after which the same request may succeed (`Retry-After`), where waiting helps.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Busy | ApiError::NotReady | ApiError::Saturated(_) => Some(1),
            ApiError::RateLimited(seconds) | ApiError::WritesLimited(seconds) => Some(*seconds),
            _ => None,
        }
    }

    /// The field at fault, where exactly one is.
    pub(crate) fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Lead(error) => error.field().map(|field| field.as_str()),
            ApiError::MissingField(field) | ApiError::InvalidField { field, .. } => Some(field),
            _ => None,
        }
    }

    /// A German sentence for the person reading the answer.
    pub fn message(&self) -> String {
        match self {
            ApiError::Auth(AuthError::MissingKey) => {
                "Es wurde kein API-Key übermittelt (Header X-API-KEY oder Parameter key).".into()
            }
            ApiError::Auth(AuthError::InvalidKey) => "Der API-Key ist ungültig oder deaktiviert.".into(),
            ApiError::Auth(AuthError::Unauthorized) => {
                "Anmeldung erforderlich: ein gültiges Mitarbeiter-Token im Header „Authorization: Bearer …“.".into()
            }
            ApiError::Auth(AuthError::Forbidden) => "Die Firma dieses Mitarbeiters ist deaktiviert.".into(),
            ApiError::OriginNotAllowed => {
                "Dieser API-Key darf von dieser Website (Origin) aus nicht verwendet werden.".into()
            }
            ApiError::Lead(error) => lead_message(error),
            ApiError::UnreadableBody => "Der Inhalt der Anfrage konnte nicht gelesen werden.".into(),
            ApiError::TooManyFields(max) => format!("Das Formular hat mehr als {max} Felder."),
            ApiError::RequestTimeout => {
                "Der Inhalt der Anfrage kam nicht rechtzeitig an; nichts wurde gespeichert.".into()
            }
            ApiError::PayloadTooLarge(limit) => {
                format!("Der Inhalt ist zu groß: höchstens {} KiB sind erlaubt.", limit / 1024)
            }
            ApiError::FilesTooLarge(TooLarge::File { filename, max }) => format!(
                "Die Datei „{filename}“ ist zu groß: höchstens {} sind erlaubt; nichts wurde gespeichert.",
                lead_present::german::file_size(*max as u64)
            ),
            ApiError::FilesTooLarge(TooLarge::Files(max)) => {
                format!("Zu viele Dateien: höchstens {max} sind erlaubt; nichts wurde gespeichert.")
            }
            ApiError::FilesTooLarge(TooLarge::Total(max)) => format!(
                "Die Dateien sind zusammen zu groß: höchstens {} sind erlaubt; nichts wurde gespeichert.",
                lead_present::german::file_size(*max as u64)
            ),
            ApiError::InvalidLink => {
                "Dieser Download-Link ist ungültig oder abgelaufen. Bitte laden Sie die Datei im CRM herunter.".into()
            }
            ApiError::MethodNotAllowed(allow) => format!("Diese Adresse akzeptiert nur {allow}."),
            ApiError::NotFound(message) | ApiError::Saturated(message) => (*message).into(),
            ApiError::Conflict(message) => message.clone(),
            ApiError::Csrf => "Das Formular war abgelaufen oder kam nicht von dieser Seite; es wurde nichts geändert. \
                 Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
                .into(),
            ApiError::AdminOnly => "Das dürfen nur die Administratoren Ihrer Firma; es wurde nichts geändert.".into(),
            ApiError::LockedOut => {
                "Zu viele falsche Passwörter: die Anmeldung von Ihrer Adresse aus ist vorübergehend gesperrt.".into()
            }
            ApiError::MissingField(field) => format!("Das Pflichtfeld „{field}“ fehlt."),
            ApiError::InvalidField { message, .. } => message.clone(),
            ApiError::Unavailable(_) => "Die Datenbank ist nicht erreichbar.".into(),
            ApiError::IdempotencyConflict => "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet. \
                 Die Anfrage wurde trotzdem gespeichert und wartet auf die Prüfung durch den Betreiber; \
                 bitte nicht erneut senden."
                .into(),
            ApiError::RateLimited(seconds) => {
                format!("Zu viele Anfragen; die Anfrage wurde nicht gespeichert. Bitte in {seconds} s erneut senden.")
            }
            ApiError::WritesLimited(seconds) => format!(
                "Zu viele Änderungen in kurzer Zeit mit diesem Zugang; es wurde nichts geändert. Bitte in {seconds} s erneut versuchen."
            ),
            ApiError::Busy => {
                "Der Server ist gerade ausgelastet; die Anfrage wurde nicht gespeichert. Bitte in einer Sekunde erneut senden."
                    .into()
            }
            ApiError::Internal(_) => {
                "Interner Serverfehler: die Anfrage wurde nicht gespeichert. Bitte später erneut versuchen.".into()
            }
            ApiError::NotReady => "Dieser Server nimmt gerade keine neuen Anfragen an (er wird beendet).".into(),
        }
    }
}

fn lead_message(error: &LeadError) -> String {
    match error {
        LeadError::InvalidJson(JsonProblem::Syntax) => "Der Inhalt ist kein gültiges JSON.".into(),
        LeadError::InvalidJson(JsonProblem::NotAnObject) => "Der Inhalt muss ein JSON-Objekt sein.".into(),
        LeadError::InvalidJson(JsonProblem::DuplicateKey(key)) => {
            format!("Das Feld „{key}“ kommt mehrfach vor; jedes Feld darf nur einmal gesendet werden.")
        }
        LeadError::InvalidJson(JsonProblem::TooDeep) => "Der Inhalt ist zu tief verschachtelt.".into(),
        LeadError::MissingType => "Das Pflichtfeld „type“ fehlt.".into(),
        LeadError::InvalidType => "Das Feld „type“ muss „order“ oder „ticket“ sein.".into(),
        LeadError::MissingField(field) => format!("Das Pflichtfeld „{field}“ fehlt."),
        LeadError::InvalidField { field, reason } => match reason {
            Invalid::WrongType => format!("Das Feld „{field}“ muss Text sein."),
            Invalid::TooLong(max) => format!("Das Feld „{field}“ ist länger als {max} Zeichen."),
            Invalid::Nul => format!("Das Feld „{field}“ enthält ein NUL-Zeichen (\\u0000)."),
            Invalid::Attachments => format!(
                "Das Feld „{field}“ muss eine Liste von Dateien sein: [{{\"filename\": …, \"data\": \"<Base64>\"}}]."
            ),
            Invalid::Email => format!("Das Feld „{field}“ enthält keine gültige E-Mail-Adresse."),
            Invalid::Money { reason, value } => {
                let value = shortened(value);
                match reason {
                    MoneyError::NotAnAmount => format!(
                        "Der Betrag „{value}“ im Feld „{field}“ ist nicht lesbar: erwartet wird eine Zahl \
                         wie 49.90 oder ein Betrag wie „1.234,50 €“."
                    ),
                    MoneyError::Negative => format!("Der Betrag „{value}“ im Feld „{field}“ darf nicht negativ sein."),
                    MoneyError::TooLarge => format!(
                        "Der Betrag „{value}“ im Feld „{field}“ ist zu groß: höchstens 99.999.999,99 € sind erlaubt."
                    ),
                }
            }
        },
    }
}

/// A value for a message: at most 40 characters, `…` marking a cut.
fn shortened(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Auth(AuthError::MissingKey | AuthError::Unauthorized) | ApiError::LockedOut => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Auth(AuthError::InvalidKey | AuthError::Forbidden)
            | ApiError::OriginNotAllowed
            | ApiError::Csrf
            | ApiError::AdminOnly
            | ApiError::InvalidLink => StatusCode::FORBIDDEN,
            ApiError::Lead(_)
            | ApiError::UnreadableBody
            | ApiError::TooManyFields(_)
            | ApiError::MissingField(_)
            | ApiError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) | ApiError::FilesTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::Busy | ApiError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited(_) | ApiError::WritesLimited(_) | ApiError::Saturated(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::IdempotencyConflict => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = crate::json(self.status_code(), &self.body());
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        let headers = response.headers_mut();
        match self {
            ApiError::MethodNotAllowed(allow) => {
                headers.insert(header::ALLOW, header::HeaderValue::from_static(allow));
            }
            ApiError::Auth(AuthError::Unauthorized) => {
                headers.insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            }
            ApiError::RequestTimeout => {
                // The rest of the body may still trickle in: do not read it, hang up.
                response
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
            }
            _ => {}
        }
        response
    }
}
