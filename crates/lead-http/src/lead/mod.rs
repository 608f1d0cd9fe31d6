//! The published lead endpoint under both names: a lead from a website's JSON or plain HTML
//! form, its key (header, query or hidden field), an optional redirect, and the answer — JSON,
//! a German page for a browser, or a `303`. Its CORS (`cors.rs`), what the submission log
//! keeps of it (`trace.rs`) and its OpenAPI description (`schema.rs`) have files of their own.

mod consent;
mod cors;
mod schema;
mod trace;
mod upload;

pub(crate) use cors::__path_options;
pub(crate) use cors::options;
pub(crate) use schema::LeadRequest;
use trace::Trace;
pub use upload::UploadBudget;

use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_auth::{credentials, ApiKey, AuthError, Credentials};
use lead_domain::{LeadBody, LeadError};
use lead_store::{Hold, Store, SubmitOptions};
use serde::Serialize;

use crate::auth::{self, Caller};
use crate::browser;
use crate::challenge;
use crate::error::ErrorBody;
use crate::form::{self, BodyKind, Form};
use crate::{ApiError, HttpConfig};

/// The documented address, and the same handler under a clean name.
pub const LEAD_PATHS: [&str; 2] = ["/api/v1/lead.php", "/api/v1/lead"];

/// The success body: the three documented keys plus the new record's id.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Accepted {
    /// Always `success`.
    status: &'static str,
    /// Always `Daten verarbeitet`.
    message: &'static str,
    /// `order` or `ticket` (in this spelling, however the request wrote it).
    #[serde(rename = "type")]
    pub(crate) lead_type: &'static str,
    /// The new order's or ticket's id.
    pub(crate) id: i64,
}

/// What a lead request is answered with, besides an error.
enum Answer {
    /// Stored (or a retry of a stored lead).
    Stored(Accepted),
    /// A form's `redirect` to one of the key's websites, with how the lead fared.
    Redirect(String, Result<Accepted, ApiError>),
}

/// Send a lead: a web order or a ticket.
///
/// The key goes in `X-API-KEY` (or `?key=`, or a form's hidden `key` field). Also served
/// as `/api/v1/lead`. Checks in order: 429 per client, 401/403 key, 429 per key, 403 origin,
/// 413 size, 400 JSON and fields. A plain HTML form may add `redirect` for a `303`.
#[utoipa::path(post, path = "/api/v1/lead.php", tag = "leads",
    security(("api_key" = []), ("api_key_query" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a random UUID per submission, the same for its retries: \
        a retry within 24 h returns the first answer and stores nothing. Without it, the same body within the duplicate window \
        (10 minutes unless the operator changed it) is answered as a duplicate the same way")),
    request_body(content(
        (LeadRequest = "application/json"),
        (LeadRequest = "application/x-www-form-urlencoded"),
        (LeadRequest = "multipart/form-data"))),
    responses(
        (status = 200, description = "Stored (or a retry or a duplicate of a stored lead: its first answer); the team is notified. \
            A form posted by a browser (Accept preferring text/html) gets a German HTML page instead, for every status below", content(
            (Accepted = "application/json"),
            (String = "text/html"))),
        (status = 303, description = "A form's `redirect` to one of the key's websites, with `status=success` or `status=error&code=…` appended \
            (a `redirect` elsewhere is not followed: the lead is stored and answered as without it)"),
        (status = 400, description = "invalid_json, missing_type, invalid_type, missing_field, invalid_field (also: a form of more than 1000 fields)", body = ErrorBody),
        (status = 401, description = "missing_api_key", body = ErrorBody),
        (status = 403, description = "invalid_api_key, origin_not_allowed", body = ErrorBody),
        (status = 405, description = "method_not_allowed", body = ErrorBody),
        (status = 408, description = "request_timeout", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "idempotency_conflict: the key was used for another body; this one is stored, held for the operator's review", body = ErrorBody),
        (status = 429, description = "rate_limited (see Retry-After)", body = ErrorBody),
        (status = 500, description = "internal_error: nothing was stored", body = ErrorBody),
        (status = 503, description = "internal_error: busy, nothing stored (see Retry-After)", body = ErrorBody)))]
pub(crate) async fn lead_endpoint(
    req: HttpRequest,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> HttpResponse {
    let mut trace = Trace::default();
    // A browser submitting a plain HTML form shows the answer to a person: a page for it.
    let page = BodyKind::of(req.headers()) != BodyKind::Json && browser::prefers_html(req.headers());
    let response = match create_lead(&req, body, &store, &config, &mut trace).await {
        Ok(Answer::Redirect(target, outcome)) => {
            trace.code = outcome.as_ref().err().map(ApiError::code);
            see_other(&target, outcome)
        }
        Ok(Answer::Stored(accepted)) if page => browser::thanks(&accepted, trace.back.as_deref()),
        Ok(Answer::Stored(accepted)) => crate::json(StatusCode::OK, &accepted),
        Err(error) => {
            trace.code = Some(error.code());
            match page {
                true => browser::sorry(&error, trace.back.as_deref()),
                false => crate::error_response(error),
            }
        }
    };
    trace.outcome.count(trace.code);
    store.intake().log_submission(trace.entry(&req, response.status()));
    response
}

/// `POST` a lead: key first (401/403), then size (413), then JSON and fields (400), then one
/// transaction (500 if it fails, with nothing stored). A plain HTML form may carry the key in
/// a hidden field — then the body is read to find it — and may ask for a `303` redirect.
async fn create_lead(
    req: &HttpRequest,
    body: web::Payload,
    store: &Store,
    config: &HttpConfig,
    trace: &mut Trace,
) -> Result<Answer, ApiError> {
    auth::check_client(req)?;
    let kind = BodyKind::of(req.headers());
    trace.urlencoded = kind == BodyKind::UrlEncoded;
    let presented = credentials(
        req.headers().get(lead_auth::HEADER).map(|value| value.as_bytes()),
        req.query_string(),
    );
    trace.present(&presented);
    let (caller, bytes, reserved, form) = match presented {
        Credentials::Missing if kind != BodyKind::Json => {
            // Perhaps a form with the key in a hidden field: nothing else is looked at before
            // the key. Whatever goes wrong reading it (too big, too slow, unreadable, too
            // many fields), it has no key we could find.
            let (bytes, reserved) =
                upload::read_lead_body(req, body, config, kind)
                    .await
                    .map_err(|error| match error {
                        // Not now (the upload budget is spent): try again, as with a key.
                        ApiError::Busy => ApiError::Busy,
                        _ => ApiError::Auth(AuthError::MissingKey),
                    })?;
            trace.keep_body(&bytes);
            let form = Form::read(kind, req.headers(), &bytes).await.ok().flatten();
            let presented = match form.as_ref().and_then(|form| form.value(form::KEY_FIELD)) {
                Some(key) => Credentials::Presented(ApiKey::presented(key)),
                None => Credentials::Missing,
            };
            trace.present(&presented);
            let caller = admitted(req, presented, trace).await?;
            (caller, bytes, reserved, form)
        }
        presented => {
            let caller = admitted(req, presented, trace).await?;
            let (bytes, reserved) = upload::read_lead_body(req, body, config, kind).await?;
            trace.keep_body(&bytes);
            let form = Form::read(kind, req.headers(), &bytes).await?;
            (caller, bytes, reserved, form)
        }
    };
    // Held until the lead is stored: its bytes are in memory till then.
    let _reserved = reserved;
    let mut form = form;
    let files = form.as_mut().map(Form::take_files).unwrap_or_default();
    trace.form = form.as_ref().map(Form::to_json);
    // A redirect goes only to one of the key's websites (never an open redirect). One that
    // is not costs the visitor nothing: the lead is stored and answered as without one, and
    // the log says why.
    let redirect = match form.as_ref().and_then(|form| form.value(form::REDIRECT_FIELD)) {
        Some(url) => match allowed_redirect(url, &caller.origins) {
            Ok(target) => Some(target),
            Err(reason) => {
                trace.add_note(reason);
                None
            }
        },
        None => None,
    };
    // The body's bytes become the payload without a copy (nothing else holds them now).
    let payload = match &trace.form {
        Some(json) => Ok(json.clone()),
        None => String::from_utf8(Vec::from(bytes))
            .map_err(|_| ApiError::Lead(LeadError::InvalidJson(lead_domain::JsonProblem::Syntax))),
    };
    // Whatever goes wrong from here goes through the form's redirect, if it has one.
    let outcome = match payload {
        Ok(payload) => record(req, store, config, caller, payload, files, trace).await,
        Err(error) => Err(error),
    };
    match redirect {
        None => outcome.map(Answer::Stored),
        Some(target) => Ok(Answer::Redirect(target, outcome)),
    }
}

/// The caller of a valid key `presented` that may act now (see [`Caller::admit`]); its company
/// and the back link for a browser page go into `trace` as soon as the key is known.
async fn admitted(req: &HttpRequest, presented: Credentials, trace: &mut Trace) -> Result<Caller, ApiError> {
    let caller = Caller::authenticate(req, presented).await?;
    trace.company_id = Some(caller.tenant.company_id);
    trace.back = browser::back_link(req, &caller.origins);
    caller.admit(req)?;
    Ok(caller)
}

/// Parses, queues and waits for the commit of one lead.
async fn record(
    req: &HttpRequest,
    store: &Store,
    config: &HttpConfig,
    caller: Caller,
    payload: String,
    files: Vec<lead_domain::Upload>,
    trace: &mut Trace,
) -> Result<Accepted, ApiError> {
    // Sizes first (413), then what the fields say (400). Past the body limit only for files: a
    // body that names none is refused unread.
    let limits = &config.attachments.limits;
    limits.check(&files).map_err(ApiError::FilesTooLarge)?;
    if payload.len() > config.body_limit && !lead_domain::may_name_files(&payload) {
        return Err(ApiError::PayloadTooLarge(config.body_limit));
    }
    let (kept, uploads) = lead_domain::take_files(payload, files)?;
    // The proof-of-work widget's field is no part of the lead (and would make every body unique).
    let (kept, sent_proof) = lead_domain::take_member(kept, challenge::PROOF_FIELD);
    // What is kept of the body (its files' bytes stored apart) keeps the body limit.
    if kept.len() > config.body_limit {
        return Err(ApiError::PayloadTooLarge(config.body_limit));
    }
    limits.check(&uploads).map_err(ApiError::FilesTooLarge)?;
    let body = LeadBody::taken(kept, uploads)?;
    let lead_type = body.lead().lead_type().as_str();
    trace.outcome.lead_type = Some(lead_type);
    // A field people never see: only bots fill it.
    let honeypot = config.honeypot.as_deref().is_some_and(|field| body.fills(field));
    // A key that requires a proof of work: a lead without a valid one is held as spam (unless
    // it is a retry of a stored lead), and the submission log says why.
    let proof = caller
        .challenge
        .then(|| challenge::check(config, sent_proof.as_deref()));
    // Queued for the writer's next batch (no blocking thread needed); the answer waits for
    // the commit. A full queue is refused at once.
    let options = SubmitOptions {
        idempotency_key: idempotency_key(req)?,
        spam: honeypot,
        // Before it is stored: malware holds the lead back from the team.
        scans: config.attachments.scan(body.uploads()).await,
        consent_page: consent::page(req),
        consent_client: consent::client(req, config.truncate_ips),
        proof: proof.clone().and_then(Result::ok),
        unproven: matches!(proof, Some(Err(_))),
    };
    let recorded = store
        .intake()
        .submit_lead(caller.tenant, body, options)?
        .committed()
        .await?;
    trace.outcome.held = recorded.held;
    trace.outcome.replayed = recorded.replayed;
    if recorded.held == Some(Hold::Spam) && !honeypot {
        match proof {
            Some(Err(error)) => trace.add_note(format!("held as spam: {error}")),
            Some(Ok(_)) => {
                trace.add_note("held as spam: the proof of work was used before (a solution counts once)".into())
            }
            None => {}
        }
    }
    if recorded.held == Some(Hold::Conflict) {
        // Stored for review, but the key belongs to another body: the sender must know.
        return Err(ApiError::IdempotencyConflict);
    }
    Ok(Accepted {
        status: "success",
        message: "Daten verarbeitet",
        lead_type,
        id: recorded.id.get(),
    })
}

/// The redirect target if its origin is one of the key's; otherwise why it is not followed
/// (for the submission log). A key without origins allows none (an open redirect would let
/// anyone bounce visitors through this server).
fn allowed_redirect(url: &str, origins: &[String]) -> Result<String, String> {
    let url = url.trim();
    // `is_on` also refuses control characters: a line break in the Location header would
    // fail the answer after the lead was stored.
    if crate::origin::is_on(url, origins) {
        return Ok(url.to_owned());
    }
    let shown: String = url.chars().take(200).filter(|c| !c.is_control()).collect();
    Err(match origins.is_empty() {
        true => format!("redirect not followed: {shown} (the key has no websites; set them with `key origins`)"),
        false => format!("redirect not followed: {shown} is not one of the key's websites"),
    })
}

/// `303 See Other` to `target` with `status=success`, or `status=error&code=…[&field=…]`,
/// added to its query; the body is the JSON answer the request would otherwise have had.
fn see_other(target: &str, outcome: Result<Accepted, ApiError>) -> HttpResponse {
    let (base, fragment) = target.split_once('#').map_or((target, None), |(b, f)| (b, Some(f)));
    let mut query = form_urlencoded::Serializer::new(String::new());
    let body = match &outcome {
        Ok(accepted) => {
            query.append_pair("status", "success");
            serde_json::to_string(accepted).unwrap_or_default()
        }
        Err(error) => {
            error.log();
            query.append_pair("status", "error").append_pair("code", error.code());
            if let Some(field) = error.field() {
                query.append_pair("field", field);
            }
            serde_json::to_string(&error.body()).unwrap_or_default()
        }
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut location = format!("{base}{separator}{}", query.finish());
    if let Some(fragment) = fragment {
        location = format!("{location}#{fragment}");
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
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

/// Registers the lead endpoint.
pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(
        routes
            .allow_only(LEAD_PATHS, "POST")
            // As published: every answer allows any origin, also without an `Origin` header
            // (where actix-cors adds nothing).
            .wrap(actix_web::middleware::DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")))
            .wrap(cors::cors())
            .wrap(from_fn(cors::cors_in_contract_terms))
            .route(web::post().to(lead_endpoint))
            .route(web::method(Method::OPTIONS).to(options)),
    );
}
