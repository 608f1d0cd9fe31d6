//! The live notification stream (Server-Sent Events).
//!
//! The database is the source of truth: a stream remembers where it stands (the store's
//! cursor, in the order notifications became visible) and reads what came after it whenever
//! the store signals a commit for the employee's company — and only then: it never polls (the
//! process's hub, in `streams.rs`, signals what other processes committed, and ends the
//! streams of tokens no longer valid), except for a moment when the store says more is
//! visible but not yet in order (PostgreSQL, a transaction older than theirs still running).
//! A reconnect with `Last-Event-ID` resumes right after that notification, so nothing is lost
//! or repeated. Streams
//! are bounded and end when they are too old, replaced, their token stops being valid or the
//! server stops (see `streams.rs`): the client reconnects.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_lab::sse::{self, Sse};
use lead_store::{CompanyId, Member, NotificationId, Store, StreamCursor};
use tokio::sync::{broadcast, mpsc};

use crate::streams::Ticket;
use crate::views::NotificationView;
use crate::{ApiError, HttpConfig, TeamMember};

/// How many notifications one read delivers at most.
const BATCH: i64 = 100;

/// How soon a stream looks again when more is visible but not yet in order, at first ...
const WAITING_FIRST: Duration = Duration::from_millis(10);
/// ... and at most, while it stays so (a long transaction elsewhere on the database).
const WAITING_MOST: Duration = Duration::from_secs(1);

/// `GET /api/v1/notifications/stream`: your notifications as Server-Sent Events, live.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "team", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this notification")),
    responses((status = 200, description = "text/event-stream: one `notification` event per notification, heartbeats in between", content_type = "text/event-stream"),
        (status = 401, description = "No valid bearer token", body = crate::error::ErrorBody),
        (status = 503, description = "Too many live streams are open on this server; try again later (`Retry-After`)", body = crate::error::ErrorBody)))]
pub(crate) async fn stream(
    member: TeamMember,
    req: HttpRequest,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    open(member.0, &req, store, config).await
}

/// The stream of `member`'s notifications (for the team API's bearer token or the
/// dashboard's session), resuming after `Last-Event-ID` if the request has one.
pub(crate) async fn open(
    member: Member,
    req: &HttpRequest,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let resume_after = match req.headers().get("Last-Event-ID") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<NotificationId>().ok())
                .ok_or_else(|| ApiError::InvalidField {
                    field: "Last-Event-ID",
                    message: "„Last-Event-ID“ muss die Nummer einer Benachrichtigung sein.".into(),
                })?,
        ),
    };
    // A place among the open streams first: past the bound, nothing else is done.
    let ticket = config
        .streams
        .open(member.employee_id, member.token_id)
        .ok_or(ApiError::Busy)?;
    // Subscribe before reading where to start, so a commit in between is not missed.
    // The first subscription starts the listener for other instances' commits and waits for
    // it: off the async worker.
    let signals = {
        let store = store.clone().into_inner();
        web::block(move || store.team().subscribe_commits()).await?
    };
    let start = {
        let store = store.clone().into_inner();
        web::block(move || store.team().stream_start(member.employee_id, resume_after)).await??
    };
    let (events, receiver) = mpsc::channel(2 * BATCH as usize);
    actix_web::rt::spawn(deliver(store.into_inner(), member, start, signals, events, ticket));
    let stream = Sse::from_infallible_receiver(receiver)
        .with_keep_alive(config.sse_heartbeat)
        .with_retry_duration(Duration::from_secs(3));
    Ok(actix_web::Responder::respond_to(stream, req).map_into_boxed_body())
}

/// Sends every notification after `after`, then waits for the next signal, until the
/// client goes away — or its token stops being valid (revoked, employee or company
/// deactivated), which every read re-checks first, so a revoked token gets nothing more —
/// or its `ticket` ends it (too old, replaced by a newer stream of the employee, its token
/// found invalid by the hub while idle, the server stopping).
async fn deliver(
    store: std::sync::Arc<Store>,
    member: Member,
    mut after: StreamCursor,
    mut signals: broadcast::Receiver<Option<CompanyId>>,
    events: mpsc::Sender<sse::Event>,
    mut ticket: Ticket,
) {
    // While the store says more is on its way (see `StreamBatch::waiting`): how soon to look.
    let mut recheck = WAITING_FIRST;
    loop {
        let read = {
            let (store, cursor) = (store.clone(), after.clone());
            web::block(move || {
                if !store.access().token_is_valid(member.token_id)? {
                    return Ok(None);
                }
                store
                    .team()
                    .notifications_after(member.employee_id, &cursor, BATCH)
                    .map(Some)
            })
            .await
        };
        let batch = match read {
            Ok(Ok(Some(batch))) => batch,
            Ok(Ok(None)) => return, // the token no longer lets this employee in
            // The database did not answer: no signal may come for what this read missed, so
            // read again in a moment (streams poll only while reads fail).
            Ok(Err(error)) => {
                log::warn!("notification stream of employee {}: {error}", member.employee_id);
                if events.is_closed() || *ticket.stopping.borrow() {
                    return;
                }
                actix_web::rt::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(error) => {
                log::warn!("notification stream of employee {}: {error}", member.employee_id);
                if events.is_closed() || *ticket.stopping.borrow() {
                    return;
                }
                actix_web::rt::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let full = batch.full;
        for note in batch.notifications {
            let id = note.id;
            let data = match serde_json::to_string(&NotificationView::from(note)) {
                Ok(data) => data,
                Err(_) => continue,
            };
            let event = sse::Data::new(data).id(id.to_string()).event("notification");
            if events.send(event.into()).await.is_err() {
                return; // the client went away
            }
        }
        after = batch.cursor;
        if full {
            continue;
        }
        let look_again = match batch.waiting {
            true => Some(recheck),
            false => None,
        };
        recheck = match batch.waiting {
            true => (recheck * 2).min(WAITING_MOST),
            false => WAITING_FIRST,
        };
        if !wait_for_commit(&mut signals, &events, member.company_id, &mut ticket, look_again).await {
            return;
        }
    }
}

/// Waits until the store signals a commit for `company_id`, or `look_again` passes; `false`
/// when the stream is to end: the client has gone away, or `ticket` ends it.
async fn wait_for_commit(
    signals: &mut broadcast::Receiver<Option<CompanyId>>,
    events: &mpsc::Sender<sse::Event>,
    company_id: CompanyId,
    ticket: &mut Ticket,
    look_again: Option<Duration>,
) -> bool {
    if *ticket.stopping.borrow() {
        return false;
    }
    let expires = tokio::time::sleep_until(ticket.expires);
    tokio::pin!(expires);
    let soon = tokio::time::sleep(look_again.unwrap_or(Duration::MAX / 4));
    tokio::pin!(soon);
    loop {
        tokio::select! {
            () = &mut soon, if look_again.is_some() => return true,
            signal = signals.recv() => match signal {
                Ok(Some(company)) if company != company_id => continue,
                // Ours, or we lagged behind and may have missed ours, or the store is gone:
                // read the database either way — once for all signals that are waiting.
                _ => {
                    while signals.try_recv().is_ok() {}
                    return true;
                }
            },
            _ = events.closed() => return false,
            _ = &mut ticket.ended => return false,
            _ = ticket.stopping.changed() => return false,
            () = &mut expires => return false,
        }
    }
}
