//! `serve`: listen, first-start bootstrap, then the HTTP server until SIGINT / SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{App, HttpServer};
use anyhow::Context;
use lead_auth::ApiKey;
use lead_store::Store;

use crate::config::Config;

/// Serves until the process is told to stop.
pub fn serve(config: &Config, store: Store) -> anyhow::Result<()> {
    // Push: the server's identity, from the key pair in the database (made at the first start
    // with push enabled, shared by every instance).
    let push = match config.push_subject()? {
        Some(subject) => {
            let keys = store.vapid_keys_or_make(lead_deliver::Vapid::generate)?;
            Some(lead_deliver::Vapid::new(&keys, &subject).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let mut http = config.http();
    http.push_public_key = push.as_ref().map(|vapid| vapid.public_key().to_owned());
    let streams = http.streams.clone();
    let mut deliver = config.deliver()?;
    deliver.push = push;
    let routes = lead_http::configure(store.clone(), http);
    // Database calls run on blocking threads. One per connection (the readers and the single
    // writer) plus one: more would only wait for a connection, and the queue in front of
    // them costs nothing but memory.
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
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::Condition::new(
                    access_log,
                    lead_http::access_log(),
                ))
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
        // SIGTERM and SIGINT are handled below: live streams must end first.
        .disable_signals()
        .shutdown_timeout(config.server.shutdown_timeout_secs);
        // Listen first: a first-start key must never be created and then lost to a busy port.
        let server = server
            .bind(&config.server.bind)
            .with_context(|| format!("cannot listen on {}", config.server.bind))?;
        let addrs = server.addrs();
        // PostgreSQL: listen for other instances' commits from the start, so the first live
        // stream misses nothing committed elsewhere.
        drop(store.subscribe_commits());
        // Deliveries owed before a stop (or a crash) go out first.
        // Stopped with the server: what it holds is given back (dropped at the end).
        let deliverer = lead_deliver::Deliverer::start(store.clone(), deliver).map_err(anyhow::Error::msg)?;
        let deliverer = std::sync::Arc::new(deliverer);
        // What the retention settings no longer keep goes, hourly; the first purge a minute
        // after the start, so that restarts more often than hourly do not keep it from running.
        let _purge = match config.retention.purge_every_secs {
            0 => None,
            every => {
                let every = Duration::from_secs(every);
                Some(store.purge_every(config.retention(), every.min(Duration::from_secs(60)), every)?)
            }
        };
        if let (Some((key, password)), Some(addr)) = (bootstrap_demo(&store)?, addrs.first()) {
            print_demo_banner(&key, &password, *addr, &config.database.url);
        }
        // Taken over from here on, before anyone can learn that the server listens: a stop
        // asked for right after always goes through the graceful path.
        let stop = stop_requested();
        for addr in &addrs {
            log::info!("listening on http://{addr}");
        }
        let server = server.run();
        let stopping_deliverer = deliverer.clone();
        // One check for all live streams, not one per stream.
        streams.start_hub(store.clone(), Duration::from_secs(config.server.sse_recheck_secs));
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            stop.await;
            log::info!("stopping: no new connections, live streams closed, requests in flight answered");
            // A stream never ends by itself: closed first, or the stop waits out its timeout.
            streams.close_all();
            // Deliveries in flight finish (within the shutdown timeout) while the requests in
            // flight are answered; nothing more is claimed.
            stopping_deliverer.begin_stop();
            handle.stop(true).await;
        });
        server.await.context("the HTTP server failed")
    })
}

/// Handles SIGTERM (service managers, `kill`) and SIGINT (Ctrl-C) from now on, instead of
/// their default of ending the process at once; resolves when one arrives.
#[cfg(unix)]
fn stop_requested() -> impl std::future::Future<Output = ()> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let (terminate, interrupt) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                log::warn!("stop signals cannot be handled ({error}); Ctrl-C still stops the server");
                let _ = actix_web::rt::signal::ctrl_c().await;
            }
        }
    }
}

/// Resolves on Ctrl-C (no SIGTERM here).
#[cfg(not(unix))]
fn stop_requested() -> impl std::future::Future<Output = ()> {
    async {
        let _ = actix_web::rt::signal::ctrl_c().await;
    }
}

/// On an empty database: the `Demo` company, one employee with a dashboard password, and a
/// key — key and password shown once.
fn bootstrap_demo(store: &Store) -> anyhow::Result<Option<(ApiKey, String)>> {
    let key = ApiKey::generate()?;
    let Some(demo) = store.create_demo_if_empty(&key)? else {
        return Ok(None);
    };
    let password = lead_auth::generate_password()?;
    store.set_employee_password(demo.employee_id, Some(&lead_auth::hash_password(&password)?))?;
    Ok(Some((key, password)))
}

/// How the operator runs this binary again: `cargo run --release --` under cargo (which
/// says so in the environment), otherwise the path it was started by.
fn operator_command() -> String {
    let program = std::env::args().next().unwrap_or_else(|| "lead-server".into());
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some_and(|dir| !dir.is_empty()) {
        let release = program.contains("/release/") || program.contains("\\release\\");
        return if release {
            "cargo run --release --"
        } else {
            "cargo run --"
        }
        .into();
    }
    if program.contains(char::is_whitespace) {
        format!("'{program}'")
    } else {
        program
    }
}

/// The one deliberate print of a key besides `key issue`: to stdout, never to the log.
fn print_demo_banner(key: &ApiKey, password: &str, addr: SocketAddr, database_url: &str) {
    let host = match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        other => other.to_string(),
    };
    let default_url = Config::load(None).map(|c| c.database.url).unwrap_or_default();
    let database = if database_url == default_url {
        String::new()
    } else {
        format!(" --database-url '{database_url}'")
    };
    let key = key.expose();
    let command = operator_command();
    println!(
        "\n\
================================================================================\n\
First start: created the company \"Demo\" with one employee and this API key.\n\
The key is shown only this once - keep it:\n\n    {key}\n\n\
Send a first lead:\n\n\
curl -X POST 'http://{host}/api/v1/lead.php' -H 'X-API-KEY: {key}' -H 'Content-Type: application/json' -d '{{\"type\":\"order\",\"email\":\"kunde@example.com\",\"subject\":\"Testbestellung\",\"total\":49.90}}'\n\n\
Then see it (from another terminal):\n\n\
{command} orders list --company Demo{database}\n\n\
or in the team's dashboard: http://{host}/app/ - log in as team@demo.example\n\
with the password (also shown only this once):\n\n    {password}\n\
================================================================================\n"
    );
}
