//! Proofs of work that leads have used: a solution counts once. A lead's proof is recorded in
//! the lead's own transaction (`write/emit.rs`), so it is spent exactly when the lead is
//! stored; another lead with it is held as spam (`write/plan.rs`). Kept until the challenge
//! expires — after that no lead can use it anyway — and then deleted by the writer.

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

/// Whether a lead stored before used the proof with challenge `id`.
pub(crate) fn spent(conn: &mut DbConnection, id: &str) -> Result<bool> {
    let found = spent_challenges::table
        .find(id)
        .select(spent_challenges::id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Deletes the proofs whose challenges expired before `now` (milliseconds); how many.
pub(crate) fn prune(conn: &mut DbConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(spent_challenges::table.filter(spent_challenges::expires_at.lt(now))).execute(conn)?)
}
