//! Copying a whole database into an empty one — the way from one SQLite file to PostgreSQL.

use diesel::prelude::*;

use crate::db::{write_transaction, DbConnection};
use crate::schema::{
    api_keys, attachments, audit_log, companies, customer_changes, customer_emails, customers, employee_tokens,
    employees, messages, notes, notifications, outbox, outbox_attempts, owner_changes, push_subscriptions, tickets,
    vapid_keys, web_orders, webhooks,
};
use crate::{Result, Store, StoreError};

/// How many rows of each table were copied (and found in the target afterwards).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// `(table, rows)`, in the order they were copied.
    pub tables: Vec<(&'static str, i64)>,
    /// When the snapshot copied was taken: what a running server wrote after it is not in
    /// the copy.
    pub snapshot_at: lead_domain::Timestamp,
}

/// Rows per statement while copying.
const CHUNK: i64 = 1000;

/// Full rows of every table, ids included.
mod rows {
    use diesel::prelude::*;

    use crate::schema::*;

    macro_rules! full_row {
        ($name:ident, $table:ident { $($field:ident: $ty:ty),* $(,)? }) => {
            #[derive(Queryable, Selectable, Insertable)]
            #[diesel(table_name = $table)]
            pub(super) struct $name {
                pub(super) id: i64,
                $(pub(super) $field: $ty,)*
            }
        };
    }

    full_row!(
        Company,
        companies {
            name: String,
            active: i32,
            created_at: i64,
            auto_customers: String,
        }
    );
    full_row!(ApiKey, api_keys {
        company_id: i64, prefix: String, key_hash: String, label: String, active: i32, created_at: i64,
        last_used_at: Option<i64>, daily_cap: Option<i64>, origins: Option<String>, confirm_sender: i32,
        route_next: i64, consent_text: Option<String>, challenge: i32,
    });
    full_row!(
        Employee,
        employees {
            company_id: i64,
            name: String,
            email: String,
            active: i32,
            created_at: i64,
            password_hash: Option<String>,
            notify_email: i32,
            notify_push: i32,
            role: String,
        }
    );
    full_row!(
        EmployeeToken,
        employee_tokens {
            employee_id: i64,
            prefix: String,
            token_hash: String,
            active: i32,
            created_at: i64,
            expires_at: Option<i64>,
        }
    );
    full_row!(
        Customer,
        customers {
            company_id: i64,
            name: String,
            name_normalized: String,
            email: String,
            email_normalized: String,
            created_at: i64,
            phone: String,
            organization: String,
            street: String,
            zip: String,
            city: String,
            country: String,
        }
    );
    full_row!(
        CustomerEmail,
        customer_emails {
            company_id: i64,
            customer_id: i64,
            email: String,
            email_normalized: String,
        }
    );
    full_row!(CustomerChange, customer_changes {
        company_id: i64, customer_id: i64, employee_id: Option<i64>, actor: String, at: i64, changes: String,
    });
    full_row!(Order, web_orders {
        company_id: i64, api_key_id: i64, customer_id: Option<i64>, email: String, email_normalized: String,
        title: String, message: Option<String>, total_cents: i64, status: String, payload: String, created_at: i64,
        decided_by: Option<i64>, decided_at: Option<i64>, held: Option<String>, owner_id: Option<i64>,
        owner_by: Option<i64>, consent_given: Option<i32>, consent_text: Option<String>, consent_at: Option<i64>,
        consent_page: Option<String>, consent_client: Option<String>,
    });
    full_row!(Ticket, tickets {
        company_id: i64, api_key_id: Option<i64>, customer_id: Option<i64>, email: String, email_normalized: String,
        title: String, message: String, status: String, payload: String, created_at: i64,
        status_changed_by: Option<i64>, status_changed_at: Option<i64>, held: Option<String>,
        owner_id: Option<i64>, owner_by: Option<i64>, consent_given: Option<i32>, consent_text: Option<String>,
        consent_at: Option<i64>, consent_page: Option<String>, consent_client: Option<String>,
    });
    full_row!(OwnerChange, owner_changes {
        company_id: i64, order_id: Option<i64>, ticket_id: Option<i64>, employee_id: Option<i64>, actor: String,
        at: i64, owner_before: Option<i64>, owner_after: Option<i64>,
    });
    full_row!(
        Audit,
        audit_log {
            at: i64,
            actor: String,
            action: String,
            subject: String,
            company_id: Option<i64>,
        }
    );
    full_row!(Webhook, webhooks {
        company_id: i64, url: String, events: String, format: String, secret: String,
        previous_secret: Option<String>, previous_secret_until: Option<i64>, active: i32,
        disabled_reason: Option<String>, last_success_at: Option<i64>, failing_since: Option<i64>,
        created_at: i64, removed_at: Option<i64>,
    });
    full_row!(Delivery, outbox {
        company_id: i64, channel: String, event: String, target_id: Option<i64>, employee_id: Option<i64>,
        order_id: Option<i64>, ticket_id: Option<i64>, body: Option<String>, status: String, attempts: i32,
        next_attempt_at: i64, claimed_until: Option<i64>, last_status: Option<i32>, last_error: Option<String>,
        created_at: i64, message_id: Option<String>,
    });
    full_row!(
        Attempt,
        outbox_attempts {
            outbox_id: i64,
            at: i64,
            status: Option<i32>,
            error: Option<String>,
            duration_ms: i64,
        }
    );
    full_row!(PushSubscription, push_subscriptions {
        company_id: i64, employee_id: i64, endpoint: String, p256dh: String, auth: String, device: String,
        created_at: i64, last_success_at: Option<i64>,
    });
    full_row!(
        VapidKeys,
        vapid_keys {
            private_key: String,
            public_key: String,
            created_at: i64,
        }
    );
    full_row!(Notification, notifications {
        company_id: i64, employee_id: i64, kind: String, text: String, order_id: Option<i64>,
        ticket_id: Option<i64>, read_at: Option<i64>, created_at: i64,
    });
    full_row!(Note, notes {
        company_id: i64, employee_id: Option<i64>, order_id: Option<i64>, ticket_id: Option<i64>,
        customer_id: Option<i64>, text: String, created_at: i64,
    });
    full_row!(Attachment, attachments {
        company_id: i64, order_id: Option<i64>, ticket_id: Option<i64>, filename: String,
        content_type: String, size: i64, sha256: String, scan: String, created_at: i64,
        message_id: Option<i64>, data: Vec<u8>,
    });
    full_row!(Message, messages {
        company_id: i64, order_id: Option<i64>, ticket_id: Option<i64>, direction: String, message_id: String,
        in_reply_to: Option<String>, refs: String, sender: String, recipient: String, subject: String, text: String,
        employee_id: Option<i64>, delivery_id: Option<i64>, delivery: Option<String>, automatic: i32, created_at: i64, raw: Option<Vec<u8>>,
    });

    /// A company's mailbox (keyed by its company: no id of its own).
    #[derive(Queryable, Selectable, Insertable)]
    #[diesel(table_name = mailboxes)]
    pub(super) struct Mailbox {
        company_id: i64,
        imap_url: String,
        from_address: String,
        smtp_url: Option<String>,
        move_to: Option<String>,
        uid_validity: Option<i64>,
        last_uid: i64,
        checked_at: Option<i64>,
        last_error: Option<String>,
        last_error_at: Option<i64>,
        reader: Option<String>,
        reader_until: Option<i64>,
        created_at: i64,
        updated_at: i64,
    }
}

/// How many attachments a chunk of the copy holds: each may be megabytes.
const ATTACHMENT_CHUNK: i64 = 8;

/// Copies one table in chunks of [`CHUNK`] rows, ids kept; returns how many rows.
macro_rules! copy_table {
    ($source:expr, $target:expr, $table:ident, $row:ty) => {
        copy_table!($source, $target, $table, $row, CHUNK)
    };
    ($source:expr, $target:expr, $table:ident, $row:ty, $chunk:expr) => {{
        let mut last: i64 = 0;
        let mut copied: i64 = 0;
        loop {
            let chunk: Vec<$row> = $table::table
                .filter($table::id.gt(last))
                .order($table::id)
                .limit($chunk)
                .select(<$row>::as_select())
                .load($source)?;
            let Some(newest) = chunk.last() else { break };
            last = newest.id;
            // Multi-row inserts need the concrete backend (Diesel's multi-backend has none).
            let insert = diesel::insert_into($table::table).values(&chunk);
            copied += crate::db::dialect::each_backend!(&mut *$target, c => insert.execute(c))? as i64;
        }
        let found: i64 = $table::table.count().get_result($target)?;
        if found != copied {
            return Err(StoreError::Conflict(crate::error::Clash::Target, format!(
                "{}: copied {copied} rows but found {found} in the target",
                stringify!($table)
            )));
        }
        (stringify!($table), copied)
    }};
}

impl Store {
    /// Copies everything — companies, keys, employees, tokens, customers (with their addresses
    /// and history), orders, tickets with their attachments and e-mail conversations, the
    /// companies' mailboxes, notifications, the audit log, webhook endpoints, the outbox and its attempts, push subscriptions and the VAPID keys, the remembered Idempotency-Keys and the daily caps' counts, the installation's signing keys, the spent proofs of work,
    /// ids included — into `target`, which must be empty, in one transaction
    /// there, from one consistent snapshot here (also while a server writes: what it writes
    /// after the snapshot is not copied). Verifies each table's row count.
    pub fn copy_to(&self, target: &Store) -> Result<CopyReport> {
        let empty = target.totals()?;
        let companies: i64 = target.read(|conn| Ok(crate::schema::companies::table.count().get_result(conn)?))?;
        if empty != crate::Totals::default() || companies > 0 {
            return Err(StoreError::Conflict(
                crate::error::Clash::Target,
                "the target database is not empty".into(),
            ));
        }
        let mut source = self.readers.get()?;
        let source: &mut DbConnection = &mut source;
        // One read transaction: a snapshot, even if a server keeps writing meanwhile.
        crate::db::dialect::begin_snapshot(source)?;
        let snapshot_at = lead_domain::Timestamp::now();
        let copied = (|| {
            let mut target_conn = target.writer.get()?;
            write_transaction(&mut target_conn, |target| {
                let tables = vec![
                    copy_table!(source, target, companies, rows::Company),
                    copy_table!(source, target, api_keys, rows::ApiKey),
                    copy_table!(source, target, employees, rows::Employee),
                    copy_table!(source, target, employee_tokens, rows::EmployeeToken),
                    copy_table!(source, target, customers, rows::Customer),
                    copy_table!(source, target, customer_emails, rows::CustomerEmail),
                    copy_table!(source, target, customer_changes, rows::CustomerChange),
                    copy_table!(source, target, web_orders, rows::Order),
                    copy_table!(source, target, tickets, rows::Ticket),
                    copy_table!(source, target, owner_changes, rows::OwnerChange),
                    copy_table!(source, target, notifications, rows::Notification),
                    copy_table!(source, target, notes, rows::Note),
                    copy_table!(source, target, messages, rows::Message, ATTACHMENT_CHUNK),
                    copy_table!(source, target, attachments, rows::Attachment, ATTACHMENT_CHUNK),
                    copy_table!(source, target, audit_log, rows::Audit),
                    copy_table!(source, target, webhooks, rows::Webhook),
                    copy_table!(source, target, outbox, rows::Delivery),
                    copy_table!(source, target, outbox_attempts, rows::Attempt),
                    copy_table!(source, target, push_subscriptions, rows::PushSubscription),
                    copy_table!(source, target, vapid_keys, rows::VapidKeys),
                    copy_idempotency_keys(source, target)?,
                    copy_daily_counts(source, target)?,
                    copy_key_routes(source, target)?,
                    copy_server_secrets(source, target)?,
                    copy_spent_challenges(source, target)?,
                    copy_mailboxes(source, target)?,
                ];
                // The tables with an id sequence (the last seven have none).
                let sequenced: Vec<&str> = tables[..tables.len() - 7].iter().map(|(table, _)| *table).collect();
                crate::db::dialect::continue_sequences(target, &sequenced)?;
                Ok(CopyReport { tables, snapshot_at })
            })
        })();
        // Only read: ended either way.
        <DbConnection as diesel::connection::TransactionManager<DbConnection>>::rollback_transaction(source)?;
        copied
    }
}

/// The installation's secrets (the keys that sign login forms and download links), so that a
/// link in a webhook sent before the move still works after it. The target's own, made by a
/// server started on it before, give way.
fn copy_server_secrets(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::server_secrets as secrets;
    let rows: Vec<(String, String, i64)> = secrets::table
        .select((secrets::name, secrets::secret, secrets::created_at))
        .order(secrets::name)
        .load(source)?;
    for (name, secret, created_at) in &rows {
        let insert = diesel::insert_into(secrets::table)
            .values((
                secrets::name.eq(name),
                secrets::secret.eq(secret),
                secrets::created_at.eq(created_at),
            ))
            .on_conflict(secrets::name)
            .do_update()
            .set((secrets::secret.eq(secret), secrets::created_at.eq(created_at)));
        crate::db::dialect::each_backend!(&mut *target, c => insert.execute(c))?;
    }
    Ok(("server_secrets", rows.len() as i64))
}

/// The proofs of work leads have used, so that a solution used before the move is not
/// accepted again after it (the challenge's signature is the row's key; no id of its own).
fn copy_spent_challenges(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::spent_challenges as spent;
    let rows: Vec<(String, i64)> = spent::table
        .select((spent::id, spent::expires_at))
        .order(spent::id)
        .load(source)?;
    for (id, expires_at) in &rows {
        diesel::insert_into(spent::table)
            .values((spent::id.eq(id), spent::expires_at.eq(expires_at)))
            .execute(target)?;
    }
    Ok(("spent_challenges", rows.len() as i64))
}

/// Who each key's new leads go to (a pair of ids a row, no id of its own).
/// The companies' mailboxes, with where their import stands (so that the target imports
/// nothing twice).
fn copy_mailboxes(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::mailboxes;
    let rows: Vec<rows::Mailbox> = mailboxes::table
        .select(rows::Mailbox::as_select())
        .order(mailboxes::company_id)
        .load(source)?;
    for row in &rows {
        diesel::insert_into(mailboxes::table).values(row).execute(target)?;
    }
    Ok(("mailboxes", rows.len() as i64))
}

fn copy_key_routes(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::key_routes;
    let rows: Vec<(i64, i64)> = key_routes::table
        .select((key_routes::api_key_id, key_routes::employee_id))
        .order((key_routes::api_key_id, key_routes::employee_id))
        .load(source)?;
    for (api_key_id, employee_id) in &rows {
        diesel::insert_into(key_routes::table)
            .values((
                key_routes::api_key_id.eq(api_key_id),
                key_routes::employee_id.eq(employee_id),
            ))
            .execute(target)?;
    }
    Ok(("key_routes", rows.len() as i64))
}

/// The remembered Idempotency-Keys (they have no id of their own), so that a retry across the
/// move still finds its first lead.
fn copy_idempotency_keys(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::idempotency_keys as keys;
    let rows: Vec<(i64, String, String, i64, i64)> = keys::table
        .select((
            keys::api_key_id,
            keys::idem_key,
            keys::lead_type,
            keys::record_id,
            keys::created_at,
        ))
        .load(source)?;
    for (api_key_id, idem_key, lead_type, record_id, created_at) in &rows {
        diesel::insert_into(keys::table)
            .values((
                keys::api_key_id.eq(api_key_id),
                keys::idem_key.eq(idem_key),
                keys::lead_type.eq(lead_type),
                keys::record_id.eq(record_id),
                keys::created_at.eq(created_at),
            ))
            .execute(target)?;
    }
    let found: i64 = keys::table.count().get_result(target)?;
    if found != rows.len() as i64 {
        return Err(StoreError::Conflict(
            crate::error::Clash::Target,
            format!(
                "idempotency_keys: copied {} rows but found {found} in the target",
                rows.len()
            ),
        ));
    }
    Ok(("idempotency_keys", found))
}

/// Today's (and earlier days') lead counts of capped keys and their confirmation e-mails, so a
/// daily cap holds across the move.
fn copy_daily_counts(source: &mut DbConnection, target: &mut DbConnection) -> Result<(&'static str, i64)> {
    use crate::schema::key_daily_counts as counts;
    let rows: Vec<(i64, i64, i64, i64)> = counts::table
        .select((counts::api_key_id, counts::day, counts::leads, counts::confirmations))
        .load(source)?;
    for (api_key_id, day, leads, confirmations) in &rows {
        diesel::insert_into(counts::table)
            .values((
                counts::api_key_id.eq(api_key_id),
                counts::day.eq(day),
                counts::leads.eq(leads),
                counts::confirmations.eq(confirmations),
            ))
            .execute(target)?;
    }
    let found: i64 = counts::table.count().get_result(target)?;
    if found != rows.len() as i64 {
        return Err(StoreError::Conflict(
            crate::error::Clash::Target,
            format!(
                "key_daily_counts: copied {} rows but found {found} in the target",
                rows.len()
            ),
        ));
    }
    Ok(("key_daily_counts", found))
}
