//! CORS on the lead endpoint: preflights answered without a key, in the contract's terms.

use actix_cors::{Cors, CorsError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use crate::error::ErrorBody;
use crate::ApiError;

/// CORS preflight, answered without a key.
///
/// Allows `POST` with `Content-Type`, `X-API-KEY` and `Idempotency-Key` from any origin (a
/// key limited to certain websites refuses the others on the real request). An `OPTIONS`
/// without `Access-Control-Request-Method` just lists the methods in `Allow`.
#[utoipa::path(options, path = "/api/v1/lead.php", tag = "leads",
    responses((status = 204, description = "Allowed"), (status = 400, description = "A header or method that is not allowed", body = ErrorBody)))]
pub(crate) async fn options() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ALLOW, "POST, OPTIONS"))
        .finish()
}

/// CORS for browsers: preflights answered without a key, any origin (per-key origins are
/// checked once the key is known, see [`Caller::authenticate`]), `POST` with the three headers.
pub(super) fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["POST"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-api-key"),
            header::HeaderName::from_static("idempotency-key"),
        ])
        .max_age(86_400)
}

/// What [`cors`] answers, in the contract's terms: a preflight is `204 No Content`, and a
/// refused one gets the JSON error body instead of plain text.
pub(super) async fn cors_in_contract_terms(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let preflight = req.method() == Method::OPTIONS;
    let mut res = next.call(req).await?.map_into_boxed_body();
    let refused = res
        .response()
        .error()
        .and_then(|e| e.as_error::<CorsError>())
        .map(|e| match e {
            CorsError::OriginNotAllowed => ApiError::OriginNotAllowed,
            CorsError::HeadersNotAllowed | CorsError::BadRequestHeaders => ApiError::InvalidField {
                field: "Access-Control-Request-Headers",
                message: "Erlaubt sind nur die Header Content-Type, X-API-KEY und Idempotency-Key.".into(),
            },
            _ => ApiError::InvalidField {
                field: "Access-Control-Request-Method",
                message: "Diese Adresse akzeptiert nur POST.".into(),
            },
        });
    if let Some(error) = refused {
        let (req, _) = res.into_parts();
        // Outside the layer that adds it to every other answer: so the page can read why.
        let mut refusal = crate::error_response(error);
        refusal.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_static("*"),
        );
        return Ok(ServiceResponse::new(req, refusal));
    }
    if preflight && res.status() == StatusCode::OK {
        *res.response_mut().status_mut() = StatusCode::NO_CONTENT;
    }
    Ok(res)
}
