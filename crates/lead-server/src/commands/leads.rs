//! `orders` and `tickets`: lists, releases and exports — one implementation for both kinds.

use lead_present::csv::{self, Dialect};
use lead_store::{Hold, LeadQuery, OrderRecord, Store, TicketRecord};

use super::{limit, list_rows};
use crate::cli::{ExportArgs, ExportFormat, HeldArgs, ListArgs, OrdersCommand, TicketsCommand};
use crate::config::Config;
use crate::output::{InTerminal, LeadRow};

/// `orders …`
pub(super) fn orders(command: OrdersCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        OrdersCommand::Export(args) => export::<OrderRecord>(store, config, &args),
        OrdersCommand::List {
            company,
            status,
            held,
            list,
        } => list_leads::<OrderRecord>(store, &company, status, &held, &list),
        OrdersCommand::Release { id } => {
            release::<OrderRecord>(store, id, "it is in the inbox, and the team was notified")
        }
    }
}

/// `tickets …`
pub(super) fn tickets(command: TicketsCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        TicketsCommand::Export(args) => export::<TicketRecord>(store, config, &args),
        TicketsCommand::List {
            company,
            status,
            held,
            list,
        } => list_leads::<TicketRecord>(store, &company, status, &held, &list),
        TicketsCommand::Release { id } => {
            release::<TicketRecord>(store, id, "it is in the ticket system, and the team was notified")
        }
    }
}

/// `… list`: the team's leads (of a status), or the held ones.
fn list_leads<K: InTerminal>(
    store: &Store,
    company: &str,
    status: Option<K::Status>,
    held: &HeldArgs,
    list: &ListArgs,
) -> anyhow::Result<()> {
    let company = store.access().find_company(company)?;
    let leads: Vec<K> = match held.filter() {
        Some(hold) => store.team().held_leads(company.id, hold, limit(list))?,
        None => store.team().leads(
            company.id,
            &LeadQuery {
                status,
                limit: limit(list),
                ..LeadQuery::default()
            },
        )?,
    };
    list_rows(leads, list, LeadRow::from)
}

/// `… release ID`
fn release<K: InTerminal>(store: &Store, id: K::Id, what_now: &str) -> anyhow::Result<()> {
    let lead: K = store.team().release_lead(id)?;
    eprintln!("Released {} {}: {what_now}.", K::TYPE, lead.id());
    Ok(())
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
fn export<K: InTerminal>(store: &Store, config: &Config, args: &ExportArgs) -> anyhow::Result<()> {
    use std::io::Write as _;
    let company = store.access().find_company(&args.company)?;
    let zone = config.time_zone()?;
    let day = |text: &Option<String>, name: &str, following: bool| -> anyhow::Result<Option<lead_domain::Timestamp>> {
        text.as_deref()
            .map(|text| {
                lead_domain::Timestamp::day_starts(text, &zone, following)
                    .ok_or_else(|| anyhow::anyhow!("--{name} must be a date like 2026-12-01, got {text:?}"))
            })
            .transpose()
    };
    let query = LeadQuery::<K> {
        status: args
            .status
            .as_deref()
            .map(str::parse::<K::Status>)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        search: lead_store::Search {
            text: args.q.clone().filter(|q| !q.trim().is_empty()),
            since: day(&args.since, "since", false)?,
            until: day(&args.until, "until", true)?,
        },
        owner: None,
        before: None,
        limit: Some(500),
    };
    let dialect = match args.format {
        ExportFormat::Csv => Some(Dialect::Excel),
        ExportFormat::Rfc4180 => Some(Dialect::Rfc4180),
        ExportFormat::Jsonl => None,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(dialect) = dialect {
        out.write_all(&csv::head::<K>(dialect))?;
    }
    let mut written = 0usize;
    store
        .team()
        .walk_leads(company.id, query, |leads: Vec<K>| -> anyhow::Result<bool> {
            written += leads.len();
            let bytes = match dialect {
                Some(dialect) => csv::rows(&leads, dialect, &zone),
                None => jsonl(leads.into_iter().map(|lead| lead.view(true)))?,
            };
            out.write_all(&bytes)?;
            Ok(true)
        })?;
    out.flush()?;
    eprintln!("{written} records exported.");
    Ok(())
}

/// One JSON object per line.
pub(super) fn jsonl<T: serde::Serialize>(records: impl Iterator<Item = T>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, &record)?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}
