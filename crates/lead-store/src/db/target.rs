//! Where a database URL points, and the connections r2d2 opens there: the backend chosen from
//! the scheme (never by trying), a SQLite file created for its user alone, and a check that
//! the file a connection writes to is still the one at its path.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{Backend, DbConnection};
use crate::{Result, StoreError};

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    /// Reads the scheme: `sqlite://PATH` (or `sqlite:PATH`), `postgres://…` or `postgresql://…`.
    pub(crate) fn parse(url: &str) -> Result<Target> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        Ok(Target::Sqlite(sqlite_path(url)?))
    }

    pub(super) fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for messages.
    pub(super) fn display(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a `password=` in the
/// query (`?password=secret`, which libpq takes too) → `password=***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user part may hold any character, '/' and '@' percent-encoded: the host follows
    // the last '@' before the path.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Which file a SQLite connection has open (device and inode), to notice when the file at
/// the configured path was deleted or replaced under a running server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId(u64, u64);

impl FileId {
    /// The file at `path` now; `None` when there is none.
    fn of(path: &Path) -> Option<FileId> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId(metadata.dev(), metadata.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Some(FileId(0, 0))
        }
    }
}

/// A pooled connection; for SQLite, with the file it opened.
pub(crate) struct Pooled {
    pub(super) conn: DbConnection,
    file: Option<(Arc<PathBuf>, FileId)>,
}

impl Pooled {
    /// Fails unless the SQLite file this connection writes to is still the one at the
    /// configured path. A deleted file would otherwise take writes that vanish with the
    /// process: better refuse them than acknowledge leads nobody will ever see.
    pub(super) fn ensure_in_place(&self) -> Result<()> {
        match &self.file {
            Some((path, opened)) if FileId::of(path) != Some(*opened) => Err(StoreError::Unavailable(format!(
                "the database file {} was deleted or replaced; restore it and the server uses it again",
                path.display()
            ))),
            _ => Ok(()),
        }
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Opens connections for r2d2: SQLite or PostgreSQL, by the URL's scheme.
#[derive(Debug)]
pub(crate) struct Manager {
    target: Target,
    /// SQLite: once the database exists, a missing file is an error, never a new empty one.
    created: AtomicBool,
}

impl Manager {
    pub(super) fn new(target: Target) -> Manager {
        Manager {
            target,
            created: AtomicBool::new(false),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<Pooled, diesel::r2d2::Error> {
        let error =
            |message: String| diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(message));
        match &self.target {
            Target::Sqlite(path) => {
                if self.created.load(Ordering::SeqCst) && !path.exists() {
                    return Err(error(format!(
                        "the database file {} is gone; restore it and the server uses it again",
                        path.display()
                    )));
                }
                let text = path
                    .to_str()
                    .ok_or_else(|| error("the path is not valid UTF-8".into()))?;
                let conn = SqliteConnection::establish(text).map_err(diesel::r2d2::Error::ConnectionError)?;
                self.created.store(true, Ordering::SeqCst);
                let file = FileId::of(path).ok_or_else(|| error(format!("{} vanished", path.display())))?;
                Ok(Pooled {
                    conn: DbConnection::Sqlite(conn),
                    file: Some((Arc::new(path.clone()), file)),
                })
            }
            Target::Postgres(url) => Ok(Pooled {
                conn: PgConnection::establish(url)
                    .map(DbConnection::Postgres)
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
                file: None,
            }),
        }
    }

    /// PostgreSQL: the server still answers. SQLite: no other file has taken the path's place
    /// (a restored backup): then this connection is dropped and one to the new file opened.
    /// A path with no file at all keeps the connection, whose writes then fail at once.
    fn is_valid(&self, conn: &mut Pooled) -> std::result::Result<(), diesel::r2d2::Error> {
        match &conn.file {
            Some((path, opened)) => match FileId::of(path) {
                Some(now) if now != *opened => Err(diesel::r2d2::Error::ConnectionError(
                    diesel::ConnectionError::BadConnection("the database file was replaced".into()),
                )),
                _ => Ok(()),
            },
            None => conn.conn.ping().map_err(diesel::r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.conn.is_broken()
    }
}

/// The file path of a `sqlite://PATH` URL.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let path =
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                // Only a scheme is shown: a connection string without one (`host=… password=…`)
                // would otherwise be echoed whole.
                let scheme = url.split_once(':').map(|(scheme, _)| scheme).filter(|scheme| {
                    !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
                });
                StoreError::Url(match scheme {
                    Some(scheme) => {
                        format!("unknown scheme {scheme:?}: expected sqlite://PATH, postgres://… or postgresql://…")
                    }
                    None => {
                        "expected a URL: sqlite://PATH, postgres://… or postgresql://… (not a connection string)".into()
                    }
                })
            })?;
    if path.is_empty() || path.contains('?') {
        return Err(StoreError::Url(
            "expected sqlite://PATH with a file path and no options".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Creates the SQLite file at `path` if there is none — and its folder, if there is none —
/// readable by this user alone (0600, folders 0700): it holds the webhook secrets and the push
/// key. SQLite gives its `-wal` and `-shm` files the database file's mode. An existing file
/// that others can read is left as it is, with a warning.
pub(super) fn create_private(path: &Path) -> Result<()> {
    let failed =
        |what: &Path, e: std::io::Error| StoreError::Unavailable(format!("cannot create {}: {e}", what.display()));
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty() && !dir.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| failed(dir, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            if let Ok(metadata) = std::fs::metadata(path) {
                use std::os::unix::fs::PermissionsExt;
                let mode = metadata.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    log::warn!(
                        "{} can be read by other users (mode {mode:o}), though it holds webhook secrets and the push key: chmod 600 it (and its -wal and -shm files)",
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(failed(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://lead:s3cr3t@db:5432/leads"),
            "postgres://lead:***@db:5432/leads"
        );
        assert_eq!(redact_password("postgres://lead@db/leads"), "postgres://lead@db/leads");
        assert_eq!(redact_password("postgresql://a:b@c"), "postgresql://a:***@c");
        assert_eq!(redact_password("sqlite://data/leads.db"), "sqlite://data/leads.db");
        assert_eq!(
            redact_password("postgres://lead:it's@pw@db/x"),
            "postgres://lead:***@db/x"
        );
        assert_eq!(
            redact_password("postgres://lead@db/x?sslmode=disable&Password=s3cr3t"),
            "postgres://lead@db/x?sslmode=disable&Password=***"
        );
        let keywords = Target::parse("host=db password=s3cr3t").unwrap_err().to_string();
        assert!(!keywords.contains("s3cr3t"), "{keywords}");
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/leads.db").unwrap(),
            PathBuf::from("data/leads.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/leads.db").unwrap(),
            PathBuf::from("/var/lib/leads.db")
        );
        assert_eq!(sqlite_path("sqlite:leads.db").unwrap(), PathBuf::from("leads.db"));
        assert_eq!(
            Target::parse("postgres://u@h/db").unwrap(),
            Target::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Target::parse("postgresql://u@h/db").unwrap(),
            Target::Postgres("postgresql://u@h/db".into())
        );
        assert!(matches!(Target::parse("mysql://x@y/z"), Err(StoreError::Url(m)) if m.contains("mysql")));
        assert!(matches!(sqlite_path("leads.db"), Err(StoreError::Url(_))));
        assert!(matches!(sqlite_path("sqlite://"), Err(StoreError::Url(_))));
    }
}
