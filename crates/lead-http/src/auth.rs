//! Who sends a lead: the API key, looked up and checked against its company, its rate and
//! the websites it may be used from.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use lead_auth::{authorize, Credentials, KeyHash, KeyState};
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
    /// Whether its leads must bring a proof of work.
    pub challenge: bool,
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
                let cache = req.app_data::<web::Data<KeyCache>>().cloned();
                match cache.as_ref().and_then(|cache| cache.get(&hash)) {
                    Some(lookup) => Some(lookup),
                    None => {
                        let looked_up = hash.clone();
                        let found = web::block(move || store.access().find_key_by_hash(&looked_up)).await??;
                        if let (Some(cache), Some(lookup)) = (&cache, &found) {
                            cache.put(hash, lookup.clone());
                        }
                        found
                    }
                }
            }
        };
        let found = found.map(|lookup| ((lookup.tenant, lookup.origins, lookup.challenge), lookup.state));
        let (tenant, origins, challenge) = authorize(&presented, found)?;
        Ok(Caller {
            tenant,
            origins,
            challenge,
        })
    }

    /// What a valid key must pass next: 429 past the key's rate, 403 `origin_not_allowed`
    /// for a browser on a website the key is not meant for (requests without `Origin`, from
    /// servers, are not limited by it).
    pub(crate) fn admit(&self, req: &HttpRequest) -> Result<(), ApiError> {
        if let Some(limits) = req.app_data::<web::Data<RateLimits>>() {
            limits.check_key(self.tenant.key_id)?;
        }
        self.check_origin(req)
    }

    /// 403 `origin_not_allowed` for a browser on a website the key is not meant for.
    pub(crate) fn check_origin(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let origin = req.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok());
        match origin {
            Some(origin) if !self.origins.is_empty() && !crate::origin::is_on(origin, &self.origins) => {
                Err(ApiError::OriginNotAllowed)
            }
            _ => Ok(()),
        }
    }
}

/// Valid keys looked up a moment ago (`HttpConfig::key_cache`), so that a busy website's
/// leads do not each cost a database read. Safe to reuse: the writer checks key and company again inside the
/// transaction that stores a lead, so a key revoked a moment ago still stores nothing. Only
/// active keys are kept (a newly issued key works at once), at most [`KeyCache::CAPACITY`].
pub(crate) struct KeyCache {
    entries: std::sync::RwLock<std::collections::HashMap<KeyHash, (KeyLookup, std::time::Instant)>>,
    /// How long an entry is reused; zero keeps none.
    ttl: std::time::Duration,
}

impl KeyCache {
    const CAPACITY: usize = 10_000;

    pub(crate) fn new(ttl: std::time::Duration) -> KeyCache {
        KeyCache {
            entries: Default::default(),
            ttl,
        }
    }

    fn get(&self, hash: &KeyHash) -> Option<KeyLookup> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(lookup, _)| lookup.clone())
    }

    fn put(&self, hash: KeyHash, lookup: KeyLookup) {
        if lookup.state != KeyState::Active || self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
        }
        entries.insert(hash, (lookup, std::time::Instant::now()));
    }
}

/// The per-client rate limit: checked first, before any database work.
pub(crate) fn check_client(req: &HttpRequest) -> Result<(), ApiError> {
    match req.app_data::<web::Data<RateLimits>>() {
        Some(limits) => limits.check_client(req),
        None => Ok(()),
    }
}
