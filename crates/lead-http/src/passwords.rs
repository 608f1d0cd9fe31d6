//! Password checks in a place of their own. argon2 takes 19 MiB and tens of milliseconds of
//! a core per password: run on the shared blocking threads, a flood of wrong logins grew the
//! server by hundreds of MiB that stayed after it (each thread's allocator kept its blocks)
//! and took the threads every database call needs. Here a few threads of their own check
//! passwords, each in one workspace it keeps while busy and gives back after a few idle
//! seconds; a bounded line waits for them, and whoever finds the line full is answered `429`
//! at once, before anything about the attempt was counted or read.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lead_auth::PasswordWorkspace;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::ApiError;

/// How long a checker keeps its workspace without work.
const IDLE: Duration = Duration::from_secs(3);

/// One check: a password and the hashes it might match (or a new hash to make).
type Job = Box<dyn FnOnce(&mut PasswordWorkspace) + Send>;

/// The password checkers and their line; clones share them. The threads end when the last
/// clone (and the last place in line) is dropped.
#[derive(Clone)]
pub struct PasswordChecks {
    line: Arc<Closing>,
    /// One permit per checker and per place in line.
    places: Arc<Semaphore>,
    checkers: usize,
}

/// The jobs waiting, and whether more can come.
#[derive(Default)]
struct Line {
    waiting: Mutex<(VecDeque<Job>, bool)>,
    changed: Condvar,
}

/// The line as its senders hold it: closed when the last of them is gone.
struct Closing(Arc<Line>);

impl Drop for Closing {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.0.waiting.lock() {
            waiting.1 = true;
        }
        self.0.changed.notify_all();
    }
}

impl std::fmt::Debug for PasswordChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PasswordChecks({} checkers, {} free places)",
            self.checkers,
            self.places.available_permits()
        )
    }
}

impl Default for PasswordChecks {
    /// One checker per core and 64 places in line.
    fn default() -> Self {
        PasswordChecks::new(0, 64)
    }
}

impl PasswordChecks {
    /// `checkers` threads (0: one per core) and `line` requests waiting for them at most.
    pub fn new(checkers: usize, line: usize) -> PasswordChecks {
        let checkers = match checkers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let shared = Arc::new(Line::default());
        for n in 0..checkers {
            let shared = shared.clone();
            // Without a thread the line is only slower; a machine that runs a server at all
            // starts the first one.
            let started = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || check_passwords(&shared));
            if let Err(error) = started {
                log::error!("a password checker did not start: {error}");
            }
        }
        PasswordChecks {
            line: Arc::new(Closing(shared)),
            places: Arc::new(Semaphore::new(checkers + line)),
            checkers,
        }
    }

    /// A place in line, or `429` when the line is full. Taken before the attempt is counted,
    /// so a refused request leaves nothing behind.
    pub(crate) fn place(&self) -> Result<Place, ApiError> {
        let permit = self.places.clone().try_acquire_owned().map_err(|_| {
            ApiError::Saturated(
                "Der Server prüft gerade sehr viele Anmeldungen; es wurde nichts geprüft. Bitte versuchen Sie es in einer Sekunde noch einmal.",
            )
        })?;
        Ok(Place {
            permit,
            line: self.line.clone(),
        })
    }
}

/// A place in the line of password checks.
pub(crate) struct Place {
    permit: OwnedSemaphorePermit,
    line: Arc<Closing>,
}

impl Place {
    /// Which of `hashes` `password` matches, if any; with no hash, a check against a hash
    /// nobody knows the password of, so that an unknown login takes the same time.
    pub(crate) async fn matching(self, password: String, hashes: Vec<String>) -> Result<Option<usize>, ApiError> {
        self.run(move |workspace| {
            if hashes.is_empty() {
                workspace.verify(&password, DUMMY_HASH);
                return None;
            }
            hashes.iter().position(|hash| workspace.verify(&password, hash))
        })
        .await
    }

    /// The hash of a new password.
    pub(crate) async fn hash(self, password: String) -> Result<String, ApiError> {
        self.run(move |workspace| workspace.hash(&password))
            .await?
            .map_err(|error| ApiError::Internal(error.to_string()))
    }

    /// A change of password: whether `current` (the password given, and the hash it must
    /// match) is right — `None` when there is nothing to check — and if so the hash of `new`,
    /// in one place in the line.
    pub(crate) async fn change(
        self,
        current: Option<(String, String)>,
        new: String,
    ) -> Result<Option<String>, ApiError> {
        self.run(move |workspace| {
            if let Some((password, hash)) = current {
                if !workspace.verify(&password, &hash) {
                    return Ok(None);
                }
            }
            workspace.hash(&new).map(Some)
        })
        .await?
        .map_err(|error| ApiError::Internal(error.to_string()))
    }

    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut PasswordWorkspace) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let permit = self.permit;
        let job: Job = Box::new(move |workspace| {
            let done = work(workspace);
            // The place is free before the caller hears the answer.
            drop(permit);
            let _ = answer.send(done);
        });
        let line = &self.line.0;
        line.waiting
            .lock()
            .map_err(|_| ApiError::Internal("the password checkers have stopped".into()))?
            .0
            .push_back(job);
        line.changed.notify_one();
        answered
            .await
            .map_err(|_| ApiError::Internal("a password check ended without an answer".into()))
    }
}

/// One checker: takes the next job, in the workspace it keeps while there is work and gives
/// back after [`IDLE`] without.
fn check_passwords(line: &Line) {
    let mut workspace = PasswordWorkspace::default();
    loop {
        let job = {
            let Ok(mut waiting) = line.waiting.lock() else { return };
            loop {
                if let Some(job) = waiting.0.pop_front() {
                    break job;
                }
                if waiting.1 {
                    return;
                }
                let Ok((still, idle)) = line.changed.wait_timeout(waiting, IDLE) else {
                    return;
                };
                waiting = still;
                if idle.timed_out() {
                    // The memory goes back to the system.
                    workspace = PasswordWorkspace::default();
                }
            }
        };
        // A check that panicked answers nothing (its caller gets a 500); the checker goes
        // on with a fresh workspace.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut workspace))).is_err() {
            workspace = PasswordWorkspace::default();
        }
    }
}

/// An argon2id hash of nothing anyone knows, to spend the same time on unknown emails.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Fq1oQBhS0JcnIUMN7jN1j2m8FDk9DbhNdvW7s1FqtM";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_line_is_refused_at_once_and_a_place_comes_free_after_the_check() {
        let checks = PasswordChecks::new(1, 1);
        let hash = checks.place().unwrap().hash("richtig-geheim".into()).await.unwrap();
        let (first, second) = (checks.place().unwrap(), checks.place().unwrap());
        assert!(
            matches!(checks.place(), Err(ApiError::Saturated(_))),
            "one checking, one waiting"
        );
        let wrong = first.matching("falsch".into(), vec![hash.clone()]);
        let right = second.matching("richtig-geheim".into(), vec!["kein Hash".into(), hash.clone()]);
        assert_eq!(wrong.await.unwrap(), None);
        assert_eq!(right.await.unwrap(), Some(1));
        assert_eq!(checks.places.available_permits(), 2, "both places free again");
        assert_eq!(
            checks.place().unwrap().matching("x".into(), vec![]).await.unwrap(),
            None
        );
    }
}
