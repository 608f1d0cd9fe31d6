//! Step 3 of writing a batch: the rows of a plan, with one multi-row insert per table —
//! orders, tickets, notifications, outbox deliveries, Idempotency-Keys, fingerprints — on
//! both backends.

use diesel::prelude::*;
use lead_domain::{Lead, OrderStatus, TicketStatus};

use super::context::Context;
use super::owners::make_files;
use super::plan::{replayed, Decision, Plan};
use super::Passed;
use crate::db::dialect::{insert_ids, insert_rows};
use crate::db::DbConnection;
use crate::ids::{KeyId, LeadId, OrderId, TicketId};
use crate::intake::duplicates::{Fingerprint, FirstLead, NewFingerprint};
use crate::intake::ingest::Job;
use crate::intake::proofs::NewSpent;
use crate::models::Recorded;
use crate::models::{counts_as_lead, Hold};
use crate::outbox::{confirmation, Event};
use crate::rows::{NewIdempotencyKey, NewOrder, NewTicket};
use crate::schema::{
    idempotency_keys, lead_fingerprints, notifications, outbox, spent_challenges, tickets, web_orders,
};
use crate::team::notifications::notes_to_team;
use crate::{Result, StoreError};

/// Writes the rows `plan` decided for `jobs`: the answer of each lead, and what the pass
/// leaves for the leads after it (to be taken in once its savepoint is released).
pub(crate) fn rows(conn: &mut DbConnection, context: &Context<'_>, jobs: &[Job], plan: Plan) -> Result<Passed> {
    let now = context.now;
    let mut customers = plan.customers.clone();
    make_files(conn, &plan.files.new, &mut customers)?;
    let stored = || {
        jobs.iter().zip(&plan.decisions).zip(&customers).enumerate().filter_map(
            |(position, ((job, decision), customer))| match decision {
                Decision::Store(held) => Some((position, job, *held, *customer)),
                _ => None,
            },
        )
    };

    let mut ids: Vec<Option<LeadId>> = vec![None; jobs.len()];
    let mut order_positions = Vec::new();
    let mut orders = Vec::new();
    let mut ticket_positions = Vec::new();
    let mut new_tickets = Vec::new();
    for (position, job, held, customer_id) in stored() {
        let consent = Consented::of(job, context, now);
        match &job.lead {
            Lead::Order(order) => {
                order_positions.push(position);
                orders.push(NewOrder {
                    company_id: job.tenant.company_id,
                    api_key_id: job.tenant.key_id,
                    customer_id,
                    email: order.email.as_str().to_owned(),
                    email_normalized: job.email_normalized.clone(),
                    title: order.title.as_str().to_owned(),
                    message: order.message.as_ref().map(|m| m.as_str().to_owned()),
                    total_cents: i64::try_from(order.total.cents()).expect("at most 99 999 999.99 €"),
                    status: OrderStatus::New.as_str(),
                    payload: job.payload.clone(),
                    created_at: now,
                    held: held.map(Hold::as_str),
                    owner_id: plan.owners[position],
                    consent_given: consent.given,
                    consent_text: consent.text,
                    consent_at: consent.at,
                    consent_page: consent.page,
                    consent_client: consent.client,
                });
            }
            Lead::Ticket(ticket) => {
                ticket_positions.push(position);
                new_tickets.push(NewTicket {
                    company_id: job.tenant.company_id,
                    api_key_id: job.tenant.key_id,
                    customer_id,
                    email: ticket.email.as_str().to_owned(),
                    email_normalized: job.email_normalized.clone(),
                    title: ticket.title.as_str().to_owned(),
                    message: ticket.message.as_str().to_owned(),
                    status: TicketStatus::Open.as_str(),
                    payload: job.payload.clone(),
                    created_at: now,
                    held: held.map(Hold::as_str),
                    owner_id: plan.owners[position],
                    consent_given: consent.given,
                    consent_text: consent.text,
                    consent_at: consent.at,
                    consent_page: consent.page,
                    consent_client: consent.client,
                });
            }
        }
    }
    if !orders.is_empty() {
        let new = insert_ids!(conn, web_orders, orders, OrderId);
        for (position, id) in order_positions.into_iter().zip(new) {
            ids[position] = Some(LeadId::Order(id));
        }
    }
    if !new_tickets.is_empty() {
        let new = insert_ids!(conn, tickets, new_tickets, TicketId);
        for (position, id) in ticket_positions.into_iter().zip(new) {
            ids[position] = Some(LeadId::Ticket(id));
        }
    }
    let id_of = |position: usize| ids[position].expect("every stored lead has an id");

    // Every stored lead's files (a held lead's too: it is kept whole), in its transaction.
    for (position, job, _, _) in stored().filter(|(_, job, _, _)| !job.files.is_empty()) {
        let files: Vec<_> = job.files.iter().map(|file| file.new_file()).collect();
        crate::team::attachments::insert(conn, job.tenant.company_id, id_of(position), &files, now, None)?;
    }

    // A held lead notifies nobody.
    let mut notes = Vec::new();
    for (position, job, _, _) in stored().filter(|(_, _, held, _)| held.is_none()) {
        let company_id = job.tenant.company_id;
        notes.extend(notes_to_team(
            company_id,
            context.recipients(company_id),
            id_of(position),
            &job.notice,
            now,
        ));
    }
    if !notes.is_empty() {
        insert_rows!(conn, notifications, notes);
    }

    // ...and so is it delivered nowhere: the outbox rows of the others, in the same transaction.
    let mut deliveries = Vec::new();
    for (position, job, _, _) in stored().filter(|(_, _, held, _)| held.is_none()) {
        let company_id = job.tenant.company_id;
        if let Some(subscribers) = context.subscribers(company_id) {
            let lead = id_of(position);
            deliveries.extend(subscribers.owed(company_id, lead, Event::created(lead), None, now));
        }
        if plan.confirm[position] {
            deliveries.push(confirmation(company_id, id_of(position), now));
        }
    }
    if !deliveries.is_empty() {
        insert_rows!(conn, outbox, deliveries);
    }

    // The keys and fingerprints of the leads that keep them: another writer (PostgreSQL)
    // that stored the same a moment ago makes this fail as a concurrent duplicate.
    let mut keys: Vec<NewIdempotencyKey> = stored()
        .filter(|(_, _, held, _)| counts_as_lead(*held))
        .filter_map(|(position, job, _, _)| {
            Some(NewIdempotencyKey {
                api_key_id: job.tenant.key_id,
                idem_key: job.options.idempotency_key.clone()?,
                lead_type: job.lead.lead_type().as_str(),
                record_id: id_of(position).get(),
                created_at: now,
            })
        })
        .collect();
    if !keys.is_empty() {
        // In key order, like the fingerprints below: parallel writers wait instead of deadlocking.
        keys.sort_unstable_by(|a, b| (a.api_key_id, &a.idem_key).cmp(&(b.api_key_id, &b.idem_key)));
        concurrent_duplicate(|| Ok(insert_rows!(conn, idempotency_keys, keys)))?;
    }
    // The proofs of work they spent: another writer that stored a lead with the same a moment
    // ago makes this fail the same way, and the lead is tried again (and then held as spam).
    let mut spent: Vec<NewSpent> = plan
        .proofs
        .iter()
        .filter_map(|&position| jobs[position].options.proof.as_ref().map(NewSpent::of))
        .collect();
    if !spent.is_empty() {
        spent.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        concurrent_duplicate(|| Ok(insert_rows!(conn, spent_challenges, spent)))?;
    }
    let left: Vec<((KeyId, Fingerprint), FirstLead)> = plan
        .fingerprints
        .iter()
        .map(|&(position, fingerprint)| {
            let job = &jobs[position];
            let first = FirstLead {
                id: id_of(position),
                at: now,
            };
            ((job.tenant.key_id, fingerprint), first)
        })
        .collect();
    if context.fingerprints.in_table() && !left.is_empty() {
        // In key order, so that parallel writers meeting the same fingerprints wait for each
        // other instead of deadlocking.
        let mut rows: Vec<NewFingerprint> = left
            .iter()
            .map(|&((key_id, fingerprint), first)| NewFingerprint::of(key_id, fingerprint, first))
            .collect();
        rows.sort_unstable_by_key(|row| (row.fingerprint, row.api_key_id));
        concurrent_duplicate(|| Ok(insert_rows!(conn, lead_fingerprints, rows)))?;
    }

    let answers = jobs
        .iter()
        .zip(&plan.decisions)
        .zip(&customers)
        .enumerate()
        .map(|(position, ((job, decision), customer_id))| match decision {
            Decision::Refused => Err(StoreError::KeyNotValid),
            Decision::Replay(first) => Ok(*first),
            Decision::SameAs(first) => Ok(replayed(id_of(*first), customers[*first])),
            Decision::Store(held) => Ok(Recorded {
                id: id_of(position),
                customer_id: *customer_id,
                notified: match held {
                    Some(_) => 0,
                    None => context.recipients(job.tenant.company_id).len(),
                },
                replayed: false,
                held: *held,
            }),
        })
        .collect();
    Ok(Passed {
        answers,
        counted: plan.counted,
        fingerprints: left,
        confirmed: plan.confirmed,
    })
}

/// A unique violation on an `Idempotency-Key`, a fingerprint or a spent proof of work: another writer (PostgreSQL)
/// stored the same lead a moment ago. The lead is tried again, and the lookup answers with it.
fn concurrent_duplicate(insert: impl FnOnce() -> Result<usize, diesel::result::Error>) -> Result<usize> {
    insert().map_err(|error| match error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::ConcurrentDuplicate
        }
        other => other.into(),
    })
}

/// A lead's consent columns: recorded when its body says anything about consent or its key has
/// a consent sentence (given or not, as the checkbox says; the form's sentence before the key's).
#[derive(Default)]
struct Consented {
    given: Option<i32>,
    text: Option<String>,
    at: Option<i64>,
    page: Option<String>,
    client: Option<String>,
}

impl Consented {
    fn of(job: &Job, context: &Context<'_>, now: i64) -> Consented {
        let key_text = context.consent_text(job.tenant.key_id);
        if !job.consent.is_sent() && key_text.is_none() {
            return Consented::default();
        }
        Consented {
            given: Some(i32::from(job.consent.given.unwrap_or(false))),
            text: job.consent.text.clone().or_else(|| key_text.map(str::to_owned)),
            at: Some(now),
            page: job.options.consent_page.clone(),
            client: job.options.consent_client.clone(),
        }
    }
}
