//! Backups of a SQLite database while the server runs: a consistent snapshot
//! (`VACUUM INTO`, one read transaction of its own), verified before it is given its name.
//! PostgreSQL has its own tools (`pg_dump`).

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;

use crate::{Result, StoreError};

/// What a verified backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// Each table with its rows, by name.
    pub tables: Vec<(String, i64)>,
    /// The backup file's size.
    pub bytes: u64,
}

/// Writes a consistent copy of the SQLite database at `database` to `target`, which must not
/// exist, and verifies it (`PRAGMA integrity_check`, and every table read whole to count its
/// rows). The copy is a snapshot of one moment: every lead committed before it started is in
/// it, whatever is written meanwhile. Writers are not stopped (in WAL mode a reader holds
/// nobody up). The copy is written beside `target` under a temporary name, synced to disk and
/// only then linked to `target`: a `target` that exists is always whole and verified, and one
/// that existed before is never overwritten.
pub fn backup_sqlite(database: &Path, target: &Path) -> Result<BackupReport> {
    let unavailable = |what: String| StoreError::Unavailable(what);
    if !database.is_file() {
        return Err(unavailable(format!(
            "there is no database file at {}",
            database.display()
        )));
    }
    if target.exists() {
        return Err(StoreError::Conflict(
            crate::error::Clash::Target,
            format!(
                "{} exists already; a backup never overwrites a file — choose a new name",
                target.display()
            ),
        ));
    }
    let file = |what: String| StoreError::File(what);
    let name = target
        .file_name()
        .ok_or_else(|| file(format!("{} is not a file name", target.display())))?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(file(format!(
            "the folder {} does not exist: create it first (mkdir -m 700 {0})",
            dir.display()
        )));
    }
    let partial = dir.join(format!(".{}.partial-{}", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let written = snapshot(database, &partial).and_then(|()| {
        let report = verify(&partial)?;
        std::fs::File::open(&partial)
            .and_then(|file| file.sync_all())
            .map_err(|e| file(format!("cannot sync {}: {e}", partial.display())))?;
        Ok(report)
    });
    let linked = written.and_then(|report| {
        // A link, not a rename: it fails if `target` appeared meanwhile, instead of replacing it.
        std::fs::hard_link(&partial, target).map_err(|e| file(format!("cannot create {}: {e}", target.display())))?;
        if let Ok(dir) = std::fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(report)
    });
    let _ = std::fs::remove_file(&partial);
    linked
}

/// `VACUUM INTO`: the whole database as of one read transaction, into a new file — made
/// empty first, readable by its owner alone (it holds secrets and personal data), which
/// `VACUUM INTO` accepts.
fn snapshot(database: &Path, into: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(into)
        .map_err(|e| StoreError::File(format!("cannot create {}: {e}", into.display())))?;
    let mut source = connect(database)?;
    diesel::sql_query("PRAGMA busy_timeout = 5000").execute(&mut source)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path_text(into)?)
        .execute(&mut source)?;
    Ok(())
}

/// Checks a backup file without changing it: its integrity, and every table's rows.
pub fn verify(path: &Path) -> Result<BackupReport> {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        rows: i64,
    }
    if !path.is_file() {
        return Err(StoreError::Unavailable(format!(
            "there is no file at {}",
            path.display()
        )));
    }
    let mut conn = connect(path)?;
    diesel::sql_query("PRAGMA query_only = ON").execute(&mut conn)?;
    let found: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let problems: Vec<String> = found
        .into_iter()
        .map(|check| check.integrity_check)
        .filter(|text| text != "ok")
        .collect();
    if !problems.is_empty() {
        return Err(StoreError::Unavailable(format!(
            "{} is damaged: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let names: Vec<Table> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load(&mut conn)?;
    if !names.iter().any(|table| table.name == "__diesel_schema_migrations") {
        return Err(StoreError::Unavailable(format!(
            "{} is not a lead-server database",
            path.display()
        )));
    }
    let mut tables = Vec::with_capacity(names.len());
    for Table { name } in names {
        let quoted = name.replace('"', "\"\"");
        let counted: Count =
            diesel::sql_query(format!("SELECT COUNT(*) AS rows FROM \"{quoted}\"")).get_result(&mut conn)?;
        tables.push((name, counted.rows));
    }
    let bytes = std::fs::metadata(path).map_or(0, |meta| meta.len());
    Ok(BackupReport { tables, bytes })
}

fn connect(path: &Path) -> Result<SqliteConnection> {
    SqliteConnection::establish(path_text(path)?)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| StoreError::Unavailable(format!("{} is not valid UTF-8", path.display())))
}
