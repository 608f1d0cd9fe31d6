//! docs/operations.md followed literally where an operator types it: the restore drill, with
//! only what a real machine has instead (the binary's path, a folder for
//! `/var/lib/lead-server`, a free port, no `sudo`).

mod common;

use std::process::Command;

use common::operator::order;
use common::{add_company, TestApp};

/// The ```sh block after `heading` in docs/operations.md.
fn block_after(heading: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md")).unwrap();
    let after = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading:?} in docs/operations.md"))..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    after[start..start + after[start..].find("```").unwrap()].to_owned()
}

#[test]
fn the_restore_drill_followed_literally() {
    if !common::browser::installed("curl") {
        return;
    }
    let app = TestApp::spawn();
    // The drill looks at the company of the first start, `Demo`.
    let demo = add_company(&app.store, "Demo", 1);
    let before = app.post_lead(&demo.key, &order(1)).json()["id"].clone();
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(state.path().join("backups")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = common::binary();
    let drill = block_after("**Restore drill**")
        .replace("sudo -u lead-server lead-server", &binary.display().to_string())
        .replace("sudo -u lead-server ", "")
        .replace("/var/lib/lead-server", &state.path().display().to_string())
        .replace("8099", &port.to_string());
    // `lead` is the binary with the server's config (see "Production"): here, its database.
    // A line that fails ends the drill, and with it the drill's server (or it would hold the
    // output open).
    let prelude = format!(
        "set -eu\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nlead() {{ '{}' --database-url '{}' \"$@\"; }}\n",
        binary.display(),
        app.db.url
    );
    let ran = common::isolate(&mut Command::new("timeout"))
        .args(["60", "bash", "-c"])
        .arg(format!("{prelude}{drill}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{drill}\n{stdout}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(stdout.contains(r#"{"status":"ready"}"#), "{stdout}");
    // The drill's list shows the lead answered before the backup.
    assert!(
        stdout.lines().any(|line| line.starts_with(&format!("{before} "))),
        "{stdout}"
    );
    // Nothing of the copy is left behind: not the file, not its -wal or -shm.
    let left: Vec<_> = std::fs::read_dir(state.path().join("backups")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // The real server went on meanwhile.
    assert_eq!(app.post_lead(&demo.key, &order(2)).status, 200);
}
