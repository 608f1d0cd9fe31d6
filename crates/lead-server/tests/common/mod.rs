//! Test helpers: the workspace's `lead-testkit` (the real binary on port 0, a fresh database
//! per test on either backend, raw HTTP/1.1) and a real browser for the examples.

#![allow(dead_code, unused_imports)] // each test file uses its own part of the helpers

pub mod browser;
pub mod clamd;
pub mod dovecot;
pub mod examples;
pub mod imap;
pub mod leads;
pub mod nginx;
pub mod operator;
pub mod pages;
pub mod stored;
pub mod team;

pub use lead_testkit::*;

/// Turns e-mail off for `employees` (by the CLI, as an operator would).
pub fn mail_off(app: &TestApp, employees: &[lead_store::EmployeeId]) {
    for employee in employees {
        let quiet = employee.to_string();
        assert!(cli(&app.db.url, &["employee", "notify", &quiet, "--email", "off"])
            .status
            .success());
    }
}

/// A self-signed certificate for `name`, valid for a day, written to `cert` with its key in
/// `key` by openssl (`None`: openssl is not installed, or failed).
pub fn self_signed(name: &str, cert: &std::path::Path, key: &std::path::Path) -> Option<()> {
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj"])
        .arg(format!("/CN={name}"))
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .ok()?;
    made.status.success().then_some(())
}

/// `lead_testkit::backend_test!`, at this test crate's root (where every test file finds it).
#[macro_export]
macro_rules! backend_test {
    ($($test:tt)*) => {
        lead_testkit::backend_test! { $($test)* }
    };
}
