//! Claiming and recording: a delivery worker claims due rows in one short transaction, reads
//! what it needs to send them, sends outside any transaction, and records each attempt in
//! another — with what an attempt means for its endpoint.

use std::time::Duration;

use diesel::prelude::*;
use lead_domain::{Timestamp, WebhookDisabled};

use super::due::{load_due, DueDelivery};
use crate::access::audit;
use crate::db::{dialect, DbConnection};
use crate::deliveries::Deliveries;
use crate::ids::{CompanyId, DeliveryId, PushSubscriptionId, WebhookId};
use crate::outbox::{fail_pending, shown_url, Channel, DeliveryStatus, Endpoint};
use crate::schema::{messages, outbox, outbox_attempts, push_subscriptions, webhooks};
use crate::Result;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Not delivered; try again then.
    RetryAt(Timestamp),
    /// Not delivered, and never will be (the schedule ran out, or the target refused it
    /// for good).
    Failed,
    /// The endpoint answered that it is gone for good: a webhook endpoint (`410`) is disabled,
    /// a push subscription (`404`, `410`) deleted, at once.
    Gone,
}

/// One attempt, to be recorded.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery.
    pub id: DeliveryId,
    /// Its endpoint (webhook and push deliveries).
    pub endpoint: Option<Endpoint>,
    /// When it started.
    pub at: Timestamp,
    /// How long it took.
    pub duration: Duration,
    /// The target's answer: an HTTP status, an SMTP reply code.
    pub status: Option<i32>,
    /// What went wrong.
    pub error: Option<String>,
    /// What the first attempt sent, kept if it is retried (so every retry sends the same).
    pub body: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// What a delivery worker hands over in one transaction (see [`Deliveries::exchange_deliveries`]).
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// Attempts made since the last exchange, to be recorded.
    pub attempts: Vec<Attempt>,
    /// Claimed deliveries it will not send now (their endpoint is busy).
    pub give_back: Vec<DeliveryId>,
    /// Claimed deliveries it still holds (queued or being sent): their claims are renewed.
    pub renew: Vec<DeliveryId>,
    /// When those are due again.
    pub busy_wait: Duration,
    /// How many due deliveries to claim (0: none).
    pub claim: i64,
    /// Endpoints it has no room for: none of their deliveries is claimed.
    pub skip: Vec<Endpoint>,
    /// It has no room for e-mail: none is claimed.
    pub skip_email: bool,
    /// For how long they are claimed.
    pub lease: Duration,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
}

impl Deliveries<'_> {
    /// One write transaction for a delivery worker: records `exchange.attempts`, gives back the
    /// claims in `exchange.give_back` (due again after `exchange.busy_wait`), and claims up to
    /// `exchange.claim` due deliveries for `exchange.lease` (another worker takes one over
    /// only after it) — each at most once across every instance (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`). The ids claimed; [`Deliveries::load_deliveries`] reads what they need.
    pub fn exchange_deliveries(&self, exchange: &Exchange) -> Result<Vec<DeliveryId>> {
        let now = Timestamp::now().millis();
        if exchange.attempts.is_empty() && exchange.give_back.is_empty() && exchange.renew.is_empty() {
            // Most of the time nothing is due: a read finds that without the write lock.
            let due =
                |conn: &mut DbConnection| due_deliveries(conn, now, 1, false, &exchange.skip, exchange.skip_email);
            if exchange.claim <= 0 || self.store.read(due)?.is_empty() {
                return Ok(Vec::new());
            }
        }
        self.store.write(|conn| {
            self.record(conn, &exchange.attempts, exchange.disable_after, now)?;
            // Still held (queued or being sent): the claims are renewed, so that no other worker
            // takes them over while this one lives.
            if !exchange.renew.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&exchange.renew)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.lease))))
                    .execute(conn)?;
            }
            if !exchange.give_back.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&exchange.give_back)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.busy_wait))))
                    .execute(conn)?;
            }
            if exchange.claim <= 0 {
                return Ok(Vec::new());
            }
            let ids = due_deliveries(conn, now, exchange.claim, true, &exchange.skip, exchange.skip_email)?;
            if !ids.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                    .set(outbox::claimed_until.eq(now.saturating_add(millis(exchange.lease))))
                    .execute(conn)?;
            }
            Ok(ids)
        })
    }

    /// Everything needed to send the claimed `ids`, read outside the write transaction. A
    /// delivery whose endpoint was disabled or removed since comes without its `webhook`.
    pub fn load_deliveries(&self, ids: &[DeliveryId]) -> Result<Vec<DueDelivery>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.store.read(|conn| load_due(conn, ids, Timestamp::now().millis()))
    }

    /// SQLite (one server process per file): gives back the claims a process that died
    /// left, at its next start. PostgreSQL leaves them to expire: other instances may be
    /// sending them right now.
    pub fn recover_claims(&self) -> Result<usize> {
        if self.store.backend == crate::Backend::Postgres {
            return Ok(0);
        }
        // Usually there are none: looked for without taking the write lock.
        let left: i64 = self.store.read(|conn| {
            Ok(outbox::table
                .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(outbox::claimed_until.is_not_null())
                .count()
                .get_result(conn)?)
        })?;
        if left == 0 {
            return Ok(0);
        }
        self.store.write(|conn| {
            Ok(diesel::update(
                outbox::table
                    .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()))
                    .filter(outbox::claimed_until.is_not_null()),
            )
            .set(outbox::claimed_until.eq(None::<i64>))
            .execute(conn)?)
        })
    }

    /// Records attempts: each delivery's state and history, and its endpoint's — a success
    /// clears a webhook endpoint's failing streak (and dates a device's last push), a `410
    /// Gone` disables a webhook endpoint at once and deletes a device's subscription, a
    /// failure that ends a streak of `disable_after` disables a webhook endpoint; the
    /// company's active employees are told of every endpoint disabled. Successes, the common
    /// case, are a few statements for all.
    fn record(&self, conn: &mut DbConnection, attempts: &[Attempt], disable_after: Duration, now: i64) -> Result<()> {
        if attempts.is_empty() {
            return Ok(());
        }
        let history: Vec<_> = attempts
            .iter()
            .map(|attempt| {
                (
                    outbox_attempts::outbox_id.eq(attempt.id),
                    outbox_attempts::at.eq(attempt.at.millis()),
                    outbox_attempts::status.eq(attempt.status),
                    outbox_attempts::error.eq(attempt.error.clone()),
                    outbox_attempts::duration_ms.eq(millis(attempt.duration)),
                )
            })
            .collect();
        dialect::insert_rows!(conn, outbox_attempts, history);

        let mut delivered: std::collections::BTreeMap<Option<i32>, Vec<DeliveryId>> = Default::default();
        let mut succeeded: std::collections::BTreeSet<WebhookId> = Default::default();
        let mut reached: std::collections::BTreeSet<PushSubscriptionId> = Default::default();
        let mut failed: Vec<DeliveryId> = Vec::new();
        for attempt in attempts {
            let (status, next) = match attempt.outcome {
                Outcome::Delivered => {
                    delivered.entry(attempt.status).or_default().push(attempt.id);
                    match attempt.endpoint {
                        Some(Endpoint::Webhook(id)) => _ = succeeded.insert(id),
                        Some(Endpoint::Push(id)) => _ = reached.insert(id),
                        None => {}
                    }
                    continue;
                }
                Outcome::RetryAt(at) => (DeliveryStatus::Pending, at.millis()),
                Outcome::Failed | Outcome::Gone => {
                    failed.push(attempt.id);
                    (DeliveryStatus::Failed, now)
                }
            };
            // Only a delivery still pending is recorded: one failed meanwhile (its endpoint
            // disabled or removed) stays failed.
            let row = outbox::table
                .find(attempt.id)
                .filter(outbox::status.eq(DeliveryStatus::Pending.as_str()));
            diesel::update(row)
                .set((
                    outbox::status.eq(status.as_str()),
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::next_attempt_at.eq(next),
                    outbox::claimed_until.eq(None::<i64>),
                    outbox::last_status.eq(attempt.status),
                    outbox::last_error.eq(attempt.error.as_deref()),
                ))
                .execute(conn)?;
            // What the first attempt sent, for the retries to send the same.
            if let (Some(body), DeliveryStatus::Pending) = (&attempt.body, status) {
                diesel::update(row.filter(outbox::body.is_null()))
                    .set(outbox::body.eq(body))
                    .execute(conn)?;
            }
            match attempt.endpoint {
                Some(Endpoint::Webhook(webhook)) => self.endpoint_failed(conn, webhook, attempt, disable_after, now)?,
                Some(Endpoint::Push(device)) if attempt.outcome == Outcome::Gone => {
                    crate::outbox::push::forget_device(conn, device, "the push service no longer knows the device")?;
                }
                Some(Endpoint::Push(_)) | None => {}
            }
        }
        let sent: Vec<DeliveryId> = delivered.values().flatten().copied().collect();
        settle_messages(conn, &sent, DeliveryStatus::Delivered)?;
        settle_messages(conn, &failed, DeliveryStatus::Failed)?;
        for (status, ids) in delivered {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq_any(&ids))
                    .filter(outbox::status.eq(DeliveryStatus::Pending.as_str())),
            )
            .set((
                outbox::status.eq(DeliveryStatus::Delivered.as_str()),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::next_attempt_at.eq(now),
                outbox::claimed_until.eq(None::<i64>),
                outbox::last_status.eq(status),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
        }
        if !succeeded.is_empty() {
            diesel::update(webhooks::table.filter(webhooks::id.eq_any(&succeeded)))
                .set((
                    webhooks::last_success_at.eq(now),
                    webhooks::failing_since.eq(None::<i64>),
                ))
                .execute(conn)?;
        }
        if !reached.is_empty() {
            diesel::update(push_subscriptions::table.filter(push_subscriptions::id.eq_any(&reached)))
                .set(push_subscriptions::last_success_at.eq(now))
                .execute(conn)?;
        }
        Ok(())
    }

    /// What a failed attempt means for its endpoint: `410 Gone` disables it at once; a
    /// failure that ends a streak of `disable_after` disables it.
    fn endpoint_failed(
        &self,
        conn: &mut DbConnection,
        webhook: WebhookId,
        attempt: &Attempt,
        disable_after: Duration,
        now: i64,
    ) -> Result<()> {
        if attempt.outcome == Outcome::Gone {
            return self.disable_webhook(conn, webhook, WebhookDisabled::Gone, now);
        }
        let hook = webhooks::table.find(webhook);
        diesel::update(hook.filter(webhooks::failing_since.is_null()))
            .set(webhooks::failing_since.eq(attempt.at.millis()))
            .execute(conn)?;
        let since: Option<i64> = hook.select(webhooks::failing_since).first(conn)?;
        if since.is_some_and(|since| now - since >= millis(disable_after)) {
            self.disable_webhook(conn, webhook, WebhookDisabled::Failing(disable_after), now)?;
        }
        Ok(())
    }
}

/// The replies these deliveries sent keep how they ended (see [`crate::Message::delivery`]).
fn settle_messages(conn: &mut DbConnection, ids: &[DeliveryId], how: DeliveryStatus) -> Result<()> {
    if !ids.is_empty() {
        diesel::update(messages::table.filter(messages::delivery_id.eq_any(ids)))
            .set(messages::delivery.eq(how.as_str()))
            .execute(conn)?;
    }
    Ok(())
}

/// A duration in whole milliseconds.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Deliveries<'_> {
    /// Disables an active endpoint for `reason`: its pending deliveries fail, and every active
    /// employee of its company is told which endpoint and why.
    fn disable_webhook(&self, conn: &mut DbConnection, id: WebhookId, why: WebhookDisabled, now: i64) -> Result<()> {
        let reason = why.reason();
        let disabled: Vec<(CompanyId, String)> =
            diesel::update(webhooks::table.find(id).filter(webhooks::active.eq(1)))
                .set((webhooks::active.eq(0), webhooks::disabled_reason.eq(&reason)))
                .returning((webhooks::company_id, webhooks::url))
                .get_results(conn)?;
        let Some((company_id, url)) = disabled.into_iter().next() else {
            return Ok(());
        };
        log::warn!("webhook {id} ({url}) of company {company_id} disabled: {reason}");
        fail_pending(
            conn,
            Endpoint::Webhook(id),
            &format!("the endpoint was disabled: {reason}"),
        )?;
        let text = why.notification(&shown_url(&url));
        crate::team::notifications::notify_about_webhook(conn, company_id, &text, now)?;
        audit::record(
            conn,
            &self.store.actor,
            audit::About::Company(company_id),
            "webhook.disable",
            &format!("webhook {id} of company {company_id}: {reason}"),
        )
    }
}

/// Up to `limit` deliveries due at `now` and claimed by no one, the longest due first, but
/// none to the endpoints in `skip` (and no e-mail with `skip_email`): their worker has no
/// room for more. With `lock` (inside the claiming transaction), PostgreSQL locks them and
/// skips rows another instance is claiming at this moment, so each is claimed once; SQLite's
/// single writer needs no lock.
fn due_deliveries(
    conn: &mut DbConnection,
    now: i64,
    limit: i64,
    lock: bool,
    skip: &[Endpoint],
    skip_email: bool,
) -> Result<Vec<DeliveryId>> {
    let (mut hooks, mut devices) = (Vec::new(), Vec::new());
    for endpoint in skip {
        match endpoint {
            Endpoint::Webhook(id) => hooks.push(id.get()),
            Endpoint::Push(id) => devices.push(id.get()),
        }
    }
    let skipped = |channel: Channel, ids: Vec<i64>| {
        outbox::channel
            .eq(channel.as_str())
            .and(outbox::target_id.assume_not_null().eq_any(ids))
    };
    // Every filter always there (an empty list excludes nothing; no channel is named ""), so
    // that the query has one type and PostgreSQL's locking clause fits it.
    let due = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::claimed_until.is_null().or(outbox::claimed_until.lt(now)))
        .filter(outbox::target_id.is_null().or(diesel::dsl::not(
            skipped(Channel::Webhook, hooks).or(skipped(Channel::Push, devices)),
        )))
        .filter(outbox::channel.ne(if skip_email { "email" } else { "" }))
        .order(outbox::next_attempt_at)
        .select(outbox::id)
        .limit(limit);
    Ok(match conn {
        DbConnection::Postgres(c) if lock => due.for_update().skip_locked().load(c)?,
        DbConnection::Postgres(c) => due.load(c)?,
        DbConnection::Sqlite(c) => due.load(c)?,
    })
}
