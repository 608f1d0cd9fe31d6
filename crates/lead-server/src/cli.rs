//! The command line: `lead-server [serve]` and the operator's subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lead_store::{DeliveryId, EmployeeId, OrderId, TicketId, WebhookId};

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

/// `person …`
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Print everything stored about an e-mail address in a company as one JSON document
    /// (DSGVO Art. 15): customer records, orders and tickets with their payloads,
    /// notifications, deliveries, submission log entries, wrong-password counts.
    Export {
        /// The company (id or exact name).
        #[arg(long)]
        company: String,
        /// The person's e-mail address (any case).
        #[arg(long)]
        email: String,
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
}

/// `push …`
#[derive(Debug, Subcommand)]
pub enum PushCommand {
    /// Print the server's VAPID public key (browsers subscribe with it); made now if push has
    /// never been enabled.
    PublicKey,
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
    #[arg(long, default_value = "csv")]
    pub format: String,
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

/// `company …`
#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Add a company; prints its id.
    Add {
        /// Unique name (not all digits).
        name: String,
    },
    /// List companies.
    List(ListArgs),
    /// Deactivate a company: its keys stop working.
    Deactivate {
        /// Id or exact name.
        company: String,
    },
    /// Activate a company again.
    Activate {
        /// Id or exact name.
        company: String,
    },
}

/// `key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Issue a new key; prints it once, alone on the last line.
    Issue {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// A note for the operator (e.g. the website).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Register an existing key string unchanged (migration); prints the key's id.
    Import {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// The key string; `-` reads it from standard input (keeps it out of shell history).
        #[arg(long)]
        key: String,
        /// A note for the operator.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys (never the keys themselves).
    List {
        /// Only this company's keys (id or exact name).
        #[arg(long)]
        company: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Revoke a key: it stops working at once.
    Revoke {
        /// The key's id, or its display prefix.
        key: String,
    },
    /// Limit a key to these websites: a browser request from any other origin gets 403
    /// origin_not_allowed, and a form's `redirect` must point to one of them. `any` lifts it.
    Origins {
        /// The key's id, or its display prefix.
        key: String,
        /// Origins like https://www.example.de, or `any`.
        #[arg(required = true)]
        origins: Vec<String>,
    },
    /// Send the senders of this key's leads a confirmation e-mail (needs [smtp]; never for
    /// held leads; at most [smtp] confirmations_per_key_per_day a day). Off by default.
    Confirm {
        /// The key's id, or its display prefix.
        key: String,
        /// `on` or `off`.
        state: Switch,
    },
    /// Cap the leads a key brings to the team per day (UTC). Past the cap, leads are still
    /// stored and answered 200, but quarantined: they notify nobody and wait for the operator
    /// (`orders list --quarantined`, `orders release`).
    Cap {
        /// The key's id, or its display prefix.
        key: String,
        /// Leads per day, or `off`.
        cap: String,
    },
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

/// `employee …`
#[derive(Debug, Subcommand)]
pub enum EmployeeCommand {
    /// Whether an employee gets an e-mail (needs [smtp]) and push messages (needs [push]) per
    /// new order and ticket; both on by default.
    #[command(group(clap::ArgGroup::new("channel").required(true).multiple(true).args(["email", "push"])))]
    Notify {
        /// The employee's id.
        employee: EmployeeId,
        /// E-mail: `on` or `off`.
        #[arg(long, value_name = "on|off")]
        email: Option<Switch>,
        /// Push messages to the employee's devices: `on` or `off`.
        #[arg(long, value_name = "on|off")]
        push: Option<Switch>,
    },
    /// Add an employee; prints the id.
    Add {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Email address.
        #[arg(long)]
        email: String,
        /// An admin of the company: manages its employees, keys, webhooks and data requests
        /// in the dashboard (default: a member, who works the inbox).
        #[arg(long)]
        admin: bool,
    },
    /// Make an employee an admin of their company, or a member again.
    Role {
        /// The employee's id.
        employee: EmployeeId,
        /// `admin` or `member`.
        #[arg(value_name = "admin|member")]
        role: lead_store::Role,
    },
    /// List a company's employees.
    List {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Deactivate an employee: no further notifications.
    Deactivate {
        /// The employee's id.
        employee: EmployeeId,
    },
    /// Activate an employee again.
    Activate {
        /// The employee's id.
        employee: EmployeeId,
    },
    /// Set the employee's password for the dashboard (/app), read from standard input (the
    /// first line); at least 10 characters. Also lifts a lockout after wrong passwords.
    Password {
        /// The employee's id.
        employee: EmployeeId,
    },
    /// Issue a team-API bearer token; prints it once, alone on the last line.
    Token {
        /// The employee's id.
        employee: EmployeeId,
    },
    /// List tokens (never the tokens themselves).
    TokenList {
        /// Only this employee's tokens.
        #[arg(long)]
        employee: Option<EmployeeId>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Revoke a token: it stops working at once.
    TokenRevoke {
        /// The token's id, its display prefix, or the token itself.
        token: String,
    },
}

/// `customer …`
#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Add a customer (email unique per company); prints the id.
    Add {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Email address.
        #[arg(long)]
        email: String,
    },
    /// List a company's customers.
    List {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

/// `submissions …`
#[derive(Debug, Subcommand)]
pub enum SubmissionsCommand {
    /// List requests to the lead endpoint, newest first: why did a form fail?
    List {
        /// Only this company's (id or exact name).
        #[arg(long)]
        company: Option<String>,
        /// Only keys whose display prefix starts with this.
        #[arg(long)]
        key: Option<String>,
        /// Only failed requests.
        #[arg(long)]
        failed: bool,
        #[command(flatten)]
        list: ListArgs,
    },
}

/// `orders …`
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Write a company's web orders (as the filters say) to stdout: CSV for German Excel, or
    /// RFC 4180 CSV, or one JSON object per line.
    Export(ExportArgs),
    /// List a company's web orders, newest first.
    List {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Only this status: new, accepted, rejected.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        held: HeldArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Release a held order (quarantine, spam or conflict) to the team: it appears in the
    /// inbox and every active employee is notified.
    Release {
        /// The order's id.
        id: OrderId,
    },
}

/// `tickets …`
#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Write a company's tickets (as the filters say) to stdout, like `orders export`.
    Export(ExportArgs),
    /// List a company's tickets, newest first.
    List {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Only this status: open, closed.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        held: HeldArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Release a held ticket (quarantine, spam or conflict) to the team: it appears in the
    /// ticket system and every active employee is notified.
    Release {
        /// The ticket's id.
        id: TicketId,
    },
}

/// `notifications …`
#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// List an employee's notifications, newest first.
    List {
        /// The employee's id.
        #[arg(long)]
        employee: EmployeeId,
        #[command(flatten)]
        list: ListArgs,
    },
}

/// `audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the audit log, newest first.
    List(ListArgs),
}

/// `webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint for a company's events; prints its signing secret (shown only now).
    Add {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Where to send: https://… (http:// and private addresses only with
        /// [outbox] allow_private_targets).
        #[arg(long)]
        url: String,
        /// Comma-separated events (default: all): order.created, ticket.created,
        /// order.accepted, order.rejected, ticket.closed, ticket.reopened.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// standard (signed JSON events) or slack (`{"text": …}` for Slack, Mattermost,
        /// Rocket.Chat and Teams incoming webhooks, unsigned).
        #[arg(long, default_value = "standard")]
        format: String,
    },
    /// List endpoints (never their secrets).
    List {
        /// Only this company's (id or exact name).
        #[arg(long)]
        company: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Remove an endpoint: it is sent nothing more; its pending deliveries fail.
    Remove {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Enable a disabled endpoint again.
    Enable {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Give an endpoint a new secret (printed); for 24 hours requests carry a signature with
    /// the old one too.
    RotateSecret {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Send a `ping` event to an endpoint now and print its answer.
    Test {
        /// The endpoint's id.
        id: WebhookId,
    },
}

/// `outbox …`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first.
    List {
        /// Only this company's (id or exact name).
        #[arg(long)]
        company: Option<String>,
        /// Only this channel: webhook, email or push.
        #[arg(long)]
        channel: Option<String>,
        /// Only this status: pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Try a delivery again now (a failed one too).
    Retry {
        /// The delivery's id.
        id: DeliveryId,
    },
}
