//! The ingestion path: find a key by its hash, record a lead in one transaction.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use lead_domain::{Lead, LeadType, OrderStatus, TicketStatus};

use crate::db::DbConnection;
use crate::duplicates::{fingerprint as fingerprint_of, Fingerprint, Fingerprints, FirstLead, NewFingerprint};
use crate::ingest::{Job, PendingLead};
use crate::models::{
    counts_as_lead, Hold, Id, KeyLookup, NewNotification, NewOrder, NewTicket, Recorded, SubmitOptions, Tenant,
};
use crate::schema::{
    api_keys, companies, customers, employees, idempotency_keys, key_daily_counts, lead_fingerprints, notifications,
    tickets, web_orders,
};
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

    /// Queues a validated lead for `tenant` with its original body `payload`, to be recorded
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
    pub fn submit_lead(
        &self,
        tenant: Tenant,
        lead: Lead,
        payload: String,
        options: SubmitOptions,
    ) -> Result<PendingLead> {
        self.ingest.submit(tenant, lead, payload, options)
    }

    /// [`Store::submit_lead`], waiting (blocking this thread) for the commit.
    pub fn record_lead(&self, tenant: Tenant, lead: &Lead, payload: &str) -> Result<Recorded> {
        self.submit_lead(tenant, lead.clone(), payload.to_owned(), SubmitOptions::default())?
            .wait()
    }
}

diesel::define_sql_function! {
    /// SQLite's rowid of the last insert on this connection.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// Inserts `values` into `table` and returns the new row's id: on SQLite with
/// `last_insert_rowid()` rather than `RETURNING`, which SQLite re-prepares on every execution
/// (measured: about a tenth of the writer's time); on PostgreSQL with `RETURNING`.
macro_rules! insert_returning_id {
    ($conn:expr, $table:ident, $values:expr) => {
        match $conn {
            DbConnection::Sqlite(conn) => {
                diesel::insert_into($table::table).values($values).execute(conn)?;
                diesel::select(last_insert_rowid()).get_result::<Id>(conn)?
            }
            DbConnection::Postgres(conn) => diesel::insert_into($table::table)
                .values($values)
                .returning($table::id)
                .get_result::<Id>(conn)?,
        }
    };
}

/// What the leads of one batch share: the time, which keys are still valid, each company's
/// active employees, and each capped key's allowance for the day — looked up once per batch
/// instead of once per lead.
pub(crate) struct Batch<'a> {
    now: i64,
    /// Leads stored before this (milliseconds) are no longer duplicated by the same body.
    duplicate_cutoff: i64,
    /// The fingerprints of the leads stored before this batch…
    fingerprints: &'a Fingerprints,
    /// …and of those this batch has stored so far.
    added: RefCell<HashMap<(Id, Fingerprint), FirstLead>>,
    valid_keys: HashMap<Id, bool>,
    recipients: HashMap<Id, Vec<Id>>,
    allowances: HashMap<Id, Allowance>,
}

/// A capped key's day: its cap, the leads it had stored before this batch, and those this
/// batch has stored so far.
struct Allowance {
    cap: i64,
    before: i64,
    stored: Cell<i64>,
}

/// The leads `key_id` has stored on `day`, locked until the transaction ends: on PostgreSQL
/// parallel writers take turns at a capped key, so none of them counts from a stale number
/// (on SQLite the one writer holds the database's write lock anyway).
fn day_count_locked(conn: &mut DbConnection, key_id: Id, day: i64) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        leads: i64,
    }
    match conn {
        DbConnection::Postgres(pg) => {
            // The row must exist to be locked; every value is a number.
            diesel::sql_query(format!(
                "INSERT INTO key_daily_counts (api_key_id, day, leads) VALUES ({key_id}, {day}, 0) \
                 ON CONFLICT (api_key_id, day) DO NOTHING"
            ))
            .execute(pg)?;
            let count: Count = diesel::sql_query(format!(
                "SELECT leads FROM key_daily_counts WHERE api_key_id = {key_id} AND day = {day} FOR UPDATE"
            ))
            .get_result(pg)?;
            Ok(count.leads)
        }
        DbConnection::Sqlite(_) => Ok(key_daily_counts::table
            .filter(key_daily_counts::api_key_id.eq(key_id))
            .filter(key_daily_counts::day.eq(day))
            .select(key_daily_counts::leads)
            .load::<i64>(conn)?
            .into_iter()
            .next()
            .unwrap_or(0)),
    }
}

/// Days since 1970-01-01 (UTC) of a time in milliseconds: the period of a daily cap.
fn day_of(millis: i64) -> i64 {
    millis.div_euclid(24 * 60 * 60 * 1000)
}

impl<'a> Batch<'a> {
    /// Prepares a batch of leads from `tenants`: checks that each key and its company are
    /// still active — inside the write transaction, so a key revoked a moment ago stops
    /// working at once — and loads the active employees of each company. A body stored
    /// since `duplicate_cutoff` (as in `fingerprints`) is a duplicate.
    pub(crate) fn prepare(
        conn: &mut DbConnection,
        tenants: impl Iterator<Item = Tenant>,
        now: i64,
        duplicate_cutoff: i64,
        fingerprints: &'a Fingerprints,
    ) -> Result<Batch<'a>> {
        let mut batch = Batch {
            now,
            duplicate_cutoff,
            fingerprints,
            added: RefCell::default(),
            valid_keys: HashMap::new(),
            recipients: HashMap::new(),
            allowances: HashMap::new(),
        };
        let mut capped = BTreeMap::new();
        for tenant in tenants {
            if batch.valid_keys.contains_key(&tenant.key_id) {
                continue;
            }
            let found = api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::id.eq(tenant.key_id))
                .filter(api_keys::company_id.eq(tenant.company_id))
                .filter(api_keys::active.eq(1))
                .filter(companies::active.eq(1))
                .select(api_keys::daily_cap)
                .load::<Option<i64>>(conn)?;
            let valid = found.len() == 1;
            batch.valid_keys.insert(tenant.key_id, valid);
            if let Some(&Some(cap)) = found.first() {
                capped.insert(tenant.key_id, cap);
            }
            if valid && !batch.recipients.contains_key(&tenant.company_id) {
                let recipients = employees::table
                    .filter(employees::company_id.eq(tenant.company_id))
                    .filter(employees::active.eq(1))
                    .select(employees::id)
                    .order(employees::id)
                    .load(conn)?;
                batch.recipients.insert(tenant.company_id, recipients);
            }
        }
        // In key order, so that parallel writers (PostgreSQL) cannot deadlock on them.
        for (key_id, cap) in capped {
            let before = day_count_locked(conn, key_id, day_of(now))?;
            let stored = Cell::new(0);
            batch.allowances.insert(key_id, Allowance { cap, before, stored });
        }
        Ok(batch)
    }

    /// Whether the next lead of `key_id` is held back, when `pending` more of its leads are
    /// about to be stored ahead of it: past the key's daily cap it is quarantined.
    fn hold_after(&self, key_id: Id, pending: i64) -> Option<Hold> {
        let allowance = self.allowances.get(&key_id)?;
        (allowance.before + allowance.stored.get() + pending >= allowance.cap).then_some(Hold::Quarantine)
    }

    /// Counts `leads` more stored leads of `key_id` against its cap.
    fn count_stored(&self, key_id: Id, leads: i64) {
        if let Some(allowance) = self.allowances.get(&key_id) {
            allowance.stored.set(allowance.stored.get() + leads);
        }
    }

    /// Writes the day's new lead counts of the capped keys (in the batch's transaction).
    pub(crate) fn save_counts(&self, conn: &mut DbConnection) -> Result<()> {
        let day = day_of(self.now);
        for (key_id, allowance) in &self.allowances {
            if allowance.stored.get() == 0 {
                continue;
            }
            let leads = allowance.before + allowance.stored.get();
            // The same SQL on both backends; every value is a number.
            diesel::sql_query(format!(
                "INSERT INTO key_daily_counts (api_key_id, day, leads) VALUES ({key_id}, {day}, {leads}) \
                 ON CONFLICT (api_key_id, day) DO UPDATE SET leads = excluded.leads"
            ))
            .execute(conn)?;
        }
        Ok(())
    }

    /// The first lead with `fingerprint` for `tenant`'s key: stored by this batch, or before
    /// it within the window.
    fn earlier_duplicate(
        &self,
        conn: &mut DbConnection,
        tenant: Tenant,
        fingerprint: Fingerprint,
    ) -> Result<Option<FirstLead>> {
        if let Some(first) = self.added.borrow().get(&(tenant.key_id, fingerprint)) {
            return Ok(Some(*first));
        }
        self.fingerprints
            .earlier(conn, tenant.key_id, fingerprint, self.duplicate_cutoff)
    }

    /// Notes that `job` was stored as `recorded` (once its savepoint is released): a later
    /// lead of the batch with the same body is its duplicate.
    pub(crate) fn stored(&self, job: &Job, recorded: &Recorded) {
        if let (Some(fingerprint), true) = (job.fingerprint, leaves_fingerprint(recorded)) {
            let first = FirstLead {
                lead_type: job.lead.lead_type(),
                id: recorded.id,
                at: self.now,
            };
            self.added.borrow_mut().insert((job.tenant.key_id, fingerprint), first);
        }
    }

    /// The fingerprints of the leads this batch stored, for [`Fingerprints::committed`].
    pub(crate) fn into_added(self) -> HashMap<(Id, Fingerprint), FirstLead> {
        self.added.into_inner()
    }

    /// Notes the keys that had a lead accepted in this batch as used now.
    pub(crate) fn note_key_use(&self, conn: &mut DbConnection, keys: impl Iterator<Item = Id>) -> Result<()> {
        for key_id in keys {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::last_used_at.eq(self.now))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Records one lead of a prepared batch inside the caller's transaction: the order or
/// ticket, its customer link, one notification per active employee (none while it is held),
/// and its `Idempotency-Key` or fingerprint — or, for a retry or a duplicate, nothing but the
/// first lead's answer.
pub(crate) fn record_lead_in(conn: &mut DbConnection, batch: &Batch<'_>, job: &Job) -> Result<Recorded> {
    let (tenant, lead, payload) = (job.tenant, &job.lead, job.payload.as_str());
    if batch.valid_keys.get(&tenant.key_id) != Some(&true) {
        return Err(StoreError::KeyNotValid);
    }
    let now = batch.now;
    let idempotency_key = job.options.idempotency_key.as_deref();
    let mut held = None;
    if job.options.spam {
        held = Some(Hold::Spam);
    } else if let Some(key) = idempotency_key {
        match earlier_answer(conn, tenant, key, lead, payload, now)? {
            Earlier::Same(first) => return Ok(first),
            Earlier::Different => held = Some(Hold::Conflict),
            Earlier::Unknown => {}
        }
    } else if let Some(fingerprint) = job.fingerprint {
        if let Some(first) = batch.earlier_duplicate(conn, tenant, fingerprint)? {
            // Checked against the stored lead, so that a fingerprint that outlived its lead (a
            // database file restored from a backup under a running server) never answers
            // for a lead that is not there.
            match stored_lead(conn, first.lead_type, first.id)? {
                Some(stored)
                    if stored.api_key_id == tenant.key_id && fingerprint_of(&stored.payload) == fingerprint =>
                {
                    return Ok(replayed(first.id, stored.customer_id));
                }
                _ => batch.fingerprints.forget(conn, tenant.key_id, fingerprint)?,
            }
        }
    }
    let held = held.or_else(|| batch.hold_after(tenant.key_id, 0));
    let email = lead.email();
    let email_normalized = email.normalized();
    let customer_id = customers::table
        .filter(customers::company_id.eq(tenant.company_id))
        .filter(customers::email_normalized.eq(&email_normalized))
        .select(customers::id)
        .load::<Id>(conn)?
        .into_iter()
        .next(); // (company, email) is unique; no LIMIT, whose bound value would re-prepare

    let (id, order_id, ticket_id) = match lead {
        Lead::Order(order) => {
            let values = NewOrder::of(tenant, order, &email_normalized, customer_id, payload, now, held);
            let id = insert_returning_id!(conn, web_orders, &values);
            (id, Some(id), None)
        }
        Lead::Ticket(ticket) => {
            let values = NewTicket::of(tenant, ticket, &email_normalized, customer_id, payload, now, held);
            let id = insert_returning_id!(conn, tickets, &values);
            (id, None, Some(id))
        }
    };

    // One single-row insert per employee: the same prepared statement every time. A held
    // lead notifies nobody.
    let text = lead.notification_text();
    let kind = lead.lead_type().as_str();
    let recipients = match held {
        Some(_) => &[][..],
        None => batch.recipients.get(&tenant.company_id).map_or(&[][..], Vec::as_slice),
    };
    for &employee_id in recipients {
        diesel::insert_into(notifications::table)
            .values(NewNotification {
                company_id: tenant.company_id,
                employee_id,
                kind,
                text: &text,
                order_id,
                ticket_id,
                created_at: now,
            })
            .execute(conn)?;
    }
    // Spam records no key (a bot must not use up a real lead's key), and a conflicting lead
    // leaves the key to the lead that has it.
    let counts = counts_as_lead(held);
    if let (Some(key), true) = (idempotency_key, counts) {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::api_key_id.eq(tenant.key_id),
                idempotency_keys::idem_key.eq(key),
                idempotency_keys::lead_type.eq(kind),
                idempotency_keys::record_id.eq(id),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(concurrent_duplicate)?;
    }
    if let (Some(fingerprint), true) = (job.fingerprint, counts) {
        let first = FirstLead {
            lead_type: lead.lead_type(),
            id,
            at: now,
        };
        batch.fingerprints.insert(conn, tenant.key_id, fingerprint, first)?;
    }
    if counts {
        batch.count_stored(tenant.key_id, 1);
    }
    Ok(Recorded {
        id,
        customer_id,
        notified: recipients.len(),
        replayed: false,
        held,
    })
}

/// Whether a recorded lead left its fingerprint: a real lead (see [`counts_as_lead`]) that
/// was stored, not a retry.
fn leaves_fingerprint(recorded: &Recorded) -> bool {
    !recorded.replayed && counts_as_lead(recorded.held)
}

/// A unique violation on an `Idempotency-Key` or a fingerprint: another writer (PostgreSQL)
/// stored the same lead a moment ago. The lead is tried again, and the lookup answers with it.
pub(crate) fn concurrent_duplicate(error: diesel::result::Error) -> StoreError {
    match error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::ConcurrentDuplicate
        }
        other => other.into(),
    }
}

/// How long an `Idempotency-Key` is remembered.
const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// What an `Idempotency-Key` was used for before.
enum Earlier {
    /// Nothing (within 24 hours): the key is new.
    Unknown,
    /// The same body: this is the first lead's answer.
    Same(Recorded),
    /// Another body.
    Different,
}

/// What this `Idempotency-Key` (same API key, last 24 hours) was used for before.
fn earlier_answer(
    conn: &mut DbConnection,
    tenant: Tenant,
    key: &str,
    lead: &Lead,
    payload: &str,
    now: i64,
) -> Result<Earlier> {
    let mine = idempotency_keys::table
        .filter(idempotency_keys::api_key_id.eq(tenant.key_id))
        .filter(idempotency_keys::idem_key.eq(key));
    diesel::delete(mine.filter(idempotency_keys::created_at.lt(now - IDEMPOTENCY_WINDOW_MS))).execute(conn)?;
    let Some((lead_type, record_id)) = mine
        .select((idempotency_keys::lead_type, idempotency_keys::record_id))
        .load::<(String, Id)>(conn)?
        .into_iter()
        .next()
    else {
        return Ok(Earlier::Unknown);
    };
    let first_type = if lead_type == LeadType::Order.as_str() {
        LeadType::Order
    } else {
        LeadType::Ticket
    };
    match stored_lead(conn, first_type, record_id)? {
        Some(first) if first_type == lead.lead_type() && same_body(&first.payload, payload) => {
            Ok(Earlier::Same(replayed(record_id, first.customer_id)))
        }
        _ => Ok(Earlier::Different),
    }
}

/// Whether two bodies say the same: the same text, or the same canonical spelling (as for
/// duplicates: whitespace and the order of the fields do not count).
fn same_body(first: &str, again: &str) -> bool {
    first == again
        || lead_domain::canonical_json(first).is_some_and(|first| Some(first) == lead_domain::canonical_json(again))
}

/// What a stored order or ticket was sent with, to tell a retry of it.
struct StoredLead {
    payload: String,
    customer_id: Option<Id>,
    api_key_id: Id,
}

/// The payload, customer and key of a stored order or ticket.
fn stored_lead(conn: &mut DbConnection, lead_type: LeadType, id: Id) -> Result<Option<StoredLead>> {
    let found: Vec<(String, Option<Id>, Id)> = match lead_type {
        LeadType::Order => web_orders::table
            .find(id)
            .select((web_orders::payload, web_orders::customer_id, web_orders::api_key_id))
            .load(conn)?,
        LeadType::Ticket => tickets::table
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
fn replayed(id: Id, customer_id: Option<Id>) -> Recorded {
    Recorded {
        id,
        customer_id,
        notified: 0,
        replayed: true,
        held: None,
    }
}

/// Records a whole batch with a handful of statements: one customer lookup, one fingerprint
/// lookup, one multi-row insert each for orders, tickets, notifications and fingerprints.
/// Used on PostgreSQL, where every statement is a network round trip. All or nothing: the
/// caller runs it in a savepoint and falls back to [`record_lead_in`] lead by lead if it
/// fails — or if it answers `None`: the batch holds a duplicate (of a lead in it or of an
/// earlier one), which is answered lead by lead.
pub(crate) fn record_batch_set_based(
    conn: &mut DbConnection,
    batch: &Batch<'_>,
    jobs: &[Job],
) -> Result<Option<Vec<Result<Recorded>>>> {
    let now = batch.now;
    let valid = |tenant: &Tenant| batch.valid_keys.get(&tenant.key_id) == Some(&true);
    // (fingerprint, key): the order of lead_fingerprints' primary key.
    let mut fingerprints: Vec<(Fingerprint, Id)> = jobs
        .iter()
        .filter(|job| valid(&job.tenant) && !job.options.spam)
        .filter_map(|job| Some((job.fingerprint?, job.tenant.key_id)))
        .collect();
    fingerprints.sort_unstable();
    if fingerprints.windows(2).any(|pair| pair[0] == pair[1]) {
        return Ok(None);
    }
    let normalized: Vec<String> = jobs.iter().map(|job| job.lead.email().normalized()).collect();
    let customers: HashMap<(Id, String), Id> = customers::table
        .filter(customers::email_normalized.eq_any(&normalized))
        .select((customers::id, customers::company_id, customers::email_normalized))
        .load::<(Id, Id, String)>(conn)?
        .into_iter()
        .map(|(id, company, email)| ((company, email), id))
        .collect();
    let customer_of = |tenant: &Tenant, email: &String| customers.get(&(tenant.company_id, email.clone())).copied();

    // Counted against the daily caps here, but only applied to the batch once all of it is
    // in: if anything fails, the leads go one by one and count themselves.
    let mut pending: HashMap<Id, i64> = HashMap::new();
    let mut holds = Vec::with_capacity(jobs.len());
    let mut new_orders = Vec::new();
    let mut new_tickets = Vec::new();
    for (job, email_normalized) in jobs.iter().zip(&normalized) {
        let tenant = &job.tenant;
        if !valid(tenant) {
            holds.push(None);
            continue;
        }
        let held = if job.options.spam {
            Some(Hold::Spam)
        } else {
            let counted = pending.entry(tenant.key_id).or_insert(0);
            let held = batch.hold_after(tenant.key_id, *counted);
            *counted += 1;
            held
        };
        holds.push(held);
        let customer_id = customer_of(tenant, email_normalized);
        let payload = job.payload.as_str();
        match &job.lead {
            Lead::Order(order) => new_orders.push(NewOrder::of(
                *tenant,
                order,
                email_normalized,
                customer_id,
                payload,
                now,
                held,
            )),
            Lead::Ticket(ticket) => new_tickets.push(NewTicket::of(
                *tenant,
                ticket,
                email_normalized,
                customer_id,
                payload,
                now,
                held,
            )),
        }
    }
    let DbConnection::Postgres(pg) = conn else {
        return Err(StoreError::Unavailable("set-based batches are for PostgreSQL".into()));
    };
    // PostgreSQL returns the rows of a multi-row INSERT … RETURNING in the order of its VALUES.
    let order_ids: Vec<Id> = if new_orders.is_empty() {
        Vec::new()
    } else {
        diesel::insert_into(web_orders::table)
            .values(&new_orders)
            .returning(web_orders::id)
            .get_results(pg)?
    };
    let ticket_ids: Vec<Id> = if new_tickets.is_empty() {
        Vec::new()
    } else {
        diesel::insert_into(tickets::table)
            .values(&new_tickets)
            .returning(tickets::id)
            .get_results(pg)?
    };

    let (mut next_order, mut next_ticket) = (order_ids.iter(), ticket_ids.iter());
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut texts = Vec::new();
    let mut targets = Vec::new();
    let mut new_fingerprints = Vec::new();
    for ((job, email_normalized), held) in jobs.iter().zip(&normalized).zip(holds) {
        let (tenant, lead) = (&job.tenant, &job.lead);
        if !valid(tenant) {
            outcomes.push(Err(StoreError::KeyNotValid));
            continue;
        }
        let (id, order_id, ticket_id) = match lead {
            Lead::Order(_) => {
                let id = *next_order.next().expect("one id per order");
                (id, Some(id), None)
            }
            Lead::Ticket(_) => {
                let id = *next_ticket.next().expect("one id per ticket");
                (id, None, Some(id))
            }
        };
        if let (Some(fingerprint), true) = (job.fingerprint, counts_as_lead(held)) {
            let first = FirstLead {
                lead_type: lead.lead_type(),
                id,
                at: now,
            };
            new_fingerprints.push(NewFingerprint::of(tenant.key_id, fingerprint, first));
        }
        let recipients = match held {
            Some(_) => &[][..],
            None => batch.recipients.get(&tenant.company_id).map_or(&[][..], Vec::as_slice),
        };
        texts.push(lead.notification_text());
        targets.push((*tenant, lead.lead_type().as_str(), order_id, ticket_id, recipients));
        outcomes.push(Ok(Recorded {
            replayed: false,
            id,
            customer_id: customer_of(tenant, email_normalized),
            notified: recipients.len(),
            held,
        }));
    }
    let notifications: Vec<NewNotification<'_>> = targets
        .iter()
        .zip(&texts)
        .flat_map(|((tenant, kind, order_id, ticket_id, recipients), text)| {
            recipients.iter().map(move |&employee_id| NewNotification {
                company_id: tenant.company_id,
                employee_id,
                kind,
                text,
                order_id: *order_id,
                ticket_id: *ticket_id,
                created_at: now,
            })
        })
        .collect();
    // Chunks keep each statement below PostgreSQL's 65,535 bound parameters (7 per row).
    for chunk in notifications.chunks(5000) {
        diesel::insert_into(notifications::table).values(chunk).execute(pg)?;
    }
    if !new_fingerprints.is_empty() {
        // In key order, so that parallel writers meeting the same fingerprints wait for each
        // other instead of deadlocking. No lookup first: a duplicate is rare, and its unique
        // violation (an earlier lead's fingerprint, or another writer's a moment ago) sends
        // the batch lead by lead, where it is answered as one.
        new_fingerprints.sort_unstable_by_key(|row| (row.fingerprint, row.api_key_id));
        diesel::insert_into(lead_fingerprints::table)
            .values(&new_fingerprints)
            .execute(pg)
            .map_err(crate::leads::concurrent_duplicate)?;
    }
    for (key_id, leads) in pending {
        batch.count_stored(key_id, leads);
    }
    Ok(Some(outcomes))
}

impl<'a> NewOrder<'a> {
    /// The row of a new web order (status `new`).
    fn of(
        tenant: Tenant,
        order: &'a lead_domain::WebOrder,
        email_normalized: &'a str,
        customer_id: Option<Id>,
        payload: &'a str,
        now: i64,
        held: Option<Hold>,
    ) -> NewOrder<'a> {
        NewOrder {
            company_id: tenant.company_id,
            api_key_id: tenant.key_id,
            customer_id,
            email: order.email.as_str(),
            email_normalized,
            title: order.title.as_str(),
            message: order.message.as_ref().map(|m| m.as_str()),
            total_cents: i64::try_from(order.total.cents()).expect("at most 99 999 999.99 €"),
            status: OrderStatus::New.as_str(),
            payload,
            created_at: now,
            held: held.map(Hold::as_str),
        }
    }
}

impl<'a> NewTicket<'a> {
    /// The row of a new ticket (status `open`).
    fn of(
        tenant: Tenant,
        ticket: &'a lead_domain::Ticket,
        email_normalized: &'a str,
        customer_id: Option<Id>,
        payload: &'a str,
        now: i64,
        held: Option<Hold>,
    ) -> NewTicket<'a> {
        NewTicket {
            company_id: tenant.company_id,
            api_key_id: tenant.key_id,
            customer_id,
            email: ticket.email.as_str(),
            email_normalized,
            title: ticket.title.as_str(),
            message: ticket.message.as_str(),
            status: TicketStatus::Open.as_str(),
            payload,
            created_at: now,
            held: held.map(Hold::as_str),
        }
    }
}
