//! `orders` and `tickets`: lists, releases and exports.

use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{Hold, Store};

use super::{limit, list_rows};
use crate::cli::{ExportFormat, HeldArgs, OrdersCommand, TicketsCommand};
use crate::config::Config;
use crate::output::{OrderRow, TicketRow};

/// `orders …`
pub(super) fn orders(command: OrdersCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        OrdersCommand::Export(args) => export(store, config, &args, lead_http::export::Kind::Orders),
        OrdersCommand::List {
            company,
            status,
            held,
            list,
        } => {
            let company = store.find_company(&company)?;
            let orders = match held.filter() {
                Some(hold) => store.list_held_orders(company.id, hold, limit(&list))?,
                None => store.list_orders(company.id, status, None, limit(&list))?,
            };
            list_rows(orders, &list, OrderRow::from)
        }
        OrdersCommand::Release { id } => {
            let order = store.release_order(id)?;
            eprintln!(
                "Released order {}: it is in the inbox, and the team was notified.",
                order.id
            );
            Ok(())
        }
    }
}

/// `tickets …`
pub(super) fn tickets(command: TicketsCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        TicketsCommand::Export(args) => export(store, config, &args, lead_http::export::Kind::Tickets),
        TicketsCommand::List {
            company,
            status,
            held,
            list,
        } => {
            let company = store.find_company(&company)?;
            let tickets = match held.filter() {
                Some(hold) => store.list_held_tickets(company.id, hold, limit(&list))?,
                None => store.list_tickets(company.id, status, None, limit(&list))?,
            };
            list_rows(tickets, &list, TicketRow::from)
        }
        TicketsCommand::Release { id } => {
            let ticket = store.release_ticket(id)?;
            eprintln!(
                "Released ticket {}: it is in the ticket system, and the team was notified.",
                ticket.id
            );
            Ok(())
        }
    }
}

impl HeldArgs {
    /// Which held-back leads a list asks for: `None` for the team's view, `Some(None)` for
    /// every held lead, `Some(Some(hold))` for those held for one reason.
    fn filter(&self) -> Option<Option<Hold>> {
        match (self.quarantined, self.spam, self.held) {
            (true, _, _) => Some(Some(Hold::Quarantine)),
            (_, true, _) => Some(Some(Hold::Spam)),
            (_, _, true) => Some(None),
            _ => None,
        }
    }
}

/// `orders export` / `tickets export`: the filtered list, 500 records at a time, to stdout.
fn export(
    store: &Store,
    config: &Config,
    args: &crate::cli::ExportArgs,
    kind: lead_http::export::Kind,
) -> anyhow::Result<()> {
    use lead_http::export::{self, Dialect, Kind};
    use std::io::Write as _;
    let company = store.find_company(&args.company)?;
    let zone = config.time_zone()?;
    let day = |text: &Option<String>, name: &str, following: bool| -> anyhow::Result<Option<lead_domain::Timestamp>> {
        text.as_deref()
            .map(|text| {
                lead_domain::Timestamp::day_starts(text, &zone, following)
                    .ok_or_else(|| anyhow::anyhow!("--{name} must be a date like 2026-12-01, got {text:?}"))
            })
            .transpose()
    };
    let search = lead_store::Search {
        text: args.q.clone().filter(|q| !q.trim().is_empty()),
        since: day(&args.since, "since", false)?,
        until: day(&args.until, "until", true)?,
    };
    let dialect = match args.format {
        ExportFormat::Csv => Some(Dialect::Excel),
        ExportFormat::Rfc4180 => Some(Dialect::Rfc4180),
        ExportFormat::Jsonl => None,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(dialect) = dialect {
        out.write_all(&export::head(kind, dialect))?;
    }
    let mut before: Option<i64> = None;
    let mut written = 0usize;
    loop {
        let (bytes, last, n) = match kind {
            Kind::Orders => {
                let status = args
                    .status
                    .as_deref()
                    .map(str::parse::<OrderStatus>)
                    .transpose()
                    .map_err(anyhow::Error::msg)?;
                let found =
                    store.find_orders(company.id, status, &search, before.map(lead_store::OrderId::new), 500)?;
                let bytes = match dialect {
                    Some(dialect) => export::orders(&found, dialect, &zone),
                    None => jsonl(found.iter().map(|o| lead_store::views::OrderView::new(o.clone(), true)))?,
                };
                (bytes, found.last().map(|o| o.id.get()), found.len())
            }
            Kind::Tickets => {
                let status = args
                    .status
                    .as_deref()
                    .map(str::parse::<TicketStatus>)
                    .transpose()
                    .map_err(anyhow::Error::msg)?;
                let found =
                    store.find_tickets(company.id, status, &search, before.map(lead_store::TicketId::new), 500)?;
                let bytes = match dialect {
                    Some(dialect) => export::tickets(&found, dialect, &zone),
                    None => jsonl(
                        found
                            .iter()
                            .map(|t| lead_store::views::TicketView::new(t.clone(), true)),
                    )?,
                };
                (bytes, found.last().map(|t| t.id.get()), found.len())
            }
        };
        out.write_all(&bytes)?;
        written += n;
        before = last;
        if n < 500 {
            break;
        }
    }
    out.flush()?;
    eprintln!("{written} records exported.");
    Ok(())
}

/// One JSON object per line.
fn jsonl<T: serde::Serialize>(records: impl Iterator<Item = T>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, &record)?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}
