//! Creating a database that does not exist yet (what `lead-bench --database-url` relies on).

use lead_store::{create_database_if_missing, Store, StoreConfig};
use lead_testkit::postgres_url;

#[test]
fn a_missing_postgresql_database_is_created_once() {
    let Some(server) = postgres_url() else {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL to run the PostgreSQL variant of this test");
        return;
    };
    let name = format!("lead_created_{}", std::process::id());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    let url = format!("{base}/{name}");
    assert!(create_database_if_missing(&url).unwrap(), "created");
    assert!(!create_database_if_missing(&url).unwrap(), "there already");
    let store = Store::open(&StoreConfig::new(url.clone())).unwrap();
    store.check_health().unwrap();
    drop(store);
    let drop = format!("DROP DATABASE {name} WITH (FORCE)");
    let mut admin = {
        use diesel::Connection;
        diesel::PgConnection::establish(&server).unwrap()
    };
    diesel::connection::SimpleConnection::batch_execute(&mut admin, &drop).unwrap();
}

#[test]
fn sqlite_needs_no_creating_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    assert!(!create_database_if_missing(&url).unwrap());
    assert!(create_database_if_missing("mysql://x@y/z").is_err());
}
