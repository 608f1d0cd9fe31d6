//! Test helpers for the lead gateway's crates (a dev-dependency, never shipped): a fresh
//! database per test on either backend (SQLite always; PostgreSQL when
//! `LEAD_TEST_POSTGRES_URL` names a server, otherwise those variants are skipped, saying so),
//! fixtures made through the product's own operations, the real `lead-server` binary on port
//! 0 with raw HTTP/1.1 to it, the operator's command line, and waiting on a condition with a
//! deadline instead of sleeping.

mod app;
mod cli;
mod db;
mod fixtures;
mod http;
mod receiver;
mod server;
mod smtp;
mod wait;

pub use app::TestApp;
pub use cli::{cli, cli_with_env, cli_with_stdin, last_line};
pub use db::{postgres_url, raw_sqlite, with_backend, Backend, HeldWrites, TestDb};
pub use fixtures::{add_company, token_for, Company};
pub use http::{try_send, Response, SseClient, SseEvent};
pub use receiver::{Received, Receiver, Reply};
pub use server::Server;
pub use smtp::{Mail, SmtpSink};
pub use wait::{eventually, wait_until};

/// The `lead-server` binary of this build: beside the test executable's `deps` folder, where
/// Cargo puts a package's binaries before it runs that package's integration tests.
/// `LEAD_SERVER_BINARY` names another one.
pub fn binary() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("LEAD_SERVER_BINARY") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe.parent().expect("the test executable's folder");
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    dir.join(format!("lead-server{}", std::env::consts::EXE_SUFFIX))
}

/// Removes from `command`'s environment every setting of ours the test process inherited
/// (`LEAD_…`, `LEAD__…`, `RUST_LOG`), so that a developer's shell never changes a test — all
/// but the test suite's own (`LEAD_TEST_…`, `LEAD_SERVER_BINARY`).
pub fn isolate(command: &mut std::process::Command) -> &mut std::process::Command {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let ours = name.starts_with("LEAD_") || name == "RUST_LOG";
        if ours && !name.starts_with("LEAD_TEST_") && name != "LEAD_SERVER_BINARY" {
            command.env_remove(name);
        }
    }
    command
}

/// Declares a test twice, as `name::sqlite` and `name::postgres`: the same body on each
/// backend (see [`with_backend`]).
#[macro_export]
macro_rules! backend_test {
    (fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sqlite() {
                $crate::with_backend($crate::Backend::Sqlite, || $body)
            }

            #[test]
            fn postgres() {
                $crate::with_backend($crate::Backend::Postgres, || $body)
            }
        }
    };
}
