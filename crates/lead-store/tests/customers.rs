//! Customers across versions: one that a server of the version before further addresses
//! added during a rolling upgrade (its address not yet in `customer_emails`) gets the row of
//! its address at the next start, and leads from it are filed under it again.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use lead_testkit::{backend_test, TestDb};

mod support;
use support::{order_from, tenant};

/// Deletes every row of `customer_emails`, as customers added by the older version have none.
fn as_the_older_version_left_them(db: &TestDb) {
    // Waits for the store just closed, if it still holds the file (SQLite).
    let sql = "DELETE FROM customer_emails;";
    if db.url.starts_with("postgres") {
        diesel::PgConnection::establish(&db.url)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    } else {
        let path = db.path();
        diesel::SqliteConnection::establish(path.to_str().unwrap())
            .unwrap()
            .batch_execute(&format!("PRAGMA busy_timeout = 5000; {sql}"))
            .unwrap();
    }
}

backend_test! {
fn a_customer_without_the_row_of_its_address_gets_it_at_the_next_start() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let customer = store.team().add_customer(acme.company_id, "Alt", "alt@kunde.de").unwrap().id;
    drop(store);
    as_the_older_version_left_them(&db);
    let store = db.store();
    let recorded = store.intake().record_lead(acme, order_from("ALT@kunde.de")).unwrap();
    assert_eq!(recorded.customer_id, Some(customer));
    // And only once: a second start adds nothing more.
    drop(store);
    let store = db.store();
    let again = store.intake().record_lead(acme, order_from("alt@kunde.de")).unwrap();
    assert_eq!(again.customer_id, Some(customer));
    assert_eq!(store.team().get_customer(acme.company_id, customer).unwrap().emails, Vec::<String>::new());
}
}
