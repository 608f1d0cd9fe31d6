//! The dashboard's renderer of the one error classification ([`ApiError`]): a German page
//! instead of the JSON body, and the login page instead of a `401`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use lead_auth::AuthError;

use super::pages;
use crate::ApiError;

/// An [`ApiError`] answered as a page, or a session sent elsewhere first.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The error, as a page.
    Failed(ApiError),
    /// Not for this session: to this page first (a session a one-time password opened goes
    /// to the page where the employee sets their own).
    Elsewhere(&'static str),
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError::Failed(error.into())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Failed(error) => error.fmt(f),
            PageError::Elsewhere(path) => write!(f, "to {path} first"),
        }
    }
}

impl PageError {
    /// Not logged in, or the session ended.
    pub(crate) fn login() -> PageError {
        PageError::Failed(ApiError::Auth(AuthError::Unauthorized))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            // To the login page.
            PageError::Failed(ApiError::Auth(_)) | PageError::Elsewhere(_) => StatusCode::SEE_OTHER,
            PageError::Failed(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            PageError::Failed(error) => error,
            PageError::Elsewhere(path) => return super::see_other(path),
        };
        error.log();
        let title = match error {
            ApiError::Auth(_) => return super::see_other("/app/login"),
            ApiError::Csrf => "Sicherheitsprüfung fehlgeschlagen",
            ApiError::AdminOnly => "Nur für Administratoren",
            ApiError::NotFound(_) => "Nicht gefunden",
            ApiError::RateLimited(_) => "Zu viele Versuche",
            ApiError::WritesLimited(_) => "Zu viele Änderungen",
            ApiError::Saturated(_) => "Bitte einen Moment warten",
            ApiError::Internal(_) | ApiError::Unavailable(_) | ApiError::Busy => "Fehler",
            _ => "Nicht möglich",
        };
        let text = match error {
            ApiError::NotFound(_) => "Diese Seite oder diesen Eintrag gibt es nicht.".to_owned(),
            ApiError::RateLimited(_) => {
                "Von Ihrer Adresse kamen gerade zu viele Anfragen. Bitte warten Sie einen Moment.".to_owned()
            }
            ApiError::Internal(_) | ApiError::Unavailable(_) => {
                "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.".to_owned()
            }
            ApiError::Csrf
            | ApiError::Busy
            | ApiError::AdminOnly
            | ApiError::Saturated(_)
            | ApiError::WritesLimited(_) => error.message(),
            _ => format!("Das ging nicht: {}", error.message()),
        };
        let mut response = crate::html(self.status_code(), pages::message(title, &text));
        if let Some(seconds) = error.retry_after() {
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(seconds),
            );
        }
        response
    }
}
