//! `customer …`: add, list and export a company's customers.

use std::io::Write as _;

use lead_present::csv::{self, Dialect};
use lead_present::views::CustomerView;
use lead_store::Store;

use super::leads::jsonl;
use super::{limit, list_rows};
use crate::cli::{CustomerCommand, ExportFormat};
use crate::config::Config;
use crate::output::CustomerRow;

/// Customers read per query of an export.
const CHUNK: i64 = 500;

pub(super) fn customer(command: CustomerCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        CustomerCommand::Add { company, name, email } => {
            let company = store.access().find_company(&company)?;
            let id = store.team().add_customer(company.id, &name, &email)?.id;
            eprintln!("Added customer {:?} to company {:?}.", name.trim(), company.name);
            println!("{id}");
        }
        CustomerCommand::List { company, list } => {
            let company = store.access().find_company(&company)?;
            list_rows(
                store.team().list_customers(company.id, None, None, limit(&list))?,
                &list,
                CustomerRow::from,
            )?;
        }
        CustomerCommand::Export { company, format } => export(store, config, &company, format)?,
    }
    Ok(())
}

/// A company's customers to stdout, newest first, 500 read at a time: CSV as the order export
/// writes it (German Excel or RFC 4180), or one JSON object per line (the team API's view).
fn export(store: &Store, config: &Config, company: &str, format: ExportFormat) -> anyhow::Result<()> {
    let company = store.access().find_company(company)?;
    let zone = config.time_zone()?;
    let dialect = match format {
        ExportFormat::Csv => Some(Dialect::Excel),
        ExportFormat::Rfc4180 => Some(Dialect::Rfc4180),
        ExportFormat::Jsonl => None,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(dialect) = dialect {
        out.write_all(&csv::customer_head(dialect))?;
    }
    let (mut written, mut before) = (0usize, None);
    loop {
        let customers = store.team().list_customers(company.id, None, before, Some(CHUNK))?;
        let Some(last) = customers.last() else { break };
        before = Some(last.id);
        written += customers.len();
        let bytes = match dialect {
            Some(dialect) => csv::customer_rows(&customers, dialect, &zone),
            None => jsonl(customers.into_iter().map(CustomerView::from))?,
        };
        out.write_all(&bytes)?;
    }
    out.flush()?;
    eprintln!("{written} customers exported.");
    Ok(())
}
