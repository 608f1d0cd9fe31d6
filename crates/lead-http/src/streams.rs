//! The live notification streams open in this process. They are bounded per employee (a new
//! one closes that employee's oldest) and in all (past the bound a new one is refused `503`,
//! so streams can never take the connections leads need). Each stream lives at most
//! `max_age`, and all of them close at once when the server stops. A client resumes with
//! `Last-Event-ID` and misses nothing.
//!
//! No stream polls the database: each waits for the store's commit signals. What those do not
//! carry — notifications committed by another process (the operator's command line on SQLite,
//! a NOTIFY lost while PostgreSQL's connection was down), and tokens that stopped being valid
//! (revoked, logged out, the employee or company deactivated) — one hub per process checks
//! with two queries a tick, whatever the number of streams, and passes on: it wakes the
//! streams of the companies that got notifications, and ends the streams of invalid tokens.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lead_store::{EmployeeId, NotificationId, Store, TokenId};
use tokio::sync::{oneshot, watch};

/// How many streams, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Streams of one employee at most (tabs, devices); a new one closes the oldest.
    pub per_employee: usize,
    /// Streams in all at most; past it a new one is refused.
    pub total: usize,
    /// The longest a stream stays open; the client then resumes on a new one.
    pub max_age: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            per_employee: 5,
            total: 5000,
            max_age: Duration::from_secs(3600),
        }
    }
}

/// The open streams of this process (cheap to clone: one registry).
#[derive(Clone)]
pub struct Streams {
    inner: Arc<Inner>,
}

struct Inner {
    limits: StreamLimits,
    open: Mutex<Open>,
    stopping: watch::Sender<bool>,
}

/// Each employee's open streams, oldest first, with what closes each.
#[derive(Default)]
struct Open {
    next: u64,
    total: usize,
    by_employee: HashMap<EmployeeId, VecDeque<Place>>,
}

/// One open stream: its number, the token it was opened with, and what ends it.
struct Place {
    id: u64,
    token: TokenId,
    end: oneshot::Sender<()>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams")
            .field("limits", &self.inner.limits)
            .field("open", &self.open_count())
            .finish()
    }
}

impl Default for Streams {
    fn default() -> Self {
        Streams::new(StreamLimits::default())
    }
}

/// A stream's place in the registry; freed when dropped.
pub(crate) struct Ticket {
    streams: Streams,
    employee: EmployeeId,
    id: u64,
    /// Fires when a newer stream of the same employee took this one's place, or its token
    /// stopped being valid.
    pub(crate) ended: oneshot::Receiver<()>,
    /// Turns `true` when the server stops.
    pub(crate) stopping: watch::Receiver<bool>,
    /// When the stream has lived long enough.
    pub(crate) expires: tokio::time::Instant,
}

impl Streams {
    /// No streams yet.
    pub fn new(limits: StreamLimits) -> Streams {
        let (stopping, _) = watch::channel(false);
        Streams {
            inner: Arc::new(Inner {
                limits,
                open: Mutex::new(Open::default()),
                stopping,
            }),
        }
    }

    /// How many streams are open.
    pub fn open_count(&self) -> usize {
        self.lock().total
    }

    /// Closes every stream now and takes no new ones: the server is stopping (its clients
    /// resume on another instance, or on this one when it is back).
    pub fn close_all(&self) {
        self.inner.stopping.send_replace(true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.inner.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for a new stream of `employee`, opened with `token`. Closes that employee's
    /// oldest stream if there are `per_employee` already. `None` when all places are taken,
    /// or the server is stopping.
    pub(crate) fn open(&self, employee: EmployeeId, token: TokenId) -> Option<Ticket> {
        if *self.inner.stopping.borrow() {
            return None;
        }
        let limits = self.inner.limits;
        let mut open = self.lock();
        let mine = open.by_employee.get(&employee).map_or(0, VecDeque::len);
        let replaces = mine >= limits.per_employee.max(1);
        if !replaces && open.total >= limits.total {
            return None;
        }
        let (end, ended) = oneshot::channel();
        let id = open.next;
        open.next += 1;
        let streams = open.by_employee.entry(employee).or_default();
        if replaces {
            if let Some(oldest) = streams.pop_front() {
                // Its ticket is still counted until it drops; the new one takes its place.
                let _ = oldest.end.send(());
            }
        }
        streams.push_back(Place { id, token, end });
        open.total += 1;
        Some(Ticket {
            streams: self.clone(),
            employee,
            id,
            ended,
            stopping: self.inner.stopping.subscribe(),
            expires: tokio::time::Instant::now() + limits.max_age,
        })
    }
}

impl Streams {
    /// The tokens the open streams were opened with, each once.
    fn open_tokens(&self) -> Vec<TokenId> {
        let mut tokens: Vec<TokenId> = self
            .lock()
            .by_employee
            .values()
            .flatten()
            .map(|place| place.token)
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }

    /// Ends the streams opened with any of `tokens`.
    fn end_tokens(&self, tokens: &[TokenId]) {
        if tokens.is_empty() {
            return;
        }
        let mut open = self.lock();
        for streams in open.by_employee.values_mut() {
            for place in streams.iter_mut().filter(|place| tokens.contains(&place.token)) {
                // Sent once; the ticket frees the place when its stream ends.
                let (dead, _) = oneshot::channel();
                let _ = std::mem::replace(&mut place.end, dead).send(());
            }
        }
    }

    /// Starts this process's hub (on the current runtime): every `every` it wakes the streams
    /// of companies that got notifications it was not told of, and ends the streams of tokens
    /// no longer valid — two queries a tick, not one per stream. Ends when the server stops.
    pub fn start_hub(&self, store: Store, every: Duration) {
        let streams = self.clone();
        let store = Arc::new(store);
        let mut stopping = self.inner.stopping.subscribe();
        actix_web::rt::spawn(async move {
            // Where the checks start: what is committed from now on is passed on.
            let mut newest: Option<NotificationId> = {
                let store = store.clone();
                actix_web::web::block(move || store.team().newest_notification_id())
                    .await
                    .ok()
                    .and_then(Result::ok)
            };
            loop {
                tokio::select! {
                    () = actix_web::rt::time::sleep(every) => {}
                    _ = stopping.changed() => return,
                }
                let tokens = streams.open_tokens();
                let store = store.clone();
                let checked = actix_web::web::block(move || -> lead_store::Result<_> {
                    let invalid = match tokens.is_empty() {
                        true => Vec::new(),
                        false => store.access().invalid_tokens(&tokens)?,
                    };
                    let newest = match newest {
                        Some(after) => store.team().wake_streams_notified_after(after)?,
                        None => store.team().newest_notification_id()?,
                    };
                    Ok((invalid, newest))
                })
                .await;
                match checked {
                    Ok(Ok((invalid, seen))) => {
                        streams.end_tokens(&invalid);
                        newest = Some(seen);
                    }
                    Ok(Err(error)) => log::warn!("the live streams' check failed, and runs again: {error}"),
                    Err(error) => log::warn!("the live streams' check failed, and runs again: {error}"),
                }
            }
        });
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.streams.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(streams) = open.by_employee.get_mut(&self.employee) {
            streams.retain(|place| place.id != self.id);
            if streams.is_empty() {
                open.by_employee.remove(&self.employee);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_employee: usize, total: usize) -> StreamLimits {
        StreamLimits {
            per_employee,
            total,
            max_age: Duration::from_secs(60),
        }
    }

    #[actix_web::test]
    async fn a_new_stream_replaces_the_employees_oldest_and_the_total_is_bounded() {
        let streams = Streams::new(limits(2, 3));
        let (a, b) = (EmployeeId::new(1), EmployeeId::new(2));
        let token = TokenId::new(1);
        let mut first = streams.open(a, token).unwrap();
        let mut second = streams.open(a, token).unwrap();
        let _third = streams.open(a, token).unwrap();
        assert!(first.ended.try_recv().is_ok(), "the oldest is closed");
        assert!(second.ended.try_recv().is_err());
        drop(first);
        assert_eq!(streams.open_count(), 2);
        let _other = streams.open(b, TokenId::new(2)).unwrap();
        assert!(
            streams.open(EmployeeId::new(3), TokenId::new(3)).is_none(),
            "all places taken"
        );
        // An employee at their own bound still gets one: it replaces their oldest.
        let _fourth = streams.open(a, token).unwrap();
        assert!(second.ended.try_recv().is_ok());
    }

    #[actix_web::test]
    async fn closing_all_reaches_every_stream_and_takes_no_new_one() {
        let streams = Streams::default();
        let mut ticket = streams.open(EmployeeId::new(1), TokenId::new(1)).unwrap();
        streams.close_all();
        ticket.stopping.changed().await.unwrap();
        assert!(*ticket.stopping.borrow());
        assert!(streams.open(EmployeeId::new(2), TokenId::new(2)).is_none());
    }

    #[actix_web::test]
    async fn the_streams_of_an_invalid_token_end_and_no_others() {
        let streams = Streams::default();
        let (revoked, kept) = (TokenId::new(7), TokenId::new(8));
        let mut phone = streams.open(EmployeeId::new(1), revoked).unwrap();
        let mut laptop = streams.open(EmployeeId::new(1), revoked).unwrap();
        let mut other = streams.open(EmployeeId::new(1), kept).unwrap();
        assert_eq!(streams.open_tokens(), [revoked, kept]);
        streams.end_tokens(&[revoked]);
        assert!(phone.ended.try_recv().is_ok() && laptop.ended.try_recv().is_ok());
        assert!(other.ended.try_recv().is_err());
        drop((phone, laptop));
        assert_eq!(streams.open_tokens(), [kept]);
    }
}
