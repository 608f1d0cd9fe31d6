//! What a live stream reads, in the order notifications became visible: on PostgreSQL a row
//! whose transaction is younger than one still running anywhere on the server waits (it might
//! otherwise be passed by an older one committed later), and a stream that starts meanwhile
//! never gives out as new what was there before it.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use lead_store::{NotificationId, StreamCursor};
use std::time::Duration;

use lead_testkit::{backend_test, postgres_url, wait_until, Backend, TestDb};

mod support;
use support::{order_from, tenant};

/// The ids a read after `cursor` gives out, whether more is waiting, and the next cursor.
fn read(
    store: &lead_store::Store,
    employee: lead_store::EmployeeId,
    cursor: &StreamCursor,
) -> (Vec<NotificationId>, bool, StreamCursor) {
    let batch = store.team().notifications_after(employee, cursor, 100).unwrap();
    (
        batch.notifications.iter().map(|n| n.id).collect(),
        batch.waiting,
        batch.cursor,
    )
}

#[test]
fn a_notification_waits_for_older_transactions_and_a_new_stream_skips_what_was_there() {
    let Some(server) = postgres_url() else {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL; the order of commits matters on PostgreSQL");
        return;
    };
    let db = TestDb::new_on(Backend::Postgres);
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let employee = store.access().list_employees(acme.company_id).unwrap()[0].id;

    // A write transaction elsewhere on the server, older than everything below, left open.
    let mut elsewhere = diesel::PgConnection::establish(&server).unwrap();
    elsewhere.batch_execute("BEGIN; SELECT pg_current_xact_id();").unwrap();
    store
        .intake()
        .record_lead(acme, order_from("first@example.de"))
        .unwrap();
    let first = store.team().list_notifications(employee, false, None, None).unwrap()[0].id;

    // A stream started now: the first notification is there already — not new to it — but
    // not in order yet (the open transaction could still commit one before it).
    let start = store.team().stream_start(employee, None).unwrap();
    let (given, waiting, _) = read(&store, employee, &start);
    assert!(given.is_empty());
    assert!(waiting, "the first one waits for the older transaction");
    // A stream resumed before it waits too, rather than give it out of order.
    let resumed = store
        .team()
        .stream_start(employee, Some(NotificationId::new(0)))
        .unwrap();
    let (given, waiting, _) = read(&store, employee, &resumed);
    assert!(given.is_empty() && waiting);

    store
        .intake()
        .record_lead(acme, order_from("second@example.de"))
        .unwrap();
    let second = store.team().list_notifications(employee, false, None, None).unwrap()[0].id;
    elsewhere.batch_execute("COMMIT;").unwrap();

    // Now both are in order — once every transaction older than theirs anywhere on the server
    // has ended (other tests' share it): the new stream gives out only the second, the
    // resumed one both.
    let in_order = |cursor: &StreamCursor| {
        wait_until("the older transactions to end", Duration::from_secs(10), || {
            let (given, waiting, next) = read(&store, employee, cursor);
            (!waiting).then_some((given, next))
        })
    };
    let (given, next) = in_order(&start);
    assert_eq!(given, vec![second]);
    assert_eq!(read(&store, employee, &next).0, Vec::<NotificationId>::new());
    assert_eq!(in_order(&resumed).0, vec![first, second]);
    // A client resuming after the first gets the second.
    let after_first = store.team().stream_start(employee, Some(first)).unwrap();
    assert_eq!(in_order(&after_first).0, vec![second]);
}

backend_test! {
fn a_stream_gives_out_what_comes_after_it_started_once() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let employee = store.access().list_employees(acme.company_id).unwrap()[0].id;
    store.intake().record_lead(acme, order_from("before@example.de")).unwrap();
    let start = store.team().stream_start(employee, None).unwrap();
    assert_eq!(read(&store, employee, &start).0, Vec::<NotificationId>::new());
    store.intake().record_lead(acme, order_from("after@example.de")).unwrap();
    let newest = store.team().list_notifications(employee, false, None, None).unwrap()[0].id;
    // (On PostgreSQL perhaps only once other tests' transactions have ended.)
    let (given, next) = wait_until("the notification in order", Duration::from_secs(10), || {
        let (given, waiting, next) = read(&store, employee, &start);
        (!waiting).then_some((given, next))
    });
    assert_eq!(given, vec![newest]);
    assert_eq!(read(&store, employee, &next).0, Vec::<NotificationId>::new());
}
}

#[test]
fn notifications_restored_from_another_cluster_do_not_hold_the_streams() {
    let Some(_) = postgres_url() else {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL; transaction ids are PostgreSQL's");
        return;
    };
    let db = TestDb::new_on(Backend::Postgres);
    let (old, employee) = {
        let store = db.store();
        let (acme, _) = tenant(&store, "Acme");
        store.intake().record_lead(acme, order_from("old@example.de")).unwrap();
        let employee = store.access().list_employees(acme.company_id).unwrap()[0].id;
        (
            store.team().list_notifications(employee, false, None, None).unwrap()[0].id,
            employee,
        )
    };
    // What pg_restore from a busier cluster leaves: a transaction id far beyond this one's.
    let mut raw = diesel::PgConnection::establish(&db.url).unwrap();
    raw.batch_execute("UPDATE notifications SET xact = 9000000000000")
        .unwrap();
    drop(raw);

    // Opened again, the store puts them first; a client resuming after the old one, and a
    // new stream, get the next notification.
    let store = db.store();
    let acme = lead_store::Tenant {
        company_id: store.access().list_companies().unwrap()[0].id,
        key_id: store.access().list_keys(None).unwrap()[0].id,
    };
    let resumed = store.team().stream_start(employee, Some(old)).unwrap();
    let fresh = store.team().stream_start(employee, None).unwrap();
    store.intake().record_lead(acme, order_from("new@example.de")).unwrap();
    let new = store.team().list_notifications(employee, false, None, None).unwrap()[0].id;
    for cursor in [&resumed, &fresh] {
        let given = wait_until("the new notification", Duration::from_secs(10), || {
            let (given, waiting, _) = read(&store, employee, cursor);
            (!waiting).then_some(given)
        });
        assert_eq!(given, vec![new]);
    }
}

backend_test! {
fn a_client_resuming_after_an_id_the_database_no_longer_has_gets_what_comes_next() {
    // After a restore from a backup, ids are given again: a client resuming after one beyond
    // the newest must not wait for new notifications to pass it.
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let employee = store.access().list_employees(acme.company_id).unwrap()[0].id;
    store.intake().record_lead(acme, order_from("before@example.de")).unwrap();
    let resumed = store.team().stream_start(employee, Some(NotificationId::new(5000))).unwrap();
    store.intake().record_lead(acme, order_from("after@example.de")).unwrap();
    let newest = store.team().list_notifications(employee, false, None, None).unwrap()[0].id;
    let given = wait_until("the new notification", Duration::from_secs(10), || {
        let (given, waiting, _) = read(&store, employee, &resumed);
        (!waiting).then_some(given)
    });
    assert_eq!(given, vec![newest]);
}
}
