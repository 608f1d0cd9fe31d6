//! The API-key extractor: a handler that takes a [`Caller`] runs only for a valid key.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use lead_auth::{authorize, credentials, Credentials, KeyState};
use lead_store::{KeyLookup, Store, Tenant};

use crate::limits::RateLimits;
use crate::ApiError;

/// The authenticated sender of a lead: the company and key it came with.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Tenant);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    /// Reads the key from `X-API-KEY`, else `?key=`, and looks it up, before the body is
    /// touched: unauthenticated callers get 401 / 403 whatever they send.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = credentials(
            req.headers().get(lead_auth::HEADER).map(|value| value.as_bytes()),
            req.query_string(),
        );
        let store = req.app_data::<web::Data<Store>>().cloned();
        let limits = req.app_data::<web::Data<RateLimits>>().cloned();
        // The client's own limit comes first, before any database work.
        let client_allowed = limits.as_ref().map_or(Ok(()), |limits| limits.check_client(req));
        Box::pin(async move {
            client_allowed?;
            let store = store.ok_or_else(|| ApiError::Internal("the store is not configured".into()))?;
            let found = match &presented {
                Credentials::Missing => None,
                Credentials::Presented(key) => {
                    let hash = key.hash();
                    web::block(move || store.find_key_by_hash(hash.as_str())).await??
                }
            };
            let tenant = authorize(&presented, found.map(|lookup| (tenant(lookup), state(lookup))))?;
            if let Some(limits) = &limits {
                limits.check_key(tenant.key_id)?;
            }
            Ok(Caller(tenant))
        })
    }
}

fn tenant(lookup: KeyLookup) -> Tenant {
    Tenant {
        company_id: lookup.company_id,
        key_id: lookup.key_id,
    }
}

fn state(lookup: KeyLookup) -> KeyState {
    match (lookup.key_active, lookup.company_active) {
        (true, true) => KeyState::Active,
        (false, _) => KeyState::Revoked,
        (true, false) => KeyState::CompanyInactive,
    }
}
