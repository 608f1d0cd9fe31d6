//! Logging in with email and password, and out.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use lead_auth::EmployeeToken;
use lead_auth::Signed;
use lead_domain::Timestamp;
use lead_store::{LoginClient, Store};

use super::session::{cookie, field, form, same_secret, set_cookie, Posted, Session, SESSION_COOKIE};
use super::{pages, see_other, PageResult};
use crate::request::{blocking, client_ip};
use crate::{ApiError, HttpConfig};

/// The login form's CSRF cookie: there is no session yet, so the token is sent twice (cookie
/// and field) and signed by the server, so that nobody else can make a pair that passes.
const LOGIN_CSRF_COOKIE: &str = "lead_login_csrf";

/// A browser's device cookie: given after a successful login, signed by the server for that
/// login. A login from a browser with it is held by its own count of wrong passwords only,
/// never by the account throttle that guesses from elsewhere set off (OWASP's "device
/// cookies"), so strangers cannot keep the employee out.
const DEVICE_COOKIE: &str = "lead_device";

/// How long a browser stays known without logging in again.
const DEVICE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// Who tries to log in, owned to cross into the store's threads.
#[derive(Clone)]
enum Trying {
    /// A browser whose device cookie was made for this login: its nonce.
    KnownBrowser(String),
    /// Anyone else, by client address.
    Address(String),
}

impl Trying {
    fn client(&self) -> LoginClient<'_> {
        match self {
            Trying::KnownBrowser(nonce) => LoginClient::Device(nonce),
            Trying::Address(address) => LoginClient::Address(address),
        }
    }
}

pub(crate) async fn login_page(
    req: HttpRequest,
    session: Option<Session>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    if session.is_some() {
        return Ok(see_other("/app/orders"));
    }
    let csrf = lead_auth::signed_token(&config.dashboard.login_key.0, Signed::LoginCsrf)
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    let mut response = crate::html(StatusCode::OK, pages::login(&csrf, "", None));
    set_cookie(
        &mut response,
        &req,
        &config.dashboard,
        LOGIN_CSRF_COOKIE,
        &csrf,
        Duration::from_secs(3600),
    );
    Ok(response)
}

/// Whether a form post came from a page of this server: its `Origin`, where the browser sends
/// one (every current browser does on a POST), names the host it was sent to.
fn from_this_site(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else {
        return true;
    };
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|host| host.to_str().ok());
    let origin = origin.to_str().unwrap_or("null");
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
}

/// Email and password: the first active employee with that email whose password matches.
/// Wrong passwords count per login and client address: past the limit that address is
/// locked out of that login for a while (an attacker elsewhere cannot lock the employee
/// out); and per login from every address together: past that limit each further wrong
/// password makes the login wait longer (1 s, 2 s, 4 s …), so many addresses do not buy
/// many guesses. A browser the employee logged in with before (its device cookie) is held by
/// its own count only, so strangers cannot keep the employee out. Each attempt is reserved
/// before the password is checked, so attempts sent
/// at once cannot slip past a count. Unknown and known emails cost the same store work and
/// the same password check; the answer never tells whether the email exists, or which part
/// was wrong, or whether a lock is in place.
pub(crate) async fn login(
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    crate::auth::check_client(&req)?;
    if !from_this_site(&req) {
        return Err(ApiError::Csrf.into());
    }
    let fields = form(&req, body, &config).await?;
    let csrf = cookie(&req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let signed = lead_auth::signed_nonce(&config.dashboard.login_key.0, Signed::LoginCsrf, &csrf).is_some();
    if !signed || !field(&fields, "csrf").is_some_and(|given| same_secret(given, &csrf)) {
        return Err(ApiError::Csrf.into());
    }
    let email = field(&fields, "email").unwrap_or_default().trim().to_owned();
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    let login = email.to_lowercase();
    let key = &config.dashboard.login_key.0;
    let trying = match cookie(&req, DEVICE_COOKIE)
        .as_deref()
        .and_then(|device| lead_auth::signed_nonce(key, Signed::Device(&login), device))
    {
        Some(nonce) => Trying::KnownBrowser(nonce.to_owned()),
        None => Trying::Address(client_ip(&req).map_or_else(|| "unknown".to_owned(), crate::limits::client_label)),
    };
    // A place among the password checks first: when the line is full, the answer is 429 and
    // nothing about the attempt was counted.
    let place = config.dashboard.password_checks.place()?;
    let limits = config.dashboard.logins;
    let (who, typed) = (trying.clone(), email.clone());
    let candidates = blocking(&store, move |store| -> Result<_, lead_store::StoreError> {
        if !store.access().reserve_login_attempt(&typed, who.client(), limits)? {
            return Ok(None);
        }
        store.access().login_candidates(&typed).map(Some)
    })
    .await?;
    let reserved = candidates.is_some();
    let candidates = candidates.unwrap_or_default();
    // Unknown emails and refused attempts are checked against a hash nobody knows the
    // password of: the time taken tells nothing.
    let hashes = candidates
        .iter()
        .map(|candidate| candidate.password_hash.clone().unwrap_or_default())
        .collect();
    let matching = place.matching(password, hashes).await?;
    if matching.is_none() && reserved {
        let who = trying.clone();
        blocking(&store, move |store| {
            store.access().note_failed_login(&email, who.client(), limits)
        })
        .await?;
    }
    let refused = || {
        let limits = config.dashboard.logins;
        let error = format!(
            "E-Mail oder Passwort ist falsch. Nach {} Fehlversuchen wird die Anmeldung von Ihrer Adresse aus für {} Minuten gesperrt; nach vielen Fehlversuchen von verschiedenen Adressen müssen Sie kurz warten.",
            limits.per_client,
            limits.lockout_ms / 60_000
        );
        crate::html(
            StatusCode::UNAUTHORIZED,
            pages::login(&csrf, field(&fields, "email").unwrap_or_default(), Some(&error)),
        )
    };
    let Some(candidate) = matching.and_then(|index| candidates.get(index)) else {
        return Ok(refused());
    };
    let (employee_id, checked) = (
        candidate.employee_id,
        candidate.password_hash.clone().unwrap_or_default(),
    );
    let token = EmployeeToken::generate().map_err(|e| ApiError::Internal(e.to_string()))?;
    let lifetime = config.dashboard.session;
    let expires_at = Timestamp::from_millis(
        Timestamp::now()
            .millis()
            .saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX)),
    );
    let session = token.clone();
    let known_browser = matches!(trying, Trying::KnownBrowser(_));
    let one_time = match blocking(&store, move |store| {
        store
            .access()
            .start_session(employee_id, trying.client(), &session, expires_at, &checked)
    })
    .await
    {
        Ok((_, one_time)) => one_time,
        // Locked out meanwhile by wrong attempts sent at the same time, or the password
        // changed (a one-time password consumed) while it was checked.
        Err(ApiError::LockedOut) => return Ok(refused()),
        Err(other) => return Err(other.into()),
    };
    // A one-time password opens only the page to set one's own.
    let mut response = see_other(if one_time {
        super::session::PASSWORD_PAGE
    } else {
        "/app/orders"
    });
    set_cookie(
        &mut response,
        &req,
        &config.dashboard,
        SESSION_COOKIE,
        token.expose(),
        lifetime,
    );
    set_cookie(
        &mut response,
        &req,
        &config.dashboard,
        LOGIN_CSRF_COOKIE,
        "",
        Duration::ZERO,
    );
    if !known_browser {
        // From now on this browser is known for this login (one login per browser: another
        // employee logging in here makes it theirs).
        let device =
            lead_auth::signed_token(key, Signed::Device(&login)).map_err(|e| ApiError::Internal(e.to_string()))?;
        set_cookie(
            &mut response,
            &req,
            &config.dashboard,
            DEVICE_COOKIE,
            &device,
            DEVICE_LIFETIME,
        );
    }
    Ok(response)
}

pub(crate) async fn logout(
    req: HttpRequest,
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let token_id = posted.session.member.token_id;
    blocking(&store, move |store| store.access().end_session(token_id)).await?;
    let mut response = see_other("/app/login");
    set_cookie(
        &mut response,
        &req,
        &config.dashboard,
        SESSION_COOKIE,
        "",
        Duration::ZERO,
    );
    Ok(response)
}
