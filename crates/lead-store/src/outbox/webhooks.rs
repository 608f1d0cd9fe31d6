//! A company's webhook endpoints: added, listed, removed, switched back on, their secret
//! rotated — and disabled when they fail for good, with the team told why.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use lead_domain::Timestamp;

use super::*;
use crate::db::DbConnection;
use crate::ids::{CompanyId, WebhookId};
use crate::outbox::Outbox;
use crate::schema::webhooks;
use crate::{access::audit, db::dialect, Result, Scope, StoreError};

/// A webhook as stored.
type WebhookRow = (
    WebhookId,
    CompanyId,
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<i64>,
    i64,
);

macro_rules! webhook_columns {
    () => {
        (
            webhooks::id,
            webhooks::company_id,
            webhooks::url,
            webhooks::events,
            webhooks::format,
            webhooks::active,
            webhooks::disabled_reason,
            webhooks::last_success_at,
            webhooks::created_at,
        )
    };
}

/// A company's webhook endpoint (its secrets are never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// The company whose events it receives.
    pub company_id: CompanyId,
    /// Where they are sent.
    pub url: String,
    /// Which events.
    pub events: Vec<Event>,
    /// What it is sent.
    pub format: WebhookFormat,
    /// Whether it is sent anything.
    pub active: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Its last delivery that succeeded.
    pub last_success_at: Option<Timestamp>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Where a delivery goes and how it is signed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The endpoint.
    pub id: WebhookId,
    /// Its URL.
    pub url: String,
    /// What it is sent.
    pub format: WebhookFormat,
    /// The secrets that sign a request: the current one, and for a day after a rotation the
    /// previous one too.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for WebhookTarget {
    /// Without the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("format", &self.format)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// A new endpoint.
#[derive(Clone)]
pub struct NewWebhook<'a> {
    /// The company whose events it receives.
    pub company_id: CompanyId,
    /// Where they are sent.
    pub url: &'a str,
    /// Which events (at least one).
    pub events: &'a [Event],
    /// What it is sent.
    pub format: WebhookFormat,
    /// Its signing secret (`whsec_…`).
    pub secret: &'a str,
}

impl std::fmt::Debug for NewWebhook<'_> {
    /// Without the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("company_id", &self.company_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// An endpoint's URL as the team is shown it: scheme, host and port only. The rest may be a
/// credential (the path of a Slack incoming webhook is one); only the operator sees it whole.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".into();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.len() == rest.len() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// After a rotation, the previous secret signs too for this long, so receivers can switch.
pub const PREVIOUS_SECRET_VALID: Duration = Duration::from_secs(24 * 3600);

fn webhook_of(row: WebhookRow) -> Result<Webhook> {
    let (id, company_id, url, events, format, active, disabled_reason, last_success_at, created_at) = row;
    Ok(Webhook {
        id,
        company_id,
        url,
        events: parse_events(&events)?,
        format: parse_word(&format, "webhook format")?,
        active: active == 1,
        disabled_reason,
        last_success_at: last_success_at.map(Timestamp::from),
        created_at: created_at.into(),
    })
}

impl Outbox<'_> {
    /// Adds a webhook endpoint for a company (active at once).
    pub fn add_webhook(&self, new: &NewWebhook<'_>) -> Result<WebhookId> {
        if new.events.is_empty() || new.events.iter().any(|event| !Event::WEBHOOK_EVENTS.contains(event)) {
            return Err(StoreError::Invalid {
                field: "events",
                problem: crate::Problem::Other(format!(
                    "name one or more of {}",
                    Event::WEBHOOK_EVENTS
                        .iter()
                        .map(|event| event.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        }
        let events: Vec<&str> = new.events.iter().map(|event| event.as_str()).collect();
        self.store.write(|conn| {
            crate::access::companies::ensure_company(conn, new.company_id)?;
            let id = dialect::each_backend!(&mut *conn, c => diesel::insert_into(webhooks::table)
                .values((
                    webhooks::company_id.eq(new.company_id),
                    webhooks::url.eq(new.url),
                    webhooks::events.eq(events.join(",")),
                    webhooks::format.eq(new.format.as_str()),
                    webhooks::secret.eq(new.secret),
                    webhooks::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(webhooks::id)
                .get_result::<WebhookId>(c))?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(new.company_id),
                "webhook.add",
                &format!("webhook {id} of company {} to {}", new.company_id, new.url),
            )?;
            Ok(id)
        })
    }

    /// The webhook endpoints (of one company, or all), oldest first; removed ones are gone.
    pub fn list_webhooks(&self, company_id: Option<CompanyId>) -> Result<Vec<Webhook>> {
        self.store.read(|conn| {
            let mut query = webhooks::table
                .filter(webhooks::removed_at.is_null())
                .select(webhook_columns!())
                .order(webhooks::id)
                .into_boxed();
            if let Some(company_id) = company_id {
                query = query.filter(webhooks::company_id.eq(company_id));
            }
            query.load::<WebhookRow>(conn)?.into_iter().map(webhook_of).collect()
        })
    }

    /// One endpoint and where and how it is sent to (for `webhook test`).
    pub fn find_webhook(&self, scope: Scope, id: WebhookId) -> Result<(Webhook, WebhookTarget)> {
        self.store.read(|conn| {
            let webhook = webhooks::table
                .find(id)
                .filter(webhooks::removed_at.is_null())
                .select(webhook_columns!())
                .first::<WebhookRow>(conn)
                .optional()?
                .map(webhook_of)
                .transpose()?
                .filter(|webhook| scope.reaches(webhook.company_id))
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Webhook, id))?;
            let target = targets(conn, &[id], Timestamp::now().millis(), false)?
                .remove(&id)
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Webhook, id))?;
            Ok((webhook, target))
        })
    }

    /// Removes an endpoint: it is sent nothing more, and its pending deliveries fail.
    pub fn remove_webhook(&self, scope: Scope, id: WebhookId) -> Result<()> {
        self.store.write(|conn| {
            within(conn, scope, id)?;
            let now = Timestamp::now().millis();
            let removed = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::removed_at.eq(now),
                    webhooks::active.eq(0),
                    webhooks::disabled_reason.eq("removed by the operator"),
                ))
                .execute(conn)?;
            if removed == 0 {
                return Err(StoreError::missing(crate::error::Entity::Webhook, id));
            }
            fail_pending(conn, Endpoint::Webhook(id), "the endpoint was removed")?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Webhook(id),
                "webhook.remove",
                &format!("webhook {id}"),
            )
        })
    }

    /// Enables a disabled endpoint again (its failed deliveries stay failed: `outbox retry`).
    pub fn enable_webhook(&self, scope: Scope, id: WebhookId) -> Result<()> {
        self.store.write(|conn| {
            within(conn, scope, id)?;
            let enabled = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::active.eq(1),
                    webhooks::disabled_reason.eq(None::<String>),
                    webhooks::failing_since.eq(None::<i64>),
                ))
                .execute(conn)?;
            if enabled == 0 {
                return Err(StoreError::missing(crate::error::Entity::Webhook, id));
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Webhook(id),
                "webhook.enable",
                &format!("webhook {id}"),
            )
        })
    }

    /// Gives an endpoint a new secret; the old one goes on signing alongside for
    /// [`PREVIOUS_SECRET_VALID`].
    pub fn rotate_webhook_secret(&self, id: WebhookId, secret: &str) -> Result<()> {
        self.store.write(|conn| {
            let now = Timestamp::now().millis();
            let until = now + i64::try_from(PREVIOUS_SECRET_VALID.as_millis()).expect("a day in milliseconds");
            let rotated = diesel::update(webhooks::table.find(id).filter(webhooks::removed_at.is_null()))
                .set((
                    webhooks::previous_secret.eq(webhooks::secret.nullable()),
                    webhooks::previous_secret_until.eq(until),
                    webhooks::secret.eq(secret),
                ))
                .execute(conn)?;
            if rotated == 0 {
                return Err(StoreError::missing(crate::error::Entity::Webhook, id));
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Webhook(id),
                "webhook.rotate-secret",
                &format!("webhook {id}"),
            )
        })
    }
}

/// Fails with "not found" unless the endpoint exists (not removed) within `scope` (another
/// company's is answered like a missing one).
fn within(conn: &mut DbConnection, scope: Scope, id: WebhookId) -> Result<()> {
    let company: Option<CompanyId> = webhooks::table
        .find(id)
        .filter(webhooks::removed_at.is_null())
        .select(webhooks::company_id)
        .first(conn)
        .optional()?;
    match company {
        Some(company) if scope.reaches(company) => Ok(()),
        _ => Err(StoreError::missing(crate::error::Entity::Webhook, id)),
    }
}

/// Where and how each of `ids` (not removed; with `active_only`, not disabled) is sent to.
pub(crate) fn targets(
    conn: &mut DbConnection,
    ids: &[WebhookId],
    now: i64,
    active_only: bool,
) -> Result<HashMap<WebhookId, WebhookTarget>> {
    /// id, url, format, secret, previous secret and until when it signs.
    type Row = (WebhookId, String, String, String, Option<String>, Option<i64>);
    let mut query = webhooks::table
        .filter(webhooks::id.eq_any(ids))
        .filter(webhooks::removed_at.is_null())
        .into_boxed();
    if active_only {
        query = query.filter(webhooks::active.eq(1));
    }
    let rows: Vec<Row> = query
        .select((
            webhooks::id,
            webhooks::url,
            webhooks::format,
            webhooks::secret,
            webhooks::previous_secret,
            webhooks::previous_secret_until,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, url, format, secret, previous, until)| {
            let mut secrets = vec![secret];
            if until.is_some_and(|until| until > now) {
                secrets.extend(previous);
            }
            Ok((
                id,
                WebhookTarget {
                    id,
                    url,
                    format: parse_word(&format, "webhook format")?,
                    secrets,
                },
            ))
        })
        .collect()
}
