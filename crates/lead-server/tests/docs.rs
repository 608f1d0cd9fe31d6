//! The configuration examples in docs/ are checked by the tools they are for.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

#[test]
fn the_nginx_example_parses() {
    let nginx = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|n| Command::new(n).arg("-v").output().is_ok());
    let Some(nginx) = nginx else {
        eprintln!("skipped: nginx is not installed, so docs/examples/nginx.conf was not checked");
        return;
    };
    let prefix = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(prefix.path().join("logs")).unwrap();
    let pid = format!("pid {};", prefix.path().join("nginx.pid").display());
    let output = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(repo_file("docs/examples/nginx.conf"))
        .args(["-g", &pid])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn operations_doc_shows_the_nginx_example_it_names() {
    let operations = std::fs::read_to_string(repo_file("docs/operations.md")).unwrap();
    assert!(operations.contains("docs/examples/nginx.conf"));
    let example = std::fs::read_to_string(repo_file("docs/examples/nginx.conf")).unwrap();
    assert!(example.contains("location = /api/v1/notifications/stream"));
    assert!(example.contains("proxy_buffering off"));
}
