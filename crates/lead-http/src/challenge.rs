//! The proof of work a key may require of its leads (`lead-server key challenge KEY on`, or the
//! admin's key page): the challenge the ALTCHA widget fetches (`GET /api/v1/challenge?key=`),
//! the widget itself — a pinned copy served from here with its licence (see
//! `altcha/README.md`), so a visitor's browser asks no one else — and the check of a lead's
//! `altcha` field (see [`lead_auth::proof`]).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use lead_auth::credentials;
use lead_auth::proof::{self, ProofError, Solved};

use crate::auth::{self, Caller};
use crate::error::ErrorBody;
use crate::{ApiError, HttpConfig};

/// Where the widget's challenge comes from.
pub const CHALLENGE_PATH: &str = "/api/v1/challenge";

/// Where the widget is served, and its licence.
pub const WIDGET_PATH: &str = "/altcha/altcha.js";
const LICENSE_PATH: &str = "/altcha/LICENSE.txt";

/// The form field the widget fills: never stored with the lead.
pub const PROOF_FIELD: &str = "altcha";

/// The widget: npm's `altcha` 3.2.2, its `dist/main/altcha.i18n.umd.min.cjs`.
const WIDGET: &[u8] = include_bytes!("altcha/altcha.js");
const LICENSE: &str = include_str!("altcha/LICENSE.txt");

/// A challenge for the ALTCHA widget on a key's form.
///
/// The key goes in `?key=`, as the widget's `challenge` attribute names it (`X-API-KEY` works
/// for callers outside a browser; a browser would first send a preflight, which this address
/// does not answer). Any valid key gets one — also one that does not require a proof yet — from one of its
/// websites (403 `origin_not_allowed` from another). Not counted against the key's rate (the
/// lead is); the per-client limit applies.
#[utoipa::path(get, path = "/api/v1/challenge", tag = "leads",
    security(("api_key_query" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A new challenge (ALTCHA PoW v2, PBKDF2/SHA-256), valid for 20 minutes and for one lead. \
            `parameters` is what the widget works with; `signature` is this server's HMAC-SHA256 over the parameters' canonical JSON. \
            The widget sends challenge and solution back in the form's `altcha` field",
            content_type = "application/json",
            example = json!({"parameters": {"algorithm": "PBKDF2/SHA-256", "cost": 1000, "expiresAt": 1796598000u64, "keyLength": 32,
                "keyPrefix": "000", "nonce": "3f1c0e9a6b2d4f8e1a7c5b3d9e0f2a4c", "salt": "9b8e7d6c5f4a3b2c1d0e9f8a7b6c5d4e"},
                "signature": "4c1f0b8e2d6a9c3f7e1b5d8a2c6f0e4b9d3a7c1e5f8b2d6a0c4e9f3b7d1a5c8e"})),
        (status = 401, description = "missing_api_key", body = ErrorBody),
        (status = 403, description = "invalid_api_key, origin_not_allowed", body = ErrorBody),
        (status = 405, description = "method_not_allowed", body = ErrorBody),
        (status = 429, description = "rate_limited (see Retry-After)", body = ErrorBody)))]
pub(crate) async fn challenge(req: HttpRequest, config: web::Data<HttpConfig>) -> HttpResponse {
    match issue(&req, &config).await {
        Ok(challenge) => {
            let mut response = crate::json(StatusCode::OK, &challenge);
            // One challenge, one lead: never from a cache.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => crate::error_response(error),
    }
}

/// A challenge for the key the request presents, if it may have one.
async fn issue(req: &HttpRequest, config: &HttpConfig) -> Result<proof::Challenge, ApiError> {
    auth::check_client(req)?;
    let presented = credentials(
        req.headers().get(lead_auth::HEADER).map(|value| value.as_bytes()),
        req.query_string(),
    );
    let caller = Caller::authenticate(req, presented).await?;
    caller.check_origin(req)?;
    proof::challenge(&config.challenge_key, now_secs())
        .map_err(|error| ApiError::Internal(format!("no challenge: {error}")))
}

/// What a lead's `altcha` field proves, for a key that requires a proof.
pub(crate) fn check(config: &HttpConfig, sent: Option<&str>) -> Result<Solved, ProofError> {
    proof::verify(&config.challenge_key, sent, now_secs())
}

/// The ALTCHA widget (3.2.2, MIT), for a key's form: a classic script that defines
/// `<altcha-widget>`.
#[utoipa::path(get, path = "/altcha/altcha.js", tag = "leads",
    responses((status = 200, description = "The widget's script, the same for everyone, from any website", content_type = "text/javascript")))]
pub(crate) async fn widget() -> HttpResponse {
    file("text/javascript; charset=utf-8", WIDGET)
}

/// The widget's licence.
#[utoipa::path(get, path = "/altcha/LICENSE.txt", tag = "leads",
    responses((status = 200, description = "The MIT licence of the ALTCHA widget", content_type = "text/plain")))]
pub(crate) async fn licence() -> HttpResponse {
    file("text/plain; charset=utf-8", LICENSE.as_bytes())
}

/// A static file, loadable from any website.
fn file(content_type: &'static str, body: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        // A day: a new version of the server may bring a new widget.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}

/// The time in Unix seconds.
fn now_secs() -> u64 {
    u64::try_from(lead_domain::Timestamp::now().millis() / 1000).unwrap_or(0)
}

/// Registers the challenge and the widget.
pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(
        routes
            .allow_only([CHALLENGE_PATH], "GET")
            // Fetched by the widget on the key's websites: every answer may be read there.
            .wrap(actix_web::middleware::DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")))
            .route(web::get().to(challenge)),
    );
    cfg.service(routes.allow_only([WIDGET_PATH], "GET").route(web::get().to(widget)));
    cfg.service(routes.allow_only([LICENSE_PATH], "GET").route(web::get().to(licence)));
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// The bytes served are the vendored file named in `altcha/README.md`, unchanged.
    const WIDGET_VERSION: &str = "3.2.2";
    const WIDGET_SHA256: &str = "06d3eb20160f9567257b80449f4e7cf994702249a6ac7c6904b50b5c3aeac00d";

    #[test]
    fn the_widget_is_the_pinned_release() {
        let digest: String = Sha256::digest(WIDGET).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, WIDGET_SHA256);
        assert!(LICENSE.starts_with("MIT License"));
        let readme = include_str!("altcha/README.md");
        assert!(readme.contains(WIDGET_SHA256) && readme.contains(&format!("`altcha` {WIDGET_VERSION}")));
    }
}
