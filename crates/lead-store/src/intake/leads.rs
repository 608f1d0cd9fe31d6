//! The way in for leads: queue a lead for the writer (see `ingest.rs` for the queue and
//! `write/` for how a batch is written).

use lead_domain::LeadBody;

use crate::intake::ingest::PendingLead;
use crate::intake::Intake;
use crate::models::{Recorded, SubmitOptions, Tenant};
use crate::Result;

impl Intake<'_> {
    /// Queues a lead read from its request `body` for `tenant`, to be recorded
    /// with its customer link and one notification per active employee, all or nothing, in
    /// the writer's next batch. Never blocks: a full queue is [`StoreError::Busy`](crate::StoreError::Busy). The
    /// returned [`PendingLead`] resolves once the batch has committed — with
    /// [`StoreError::KeyNotValid`](crate::StoreError::KeyNotValid) if the key was revoked or its company deactivated in the
    /// meantime (then nothing was written).
    ///
    /// With an `options.idempotency_key`, a retry (same API key, within 24 hours) with the same
    /// body resolves to the first lead's answer (`replayed`) and stores nothing; another body
    /// is stored held as [`Hold::Conflict`](crate::Hold::Conflict), for the operator to review. Without one, the same
    /// body (in a canonical spelling) with the same API key within the configured duplicate
    /// window resolves to the first lead's answer too. Spam is always stored, and records
    /// neither its key nor its fingerprint.
    pub fn submit_lead(&self, tenant: Tenant, body: LeadBody, options: SubmitOptions) -> Result<PendingLead> {
        self.store.ingest.submit(tenant, body, options)
    }

    /// What waits in the write queue right now: leads the writer has not taken yet (a lead
    /// in a batch being committed is no longer waiting).
    pub fn queue_load(&self) -> crate::QueueLoad {
        self.store.shared.queued()
    }

    /// Whether the lead writers are running: leads can be taken.
    pub fn writer_running(&self) -> bool {
        self.store
            .shared
            .writers_running
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    }

    /// [`Intake::submit_lead`], waiting (blocking this thread) for the commit.
    pub fn record_lead(&self, tenant: Tenant, body: LeadBody) -> Result<Recorded> {
        self.submit_lead(tenant, body, SubmitOptions::default())?.wait()
    }
}
