//! A company's mailbox: the address its replies leave from and the SMTP server they leave by,
//! and the IMAP folder its customers' answers are read from. The URLs hold passwords: stored
//! (the workers need them), never shown again.

use diesel::prelude::*;
use lead_domain::{ImapUrl, Sender, Timestamp};

use crate::access::audit;
use crate::db::DbConnection;
use crate::ids::CompanyId;
use crate::outbox::{shown_url, Outbox};
use crate::schema::mailboxes;
use crate::{Problem, Result, StoreError};

/// What a company's admins (or the operator) set.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxSettings {
    /// Where it is read (`None`: as set before — its password is never shown again, so a form
    /// that changes something else leaves it out).
    pub imap: Option<ImapUrl>,
    /// The address replies leave from.
    pub from: Sender,
    /// The SMTP server replies leave by.
    pub smtp: SmtpChoice,
    /// A folder imported messages are moved to (`None`: they are marked read where they are).
    pub move_to: Option<String>,
}

/// Which SMTP server a company's replies leave by.
#[derive(Clone, PartialEq, Eq)]
pub enum SmtpChoice {
    /// The server's `[smtp]`.
    Server,
    /// The company's own, at this URL (lettre's format).
    Own(String),
    /// As set before (the server's, for a new mailbox).
    Keep,
}

/// A company's mailbox as shown: no password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The company.
    pub company_id: CompanyId,
    /// Where it is read, without the password.
    pub imap: String,
    /// The address replies leave from.
    pub from: String,
    /// The SMTP server replies leave by, without credentials (`None`: the server's).
    pub smtp: Option<String>,
    /// Where imported messages are moved (`None`: marked read where they are).
    pub move_to: Option<String>,
    /// When it was last read without an error.
    pub checked_at: Option<Timestamp>,
    /// The last error, until a check succeeds again.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<Timestamp>,
    /// When it was last set.
    pub updated_at: Timestamp,
}

/// How a reply of a company leaves: from its address, by its SMTP server or the server's.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplyRoute {
    /// The company's address.
    pub from: Sender,
    /// Its SMTP server (`None`: the server's `[smtp]`).
    pub smtp_url: Option<String>,
}

impl std::fmt::Debug for MailboxSettings {
    /// Without the passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxSettings")
            .field("imap", &self.imap)
            .field("from", &self.from)
            .field(
                "smtp",
                &match &self.smtp {
                    SmtpChoice::Server => "the server's".to_owned(),
                    SmtpChoice::Own(url) => crate::redact_password(url),
                    SmtpChoice::Keep => "as before".to_owned(),
                },
            )
            .field("move_to", &self.move_to)
            .finish()
    }
}

impl std::fmt::Debug for ReplyRoute {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyRoute")
            .field("from", &self.from)
            .field("smtp_url", &self.smtp_url.as_deref().map(crate::redact_password))
            .finish()
    }
}

type MailboxRow = (
    CompanyId,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
);

fn mailbox(row: MailboxRow) -> Mailbox {
    let (company_id, imap_url, from, smtp_url, move_to, checked_at, last_error, last_error_at, updated_at) = row;
    Mailbox {
        company_id,
        imap: ImapUrl::parse(&imap_url).map_or_else(|_| shown_url(&imap_url), |url| url.shown()),
        from,
        smtp: smtp_url.as_deref().map(shown_url),
        move_to,
        checked_at: checked_at.map(Timestamp::from),
        last_error,
        last_error_at: last_error_at.map(Timestamp::from),
        updated_at: updated_at.into(),
    }
}

impl Outbox<'_> {
    /// Sets the company's mailbox (a new one, or new settings for it). Reading starts over at
    /// the folder's first unread message when the server, login or folder changed; messages
    /// already filed are never filed twice (their Message-ID is known).
    pub fn set_mailbox(&self, company_id: CompanyId, settings: &MailboxSettings) -> Result<Mailbox> {
        if let SmtpChoice::Own(smtp) = &settings.smtp {
            lead_domain::SmtpUrl::parse(smtp).map_err(|error| StoreError::Invalid {
                field: "smtp",
                problem: Problem::Other(error.to_string()),
            })?;
        }
        let move_to = settings
            .move_to
            .as_deref()
            .map(str::trim)
            .filter(|folder| !folder.is_empty());
        if move_to.is_some_and(|folder| folder.contains(['\r', '\n', '"', '\\'])) {
            return Err(StoreError::Invalid {
                field: "move_to",
                problem: Problem::Other("a folder name with a quote, backslash or line break".into()),
            });
        }
        let now = Timestamp::now().millis();
        self.store.write(|conn| {
            crate::access::companies::ensure_company(conn, company_id)?;
            let before: Option<(String, Option<String>)> = mailboxes::table
                .find(company_id)
                .select((mailboxes::imap_url, mailboxes::smtp_url))
                .first(conn)
                .optional()?;
            let imap = match (&settings.imap, &before) {
                (Some(imap), _) => imap.clone(),
                (None, Some((stored, _))) => ImapUrl::parse(stored)
                    .map_err(|_| StoreError::corrupt(format!("the mailbox of company {company_id}")))?,
                (None, None) => {
                    return Err(StoreError::Invalid {
                        field: "imap",
                        problem: Problem::Blank,
                    })
                }
            };
            if move_to.is_some_and(|folder| folder == imap.folder) {
                return Err(StoreError::Invalid {
                    field: "move_to",
                    problem: Problem::Other(
                        "the folder that is read: its e-mails would be read again and again".into(),
                    ),
                });
            }
            let smtp_url = match (&settings.smtp, &before) {
                (SmtpChoice::Own(url), _) => Some(url.trim().to_owned()),
                (SmtpChoice::Keep, Some((_, stored))) => stored.clone(),
                (SmtpChoice::Server | SmtpChoice::Keep, _) => None,
            };
            let values = (
                mailboxes::imap_url.eq(imap_url_text(&imap)),
                mailboxes::from_address.eq(settings.from.to_string()),
                mailboxes::smtp_url.eq(&smtp_url),
                mailboxes::move_to.eq(move_to),
                mailboxes::updated_at.eq(now),
            );
            let before = before.map(|(imap, _)| imap);
            match before {
                None => {
                    diesel::insert_into(mailboxes::table)
                        .values((
                            values,
                            mailboxes::company_id.eq(company_id),
                            mailboxes::created_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                Some(before) => {
                    diesel::update(mailboxes::table.find(company_id))
                        .set(values)
                        .execute(conn)?;
                    let same_folder = ImapUrl::parse(&before).is_ok_and(|before| {
                        (&before.host, before.port, &before.user, &before.folder)
                            == (&imap.host, imap.port, &imap.user, &imap.folder)
                    });
                    if !same_folder {
                        diesel::update(mailboxes::table.find(company_id))
                            .set((
                                mailboxes::uid_validity.eq(None::<i64>),
                                mailboxes::last_uid.eq(0),
                                mailboxes::checked_at.eq(None::<i64>),
                                mailboxes::last_error.eq(None::<String>),
                                mailboxes::last_error_at.eq(None::<i64>),
                            ))
                            .execute(conn)?;
                    }
                }
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "mailbox.set",
                &format!(
                    "mailbox of company {company_id}: {} from {}",
                    imap.shown(),
                    settings.from
                ),
            )?;
            load(conn, company_id)?.ok_or_else(|| StoreError::missing(crate::error::Entity::Record, company_id))
        })
    }

    /// Removes the company's mailbox: nothing more is read, and no reply can be sent. Its
    /// conversations stay.
    pub fn remove_mailbox(&self, company_id: CompanyId) -> Result<()> {
        self.store.write(|conn| {
            let removed = diesel::delete(mailboxes::table.find(company_id)).execute(conn)?;
            if removed == 0 {
                return Err(StoreError::NotFound(
                    crate::error::Entity::Company,
                    format!("company {company_id} has no mailbox"),
                ));
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "mailbox.remove",
                &format!("mailbox of company {company_id}"),
            )
        })
    }

    /// The company's mailbox, if it has one.
    pub fn mailbox(&self, company_id: CompanyId) -> Result<Option<Mailbox>> {
        self.store.read(|conn| load(conn, company_id))
    }
}

/// The mailbox of `company_id`, as shown.
fn load(conn: &mut DbConnection, company_id: CompanyId) -> Result<Option<Mailbox>> {
    Ok(mailboxes::table
        .find(company_id)
        .select((
            mailboxes::company_id,
            mailboxes::imap_url,
            mailboxes::from_address,
            mailboxes::smtp_url,
            mailboxes::move_to,
            mailboxes::checked_at,
            mailboxes::last_error,
            mailboxes::last_error_at,
            mailboxes::updated_at,
        ))
        .first::<MailboxRow>(conn)
        .optional()?
        .map(mailbox))
}

/// How replies of `company_id` leave, if it has a mailbox.
pub(crate) fn reply_route(conn: &mut DbConnection, company_id: CompanyId) -> Result<Option<ReplyRoute>> {
    let row: Option<(String, Option<String>)> = mailboxes::table
        .find(company_id)
        .select((mailboxes::from_address, mailboxes::smtp_url))
        .first(conn)
        .optional()?;
    row.map(|(from, smtp_url)| {
        Ok(ReplyRoute {
            from: Sender::parse(&from).map_err(|_| StoreError::corrupt(format!("mailbox sender {from:?}")))?,
            smtp_url,
        })
    })
    .transpose()
}

/// A mailbox a reader took: whose, and where to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxToRead {
    /// The company.
    pub company_id: CompanyId,
    /// Where it is read (with the password).
    pub imap: ImapUrl,
    /// The error its last check ended with, if it did.
    pub last_error: Option<String>,
    /// Where reading it stands: the folder's `UIDVALIDITY` and the last UID filed (`None`:
    /// never read, or read from another folder — its unread e-mails are read next).
    pub read_to: Option<(u32, u32)>,
    /// The folder filed e-mails are moved to (`None`: they are marked read).
    pub move_to: Option<String>,
}

impl Outbox<'_> {
    /// The mailboxes `reader` (an instance's name) reads for the next `lease`: those no other
    /// reader holds (its lease ran out, or it never had one) and those it holds already — each
    /// given to one reader at a time, across every instance (one statement: no two take the
    /// same).
    pub fn claim_mailboxes(&self, reader: &str, lease: std::time::Duration) -> Result<Vec<MailboxToRead>> {
        let now = Timestamp::now().millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2));
        // Most installations have none, or none free: found out without the write lock.
        let free: i64 = self.store.read(|conn| {
            Ok(mailboxes::table
                .filter(
                    mailboxes::reader_until
                        .is_null()
                        .or(mailboxes::reader_until.lt(now))
                        .or(mailboxes::reader.eq(reader)),
                )
                .count()
                .get_result(conn)?)
        })?;
        if free == 0 {
            return Ok(Vec::new());
        }
        type Claimed = (CompanyId, String, Option<String>, Option<i64>, i64, Option<String>);
        let claimed: Vec<Claimed> = self.store.write(|conn| {
            Ok(diesel::update(
                mailboxes::table.filter(
                    mailboxes::reader_until
                        .is_null()
                        .or(mailboxes::reader_until.lt(now))
                        .or(mailboxes::reader.eq(reader)),
                ),
            )
            .set((mailboxes::reader.eq(reader), mailboxes::reader_until.eq(until)))
            .returning((
                mailboxes::company_id,
                mailboxes::imap_url,
                mailboxes::last_error,
                mailboxes::uid_validity,
                mailboxes::last_uid,
                mailboxes::move_to,
            ))
            .get_results(conn)?)
        })?;
        Ok(claimed
            .into_iter()
            .filter_map(|(company_id, url, last_error, uid_validity, last_uid, move_to)| {
                let read_to = uid_validity
                    .and_then(|validity| Some((u32::try_from(validity).ok()?, u32::try_from(last_uid).ok()?)));
                ImapUrl::parse(&url)
                    .map(|imap| MailboxToRead {
                        company_id,
                        imap,
                        last_error,
                        read_to,
                        move_to,
                    })
                    .inspect_err(|_| {
                        log::warn!("the mailbox of company {company_id} has an IMAP URL that does not parse")
                    })
                    .ok()
            })
            .collect())
    }

    /// Gives back the mailboxes `reader` holds (it stops): another instance reads them at once.
    pub fn release_mailboxes(&self, reader: &str) -> Result<()> {
        self.store.write(|conn| {
            diesel::update(mailboxes::table.filter(mailboxes::reader.eq(reader)))
                .set((
                    mailboxes::reader.eq(None::<String>),
                    mailboxes::reader_until.eq(None::<i64>),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    /// Records how reading the company's mailbox went: the time of a check that worked (which
    /// clears the last error), or the error (in German, for the admins' page; the time it first
    /// failed so is kept) — unless the mailbox was removed or changed to another server
    /// meanwhile (`imap` is what was read).
    pub fn record_mailbox_check(
        &self,
        company_id: CompanyId,
        imap: &ImapUrl,
        outcome: std::result::Result<(), String>,
    ) -> Result<()> {
        let now = Timestamp::now().millis();
        self.store.write(|conn| {
            let stored: Option<String> = mailboxes::table
                .find(company_id)
                .select(mailboxes::imap_url)
                .first(conn)
                .optional()?;
            if stored
                .as_deref()
                .map(ImapUrl::parse)
                .and_then(std::result::Result::ok)
                .as_ref()
                != Some(imap)
            {
                return Ok(());
            }
            let row = mailboxes::table.find(company_id);
            match outcome {
                Ok(()) => diesel::update(row)
                    .set((
                        mailboxes::checked_at.eq(now),
                        mailboxes::last_error.eq(None::<String>),
                        mailboxes::last_error_at.eq(None::<i64>),
                    ))
                    .execute(conn)?,
                // The same error again: since when it fails stays.
                Err(error) => {
                    diesel::update(row.filter(mailboxes::last_error.ne(&error).or(mailboxes::last_error.is_null())))
                        .set((mailboxes::last_error.eq(&error), mailboxes::last_error_at.eq(now)))
                        .execute(conn)?
                }
            };
            Ok(())
        })
    }
}

/// The IMAP URL as stored: the settings written back, so that what is stored always parses.
pub(crate) fn imap_url_text(url: &ImapUrl) -> String {
    let encode = |text: &str| {
        form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    let (scheme, tls) = match url.security {
        lead_domain::MailSecurity::Tls => ("imaps", ""),
        lead_domain::MailSecurity::StartTls => ("imap", "?tls=required"),
        lead_domain::MailSecurity::Plain => ("imap", ""),
    };
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    format!(
        "{scheme}://{}:{}@{host}:{}/{}{tls}",
        encode(&url.user),
        encode(&url.password),
        url.port,
        encode(&url.folder),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_imap_url_reads_back_as_set() {
        for text in [
            "imaps://service%40example.de:p%2F%20ss%25@mail.example.de/Kunden%20Anfragen",
            "imap://u:p@127.0.0.1:1143/INBOX?tls=required",
            "imap://u:p@[::1]:1143/",
        ] {
            let url = ImapUrl::parse(text).unwrap();
            assert_eq!(ImapUrl::parse(&imap_url_text(&url)).unwrap(), url, "{text}");
        }
    }
}
