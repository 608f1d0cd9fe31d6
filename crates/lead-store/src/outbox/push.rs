//! Web Push, the store's part: the server's VAPID key pair (made once, kept in the database so
//! that every instance signs with the same key and browsers' subscriptions stay valid), the
//! employees' devices (each a browser's push subscription), the preference per employee, and
//! the test message. Push messages themselves are outbox rows of channel `push`, one per
//! device (see `outbox/`); lead-deliver encrypts and sends them.

use std::collections::HashMap;

use base64::Engine as _;
use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::ids::{EmployeeId, PushSubscriptionId};
use crate::models::Member;
use crate::outbox::Outbox;
use crate::outbox::{fail_pending, shown_url, Channel, Endpoint, Event, NewDelivery};
use crate::schema::{employees, outbox, push_subscriptions, vapid_keys};
use crate::{access::audit, db::dialect, Problem, Result, StoreError};

/// Devices per employee at most: a token cannot fill the outbox with its own subscriptions.
pub const MAX_DEVICES: i64 = 20;

/// The longest push service URL accepted (real ones are far shorter).
const MAX_ENDPOINT_CHARS: usize = 2048;

/// The longest device label, in characters.
const MAX_DEVICE_CHARS: usize = 100;

/// The server's VAPID key pair (RFC 8292), base64url without padding.
#[derive(Clone, PartialEq, Eq)]
pub struct VapidKeys {
    /// The 32-byte private scalar.
    pub private_key: String,
    /// The 65-byte uncompressed public point: the browsers' `applicationServerKey`.
    pub public_key: String,
}

impl std::fmt::Debug for VapidKeys {
    /// Without the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// A device of an employee, as the employee sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    /// Its id.
    pub id: PushSubscriptionId,
    /// Whose device.
    pub employee_id: EmployeeId,
    /// Its push service: scheme and host only (the rest of the URL is a capability).
    pub service: String,
    /// A label made from the browser's user agent („Chrome auf Android“); empty if none was given.
    pub device: String,
    /// When it was subscribed.
    pub created_at: Timestamp,
    /// When a push last reached its push service.
    pub last_success_at: Option<Timestamp>,
}

/// A browser's push subscription (`PushSubscription.toJSON()`), to be kept.
#[derive(Debug, Clone, Copy)]
pub struct NewPushSubscription<'a> {
    /// The push service's URL for the device.
    pub endpoint: &'a str,
    /// The device's P-256 public key, base64url.
    pub p256dh: &'a str,
    /// The device's 16-byte authentication secret, base64url.
    pub auth: &'a str,
    /// A label for the device.
    pub device: &'a str,
}

/// base64url of exactly `len` bytes (padding tolerated), or why not.
fn decoded(text: &str, len: usize, field: &'static str) -> Result<Vec<u8>> {
    let invalid = |why: String| StoreError::Invalid {
        field,
        problem: Problem::Other(why),
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|error| invalid(format!("not base64url: {error}")))?;
    if bytes.len() != len {
        return Err(invalid(format!("{} bytes, not {len}", bytes.len())));
    }
    Ok(bytes)
}

/// Checks a subscription: a push service URL the server may send to, a P-256 public key as an
/// uncompressed point, a 16-byte secret, a bounded label.
fn checked<'a>(new: &NewPushSubscription<'a>, private_targets: bool) -> Result<(String, String, String)> {
    let endpoint = new.endpoint.trim();
    if endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(StoreError::Invalid {
            field: "endpoint",
            problem: Problem::TooLong(MAX_ENDPOINT_CHARS),
        });
    }
    lead_domain::check_target_url(endpoint, private_targets).map_err(|error| StoreError::Invalid {
        field: "endpoint",
        problem: Problem::Other(error.to_string()),
    })?;
    let key = decoded(new.p256dh, 65, "keys.p256dh")?;
    if key[0] != 0x04 {
        return Err(StoreError::Invalid {
            field: "keys.p256dh",
            problem: Problem::Other("not an uncompressed P-256 point".into()),
        });
    }
    decoded(new.auth, 16, "keys.auth")?;
    // None is kept as none: the presentation names it.
    let device: String = new.device.trim().chars().take(MAX_DEVICE_CHARS).collect();
    let unpadded = |text: &str| text.trim().trim_end_matches('=').to_owned();
    Ok((unpadded(new.p256dh), unpadded(new.auth), device))
}

/// A subscription as stored: id, employee, endpoint, device, created, last success.
type Row = (PushSubscriptionId, EmployeeId, String, String, i64, Option<i64>);

fn subscription_of((id, employee_id, endpoint, device, created_at, last_success_at): Row) -> PushSubscription {
    PushSubscription {
        id,
        employee_id,
        service: shown_url(&endpoint).trim_end_matches("/…").to_owned(),
        device,
        created_at: created_at.into(),
        last_success_at: last_success_at.map(Timestamp::from),
    }
}

macro_rules! subscription_columns {
    () => {
        (
            push_subscriptions::id,
            push_subscriptions::employee_id,
            push_subscriptions::endpoint,
            push_subscriptions::device,
            push_subscriptions::created_at,
            push_subscriptions::last_success_at,
        )
    };
}

/// Deletes a device's subscription (its push service forgot it, or its employee removed it);
/// its pending messages fail.
pub(crate) fn forget_device(conn: &mut crate::db::DbConnection, id: PushSubscriptionId, why: &str) -> Result<()> {
    diesel::delete(push_subscriptions::table.find(id)).execute(conn)?;
    fail_pending(conn, Endpoint::Push(id), why)
}

/// Where each of `ids` is sent, and whose device it is — only devices still subscribed whose
/// employee is active and wants push messages.
pub(crate) fn devices(
    conn: &mut crate::db::DbConnection,
    ids: &[PushSubscriptionId],
) -> Result<HashMap<PushSubscriptionId, (EmployeeId, PushTarget)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(PushSubscriptionId, EmployeeId, String, String, String)> = push_subscriptions::table
        .inner_join(employees::table)
        .filter(push_subscriptions::id.eq_any(ids))
        .filter(employees::active.eq(1))
        .filter(employees::notify_push.eq(1))
        .select((
            push_subscriptions::id,
            push_subscriptions::employee_id,
            push_subscriptions::endpoint,
            push_subscriptions::p256dh,
            push_subscriptions::auth,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, employee, endpoint, p256dh, auth)| {
            (
                id,
                (
                    employee,
                    PushTarget {
                        id,
                        endpoint,
                        p256dh,
                        auth,
                    },
                ),
            )
        })
        .collect())
}

impl Outbox<'_> {
    /// The server's VAPID keys, if made yet.
    pub fn vapid_keys(&self) -> Result<Option<VapidKeys>> {
        self.store.read(|conn| {
            Ok(vapid_keys::table
                .find(1)
                .select((vapid_keys::private_key, vapid_keys::public_key))
                .first::<(String, String)>(conn)
                .optional()?
                .map(|(private_key, public_key)| VapidKeys {
                    private_key,
                    public_key,
                }))
        })
    }

    /// The server's VAPID keys; made by `make` and kept if there are none yet. Instances
    /// starting together agree: the first one's keys are kept, the others' discarded.
    pub fn vapid_keys_or_make(&self, make: impl FnOnce() -> VapidKeys) -> Result<VapidKeys> {
        if let Some(keys) = self.vapid_keys()? {
            return Ok(keys);
        }
        let made = make();
        self.store.write(|conn| {
            let insert = diesel::insert_into(vapid_keys::table)
                .values((
                    vapid_keys::id.eq(1),
                    vapid_keys::private_key.eq(&made.private_key),
                    vapid_keys::public_key.eq(&made.public_key),
                    vapid_keys::created_at.eq(Timestamp::now().millis()),
                ))
                .on_conflict_do_nothing();
            let inserted = dialect::each_backend!(&mut *conn, c => insert.execute(c))?;
            if inserted == 1 {
                audit::record(
                    conn,
                    &self.store.actor,
                    audit::About::Installation,
                    "push.keys",
                    "VAPID key pair made",
                )?;
            }
            Ok(())
        })?;
        self.vapid_keys()?
            .ok_or_else(|| StoreError::corrupt("the VAPID keys were written but are not there".into()))
    }

    /// Checks a subscription as [`Outbox::add_push_subscription`] will, without the database:
    /// for a caller to check what it must check itself (the push service's name) only then.
    pub fn check_push_subscription(&self, new: &NewPushSubscription<'_>) -> Result<()> {
        checked(new, self.store.private_targets).map(|_| ())
    }

    /// Keeps a device of `member` (a browser's push subscription). The same push URL again —
    /// a browser subscribing anew, or a device another employee used before — updates the
    /// one row: a device belongs to whoever subscribed it last, and what was still owed to its
    /// previous owner there is not sent (it fails).
    pub fn add_push_subscription(&self, member: Member, new: &NewPushSubscription<'_>) -> Result<PushSubscription> {
        if !self.store.shared.owed.push {
            return Err(StoreError::Conflict(
                crate::error::Clash::PushOff,
                "push is not enabled on this server ([push] subject)".into(),
            ));
        }
        let endpoint = new.endpoint.trim();
        let (p256dh, auth, device) = checked(new, self.store.private_targets)?;
        self.store.write(|conn| {
            let now = Timestamp::now().millis();
            let existing: Option<(PushSubscriptionId, EmployeeId)> = push_subscriptions::table
                .filter(push_subscriptions::endpoint.eq(endpoint))
                .select((push_subscriptions::id, push_subscriptions::employee_id))
                .first(conn)
                .optional()?;
            let full = |conn: &mut crate::db::DbConnection| -> Result<()> {
                let devices: i64 = push_subscriptions::table
                    .filter(push_subscriptions::employee_id.eq(member.employee_id))
                    .count()
                    .get_result(conn)?;
                if devices >= MAX_DEVICES {
                    return Err(StoreError::Conflict(
                        crate::error::Clash::DevicesFull,
                        format!("employee {} has {MAX_DEVICES} devices already", member.employee_id),
                    ));
                }
                Ok(())
            };
            let id = match existing {
                Some((id, owner)) => {
                    if owner != member.employee_id {
                        full(conn)?;
                        fail_pending(
                            conn,
                            Endpoint::Push(id),
                            "the device was subscribed by another employee",
                        )?;
                    }
                    diesel::update(push_subscriptions::table.find(id))
                        .set((
                            push_subscriptions::company_id.eq(member.company_id),
                            push_subscriptions::employee_id.eq(member.employee_id),
                            push_subscriptions::p256dh.eq(&p256dh),
                            push_subscriptions::auth.eq(&auth),
                            push_subscriptions::device.eq(&device),
                        ))
                        .execute(conn)?;
                    id
                }
                None => {
                    full(conn)?;
                    let insert = diesel::insert_into(push_subscriptions::table)
                        .values((
                            push_subscriptions::company_id.eq(member.company_id),
                            push_subscriptions::employee_id.eq(member.employee_id),
                            push_subscriptions::endpoint.eq(endpoint),
                            push_subscriptions::p256dh.eq(&p256dh),
                            push_subscriptions::auth.eq(&auth),
                            push_subscriptions::device.eq(&device),
                            push_subscriptions::created_at.eq(now),
                        ))
                        .returning(push_subscriptions::id);
                    dialect::each_backend!(&mut *conn, c => insert.get_result::<PushSubscriptionId>(c))?
                }
            };
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(member.employee_id),
                "push.subscribe",
                &format!("employee {}: device {id} ({device})", member.employee_id),
            )?;
            let row: Row = push_subscriptions::table
                .find(id)
                .select(subscription_columns!())
                .first(conn)?;
            Ok(subscription_of(row))
        })
    }

    /// An employee's devices, oldest first.
    pub fn list_push_subscriptions(&self, employee_id: EmployeeId) -> Result<Vec<PushSubscription>> {
        self.store.read(|conn| {
            Ok(push_subscriptions::table
                .filter(push_subscriptions::employee_id.eq(employee_id))
                .select(subscription_columns!())
                .order(push_subscriptions::id)
                .load::<Row>(conn)?
                .into_iter()
                .map(subscription_of)
                .collect())
        })
    }

    /// Removes a device of `member` (another's device is not found); its pending messages
    /// fail.
    pub fn remove_push_subscription(&self, member: Member, id: PushSubscriptionId) -> Result<()> {
        self.store.write(|conn| {
            let mine = push_subscriptions::table
                .find(id)
                .filter(push_subscriptions::employee_id.eq(member.employee_id))
                .select(push_subscriptions::id)
                .first::<PushSubscriptionId>(conn)
                .optional()?;
            if mine.is_none() {
                return Err(StoreError::missing(crate::error::Entity::Device, id));
            }
            forget_device(conn, id, "the device was removed")?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(member.employee_id),
                "push.unsubscribe",
                &format!("employee {}: device {id}", member.employee_id),
            )
        })
    }

    /// Owes every device of `member` a test message now; how many devices.
    pub fn test_push(&self, member: Member) -> Result<usize> {
        if !self.store.shared.owed.push {
            return Err(StoreError::Conflict(
                crate::error::Clash::PushOff,
                "push is not enabled on this server ([push] subject)".into(),
            ));
        }
        self.store.write(|conn| {
            let now = Timestamp::now().millis();
            let devices: Vec<PushSubscriptionId> = push_subscriptions::table
                .filter(push_subscriptions::employee_id.eq(member.employee_id))
                .select(push_subscriptions::id)
                .order(push_subscriptions::id)
                .load(conn)?;
            let rows: Vec<NewDelivery> = devices
                .iter()
                .map(|device| {
                    NewDelivery::new(
                        member.company_id,
                        Channel::Push,
                        Event::PushTest,
                        None,
                        Some(device.get()),
                        Some(member.employee_id),
                        now,
                    )
                })
                .collect();
            if !rows.is_empty() {
                dialect::insert_rows!(conn, outbox, rows);
            }
            Ok(rows.len())
        })
    }
}

/// A device a push message goes to: its push service's URL and the keys its message is
/// encrypted for (RFC 8291).
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The subscription.
    pub id: PushSubscriptionId,
    /// The push service's URL for the device.
    pub endpoint: String,
    /// The device's P-256 public key (base64url, uncompressed point).
    pub p256dh: String,
    /// The device's authentication secret (base64url, 16 bytes).
    pub auth: String,
}

impl std::fmt::Debug for PushTarget {
    /// Without the endpoint's path (a capability) and the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("id", &self.id)
            .field("endpoint", &shown_url(&self.endpoint))
            .finish_non_exhaustive()
    }
}
