//! Who sends a lead: the API key, looked up and checked against its company, its rate and
//! the websites it may be used from.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use lead_auth::{authorize, Credentials, KeyState};
use lead_store::{KeyLookup, Store, Tenant};

use crate::limits::RateLimits;
use crate::ApiError;

/// The authenticated sender of a lead: the company and key it came with, and the origins the
/// key may be used from (empty: any).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The company and key.
    pub tenant: Tenant,
    /// The websites the key is limited to (empty: any).
    pub origins: Vec<String>,
}

impl Caller {
    /// Looks `presented` up: 401 without a key, 403 for an unknown, revoked or deactivated
    /// one. The caller then [`admit`](Caller::admit)s it.
    pub(crate) async fn authenticate(req: &HttpRequest, presented: Credentials) -> Result<Caller, ApiError> {
        let store = req
            .app_data::<web::Data<Store>>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("the store is not configured".into()))?;
        let found = match &presented {
            Credentials::Missing => None,
            Credentials::Presented(key) => {
                let hash = key.hash();
                web::block(move || store.find_key_by_hash(hash.as_str())).await??
            }
        };
        let found = found.map(|lookup| ((tenant(&lookup), lookup.origins.clone()), state(&lookup)));
        let (tenant, origins) = authorize(&presented, found)?;
        Ok(Caller { tenant, origins })
    }

    /// What a valid key must pass next: 429 past the key's rate, 403 `origin_not_allowed`
    /// for a browser on a website the key is not meant for (requests without `Origin`, from
    /// servers, are not limited by it).
    pub(crate) fn admit(&self, req: &HttpRequest) -> Result<(), ApiError> {
        if let Some(limits) = req.app_data::<web::Data<RateLimits>>() {
            limits.check_key(self.tenant.key_id)?;
        }
        let origin = req.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok());
        match origin {
            Some(origin) if !self.origins.is_empty() => {
                let normalized = crate::origin::origin_of(origin);
                match normalized.is_some_and(|o| self.origins.contains(&o)) {
                    true => Ok(()),
                    false => Err(ApiError::OriginNotAllowed),
                }
            }
            _ => Ok(()),
        }
    }
}

/// The per-client rate limit: checked first, before any database work.
pub(crate) fn check_client(req: &HttpRequest) -> Result<(), ApiError> {
    match req.app_data::<web::Data<RateLimits>>() {
        Some(limits) => limits.check_client(req),
        None => Ok(()),
    }
}

fn tenant(lookup: &KeyLookup) -> Tenant {
    Tenant {
        company_id: lookup.company_id,
        key_id: lookup.key_id,
    }
}

fn state(lookup: &KeyLookup) -> KeyState {
    match (lookup.key_active, lookup.company_active) {
        (true, true) => KeyState::Active,
        (false, _) => KeyState::Revoked,
        (true, false) => KeyState::CompanyInactive,
    }
}
