//! The data as a whole: `copy-to`, `backup`, `purge`, and a person's data (`person`).

use anyhow::{bail, Context};
use lead_store::Store;

use crate::cli::PersonCommand;
use crate::config::Config;

pub(super) fn copy_to(store: &Store, target_url: &str) -> anyhow::Result<()> {
    let shown = lead_store::redact_password(target_url);
    let target = Store::open(&lead_store::StoreConfig::new(target_url))
        .with_context(|| format!("cannot open the target {shown}"))?;
    let report = store
        .copy_to(&target)
        .with_context(|| format!("copying to {shown} failed; nothing was copied"))?;
    for (table, rows) in &report.tables {
        eprintln!("{table:<16} {rows:>10} rows");
    }
    eprintln!(
        "This is the source as of {} (one consistent snapshot): anything a running server wrote after that \
         is not in the copy. To move for good, stop the server before copying.",
        report.snapshot_at
    );
    let total: i64 = report.tables.iter().map(|(_, rows)| rows).sum();
    println!("copied and verified {total} rows into {shown}");
    Ok(())
}

/// `purge [--dry-run]`
pub(super) fn purge(store: &Store, config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let retention = config.retention();
    let report = store
        .privacy()
        .purge(&retention, dry_run, &std::sync::atomic::AtomicBool::new(false))?;
    if report.skipped {
        bail!("another instance is purging right now; nothing was deleted — try again in a while");
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    for purged in &report.kinds {
        match purged.days {
            0 => println!("{:<24} {:>10}   kept forever", purged.kind, "-"),
            1 => println!("{:<24} {:>10}   older than 1 day", purged.kind, purged.rows),
            days => println!("{:<24} {:>10}   older than {days} days", purged.kind, purged.rows),
        }
    }
    eprintln!("{verb} {} rows in all", report.total());
    Ok(())
}

/// `backup FILE`
pub(super) fn backup(store: &Store, url: &str, file: &std::path::Path) -> anyhow::Result<()> {
    if store.backend() == lead_store::Backend::Postgres {
        bail!(
            "backup copies SQLite databases; for PostgreSQL use its own tool while the server runs, \
             e.g. pg_dump --format=custom --file=leads.dump \"$DATABASE_URL\" (restore with pg_restore; \
             see docs/operations.md)"
        );
    }
    let database = lead_store::sqlite_path(url)?;
    let report = lead_store::backup_sqlite(&database, file)
        .with_context(|| format!("no backup was written to {}", file.display()))?;
    for (table, rows) in &report.tables {
        eprintln!("{table:<28} {rows:>10} rows");
    }
    eprintln!("integrity_check: ok");
    println!("backed up and verified {} bytes into {}", report.bytes, file.display());
    Ok(())
}

/// `person export|erase|redact`
pub(super) fn person(command: PersonCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        PersonCommand::Export { company, email, files } => {
            let company = store.access().find_company(&company)?;
            let data = store.privacy().export_person(company.id, &email)?;
            if let Some(folder) = files {
                let ids = data
                    .orders
                    .iter()
                    .flat_map(|order| &order.attachments)
                    .chain(data.tickets.iter().flat_map(|ticket| &ticket.attachments))
                    .map(|file| file.id);
                write_files(store, company.id, ids, &folder)?;
            }
            let document = lead_present::person::document(data);
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
        PersonCommand::Erase { company, email, yes } => {
            if !yes {
                bail!("this erases everything stored about {email} and cannot be undone: add --yes");
            }
            let company = store.access().find_company(&company)?;
            let keep_orders = config.retention.anonymise_erased_orders;
            let erased = store.privacy().erase_person(company.id, &email, keep_orders)?;
            eprintln!(
                "Erased: {} customer records, {} orders{}, {} tickets, {} submission log entries, \
                 {} notifications and {} deliveries besides those, {} wrong-password counts. The audit \
                 log records it without the address. Backups still hold it until they are replaced.",
                erased.customers,
                erased.orders,
                match erased.orders_anonymised {
                    0 => String::new(),
                    n => format!(" ({n} kept anonymised)"),
                },
                erased.tickets,
                erased.submissions,
                erased.notifications,
                erased.deliveries,
                erased.login_failures
            );
            let mentions = store.privacy().person_mentions(company.id, &email)?;
            if !mentions.is_empty() {
                eprintln!(
                    "Records of others still mention the address in {} places (`person export` lists them under \
                     mentioned_in); `person redact` replaces it there by {}.",
                    mentions.len(),
                    lead_store::REDACTED
                );
            }
        }
        PersonCommand::Redact { company, email, yes } => {
            if !yes {
                bail!("this replaces {email} in records of others and cannot be undone: add --yes");
            }
            let company = store.access().find_company(&company)?;
            let places = store.privacy().redact_mentions(company.id, &email)?;
            eprintln!(
                "Replaced by {} in {places} places of others' records.",
                lead_store::REDACTED
            );
        }
    }
    Ok(())
}

/// Writes the files `ids` of `company`'s leads into `folder` (made if missing) as
/// `<id>-<filename>`, never over an existing file — but no malware (the document lists it);
/// says on stderr how many, and which were left out or not scanned.
fn write_files(
    store: &Store,
    company: lead_store::CompanyId,
    ids: impl Iterator<Item = lead_store::AttachmentId>,
    folder: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder).with_context(|| format!("cannot make {}", folder.display()))?;
    let mut written = 0;
    for id in ids {
        let file = store.privacy().attachment(company, id)?;
        match file.attachment.scan {
            lead_store::Scan::Infected => {
                eprintln!("not written: {id}-{} (malware)", file.attachment.filename);
                continue;
            }
            lead_store::Scan::Pending => {
                eprintln!(
                    "written unscanned (clamd has not judged it yet): {id}-{}",
                    file.attachment.filename
                )
            }
            lead_store::Scan::Clean | lead_store::Scan::Off => {}
        }
        // The name was cleaned as it arrived: no path, no `..`.
        let path = folder.join(format!("{id}-{}", file.attachment.filename));
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        std::io::Write::write_all(&mut out, &file.data).with_context(|| format!("cannot write {}", path.display()))?;
        written += 1;
    }
    eprintln!("{written} files written into {}", folder.display());
    Ok(())
}
