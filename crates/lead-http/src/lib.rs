//! The HTTP face of the lead gateway, on actix-web: the lead endpoint (`/api/v1/lead.php` and
//! `/api/v1/lead`), its CORS preflight, `/healthz`, the API-key extractor, the body limit,
//! the mapping of every error to a status and the contract's JSON body, and an access log
//! that never shows a key.
//!
//! It knows no SQL: storage goes through `lead-store`, rules through `lead-domain`, keys
//! through `lead-auth`. Blocking store calls run on actix's blocking pool.

mod auth;
mod error;
mod routes;

use actix_web::http::{header, StatusCode};
use actix_web::middleware::Logger;
use actix_web::{web, HttpResponse};
use lead_store::Store;
use serde::Serialize;

pub use auth::Caller;
pub use error::ApiError;
pub use routes::LEAD_PATHS;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// The largest accepted request body, in bytes (the contract says 64 KiB).
    pub body_limit: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { body_limit: 64 * 1024 }
    }
}

/// Everything the app needs: hand the result to `App::configure`.
pub fn configure(store: Store, config: HttpConfig) -> impl Fn(&mut web::ServiceConfig) + Clone {
    let store = web::Data::new(store);
    let config = web::Data::new(config);
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(store.clone()).app_data(config.clone());
        routes::register(cfg);
    }
}

/// The access log: peer, method, path with every `key` parameter redacted, status, size,
/// duration. Headers are never logged, so `X-API-KEY` cannot leak either.
pub fn access_log() -> Logger {
    Logger::new(r#"%a "%{request}xi" %s %b %Dms"#).custom_request_replace("request", |req| {
        let query = req.query_string();
        let redacted = lead_auth::redact_query(query);
        let separator = if query.is_empty() { "" } else { "?" };
        format!(
            "{} {}{separator}{redacted} {:?}",
            req.method(),
            req.path(),
            req.version()
        )
    })
}

/// A JSON response with the contract's content type.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    let text = serde_json::to_string(body).unwrap_or_else(|_| r#"{"status":"error","code":"internal_error"}"#.into());
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .body(text)
}
