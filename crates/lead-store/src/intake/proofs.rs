//! Proofs of work that leads have used: a solution counts once. A lead's proof is recorded in
//! the lead's own transaction (`write/emit.rs`), so it is spent exactly when the lead is
//! stored; another lead with it is held as spam (`write/plan.rs`). Kept until the challenge
//! has expired — after that no lead can use it anyway — and then deleted by the writers.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::spent_challenges;
use crate::Result;

/// A proof of work a stored lead used.
#[derive(Insertable)]
#[diesel(table_name = spent_challenges)]
pub(crate) struct NewSpent {
    /// The challenge's signature.
    pub(crate) id: String,
    /// When (milliseconds) the challenge expires.
    pub(crate) expires_at: i64,
}

impl NewSpent {
    /// The row of `proof`.
    pub(crate) fn of(proof: &lead_auth::proof::Solved) -> NewSpent {
        NewSpent {
            id: proof.id.clone(),
            expires_at: proof.expires_at.saturating_mul(1000),
        }
    }
}

/// Which of `proofs` stored leads used before.
pub(crate) fn spent<'a>(
    conn: &mut DbConnection,
    proofs: impl Iterator<Item = &'a lead_auth::proof::Solved>,
) -> Result<HashSet<String>> {
    let ids: Vec<&str> = proofs.map(|proof| proof.id.as_str()).collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found = spent_challenges::table
        .filter(spent_challenges::id.eq_any(&ids))
        .select(spent_challenges::id)
        .load::<String>(conn)?;
    Ok(found.into_iter().collect())
}

/// How long a spent proof is kept past its challenge's expiry: a lead checked in time may wait
/// in the queue, and instances' clocks may differ a little.
const KEPT_PAST_EXPIRY_MS: i64 = 10 * 60 * 1000;

/// Deletes the proofs whose challenges expired well before `now` (milliseconds); how many.
pub(crate) fn prune(conn: &mut DbConnection, now: i64) -> Result<usize> {
    let cutoff = now.saturating_sub(KEPT_PAST_EXPIRY_MS);
    Ok(diesel::delete(spent_challenges::table.filter(spent_challenges::expires_at.lt(cutoff))).execute(conn)?)
}
