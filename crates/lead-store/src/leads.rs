//! The way in for leads: find a key by its hash, queue a lead for the writer (see
//! `ingest.rs` for the queue and `write/` for how a batch is written).

use diesel::prelude::*;
use lead_domain::LeadBody;

use crate::ingest::PendingLead;
use crate::models::{Id, KeyLookup, Recorded, SubmitOptions, Tenant};
use crate::schema::{api_keys, companies};
use crate::{Result, Store, StoreError};

impl Store {
    /// Looks a presented key up by its SHA-256 hex; `None` when no key has that hash.
    pub fn find_key_by_hash(&self, key_hash: &str) -> Result<Option<KeyLookup>> {
        self.read(|conn| {
            api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::key_hash.eq(key_hash))
                .select((
                    api_keys::id,
                    api_keys::company_id,
                    api_keys::active,
                    companies::active,
                    api_keys::origins,
                ))
                .first::<(Id, Id, i32, i32, Option<String>)>(conn)
                .optional()
                .map(|found| {
                    found.map(|(key_id, company_id, key_active, company_active, origins)| KeyLookup {
                        key_id,
                        company_id,
                        key_active: key_active == 1,
                        company_active: company_active == 1,
                        origins: crate::models::origins_from_column(origins),
                    })
                })
                .map_err(StoreError::from)
        })
    }

    /// Queues a lead read from its request `body` for `tenant`, to be recorded
    /// with its customer link and one notification per active employee, all or nothing, in
    /// the writer's next batch. Never blocks: a full queue is [`StoreError::Busy`]. The
    /// returned [`PendingLead`] resolves once the batch has committed — with
    /// [`StoreError::KeyNotValid`] if the key was revoked or its company deactivated in the
    /// meantime (then nothing was written).
    ///
    /// With an `options.idempotency_key`, a retry (same API key, within 24 hours) with the same
    /// body resolves to the first lead's answer (`replayed`) and stores nothing; another body
    /// is stored held as [`Hold::Conflict`], for the operator to review. Without one, the same
    /// body (in a canonical spelling) with the same API key within the configured duplicate
    /// window resolves to the first lead's answer too. Spam is always stored, and records
    /// neither its key nor its fingerprint.
    pub fn submit_lead(&self, tenant: Tenant, body: LeadBody, options: SubmitOptions) -> Result<PendingLead> {
        self.ingest.submit(tenant, body, options)
    }

    /// [`Store::submit_lead`], waiting (blocking this thread) for the commit.
    pub fn record_lead(&self, tenant: Tenant, body: LeadBody) -> Result<Recorded> {
        self.submit_lead(tenant, body, SubmitOptions::default())?.wait()
    }
}
