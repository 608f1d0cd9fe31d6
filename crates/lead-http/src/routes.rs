//! The routes: the lead endpoint under both names, its CORS preflight, and the health check.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::Lead;
use lead_store::Store;
use serde::Serialize;

use crate::{ApiError, Caller, HttpConfig};

/// The documented address, and the same handler under a clean name.
pub const LEAD_PATHS: [&str; 2] = ["/api/v1/lead.php", "/api/v1/lead"];

/// The success body: the three documented keys plus the new record's id.
#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    message: &'static str,
    #[serde(rename = "type")]
    lead_type: &'static str,
    id: i64,
}

/// `POST` a lead: key first (401/403), then size (413), then JSON and fields (400), then one
/// transaction (500 if it fails, with nothing stored).
async fn create_lead(
    caller: Caller,
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let limit = config.body_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = body
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(limit))?
        .map_err(|_| ApiError::UnreadableBody)?;

    // The body is parsed as JSON whatever the Content-Type says.
    let lead = Lead::parse(&bytes)?;
    let payload = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::Lead(lead_domain::LeadError::InvalidJson(lead_domain::JsonProblem::Syntax)))?;
    let lead_type = lead.lead_type().as_str();
    let store = store.into_inner();
    let recorded = web::block(move || store.record_lead(caller.0, &lead, &payload)).await??;

    Ok(crate::json(
        StatusCode::OK,
        &Accepted {
            status: "success",
            message: "Daten verarbeitet",
            lead_type,
            id: recorded.id,
        },
    ))
}

/// CORS preflight: answered without a key.
async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Content-Type, X-API-KEY, Idempotency-Key",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

#[derive(Serialize)]
struct Healthy {
    status: &'static str,
}

/// `GET /healthz`: 200 once the database answers, 503 when it does not.
async fn healthz(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let store = store.into_inner();
    web::block(move || store.check_health())
        .await?
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(crate::json(StatusCode::OK, &Healthy { status: "ok" }))
}

/// Registers the routes on an actix `App` or scope.
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(LEAD_PATHS)
            .wrap(actix_web::middleware::DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")))
            .route(web::post().to(create_lead))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight))
            .default_service(web::to(|| async {
                ApiError::MethodNotAllowed("POST").error_response_owned()
            })),
    )
    .service(
        web::resource("/healthz")
            .route(web::get().to(healthz))
            .default_service(web::to(|| async {
                ApiError::MethodNotAllowed("GET").error_response_owned()
            })),
    )
    .default_service(web::to(|| async { ApiError::NotFound.error_response_owned() }));
}

impl ApiError {
    fn error_response_owned(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}
