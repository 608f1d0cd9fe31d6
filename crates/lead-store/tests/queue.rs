//! The writer's queue and batches: one bad lead costs only itself, a full queue is refused at
//! once (in leads and in bytes) and nothing accepted is lost. On both backends.

use std::time::Duration;

use lead_domain::LeadBody;
use lead_store::{StoreError, Tenant};
use lead_testkit::{backend_test, wait_until, TestDb};

mod support;
use support::{order_from, tenant};

/// Queues an order from `email` without waiting for it.
fn submit(store: &lead_store::Store, tenant: Tenant, email: &str) -> lead_store::Result<lead_store::PendingLead> {
    store
        .intake()
        .submit_lead(tenant, order_from(email), Default::default())
}

backend_test! {
fn one_bad_lead_does_not_fail_its_neighbours() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    db.execute(
        "CREATE TRIGGER no_bad BEFORE INSERT ON web_orders WHEN NEW.email = 'bad@x.de' \
         BEGIN SELECT RAISE(ABORT, 'bad lead'); END;",
        "CREATE FUNCTION no_bad() RETURNS trigger AS $$ BEGIN \
         IF NEW.email = 'bad@x.de' THEN RAISE EXCEPTION 'bad lead'; END IF; RETURN NEW; END; \
         $$ LANGUAGE plpgsql; \
         CREATE TRIGGER no_bad BEFORE INSERT ON web_orders FOR EACH ROW EXECUTE FUNCTION no_bad();",
    );
    // Queued without waiting, so the writer takes them in as few batches as it can.
    let pending: Vec<_> = (0..50)
        .map(|i| {
            let email = if i == 25 { "bad@x.de".to_owned() } else { format!("k{i}@x.de") };
            submit(&store, acme, &email).unwrap()
        })
        .collect();
    let outcomes: Vec<_> = pending.into_iter().map(|p| p.wait()).collect();
    assert!(matches!(outcomes[25], Err(StoreError::Database(_))), "{:?}", outcomes[25]);
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 49);
    let totals = store.totals().unwrap();
    assert_eq!((totals.orders, totals.notifications), (49, 49), "the bad lead left nothing behind");
    // Leads of one batch share its timestamp: fewer distinct times than leads proves that
    // the bad lead's neighbours were committed in the same transaction as its attempt.
    let orders = store.team().leads::<lead_store::OrderRecord>(acme.company_id, &Default::default()).unwrap();
    let mut times: Vec<_> = orders.iter().map(|o| o.created_at).collect();
    times.dedup();
    assert!(times.len() < 49, "the 50 leads were committed in batches, not one by one");
}
}

backend_test! {
fn a_full_queue_is_refused_at_once_and_nothing_is_lost() {
    let db = TestDb::new();
    let store = db.store_with(|config| {
        config.write_queue = 2;
        config.busy_timeout = Duration::from_secs(30);
        // PostgreSQL: one writer, so that what waits is what the queue holds.
        config.postgres_writers = 1;
    });
    let (acme, _) = tenant(&store, "Acme");

    // Another connection holds the write path: the writer stalls and the queue fills up.
    let held = db.hold_writes();
    // The first lead reaches the writer, which then waits…
    let mut accepted = vec![submit(&store, acme, "first@x.de").unwrap()];
    wait_until("the writer took the first lead", Duration::from_secs(10), || {
        (store.intake().queue_load().leads == 0).then_some(())
    });
    // …so two more fit the queue, and the rest are refused at once.
    let mut refused = 0;
    for i in 0..9 {
        match submit(&store, acme, &format!("k{i}@x.de")) {
            Ok(pending) => accepted.push(pending),
            Err(StoreError::Busy) => refused += 1,
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((accepted.len(), refused), (3, 7));
    held.release();
    let committed = accepted.into_iter().map(|p| p.wait()).filter(Result::is_ok).count();
    assert_eq!(committed, 3);
    assert_eq!(store.totals().unwrap().orders as usize, committed, "every accepted lead is stored");
}
}

backend_test! {
fn the_queue_is_bounded_in_bytes_too() {
    let db = TestDb::new();
    let store = db.store_with(|config| {
        config.write_queue_bytes = 200 * 1024; // three bodies of 64 KiB, and a little
        config.busy_timeout = Duration::from_secs(30);
        config.postgres_writers = 1;
    });
    let (acme, _) = tenant(&store, "Acme");
    let held = db.hold_writes();
    let first = submit(&store, acme, "first@x.de").unwrap();
    wait_until("the writer took the first lead", Duration::from_secs(10), || {
        (store.intake().queue_load().leads == 0).then_some(())
    });
    let big = |i: usize| {
        let body = format!(
            r#"{{"type":"order","email":"k{i}@x.de","total":1,"pad":"{}"}}"#,
            "x".repeat(64 * 1024 - 60)
        );
        LeadBody::parse(body).unwrap()
    };
    let outcomes: Vec<_> = (0..5).map(|i| store.intake().submit_lead(acme, big(i), Default::default())).collect();
    let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(accepted, 3, "200 KiB hold three 64 KiB bodies");
    assert_eq!(store.intake().queue_load().leads, 3);
    assert!(outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .all(|e| matches!(e, StoreError::Busy)));
    held.release();
    first.wait().unwrap();
    for pending in outcomes.into_iter().flatten() {
        pending.wait().unwrap();
    }
    assert_eq!(store.totals().unwrap().orders, 4);
    assert_eq!(store.intake().queue_load(), Default::default());
}
}
