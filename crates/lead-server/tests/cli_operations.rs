//! The operator running it as a service: `status` for monitoring, settings from the
//! environment, files only the server's user reads, commands that never make a database where
//! there is none, backups into a folder that must exist, a daily cap set during the day, and a
//! restore after which receivers still tell deliveries apart.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::operator::{assert_fails, order};
use common::{cli, cli_with_env, eventually, last_line, token_for, Receiver, Reply, Server, TestApp, TestDb};
use serde_json::Value;

/// The binary with our settings cleared, run in `dir` (no database named unless `args` do).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::isolate(&mut Command::new(common::binary()))
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

backend_test! {
fn status_is_ok_then_needs_attention_when_deliveries_fail() {
    let receiver = Receiver::start(vec![Reply::status(500)]);
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0]\n");
    let ok = cli(&app.db.url, &["status"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let text = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(text.contains("reachable") && text.contains("none pending") && text.contains("status     ok"), "{text}");

    let allow = [("LEAD_OUTBOX_ALLOW_PRIVATE", "true")];
    last_line(&cli_with_env(&app.db.url, &["webhook", "add", "--company", "Acme", "--url", &receiver.url], &allow));
    assert_eq!(app.post_lead(&app.acme.key, &order(1)).status, 200);
    // The one attempt the schedule allows fails: the delivery failed for good.
    eventually("the delivery to fail", Duration::from_secs(15), || {
        let listed = cli(&app.db.url, &["outbox", "list", "--status", "failed", "--json"]);
        serde_json::from_str::<Value>(&last_line(&listed)).unwrap().as_array().unwrap().len() == 1
    });
    // The operator's row is the team API's view of the delivery, with the whole target.
    let listed = cli(&app.db.url, &["outbox", "list", "--status", "failed", "--json"]);
    let row = serde_json::from_str::<Value>(&last_line(&listed)).unwrap()[0].clone();
    assert_eq!(row["target"], receiver.url.as_str(), "{row}");
    let token = token_for(&app.store, app.acme.employees[0]);
    let team = app.team("GET", "/api/v1/deliveries?status=failed", &token, "").json();
    let mut seen_by_team = team["items"][0].clone();
    assert_ne!(seen_by_team["target"], row["target"], "the team sees scheme, host and port only");
    seen_by_team["target"] = row["target"].clone();
    assert_eq!(seen_by_team, row, "the same shape and values otherwise");
    let attention = cli(&app.db.url, &["status"]);
    assert_eq!(attention.status.code(), Some(1), "{}", stderr(&attention));
    assert_fails(&attention, "1 webhook deliveries failed for good in the last 24 h");
    let json = cli(&app.db.url, &["status", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let webhook = &report["outbox"].as_array().unwrap()[0];
    assert_eq!((webhook["channel"].as_str(), webhook["failed_last_day"].as_i64()), (Some("webhook"), Some(1)));
    assert_eq!(report["attention"].as_array().unwrap().len(), 1, "{report}");
}
}

#[test]
fn status_of_a_database_that_cannot_be_reached_exits_2_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let unreachable = run_in(
        dir.path(),
        &["--database-url", "postgres://lead:pa55w0rd@127.0.0.1:1/leads", "status"],
        &[],
    );
    assert_eq!(unreachable.status.code(), Some(2));
    let said = stderr(&unreachable);
    assert!(
        said.contains("cannot be reached") && said.contains("lead:***@"),
        "{said}"
    );
    assert!(!said.contains("pa55w0rd"), "{said}");
    let missing = run_in(dir.path(), &["--database-url", "sqlite://gone.db", "status"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no database at gone.db"),
        "{}",
        stderr(&missing)
    );
    assert!(!dir.path().join("gone.db").exists(), "status creates nothing");
}

#[test]
fn operator_commands_never_create_the_default_database_where_there_is_none() {
    let elsewhere = tempfile::tempdir().unwrap();
    for (args, code) in [
        (&["company", "list"][..], 1),
        (&["webhook", "list"], 1),
        (&["status"], 2),
    ] {
        let output = run_in(elsewhere.path(), args, &[]);
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        let said = stderr(&output);
        assert!(
            said.contains("no database at") && said.contains("--config FILE, LEAD_CONFIG or --database-url"),
            "{said}"
        );
    }
    assert!(!elsewhere.path().join("data").exists(), "nothing was created");
    // Named, a database is created as before.
    let named = run_in(
        elsewhere.path(),
        &["--database-url", "sqlite://mine.db", "company", "list"],
        &[],
    );
    assert!(named.status.success(), "{}", stderr(&named));
    assert!(elsewhere.path().join("mine.db").exists());
}

#[test]
fn the_database_and_its_folder_are_the_servers_users_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lead-server.toml");
    // Relative to the config file's folder, wherever the server is started from.
    std::fs::write(&config, "[database]\nurl = \"sqlite://state/db/leads.db\"\n").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // Started from this test's folder, not the file's.
    let server = Server::spawn(
        &["--config", config.to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"],
        &[],
    );
    assert!(!Path::new("state").exists());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let db = dir.path().join("state/db/leads.db");
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    assert_eq!(mode(&dir.path().join("state/db")), 0o700);
    assert_eq!(mode(&db), 0o600);
    for companion in ["leads.db-wal", "leads.db-shm"] {
        assert_eq!(mode(&dir.path().join("state/db").join(companion)), 0o600, "{companion}");
    }
    // The operator's command with the same file finds the same database.
    let listed = run_in(
        elsewhere.path(),
        &["--config", config.to_str().unwrap(), "company", "list", "--json"],
        &[],
    );
    let companies: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(companies[0]["name"], "Demo", "{}", stderr(&listed));
    drop(server);
}

#[test]
fn every_setting_comes_from_the_environment_and_a_bad_one_stops_the_start() {
    let db = TestDb::new();
    let dir = db.dir.path();
    let bad_level = run_in(
        dir,
        &["--database-url", &db.url, "serve"],
        &[("LEAD__LOG__LEVEL", "verbose")],
    );
    assert!(!bad_level.status.success());
    let said = stderr(&bad_level);
    assert!(
        said.contains("LEAD__LOG__LEVEL") && said.contains("\"verbose\" is not a level"),
        "{said}"
    );
    assert_fails(
        &run_in(
            dir,
            &["--database-url", &db.url, "company", "list"],
            &[("LEAD__SERVER__BND", "x")],
        ),
        "LEAD__SERVER__BND: [server] has no setting \"bnd\"",
    );
    // A setting that had no variable before: the dashboard's time zone, and the link the
    // first start's banner shows.
    let server = Server::start(
        &db.url,
        &[
            ("LEAD__DASHBOARD__TIME_ZONE", "Europe/Vienna"),
            ("LEAD__SERVER__PUBLIC_URL", "https://crm.example.at"),
        ],
    );
    let banner = server.wait_for_output("log in as team@demo.example");
    assert!(banner.contains("https://crm.example.at/app/"), "{banner}");
    assert!(
        banner.contains("curl -X POST 'https://crm.example.at/api/v1/lead.php'"),
        "{banner}"
    );
}

backend_test! {
fn a_cap_set_during_the_day_counts_the_days_leads_so_far() {
    let app = TestApp::spawn_with("[intake]\nkey_cache_ms = 0\n");
    for n in 0..3 {
        assert_eq!(app.post_lead(&app.acme.key, &order(n)).status, 200);
    }
    let key = app.acme.key_id.to_string();
    assert!(cli(&app.db.url, &["key", "cap", &key, "2"]).status.success());
    let past = app.post_lead(&app.acme.key, &order(9)).json()["id"].as_i64().unwrap();
    let held = cli(&app.db.url, &["orders", "list", "--company", "Acme", "--quarantined", "--json"]);
    let held: Value = serde_json::from_slice(&held.stdout).unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    assert_eq!(held[0]["id"], past);
}
}

#[test]
fn a_backup_into_a_missing_folder_names_the_folder() {
    let app = TestApp::spawn();
    let target = app.db.dir.path().join("no-such-folder/leads.db");
    let output = cli(&app.db.url, &["backup", target.to_str().unwrap()]);
    assert_fails(&output, "does not exist: create it first");
    assert!(!stderr(&output).contains("database unavailable"), "{}", stderr(&output));
}

#[test]
fn after_a_restore_new_deliveries_have_webhook_ids_never_seen_and_lead_ids_continue_from_the_backup() {
    let receiver = Receiver::start(vec![]);
    let db = TestDb::new();
    let allow = [("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];
    let server = Server::start(&db.url, &allow);
    let key = server
        .wait_for_output("curl -X POST")
        .split_whitespace()
        .find(|word| word.starts_with("lgw_") && word.len() == 47)
        .unwrap()
        .to_owned();
    last_line(&cli_with_env(
        &db.url,
        &["webhook", "add", "--company", "Demo", "--url", &receiver.url],
        &allow,
    ));
    let post = |server: &Server, n: usize| {
        server
            .request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], order(n).as_bytes())
            .json()["id"]
            .as_i64()
            .unwrap()
    };
    let ids_received = |count: usize| {
        common::wait_until("webhooks", Duration::from_secs(15), || {
            let received = receiver.received();
            (received.len() >= count).then(|| {
                received
                    .iter()
                    .map(|r| r.header("webhook-id").unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
        })
    };
    post(&server, 1);
    ids_received(1);
    let backup = db.dir.path().join("backup.db");
    last_line(&cli(&db.url, &["backup", backup.to_str().unwrap()]));
    let after_backup = post(&server, 2);
    let before_restore = ids_received(2);
    server.kill();

    // The restore: the backup in the database's place.
    let restored = db.dir.path().join("restored.db");
    std::fs::copy(&backup, &restored).unwrap();
    let url = format!("sqlite://{}", restored.display());
    let server = Server::start(&url, &allow);
    let again = post(&server, 3);
    assert_eq!(again, after_backup, "lead ids continue from the backup");
    // A delivery pending when the backup was taken may go out again — with the id it had, so
    // the receiver drops it; the new lead's has an id never given before.
    let newest = common::wait_until("the new lead's webhook", Duration::from_secs(15), || {
        receiver
            .received()
            .into_iter()
            .skip(2)
            .find(|request| request.json()["data"]["id"] == again)
    });
    let newest = newest.header("webhook-id").unwrap();
    assert!(newest.starts_with("msg_") && newest.len() > 20, "{newest}");
    assert!(
        !before_restore.contains(&newest.to_owned()),
        "{newest} was given before: {before_restore:?}"
    );
    for resent in receiver
        .received()
        .iter()
        .skip(2)
        .filter(|request| request.json()["data"]["id"] != again)
    {
        assert!(before_restore.contains(&resent.header("webhook-id").unwrap().to_owned()));
    }
}

#[test]
fn the_first_start_banner_never_shows_the_database_password() {
    if common::postgres_url().is_none() {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL (a database URL with a password)");
        return;
    }
    let db = TestDb::new_on(common::Backend::Postgres);
    // Trust authentication takes any password: one that must not be printed.
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let url = format!("{scheme}://{}:s3cret-pw@{host}", user.split(':').next().unwrap());
    let server = Server::start(&url, &[]);
    let banner = server.wait_for_output("log in as team@demo.example");
    assert!(!banner.contains("s3cret-pw"), "{banner}");
    assert!(banner.contains(":***@"), "{banner}");
}

#[test]
fn serve_options_go_without_the_subcommand_too() {
    let db = TestDb::new();
    // As the README shows it: `lead-server [serve] [--bind ADDR] [--no-deliver]`.
    let server = Server::spawn(
        &["--database-url", &db.url, "--bind", "127.0.0.1:0", "--no-deliver"],
        &[],
    );
    assert!(server.log().contains("deliveries are off"), "{}", server.log());
    drop(server);
    assert_fails(
        &cli(&db.url, &["--bind", "127.0.0.1:0", "company", "list"]),
        "--bind and --no-deliver are options of serve",
    );
}
