//! `orders`, `tickets`, `notifications`, `submissions` and `audit`.

use clap::Subcommand;
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{EmployeeId, OrderId, TicketId};

use super::{ExportArgs, HeldArgs, ListArgs};

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
        status: Option<OrderStatus>,
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
        /// Only this status: open, pending, closed.
        #[arg(long)]
        status: Option<TicketStatus>,
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
