//! The companies' mailboxes: a reader on a thread of its own takes the mailboxes no other
//! instance reads (a lease in the database, renewed while it lives) and stays connected to
//! each — at a checked address, TLS, logged in, the folder selected — filing what arrives
//! (IDLE where the server offers it, otherwise every `poll`): each e-mail taken apart by
//! mail-parser and filed by lead-store in one transaction with the mailbox's position, then
//! marked read or moved. The last check that worked or, in German, what went wrong is
//! recorded for the admins' page.
//!
//! Knows no HTTP routes; lead-server starts the reader ([`Reader::start`]). Never reached from
//! lead-http.

mod connect;
mod file;
mod import;
mod parse;
mod reader;

pub use connect::CheckError;
pub use parse::incoming;
pub use reader::{Reader, ReaderConfig};
