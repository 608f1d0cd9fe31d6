//! The team's dashboard under `/app`: server-rendered pages in German for the order inbox,
//! tickets, customer files and notifications, with a live bell. Employees log in with email
//! and password; a session is an employee token that expires, kept in an HttpOnly cookie.
//! Every form carries a CSRF token derived from the session.

mod pages;

pub(crate) use pages::standalone;

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use lead_auth::{authorize_employee, csrf_token, EmployeeToken};
use lead_domain::{OrderStatus, TicketStatus, Timestamp};
use lead_store::{Id, Member, Notification, Store};
use maud::Markup;

use crate::limits::RateLimits;
use crate::{read_body, HttpConfig};
use pages::Viewer;

/// The session cookie: the employee token of the session.
const SESSION_COOKIE: &str = "lead_session";
/// The login form's CSRF cookie (double submit: there is no session yet).
const LOGIN_CSRF_COOKIE: &str = "lead_login_csrf";
/// Notifications shown in the bell's list.
const BELL_ITEMS: i64 = 8;

/// Settings of the dashboard.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// How long a login lasts.
    pub session: Duration,
    /// Wrong passwords in a row that lock an account…
    pub max_failed_logins: u32,
    /// …for this long.
    pub lockout: Duration,
    /// Mark the session cookie `Secure` always, not only when the request came over HTTPS.
    pub always_secure_cookies: bool,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            session: Duration::from_secs(12 * 3600),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            always_secure_cookies: false,
        }
    }
}

/// Why a page is not shown.
#[derive(Debug)]
enum PageError {
    /// Not logged in (or the session ended): to the login page.
    Login,
    /// The form's CSRF token is missing or wrong: nothing was changed.
    Csrf,
    /// No such record in the employee's company.
    NotFound,
    /// A request the page cannot take (a bad form value).
    Invalid(String),
    /// Too many requests from this client (the per-IP rate limit).
    TooMany,
    /// Something failed inside; the cause is logged.
    Internal(String),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<lead_store::StoreError> for PageError {
    fn from(error: lead_store::StoreError) -> Self {
        match error {
            lead_store::StoreError::NotFound(_) => PageError::NotFound,
            lead_store::StoreError::Conflict(message) => PageError::Invalid(message),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        PageError::Internal(error.to_string())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Invalid(_) => StatusCode::BAD_REQUEST,
            PageError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, text) = match self {
            PageError::Login => return see_other("/app/login"),
            PageError::Csrf => (
                "Sicherheitsprüfung fehlgeschlagen",
                "Das Formular war abgelaufen oder kam nicht von dieser Seite; es wurde nichts geändert. \
                 Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
                    .to_owned(),
            ),
            PageError::NotFound => (
                "Nicht gefunden",
                "Diese Seite oder diesen Eintrag gibt es nicht.".to_owned(),
            ),
            PageError::Invalid(message) => ("Nicht möglich", format!("Das ging nicht: {message}")),
            PageError::TooMany => (
                "Zu viele Versuche",
                "Von Ihrer Adresse kamen gerade zu viele Anfragen. Bitte warten Sie einen Moment.".to_owned(),
            ),
            PageError::Internal(cause) => {
                log::error!("dashboard page failed: {cause}");
                (
                    "Fehler",
                    "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.".to_owned(),
                )
            }
        };
        crate::html(self.status_code(), pages::message(title, &text))
    }
}

type PageResult = Result<HttpResponse, PageError>;

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A cookie's value from the request's `Cookie` header.
fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for the dashboard: HttpOnly, SameSite=Lax, Path=/app, and Secure
/// behind TLS (as a trusted proxy reports it) or always if so configured.
fn set_cookie(req: &HttpRequest, config: &DashboardConfig, name: &str, value: &str, max_age: Duration) -> String {
    let behind_tls = req
        .app_data::<web::Data<RateLimits>>()
        .is_some_and(|limits| limits.forwarded_https(req));
    let secure = config.always_secure_cookies || behind_tls;
    format!(
        "{name}={value}; Path=/app; Max-Age={}; HttpOnly; SameSite=Lax{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The logged-in employee of a request.
struct Session {
    member: Member,
    name: String,
    csrf: String,
}

/// The session of the request's cookie, if it is valid (not expired, not ended, employee and
/// company active).
async fn session(req: &HttpRequest, store: &web::Data<Store>) -> Result<Session, PageError> {
    let secret = cookie(req, SESSION_COOKIE).ok_or(PageError::Login)?;
    let token = EmployeeToken::presented(&secret);
    let store = store.clone().into_inner();
    let hash = token.hash();
    let found = web::block(move || -> Result<_, lead_store::StoreError> {
        let Some(lookup) = store.find_token_by_hash(hash.as_str())? else {
            return Ok(None);
        };
        let employee = store.find_employee(lookup.employee_id)?;
        Ok(Some((lookup, employee.name)))
    })
    .await??;
    let (lookup, name) = found.ok_or(PageError::Login)?;
    let found = Some((crate::member::member(lookup), crate::member::state(lookup)));
    let member = authorize_employee(Some(&token), found).map_err(|_| PageError::Login)?;
    Ok(Session {
        member,
        name,
        csrf: csrf_token(&secret),
    })
}

/// A page for `session`: the layout with the bell's count and latest notifications.
async fn page(store: &web::Data<Store>, session: &Session, title: &str, active: &str, body: Markup) -> PageResult {
    let employee = session.member.employee_id;
    let store = store.clone().into_inner();
    let (unread, recent): (Vec<Notification>, Vec<Notification>) = web::block(move || {
        Ok::<_, lead_store::StoreError>((
            store.list_notifications(employee, true, None, Some(100))?,
            store.list_notifications(employee, false, None, Some(BELL_ITEMS))?,
        ))
    })
    .await??;
    let viewer = Viewer {
        name: &session.name,
        csrf: &session.csrf,
        unread: unread.len(),
        recent: &recent,
    };
    Ok(crate::html(StatusCode::OK, pages::layout(title, active, &viewer, body)))
}

/// The fields of a submitted form.
async fn form(body: web::Payload, config: &HttpConfig) -> Result<Vec<(String, String)>, PageError> {
    let bytes = read_body(None, body, config)
        .await
        .map_err(|e| PageError::Invalid(e.message()))?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The session of a form post, with its CSRF token checked: a request another site made the
/// browser send carries the cookie, but not the token.
async fn posted(
    req: &HttpRequest,
    store: &web::Data<Store>,
    body: web::Payload,
    config: &HttpConfig,
) -> Result<(Session, Vec<(String, String)>), PageError> {
    let session = session(req, store).await?;
    let fields = form(body, config).await?;
    match field(&fields, "csrf") {
        Some(token) if token == session.csrf => Ok((session, fields)),
        _ => Err(PageError::Csrf),
    }
}

/// Where to go after a form: the given `back` path inside the dashboard, else `fallback`.
fn back(fields: &[(String, String)], fallback: &str) -> HttpResponse {
    // Only a path inside the dashboard, and one a Location header can carry.
    let usable = |path: &str| {
        path.starts_with("/app/") && !path.chars().any(char::is_control) && header::HeaderValue::from_str(path).is_ok()
    };
    match field(fields, "back") {
        Some(path) if usable(path) => see_other(path),
        _ => see_other(fallback),
    }
}

fn record_id(path: &str) -> Result<Id, PageError> {
    path.parse::<Id>().ok().filter(|id| *id > 0).ok_or(PageError::NotFound)
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    store: &web::Data<Store>,
    work: impl FnOnce(&Store) -> Result<T, lead_store::StoreError> + Send + 'static,
) -> Result<T, PageError> {
    let store = store.clone().into_inner();
    Ok(web::block(move || work(&store)).await??)
}

// --- login and logout ------------------------------------------------------------------------

async fn login_page(req: HttpRequest, store: web::Data<Store>, config: web::Data<HttpConfig>) -> HttpResponse {
    if session(&req, &store).await.is_ok() {
        return see_other("/app/orders");
    }
    let csrf = match EmployeeToken::generate() {
        Ok(token) => csrf_token(token.expose()),
        Err(error) => return PageError::Internal(error.to_string()).error_response(),
    };
    let mut response = crate::html(StatusCode::OK, pages::login(&csrf, "", None));
    let cookie = set_cookie(
        &req,
        &config.dashboard,
        LOGIN_CSRF_COOKIE,
        &csrf,
        Duration::from_secs(3600),
    );
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Email and password: the first active employee with that email whose password matches.
/// Wrong passwords count per account and client address: past the limit that address is
/// locked out of that account for a while (an attacker elsewhere cannot lock the employee
/// out). Each attempt is reserved before the password is checked, so attempts sent at once
/// cannot slip past the count. The answer never tells whether the email exists, or which
/// part was wrong, or whether a lock is in place.
async fn login(
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    crate::auth::check_client(&req).map_err(|_| PageError::TooMany)?;
    let fields = form(body, &config).await?;
    let csrf = cookie(&req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty() || field(&fields, "csrf") != Some(csrf.as_str()) {
        return Err(PageError::Csrf);
    }
    let email = field(&fields, "email").unwrap_or_default().trim().to_owned();
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    let client = match req.app_data::<web::Data<RateLimits>>() {
        Some(limits) => limits.client_ip(&req),
        None => req.peer_addr().map(|addr| addr.ip()),
    }
    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    // argon2 takes tens of milliseconds of a core: a few at a time, the others wait without
    // holding a thread the database calls need.
    let _turn = password_checks()
        .acquire()
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let dashboard = config.dashboard.clone();
    let who = client.clone();
    let found = blocking(&store, move |store| {
        let lockout = i64::try_from(dashboard.lockout.as_millis()).unwrap_or(i64::MAX);
        let mut checked = false;
        for candidate in store.login_candidates(&email)? {
            if !store.reserve_login_attempt(candidate.employee_id, &who)? {
                continue; // this address is locked out of this account
            }
            checked = true;
            if lead_auth::verify_password(&password, candidate.password_hash.as_deref().unwrap_or_default()) {
                return Ok(Some(candidate.employee_id));
            }
            store.note_failed_login(candidate.employee_id, &who, dashboard.max_failed_logins, lockout)?;
        }
        if !checked {
            // The same work as a real check, so the time taken tells nothing.
            lead_auth::verify_password(&password, DUMMY_HASH);
        }
        Ok(None)
    })
    .await?;
    drop(_turn);
    let refused = || {
        let minutes = config.dashboard.lockout.as_secs() / 60;
        let error = format!(
            "E-Mail oder Passwort ist falsch. Nach {} Fehlversuchen wird die Anmeldung von Ihrer Adresse aus für {minutes} Minuten gesperrt.",
            config.dashboard.max_failed_logins
        );
        crate::html(
            StatusCode::UNAUTHORIZED,
            pages::login(&csrf, field(&fields, "email").unwrap_or_default(), Some(&error)),
        )
    };
    let Some(employee_id) = found else {
        return Ok(refused());
    };
    let token = EmployeeToken::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    let lifetime = config.dashboard.session;
    let expires_at = Timestamp::now().millis() + i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
    let (prefix, hash) = (token.display_prefix(), token.hash());
    let started = blocking(&store, move |store| {
        store.start_session(employee_id, &client, &prefix, hash.as_str(), expires_at)
    })
    .await;
    match started {
        Ok(_) => {}
        // Locked out meanwhile by wrong attempts sent at the same time.
        Err(PageError::Invalid(_)) => return Ok(refused()),
        Err(other) => return Err(other),
    }
    let mut response = see_other("/app/orders");
    for cookie in [
        set_cookie(&req, &config.dashboard, SESSION_COOKIE, token.expose(), lifetime),
        set_cookie(&req, &config.dashboard, LOGIN_CSRF_COOKIE, "", Duration::ZERO),
    ] {
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// Password checks running at once: one per core.
fn password_checks() -> &'static tokio::sync::Semaphore {
    static CHECKS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    CHECKS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from)))
}

/// An argon2id hash of nothing anyone knows, to spend the same time on unknown emails.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Fq1oQBhS0JcnIUMN7jN1j2m8FDk9DbhNdvW7s1FqtM";

async fn logout(
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let (session, _) = posted(&req, &store, body, &config).await?;
    let token_id = session.member.token_id;
    blocking(&store, move |store| store.end_session(token_id)).await?;
    let mut response = see_other("/app/login");
    let cookie = set_cookie(&req, &config.dashboard, SESSION_COOKIE, "", Duration::ZERO);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

// --- pages -------------------------------------------------------------------------------------

fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

async fn orders(req: HttpRequest, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let status = query_value(&req, "status").and_then(|s| s.parse::<OrderStatus>().ok());
    let company = session.member.company_id;
    let list = blocking(&store, move |s| s.list_orders(company, status, None, Some(200))).await?;
    let status = status.map(|s| s.as_str());
    page(
        &store,
        &session,
        "Web-Bestellungen",
        "orders",
        pages::orders(&list, status, &session.csrf),
    )
    .await
}

async fn decide(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
    decision: OrderStatus,
) -> PageResult {
    let id = record_id(&path)?;
    let (session, fields) = posted(&req, &store, body, &config).await?;
    let member = session.member;
    blocking(&store, move |s| s.decide_order(member, id, decision)).await?;
    Ok(back(&fields, "/app/orders"))
}

async fn accept(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    decide(req, path, body, store, config, OrderStatus::Accepted).await
}

async fn reject(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    decide(req, path, body, store, config, OrderStatus::Rejected).await
}

async fn tickets(req: HttpRequest, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let status = query_value(&req, "status").and_then(|s| s.parse::<TicketStatus>().ok());
    let company = session.member.company_id;
    let list = blocking(&store, move |s| s.list_tickets(company, status, None, Some(200))).await?;
    let status = status.map(|s| s.as_str());
    page(&store, &session, "Tickets", "tickets", pages::tickets(&list, status)).await
}

async fn ticket(req: HttpRequest, path: web::Path<String>, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let id = record_id(&path)?;
    let company = session.member.company_id;
    let (ticket, customers) = blocking(&store, move |s| {
        let ticket = s.get_ticket(company, id)?;
        let customers = match ticket.customer_id {
            Some(_) => Vec::new(),
            None => s.list_customers(company, None, None, Some(500))?,
        };
        Ok((ticket, customers))
    })
    .await?;
    let body = pages::ticket(&ticket, &customers, &session.csrf);
    page(&store, &session, &ticket.title, "tickets", body).await
}

async fn set_ticket(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
    status: TicketStatus,
) -> PageResult {
    let id = record_id(&path)?;
    let (session, _) = posted(&req, &store, body, &config).await?;
    let member = session.member;
    blocking(&store, move |s| s.set_ticket_status(member, id, status)).await?;
    Ok(see_other(&format!("/app/tickets/{id}")))
}

async fn close(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    set_ticket(req, path, body, store, config, TicketStatus::Closed).await
}

async fn reopen(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    set_ticket(req, path, body, store, config, TicketStatus::Open).await
}

async fn assign(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let id = record_id(&path)?;
    let (session, fields) = posted(&req, &store, body, &config).await?;
    let customer = field(&fields, "customer_id")
        .and_then(|v| v.parse::<Id>().ok())
        .ok_or_else(|| PageError::Invalid("kein Kunde gewählt".into()))?;
    let company = session.member.company_id;
    blocking(&store, move |s| s.assign_ticket(company, id, customer)).await?;
    Ok(see_other(&format!("/app/tickets/{id}")))
}

async fn customers(req: HttpRequest, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let q = query_value(&req, "q").unwrap_or_default();
    let company = session.member.company_id;
    let search = q.clone();
    let list = blocking(&store, move |s| {
        s.list_customers(
            company,
            Some(search.as_str()).filter(|q| !q.is_empty()),
            None,
            Some(200),
        )
    })
    .await?;
    page(&store, &session, "Kunden", "customers", pages::customers(&list, &q)).await
}

async fn customer(req: HttpRequest, path: web::Path<String>, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let id = record_id(&path)?;
    let company = session.member.company_id;
    let file = blocking(&store, move |s| s.customer_file(company, id)).await?;
    page(
        &store,
        &session,
        &file.customer.name.clone(),
        "customers",
        pages::customer_file(&file),
    )
    .await
}

async fn notifications(req: HttpRequest, store: web::Data<Store>) -> PageResult {
    let session = session(&req, &store).await?;
    let employee = session.member.employee_id;
    let list = blocking(&store, move |s| s.list_notifications(employee, false, None, Some(200))).await?;
    page(
        &store,
        &session,
        "Benachrichtigungen",
        "",
        pages::notifications(&list, &session.csrf),
    )
    .await
}

async fn read_one(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let id = record_id(&path)?;
    let (session, _) = posted(&req, &store, body, &config).await?;
    let member = session.member;
    blocking(&store, move |s| s.mark_notification_read(member, id)).await?;
    Ok(see_other("/app/notifications"))
}

async fn read_all(
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let (session, _) = posted(&req, &store, body, &config).await?;
    let member = session.member;
    blocking(&store, move |s| s.mark_all_notifications_read(member)).await?;
    Ok(see_other("/app/notifications"))
}

/// The live bell: the same stream as the team API's, authenticated by the session cookie.
async fn stream(
    req: HttpRequest,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, PageError> {
    let session = session(&req, &store).await?;
    crate::live::open(session.member, &req, store, config)
        .await
        .map_err(|e| PageError::Invalid(e.message()))
}

async fn asset(req: HttpRequest) -> HttpResponse {
    let (content_type, body) = match req.path() {
        "/app/app.js" => ("text/javascript; charset=utf-8", include_str!("app.js")),
        _ => ("text/css; charset=utf-8", include_str!("app.css")),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// Registers the dashboard's pages (not part of the API, so not in the OpenAPI description).
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app").route(web::get().to(|| async { see_other("/app/orders") })))
        .service(web::resource("/app/").route(web::get().to(|| async { see_other("/app/orders") })))
        .service(
            web::resource("/app/login")
                .route(web::get().to(login_page))
                .route(web::post().to(login)),
        )
        .service(web::resource("/app/logout").route(web::post().to(logout)))
        .service(web::resource(["/app/app.js", "/app/app.css"]).route(web::get().to(asset)))
        .service(web::resource("/app/orders").route(web::get().to(orders)))
        .service(web::resource("/app/orders/{id}/accept").route(web::post().to(accept)))
        .service(web::resource("/app/orders/{id}/reject").route(web::post().to(reject)))
        .service(web::resource("/app/tickets").route(web::get().to(tickets)))
        .service(web::resource("/app/tickets/{id}").route(web::get().to(ticket)))
        .service(web::resource("/app/tickets/{id}/close").route(web::post().to(close)))
        .service(web::resource("/app/tickets/{id}/reopen").route(web::post().to(reopen)))
        .service(web::resource("/app/tickets/{id}/assign").route(web::post().to(assign)))
        .service(web::resource("/app/customers").route(web::get().to(customers)))
        .service(web::resource("/app/customers/{id}").route(web::get().to(customer)))
        .service(web::resource("/app/notifications").route(web::get().to(notifications)))
        .service(web::resource("/app/notifications/stream").route(web::get().to(stream)))
        .service(web::resource("/app/notifications/read-all").route(web::post().to(read_all)))
        .service(web::resource("/app/notifications/{id}/read").route(web::post().to(read_one)));
}
