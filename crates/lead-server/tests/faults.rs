//! Database faults under a running server: a full disk, a read-only file system, a deleted
//! database directory, PostgreSQL gone. Leads get `500 internal_error` with the contract's
//! body, nothing is half-written or acknowledged and then lost, `/healthz` says 503 — and when
//! the database is back, the server serves again by itself.
//!
//! A full disk needs a small file system of its own (the test mounts a tmpfs) and a read-only
//! file the immutable attribute (`chattr +i`): both need root, and are skipped elsewhere with
//! a printed reason.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Backend, Response, TestApp, TestDb};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","total":10}"#;
/// Sent during a fault, and after it (another body than ORDER: not a duplicate of it).
const DURING: &str = r#"{"type":"order","email":"kunde@beispiel.de","total":10,"when":"during the fault"}"#;
const AFTER: &str = r#"{"type":"order","email":"kunde@beispiel.de","total":10,"when":"after the fault"}"#;
/// Short waits for a connection, so that a fault is answered quickly.
const CONFIG: &str = "[database]\npool_timeout_ms = 500\n";

fn healthz(app: &TestApp) -> u16 {
    app.server.request("GET", "/healthz", &[], b"").status
}

/// Waits (a health check's answer is reused for a second) until `/healthz` says `status`.
fn healthz_becomes(app: &TestApp, status: u16) -> Response {
    lead_testkit::wait_until(&format!("/healthz answering {status}"), Duration::from_secs(4), || {
        let health = app.server.request("GET", "/healthz", &[], b"");
        (health.status == status).then_some(health)
    })
}

/// Tests that need root (a tmpfs, chattr) skip without it — except in CI, which runs as root.
fn skip_without_root(reason: &str) {
    assert!(
        std::env::var_os("LEAD_TEST_REQUIRE_TOOLS").is_none(),
        "{reason}, but CI must run this test"
    );
    eprintln!("skipped: {reason}");
}

/// While the database fails: leads and the health check are refused with the contract's
/// body, and nothing new is stored — checked with `count` where the database can still be
/// read during the fault (elsewhere the counts after recovery show it).
fn assert_refused(app: &TestApp, count: Option<&dyn Fn() -> i64>) {
    let before = count.map(|count| count());
    for _ in 0..3 {
        let response = app.post_lead(&app.acme.key, DURING);
        assert!(
            [500, 503].contains(&response.status),
            "a lead during the fault: {} {}",
            response.status,
            response.text()
        );
        response.assert_error(response.status, "internal_error", None);
    }
    healthz_becomes(app, 503).assert_error(503, "internal_error", None);
    if let Some(count) = count {
        assert_eq!(Some(count()), before, "nothing was stored during the fault");
    }
}

/// After the fault: the server takes leads again without a restart.
fn assert_recovered(app: &TestApp) {
    lead_testkit::eventually("the server took leads again", Duration::from_secs(5), || {
        app.post_lead(&app.acme.key, AFTER).status == 200
    });
    healthz_becomes(app, 200);
}

/// Every order has its notifications (one per employee) and the file is sound.
fn assert_consistent(path: &Path, employees: i64) {
    let mut conn = common::raw_sqlite(path);
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let orphans: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM web_orders o WHERE (SELECT COUNT(*) FROM notifications x WHERE x.order_id = o.id) <> {employees}"
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(orphans.n, 0, "an order without all its notifications");
    conn.batch_execute("PRAGMA integrity_check;").unwrap();
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check: Check = diesel::sql_query("PRAGMA integrity_check")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(check.integrity_check, "ok");
}

/// Copies the write-ahead log into the database and truncates it to nothing, retrying while
/// a reader of an older snapshot holds it.
fn empty_the_log(path: &Path) {
    #[derive(diesel::QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    let mut conn = common::raw_sqlite(path);
    for _ in 0..100 {
        let done: Checkpoint = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .get_result(&mut conn)
            .unwrap();
        if done.busy == 0 {
            let log = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
            assert_eq!(log, 0, "the write-ahead log was not emptied");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the write-ahead log stayed busy");
}

/// A tmpfs of `size` at a fresh temporary folder, unmounted on drop; `None` without root.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    fn new(size: &str) -> Option<Mount> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            skip_without_root("filling a disk needs a small tmpfs, and mounting one needs root");
            return None;
        }
        Some(Mount { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// A server on a database inside this mount (its own TempDir keeps nothing there).
    fn app(&self) -> TestApp {
        let db = TestDb::sqlite_at(tempfile::tempdir().unwrap(), self.path().join("leads.db"));
        TestApp::spawn_on(db, &format!("{}{CONFIG}", TestApp::CONFIG))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_refuses_leads_and_recovers_when_space_is_freed() {
    let Some(mount) = Mount::new("8m") else { return };
    let app = mount.app();
    assert_eq!(app.post_lead(&app.acme.key, ORDER).status, 200);
    assert_eq!(healthz(&app), 200);

    // The write-ahead log emptied first: a log that was checkpointed and kept its size would
    // take the next commits without growing (the server's checkpointer makes that happen at
    // any moment), and the leads below must need new space.
    empty_the_log(&app.db.path());
    // Fill the file system to the last byte.
    let filler = mount.path().join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let byte = [0u8; 1];
        while file.write_all(&byte).is_ok() {}
    }
    // Leads big enough that the log must grow.
    let big = format!(
        r#"{{"type":"ticket","email":"a@b.de","message":"{}"}}"#,
        "x".repeat(19_000)
    );
    let tickets = || app.store.totals().map(|t| t.tickets).unwrap_or(-1);
    for _ in 0..3 {
        let response = app.post_lead(&app.acme.key, &big);
        response.assert_error(500, "internal_error", None);
    }
    let orders = || app.store.totals().map(|t| t.orders).unwrap_or(-1);
    assert_refused(&app, Some(&orders));
    assert_eq!(tickets(), 0);

    std::fs::remove_file(&filler).unwrap();
    assert_recovered(&app);
    assert_eq!(app.post_lead(&app.acme.key, &big).status, 200);
    assert_consistent(&app.db.path(), 2);
}

/// Makes `files` read-only even for root (the immutable attribute); `false` where that is
/// not possible (not root, or a file system without it).
fn set_immutable(files: &[PathBuf], on: bool) -> bool {
    Command::new("chattr")
        .arg(if on { "+i" } else { "-i" })
        .args(files)
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn a_read_only_database_file_refuses_leads_and_recovers_when_writable() {
    let app = TestApp::spawn_with(CONFIG);
    assert_eq!(app.post_lead(&app.acme.key, ORDER).status, 200);
    let path = app.db.path();
    let files = [path.clone(), PathBuf::from(format!("{}-wal", path.display()))];
    if !set_immutable(&files, true) {
        skip_without_root("making the database file read-only for root needs chattr +i (root, ext4)");
        return;
    }
    let orders = || app.store.totals().map(|t| t.orders).unwrap_or(-1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assert_refused(&app, Some(&orders))));
    assert!(set_immutable(&files, false));
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert_recovered(&app);
    assert_consistent(&path, 2);
}

#[test]
fn a_deleted_database_directory_acknowledges_nothing_until_the_file_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = TestDb::sqlite_at(dir, data.join("leads.db"));
    let app = TestApp::spawn_on(db, &format!("{}{CONFIG}", TestApp::CONFIG));
    assert_eq!(app.post_lead(&app.acme.key, ORDER).status, 200);
    // The operator's backup, then the accident.
    let backup = app.db.dir.path().join("backup.db");
    common::raw_sqlite(&app.db.path())
        .batch_execute(&format!("VACUUM INTO '{}';", backup.display()))
        .unwrap();
    std::fs::remove_dir_all(&data).unwrap();

    // The server still holds the deleted file open; it must not take leads into it.
    // The deleted file cannot be read any more; after the restore, the counts show that
    // nothing of the fault got in.
    assert_refused(&app, None);
    assert!(!data.exists(), "no new, empty database was created in its place");

    // Restored from the backup: the server uses the file again by itself.
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(&backup, app.db.path()).unwrap();
    assert_recovered(&app);
    let store = app.db.store();
    let orders = store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(
        orders.len(),
        2,
        "the order from before the backup and the one after the restore"
    );
    assert_consistent(&app.db.path(), 2);
}

#[test]
fn postgres_gone_refuses_leads_and_recovers_when_it_is_back() {
    common::with_backend(Backend::Postgres, || {
        let app = TestApp::spawn_with(CONFIG);
        assert_eq!(app.post_lead(&app.acme.key, ORDER).status, 200);
        let name = app.db.postgres_name().unwrap().to_owned();
        // As good as stopped, for this database: nobody may connect, every session is ended.
        app.db
            .execute_on_server(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false;"));
        app.db.execute_on_server(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ));
        // Nobody can read the closed database; the totals after recovery show the rest.
        assert_refused(&app, None);
        app.db
            .execute_on_server(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"));
        assert_recovered(&app);
        let totals = app.store.totals().unwrap();
        assert_eq!(totals.orders, 2, "the order before the outage and the one after");
        assert_eq!(totals.notifications, 4, "each with one notification per employee");
    });
}
