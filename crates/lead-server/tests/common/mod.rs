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

/// `lead_testkit::backend_test!`, at this test crate's root (where every test file finds it).
#[macro_export]
macro_rules! backend_test {
    ($($test:tt)*) => {
        lead_testkit::backend_test! { $($test)* }
    };
}
