//! The files shipped for production (deploy/) are checked by the tools they are for: the nginx
//! site by `nginx -t` (with a certificate made for the test in place of the real one's path),
//! the systemd units by `systemd-analyze verify` where it is installed, and the config file by
//! the server itself.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::nginx;

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_shipped_nginx_site_parses_with_its_tls_settings() {
    let Some(nginx) = nginx::binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("fullchain.pem"), dir.path().join("privkey.pem"));
    let Some(()) = common::self_signed("leads.example.de", &cert, &key) else {
        assert!(
            std::env::var_os("LEAD_TEST_REQUIRE_TOOLS").is_none(),
            "openssl is not installed, but LEAD_TEST_REQUIRE_TOOLS is set"
        );
        eprintln!("skipped: openssl is not installed to make the test certificate");
        return;
    };
    let site = read("deploy/nginx.conf")
        .replace(
            "/etc/letsencrypt/live/leads.example.de/fullchain.pem",
            cert.to_str().unwrap(),
        )
        .replace(
            "/etc/letsencrypt/live/leads.example.de/privkey.pem",
            key.to_str().unwrap(),
        );
    let file = dir.path().join("nginx.conf");
    std::fs::write(&file, site).unwrap();
    let globals = format!("pid {0}/nginx.pid; error_log {0}/error.log;", dir.path().display());
    if let Err(said) = nginx::check(&nginx, dir.path(), &file, Some(&globals)) {
        panic!("nginx -t deploy/nginx.conf: {said}");
    }
}

#[test]
fn the_nginx_site_redirects_to_https_and_streams_unbuffered() {
    let site = read("deploy/nginx.conf");
    for wanted in [
        "return 301 https://$host$request_uri;",
        "Strict-Transport-Security",
        "location = /api/v1/notifications/stream",
        "proxy_buffering off",
        "proxy_next_upstream error timeout non_idempotent;",
        "keepalive_timeout 4s;",
    ] {
        assert!(site.contains(wanted), "deploy/nginx.conf lacks {wanted:?}");
    }
    let operations = read("docs/operations.md");
    for shipped in [
        "deploy/nginx.conf",
        "deploy/lead-server.service",
        "deploy/lead-server-backup.timer",
        "deploy/lead-server.toml",
    ] {
        assert!(operations.contains(shipped), "docs/operations.md names {shipped}");
    }
}

#[test]
fn the_systemd_units_verify() {
    let found = Command::new("systemd-analyze").arg("--version").output();
    if !found.is_ok_and(|output| output.status.success()) {
        eprintln!("skipped: systemd-analyze is not installed, so deploy/*.service were not verified");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = common::binary();
    let mut units = Vec::new();
    for unit in [
        "lead-server.service",
        "lead-server-backup.service",
        "lead-server-backup.timer",
    ] {
        // The binary as this build made it, where the units expect the installed one.
        let text = read(&format!("deploy/{unit}")).replace("/usr/local/bin/lead-server", binary.to_str().unwrap());
        let path = dir.path().join(unit);
        std::fs::write(&path, text).unwrap();
        units.push(path);
    }
    let unit = read("deploy/lead-server.service");
    for hardening in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "UMask=0077",
    ] {
        assert!(unit.contains(hardening), "{hardening}");
    }
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_shipped_config_file_is_read_by_the_server_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("leads.db").display());
    let checked = common::cli(
        &url,
        &[
            "--config",
            repo_file("deploy/lead-server.toml").to_str().unwrap(),
            "company",
            "list",
        ],
    );
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
}
