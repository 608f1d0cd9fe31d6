//! API keys: register (by hash — the key itself is never stored), look up as presented,
//! list, find, revoke, cap, limit to websites.

use diesel::prelude::*;
use lead_auth::{ApiKey, KeyHash, KeyState, IMPORTED_PREFIX};
use lead_domain::Timestamp;

use crate::access::audit;
use crate::access::Access;
use crate::error::conflict_on_unique;
use crate::ids::{CompanyId, KeyId};
use crate::input::select_by_id_or_prefix;
use crate::models::{origins_from_column, KeyInfo, KeyLookup, Tenant};
use crate::rows::NewKey;
use crate::schema::{api_keys, companies};
use crate::{Problem, Result, Scope, StoreError};

/// The longest key label, in characters.
const MAX_LABEL_CHARS: usize = 200;

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct KeyRow {
    id: KeyId,
    company_id: CompanyId,
    prefix: String,
    label: String,
    active: i32,
    created_at: i64,
    last_used_at: Option<i64>,
    daily_cap: Option<i64>,
    origins: Option<String>,
    confirm_sender: i32,
    consent_text: Option<String>,
    challenge: i32,
}

impl From<KeyRow> for KeyInfo {
    fn from(row: KeyRow) -> Self {
        KeyInfo {
            id: row.id,
            company_id: row.company_id,
            prefix: row.prefix,
            label: row.label,
            active: row.active == 1,
            created_at: row.created_at.into(),
            last_used_at: row.last_used_at.map(Timestamp::from),
            daily_cap: row.daily_cap,
            origins: origins_from_column(row.origins),
            confirm_sender: row.confirm_sender == 1,
            consent_text: row.consent_text,
            challenge: row.challenge == 1,
        }
    }
}

impl Access<'_> {
    /// Looks a presented key up by its hash; `None` when no key has that hash.
    pub fn find_key_by_hash(&self, hash: &KeyHash) -> Result<Option<KeyLookup>> {
        self.store.read(|conn| {
            let found = api_keys::table
                .inner_join(companies::table)
                .filter(api_keys::key_hash.eq(hash.as_str()))
                .select((
                    api_keys::id,
                    api_keys::company_id,
                    api_keys::active,
                    companies::active,
                    api_keys::origins,
                    api_keys::challenge,
                ))
                .first::<(KeyId, CompanyId, i32, i32, Option<String>, i32)>(conn)
                .optional()?;
            Ok(found.map(
                |(key_id, company_id, key_active, company_active, origins, challenge)| KeyLookup {
                    tenant: Tenant { company_id, key_id },
                    state: KeyState::of(key_active == 1, company_active == 1),
                    origins: origins_from_column(origins),
                    challenge: challenge == 1,
                },
            ))
        })
    }

    /// Registers `key` for a company: its hash and display prefix (the key itself is never
    /// stored).
    pub fn add_key(&self, company_id: CompanyId, key: &ApiKey, label: &str) -> Result<KeyId> {
        let label = label.trim();
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(StoreError::Invalid {
                field: "label",
                problem: Problem::TooLong(MAX_LABEL_CHARS),
            });
        }
        let (prefix, hash) = (key.display_prefix(), key.hash());
        self.store.write(|conn| {
            let id: KeyId = diesel::insert_into(api_keys::table)
                .values(NewKey {
                    company_id,
                    prefix: &prefix,
                    key_hash: hash.as_str(),
                    label,
                    created_at: Timestamp::now().millis(),
                })
                .returning(api_keys::id)
                .get_result(conn)
                .map_err(conflict_on_unique(crate::error::Entity::Key, || {
                    "this key is already registered".to_owned()
                }))?;
            let action = if prefix.starts_with(IMPORTED_PREFIX) {
                "key.import"
            } else {
                "key.issue"
            };
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                action,
                &format!("key {id} ({prefix}) of company {company_id}"),
            )?;
            Ok(id)
        })
    }

    /// Keys, all or of one company, by id.
    pub fn list_keys(&self, company_id: Option<CompanyId>) -> Result<Vec<KeyInfo>> {
        self.store.read(|conn| {
            let mut query = api_keys::table
                .select(KeyRow::as_select())
                .order(api_keys::id)
                .into_boxed();
            if let Some(company_id) = company_id {
                query = query.filter(api_keys::company_id.eq(company_id));
            }
            Ok(query.load::<KeyRow>(conn)?.into_iter().map(KeyInfo::from).collect())
        })
    }

    /// The key with this id.
    pub fn key(&self, key_id: KeyId) -> Result<KeyInfo> {
        self.store.read(|conn| {
            api_keys::table
                .find(key_id)
                .select(KeyRow::as_select())
                .first::<KeyRow>(conn)
                .optional()?
                .map(KeyInfo::from)
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Key, key_id))
        })
    }

    /// The key with this id (all digits) or whose display prefix starts with `selector`
    /// (the operator's commands; with an id at hand, [`Access::key`]).
    /// An exact prefix match wins; several candidates are an error that names them.
    pub fn find_key(&self, selector: &str) -> Result<KeyInfo> {
        select_by_id_or_prefix(
            self.list_keys(None)?,
            selector,
            "key",
            crate::error::Entity::Key,
            |key| (key.id.get(), &key.prefix),
        )
    }

    /// Revokes a key within `scope`: it stops working at once. Revoking a revoked key
    /// changes nothing.
    pub fn revoke_key(&self, scope: Scope, key_id: KeyId) -> Result<()> {
        self.change_key(scope, key_id, "key.revoke", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::active.eq(0))
                .execute(conn)?;
            Ok(String::new())
        })
    }

    /// Sets a key's daily cap (`None`: no cap). Past it, the day's further leads (UTC) are
    /// stored but quarantined: they notify nobody and wait for the operator.
    pub fn set_daily_cap(&self, scope: Scope, key_id: KeyId, cap: Option<i64>) -> Result<()> {
        if cap.is_some_and(|cap| cap < 0) {
            return Err(StoreError::Invalid {
                field: "cap",
                problem: Problem::Other("a daily cap is a number of leads, 0 or more".into()),
            });
        }
        self.change_key(scope, key_id, "key.cap", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::daily_cap.eq(cap))
                .execute(conn)?;
            if cap.is_some() {
                count_today(conn, key_id)?;
            }
            Ok(format!(
                ": {}",
                cap.map_or("off".to_owned(), |cap| format!("{cap} leads a day"))
            ))
        })
    }

    /// Whether the senders of a key's leads get a confirmation e-mail (when SMTP is configured;
    /// never for held leads, and at most the configured number a day).
    pub fn set_key_confirm(&self, scope: Scope, key_id: KeyId, confirm: bool) -> Result<()> {
        self.change_key(scope, key_id, "key.confirm", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::confirm_sender.eq(i32::from(confirm)))
                .execute(conn)?;
            Ok(format!(": confirmations {}", if confirm { "on" } else { "off" }))
        })
    }

    /// Whether a key's leads must bring a proof of work (the ALTCHA widget's `altcha` field):
    /// a lead without a valid, unused solution is then stored held as spam.
    pub fn set_key_challenge(&self, scope: Scope, key_id: KeyId, on: bool) -> Result<()> {
        self.change_key(scope, key_id, "key.challenge", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::challenge.eq(i32::from(on)))
                .execute(conn)?;
            Ok(format!(": proof of work {}", if on { "required" } else { "off" }))
        })
    }

    /// The consent sentence a key's form shows (`None`: none), recorded with each of its leads
    /// that sends no `consent_text` of its own — given or not, as the form's checkbox says.
    pub fn set_key_consent_text(&self, scope: Scope, key_id: KeyId, text: Option<&str>) -> Result<()> {
        let text = text.map(str::trim).filter(|text| !text.is_empty());
        if text.is_some_and(|text| text.chars().count() > lead_domain::MAX_CONSENT_TEXT_CHARS) {
            return Err(StoreError::Invalid {
                field: "consent_text",
                problem: Problem::TooLong(lead_domain::MAX_CONSENT_TEXT_CHARS),
            });
        }
        self.change_key(scope, key_id, "key.consent_text", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::consent_text.eq(text))
                .execute(conn)?;
            Ok(match text {
                Some(text) => format!(": {text}"),
                None => ": none".to_owned(),
            })
        })
    }

    /// Sets the origins a key may be used from (normalised, like `https://www.example.de`);
    /// an empty list allows any origin again (and no form redirects).
    pub fn set_key_origins(&self, scope: Scope, key_id: KeyId, origins: &[String]) -> Result<()> {
        let column = (!origins.is_empty()).then(|| origins.join(" "));
        self.change_key(scope, key_id, "key.origins", |conn| {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::origins.eq(&column))
                .execute(conn)?;
            Ok(format!(": {}", column.as_deref().unwrap_or("any")))
        })
    }

    /// Changes an existing key within `scope` with `change` (which says what it did, for the
    /// audit log) and records `action` in the audit log; a key outside the scope is not found,
    /// like a missing one.
    pub(super) fn change_key(
        &self,
        scope: Scope,
        key_id: KeyId,
        action: &str,
        change: impl FnOnce(&mut crate::db::DbConnection) -> Result<String>,
    ) -> Result<()> {
        self.store.write(|conn| {
            let found: Option<(String, CompanyId)> = api_keys::table
                .find(key_id)
                .select((api_keys::prefix, api_keys::company_id))
                .first(conn)
                .optional()?;
            let Some((prefix, _)) = found.filter(|(_, company)| scope.reaches(*company)) else {
                return Err(StoreError::missing(crate::error::Entity::Key, key_id));
            };
            let what = change(conn)?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Key(key_id),
                action,
                &format!("key {key_id} ({prefix}){what}"),
            )
        })
    }
}

/// Sets the key's count of today's leads (UTC) from the leads it stored today, whatever the
/// cap was meanwhile: the writers count only capped keys, so a cap set during the day would
/// otherwise start from nothing. Counted as the writers count: every lead but spam and
/// conflicts. The day's row is locked first, so no batch in flight counts from a stale number.
fn count_today(conn: &mut crate::db::DbConnection, key_id: KeyId) -> Result<()> {
    use crate::schema::{tickets, web_orders};
    let now = Timestamp::now().millis();
    let day = day_of(now);
    let since = day * 24 * 60 * 60 * 1000;
    crate::db::dialect::day_count_locked(conn, key_id, day)?;
    let quarantine = crate::Hold::Quarantine.as_str();
    let orders: i64 = web_orders::table
        .filter(web_orders::api_key_id.eq(key_id))
        .filter(web_orders::created_at.ge(since))
        .filter(web_orders::held.is_null().or(web_orders::held.eq(quarantine)))
        .count()
        .get_result(conn)?;
    let tickets: i64 = tickets::table
        .filter(tickets::api_key_id.eq(key_id))
        .filter(tickets::created_at.ge(since))
        .filter(tickets::held.is_null().or(tickets::held.eq(quarantine)))
        .count()
        .get_result(conn)?;
    set_day_count(conn, key_id, day, orders + tickets)
}

/// Sets the leads `key_id` stored on `day` (against its daily cap) to `leads`.
pub(crate) fn set_day_count(conn: &mut crate::db::DbConnection, key_id: KeyId, day: i64, leads: i64) -> Result<()> {
    // The same SQL on both backends; every value is a number.
    diesel::sql_query(format!(
        "INSERT INTO key_daily_counts (api_key_id, day, leads) VALUES ({key_id}, {day}, {leads}) \
         ON CONFLICT (api_key_id, day) DO UPDATE SET leads = excluded.leads"
    ))
    .execute(conn)?;
    Ok(())
}

/// Days since 1970-01-01 (UTC) of a time in milliseconds: the period of a daily cap.
pub(crate) fn day_of(millis: i64) -> i64 {
    millis.div_euclid(24 * 60 * 60 * 1000)
}
