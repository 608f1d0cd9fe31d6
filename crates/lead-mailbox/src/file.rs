//! Filing one e-mail read from a mailbox, on the blocking pool: taken apart, then filed in
//! one transaction. The database unavailable for a moment: tried again next round, as often
//! as it takes. The database refusing the e-mail itself, [`MAX_TRIES`] times: its original is
//! starred in the mailbox and a ticket saying so is filed in its place — one e-mail must not
//! hold back every one after it. And after a crash: which of the unread e-mails were filed
//! already (by their Message-ID), to be marked now.

use async_imap::types::Fetch;
use futures_util::TryStreamExt as _;
use lead_store::{CompanyId, Filed, Filing, IncomingMail, MailPosition, MailboxToRead, Store};

use crate::connect::Opened;
use crate::import::{fetch, set_flags, sizes, uid_set, within, RoundError, Watched};
use crate::reader::ReaderConfig;

/// How often the database may refuse one e-mail before a note is filed in its place.
pub(crate) const MAX_TRIES: u32 = 3;

/// The e-mail the database refused: where it is (`UIDVALIDITY`, UID), and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusals {
    at: (u32, u32),
    times: u32,
}

/// Why an e-mail was not filed.
enum NotFiled {
    /// The database was unavailable for a moment.
    Unavailable(String),
    /// The database refused it (or filing it panicked): why, and the e-mail taken apart
    /// (without its bytes and files).
    Refused(String, Box<IncomingMail>),
}

/// What is filed: an e-mail's bytes (its size when it was cut), or a note made here.
enum Filable {
    Raw(Vec<u8>, Option<u64>),
    Note(Box<IncomingMail>),
}

/// Files the e-mail `uid` of the folder of `UIDVALIDITY` `validity`, its bytes `raw`
/// (cut, from a size of `cut_from`), at `position` (see [`lead_store::Intake::file_mail`]).
#[allow(clippy::too_many_arguments)] // one e-mail, where it is, and the reader's state
pub(crate) async fn file(
    session: &mut Opened,
    store: &Store,
    config: &ReaderConfig,
    watched: &mut Watched,
    (validity, uid): (u32, u32),
    position: Option<MailPosition>,
    raw: Vec<u8>,
    cut_from: Option<u64>,
) -> Result<Filed, RoundError> {
    let mailbox = &watched.mailbox;
    let (error, mail) = match filed(store, config, mailbox, position, Filable::Raw(raw, cut_from)).await {
        Ok(filed) => {
            // (Not when another e-mail is filed: read from the unread ones, those before it
            // are filed again and again, as known.)
            if watched.refused.is_some_and(|before| before.at == (validity, uid)) {
                watched.refused = None;
            }
            return Ok(filed);
        }
        Err(NotFiled::Unavailable(error)) => return Err(RoundError::Store(error)),
        Err(NotFiled::Refused(error, mail)) => (error, mail),
    };
    let times = match watched.refused {
        Some(before) if before.at == (validity, uid) => before.times + 1,
        _ => 1,
    };
    watched.refused = Some(Refusals {
        at: (validity, uid),
        times,
    });
    if times < MAX_TRIES {
        return Err(RoundError::Store(error));
    }
    // Starred before the note that says so is filed.
    let at = mailbox.imap.address();
    set_flags(session, &uid.to_string(), "+FLAGS.SILENT (\\Flagged)", config, &at).await?;
    let folder = mailbox.move_to.clone().unwrap_or_else(|| mailbox.imap.folder.clone());
    let note = crate::parse::unfiled(&mail, &folder);
    match filed(store, config, mailbox, position, Filable::Note(Box::new(note))).await {
        Ok(filed) => {
            log::error!(
                "mailbox of company {}: the e-mail {:?} (UID {uid}) was refused {times} times ({error}): \
                 a ticket saying so is filed in its place, and the e-mail is starred in the mailbox",
                mailbox.company_id,
                mail.message_id
            );
            watched.refused = None;
            Ok(filed)
        }
        Err(NotFiled::Unavailable(error) | NotFiled::Refused(error, _)) => {
            // No note says so: not starred either (tried again next round).
            set_flags(session, &uid.to_string(), "-FLAGS.SILENT (\\Flagged)", config, &at).await?;
            Err(RoundError::Store(error))
        }
    }
}

/// Files `what` on the blocking pool.
async fn filed(
    store: &Store,
    config: &ReaderConfig,
    mailbox: &MailboxToRead,
    position: Option<MailPosition>,
    what: Filable,
) -> Result<Filed, NotFiled> {
    let (store, company_id, imap) = (store.clone(), mailbox.company_id, mailbox.imap.clone());
    let filing = Filing {
        scanner: config.scanner,
        limits: config.attachments,
    };
    tokio::task::spawn_blocking(move || {
        let mut mail = match what {
            Filable::Raw(raw, cut_from) => crate::parse::incoming(raw, cut_from),
            Filable::Note(note) => *note,
        };
        // A panic while filing is a refusal like any other (parsing catches its own).
        let filed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.intake().file_mail(company_id, &imap, position, &mail, filing)
        }));
        match filed {
            Ok(Ok(filed)) => Ok(filed),
            Ok(Err(error)) if error.is_transient() => Err(NotFiled::Unavailable(error.to_string())),
            refused => {
                let why = match refused {
                    Ok(Err(error)) => error.to_string(),
                    _ => "filing it panicked".to_owned(),
                };
                (mail.raw, mail.files) = (Vec::new(), Vec::new());
                Err(NotFiled::Refused(why, Box::new(mail)))
            }
        }
    })
    .await
    .unwrap_or_else(|error| Err(NotFiled::Unavailable(error.to_string())))
}

/// Of the unread e-mails `uids`, those the company has filed already (by their Message-ID,
/// read from their header — or made from their bytes, as when they were filed).
pub(crate) async fn filed_already(
    session: &mut Opened,
    store: &Store,
    config: &ReaderConfig,
    company_id: CompanyId,
    uids: &[u32],
    at: &str,
) -> Result<Vec<u32>, RoundError> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let headers: Vec<Fetch> = within(config.timeout, at, async {
        session
            .uid_fetch(uid_set(uids), "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            .await?
            .try_collect()
            .await
    })
    .await?;
    let mut ids: Vec<(u32, String)> = Vec::new();
    let mut without = Vec::new();
    for fetched in &headers {
        let Some(uid) = fetched.uid else { continue };
        match fetched.header().and_then(crate::parse::message_id) {
            Some(id) => ids.push((uid, id)),
            None => without.push(uid),
        }
    }
    let mut filed = filed_among(store, company_id, ids).await?;
    // Rare: one at a time, each at most `max_message_bytes`.
    let sizes = sizes(session, &without, config, at).await?;
    let mut made = Vec::new();
    for uid in without {
        if let Some(raw) = fetch(session, &[uid], &sizes, config, at).await?.remove(&uid) {
            let cut_from = sizes.get(&uid).copied().filter(|&size| size > config.max_message_bytes);
            let id = tokio::task::spawn_blocking(move || crate::parse::incoming(raw, cut_from).message_id)
                .await
                .map_err(|error| RoundError::Store(error.to_string()))?;
            made.push((uid, id));
        }
    }
    filed.extend(filed_among(store, company_id, made).await?);
    Ok(filed)
}

/// The UIDs of `ids` (UID, Message-ID) whose e-mail the company has filed.
async fn filed_among(store: &Store, company_id: CompanyId, ids: Vec<(u32, String)>) -> Result<Vec<u32>, RoundError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let store = store.clone();
    let asked: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
    let filed = tokio::task::spawn_blocking(move || store.intake().filed_mails(company_id, &asked))
        .await
        .map_err(|error| RoundError::Store(error.to_string()))?
        .map_err(|error| RoundError::Store(error.to_string()))?;
    Ok(ids
        .into_iter()
        .filter(|(_, id)| filed.contains(id))
        .map(|(uid, _)| uid)
        .collect())
}
