//! The operator's subcommands, by topic. Ids and keys go alone on the last line of stdout;
//! everything said to a human goes to stderr.

mod access;
mod customers;
mod data;
mod leads;
mod mailbox;
mod outbox;

use lead_store::Store;

use crate::cli::{AuditCommand, Command, ListArgs, NotificationsCommand, SubmissionsCommand};
use crate::config::Config;
use crate::output::{print_rows, AuditRow, NotificationRow, Row, SubmissionRow};

/// Runs one operator command against `store`.
pub fn run(command: Command, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) | Command::Status { .. } => unreachable!("not an operator command on a store"),
        Command::Webhook(command) => outbox::webhook(command, store, config),
        Command::Outbox(command) => outbox::outbox(command, store),
        Command::Push(command) => outbox::push(command, store, config),
        Command::Person(command) => data::person(command, store, config),
        Command::Company(command) => access::company(command, store, config),
        Command::Key(command) => access::key(command, store, config),
        Command::Employee(command) => access::employee(command, store),
        Command::Customer(command) => customers::customer(command, store, config),
        Command::Orders(command) => leads::orders(command, store, config),
        Command::Tickets(command) => leads::tickets(command, store, config),
        Command::CopyTo { target } => data::copy_to(store, &target),
        Command::Backup { file } => data::backup(store, &config.database.url, &file),
        Command::Purge { dry_run } => data::purge(store, config, dry_run),
        Command::Submissions(SubmissionsCommand::List {
            company,
            key,
            failed,
            list,
        }) => {
            let filter = lead_store::SubmissionFilter {
                company_id: company
                    .map(|c| store.access().find_company(&c))
                    .transpose()?
                    .map(|c| c.id),
                key_prefix: key,
                failed_only: failed,
                before: None,
                limit: limit(&list),
                ..Default::default()
            };
            list_rows(store.intake().list_submissions(&filter)?, &list, SubmissionRow::from)
        }
        Command::Audit(AuditCommand::List(list)) => {
            list_rows(store.access().list_audit(limit(&list))?, &list, AuditRow::from)
        }
        Command::Notifications(NotificationsCommand::List { employee, list }) => list_rows(
            store.team().list_notifications(employee, false, None, limit(&list))?,
            &list,
            NotificationRow::from,
        ),
    }
}

pub(super) fn limit(list: &ListArgs) -> Option<i64> {
    list.limit.map(i64::from)
}

pub(super) fn list_rows<T, R: Row>(items: Vec<T>, list: &ListArgs, row: impl Fn(T) -> R) -> anyhow::Result<()> {
    let mut rows: Vec<R> = items.into_iter().map(row).collect();
    if let Some(limit) = list.limit {
        rows.truncate(limit as usize);
    }
    print_rows(&rows, list.json)
}
