//! The lists as CSV downloads, within a budget: a few exports at once on the whole server,
//! one per employee, each on a database connection of its own — a long read never holds a
//! connection the lead endpoint, the live streams or the pages wait for.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::Timestamp;
use lead_present::{csv, Presented};
use lead_store::{EmployeeId, Store};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::inbox::Filters;
use super::session::Session;
use super::PageResult;
use crate::{ApiError, HttpConfig};
use lead_present::csv::Dialect;

/// How many exports run at once: at most `at_once` on the server (each with its database
/// connection, see [`Store::for_long_reads`]) and one per employee; beyond, `429` at once.
#[derive(Clone)]
pub struct ExportBudget {
    places: Arc<Semaphore>,
    running: Arc<Mutex<HashSet<EmployeeId>>>,
}

impl std::fmt::Debug for ExportBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportBudget")
            .field("free", &self.places.available_permits())
            .finish_non_exhaustive()
    }
}

impl Default for ExportBudget {
    /// Two at once, as many as the store's long-read connections by default.
    fn default() -> Self {
        ExportBudget::new(2)
    }
}

impl ExportBudget {
    /// At most `at_once` exports at the same time (at least one).
    pub fn new(at_once: usize) -> ExportBudget {
        ExportBudget {
            places: Arc::new(Semaphore::new(at_once.max(1))),
            running: Arc::default(),
        }
    }

    /// A place for `employee`'s export, kept until the download ends (or is broken off).
    fn start(&self, employee: EmployeeId) -> Result<ExportPlace, ApiError> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| ApiError::Internal("the export budget is poisoned".into()))?;
        if running.contains(&employee) {
            return Err(ApiError::Saturated(
                "Ihr vorheriger Export läuft noch; es wurde kein weiterer begonnen. Bitte warten Sie, bis er fertig ist.",
            ));
        }
        let place = self.places.clone().try_acquire_owned().map_err(|_| {
            ApiError::Saturated(
                "Es laufen gerade so viele Exporte, wie der Server gleichzeitig erstellt; es wurde keiner begonnen. Bitte versuchen Sie es gleich noch einmal.",
            )
        })?;
        running.insert(employee);
        Ok(ExportPlace {
            _place: place,
            running: self.running.clone(),
            employee,
        })
    }
}

/// A running export's place in the budget: given back when dropped.
struct ExportPlace {
    _place: OwnedSemaphorePermit,
    running: Arc<Mutex<HashSet<EmployeeId>>>,
    employee: EmployeeId,
}

impl Drop for ExportPlace {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(&self.employee);
        }
    }
}

/// Rows per read of an export.
const EXPORT_CHUNK: i64 = 500;

/// The filtered list of leads of kind `K` as CSV (`?dialect=rfc4180`, else German Excel),
/// streamed a chunk of 500 at a time — never the whole list in memory (see
/// [`Team::walk_leads`]).
pub(crate) async fn export<K: Presented>(
    req: HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let filters = Filters::of(&req, &config)?;
    let place = config.dashboard.exports.start(session.member.employee_id)?;
    let company = session.member.company_id;
    let dialect = Dialect::named(Some(filters.get("dialect")));
    let zone = config.dashboard.time_zone.clone();
    let query = filters.query::<K>(EXPORT_CHUNK, session.member.employee_id);
    streamed(place, &store, K::FILE, move |store, send| {
        let mut bytes = csv::head::<K>(dialect);
        store.team().walk_leads(company, query, |leads: Vec<K>| {
            bytes.extend(csv::rows(&leads, dialect, &zone));
            Ok::<_, lead_store::StoreError>(send(std::mem::take(&mut bytes)))
        })
    })
}

/// The company's customers as CSV (`?dialect=rfc4180`, else German Excel — the headers an
/// import reads back), newest first, streamed 500 at a time.
pub(crate) async fn customers(
    req: HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let place = config.dashboard.exports.start(session.member.employee_id)?;
    let company = session.member.company_id;
    let dialect = Dialect::named(super::inbox::query_value(&req, "dialect").as_deref());
    let zone = config.dashboard.time_zone.clone();
    streamed(place, &store, "kunden", move |store, send| {
        let (mut bytes, mut before) = (csv::customer_head(dialect), None);
        loop {
            let customers = store.team().list_customers(company, None, before, Some(EXPORT_CHUNK))?;
            let Some(last) = customers.last() else {
                send(bytes);
                return Ok(());
            };
            before = Some(last.id);
            bytes.extend(csv::customer_rows(&customers, dialect, &zone));
            if !send(std::mem::take(&mut bytes)) {
                // The client went away.
                return Ok(());
            }
        }
    })
}

/// A CSV download named `file` and today's date, whose chunks `write` makes and hands to
/// `send` (which says whether the client still takes them). `write` runs on a thread of the
/// export's own at the lowest CPU priority, on the store's connections for long reads: on a
/// busy machine the leads, the pages and the streams go first, and the export takes what is
/// left. A failure breaks the download off — the client sees a broken download, never a
/// silently short file.
fn streamed(
    place: ExportPlace,
    store: &Store,
    file: &'static str,
    write: impl FnOnce(&Store, &mut dyn FnMut(Vec<u8>) -> bool) -> Result<(), lead_store::StoreError> + Send + 'static,
) -> PageResult {
    let store = store.for_long_reads();
    // Two chunks ahead at most: a client that reads slowly holds the export, not memory.
    let (chunks, received) = tokio::sync::mpsc::channel::<Result<web::Bytes, String>>(2);
    std::thread::Builder::new()
        .name("lead-export".into())
        .spawn(move || {
            lowest_priority();
            let mut forward = |bytes: Vec<u8>| send(&chunks, Ok(web::Bytes::from(bytes)));
            if let Err(error) = write(&store, &mut forward) {
                log::warn!("an export failed: {error}");
                send(&chunks, Err(error.to_string()));
            }
            // The place is given back when the last chunk is out (or the client went away).
            drop(place);
        })
        .map_err(|error| ApiError::Internal(format!("cannot start an export: {error}")))?;
    let body = futures_util::stream::unfold(received, |mut received| async move {
        let chunk = received.recv().await?;
        let chunk = chunk.map_err(|_| actix_web::error::ErrorInternalServerError("the export failed"));
        Some((chunk, received))
    });
    let today = Timestamp::now().to_string();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}-{}.csv\"", &today[..10]),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .streaming(body))
}

/// Where an export's chunks go: to the response, two at most waiting.
type Chunks = tokio::sync::mpsc::Sender<Result<web::Bytes, String>>;

/// How long a chunk may wait for the client to read on: a client that went away without
/// closing its connection holds its place no longer.
const STALLED: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends `chunk` on; whether it went (not when the client went away, or read nothing for
/// [`STALLED`] — then the download breaks off).
fn send(chunks: &Chunks, chunk: Result<web::Bytes, String>) -> bool {
    use tokio::sync::mpsc::error::TrySendError;
    let since = std::time::Instant::now();
    let mut chunk = chunk;
    loop {
        match chunks.try_send(chunk) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) if since.elapsed() < STALLED => {
                chunk = back;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(TrySendError::Full(_)) => {
                log::info!(
                    "an export broke off: its client read nothing for {} s",
                    STALLED.as_secs()
                );
                return false;
            }
        }
    }
}

/// The calling thread at the lowest CPU priority (nice 19). Linux only: there the nice value
/// is a thread's own; elsewhere it would be the whole server's, so it stays as it is.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::process::setpriority_process(None, 19) {
        log::debug!("an export runs at normal priority: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_holds_so_many_exports_and_one_per_employee_until_their_places_are_dropped() {
        let budget = ExportBudget::new(2);
        let (ann, ben, cleo) = (EmployeeId::new(1), EmployeeId::new(2), EmployeeId::new(3));
        let first = budget.start(ann).unwrap();
        assert!(matches!(budget.start(ann), Err(ApiError::Saturated(why)) if why.contains("vorheriger Export")));
        let second = budget.start(ben).unwrap();
        assert!(matches!(budget.start(cleo), Err(ApiError::Saturated(why)) if why.contains("so viele Exporte")));
        // A refusal took nothing: Cleo still gets the next free place, Ann her own again.
        drop(first);
        let third = budget.start(cleo).unwrap();
        assert!(budget.start(ann).is_err(), "the server's budget is full again");
        drop((second, third));
        assert!(budget.start(ann).is_ok());
    }
}
