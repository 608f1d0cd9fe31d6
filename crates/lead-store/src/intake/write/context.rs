//! Step 1 of writing a batch: what its leads share, looked up once — which keys may still
//! act and their daily caps, each company's active employees, and the customers the
//! senders' addresses belong to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use lead_auth::KeyState;

use crate::access::keys::{day_of, set_day_count};
use crate::db::dialect;
use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId, EmployeeId, KeyId};
use crate::intake::duplicates::Fingerprints;
use crate::intake::ingest::Job;
use crate::models::{AutoCustomers, Hold};
use crate::outbox::DeliveryPolicy;
use crate::outbox::Subscribers;
use crate::schema::{api_keys, companies};
use crate::Result;

use super::owners::{save_turns, Route};

/// What the leads of one batch share.
pub(crate) struct Context<'a> {
    /// The batch's time: every row it writes carries it.
    pub(crate) now: i64,
    /// Leads stored before this (milliseconds) no longer make the same body a duplicate.
    pub(crate) duplicate_cutoff: i64,
    /// The fingerprints of the leads stored before this batch.
    pub(crate) fingerprints: &'a Fingerprints,
    /// The keys that may still act (see [`KeyState::of`]), with their company.
    valid_keys: HashMap<KeyId, CompanyId>,
    /// The keys whose last use the batch records (see [`Context::note_key_use`]).
    stale_use: Vec<KeyId>,
    /// Each company's active employees, in id order.
    recipients: HashMap<CompanyId, Vec<EmployeeId>>,
    /// Each capped key's cap and the leads it had stored today before this batch.
    allowances: BTreeMap<KeyId, (i64, i64)>,
    /// The customer of each company and normalized address the batch's leads come from.
    customers: HashMap<CompanyId, HashMap<String, CustomerId>>,
    /// Who each company's new leads are delivered to beyond the dashboard (the outbox).
    subscribers: HashMap<CompanyId, Subscribers>,
    /// The keys whose senders get a confirmation e-mail, and how many they may still send today.
    confirmations: HashMap<KeyId, i64>,
    /// Who each key's new leads go to.
    routes: HashMap<KeyId, Route>,
    /// Which new senders each company files automatically.
    auto_customers: HashMap<CompanyId, AutoCustomers>,
    /// The keys' consent sentences.
    consent_texts: HashMap<KeyId, String>,
}

/// A key's row as a batch reads it: its company, cap, whether it and its company are active,
/// its last use, whether it confirms, the company's automatic files, its consent sentence.
type KeyRow = (
    CompanyId,
    Option<i64>,
    i32,
    i32,
    Option<i64>,
    i32,
    String,
    Option<String>,
);

impl<'a> Context<'a> {
    /// Looks up what `jobs` share — inside the write transaction, so a key revoked a moment
    /// ago stops working at once. A body stored since `duplicate_cutoff` (as in
    /// `fingerprints`) is a duplicate. `owed` says which e-mails and push messages new leads owe.
    pub(crate) fn load(
        conn: &mut DbConnection,
        jobs: &[Job],
        now: i64,
        duplicate_cutoff: i64,
        fingerprints: &'a Fingerprints,
        owed: DeliveryPolicy,
    ) -> Result<Context<'a>> {
        // One query per distinct key and company (a batch rarely has more than a few): each
        // a statement prepared once, where one `IN` list of whatever length would be parsed
        // anew for every batch.
        let mut valid_keys: HashMap<KeyId, CompanyId> = HashMap::new();
        let mut caps: Vec<(KeyId, i64)> = Vec::new();
        let mut confirming: Vec<KeyId> = Vec::new();
        let mut stale_use = Vec::new();
        let mut routes = HashMap::new();
        let mut auto_customers = HashMap::new();
        let mut consent_texts = HashMap::new();
        let distinct: BTreeSet<KeyId> = jobs.iter().map(|job| job.tenant.key_id).collect();
        for key_id in distinct {
            let found = api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::id.eq(key_id))
                .select((
                    api_keys::company_id,
                    api_keys::daily_cap,
                    api_keys::active,
                    companies::active,
                    api_keys::last_used_at,
                    api_keys::confirm_sender,
                    companies::auto_customers,
                    api_keys::consent_text,
                ))
                .load::<KeyRow>(conn)?;
            if let Some((company_id, cap, key_active, company_active, last_used, confirm, auto, consent_text)) =
                found.into_iter().next()
            {
                if KeyState::of(key_active == 1, company_active == 1) == KeyState::Active {
                    valid_keys.insert(key_id, company_id);
                    if let Some(text) = consent_text {
                        consent_texts.insert(key_id, text);
                    }
                    let auto = auto
                        .parse()
                        .map_err(|_| crate::StoreError::corrupt(format!("auto_customers {auto:?}")))?;
                    auto_customers.insert(company_id, auto);
                    caps.extend(cap.map(|cap| (key_id, cap)));
                    if owed.email && confirm == 1 {
                        confirming.push(key_id);
                    }
                    if last_used.is_none_or(|at| now - at >= LAST_USE_PRECISION_MS) {
                        stale_use.push(key_id);
                    }
                }
            }
        }

        let mut recipients: HashMap<CompanyId, Vec<EmployeeId>> = HashMap::new();
        let mut customers: HashMap<CompanyId, HashMap<String, CustomerId>> = HashMap::new();
        let mut subscribers: HashMap<CompanyId, Subscribers> = HashMap::new();
        for &company_id in valid_keys.values() {
            if recipients.contains_key(&company_id) {
                continue;
            }
            recipients.insert(company_id, crate::team::notifications::recipients(conn, company_id)?);
            subscribers.insert(company_id, Subscribers::of(conn, company_id, owed)?);
            let mut addresses: Vec<&str> = jobs
                .iter()
                .filter(|job| job.tenant.company_id == company_id)
                .map(|job| job.email_normalized.as_str())
                .collect();
            addresses.sort_unstable();
            addresses.dedup();
            let found = dialect::customers_by_address(conn, company_id, &addresses)?;
            customers.insert(company_id, found.into_iter().collect());
        }

        // In key order, so that parallel writers (PostgreSQL) cannot deadlock on the counts.
        let caps: BTreeMap<KeyId, i64> = caps.into_iter().collect();
        let counted: std::collections::BTreeSet<KeyId> = caps.keys().chain(&confirming).copied().collect();
        let mut allowances = BTreeMap::new();
        let mut confirmations: HashMap<KeyId, i64> = HashMap::new();
        for key_id in counted {
            let (leads, confirmed) = dialect::day_count_locked(conn, key_id, day_of(now))?;
            if let Some(&cap) = caps.get(&key_id) {
                allowances.insert(key_id, (cap, leads));
            }
            if confirming.contains(&key_id) {
                confirmations.insert(key_id, owed.confirmations_per_day - confirmed);
            }
        }

        // After the day counts, in key order: every writer locks a key's count before its row
        // (which `note_key_use` writes too), so parallel writers wait instead of deadlocking.
        let mut keys: Vec<KeyId> = valid_keys.keys().copied().collect();
        keys.sort_unstable();
        for key_id in keys {
            routes.insert(key_id, Route::of(conn, key_id)?);
        }

        Ok(Context {
            now,
            duplicate_cutoff,
            fingerprints,
            valid_keys,
            stale_use,
            recipients,
            allowances,
            customers,
            subscribers,
            confirmations,
            routes,
            auto_customers,
            consent_texts,
        })
    }

    /// The consent sentence `key_id`'s form shows, if it has one.
    pub(crate) fn consent_text(&self, key_id: KeyId) -> Option<&str> {
        self.consent_texts.get(&key_id).map(String::as_str)
    }

    /// The owner of the lead that is `key_id`'s `nth` of the batch (from 0) that counts as a
    /// lead: its routed employee, or the one whose turn it is.
    pub(crate) fn owner(&self, key_id: KeyId, nth: i64) -> Option<EmployeeId> {
        self.routes.get(&key_id)?.owner(nth)
    }

    /// Whether `company_id` gives a new sender of a lead of `lead_type` a customer file.
    pub(crate) fn files_new_senders(&self, company_id: CompanyId, lead_type: lead_domain::LeadType) -> bool {
        self.auto_customers
            .get(&company_id)
            .is_some_and(|&auto| super::owners::files(auto, lead_type))
    }

    /// Moves on the turns of the keys that take them by the leads `counted` of each the batch
    /// stored (in the batch's transaction).
    pub(crate) fn save_turns(&self, conn: &mut DbConnection, counted: &HashMap<KeyId, i64>) -> Result<()> {
        for (key_id, route) in &self.routes {
            if let Some(&routed) = counted.get(key_id).filter(|&&n| n > 0 && route.takes_turns()) {
                save_turns(conn, *key_id, routed)?;
            }
        }
        Ok(())
    }

    /// Whether a lead of `key_id` owes its sender a confirmation e-mail, when `sent` of the
    /// key's leads in this batch already did: if the key sends them and has some left today.
    pub(crate) fn may_confirm(&self, key_id: KeyId, sent: i64) -> bool {
        self.confirmations.get(&key_id).is_some_and(|&left| sent < left)
    }

    /// Adds `confirmed` to the day's count of confirmation e-mails of each key (in the batch's
    /// transaction). Added, not set: parallel writers (PostgreSQL) each add their own.
    pub(crate) fn save_confirmations(&self, conn: &mut DbConnection, confirmed: &HashMap<KeyId, i64>) -> Result<()> {
        let day = day_of(self.now);
        for (key_id, &count) in confirmed.iter().filter(|(_, &count)| count > 0) {
            // The same SQL on both backends; every value is a number.
            diesel::sql_query(format!(
                "INSERT INTO key_daily_counts (api_key_id, day, leads, confirmations) VALUES ({key_id}, {day}, 0, {count}) \
                 ON CONFLICT (api_key_id, day) DO UPDATE SET confirmations = key_daily_counts.confirmations + excluded.confirmations"
            ))
            .execute(conn)?;
        }
        Ok(())
    }

    /// Who a company's new leads are delivered to beyond the dashboard.
    pub(crate) fn subscribers(&self, company_id: CompanyId) -> Option<&Subscribers> {
        self.subscribers.get(&company_id)
    }

    /// Whether a lead of `job`'s key and company may still be stored.
    pub(crate) fn may_act(&self, job: &Job) -> bool {
        self.valid_keys.get(&job.tenant.key_id) == Some(&job.tenant.company_id)
    }

    /// The employees a lead for `company_id` notifies.
    pub(crate) fn recipients(&self, company_id: CompanyId) -> &[EmployeeId] {
        self.recipients.get(&company_id).map_or(&[], Vec::as_slice)
    }

    /// The customer `job`'s sender is, if any.
    pub(crate) fn customer(&self, job: &Job) -> Option<CustomerId> {
        self.customers
            .get(&job.tenant.company_id)?
            .get(&job.email_normalized)
            .copied()
    }

    /// Whether the next lead of `key_id` is held back when `counted` of its leads were
    /// already stored in this batch: past the key's daily cap it is quarantined.
    pub(crate) fn hold_after(&self, key_id: KeyId, counted: i64) -> Option<Hold> {
        let &(cap, before) = self.allowances.get(&key_id)?;
        (before + counted >= cap).then_some(Hold::Quarantine)
    }

    /// Writes the day's new lead counts of the capped keys, `counted` of which this batch
    /// stored (in the batch's transaction).
    pub(crate) fn save_counts(&self, conn: &mut DbConnection, counted: &HashMap<KeyId, i64>) -> Result<()> {
        let day = day_of(self.now);
        for (key_id, &(_, before)) in &self.allowances {
            let Some(&stored) = counted.get(key_id).filter(|&&stored| stored > 0) else {
                continue;
            };
            set_day_count(conn, *key_id, day, before + stored)?;
        }
        Ok(())
    }

    /// Notes `keys`, which had a lead accepted in this batch, as used now — unless the
    /// recorded last use is less than a second old: writing the key's row with every batch
    /// would make parallel writers (PostgreSQL) wait for each other's commit on it.
    pub(crate) fn note_key_use(&self, conn: &mut DbConnection, keys: &[KeyId]) -> Result<()> {
        let stale: Vec<KeyId> = keys
            .iter()
            .copied()
            .filter(|key| self.stale_use.contains(key))
            .collect();
        if !stale.is_empty() {
            diesel::update(api_keys::table.filter(api_keys::id.eq_any(&stale)))
                .set(api_keys::last_used_at.eq(self.now))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// How exact a key's recorded last use is (milliseconds).
const LAST_USE_PRECISION_MS: i64 = 1000;
