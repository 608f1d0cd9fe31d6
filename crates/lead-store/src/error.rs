//! The store's one error type.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong in the store. Callers never see Diesel's types.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input to an operation is not acceptable (a blank name, a malformed email).
    #[error("{field}: {problem}")]
    Invalid {
        /// The input at fault (`name`, `email`, …).
        field: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The company, key, employee or record does not exist — or is another company's, which
    /// an operation scoped to a company answers alike. Says which kind of record, and which.
    #[error("{1}")]
    NotFound(Entity, String),
    /// The operation conflicts with what is stored: why, and what.
    #[error("{1}")]
    Conflict(Clash, String),
    /// The key was revoked, or its company deactivated, while the request was under way.
    #[error("the API key is no longer valid")]
    KeyNotValid,
    /// Two writers stored the same `Idempotency-Key`, or the same body, at once; the writer
    /// retries the lead, which then finds the other one and answers with it.
    #[error("the same lead was stored concurrently")]
    ConcurrentDuplicate,
    /// The write queue is full: the server is at capacity right now; retry shortly.
    #[error("the write queue is full")]
    Busy,
    /// The database URL cannot be used.
    #[error("invalid database URL: {0}")]
    Url(String),
    /// No connection could be had (file missing or unreadable, pool exhausted, timeout).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A file beside the database — a backup being written — cannot be made or read.
    #[error("{0}")]
    File(String),
    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The employee's account is locked for this client after too many wrong passwords.
    #[error("locked out after too many wrong passwords")]
    LockedOut,
    /// A record holds as many notes as it may (`StoreConfig::notes_per_record`).
    #[error("the record has {0} notes already, as many as it may")]
    NotesFull(u32),
    /// A lead's conversation holds as many replies as it may (`StoreConfig::notes_per_record`).
    #[error("the lead has {0} replies already, as many as it may")]
    RepliesFull(u32),
    /// A query failed, or a stored value is not what the schema allows. The cause is the
    /// database's own error, kept opaque: callers never see Diesel's types.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

lead_domain::words! {
    /// A kind of record an operation may not find.
    Entity("record") {
        /// A company.
        Company = "company",
        /// An API key.
        Key = "key",
        /// An employee.
        Employee = "employee",
        /// An employee token or dashboard session.
        Token = "token",
        /// A customer.
        Customer = "customer",
        /// A web order.
        Order = "order",
        /// A ticket.
        Ticket = "ticket",
        /// An employee's notification.
        Notification = "notification",
        /// A webhook endpoint.
        Webhook = "webhook",
        /// A delivery of the outbox.
        Delivery = "delivery",
        /// An employee's push device.
        Device = "device",
        /// A file a lead came with.
        Attachment = "attachment",
        /// A row the operation expected (the database changed under it).
        Record = "record",
    }
}

impl Entity {
    /// The kind of record of a lead.
    pub fn lead(lead_type: lead_domain::LeadType) -> Entity {
        match lead_type {
            lead_domain::LeadType::Order => Entity::Order,
            lead_domain::LeadType::Ticket => Entity::Ticket,
        }
    }
}

/// Why an operation conflicts with what is stored: each face of the product says it in its
/// own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// The order was decided already (this way): the first decision stands.
    Decided(lead_domain::OrderStatus),
    /// The ticket is in this status already.
    Already(lead_domain::TicketStatus),
    /// The lead of this kind is in a customer's file already.
    Filed(lead_domain::LeadType),
    /// Something unique of this kind is taken: a company's name, a customer's address, a key.
    Taken(Entity),
    /// A prefix names more than one.
    Ambiguous,
    /// The session whose password was to change ended meanwhile.
    SessionEnded,
    /// The delivery is not one to send again: delivered, under way, or its target is gone.
    NotRetryable,
    /// Push messages are not enabled on this server.
    PushOff,
    /// The employee has as many push devices as one may.
    DevicesFull,
    /// The file or database a backup or copy goes to is not as it must be.
    Target,
    /// The company has no mailbox to answer from.
    NoMailbox,
    /// Neither the company's mailbox nor the server has an SMTP server to send by.
    NoSmtp,
    /// The lead has no sender's address to answer (it was anonymised).
    NoAddress,
}

impl StoreError {
    /// The record of kind `what` with `id` is not there (or not within the operation's scope).
    pub(crate) fn missing(what: Entity, id: impl std::fmt::Display) -> StoreError {
        StoreError::NotFound(what, format!("no {what} with id {id}"))
    }

    /// A stored value that the schema does not allow (a damaged or hand-edited database).
    pub(crate) fn corrupt(what: String) -> StoreError {
        StoreError::Database(format!("unexpected stored value: {what}").into())
    }
}

/// What is wrong with an input to an operation: typed, so that each face of the product (the
/// operator's English, the team's German) says it in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Empty, or only whitespace.
    Blank,
    /// Longer than this many characters.
    TooLong(usize),
    /// Not the syntax of an email address (the value given).
    NotAnEmail(String),
    /// Anything else, said in English for the operator.
    Other(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Blank => f.write_str("must not be empty"),
            Problem::TooLong(max) => write!(f, "longer than {max} characters"),
            Problem::NotAnEmail(value) => write!(f, "{value:?} is not a valid email address"),
            Problem::Other(text) => f.write_str(text),
        }
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound(Entity::Record, "not found".into()),
            other => StoreError::Database(Box::new(other)),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

/// Turns a unique-constraint violation into a [`StoreError::Conflict`]: a `taken` is there
/// already, as `what` says.
pub(crate) fn conflict_on_unique(
    taken: Entity,
    what: impl FnOnce() -> String,
) -> impl FnOnce(DieselError) -> StoreError {
    move |error| match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::Conflict(Clash::Taken(taken), what())
        }
        other => other.into(),
    }
}

/// What databases say when they cannot do something for now.
const UNAVAILABLE: &[&str] = &[
    // SQLite: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY,
    // SQLITE_CANTOPEN.
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "disk I/O error",
    "attempt to write a readonly database",
    "unable to open database",
    // PostgreSQL.
    "deadlock detected",
    "canceling statement due to",
    "terminating connection",
    "server closed the connection",
    "No space left on device",
    "could not extend file",
    "too many connections",
    "the database system is",
];

impl StoreError {
    /// Whether the database could not do it for now — no connection or a lost one, a lock or
    /// a timeout, a serialization failure or deadlock, a full disk or a read-only one (after a
    /// failover) — so that the same operation may well succeed later; not when it refused
    /// what it was given (a constraint, a value it cannot take).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Busy => true,
            StoreError::Database(cause) => match cause.downcast_ref::<DieselError>() {
                Some(DieselError::DatabaseError(
                    DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand
                    | DatabaseErrorKind::SerializationFailure
                    | DatabaseErrorKind::ReadOnlyTransaction,
                    _,
                ))
                | Some(DieselError::BrokenTransactionManager) => true,
                // The rest only in words: SQLite's, and PostgreSQL's (in English, as the
                // server's `lc_messages` usually is; the system's part too).
                Some(DieselError::DatabaseError(_, info)) => {
                    UNAVAILABLE.iter().any(|said| info.message().contains(said))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether the database refused a row for a unique key (another writer stored the same
    /// a moment ago).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(cause) => cause.downcast_ref::<DieselError>().is_some_and(|error| {
                matches!(error, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
            }),
            _ => false,
        }
    }
}

/// A stored word that is none of its set's: a damaged or hand-edited database.
impl From<lead_domain::UnknownWord> for StoreError {
    fn from(unknown: lead_domain::UnknownWord) -> StoreError {
        StoreError::corrupt(unknown.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(kind: DatabaseErrorKind, message: &str) -> StoreError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned())).into()
    }

    #[test]
    fn a_database_that_cannot_for_now_is_told_from_one_that_refuses() {
        for transient in [
            said(DatabaseErrorKind::Unknown, "database is locked"),
            said(DatabaseErrorKind::Unknown, "database or disk is full"),
            said(
                DatabaseErrorKind::Unknown,
                "could not extend file \"base/1/2\": No space left on device",
            ),
            said(DatabaseErrorKind::Unknown, "deadlock detected"),
            said(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection unexpectedly",
            ),
            said(
                DatabaseErrorKind::ReadOnlyTransaction,
                "cannot execute INSERT in a read-only transaction",
            ),
            StoreError::Unavailable("timed out waiting for connection".into()),
        ] {
            assert!(transient.is_transient(), "{transient}");
        }
        for refused in [
            said(DatabaseErrorKind::UniqueViolation, "duplicate key value"),
            said(DatabaseErrorKind::CheckViolation, "violates check constraint"),
            said(
                DatabaseErrorKind::Unknown,
                "invalid byte sequence for encoding \"UTF8\": 0x00",
            ),
            said(DatabaseErrorKind::Unknown, "poisoned"),
        ] {
            assert!(!refused.is_transient(), "{refused}");
        }
    }
}
