//! The team's dashboard under `/app`: server-rendered pages in German for the order inbox,
//! tickets, customer files and notifications, with a live bell. Employees log in with email
//! and password; a session is an employee token that expires, kept in an HttpOnly cookie.
//! Every form carries a CSRF token derived from the session.
//!
//! One file per topic: the session and its forms (`session.rs`), logging in and out
//! (`login.rs`), the pages of the daily work (`inbox.rs`), the CSV downloads within their budget
//! (`export.rs`), the settings with push on the employee's devices (`settings.rs`), their own
//! password (`password.rs`), the admin's pages (`admin.rs`, the data requests in `privacy.rs`), their HTML (`pages/`, by topic)
//! and the page every error becomes (`error.rs`); the static files (script, stylesheet, service worker, manifest,
//! icons) are served here.

mod admin;
mod customer_import;
mod error;
mod export;
mod inbox;
mod leads;
mod login;
mod mailbox;
mod pages;
mod password;
mod privacy;
mod session;
mod settings;

pub(crate) use error::PageError;
pub use export::ExportBudget;
pub(crate) use pages::standalone;

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// Settings of the dashboard.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// How long a login lasts.
    pub session: Duration,
    /// How wrong passwords are limited: per client address and per account.
    pub logins: lead_store::LoginLimits,
    /// Mark the session cookie `Secure` always, not only when the request came over HTTPS.
    pub always_secure_cookies: bool,
    /// The team's time zone: every time the dashboard shows is in it.
    pub time_zone: lead_domain::TimeZone,
    /// What signs the login form's CSRF token: the installation's key, the same on every
    /// instance (the server takes it from the store).
    pub login_key: LoginKey,
    /// Where passwords are checked and hashed: threads of their own and a bounded line.
    pub password_checks: crate::PasswordChecks,
    /// How many CSV exports run at once (server-wide, and one per employee).
    pub exports: ExportBudget,
}

/// The key that signs the login form's CSRF token; never shown.
#[derive(Clone)]
pub struct LoginKey(pub String);

impl std::fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginKey(***)")
    }
}

impl Default for LoginKey {
    /// A key of this process alone (tests; the server sets the installation's).
    fn default() -> Self {
        LoginKey(lead_auth::generate_signing_key().expect("the operating system gives random bytes"))
    }
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            session: Duration::from_secs(12 * 3600),
            logins: lead_store::LoginLimits {
                per_client: 5,
                lockout_ms: 15 * 60 * 1000,
                per_account: 10,
            },
            always_secure_cookies: false,
            time_zone: lead_domain::TimeZone::UTC,
            login_key: LoginKey::default(),
            password_checks: crate::PasswordChecks::default(),
            exports: ExportBudget::default(),
        }
    }
}

type PageResult = Result<HttpResponse, PageError>;

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Registers the pages of a kind of lead, below its list: the list, its CSV export, a lead's
/// page and a note on it.
fn lead_pages<K: pages::OnDashboard>(cfg: &mut web::ServiceConfig)
where
    K::Id: crate::request::Record + Into<lead_store::NoteOn>,
{
    let list = K::LIST;
    cfg.service(web::resource(list).route(web::get().to(leads::list::<K>)))
        .service(web::resource(format!("{list}/export.csv")).route(web::get().to(export::export::<K>)))
        .service(web::resource(format!("{list}/{{id}}")).route(web::get().to(leads::record::<K>)))
        .service(web::resource(format!("{list}/{{id}}/notes")).route(web::post().to(leads::note::<K>)))
        .service(web::resource(format!("{list}/{{id}}/reply")).route(web::post().to(leads::reply::<K>)))
        .service(web::resource(format!("{list}/{{id}}/customer")).route(web::post().to(leads::customer::<K>)))
        .service(web::resource(format!("{list}/{{id}}/owner")).route(web::post().to(leads::owner::<K>)));
}

/// Registers a route for each thing an admin does to an employee, a key or a webhook
/// endpoint (`…/{id}/revoke`): an action that is none of them is no page.
fn admin_actions(cfg: &mut web::ServiceConfig) {
    use crate::HttpConfig;
    use admin::{EmployeeAction, KeyAction, WebhookAction};
    use lead_store::Store;
    use session::Posted;
    type Id = web::Path<String>;
    for &action in EmployeeAction::ALL {
        cfg.service(
            web::resource(format!("/app/admin/mitarbeiter/{{id}}/{action}")).route(web::post().to(
                move |id: Id, posted: Posted, store: web::Data<Store>, config: web::Data<HttpConfig>| {
                    admin::employee_action(id, posted, store, config, action)
                },
            )),
        );
    }
    for &action in KeyAction::ALL {
        cfg.service(web::resource(format!("/app/admin/keys/{{id}}/{action}")).route(
            web::post().to(move |id: Id, posted: Posted, store: web::Data<Store>| {
                admin::key_action(id, posted, store, action)
            }),
        ));
    }
    for &action in WebhookAction::ALL {
        cfg.service(
            web::resource(format!("/app/admin/webhooks/{{id}}/{action}")).route(web::post().to(
                move |id: Id, posted: Posted, store: web::Data<Store>| admin::webhook_action(id, posted, store, action),
            )),
        );
    }
}

/// Registers the dashboard's pages (not part of the API, so not in the OpenAPI description).
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    use inbox::*;
    use login::*;
    cfg.service(web::resource("/app").route(web::get().to(|| async { see_other("/app/orders") })))
        .service(web::resource("/app/").route(web::get().to(|| async { see_other("/app/orders") })))
        .service(
            web::resource("/app/login")
                .route(web::get().to(login_page))
                .route(web::post().to(login)),
        )
        .service(web::resource("/app/logout").route(web::post().to(logout)))
        .service(
            web::resource([
                "/app/app.js",
                "/app/app.css",
                "/app/sw.js",
                "/app/manifest.webmanifest",
                "/app/icon-192.png",
                "/app/icon-512.png",
                "/app/icon-maskable-512.png",
                "/app/favicon-32.png",
            ])
            .route(web::get().to(file)),
        )
        .configure(lead_pages::<lead_store::OrderRecord>)
        .configure(lead_pages::<lead_store::TicketRecord>)
        .service(web::resource("/app/orders/{id}/accept").route(web::post().to(accept)))
        .service(web::resource("/app/orders/{id}/reject").route(web::post().to(reject)))
        .service(web::resource("/app/customers/{id}/notes").route(web::post().to(customer_note)))
        .service(web::resource("/app/customers/{id}/merge/{from}").route(web::post().to(merge_customer)))
        .service(web::resource("/app/customers/{id}/edit").route(web::post().to(edit_customer)))
        .service(web::resource("/app/tickets/{id}/close").route(web::post().to(close)))
        .service(web::resource("/app/tickets/{id}/reopen").route(web::post().to(reopen)))
        .service(web::resource("/app/tickets/{id}/assign").route(web::post().to(assign)))
        .service(web::resource("/app/anhaenge/{id}").route(web::get().to(leads::attachment)))
        .service(web::resource("/app/customers").route(web::get().to(customers)))
        .service(web::resource("/app/customers/export.csv").route(web::get().to(export::customers)))
        .service(web::resource("/app/customers/{id}").route(web::get().to(customer)))
        .service(web::resource("/app/notifications").route(web::get().to(notifications)))
        .service(web::resource("/app/notifications/stream").route(web::get().to(stream)))
        .service(web::resource("/app/notifications/read-all").route(web::post().to(read_all)))
        .service(web::resource("/app/notifications/{id}/read").route(web::post().to(read_one)))
        .service(web::resource("/app/settings").route(web::get().to(settings::settings)))
        .service(
            web::resource(session::PASSWORD_PAGE)
                .route(web::get().to(password::form))
                .route(web::post().to(password::change)),
        )
        .service(web::resource("/app/settings/notify").route(web::post().to(settings::notify)))
        .service(web::resource("/app/settings/push").route(web::post().to(settings::subscribe)))
        .service(web::resource("/app/settings/push/test").route(web::post().to(settings::test)))
        .service(web::resource("/app/settings/push/{id}/delete").route(web::post().to(settings::remove)))
        .service(web::resource("/app/admin").route(web::get().to(admin::index)))
        .service(web::resource("/app/admin/kunden-automatisch").route(web::post().to(admin::auto_customers)))
        .service(
            web::resource("/app/admin/datenschutz")
                .route(web::get().to(privacy::privacy))
                .route(web::post().to(privacy::privacy_search)),
        )
        .service(web::resource("/app/admin/datenschutz/export").route(web::post().to(privacy::privacy_export)))
        .service(web::resource("/app/admin/datenschutz/erase").route(web::post().to(privacy::privacy_erase)))
        .service(web::resource("/app/admin/datenschutz/redact").route(web::post().to(privacy::privacy_redact)))
        .service(
            web::resource("/app/admin/kunden-import")
                .route(web::get().to(customer_import::form))
                .route(web::post().to(customer_import::upload)),
        )
        .service(web::resource("/app/admin/mitarbeiter").route(web::get().to(admin::employees)))
        .service(web::resource("/app/admin/mitarbeiter/add").route(web::post().to(admin::add_employee)))
        .configure(admin_actions)
        .service(web::resource("/app/admin/keys").route(web::get().to(admin::keys)))
        .service(web::resource("/app/admin/keys/issue").route(web::post().to(admin::issue_key)))
        .service(web::resource("/app/admin/protokoll").route(web::get().to(admin::submissions)))
        .service(web::resource("/app/admin/audit").route(web::get().to(admin::audit)))
        .service(
            web::resource("/app/admin/postfach")
                .route(web::get().to(mailbox::mailbox))
                .route(web::post().to(mailbox::set_mailbox)),
        )
        .service(web::resource("/app/admin/postfach/off").route(web::post().to(mailbox::remove_mailbox)))
        .service(web::resource("/app/admin/webhooks").route(web::get().to(admin::webhooks)))
        .service(web::resource("/app/admin/webhooks/add").route(web::post().to(admin::add_webhook)))
        .service(web::resource("/app/admin/webhooks/{id}/test").route(web::post().to(admin::test_webhook)))
        .service(web::resource("/app/admin/deliveries/{id}/retry").route(web::post().to(admin::retry_delivery)));
}

/// The dashboard's files: its script and stylesheet, and what makes it an installable app
/// that shows push messages — the service worker, the web app manifest, the icons. Static,
/// the same for everyone.
pub(crate) async fn file(req: HttpRequest) -> HttpResponse {
    let (content_type, body): (&str, &'static [u8]) = match req.path() {
        "/app/app.js" => ("text/javascript; charset=utf-8", include_bytes!("app.js")),
        "/app/app.css" => ("text/css; charset=utf-8", include_bytes!("app.css")),
        "/app/sw.js" => ("text/javascript; charset=utf-8", include_bytes!("sw.js")),
        "/app/manifest.webmanifest" => ("application/manifest+json", MANIFEST.as_bytes()),
        "/app/icon-192.png" => ("image/png", include_bytes!("icons/icon-192.png")),
        "/app/icon-512.png" => ("image/png", include_bytes!("icons/icon-512.png")),
        "/app/icon-maskable-512.png" => ("image/png", include_bytes!("icons/icon-maskable-512.png")),
        _ => ("image/png", include_bytes!("icons/favicon-32.png")),
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if content_type.starts_with("image/") {
        response.insert_header((header::CACHE_CONTROL, "public, max-age=86400"));
    } else {
        // A new version of a script, the stylesheet or the manifest is picked up at once.
        response
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'self'"));
    }
    response.body(body)
}

/// The web app manifest: the dashboard installed as an app („Zum Home-Bildschirm“).
const MANIFEST: &str = r##"{
  "name": "CRM – Bestellungen und Tickets",
  "short_name": "CRM",
  "description": "Web-Bestellungen und Tickets Ihrer Website, mit Push-Benachrichtigungen.",
  "lang": "de",
  "dir": "ltr",
  "id": "/app/",
  "start_url": "/app/orders",
  "scope": "/app/",
  "display": "standalone",
  "background_color": "#ffffff",
  "theme_color": "#0b4f8a",
  "icons": [
    { "src": "/app/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any" },
    { "src": "/app/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any" },
    { "src": "/app/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" }
  ]
}
"##;
