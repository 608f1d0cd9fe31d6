//! Crash safety: leads under load, the server killed with SIGKILL mid-stream, five times.
//! Every lead that was answered 200 must be stored with all its notifications (and a ticket with
//! its file), no record may exist without its notifications, and the SQLite file must pass its
//! integrity check.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use common::{add_company, Server, TestDb};
use diesel::prelude::*;

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[test]
fn acknowledged_leads_survive_sigkill_with_all_their_notifications() {
    let db = TestDb::new_on(common::Backend::Sqlite);
    let store = db.store();
    let acme = add_company(&store, "Acme", 2);
    let config = db.dir.path().join("crash.toml");
    std::fs::write(&config, common::TestApp::CONFIG).unwrap();
    let config = config.to_str().unwrap().to_owned();

    let acknowledged = Mutex::new(BTreeSet::new()); // (type, id) answered 200
                                                    // Every ticket comes with a file of 4 KiB: stored in its transaction, or not at all.
    let file = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode([b'a'; 4096])
    };
    let file = file.as_str();
    for round in 0..5 {
        let server = Server::start_with_config(&db.url, &config);
        let addr = server.addr;
        let stop = AtomicBool::new(false);
        let before = acknowledged.lock().unwrap().len();
        std::thread::scope(|scope| {
            for worker in 0..8 {
                let (stop, acknowledged, key) = (&stop, &acknowledged, acme.key.as_str());
                let attachment = format!(r#"[{{"filename":"datei.txt","data":"{file}"}}]"#);
                scope.spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let body = if n % 3 == 0 {
                            format!(r#"{{"type":"ticket","email":"k{worker}@x.de","message":"Runde {round} Nr. {n}","attachments":{attachment}}}"#)
                        } else {
                            // Distinct in every round: a repeated body would be a duplicate.
                            format!(r#"{{"type":"order","email":"k{worker}@x.de","subject":"Runde {round} Nr. {n}","total":{n}.5}}"#)
                        };
                        let raw = format!(
                            "POST /api/v1/lead HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: {key}\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if let Ok(answer) = common::try_send(addr, raw.as_bytes()) {
                            if answer.status == 200 {
                                let json = answer.json();
                                let kind = json["type"].as_str().unwrap().to_owned();
                                acknowledged.lock().unwrap().insert((kind, json["id"].as_i64().unwrap()));
                            }
                        }
                    }
                });
            }
            // Let load build up, then pull the plug (SIGKILL) while requests are in flight.
            let load = before + 100 + 50 * round;
            lead_testkit::eventually("leads acknowledged under load", Duration::from_secs(30), || {
                acknowledged.lock().unwrap().len() >= load
            });
            server.kill();
            stop.store(true, Ordering::SeqCst);
        });
    }

    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > 100,
        "the load was real: {} leads answered 200",
        acknowledged.len()
    );
    let store = db.store();
    let orders: BTreeSet<i64> = store
        .team()
        .leads::<lead_store::OrderRecord>(acme.id, &Default::default())
        .unwrap()
        .iter()
        .map(|o| o.id.get())
        .collect();
    let stored_tickets = store
        .team()
        .leads::<lead_store::TicketRecord>(acme.id, &Default::default())
        .unwrap();
    for ticket in &stored_tickets {
        let sizes: Vec<i64> = ticket.attachments.iter().map(|file| file.size).collect();
        assert_eq!(sizes, [4096], "ticket {} has its file, once", ticket.id);
    }
    let tickets: BTreeSet<i64> = stored_tickets.iter().map(|t| t.id.get()).collect();
    for (kind, id) in &acknowledged {
        let stored = if kind == "order" {
            orders.contains(id)
        } else {
            tickets.contains(id)
        };
        assert!(stored, "{kind} {id} was answered 200 but is not stored");
    }
    // Every stored record — acknowledged or cut off before its answer — has both notifications.
    let mut per_record: BTreeMap<(bool, i64), usize> = BTreeMap::new();
    for employee in &acme.employees {
        for note in store.team().list_notifications(*employee, false, None, None).unwrap() {
            let record = match note.lead.expect("a lead's notification") {
                lead_store::LeadId::Order(order) => (true, order.get()),
                lead_store::LeadId::Ticket(ticket) => (false, ticket.get()),
            };
            *per_record.entry(record).or_default() += 1;
        }
    }
    let records: Vec<(bool, i64)> = orders
        .iter()
        .map(|id| (true, *id))
        .chain(tickets.iter().map(|id| (false, *id)))
        .collect();
    assert_eq!(
        per_record.len(),
        records.len(),
        "no notification without its record, no record without notifications"
    );
    for record in &records {
        assert_eq!(
            per_record.get(record),
            Some(&2),
            "{record:?} has not exactly one notification per employee"
        );
    }
    let mut conn = common::raw_sqlite(&db.path());
    let check: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn).unwrap();
    assert_eq!(
        check.iter().map(|c| c.integrity_check.as_str()).collect::<Vec<_>>(),
        ["ok"]
    );
    eprintln!(
        "crash test: 5 SIGKILLs, {} leads answered 200, {} records stored, all with their notifications, integrity ok",
        acknowledged.len(),
        records.len()
    );
}
