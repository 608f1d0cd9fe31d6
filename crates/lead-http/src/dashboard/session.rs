//! Who is logged in: the session cookie (an employee token that expires), checked like a
//! team-API token, and the CSRF token of every form, derived from the session.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use lead_auth::{csrf_token, EmployeeToken};
use lead_store::{Member, Store};

use super::{see_other, DashboardConfig, PageError};
use crate::limits::RateLimits;
use crate::member::member_of;
use crate::request::read_body;
use crate::{ApiError, HttpConfig};

/// The session cookie: the employee token of the session.
pub(crate) const SESSION_COOKIE: &str = "lead_session";

/// Where an employee sets their own password: the one page a session a one-time password
/// opened may see (besides logging out).
pub(crate) const PASSWORD_PAGE: &str = "/app/settings/password";

/// Whether `given` is `expected`, compared in constant time: how long a wrong token takes
/// says nothing about how much of it was right.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// A cookie's value from the request's `Cookie` header.
pub(crate) fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Adds a `Set-Cookie` for the dashboard to `response`: HttpOnly, SameSite=Lax, Path=/app,
/// and Secure behind TLS (as a trusted proxy reports it) or always if so configured.
pub(crate) fn set_cookie(
    response: &mut HttpResponse,
    req: &HttpRequest,
    config: &DashboardConfig,
    name: &str,
    value: &str,
    max_age: Duration,
) {
    let behind_tls = req
        .app_data::<web::Data<RateLimits>>()
        .is_some_and(|limits| limits.forwarded_https(req));
    let secure = config.always_secure_cookies || behind_tls;
    let cookie = format!(
        "{name}={value}; Path=/app; Max-Age={}; HttpOnly; SameSite=Lax{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The logged-in employee of a request: a handler that takes it runs only for a valid
/// session (not expired, not ended, employee and company active); others go to the login.
pub(crate) struct Session {
    pub(crate) member: Member,
    pub(crate) csrf: String,
    /// The team's time zone (`[dashboard] time_zone`): every time on a page is shown in it.
    pub(crate) zone: lead_domain::TimeZone,
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Session, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let secret = cookie(req, SESSION_COOKIE);
        let store = req.app_data::<web::Data<Store>>().cloned();
        let zone = req
            .app_data::<web::Data<crate::HttpConfig>>()
            .map_or(lead_domain::TimeZone::UTC, |config| config.dashboard.time_zone.clone());
        let password_page = matches!(req.path(), PASSWORD_PAGE | "/app/logout");
        Box::pin(async move {
            let secret = secret.ok_or_else(PageError::login)?;
            let store = store.ok_or_else(|| ApiError::Internal("the store is not configured".into()))?;
            let token = EmployeeToken::presented(&secret);
            let member = match member_of(&store, Some(&token), lead_auth::TokenKind::Session).await {
                Ok(member) => member,
                Err(ApiError::Auth(_)) => return Err(PageError::login()),
                Err(error) => return Err(error.into()),
            };
            if member.password_only && !password_page {
                return Err(PageError::Elsewhere(PASSWORD_PAGE));
            }
            Ok(Session {
                member,
                csrf: csrf_token(&secret),
                zone,
            })
        })
    }
}

/// A form posted by a logged-in employee, its CSRF token checked: a request another site
/// made the browser send carries the cookie, but not the token.
pub(crate) struct Posted {
    pub(crate) session: Session,
    pub(crate) fields: Vec<(String, String)>,
}

impl FromRequest for Posted {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Posted, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Session::from_request(req, payload);
        let body = web::Payload::from_request(req, payload);
        let config = req.app_data::<web::Data<HttpConfig>>().cloned();
        let limits = crate::member::writes(req);
        let req = req.clone();
        Box::pin(async move {
            let session = session.await?;
            let config = config.ok_or_else(|| ApiError::Internal("the HTTP settings are missing".into()))?;
            let fields = form(
                &req,
                body.await.map_err(|e| ApiError::Internal(e.to_string()))?,
                &config,
            )
            .await?;
            if !field(&fields, "csrf").is_some_and(|token| same_secret(token, &session.csrf)) {
                return Err(ApiError::Csrf.into());
            }
            // What the session may change per second, like a team-API token.
            if let Some(limits) = limits {
                limits.check_writes(session.member.token_id)?;
            }
            Ok(Posted { session, fields })
        })
    }
}

impl Posted {
    /// A field of the form.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }

    /// Where to go after the form: its `back` path inside the dashboard, else `fallback`.
    pub(crate) fn back(&self, fallback: &str) -> HttpResponse {
        // Only a path inside the dashboard, and one a Location header can carry.
        let usable = |path: &str| {
            path.starts_with("/app/")
                && !path.chars().any(char::is_control)
                && header::HeaderValue::from_str(path).is_ok()
        };
        match self.field("back") {
            Some(path) if usable(path) => see_other(path),
            _ => see_other(fallback),
        }
    }
}

/// The fields of a submitted form.
pub(crate) async fn form(
    req: &HttpRequest,
    body: web::Payload,
    config: &HttpConfig,
) -> Result<Vec<(String, String)>, PageError> {
    let bytes = read_body(req, body, config).await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// A field of a form.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}
