//! `GET /healthz`: whether the database answers and takes a write.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use lead_store::Store;
use serde::Serialize;

use crate::error::ErrorBody;
use crate::ApiError;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Healthy {
    /// Always `ok`.
    status: &'static str,
}

/// Health check: 200 while the database answers and takes a write, 503 when it does not.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Healthy), (status = 503, description = "The database is unreachable, full, read-only or gone", body = ErrorBody)))]
pub(crate) async fn healthz(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let checked = match store.recent_health() {
        Some(recent) => recent,
        None => {
            let store = store.into_inner();
            web::block(move || store.check_health()).await?
        }
    };
    checked.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(crate::json(StatusCode::OK, &Healthy { status: "ok" }))
}

pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(routes.allow_only(["/healthz"], "GET").route(web::get().to(healthz)));
}
