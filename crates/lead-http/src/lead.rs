//! The published lead endpoint under both names, its CORS preflight, and the health check.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::Lead;
use lead_store::Store;
use serde::Serialize;

use crate::{allow_only, read_body, ApiError, Caller, HttpConfig};

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
    let bytes = read_body(Some(&req), body, &config).await?;
    // The body is parsed as JSON whatever the Content-Type says.
    let lead = Lead::parse(&bytes)?;
    let payload = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::Lead(lead_domain::LeadError::InvalidJson(lead_domain::JsonProblem::Syntax)))?;
    let lead_type = lead.lead_type().as_str();
    // Queued for the writer's next batch (no blocking thread needed); the answer waits for
    // the commit. A full queue is refused at once.
    let idempotency_key = idempotency_key(&req)?;
    let recorded = store
        .submit_lead(caller.0, lead, payload, idempotency_key)?
        .committed()
        .await?;

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

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::InvalidField {
            field: "Idempotency-Key",
            message: "Der Header „Idempotency-Key“ muss 1 bis 255 sichtbare ASCII-Zeichen enthalten.".into(),
        });
    }
    Ok(Some(key.to_owned()))
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

/// Registers the lead endpoint and the health check.
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(
        allow_only(web::resource(LEAD_PATHS), "POST")
            .wrap(actix_web::middleware::DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")))
            .route(web::post().to(create_lead))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
    )
    .service(allow_only(web::resource("/healthz"), "GET").route(web::get().to(healthz)));
}
