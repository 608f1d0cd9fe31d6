//! How the lead gateway shows what it stores — in one place that the HTTP layer, the
//! deliveries and the operator's commands all reach, so that an order reads the same in the
//! dashboard, in a CSV file, in a push message and in the terminal.
//!
//! Each kind of lead says here, once, what is its own: its status labels (German for the
//! team, the API's words for programs), its JSON view, its dashboard page and its CSV
//! columns ([`Presented`]). What every lead shares is written once for both kinds. What a
//! webhook's test answered is told here too ([`ping`]), in each face's language.
//!
//! The JSON views (`views.rs`) are the published shape of a lead — the team API's body, a
//! webhook's `data`, the operator's `--json` rows and a person's data export (`person.rs`).
//!
//! Depends on `lead-domain` and `lead-store` (for the records it shows); never on HTTP.

pub mod csv;
pub mod german;
pub mod import;
mod kinds;
pub mod person;
pub mod ping;
pub mod views;

pub use kinds::{link, Presented};
