//! `serve`: listen, first-start bootstrap, then the HTTP server until SIGINT / SIGTERM — and
//! then a stop that drops nothing: `/readyz` turns 503 and answers close their connections
//! for `server.drain_secs` while the load balancer notices, then no new connections, and what
//! is in flight is finished.

mod first_start;
mod metrics;
mod stop;

use std::time::Duration;

use actix_web::middleware::{from_fn, Condition};
use actix_web::{App, HttpServer};
use anyhow::Context;
use lead_store::Store;

use crate::config::Config;

/// Serves until the process is told to stop.
pub fn serve(config: &Config, store: Store) -> anyhow::Result<()> {
    // Push: the server's identity, from the key pair in the database (made at the first start
    // with push enabled, shared by every instance).
    let push = match config.push_subject()? {
        Some(subject) => {
            let keys = store.outbox().vapid_keys_or_make(lead_deliver::Vapid::generate)?;
            Some(lead_deliver::Vapid::new(&keys, &subject)?)
        }
        None => None,
    };
    let mut http = config.http();
    http.push_public_key = push.as_ref().map(|vapid| vapid.public_key().to_owned());
    // The key that signs login forms, the same on every instance (a form one instance made
    // is posted to another behind a load balancer).
    let made = lead_auth::generate_signing_key()?;
    http.dashboard.login_key = lead_http::LoginKey(store.access().server_secret_or_make("login_csrf", || made)?);
    // ...and the one that signs webhooks' download links (any instance serves them).
    let made = lead_auth::generate_signing_key()?;
    let link_key = store.access().server_secret_or_make("download_links", || made)?;
    http.attachments.link_key = link_key.clone();
    // ...and the one that signs proof-of-work challenges (solved on whichever instance).
    let made = lead_auth::generate_signing_key()?;
    http.challenge_key = store.access().server_secret_or_make("proof_challenges", || made)?;
    let streams = http.streams.clone();
    let lifecycle = http.lifecycle.clone();
    let metrics = metrics::endpoint(config, &store, &streams)?;
    let metrics_bind = Some(config.metrics.bind.trim().to_owned()).filter(|bind| !bind.is_empty());
    if metrics_bind.is_none() {
        http.metrics = metrics.clone();
    }
    let mut deliver = config.deliver()?;
    deliver.push = push;
    deliver.link_key = link_key;
    let routes = lead_http::configure(store.clone(), http);
    // Database calls run on blocking threads. One per connection (the readers and the single
    // writer) plus one: more would only wait for a connection, and the queue in front of
    // them costs nothing but memory. (Exports read on threads of their own.)
    let blocking_threads = config.database.read_pool_size as usize + 2;

    actix_web::rt::System::new().block_on(async move {
        let workers = match config.server.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let timeout = Duration::from_secs(config.server.request_timeout_secs);
        // Every request's log line is worked out before the logger decides to drop it: with
        // the access log filtered out (below `info`), it is not wrapped at all.
        let access_log = log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
        let timed = metrics.is_some();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(Condition::new(access_log, lead_http::access_log()))
                .wrap(Condition::new(timed, from_fn(lead_http::record_request)))
                .wrap(from_fn(lead_http::close_while_draining))
                .configure(routes.clone())
        })
        .worker_max_blocking_threads(blocking_threads)
        .workers(workers)
        // actix counts connections per worker.
        .max_connections(config.server.max_connections.div_ceil(workers))
        .keep_alive(Duration::from_secs(config.server.keep_alive_secs))
        // The headers must arrive within this; the body's own deadline is in lead-http.
        .client_request_timeout(timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        // SIGTERM and SIGINT are handled below: the drain comes first.
        .disable_signals()
        .shutdown_timeout(config.server.shutdown_timeout_secs);
        // Listen first: a first-start key must never be created and then lost to a busy port.
        let server = server
            .bind(&config.server.bind)
            .with_context(|| format!("cannot listen on {}", config.server.bind))?;
        let addrs = server.addrs();
        let metrics_server = match (&metrics_bind, metrics) {
            (Some(bind), Some(endpoint)) => {
                let routes = lead_http::configure_metrics(endpoint);
                let server = HttpServer::new(move || App::new().configure(routes.clone()))
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind(bind)
                    .with_context(|| format!("cannot listen on {bind} for the metrics"))?;
                for addr in server.addrs() {
                    log::info!("metrics at http://{addr}/metrics");
                }
                Some(server.run())
            }
            _ => None,
        };
        // PostgreSQL: listen for other instances' commits from the start, so the first live
        // stream misses nothing committed elsewhere.
        drop(store.team().subscribe_commits());
        report_backlog(&store, config.outbox.enabled);
        // Deliveries owed before a stop (or a crash) go out first — unless this server only
        // records them (a restore drill).
        // Stopped with the server: what it holds is given back (dropped at the end).
        let deliverer = match config.outbox.enabled {
            true => Some(std::sync::Arc::new(
                lead_deliver::Deliverer::start(store.clone(), deliver)?,
            )),
            false => None,
        };
        // The companies' mailboxes, read by one instance each (stopped with the server).
        let _mailboxes = lead_mailbox::Reader::start(store.clone(), config.mail_reader()?)?;
        // What the retention settings no longer keep goes, hourly; the first purge a minute
        // after the start, so that restarts more often than hourly do not keep it from running.
        let _purge = match config.retention.purge_every_secs {
            0 => None,
            every => {
                let every = Duration::from_secs(every);
                Some(store.privacy().purge_every(config.retention(), every.min(Duration::from_secs(60)), every)?)
            }
        };
        if let (Some((key, password)), Some(addr)) = (first_start::bootstrap_demo(&store)?, addrs.first()) {
            first_start::print_demo_banner(&key, &password, *addr, config);
        }
        // Taken over from here on, before anyone can learn that the server listens: a stop
        // asked for right after always goes through the graceful path.
        let mut signals = stop::StopSignals::take_over();
        for addr in &addrs {
            log::info!("listening on http://{addr}");
        }
        let server = server.run();
        let stopping_deliverer = deliverer.clone();
        // One check for all live streams, not one per stream.
        streams.start_hub(store.clone(), Duration::from_secs(config.server.sse_recheck_secs));
        // Files clamd could not judge as they came are offered to it again.
        if let Some(clamd) = config.attachments.clamd()? {
            let every = Duration::from_secs(config.attachments.scan_retry_secs);
            let timeout = Duration::from_secs(config.attachments.scan_timeout_secs);
            actix_web::rt::spawn(lead_http::rescan(store.clone(), clamd, timeout, every));
        }
        let handle = server.handle();
        let metrics_handle = metrics_server.as_ref().map(|server| server.handle());
        if let Some(server) = metrics_server {
            actix_web::rt::spawn(server);
        }
        let drain = Duration::from_secs(config.server.drain_secs);
        actix_web::rt::spawn(async move {
            signals.next().await;
            // Not ready from now on; live streams end now (their clients resume elsewhere).
            lifecycle.begin_drain();
            streams.close_all();
            if !drain.is_zero() {
                log::info!(
                    "stopping: /readyz answers 503 and answers close their connections for {} s, then no new connections (another signal: at once)",
                    drain.as_secs()
                );
                tokio::select! {
                    () = actix_web::rt::time::sleep(drain) => {}
                    () = signals.next() => log::info!("stopping at once: asked again"),
                }
            }
            log::info!("stopping: no new connections, live streams closed, requests in flight answered");
            // Deliveries in flight finish (within the shutdown timeout) while the requests in
            // flight are answered; nothing more is claimed.
            if let Some(deliverer) = stopping_deliverer {
                deliverer.begin_stop();
            }
            if let Some(metrics) = metrics_handle {
                metrics.stop(true).await;
            }
            // Asked once more while finishing what is in flight: at once.
            tokio::select! {
                () = handle.stop(true) => {}
                () = signals.next() => {
                    log::info!("stopping at once: asked again");
                    handle.stop(false).await;
                }
            }
        });
        server.await.context("the HTTP server failed")
    })
}

/// Says at the start what the outbox owes from before — after a restore, deliveries pending
/// when the backup was taken (some may have been made since; their receivers recognise them
/// by their `webhook-id`) — and whether this server sends them.
fn report_backlog(store: &Store, sending: bool) {
    let pending = match store.intake().outbox_pending() {
        Ok(pending) => pending,
        Err(error) => {
            log::warn!("the outbox could not be read: {error}");
            return;
        }
    };
    let total: i64 = pending.iter().map(|channel| channel.pending).sum();
    if total > 0 {
        let by_channel: Vec<String> = pending
            .iter()
            .filter(|channel| channel.pending > 0)
            .map(|channel| format!("{} {}", channel.pending, channel.channel))
            .collect();
        let oldest = pending.iter().filter_map(|channel| channel.oldest).min();
        log::info!(
            "the outbox holds {total} deliveries owed from before this start ({}; the oldest owed {}): {}",
            by_channel.join(", "),
            oldest.map_or_else(|| "?".into(), |at| at.to_string()),
            match sending {
                true => "sending them now (each with the webhook-id it always had, so receivers that already got one drop it)",
                false => "kept, not sent: deliveries are off here (serve --no-deliver / [outbox] enabled = false)",
            }
        );
    }
    if !sending {
        log::warn!("deliveries are off: webhooks, e-mails and push messages are recorded in the outbox, none is sent");
    }
}
