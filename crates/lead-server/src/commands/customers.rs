//! `customer …`: add, list, export and import a company's customers.

use std::io::Write as _;

use lead_present::csv::{self, Dialect};
use lead_present::import::read_customers;
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
        CustomerCommand::Import { company, file, dry_run } => import(store, &company, &file, dry_run)?,
    }
    Ok(())
}

/// Imports a customer list into a company (see [`lead_store::Team::import_customers`]): the
/// report to stderr, a line per skipped line; fails on a file that is no customer list.
fn import(store: &Store, company: &str, file: &std::path::Path, dry_run: bool) -> anyhow::Result<()> {
    let company = store.access().find_company(company)?;
    let bytes = if file == std::path::Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
    };
    let list = read_customers(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if !list.ignored.is_empty() {
        eprintln!("Columns ignored: {}.", list.ignored.join(", "));
    }
    let report = store.team().import_customers(company.id, None, &list.lines, dry_run)?;
    for (line, why) in &report.skipped {
        eprintln!("Line {line} skipped: {why}.");
    }
    let verb = if dry_run { "would be" } else { "were" };
    eprintln!(
        "{} customers {verb} created, {} updated, {} unchanged; {} lines skipped ({}, {}).",
        report.created,
        report.updated,
        report.unchanged,
        report.skipped.len(),
        list.encoding,
        match list.separator {
            '\t' => "tab-separated".to_owned(),
            other => format!("'{other}'-separated"),
        }
    );
    if let Some(filed) = report.filed.filter(|f| f.orders + f.tickets > 0) {
        eprintln!(
            "{} orders and {} tickets filed under their customers.",
            filed.orders, filed.tickets
        );
    }
    if dry_run {
        eprintln!("Dry run: nothing was changed.");
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
