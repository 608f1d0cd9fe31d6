//! `--login-flood`: what strangers' wrong logins cost the server's memory. 2,000 logins with
//! unknown e-mail addresses and wrong passwords, from 500 client addresses (through a trusted
//! proxy's `X-Forwarded-For`, none of them over its limit), six at a time; the server's
//! resident memory before, at its peak, and ten seconds after the flood.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::server::ServerProcess;
use crate::Args;

const LOGINS: usize = 2_000;
const ADDRESSES: usize = 500;
const AT_ONCE: usize = 6;

/// Runs the flood and prints the memory it cost.
pub(crate) fn run(args: &Args, dir: &std::path::Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", dir.join("flood.db").display());
    crate::create_company(&url, 1)?;
    let config = dir.join("flood.toml");
    std::fs::write(&config, "[limits]\ntrusted_proxies = [\"127.0.0.1\"]\n")?;
    let server = ServerProcess::start(&url, &config, &args.server_log)?;
    let peak = server.watch_memory();
    let (cookie, csrf) = login_form(server.addr)?;
    std::thread::sleep(Duration::from_secs(1));
    let before = server.rss_kib().unwrap_or(0);
    println!("lead-bench --login-flood: {LOGINS} wrong logins from {ADDRESSES} addresses, {AT_ONCE} at a time");
    println!("server RSS before: {:.1} MiB", mib(before));

    let next = Arc::new(AtomicUsize::new(0));
    let statuses: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let started = Instant::now();
    let senders: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (next, statuses, cookie, csrf, addr) = (next.clone(), statuses.clone(), cookie.clone(), csrf.clone(), server.addr);
            std::thread::spawn(move || loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= LOGINS {
                    return;
                }
                let client = format!("10.{}.{}.{}", n % ADDRESSES / 65_536, n % ADDRESSES / 256 % 256, n % ADDRESSES % 256);
                let body = format!("csrf={csrf}&email=stranger{n}%40example.com&password=falsch-{n}");
                let request = format!(
                    "POST /app/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: lead_login_csrf={cookie}\r\n\
                     X-Forwarded-For: {client}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                // 0: no answer.
                let status = send(addr, &request).unwrap_or(0);
                *statuses.lock().expect("counting").entry(status).or_default() += 1;
            })
        })
        .collect();
    for sender in senders {
        let _ = sender.join();
    }
    let took = started.elapsed();
    let during = peak.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(10));
    let after = server.rss_kib().unwrap_or(0);
    let answers: Vec<String> = statuses
        .lock()
        .expect("counted")
        .iter()
        .map(|(status, count)| match status {
            0 => format!("{count} without an answer"),
            status => format!("{count} × {status}"),
        })
        .collect();
    println!(
        "answers in {:.1} s: {} (401: the wrong password; 429: the password line was full)",
        took.as_secs_f64(),
        answers.join(", ")
    );
    println!(
        "server RSS: {:.1} MiB before, {:.1} MiB at the peak, {:.1} MiB 10 s after",
        mib(before),
        mib(during),
        mib(after)
    );
    Ok(())
}

/// The login page's CSRF cookie and field (one pair serves every post).
fn login_form(addr: SocketAddr) -> anyhow::Result<(String, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(format!("GET /app/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut page = String::new();
    stream.read_to_string(&mut page)?;
    let cookie = page
        .split("lead_login_csrf=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .context("no CSRF cookie")?
        .to_owned();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no CSRF field")?
        .to_owned();
    Ok((cookie, csrf))
}

/// Sends `request` and reads the status of its answer.
fn send(addr: SocketAddr, request: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    String::from_utf8_lossy(&answer).split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
