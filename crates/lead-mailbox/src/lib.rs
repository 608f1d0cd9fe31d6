//! The companies' mailboxes: a reader on a thread of its own takes the mailboxes no other
//! instance reads (a lease in the database, renewed while it lives) and checks each every
//! `poll` — connected at a checked address, TLS, logged in, the folder selected — recording
//! the last check that worked or, in German, what went wrong, for the admins' page.
//!
//! Knows no HTTP routes; lead-server starts the reader ([`Reader::start`]). Never reached from
//! lead-http.

mod connect;
mod reader;

pub use connect::CheckError;
pub use reader::{Reader, ReaderConfig};
