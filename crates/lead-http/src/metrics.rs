//! `GET /metrics` in Prometheus's text format, and what this layer counts: requests by route
//! group and their durations, leads by type and outcome. Counting goes through the `metrics`
//! facade (nothing happens without a recorder); rendering is the server's, handed in as
//! [`MetricsEndpoint`]. The endpoint is off unless configured: then it answers like a path
//! that does not exist.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_auth::AuthError;
use lead_store::Hold;

use crate::ApiError;

/// Where `/metrics` is served and who may read it.
#[derive(Clone)]
pub struct MetricsEndpoint {
    /// The bearer token a scraper must send (`None`: anyone who reaches the address).
    pub token: Option<String>,
    /// The metrics as Prometheus text, now (a blocking call: gauges read from the database).
    pub render: Arc<dyn Fn() -> String + Send + Sync>,
}

impl std::fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsEndpoint")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// The metrics, as Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "operations", security((), ("bearer" = [])),
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
        (status = 401, description = "[metrics] token is set and was not sent", body = crate::error::ErrorBody),
        (status = 404, description = "Metrics are off here ([metrics] enabled = false, or served on [metrics] bind)", body = crate::error::ErrorBody)))]
pub(crate) async fn metrics(
    req: HttpRequest,
    endpoint: Option<web::Data<MetricsEndpoint>>,
) -> Result<HttpResponse, ApiError> {
    let Some(endpoint) = endpoint else {
        return Err(ApiError::NotFound("Diese Adresse gibt es nicht."));
    };
    if let Some(token) = &endpoint.token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), token.as_bytes())) {
            return Err(ApiError::Auth(AuthError::Unauthorized));
        }
    }
    let text = web::block(move || (endpoint.render)()).await?;
    Ok(HttpResponse::build(StatusCode::OK)
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(routes.allow_only(["/metrics"], "GET").route(web::get().to(metrics)));
}

/// A listener of its own for `/metrics` (`[metrics] bind`): that route alone.
pub fn configure_metrics(endpoint: MetricsEndpoint) -> impl Fn(&mut web::ServiceConfig) + Clone {
    let endpoint = web::Data::new(endpoint);
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(endpoint.clone());
        register(cfg, &mut crate::Routes::default());
        cfg.default_service(web::to(|| async {
            crate::error_response(ApiError::NotFound("Diese Adresse gibt es nicht."))
        }));
    }
}

/// Records every request's duration by route group and status class.
/// (For `App::wrap` with `actix_web::middleware::from_fn`.)
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let group = route_group(req.path());
    let response = next.call(req).await?;
    let class = match response.status().as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::histogram!("lead_http_request_duration_seconds", "group" => group, "status" => class)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The group a path's requests are counted in.
fn route_group(path: &str) -> &'static str {
    if crate::LEAD_PATHS.contains(&path) {
        "lead"
    } else if path == "/api/v1/notifications/stream" || path == "/app/notifications/stream" {
        "stream"
    } else if path.starts_with("/api/") {
        "team"
    } else if path == "/app" || path.starts_with("/app/") {
        "dashboard"
    } else if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        "operations"
    } else {
        "other"
    }
}

/// How a lead request ended, for `lead_leads_total`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LeadOutcome {
    /// `order` or `ticket`, once the body was read.
    pub(crate) lead_type: Option<&'static str>,
    /// Held back from the team, and why.
    pub(crate) held: Option<Hold>,
    /// A retry or duplicate answered with the first lead's answer.
    pub(crate) replayed: bool,
}

impl LeadOutcome {
    /// Counts the request: stored, held (and why), a replay, or refused (and its code).
    pub(crate) fn count(self, refused: Option<&'static str>) {
        let lead_type = self.lead_type.unwrap_or("unknown");
        // A lead held for an Idempotency-Key conflict is stored, though answered 422.
        let (outcome, reason) = match (self.held, refused, self.replayed) {
            (Some(hold), _, _) => ("held", hold.as_str()),
            (None, Some(code), _) => ("refused", code),
            (None, None, true) => ("replayed", ""),
            (None, None, false) => ("stored", ""),
        };
        metrics::counter!("lead_leads_total", "type" => lead_type, "outcome" => outcome, "reason" => reason)
            .increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_into_their_groups() {
        for (path, group) in [
            ("/api/v1/lead.php", "lead"),
            ("/api/v1/lead", "lead"),
            ("/api/v1/notifications/stream", "stream"),
            ("/api/v1/orders/7", "team"),
            ("/app/orders", "dashboard"),
            ("/app", "dashboard"),
            ("/apple", "other"),
            ("/readyz", "operations"),
            ("/favicon.ico", "other"),
        ] {
            assert_eq!(route_group(path), group, "{path}");
        }
    }
}
