//! `--metrics`: what `/metrics` costs the leads. Two servers, each on a fresh SQLite database
//! of its own — one with `[metrics]` off, one with it on and scraped every second as
//! Prometheus would — take the same load in turns, round after round, in one run; their lead
//! rates are compared. Taking turns spreads the machine's drift over both.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use crate::load::{self, Mode, Outcome};
use crate::server::ServerProcess;
use crate::Args;

/// One server of the comparison and the load it took.
struct Side {
    name: &'static str,
    url: String,
    server: ServerProcess,
    requests: Rc<load::Requests>,
    before: lead_store::Totals,
    outcomes: Vec<Outcome>,
    /// The server's CPU time during the measured phases.
    cpu: Duration,
}

/// Runs the comparison and prints it.
pub(crate) fn compare(args: &Args, dir: &std::path::Path) -> anyhow::Result<()> {
    let bodies = load::bodies(true, false);
    let mut sides = Vec::new();
    for (name, enabled) in [("metrics off", false), ("metrics on, scraped every second", true)] {
        let file = if enabled { "on" } else { "off" };
        let url = format!("sqlite://{}", dir.join(format!("{file}.db")).display());
        let (key, before, _) = crate::create_company(&url, args.employees)?;
        let config = dir.join(format!("{file}.toml"));
        std::fs::write(
            &config,
            format!(
                "[database]\nsynchronous = \"{}\"\n[limits]\nper_ip = 0\nper_key = 0\n[metrics]\nenabled = {enabled}\n",
                args.synchronous
            ),
        )?;
        let server = ServerProcess::start(&url, &config, &args.server_log)?;
        sides.push(Side {
            name,
            url,
            server,
            requests: Rc::new(load::requests(&bodies, "POST", Some(key.expose()))),
            before,
            outcomes: Vec::new(),
            cpu: Duration::ZERO,
        });
    }
    let scraped = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = scrape_every_second(sides[1].server.addr, scraped.clone(), stop.clone());
    println!(
        "lead-bench --metrics: orders, {} connections, {} rounds of {} s per server, taking turns",
        args.connections, args.rounds, args.seconds
    );
    for side in &sides {
        load::run(
            side.server.addr,
            &side.requests,
            args.connections,
            Duration::from_secs(1),
            Mode::Closed,
        )?;
    }
    for round in 1..=args.rounds {
        for side in &mut sides {
            let cpu_before = side.server.cpu_time();
            let outcome = load::run(
                side.server.addr,
                &side.requests,
                args.connections,
                Duration::from_secs(args.seconds),
                Mode::Closed,
            )?;
            side.cpu += side
                .server
                .cpu_time()
                .zip(cpu_before)
                .map_or(Duration::ZERO, |(after, before)| after.saturating_sub(before));
            println!(
                "round {round}, {}: {:.0} leads/s answered 200",
                side.name,
                outcome.ok_per_second()
            );
            side.outcomes.push(outcome);
        }
    }
    stop.store(true, Ordering::SeqCst);
    let failed_scrapes = scraper.join().unwrap_or(u64::MAX);
    let rate = |side: &Side| {
        let ok: u64 = side.outcomes.iter().map(Outcome::ok).sum();
        let seconds: f64 = side.outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
        ok as f64 / seconds.max(f64::MIN_POSITIVE)
    };
    let (off, on) = (rate(&sides[0]), rate(&sides[1]));
    // Each round's pair taken on its own, too: the machine's drift between rounds cancels.
    let mut ratios: Vec<f64> = sides[0]
        .outcomes
        .iter()
        .zip(&sides[1].outcomes)
        .map(|(off, on)| on.ok_per_second() / off.ok_per_second().max(f64::MIN_POSITIVE))
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "metrics: {off:.0} leads/s off, {on:.0} leads/s on ({} scrapes, {failed_scrapes} failed); ratio on/off = {:.3}, \
         median of the rounds' ratios = {:.3}",
        scraped.load(Ordering::SeqCst),
        on / off.max(f64::MIN_POSITIVE),
        ratios[ratios.len() / 2]
    );
    // The server's own work per lead: steadier than the rate on a shared machine.
    for side in &sides {
        let ok: u64 = side.outcomes.iter().map(Outcome::ok).sum();
        println!(
            "{}: server CPU {:.1} µs per lead answered 200",
            side.name,
            side.cpu.as_secs_f64() * 1e6 / ok.max(1) as f64
        );
    }
    for side in &mut sides {
        side.server.stop();
    }
    for side in &sides {
        let accepted: u64 = side.outcomes.iter().map(Outcome::ok).sum();
        // The warm-up's leads were stored too.
        let store = lead_store::Store::open(&lead_store::StoreConfig::new(&side.url))?;
        let stored = (store.totals()?.orders - side.before.orders) as u64;
        if stored < accepted {
            bail!("{}: {accepted} answers 200, but only {stored} orders stored", side.name);
        }
    }
    if failed_scrapes > 0 {
        bail!("{failed_scrapes} scrapes of /metrics failed");
    }
    Ok(())
}

/// GETs `/metrics` of `addr` once a second until `stop`; how many failed.
fn scrape_every_second(
    addr: SocketAddr,
    scraped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut failed = 0;
        while !stop.load(Ordering::SeqCst) {
            let ok = TcpStream::connect(addr)
                .and_then(|mut stream| {
                    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")?;
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer)?;
                    Ok(answer.starts_with(b"HTTP/1.1 200"))
                })
                .unwrap_or(false);
            if !ok {
                failed += 1;
            }
            scraped.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(1));
        }
        failed
    })
}
