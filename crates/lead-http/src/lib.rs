//! The HTTP face of the lead gateway, on actix-web: the lead endpoint (`/api/v1/lead.php` and
//! `/api/v1/lead`) for JSON and plain HTML forms, with CORS (actix-cors), per-key origins and
//! redirects, `/healthz`, the team's API (order inbox, tickets, customers, notifications and
//! their live stream, the submission log) for employees with a bearer token, the team's
//! dashboard under `/app`, the OpenAPI description, the body limit and timeout, rate limits,
//! the mapping of every error to a status and the contract's JSON body, and an access log
//! that never shows a key or token.
//!
//! It knows no SQL: storage goes through `lead-store`, rules through `lead-domain`, keys
//! through `lead-auth`. Blocking store calls run on actix's blocking pool.

mod attachments;
mod auth;
mod browser;
mod challenge;
mod dashboard;
mod error;
mod form;
mod health;
mod lead;
mod lifecycle;
mod limits;
mod live;
mod member;
mod metrics;
mod openapi;
mod origin;
mod passwords;
mod request;
mod scan;
mod streams;
mod team;
mod views;

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::middleware::Logger;
use actix_web::{web, HttpResponse};
use lead_store::Store;
use serde::Serialize;

pub use attachments::{rescan, AttachmentSettings};
pub use auth::Caller;
pub use dashboard::{DashboardConfig, ExportBudget, LoginKey};
pub use error::ApiError;
pub use lead::UploadBudget;
pub use lead::LEAD_PATHS;
pub use lifecycle::{close_while_draining, Lifecycle};
pub use limits::RateLimitConfig;
pub use member::TeamMember;
pub use metrics::{configure_metrics, record_request, MetricsEndpoint};
pub use openapi::openapi;
pub use origin::{origin_of, parse_origin, NotAnOrigin};
pub use passwords::PasswordChecks;
pub use scan::{Clamd, ScanError, Verdict};
pub use streams::{StreamLimits, Streams};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The largest accepted request body, in bytes (the contract says 64 KiB).
    pub body_limit: usize,
    /// How long a client may take to send a request body; slower ones get `408`.
    pub body_timeout: Duration,
    /// How often an idle notification stream sends a heartbeat comment.
    pub sse_heartbeat: Duration,
    /// Rate limits on the lead endpoint.
    pub rate_limits: RateLimitConfig,
    /// The spam honeypot: a field people never see; a lead that fills it is stored as spam.
    pub honeypot: Option<String>,
    /// How long a key looked up is reused for further leads (zero: never).
    pub key_cache: Duration,
    /// The team's dashboard under `/app`.
    pub dashboard: DashboardConfig,
    /// The server's VAPID public key, when push is enabled: browsers subscribe with it.
    pub push_public_key: Option<String>,
    /// A person's erasure keeps their orders, anonymised (`retention.anonymise_erased_orders`).
    pub keep_erased_orders: bool,
    /// Webhook endpoints added in the dashboard.
    pub webhooks: WebhookSettings,
    /// The live notification streams: their bounds, and closing them all when the server
    /// stops.
    pub streams: Streams,
    /// Whether a stop has begun (`/readyz`, draining).
    pub lifecycle: Lifecycle,
    /// `GET /metrics`, when enabled on this listener.
    pub metrics: Option<MetricsEndpoint>,
    /// What the lead endpoint does with files.
    pub attachments: AttachmentSettings,
    /// A lead's consent records the visitor's network (/24, /48), not their address.
    pub truncate_ips: bool,
    /// The key that signs proof-of-work challenges, the same on every instance (a challenge
    /// one instance made is solved and sent to another).
    pub challenge_key: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 64 * 1024,
            body_timeout: Duration::from_secs(10),
            sse_heartbeat: Duration::from_secs(15),
            rate_limits: RateLimitConfig::default(),
            honeypot: Some("_gotcha".into()),
            key_cache: Duration::from_secs(1),
            dashboard: DashboardConfig::default(),
            push_public_key: None,
            keep_erased_orders: true,
            webhooks: WebhookSettings::default(),
            streams: Streams::default(),
            lifecycle: Lifecycle::default(),
            metrics: None,
            attachments: AttachmentSettings::default(),
            truncate_ips: true,
            challenge_key: lead_auth::generate_signing_key().expect("the operating system gives random bytes"),
        }
    }
}

/// Whether the server would send to a URL (a webhook endpoint, a push service), resolving its
/// name as the sending does: `Err` with why, for the log — the team is told only that the
/// target is not publicly reachable, never where its name leads.
pub type TargetCheck =
    std::sync::Arc<dyn Fn(String) -> futures_util::future::BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Sends a test request (`ping`) to a webhook endpoint now: what it answered, in a sentence.
pub type Ping = std::sync::Arc<
    dyn Fn(lead_store::WebhookTarget) -> futures_util::future::BoxFuture<'static, Result<String, String>> + Send + Sync,
>;

/// How the dashboard adds and tests webhook endpoints: which addresses it accepts (the
/// delivery worker checks them again at every send), and where their signing secrets and test
/// requests come from (the delivery crate makes and sends them; this crate does not send).
#[derive(Clone)]
pub struct WebhookSettings {
    /// Loopback and private addresses, and `http://`, allowed (`outbox.allow_private_targets`).
    pub allow_private: bool,
    /// A new signing secret (`whsec_…`).
    pub secret: fn() -> Result<String, String>,
    /// A test request to an endpoint.
    pub ping: Ping,
    /// The check of a webhook's or a push device's URL when it is added (the sending's own).
    pub check: TargetCheck,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            secret: || Err("no webhook secrets can be made here".into()),
            ping: std::sync::Arc::new(|_| Box::pin(async { Err("no test requests can be sent here".into()) })),
            // Without the network: the URL alone (the server gives the resolving check).
            check: std::sync::Arc::new(|url| {
                Box::pin(async move {
                    lead_domain::check_target_url(&url, false)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            }),
        }
    }
}

/// Everything the app needs: hand the result to `App::configure`.
pub fn configure(store: Store, config: HttpConfig) -> impl Fn(&mut web::ServiceConfig) + Clone {
    let store = web::Data::new(store);
    let limits = web::Data::new(limits::RateLimits::new(&config.rate_limits));
    let keys = web::Data::new(auth::KeyCache::new(config.key_cache));
    let metrics = config.metrics.clone().map(web::Data::new);
    let config = web::Data::new(config);
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(store.clone())
            .app_data(config.clone())
            .app_data(limits.clone())
            .app_data(keys.clone());
        if let Some(metrics) = &metrics {
            cfg.app_data(metrics.clone());
        }
        api_routes(cfg, &mut Routes::default());
        dashboard::register(cfg);
        cfg.default_service(web::to(|| async {
            error_response(ApiError::NotFound("Diese Adresse gibt es nicht."))
        }));
    }
}

/// The routes of the API (not the dashboard's pages): path template → allowed methods, as in
/// `Allow`. Filled while they are registered; what the OpenAPI description is checked against.
#[derive(Default)]
pub(crate) struct Routes(std::collections::BTreeMap<&'static str, &'static str>);

impl Routes {
    /// The resource at `paths`, every other method answered `405`, `Allow: allow` and the JSON
    /// error body; recorded here. Every route of the API is made here.
    pub(crate) fn allow_only<const N: usize>(
        &mut self,
        paths: [&'static str; N],
        allow: &'static str,
    ) -> actix_web::Resource {
        for path in paths {
            self.0.insert(path, allow);
        }
        web::resource(paths.to_vec()).default_service(web::to(move || async move {
            error_response(ApiError::MethodNotAllowed(allow))
        }))
    }
}

/// Registers the API's routes, recording each in `routes`.
fn api_routes(cfg: &mut web::ServiceConfig, routes: &mut Routes) {
    lead::register(cfg, routes);
    health::register(cfg, routes);
    lifecycle::register(cfg, routes);
    metrics::register(cfg, routes);
    team::register(cfg, routes);
    attachments::register(cfg, routes);
    challenge::register(cfg, routes);
    openapi::register(cfg, routes);
}

/// The API's routes as [`configure`] registers them: path template → allowed methods (as in
/// `Allow`).
pub fn registered_routes() -> std::collections::BTreeMap<&'static str, &'static str> {
    let mut routes = Routes::default();
    let _ = actix_web::App::new().configure(|cfg| api_routes(cfg, &mut routes));
    routes.0
}

pub(crate) fn error_response(error: ApiError) -> HttpResponse {
    actix_web::ResponseError::error_response(&error)
}

/// The access log: peer, method, path and query with every secret redacted (the `key`
/// parameter, token-like parameters, anything shaped like a key or token), status, size,
/// duration. Headers are never logged, so `X-API-KEY` and `Authorization` cannot leak either.
pub fn access_log() -> Logger {
    Logger::new(r#"%a "%{request}xi" %s %b %Dms"#).custom_request_replace("request", |req| {
        let query = req.query_string();
        let redacted = lead_auth::redact_query(query);
        let separator = if query.is_empty() { "" } else { "?" };
        format!(
            "{} {}{separator}{redacted} {:?}",
            req.method(),
            lead_auth::redact_path(req.path()),
            req.version()
        )
    })
}

/// The headers of every HTML page: its type, no sniffing, no caching, no framing, and a
/// content security policy that lets the page load nothing but this server's own files.
pub(crate) fn html_headers(headers: &mut header::HeaderMap) {
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
}

/// An HTML page with [`html_headers`].
pub(crate) fn html(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status).body(markup.into_string());
    html_headers(response.headers_mut());
    response
}

/// A JSON response with the contract's content type. Browsers must not guess another type
/// (`nosniff`), and no cache may keep an answer that can hold a customer's data (`no-store`).
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    let text = serde_json::to_string(body).unwrap_or_else(|_| r#"{"status":"error","code":"internal_error"}"#.into());
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}
