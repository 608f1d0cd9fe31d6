//! One round of reading a mailbox: what is new in the folder fetched, in UID order and in
//! chunks, each e-mail filed in a transaction of its own that also moves the mailbox's
//! position on, and only then marked read (or moved) on the server.
//!
//! The first time (or when the folder's `UIDVALIDITY` changed) the folder's unread e-mails
//! are read, and the position is set to the newest UID the folder had when it was opened;
//! from then on the e-mails after the position. An e-mail filed before (its Message-ID is
//! known) is only marked read again.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use async_imap::error::Error as ImapError;
use futures_util::TryStreamExt as _;
use lead_store::{Filed, MailPosition, MailboxToRead, Store};

use crate::connect::{broken, deadline, CheckError, Folder, Opened};
use crate::file::{file, filed_already, Refusals};
use crate::reader::ReaderConfig;

/// The most e-mails fetched at once.
const CHUNK: usize = 50;
/// The most bytes fetched at once (an e-mail larger than that comes alone).
const CHUNK_BYTES: u64 = 16 * 1024 * 1024;
/// The slowest transfer a fetch is given time for, in bytes per second (1 Mbit/s).
const SLOWEST_RATE: u64 = 125_000;

/// Why a round stopped.
#[derive(Debug)]
pub(crate) enum RoundError {
    /// The mailbox: said on the admins' page.
    Check(CheckError),
    /// The database: logged, and tried again next round.
    Store(String),
}

impl From<CheckError> for RoundError {
    fn from(error: CheckError) -> RoundError {
        RoundError::Check(error)
    }
}

/// A mailbox being read, and how far.
pub(crate) struct Watched {
    pub(crate) mailbox: MailboxToRead,
    /// What the server offers: MOVE, and UIDPLUS (`UID EXPUNGE`, which moving by copying
    /// needs).
    pub(crate) can_move: bool,
    pub(crate) has_uidplus: bool,
    /// Whether this reader has caught up with the one before it (this process started, or
    /// the mailbox was changed): e-mails that one filed but had not yet marked (it was killed
    /// in between) are marked on the first round.
    pub(crate) caught_up: bool,
    /// E-mails this reader filed but has not marked yet (a connection broke): the folder's
    /// `UIDVALIDITY` and their UIDs. Marked on the next round.
    pub(crate) unmarked: (u32, Vec<u32>),
    /// The e-mail the database refused, and how often.
    pub(crate) refused: Option<Refusals>,
}

/// `command` within `timeout`, its error said as a [`CheckError`] (what the server said goes to
/// the log).
pub(crate) async fn within<T>(
    timeout: Duration,
    at: &str,
    command: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, CheckError> {
    match tokio::time::timeout(timeout, command).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(error)) => Err(broken(error, at)),
        Err(_) => Err(deadline(timeout)),
    }
}

/// Whether the server said, since this was last asked, that e-mails arrived (unsolicited
/// EXISTS); the rest of what it said unasked is let go.
pub(crate) fn arrived(session: &mut Opened) -> bool {
    let mut arrived = false;
    while let Ok(said) = session.unsolicited_responses.try_recv() {
        arrived |= matches!(said, async_imap::types::UnsolicitedResponse::Exists(_));
    }
    arrived
}

/// Files what is new in the folder; how many e-mails were read.
pub(crate) async fn round(
    session: &mut Opened,
    folder: Folder,
    watched: &mut Watched,
    store: &Store,
    config: &ReaderConfig,
) -> Result<usize, RoundError> {
    let at = watched.mailbox.imap.address();
    let validity = folder.uid_validity.unwrap_or(0);
    let read_to = watched
        .mailbox
        .read_to
        .filter(|&(stored, _)| stored == validity)
        .map(|(_, last)| last);
    let mut uids: Vec<u32> = match read_to {
        None => within(config.timeout, &at, session.uid_search("UNSEEN")).await?,
        Some(last) => within(
            config.timeout,
            &at,
            session.uid_search(format!("UID {}:*", last.saturating_add(1))),
        )
        .await?
        .into_iter()
        .filter(|&uid| uid > last)
        .collect(),
    }
    .into_iter()
    .collect();
    uids.sort_unstable();
    if let (Some(last @ 1..), false) = (read_to, watched.caught_up) {
        // The last chunk the reader before may have filed without marking it: among the
        // newest unread e-mails up to the position (UIDs may have gaps), those filed.
        let mut unread: Vec<u32> = within(config.timeout, &at, session.uid_search(format!("UID 1:{last} UNSEEN")))
            .await?
            .into_iter()
            .filter(|&uid| uid <= last)
            .collect();
        unread.sort_unstable();
        let newest = &unread[unread.len().saturating_sub(CHUNK)..];
        let company_id = watched.mailbox.company_id;
        let filed = filed_already(session, store, config, company_id, newest, &at).await?;
        mark(session, &filed, watched, config, &at).await?;
    }
    watched.caught_up = true;
    if watched.unmarked.0 != validity {
        watched.unmarked = (validity, Vec::new());
    }
    mark_filed(session, watched, config, &at).await?;
    let mut read = 0;
    if !uids.is_empty() {
        let sizes = sizes(session, &uids, config, &at).await?;
        for chunk in chunks(&uids, &sizes) {
            let mut fetched = fetch(session, &chunk, &sizes, config, &at).await?;
            for uid in chunk {
                if !fetched.contains_key(&uid) {
                    continue; // expunged meanwhile
                }
                let size = sizes.get(&uid).copied().unwrap_or(0);
                let cut_from = (size > config.max_message_bytes).then_some(size);
                let position = read_to.map(|_| MailPosition {
                    uid_validity: validity,
                    uid,
                });
                let raw = fetched.remove(&uid).unwrap_or_default();
                let filed = match file(
                    session,
                    store,
                    config,
                    watched,
                    (validity, uid),
                    position,
                    raw,
                    cut_from,
                )
                .await
                {
                    Ok(filed) => filed,
                    Err(error) => {
                        // What was filed before it is marked; it is tried again next round.
                        mark_filed(session, watched, config, &at).await?;
                        return Err(error);
                    }
                };
                if filed == Filed::Passed {
                    // The mailbox was changed or removed meanwhile: this reader stops here,
                    // marking only what it filed (the reader starts anew for new settings).
                    mark_filed(session, watched, config, &at).await?;
                    return Ok(read);
                }
                if let Some(position) = position {
                    watched.mailbox.read_to = Some((validity, position.uid));
                }
                watched.unmarked.1.push(uid);
                read += 1;
            }
            mark_filed(session, watched, config, &at).await?;
        }
    }
    if read_to.is_none() {
        // Read from its unread e-mails: from now on, what comes after what it held when opened
        // (a server that does not say UIDNEXT: its highest UID).
        let held = match folder.uid_next {
            Some(next) => next.saturating_sub(1),
            None => within(config.timeout, &at, session.uid_search("ALL"))
                .await?
                .into_iter()
                .max()
                .unwrap_or(0),
        };
        let newest = held.max(uids.last().copied().unwrap_or(0));
        let (store, company_id, imap) = (store.clone(), watched.mailbox.company_id, watched.mailbox.imap.clone());
        tokio::task::spawn_blocking(move || store.intake().mailbox_read_to(company_id, &imap, validity, newest))
            .await
            .map_err(|error| RoundError::Store(error.to_string()))?
            .map_err(|error| RoundError::Store(error.to_string()))?;
        watched.mailbox.read_to = Some((validity, newest));
    }
    Ok(read)
}

/// The sizes of the e-mails `uids`.
pub(crate) async fn sizes(
    session: &mut Opened,
    uids: &[u32],
    config: &ReaderConfig,
    at: &str,
) -> Result<HashMap<u32, u64>, CheckError> {
    let mut sizes = HashMap::new();
    for chunk in uids.chunks(500) {
        let set = uid_set(chunk);
        let fetched = within(config.timeout, at, async {
            session
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        sizes.extend(
            fetched
                .iter()
                .filter_map(|fetch| Some((fetch.uid?, u64::from(fetch.size.unwrap_or(0))))),
        );
    }
    Ok(sizes)
}

/// `uids` in chunks of at most [`CHUNK`] e-mails and [`CHUNK_BYTES`] bytes.
fn chunks(uids: &[u32], sizes: &HashMap<u32, u64>) -> Vec<Vec<u32>> {
    let mut chunks: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0;
    for &uid in uids {
        let size = sizes.get(&uid).copied().unwrap_or(0);
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK && bytes + size <= CHUNK_BYTES => {
                chunk.push(uid);
                bytes += size;
            }
            _ => {
                chunks.push(vec![uid]);
                bytes = size;
            }
        }
    }
    chunks
}

/// The bytes of the e-mails `uids`: whole, or the first `max_message_bytes` of a larger one.
/// Fetched without marking them read.
pub(crate) async fn fetch(
    session: &mut Opened,
    uids: &[u32],
    sizes: &HashMap<u32, u64>,
    config: &ReaderConfig,
    at: &str,
) -> Result<HashMap<u32, Vec<u8>>, CheckError> {
    let (large, whole): (Vec<u32>, Vec<u32>) = uids
        .iter()
        .partition(|uid| sizes.get(uid).copied().unwrap_or(0) > config.max_message_bytes);
    let mut requests: Vec<(String, String, u64)> = Vec::new();
    if !whole.is_empty() {
        let bytes = whole.iter().map(|uid| sizes.get(uid).copied().unwrap_or(0)).sum();
        requests.push((uid_set(&whole), "(UID BODY.PEEK[])".to_owned(), bytes));
    }
    for uid in large {
        requests.push((
            uid.to_string(),
            format!("(UID BODY.PEEK[]<0.{}>)", config.max_message_bytes),
            config.max_message_bytes,
        ));
    }
    let mut found = HashMap::new();
    for (set, query, bytes) in requests {
        let fetched = within(transfer_time(config.timeout, bytes), at, async {
            session.uid_fetch(&set, &query).await?.try_collect::<Vec<_>>().await
        })
        .await?;
        found.extend(
            fetched
                .iter()
                .filter_map(|fetch| Some((fetch.uid?, fetch.body()?.to_vec()))),
        );
    }
    Ok(found)
}

/// Marks what this reader filed and has not marked yet (see [`Watched::unmarked`]).
async fn mark_filed(
    session: &mut Opened,
    watched: &mut Watched,
    config: &ReaderConfig,
    at: &str,
) -> Result<(), CheckError> {
    let uids = watched.unmarked.1.clone();
    mark(session, &uids, watched, config, at).await?;
    watched.unmarked.1.clear();
    Ok(())
}

/// Marks the e-mails `uids` read on the server and, where the mailbox says so, moves them to
/// its folder for them.
async fn mark(
    session: &mut Opened,
    uids: &[u32],
    watched: &Watched,
    config: &ReaderConfig,
    at: &str,
) -> Result<(), CheckError> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    set_flags(session, &set, "+FLAGS.SILENT (\\Seen)", config, at).await?;
    let Some(folder) = &watched.mailbox.move_to else {
        return Ok(());
    };
    // The server refusing: the folder is not there.
    let no_folder = |error: CheckError| match error {
        CheckError::Protocol(_) => CheckError::Folder(folder.clone()),
        other => other,
    };
    if watched.can_move {
        return within(config.timeout, at, session.uid_mv(&set, folder))
            .await
            .map_err(no_folder);
    }
    // Moved as MOVE itself does it (RFC 6851): copied, then the originals — these and no
    // others — flagged deleted and expunged. A server without UIDPLUS keeps the originals, read.
    within(config.timeout, at, session.uid_copy(&set, folder))
        .await
        .map_err(no_folder)?;
    if !watched.has_uidplus {
        return Ok(());
    }
    set_flags(session, &set, "+FLAGS.SILENT (\\Deleted)", config, at).await?;
    within(config.timeout, at, async {
        session.uid_expunge(&set).await?.try_collect::<Vec<_>>().await
    })
    .await
    .map(drop)
}

/// How long fetching `bytes` may take: a command's `timeout`, plus the time the bytes take at
/// [`SLOWEST_RATE`] (a 25 MiB e-mail on a slow line must not time out again and again).
fn transfer_time(timeout: Duration, bytes: u64) -> Duration {
    timeout + Duration::from_secs(bytes / SLOWEST_RATE)
}

/// Changes the flags of the e-mails `set` as `change` says (`+FLAGS.SILENT (\\Seen)`).
pub(crate) async fn set_flags(
    session: &mut Opened,
    set: &str,
    change: &str,
    config: &ReaderConfig,
    at: &str,
) -> Result<(), CheckError> {
    within(config.timeout, at, async {
        session.uid_store(set, change).await?.try_collect::<Vec<_>>().await
    })
    .await
    .map(drop)
}

/// `uids` as an IMAP set.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_at_most_fifty_mails_and_sixteen_mebibytes() {
        let uids: Vec<u32> = (1..=120).collect();
        let mut sizes: HashMap<u32, u64> = uids.iter().map(|&uid| (uid, 1000)).collect();
        let lengths: Vec<usize> = chunks(&uids, &sizes).iter().map(Vec::len).collect();
        assert_eq!(lengths, [50, 50, 20]);
        sizes.insert(3, 20 * 1024 * 1024);
        let split = chunks(&uids[..5], &sizes);
        assert_eq!(split, [vec![1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn a_large_fetch_is_given_the_time_its_bytes_take_on_a_slow_line() {
        let timeout = Duration::from_secs(30);
        assert_eq!(transfer_time(timeout, 1000), timeout);
        assert_eq!(transfer_time(timeout, 25 * 1024 * 1024), Duration::from_secs(30 + 209));
    }
}
