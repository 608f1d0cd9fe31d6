//! The OpenAPI 3.1 description of every public route, generated from the handlers' own
//! annotations and served at `GET /api/v1/openapi.json`.

use std::sync::OnceLock;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{attachments, challenge, health, lead, lifecycle, live, metrics, team};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lead-server: Web-to-CRM lead gateway",
        description = "Websites send leads (web orders and tickets) with a per-company API key; \
            the company's team works through them with bearer tokens. German and English docs: \
            docs/api.md (websites) and docs/team-api.md (the team's API)."
    ),
    paths(
        lead::lead_endpoint,
        lead::options,
        health::healthz,
        lifecycle::readyz,
        metrics::metrics,
        openapi_json,
        team::me,
        team::list_orders,
        team::get_order,
        team::accept_order,
        team::reject_order,
        team::list_tickets,
        team::get_ticket,
        team::close_ticket,
        team::reopen_ticket,
        team::assign_ticket,
        team::order_owner,
        team::ticket_owner,
        team::order_customer,
        team::ticket_customer,
        team::list_customers,
        team::create_customer,
        team::customer_file,
        team::update_customer,
        team::customer_history,
        team::merge_customers,
        team::customer_tickets,
        team::customer_orders,
        team::order_notes,
        team::add_order_note,
        team::ticket_notes,
        team::add_ticket_note,
        team::order_messages,
        team::reply_to_order,
        team::ticket_messages,
        team::reply_to_ticket,
        team::customer_notes,
        team::add_customer_note,
        team::claim,
        team::list_notifications,
        team::read_notification,
        team::read_all_notifications,
        live::stream,
        team::list_submissions,
        team::list_deliveries,
        team::subscribe,
        team::list_devices,
        team::remove_device,
        team::send_test,
        attachments::get_attachment,
        challenge::challenge,
        challenge::widget,
        challenge::licence,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "leads", description = "What websites call: the published lead endpoint"),
        (name = "team", description = "The company's team: inbox, tickets, customers, notifications, submission log, deliveries, push devices"),
        (name = "operations", description = "For operators and load balancers"),
    )
)]
struct ApiDoc;

/// The three ways to authenticate: the API key in its header or query parameter (websites),
/// a bearer token (the team).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-KEY"))),
        );
        components.add_security_scheme(
            "api_key_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole description. The lead endpoint is documented once, at its published address,
/// and copied to its clean name.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    if let Some(published) = doc.paths.paths.get(crate::LEAD_PATHS[0]).cloned() {
        let mut clean = published;
        for operation in [clean.post.as_mut(), clean.options.as_mut()].into_iter().flatten() {
            operation.operation_id = operation.operation_id.take().map(|id| format!("{id}_clean_path"));
        }
        doc.paths.paths.insert(crate::LEAD_PATHS[1].into(), clean);
    }
    doc
}

/// This description, as JSON.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> HttpResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| openapi().to_json().unwrap_or_default());
    HttpResponse::build(StatusCode::OK)
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(json.as_str())
}

pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(
        routes
            .allow_only(["/api/v1/openapi.json"], "GET")
            .route(web::get().to(openapi_json)),
    );
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// The methods of each path: from the description, or from the routes registered by the
    /// very registration `configure` runs (OPTIONS, the CORS preflight, is not in `Allow`).
    #[test]
    fn the_description_covers_exactly_the_routes_that_exist() {
        let registered: BTreeMap<String, BTreeSet<String>> = crate::registered_routes()
            .into_iter()
            .map(|(path, allow)| {
                let methods = allow.split(',').map(|m| m.trim().to_ascii_lowercase()).collect();
                (path.to_owned(), methods)
            })
            .collect();
        let doc = serde_json::to_value(openapi()).unwrap();
        let documented: BTreeMap<String, BTreeSet<String>> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(path, item)| {
                let methods = ["get", "post", "put", "patch", "delete"]
                    .into_iter()
                    .filter(|m| item.get(*m).is_some())
                    .map(str::to_owned)
                    .collect();
                (path.clone(), methods)
            })
            .collect();
        assert_eq!(documented, registered);
        assert_eq!(doc["openapi"], "3.1.0");
        for path in crate::LEAD_PATHS {
            assert!(
                doc["paths"][path]["options"].is_object(),
                "the preflight of {path} is described"
            );
        }
    }

    #[test]
    fn operation_ids_are_unique_and_schemas_resolve() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let mut ids = BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                if let Some(id) = operation.get("operationId").and_then(|id| id.as_str()) {
                    assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                }
            }
        }
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "{name} is referenced but not described");
        }
    }
}
