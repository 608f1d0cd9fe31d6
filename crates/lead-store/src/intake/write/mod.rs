//! Writing a batch of leads, in one transaction of the writer thread (see `ingest.rs`).
//!
//! Four steps, one file each:
//!
//! 1. [`context`]: what the batch's leads share, looked up once — keys, caps, recipients,
//!    customers.
//! 2. [`plan`]: what becomes of each lead, in order — refused, a retry or duplicate of an
//!    earlier lead (perhaps one of the same batch), or stored, held or for the team.
//! 3. [`emit`]: the rows, one multi-row insert per table for the whole batch.
//! 4. Here: the batch goes in one savepoint. If any of it fails (one lead the database
//!    refuses, or another writer storing the same lead at the same moment), nothing of it
//!    is kept and the leads go one by one, each planned and emitted alone in a savepoint of
//!    its own, so a bad lead costs only itself.

mod context;
mod emit;
pub(crate) mod owners;
mod plan;

use std::collections::{BTreeSet, HashMap};

use diesel::Connection;

use crate::db::dialect;
use crate::db::DbConnection;
use crate::ids::{CompanyId, KeyId};
use crate::intake::duplicates::{Fingerprint, Fingerprints, FirstLead};
use crate::intake::ingest::Job;
use crate::models::Recorded;
use crate::outbox::DeliveryPolicy;
use crate::{Result, StoreError};
use context::Context;
use plan::{Pass, Plan, Written};

/// What writing a batch came to.
pub(crate) struct BatchWritten {
    /// Each lead's answer, in the order of the batch.
    pub(crate) answers: Vec<Result<Recorded>>,
    /// The fingerprints the batch left, for [`Fingerprints::committed`] once it has committed.
    pub(crate) fingerprints: Vec<((KeyId, Fingerprint), FirstLead)>,
    /// The companies that had a lead accepted: whose live streams to wake once it has committed.
    pub(crate) companies: BTreeSet<CompanyId>,
}

/// Writes `jobs` inside the caller's transaction, with the e-mails and push messages `owed` asks for (see
/// [`Subscribers`](crate::outbox::Subscribers)).
pub(crate) fn write_batch(
    conn: &mut DbConnection,
    jobs: &[Job],
    fingerprints: &Fingerprints,
    now: i64,
    duplicate_cutoff: i64,
    owed: DeliveryPolicy,
) -> Result<BatchWritten> {
    let context = Context::load(conn, jobs, now, duplicate_cutoff, fingerprints, owed)?;
    let mut written = Written::default();
    let answers = match conn.transaction(|conn| pass(conn, &context, &written, jobs, Pass::Batch)) {
        Ok(passed) => written.take(passed),
        Err(error) => {
            match error {
                StoreError::ConcurrentDuplicate => {
                    log::debug!("a batch of {} leads with a duplicate goes lead by lead", jobs.len())
                }
                error => log::warn!("a batch of {} leads goes lead by lead: {error}", jobs.len()),
            }
            jobs.iter()
                .map(|job| alone(conn, &context, &mut written, job))
                .collect()
        }
    };

    let accepted = || jobs.iter().zip(&answers).filter(|(_, answer)| answer.is_ok());
    let keys: Vec<KeyId> = accepted()
        .map(|(job, _)| job.tenant.key_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    context.note_key_use(conn, &keys)?;
    context.save_counts(conn, &written.counted)?;
    context.save_turns(conn, &written.counted)?;
    context.save_confirmations(conn, &written.confirmed)?;
    let companies: BTreeSet<CompanyId> = accepted().map(|(job, _)| job.tenant.company_id).collect();
    dialect::announce_commits(conn, companies.iter().copied())?;
    Ok(BatchWritten {
        answers,
        fingerprints: written.fingerprints.into_iter().collect(),
        companies,
    })
}

/// One lead after its batch failed, in a savepoint of its own. A lead whose Idempotency-Key
/// or fingerprint another writer stored at the same moment is tried once more: the second
/// time it finds that lead and answers with it.
fn alone(conn: &mut DbConnection, context: &Context<'_>, written: &mut Written, job: &Job) -> Result<Recorded> {
    let jobs = std::slice::from_ref(job);
    let attempt = |conn: &mut DbConnection, written: &Written| {
        conn.transaction(|conn| pass(conn, context, written, jobs, Pass::Alone))
    };
    let passed = match attempt(conn, written) {
        Err(StoreError::ConcurrentDuplicate) => attempt(conn, written),
        outcome => outcome,
    }?;
    written.take(passed).pop().expect("one answer per lead")
}

/// One pass over `jobs`: planned, then emitted.
fn pass(conn: &mut DbConnection, context: &Context<'_>, written: &Written, jobs: &[Job], pass: Pass) -> Result<Passed> {
    let plan = Plan::make(conn, context, written, jobs, pass)?;
    emit::rows(conn, context, jobs, plan)
}

/// What a pass wrote: the answers of its leads, and what it leaves for the leads after it.
pub(crate) struct Passed {
    answers: Vec<Result<Recorded>>,
    /// How many leads of each key it stored that count against the key's daily cap.
    counted: HashMap<KeyId, i64>,
    /// The fingerprints of the leads it stored.
    fingerprints: Vec<((KeyId, Fingerprint), FirstLead)>,
    /// How many confirmation e-mails each key's leads owe.
    confirmed: HashMap<KeyId, i64>,
}

impl Written {
    /// Takes in what a pass wrote, once its savepoint is released; its answers.
    fn take(&mut self, passed: Passed) -> Vec<Result<Recorded>> {
        self.fingerprints.extend(passed.fingerprints);
        for (key_id, counted) in passed.counted {
            *self.counted.entry(key_id).or_default() += counted;
        }
        for (key_id, confirmed) in passed.confirmed {
            *self.confirmed.entry(key_id).or_default() += confirmed;
        }
        passed.answers
    }
}
