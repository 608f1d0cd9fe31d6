//! The live notification streams open in this process. They are bounded per employee (a new
//! one closes that employee's oldest) and in all (past the bound a new one is refused `503`,
//! so streams can never take the connections leads need). Each stream lives at most
//! `max_age`, and all of them close at once when the server stops. A client resumes with
//! `Last-Event-ID` and misses nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lead_store::EmployeeId;
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
    by_employee: HashMap<EmployeeId, VecDeque<(u64, oneshot::Sender<()>)>>,
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
    /// Fires when a newer stream of the same employee took this one's place.
    pub(crate) replaced: oneshot::Receiver<()>,
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

    /// A place for a new stream of `employee`. Closes that employee's oldest stream if there
    /// are `per_employee` already. `None` when all places are taken, or the server is
    /// stopping.
    pub(crate) fn open(&self, employee: EmployeeId) -> Option<Ticket> {
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
        let (close, replaced) = oneshot::channel();
        let id = open.next;
        open.next += 1;
        let streams = open.by_employee.entry(employee).or_default();
        if replaces {
            if let Some((_, oldest)) = streams.pop_front() {
                // Its ticket is still counted until it drops; the new one takes its place.
                let _ = oldest.send(());
            }
        }
        streams.push_back((id, close));
        open.total += 1;
        Some(Ticket {
            streams: self.clone(),
            employee,
            id,
            replaced,
            stopping: self.inner.stopping.subscribe(),
            expires: tokio::time::Instant::now() + limits.max_age,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.streams.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(streams) = open.by_employee.get_mut(&self.employee) {
            streams.retain(|(id, _)| *id != self.id);
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
        let mut first = streams.open(a).unwrap();
        let mut second = streams.open(a).unwrap();
        let _third = streams.open(a).unwrap();
        assert!(first.replaced.try_recv().is_ok(), "the oldest is closed");
        assert!(second.replaced.try_recv().is_err());
        drop(first);
        assert_eq!(streams.open_count(), 2);
        let _other = streams.open(b).unwrap();
        assert!(streams.open(EmployeeId::new(3)).is_none(), "all places taken");
        // An employee at their own bound still gets one: it replaces their oldest.
        let _fourth = streams.open(a).unwrap();
        assert!(second.replaced.try_recv().is_ok());
    }

    #[actix_web::test]
    async fn closing_all_reaches_every_stream_and_takes_no_new_one() {
        let streams = Streams::default();
        let mut ticket = streams.open(EmployeeId::new(1)).unwrap();
        streams.close_all();
        ticket.stopping.changed().await.unwrap();
        assert!(*ticket.stopping.borrow());
        assert!(streams.open(EmployeeId::new(2)).is_none());
    }
}
