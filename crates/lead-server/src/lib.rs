//! `lead-server`: the lead gateway's one binary — the HTTP server and the operator's tool.
//!
//! Thin by design: it reads the configuration, sets up logging, opens (and migrates) the
//! store, and hands over to `lead-http` or to an operator command. No business rule lives here.
//! It is a library too only so that the benchmark (`lead-bench`) can run the very same
//! server in a process of its own.

mod cli;
mod commands;
mod config;
mod output;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use lead_store::Store;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// Runs `lead-server` with these command-line arguments (the first is the program name).
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help and --version print in full; a usage error is one line, like every error.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first} (see lead-server --help)");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, as promised: causes joined by `: `, line breaks inside them (libpq's
            // hints, TOML's snippets) folded.
            let text = format!("{error:#}");
            eprintln!("error: {}", text.split_whitespace().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    config.apply_env()?;
    if let Some(url) = cli.database_url {
        config.database.url = url;
    }
    let log =
        |default: &str| env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default)).init();
    match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { bind } => {
            // Also read here, not by clap: `lead-server` alone serves too, without the subcommand.
            if let Some(bind) = bind.or_else(|| std::env::var("LEAD_BIND").ok()) {
                config.server.bind = bind;
            }
            log(&config.log.level);
            serve::serve(&config, Store::open(&config.store())?)
        }
        command => {
            // Operator commands stay quiet: what went wrong is their one line on stderr (the
            // connection pool would log every failed attempt on its own), whatever RUST_LOG
            // says for the server; `--verbose` logs (at info, or as RUST_LOG says).
            if cli.verbose {
                log("info");
            }
            // The audit log names who changed access: the operator at the command line.
            let named = |variable| {
                std::env::var(variable)
                    .ok()
                    .filter(|name: &String| !name.trim().is_empty())
            };
            let user = named("USER")
                .or_else(|| named("LOGNAME"))
                .unwrap_or_else(|| "operator".into());
            let store = Store::open(&config.store())?.acting_as(format!("{user} (command line)"));
            commands::run(command, &store, &config)
        }
    }
}
