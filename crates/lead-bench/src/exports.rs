//! `--exports`: what CSV exports cost the lead endpoint. 20,000 orders are sent first; then
//! leads arrive at a steady rate (open loop, `--rate`, default 200/s) for `--seconds`, in turns
//! (`--rounds`) with the server otherwise idle and while 8 employees each download the order
//! export again and again (waiting out `Retry-After` when refused). Reports the leads' latency
//! in both, from the same run, and what became of the exports.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lead_store::{Store, StoreConfig};

use crate::load::{self, Mode, Outcome};
use crate::server::ServerProcess;
use crate::Args;

const ORDERS: u64 = 20_000;
const EXPORTERS: usize = 8;
const PASSWORD: &str = "Bench-Passwort-fuer-Exporte";

/// Runs both phases and prints them side by side.
pub(crate) fn run(args: &Args, dir: &std::path::Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", dir.join("exports.db").display());
    // Each exporter an employee of its own (one export at a time each), all notified of
    // every lead, as in a team.
    let (key, _, company) = crate::create_company(&url, EXPORTERS)?;
    {
        let store = Store::open(&StoreConfig::new(&url))?;
        let hash = lead_auth::hash_password(PASSWORD)?;
        for employee in store.access().list_employees(company)? {
            store.access().set_employee_password(employee.id, Some(&hash))?;
        }
    }
    let config = dir.join("exports.toml");
    std::fs::write(&config, "[limits]\nper_ip = 0\nper_key = 0\nper_token_writes = 0\n")?;
    let server = ServerProcess::start(&url, &config, &args.server_log)?;
    let requests = Rc::new(load::requests(&load::bodies(true, false), "POST", Some(key.expose())));
    let mut sent = 0;
    while sent < ORDERS {
        sent += load::run(
            server.addr,
            &requests,
            args.connections,
            Duration::from_secs(1),
            Mode::Closed,
        )?
        .ok();
    }
    let sessions = (0..EXPORTERS)
        .map(|i| log_in(server.addr, &format!("m{i}@bench.example")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rate = args.rate.unwrap_or(200);
    let seconds = Duration::from_secs(args.seconds);
    println!(
        "lead-bench --exports: {sent} orders stored; leads at {rate}/s on {} connections, {} rounds of \
         {} s idle and {} s while {EXPORTERS} employees export all orders again and again",
        args.connections, args.rounds, args.seconds, args.seconds
    );

    let phase = || load::run(server.addr, &requests, args.connections, seconds, Mode::Open { rate });
    let (mut idle, mut loaded) = (Outcome::default(), Outcome::default());
    let tally = Arc::new(Tally::default());
    for _ in 0..args.rounds {
        idle.merge(phase()?);
        let stop = Arc::new(AtomicBool::new(false));
        let exporters: Vec<_> = sessions
            .iter()
            .map(|cookie| {
                let (stop, tally, addr, cookie) = (stop.clone(), tally.clone(), server.addr, cookie.clone());
                std::thread::spawn(move || export_again_and_again(addr, &cookie, &stop, &tally))
            })
            .collect();
        // The exports under way before the leads are measured.
        std::thread::sleep(Duration::from_millis(500));
        loaded.merge(phase()?);
        stop.store(true, Ordering::SeqCst);
        for exporter in exporters {
            let _ = exporter.join();
        }
    }
    report("idle", &idle);
    report(&format!("during {EXPORTERS} exporters"), &loaded);
    let ratio = |q| {
        let (Some(idle), Some(loaded)) = (idle.percentile(q), loaded.percentile(q)) else {
            return f64::NAN;
        };
        f64::from(loaded) / f64::from(idle.max(1))
    };
    println!("ratio loaded / idle: p50 {:.2}, p99 {:.2}", ratio(0.5), ratio(0.99));
    let done = tally.done.load(Ordering::Relaxed);
    println!(
        "exports: {done} complete ({:.1} MB each, {:.1} s on average), {} refused with 429 (the budget), {} failed",
        tally.bytes.load(Ordering::Relaxed) as f64 / done.max(1) as f64 / 1e6,
        tally.millis.load(Ordering::Relaxed) as f64 / done.max(1) as f64 / 1e3,
        tally.refused.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    Ok(())
}

fn report(phase: &str, outcome: &Outcome) {
    let ms = |q| outcome.percentile(q).map_or(f64::NAN, |us| f64::from(us) / 1e3);
    println!(
        "leads {phase}: {} answered 200 of {} ({} I/O errors); p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        outcome.ok(),
        outcome.total(),
        outcome.io_errors,
        ms(0.5),
        ms(0.99),
        ms(1.0)
    );
}

/// What the exporters got.
#[derive(Default)]
struct Tally {
    done: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    millis: AtomicU64,
}

/// One employee: the order export, read to its end, again until `stop`; a refusal waits out
/// its `Retry-After` (a second).
fn export_again_and_again(addr: SocketAddr, cookie: &str, stop: &AtomicBool, tally: &Tally) {
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let request = format!(
            "GET /app/orders/export.csv HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        );
        match download(addr, &request) {
            Ok((200, bytes)) => {
                tally.done.fetch_add(1, Ordering::Relaxed);
                tally.bytes.fetch_add(bytes, Ordering::Relaxed);
                tally
                    .millis
                    .fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            Ok((429, _)) => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_secs(1));
            }
            _ => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Logs `email` in through the form: the session cookie (`lead_session=…`).
fn log_in(addr: SocketAddr, email: &str) -> anyhow::Result<String> {
    let page = exchange(
        addr,
        &format!("GET /app/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )?;
    let page = String::from_utf8_lossy(&page);
    let csrf = cookie_value(&page, "lead_login_csrf").context("no CSRF cookie")?;
    let body = format!("csrf={csrf}&email={}&password={PASSWORD}", email.replace('@', "%40"));
    let answer = exchange(
        addr,
        &format!(
            "POST /app/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: lead_login_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )?;
    let answer = String::from_utf8_lossy(&answer);
    match cookie_value(&answer, "lead_session") {
        Some(session) if !session.is_empty() => Ok(format!("lead_session={session}")),
        _ => bail!(
            "the login of {email} failed: {}",
            answer.lines().next().unwrap_or_default()
        ),
    }
}

/// The value a `Set-Cookie` of the answer gives `name`.
fn cookie_value(answer: &str, name: &str) -> Option<String> {
    answer
        .split(&format!("{name}="))
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
}

/// Sends `request` on a connection of its own and reads the whole answer.
fn exchange(addr: SocketAddr, request: &str) -> anyhow::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// Sends `request` and reads the answer to its end into a small buffer, as a browser saving
/// the file would (the client's own work stays small beside the server's): its status and
/// length.
fn download(addr: SocketAddr, request: &str) -> anyhow::Result<(u16, u64)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    stream.write_all(request.as_bytes())?;
    let mut buffer = vec![0; 64 * 1024];
    let mut first = Vec::new();
    let mut length = 0;
    loop {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Ok((status(&first), length));
        }
        if first.len() < 32 {
            first.extend_from_slice(&buffer[..read.min(32)]);
        }
        length += read as u64;
    }
}

/// The status of a raw answer (0: none).
fn status(answer: &[u8]) -> u16 {
    String::from_utf8_lossy(&answer[..answer.len().min(32)])
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}
