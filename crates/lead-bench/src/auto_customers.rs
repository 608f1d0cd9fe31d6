//! `--auto-customers`: what a customer file of its own for every new sender costs. Every lead
//! comes from a new address (the sequence number in it); the measured phase runs with the
//! company's „Neue Absender automatisch als Kunden anlegen“ off, then this phase with it on for
//! all leads, the same load on the same server and database.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use lead_store::{AutoCustomers, CompanyId, Store, StoreConfig};

use crate::load::{self, Mode, Outcome, Requests};

/// The bodies with a new sender each: the sequence number in the address.
pub fn new_senders(bodies: Vec<String>) -> Vec<String> {
    bodies
        .into_iter()
        .map(|body| body.replacen("@beispiel.de", "+{seq}@beispiel.de", 1))
        .collect()
}

/// Turns automatic files on for all leads, runs the load again, and prints it beside
/// `without` (the measured phase); its outcome.
pub fn phase(
    args: &crate::Args,
    url: &str,
    company: CompanyId,
    addr: SocketAddr,
    requests: &Rc<Requests>,
    without: &Outcome,
) -> anyhow::Result<Outcome> {
    let mode = match args.rate {
        Some(rate) => Mode::Open { rate },
        None => Mode::Closed,
    };
    let (connections, seconds) = (args.connections, Duration::from_secs(args.seconds));
    let customers = || crate::count(url, "SELECT COUNT(*) AS n FROM customers");
    let before = customers()?;
    Store::open(&StoreConfig::new(url))?
        .access()
        .set_auto_customers(company, AutoCustomers::All)?;
    let with = load::run(addr, requests, connections, seconds, mode)?;
    with.print("database path with a customer file made for every new sender");
    println!("  customer files made: {}", customers()? - before);
    println!(
        "ratio: leads/s answered 200 with automatic customer files / without (the phase above) = {:.2}",
        with.ok_per_second() / without.ok_per_second().max(f64::MIN_POSITIVE)
    );
    Ok(with)
}
