//! Step 2 of writing a batch: what becomes of each lead, decided in the order they came —
//! refused, answered as a retry or duplicate of an earlier lead, or stored (held or not).
//!
//! A plan covers a *pass*: the whole batch at once, or (after the batch failed) one lead at
//! a time. What the leads before the pass stored is in [`Written`]; what the pass's own
//! leads would store is in the plan, so a later lead of the pass can be the duplicate of an
//! earlier one before either has an id.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::context::Context;
use crate::db::DbConnection;
use crate::ids::{CustomerId, EmployeeId, KeyId, LeadId};

use super::owners::Files;
use crate::intake::duplicates::{fingerprint as fingerprint_of, Fingerprint, FirstLead};
use crate::intake::ingest::Job;
use crate::intake::proofs;
use crate::models::Recorded;
use crate::models::{counts_as_lead, Hold, Scan};
use crate::schema::{idempotency_keys, tickets, web_orders};
use crate::Result;

/// How long an `Idempotency-Key` is remembered.
const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// How much a pass looks up before it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// The whole batch: fingerprints kept in a table (PostgreSQL) are not looked up — a
    /// duplicate is rare, and the table's unique index refuses it, which sends the batch
    /// lead by lead.
    Batch,
    /// One lead after the batch failed: everything is looked up.
    Alone,
}

/// What becomes of one lead.
pub(crate) enum Decision {
    /// Its key was revoked or its company deactivated since it was queued: nothing stored.
    Refused,
    /// A retry or duplicate of a lead stored before this pass: that lead's answer.
    Replay(Recorded),
    /// A retry or duplicate of an earlier lead of this pass (by position): its answer.
    SameAs(usize),
    /// Stored: held back for this reason, or (`None`) for the team.
    Store(Option<Hold>),
}

/// What the leads of the batch stored so far (in passes whose savepoint was released) left
/// behind for the leads after them.
#[derive(Default)]
pub(crate) struct Written {
    /// Their fingerprints (in memory until the batch commits; see `Fingerprints::committed`).
    pub(crate) fingerprints: HashMap<(KeyId, Fingerprint), FirstLead>,
    /// How many leads each key stored (counted against its daily cap).
    pub(crate) counted: HashMap<KeyId, i64>,
    /// How many confirmation e-mails each key's leads owe.
    pub(crate) confirmed: HashMap<KeyId, i64>,
}

/// The decisions of one pass, and what they need to be written.
pub(crate) struct Plan {
    /// One per lead of the pass, in order.
    pub(crate) decisions: Vec<Decision>,
    /// The customer of each lead (stored ones only).
    pub(crate) customers: Vec<Option<CustomerId>>,
    /// The owner of each lead (stored ones that count as leads only).
    pub(crate) owners: Vec<Option<EmployeeId>>,
    /// The customer files the pass's leads make for their senders.
    pub(crate) files: Files,
    /// The leads of the pass that keep their fingerprint, by position.
    pub(crate) fingerprints: Vec<(usize, Fingerprint)>,
    /// How many leads of each key the pass stores that count against its cap.
    pub(crate) counted: HashMap<KeyId, i64>,
    /// Which leads of the pass owe their sender a confirmation e-mail, by position.
    pub(crate) confirm: Vec<bool>,
    /// How many of them each key has.
    pub(crate) confirmed: HashMap<KeyId, i64>,
    /// The leads of the pass that spend their proof of work, by position.
    pub(crate) proofs: Vec<usize>,
}

impl Plan {
    /// Decides, in order, what becomes of each of `jobs`, after the leads in `written`.
    pub(crate) fn make(
        conn: &mut DbConnection,
        context: &Context<'_>,
        written: &Written,
        jobs: &[Job],
        pass: Pass,
    ) -> Result<Plan> {
        let mut plan = Plan {
            decisions: Vec::with_capacity(jobs.len()),
            customers: Vec::with_capacity(jobs.len()),
            owners: Vec::with_capacity(jobs.len()),
            files: Files::default(),
            fingerprints: Vec::new(),
            counted: HashMap::new(),
            confirm: Vec::with_capacity(jobs.len()),
            confirmed: HashMap::new(),
            proofs: Vec::new(),
        };
        // The pass's own leads that keep an Idempotency-Key or a fingerprint, by position.
        let mut keyed: HashMap<(KeyId, &str), usize> = HashMap::new();
        let mut printed: HashMap<(KeyId, Fingerprint), usize> = HashMap::new();
        // The proofs of work the pass's leads bring that stored leads used, looked up at once;
        // and those the pass's own leads spend.
        let spent = proofs::spent(conn, jobs.iter().filter_map(|job| job.options.proof.as_ref()))?;
        let mut spending: HashSet<&str> = HashSet::new();
        for (position, job) in jobs.iter().enumerate() {
            let key_id = job.tenant.key_id;
            let decision = if !context.may_act(job) {
                Decision::Refused
            } else if job.options.spam {
                Decision::Store(Some(Hold::Spam))
            } else if let Some(idempotency_key) = job.options.idempotency_key.as_deref() {
                match keyed.get(&(key_id, idempotency_key)) {
                    Some(&first) if same_lead(&jobs[first], job) => Decision::SameAs(first),
                    Some(_) => Decision::Store(Some(Hold::Conflict)),
                    None => match earlier_answer(conn, context.now, job, idempotency_key)? {
                        Earlier::Same(first) => Decision::Replay(first),
                        Earlier::Different => Decision::Store(Some(Hold::Conflict)),
                        Earlier::Unknown => Decision::Store(None),
                    },
                }
            } else if let Some(fingerprint) = job.fingerprint {
                match printed.get(&(key_id, fingerprint)) {
                    Some(&first) => Decision::SameAs(first),
                    None => match earlier_duplicate(conn, context, written, job, fingerprint, pass)? {
                        Some(first) => Decision::Replay(first),
                        None => Decision::Store(None),
                    },
                }
            } else {
                Decision::Store(None)
            };
            // A lead for the team without the proof of work its key requires, or with one used
            // before (by a lead stored earlier, or earlier in this pass), is held as spam: a
            // proof counts once. A retry of a stored lead was answered above; spam and a
            // conflict keep their reason.
            let proof = job.options.proof.as_ref().map(|proof| proof.id.as_str());
            let unproven = job.options.unproven || proof.is_some_and(|id| spent.contains(id) || spending.contains(id));
            let decision = match decision {
                Decision::Store(None) if unproven => {
                    // Unless it repeats a stored lead's body: the batch pass of a writer that
                    // keeps fingerprints in a table did not look (a resent form is a duplicate,
                    // not spam).
                    let earlier = match job.fingerprint {
                        Some(fingerprint) => earlier_duplicate(conn, context, written, job, fingerprint, Pass::Alone)?,
                        None => None,
                    };
                    earlier.map_or(Decision::Store(Some(Hold::Spam)), Decision::Replay)
                }
                Decision::Store(None) => {
                    // The lead spends its proof (a conflict or spam spends none).
                    if let Some(id) = proof {
                        spending.insert(id);
                        plan.proofs.push(position);
                    }
                    Decision::Store(None)
                }
                other => other,
            };
            // A lead for the team with malware in a file is held as such (a retry of a lead stored
            // before is that lead's answer, whatever its files are now found to be; spam and a
            // conflict keep their reason — their infected files are never served either way —
            // and so leave no key or fingerprint, which a conflict's key belongs to another lead).
            let decision = match decision {
                Decision::Store(None) if job.files.iter().any(|file| file.scan == Scan::Infected) => {
                    Decision::Store(Some(Hold::Malware))
                }
                other => other,
            };
            // Past the daily cap, a lead for the team is quarantined instead.
            let decision = match decision {
                Decision::Store(None) => {
                    let counted = written.counted.get(&key_id).copied().unwrap_or(0)
                        + plan.counted.get(&key_id).copied().unwrap_or(0);
                    Decision::Store(context.hold_after(key_id, counted))
                }
                other => other,
            };
            let (mut customer, mut owner) = (None, None);
            if let Decision::Store(held) = decision {
                customer = context.customer(job);
                // Spam leaves nothing a real lead could need (a bot must not use up its key
                // or its body), and a conflicting lead leaves the key to the lead that has it.
                // A lead for the team (never a held one, which the team does not see) gets its
                // sender a file where the company wants one, and an owner by its key's route.
                if held.is_none() {
                    let company_id = job.tenant.company_id;
                    if customer.is_none() && context.files_new_senders(company_id, job.lead.lead_type()) {
                        let email = job.lead.email().as_str();
                        plan.files
                            .add(company_id, email, &job.email_normalized, &job.payload, position);
                    }
                    let nth = written.counted.get(&key_id).copied().unwrap_or(0)
                        + plan.counted.get(&key_id).copied().unwrap_or(0);
                    owner = context.owner(key_id, nth);
                }
                if counts_as_lead(held) {
                    *plan.counted.entry(key_id).or_default() += 1;
                    if let Some(idempotency_key) = job.options.idempotency_key.as_deref() {
                        keyed.insert((key_id, idempotency_key), position);
                    }
                    if let Some(fingerprint) = job.fingerprint {
                        printed.insert((key_id, fingerprint), position);
                        plan.fingerprints.push((position, fingerprint));
                    }
                }
            }
            // A lead for the team (never a held one) owes its sender a confirmation, if the key
            // sends them and has not sent its day's allowance.
            let confirm = matches!(decision, Decision::Store(None)) && {
                let sent = written.confirmed.get(&key_id).copied().unwrap_or(0)
                    + plan.confirmed.get(&key_id).copied().unwrap_or(0);
                context.may_confirm(key_id, sent)
            };
            if confirm {
                *plan.confirmed.entry(key_id).or_default() += 1;
            }
            plan.confirm.push(confirm);
            plan.decisions.push(decision);
            plan.customers.push(customer);
            plan.owners.push(owner);
        }
        Ok(plan)
    }
}

/// Whether `again` repeats `first`: the same type and the same body (as for duplicates:
/// whitespace and the order of the fields do not count).
fn same_lead(first: &Job, again: &Job) -> bool {
    first.lead.lead_type() == again.lead.lead_type() && same_body(&first.payload, &again.payload)
}

/// Whether two bodies say the same: the same text, or the same canonical spelling.
fn same_body(first: &str, again: &str) -> bool {
    first == again
        || lead_domain::canonical_json(first).is_some_and(|first| Some(first) == lead_domain::canonical_json(again))
}

/// What an `Idempotency-Key` was used for before.
enum Earlier {
    /// Nothing (within 24 hours): the key is new.
    Unknown,
    /// The same lead: this is the first lead's answer.
    Same(Recorded),
    /// Another body.
    Different,
}

/// What `job`'s `Idempotency-Key` (same API key, last 24 hours) was used for before.
fn earlier_answer(conn: &mut DbConnection, now: i64, job: &Job, idempotency_key: &str) -> Result<Earlier> {
    let mine = idempotency_keys::table
        .filter(idempotency_keys::api_key_id.eq(job.tenant.key_id))
        .filter(idempotency_keys::idem_key.eq(idempotency_key));
    diesel::delete(mine.filter(idempotency_keys::created_at.lt(now - IDEMPOTENCY_WINDOW_MS))).execute(conn)?;
    let Some((lead_type, record_id)) = mine
        .select((idempotency_keys::lead_type, idempotency_keys::record_id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .next()
    else {
        return Ok(Earlier::Unknown);
    };
    let first_id = LeadId::from_columns(&lead_type, record_id)?;
    match stored_lead(conn, first_id)? {
        Some(first) if first_id.lead_type() == job.lead.lead_type() && same_body(&first.payload, &job.payload) => {
            Ok(Earlier::Same(replayed(first_id, first.customer_id)))
        }
        _ => Ok(Earlier::Different),
    }
}

/// The answer of the lead stored before this pass whose body `job` repeats within the
/// duplicate window, if there is one.
fn earlier_duplicate(
    conn: &mut DbConnection,
    context: &Context<'_>,
    written: &Written,
    job: &Job,
    fingerprint: Fingerprint,
    pass: Pass,
) -> Result<Option<Recorded>> {
    let key_id = job.tenant.key_id;
    let first = match written.fingerprints.get(&(key_id, fingerprint)) {
        Some(first) => first.id,
        None if pass == Pass::Batch && context.fingerprints.in_table() => return Ok(None),
        None => match context
            .fingerprints
            .earlier(conn, key_id, fingerprint, context.duplicate_cutoff)?
        {
            Some(first) => first,
            None => return Ok(None),
        },
    };
    // Checked against the stored lead, so that a fingerprint that outlived its lead (a
    // database file restored from a backup under a running server) never answers for a
    // lead that is not there.
    match stored_lead(conn, first)? {
        Some(stored) if stored.api_key_id == Some(key_id) && fingerprint_of(&stored.payload) == fingerprint => {
            Ok(Some(replayed(first, stored.customer_id)))
        }
        _ => {
            context.fingerprints.forget(conn, key_id, fingerprint)?;
            Ok(None)
        }
    }
}

/// What a stored order or ticket was sent with, to tell a retry of it.
struct StoredLead {
    payload: String,
    customer_id: Option<CustomerId>,
    /// `None`: a ticket made from an e-mail.
    api_key_id: Option<KeyId>,
}

/// The payload, customer and key of a stored order or ticket.
fn stored_lead(conn: &mut DbConnection, id: LeadId) -> Result<Option<StoredLead>> {
    let found: Vec<(String, Option<CustomerId>, Option<KeyId>)> = match id {
        LeadId::Order(id) => web_orders::table
            .find(id)
            .select((
                web_orders::payload,
                web_orders::customer_id,
                web_orders::api_key_id.nullable(),
            ))
            .load(conn)?,
        LeadId::Ticket(id) => tickets::table
            .find(id)
            .select((tickets::payload, tickets::customer_id, tickets::api_key_id))
            .load(conn)?,
    };
    Ok(found
        .into_iter()
        .next()
        .map(|(payload, customer_id, api_key_id)| StoredLead {
            payload,
            customer_id,
            api_key_id,
        }))
}

/// The answer of a retry: the first lead's, with nothing new stored or notified.
pub(crate) fn replayed(id: LeadId, customer_id: Option<CustomerId>) -> Recorded {
    Recorded {
        id,
        customer_id,
        notified: 0,
        replayed: true,
        held: None,
    }
}
