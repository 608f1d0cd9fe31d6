//! What the team works with: leads of both kinds (`records/`), customers and their files, the
//! team's notes, and the employees' notifications and live streams.

pub(crate) mod attachments;
pub(crate) mod customers;
pub(crate) mod messages;
pub(crate) mod notes;
pub(crate) mod notifications;
pub(crate) mod records;

handle! {
    /// What the team works with: leads of both kinds, customers and their files, notes, and the
/// employees' notifications and live streams.
    Team by team
}
