//! Duplicate suppression: the same body sent again with the same key within the window (a
//! double click, a blind retry) is answered with the first lead and not stored again.
//!
//! Every stored lead sent without an `Idempotency-Key` (which rules where it is sent) that
//! reaches the team or its quarantine leaves a fingerprint of its body. Where the fingerprints are kept is the one difference between the backends:
//!
//! - **PostgreSQL**, where several writers and instances store leads at once, keeps them in
//!   `lead_fingerprints`, unique per key and written in the lead's own transaction, so two
//!   writers storing the same body find each other (the second one's insert fails and it
//!   tries again, finding the first).
//! - **SQLite** has exactly one writer, in this process. An index keyed by a hash puts every
//!   lead on a random page of it, and each commit writes all those pages again: measured,
//!   that halved the write rate. So the writer keeps the fingerprints in memory instead,
//!   rebuilt when the store opens from the leads stored within the window (their bodies are
//!   stored, and a fingerprint is a function of the body).

use std::collections::{HashMap, HashSet, VecDeque};

use diesel::prelude::*;
use lead_domain::LeadType;
use sha2::{Digest, Sha256};

use crate::db::{Backend, DbConnection};
use crate::ids::{KeyId, LeadId};
use crate::models::{counts_as_lead, Hold};
use crate::schema::{idempotency_keys, lead_fingerprints, tickets, web_orders};
use crate::Result;

/// A stored lead as the duplicate memory reads it: id, key (`None`: a ticket made from an
/// e-mail), payload, arrival, why held.
type StoredRow = (i64, Option<KeyId>, String, i64, Option<String>);

/// The fingerprint of a lead's body: the first 64 bits of the SHA-256 of its canonical
/// spelling (whitespace, the order of the members and escapes do not count), per key. A
/// body that is not JSON is taken as it is.
pub(crate) type Fingerprint = i64;

/// The [`Fingerprint`] of `payload`.
pub(crate) fn fingerprint(payload: &str) -> Fingerprint {
    let canonical = lead_domain::canonical_json(payload);
    fingerprint_of_canonical(canonical.as_deref().unwrap_or(payload))
}

/// The [`Fingerprint`] of a body in its canonical spelling (as [`lead_domain::LeadBody`] has it).
pub(crate) fn fingerprint_of_canonical(canonical: &str) -> Fingerprint {
    let digest = Sha256::digest(canonical.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The lead a fingerprint stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FirstLead {
    pub(crate) id: LeadId,
    /// When it was stored (Unix milliseconds).
    pub(crate) at: i64,
}

/// Where a writer keeps the fingerprints of the leads stored within the window.
pub(crate) enum Fingerprints {
    /// SQLite: in this process, the one writer's (see the module's documentation).
    Memory(RecentLeads),
    /// PostgreSQL: in `lead_fingerprints`, shared by every writer and instance.
    Table,
}

impl Fingerprints {
    /// The fingerprints for a writer on `conn`'s backend, with those of the leads stored since
    /// `cutoff` (milliseconds).
    pub(crate) fn open(conn: &mut DbConnection, cutoff: i64) -> Result<Fingerprints> {
        match conn.backend() {
            Backend::Postgres => Ok(Fingerprints::Table),
            Backend::Sqlite => RecentLeads::rebuild(conn, cutoff).map(Fingerprints::Memory),
        }
    }

    /// Whether they are kept in `lead_fingerprints`, written with each lead.
    pub(crate) fn in_table(&self) -> bool {
        matches!(self, Fingerprints::Table)
    }

    /// The lead stored with `fingerprint` and `key_id` since `cutoff`, if there is one. In the
    /// table, a row from before the cutoff is deleted on the way.
    pub(crate) fn earlier(
        &self,
        conn: &mut DbConnection,
        key_id: KeyId,
        fingerprint: Fingerprint,
        cutoff: i64,
    ) -> Result<Option<LeadId>> {
        match self {
            Fingerprints::Memory(recent) => Ok(recent.get(key_id, fingerprint, cutoff)),
            Fingerprints::Table => {
                let found = lead_fingerprints::table
                    .find((fingerprint, key_id))
                    .select((
                        lead_fingerprints::lead_type,
                        lead_fingerprints::record_id,
                        lead_fingerprints::created_at,
                    ))
                    .load::<(String, i64, i64)>(conn)?
                    .into_iter()
                    .next();
                match found {
                    Some((lead_type, id, at)) if at >= cutoff => Ok(Some(LeadId::from_columns(&lead_type, id)?)),
                    Some(_) => {
                        self.forget(conn, key_id, fingerprint)?;
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
        }
    }

    /// Drops what `fingerprint` and `key_id` stand for (past the window, or its lead is gone),
    /// so that a new lead can take them. In memory the new lead simply replaces it.
    pub(crate) fn forget(&self, conn: &mut DbConnection, key_id: KeyId, fingerprint: Fingerprint) -> Result<()> {
        if let Fingerprints::Table = self {
            diesel::delete(lead_fingerprints::table.find((fingerprint, key_id))).execute(conn)?;
        }
        Ok(())
    }

    /// Takes in the fingerprints of a batch that has committed, and forgets those from before
    /// `cutoff` (in memory; the table is pruned by [`prune_table`]).
    pub(crate) fn committed(
        &mut self,
        stored: impl IntoIterator<Item = ((KeyId, Fingerprint), FirstLead)>,
        cutoff: i64,
    ) {
        if let Fingerprints::Memory(recent) = self {
            for ((key_id, fingerprint), first) in stored {
                recent.insert(key_id, fingerprint, first);
            }
            recent.forget_before(cutoff);
        }
    }
}

/// Deletes the table's fingerprints from before `cutoff` (milliseconds).
pub(crate) fn prune_table(conn: &mut DbConnection, cutoff: i64) -> Result<usize> {
    Ok(diesel::delete(lead_fingerprints::table.filter(lead_fingerprints::created_at.lt(cutoff))).execute(conn)?)
}

/// A row of `lead_fingerprints`.
#[derive(Insertable)]
#[diesel(table_name = lead_fingerprints)]
pub(crate) struct NewFingerprint {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) api_key_id: KeyId,
    lead_type: &'static str,
    record_id: i64,
    created_at: i64,
}

impl NewFingerprint {
    pub(crate) fn of(key_id: KeyId, fingerprint: Fingerprint, first: FirstLead) -> NewFingerprint {
        NewFingerprint {
            fingerprint,
            api_key_id: key_id,
            lead_type: first.id.lead_type().as_str(),
            record_id: first.id.get(),
            created_at: first.at,
        }
    }
}

/// The fingerprints of the leads stored within the window, in memory: at most
/// [`RecentLeads::CAPACITY`] of them (beyond, the oldest are forgotten first, so under a
/// flood the window is shorter than configured). Allocated at that bound when the writer
/// opens, so the memory it takes is known and never grows in steps (a hash table that
/// doubles holds both sizes for a moment).
pub(crate) struct RecentLeads {
    /// The lead of each key's fingerprint, packed (see [`packed`]), and when it was stored
    /// (Unix milliseconds).
    by_fingerprint: HashMap<(KeyId, Fingerprint), (i64, i64)>,
    /// In the order they were stored, to forget the oldest: key, fingerprint, when (Unix
    /// milliseconds).
    stored: VecDeque<(KeyId, Fingerprint, i64)>,
}

/// A lead's id in 8 bytes: an order's as it is, a ticket's negated (ids are positive).
fn packed(id: LeadId) -> i64 {
    match id {
        LeadId::Order(order) => order.get(),
        LeadId::Ticket(ticket) => -ticket.get(),
    }
}

/// The lead of a [`packed`] id.
fn unpacked(packed: i64) -> LeadId {
    match packed >= 0 {
        true => LeadId::Order(crate::ids::OrderId::new(packed)),
        false => LeadId::Ticket(crate::ids::TicketId::new(-packed)),
    }
}

impl RecentLeads {
    /// 200,000 leads (some 13 MiB: 32 bytes a table entry, 24 in the queue): ten minutes of
    /// 333 leads a second. Beyond that rate the window is shorter; a double click, seconds
    /// apart, is still caught.
    pub(crate) const CAPACITY: usize = 200_000;

    fn new() -> RecentLeads {
        RecentLeads {
            by_fingerprint: HashMap::with_capacity(Self::CAPACITY),
            stored: VecDeque::with_capacity(Self::CAPACITY),
        }
    }

    /// The lead stored with `fingerprint` and `key_id` since `cutoff`. Checked here, not only
    /// left to [`RecentLeads::forget_before`]: after the clock stepped back, a newer entry may
    /// wait in the queue behind an older one and outlive its window there.
    fn get(&self, key_id: KeyId, fingerprint: Fingerprint, cutoff: i64) -> Option<LeadId> {
        match self.by_fingerprint.get(&(key_id, fingerprint)) {
            Some(&(lead, at)) if at >= cutoff => Some(unpacked(lead)),
            _ => None,
        }
    }

    fn insert(&mut self, key_id: KeyId, fingerprint: Fingerprint, first: FirstLead) {
        if self.stored.len() >= Self::CAPACITY {
            self.forget_oldest();
        }
        let lead = packed(first.id);
        self.by_fingerprint.insert((key_id, fingerprint), (lead, first.at));
        self.stored.push_back((key_id, fingerprint, first.at));
    }

    fn forget_before(&mut self, cutoff: i64) {
        while self.stored.front().is_some_and(|&(_, _, at)| at < cutoff) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((key_id, fingerprint, at)) = self.stored.pop_front() {
            // A later lead may have taken the fingerprint over (after its window): keep that —
            // told apart by its time, since even its id may be the same (a database restored
            // under a running server).
            if self
                .by_fingerprint
                .get(&(key_id, fingerprint))
                .is_some_and(|&(_, stored)| stored == at)
            {
                self.by_fingerprint.remove(&(key_id, fingerprint));
            }
        }
    }

    /// The fingerprints of the orders and tickets stored since `cutoff` (newest first, at most
    /// [`RecentLeads::CAPACITY`]) that left one: not spam or conflicts, nor those sent with an
    /// `Idempotency-Key`.
    fn rebuild(conn: &mut DbConnection, cutoff: i64) -> Result<RecentLeads> {
        const CHUNK: i64 = 1000;
        let mut found: Vec<(KeyId, Fingerprint, FirstLead)> = Vec::new();
        for lead_type in [LeadType::Order, LeadType::Ticket] {
            // At most CAPACITY of each, the newest: the merge below keeps the newest of all.
            let from_this_table = found.len();
            // Ids grow with time (one writer): walk back from the newest until the cutoff.
            let mut below = i64::MAX;
            'table: loop {
                let rows: Vec<StoredRow> = match lead_type {
                    LeadType::Order => web_orders::table
                        .filter(web_orders::id.lt(below))
                        .order(web_orders::id.desc())
                        .limit(CHUNK)
                        .select((
                            web_orders::id,
                            web_orders::api_key_id.nullable(),
                            web_orders::payload,
                            web_orders::created_at,
                            web_orders::held,
                        ))
                        .load(conn)?,
                    LeadType::Ticket => tickets::table
                        .filter(tickets::id.lt(below))
                        .order(tickets::id.desc())
                        .limit(CHUNK)
                        .select((
                            tickets::id,
                            tickets::api_key_id,
                            tickets::payload,
                            tickets::created_at,
                            tickets::held,
                        ))
                        .load(conn)?,
                };
                let last = rows.len() < CHUNK as usize;
                let ids: Vec<i64> = rows.iter().map(|(id, ..)| *id).collect();
                let keyed: HashSet<i64> = idempotency_keys::table
                    .filter(idempotency_keys::lead_type.eq(lead_type.as_str()))
                    .filter(idempotency_keys::record_id.eq_any(&ids))
                    .select(idempotency_keys::record_id)
                    .load::<i64>(conn)?
                    .into_iter()
                    .collect();
                for (id, key_id, payload, at, held) in rows {
                    if at < cutoff || found.len() - from_this_table >= Self::CAPACITY {
                        break 'table;
                    }
                    below = id;
                    // A real lead (one released since it was stored counts now too).
                    let counts = match held.as_deref() {
                        None => true,
                        Some(name) => name.parse::<Hold>().ok().is_some_and(|hold| counts_as_lead(Some(hold))),
                    };
                    // A ticket made from an e-mail came with no key: no form sends it again.
                    if let (true, false, Some(key_id)) = (counts, keyed.contains(&id), key_id) {
                        let first = FirstLead {
                            id: LeadId::of(lead_type, id),
                            at,
                        };
                        found.push((key_id, fingerprint(&payload), first));
                    }
                }
                if last {
                    break;
                }
            }
        }
        // Oldest first, as they were stored (the newest win where two share a fingerprint),
        // and no more than fit.
        found.sort_by_key(|(_, _, first)| (first.at, first.id.get()));
        let surplus = found.len().saturating_sub(Self::CAPACITY);
        let mut recent = RecentLeads::new();
        for (key_id, fingerprint, first) in found.into_iter().skip(surplus) {
            recent.insert(key_id, fingerprint, first);
        }
        Ok(recent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(id: i64, at: i64) -> FirstLead {
        FirstLead {
            id: LeadId::of(LeadType::Order, id),
            at,
        }
    }

    const K1: KeyId = KeyId::new(1);
    const K2: KeyId = KeyId::new(2);

    #[test]
    fn a_fingerprint_ignores_spelling_but_not_content() {
        let a = fingerprint(r#"{"type":"order","email":"a@b.de","total":1}"#);
        assert_eq!(
            a,
            fingerprint("{ \"total\": 1, \"email\": \"a@b.de\",\n \"type\": \"order\" }")
        );
        assert_ne!(a, fingerprint(r#"{"type":"order","email":"a@b.de","total":2}"#));
        assert_ne!(a, fingerprint(r#"{"type":"order","email":"a@b.de","total":1.0}"#));
        assert_eq!(fingerprint("not json"), fingerprint("not json"));
    }

    #[test]
    fn recent_leads_are_forgotten_after_the_window_and_beyond_the_capacity() {
        let mut recent = RecentLeads::new();
        recent.insert(K1, 7, first(10, 1_000));
        recent.insert(K2, 7, first(11, 2_000));
        assert_eq!(recent.get(K1, 7, 0), Some(first(10, 1_000).id));
        assert_eq!(recent.get(K2, 7, 0), Some(first(11, 2_000).id), "per key");
        recent.forget_before(1_500);
        assert_eq!(
            (recent.get(K1, 7, 0), recent.get(K2, 7, 0).map(|f| f.get())),
            (None, Some(11))
        );
        // The same body after its window: the newer lead takes over, and forgetting the
        // older entry keeps it.
        recent.insert(K2, 7, first(12, 3_000));
        recent.forget_before(2_500);
        assert_eq!(recent.get(K2, 7, 0).map(|f| f.get()), Some(12));

        let mut full = RecentLeads::new();
        for n in 0..RecentLeads::CAPACITY as i64 + 1 {
            full.insert(K1, n, first(n, n));
        }
        assert_eq!(full.stored.len(), RecentLeads::CAPACITY);
        assert_eq!(full.get(K1, 0, 0), None, "the oldest went first");
        assert!(full.get(K1, 1, 0).is_some());
    }

    #[test]
    fn an_entry_past_the_window_answers_nothing_even_when_the_clock_stepped_back() {
        let mut recent = RecentLeads::new();
        recent.insert(K1, 1, first(10, 5_000));
        // The clock stepped back: a later lead is stored with an earlier time.
        recent.insert(K1, 2, first(11, 1_000));
        recent.forget_before(2_000);
        assert_eq!(
            recent.stored.len(),
            2,
            "the queue stops at the first entry in the window"
        );
        assert_eq!(recent.get(K1, 2, 2_000), None, "but the lookup checks the time");
        assert_eq!(recent.get(K1, 1, 2_000).map(|f| f.get()), Some(10));
    }

    #[test]
    fn forgetting_an_old_entry_keeps_a_newer_one_with_the_same_id() {
        let mut recent = RecentLeads::new();
        recent.insert(K1, 7, first(10, 1_000));
        // The same id again for the same body (the database was restored), later.
        recent.insert(K1, 7, first(10, 3_000));
        recent.forget_before(2_000);
        assert_eq!(recent.get(K1, 7, 2_000).map(|f| f.get()), Some(10));
    }
}
