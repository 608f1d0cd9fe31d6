//! Where this server is in its life, for load balancers: `GET /readyz` answers `200` while it
//! takes traffic and `503` from the moment a stop begins; while it drains, every answer carries
//! `Connection: close`, so a proxy's pooled connections end with their next answer instead of
//! being cut while a request is on its way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use lead_store::Store;
use serde::Serialize;

use crate::error::ErrorBody;
use crate::{ApiError, HttpConfig};

/// Whether this server is stopping (cheap to clone: one flag).
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
}

impl Lifecycle {
    /// From now on `/readyz` answers `503` and every answer closes its connection.
    pub fn begin_drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether a stop has begun.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Ready {
    /// Always `ready`.
    status: &'static str,
}

/// Readiness: 200 while this instance takes traffic, 503 while it stops (or its writer is down).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, description = "not_ready: stopping, or the lead writer is not running", body = ErrorBody)))]
pub(crate) async fn readyz(store: web::Data<Store>, config: web::Data<HttpConfig>) -> Result<HttpResponse, ApiError> {
    // The store was opened — and migrated — before the server listened; its writers run
    // until it is dropped.
    if config.lifecycle.draining() || !store.intake().writer_running() {
        return Err(ApiError::NotReady);
    }
    Ok(crate::json(StatusCode::OK, &Ready { status: "ready" }))
}

/// While draining: every answer closes its connection.
/// (For `App::wrap` with `actix_web::middleware::from_fn`.)
pub async fn close_while_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let config = req.app_data::<web::Data<HttpConfig>>().cloned();
    let mut response = next.call(req).await?;
    // Asked when the answer is ready: a request that began before the drain and ends in it
    // closes its connection too.
    if config.is_some_and(|config| config.lifecycle.draining()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(routes.allow_only(["/readyz"], "GET").route(web::get().to(readyz)));
}
