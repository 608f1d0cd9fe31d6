//! The way in for leads: the queue (`ingest.rs`, `leads.rs`), the group-commit writer
//! (`write/`), duplicate suppression, the submission log, and the backlog of what waits.

pub(crate) mod backlog;
pub(crate) mod duplicates;
pub(crate) mod ingest;
pub(crate) mod leads;
pub(crate) mod mail;
pub(crate) mod proofs;
mod scans;
pub(crate) mod submissions;
pub(crate) mod write;

handle! {
    /// The way in for leads: the write queue, the submission log, and the backlog of deliveries
/// still owed.
    Intake by intake
}
