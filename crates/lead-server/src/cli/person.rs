//! `person`: a person's data on request.

use clap::Subcommand;

/// `person …`
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Print everything stored about an e-mail address in a company as one JSON document
    /// (DSGVO Art. 15): customer records, orders and tickets with their payloads,
    /// notes, notifications, deliveries, submission log entries, wrong-password counts, and
    /// which records of others mention the address (`mentioned_in`). The leads list their
    /// files (`attachments`); `--files` writes them too.
    Export {
        /// The company (id or exact name).
        #[arg(long)]
        company: String,
        /// The person's e-mail address (any case).
        #[arg(long)]
        email: String,
        /// Also write the files of the person's leads into this folder (made if missing), each
        /// as `<id>-<filename>`; an existing file is never overwritten.
        #[arg(long, value_name = "DIR")]
        files: Option<std::path::PathBuf>,
    },
    /// Erase everything stored about an e-mail address in a company, in one transaction
    /// (DSGVO Art. 17); orders are kept anonymised if [retention] anonymise_erased_orders.
    Erase {
        /// The company (id or exact name).
        #[arg(long)]
        company: String,
        /// The person's e-mail address (any case).
        #[arg(long)]
        email: String,
        /// Yes, erase: it cannot be undone (backups aside).
        #[arg(long)]
        yes: bool,
    },
    /// Replace an e-mail address by „`[entfernt]`“ wherever records of others in a company
    /// mention it (a colleague's ticket that names it, a note of the team) — what an erasure
    /// leaves, listed by `person export` under `mentioned_in`.
    Redact {
        /// The company (id or exact name).
        #[arg(long)]
        company: String,
        /// The e-mail address (any case).
        #[arg(long)]
        email: String,
        /// Yes, redact: it cannot be undone (backups aside).
        #[arg(long)]
        yes: bool,
    },
}
