//! A person's data and its deletion: the export and erasure on request (`person/`), the
//! purge of what is kept no longer (`retention.rs`), and deleting what hangs on a row, which
//! both share (`deletion.rs`).

pub(crate) mod deletion;
pub(crate) mod person;
pub(crate) mod retention;

handle! {
    /// A person's data: its export and erasure, and the purge of what is kept no longer.
    Privacy by privacy
}
