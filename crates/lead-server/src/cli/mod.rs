//! The command line: `lead-server [serve]` and the operator's subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod access;
mod leads;
mod outbox;
mod person;

pub use access::{CompanyCommand, CustomerCommand, EmployeeCommand, KeyCommand};
pub use leads::{AuditCommand, NotificationsCommand, OrdersCommand, SubmissionsCommand, TicketsCommand};
pub use outbox::{OutboxCommand, PushCommand, WebhookCommand};
pub use person::PersonCommand;

/// Web-to-CRM lead gateway: receives orders and tickets from websites, files them per
/// company and notifies the company's employees.
#[derive(Debug, Parser)]
#[command(name = "lead-server", version)]
pub struct Cli {
    /// Database URL (sqlite://PATH); overrides the config file.
    #[arg(long, global = true, env = "LEAD_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// A config file over the built-in defaults (see config/default.toml).
    #[arg(long, global = true, env = "LEAD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Operator commands: log what happens (at info, or as RUST_LOG says, to stderr);
    /// without it they log nothing, and an error is one line.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Without a subcommand: `serve`, with these options.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// What to do; without one, `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How to serve.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address, e.g. 127.0.0.1:8080 (env LEAD_BIND).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Record every delivery owed, send none (a restore drill, a copy for trying things out);
    /// like [outbox] enabled = false.
    #[arg(long)]
    pub no_deliver: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, then serve HTTP.
    Serve(ServeArgs),
    /// Whether the server needs attention: the database, its migrations, the outbox's
    /// backlog, the last delivery per channel, free disk. Exits 1 when something does (for
    /// monitoring), 2 when the database cannot be reached.
    Status {
        /// Print one JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Companies (tenants).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Employees (receive notifications).
    #[command(subcommand)]
    Employee(EmployeeCommand),
    /// Customers (leads with their email are filed under them).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Web orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Tickets.
    #[command(subcommand)]
    Tickets(TicketsCommand),
    /// In-app notifications.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// The submission log: every request to the lead endpoint, accepted or not.
    #[command(subcommand)]
    Submissions(SubmissionsCommand),
    /// The audit log: keys issued, imported, revoked; companies, employees, tokens changed.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Webhook endpoints: a company's events, signed, sent to its own systems.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The outbox: every delivery owed (webhooks, e-mails, push messages), where it stands,
    /// and retrying it.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Web Push to the team's devices.
    #[command(subcommand)]
    Push(PushCommand),
    /// A person's data on request: export it, or erase it (DSGVO Art. 15 and 17).
    #[command(subcommand)]
    Person(PersonCommand),
    /// Delete now what the [retention] settings no longer keep (the server does it hourly),
    /// and print how many rows of each kind.
    Purge {
        /// Only count what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent copy of the running SQLite database to a new FILE and verify it
    /// (PostgreSQL: use pg_dump).
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: PathBuf,
    },
    /// Copy the whole database into an empty one (e.g. SQLite to PostgreSQL) and verify it.
    CopyTo {
        /// The target database URL (postgres://… or sqlite://…); it must be empty.
        target: String,
    },
}

/// What `orders export` and `tickets export` write.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Id or exact name of the company.
    #[arg(long)]
    pub company: String,
    /// Only this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Text found in the address, title, message or any field the website sent (any case).
    #[arg(long)]
    pub q: Option<String>,
    /// Arrived on or after this day (YYYY-MM-DD, in [dashboard] time_zone).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Arrived on or before this day (YYYY-MM-DD, in [dashboard] time_zone).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// `csv` (German Excel: `;`, decimal comma, BOM, local time), `rfc4180`, or `jsonl`.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
}

/// What an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// German Excel: `;`, decimal comma, BOM, local time.
    Csv,
    /// RFC 4180, for programs: `,`, decimal point, UTC.
    Rfc4180,
    /// One JSON object per line.
    Jsonl,
}

/// Output options of list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print a JSON array (one line) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many rows (newest first where that applies).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// Which held-back leads a list command shows instead of those with a status.
#[derive(Debug, Args)]
pub struct HeldArgs {
    /// Only those held back because their key was past its daily cap.
    #[arg(long, conflicts_with = "status")]
    pub quarantined: bool,
    /// Only those caught by the spam honeypot.
    #[arg(long, conflicts_with_all = ["status", "quarantined"])]
    pub spam: bool,
    /// Only those held back for any reason: quarantine, spam, or `conflict` (sent with an
    /// Idempotency-Key already used for another body).
    #[arg(long, conflicts_with_all = ["status", "quarantined", "spam"])]
    pub held: bool,
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// Turned on.
    On,
    /// Turned off.
    Off,
}

impl Switch {
    /// Whether it is on.
    pub fn on(self) -> bool {
        self == Switch::On
    }
}
