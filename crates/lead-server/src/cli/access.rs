//! `company`, `key`, `employee` and `customer`.

use clap::Subcommand;
use lead_store::EmployeeId;

use super::{ExportFormat, ListArgs, Switch};

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
    /// Which new senders get a customer file of their own as their lead arrives: `off` (only
    /// existing customers match; the default), `orders`, or `all`.
    AutoCustomers {
        /// Id or exact name.
        company: String,
        /// `off`, `orders` or `all`.
        #[arg(value_parser = ["off", "orders", "all"])]
        mode: String,
    },
    /// Set the company's mailbox: the team answers leads from it, and the customers' answers
    /// (and new enquiries) are read from it. Without options: show it (never its passwords).
    Mailbox {
        /// Id or exact name.
        company: String,
        /// Where it is read: imaps://user:password@host[:port]/FOLDER (or
        /// imap://…?tls=required; plain imap:// only with [outbox] allow_private_targets);
        /// `-` reads it from standard input (keeps the password out of shell history).
        #[arg(long, requires = "from", conflicts_with = "off")]
        imap: Option<String>,
        /// The address replies leave from: "Bäckerei Schmidt <service@baeckerei-schmidt.de>".
        #[arg(long, requires = "imap")]
        from: Option<String>,
        /// The SMTP server replies leave by, in [smtp] url's format (default: the server's
        /// [smtp]); `-` reads it from standard input (after the IMAP URL, if that is `-` too).
        #[arg(long, requires = "imap")]
        smtp: Option<String>,
        /// A folder imported messages are moved to (default: they are marked read where they
        /// are).
        #[arg(long, requires = "imap")]
        move_to: Option<String>,
        /// Remove the mailbox: nothing more is read, no reply can be sent.
        #[arg(long)]
        off: bool,
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
    /// Require a proof of work of this key's leads (the ALTCHA widget, served by this server
    /// at /altcha/altcha.js; its challenge at /api/v1/challenge?key=…): a lead without a
    /// valid, unused solution is stored held as spam (not notified; `order release` or
    /// `ticket release` lets it through). Off by default.
    Challenge {
        /// The key's id, or its display prefix.
        key: String,
        /// `on` or `off`.
        state: Switch,
    },
    /// The consent sentence this key's form shows („Ich bin einverstanden, dass …“): recorded
    /// with each of its leads that sends no `consent_text` of its own — given or not, as the
    /// form's `consent` checkbox says.
    ConsentText {
        /// The key's id, or its display prefix.
        key: String,
        /// The sentence (at most 2,000 characters).
        #[arg(required_unless_present = "off", conflicts_with = "off")]
        text: Option<String>,
        /// No consent text: leads record consent only when their form sends some.
        #[arg(long)]
        off: bool,
    },
    /// Route a key's new leads to an owner: one `--employee` owns every one, several take
    /// turns, none leaves them without an owner.
    Route {
        /// The key's id, or its display prefix.
        key: String,
        /// An active employee of the key's company (repeat for turns).
        #[arg(long = "employee")]
        employees: Vec<i64>,
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
    /// Write a company's customers to stdout, newest first: CSV (German Excel: `;`, BOM,
    /// local time — the headers an import reads back), `rfc4180`, or `jsonl`.
    Export {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// `csv` (German Excel), `rfc4180`, or `jsonl`.
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
    },
    /// List a company's customers.
    List {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Import customers from a CSV file (German Excel or RFC 4180, headers by their German or
    /// English names): a customer found by an address is completed, others are made; lines
    /// without a valid address are skipped. Reports created / updated / skipped.
    Import {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// The CSV file (`-`: standard input).
        file: std::path::PathBuf,
        /// Only report what the import would do; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}
