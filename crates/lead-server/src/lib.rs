//! `lead-server`: the lead gateway's one binary — the HTTP server and the operator's tool.
//!
//! Thin by design: it reads the configuration, sets up logging, opens (and migrates) the
//! store, and hands over to `lead-http` or to an operator command. No business rule lives here.
//! It is a library too only so that the benchmark (`lead-bench`) can run the very same
//! server in a process of its own.

mod cli;
mod commands;
mod config;
mod logging;
mod output;
mod serve;
mod status;

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
            eprintln!("{} (see lead-server --help)", usage_error(&error.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, as promised: causes joined by `: `, line breaks inside them (libpq's
            // hints, TOML's snippets) folded.
            let text = format!("{error:#}");
            let line = logging::redact_urls(&text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            match error.downcast_ref::<status::Attention>() {
                Some(attention) => {
                    eprintln!("{line}");
                    ExitCode::from(attention.code)
                }
                None => {
                    eprintln!("error: {line}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// clap's usage error in one line: its first line, and the arguments it lists below it (a
/// missing argument's name is on the next line).
fn usage_error(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let mut text = lines.next().unwrap_or("error: invalid arguments").trim_end().to_owned();
    for listed in lines.take_while(|line| !line.trim().is_empty()) {
        text.push(' ');
        text.push_str(listed.trim());
    }
    text
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref(), std::env::vars_os())?;
    if let Some(url) = cli.database_url {
        config.database.url = url;
        config.database_named = true;
    }
    let command = match cli.command {
        None => Command::Serve(cli.serve),
        // `lead-server --bind ADDR serve`: the options before the subcommand count too.
        Some(Command::Serve(serve)) => Command::Serve(cli::ServeArgs {
            bind: serve.bind.or(cli.serve.bind),
            no_deliver: serve.no_deliver || cli.serve.no_deliver,
        }),
        Some(_) if cli.serve.bind.is_some() || cli.serve.no_deliver => {
            anyhow::bail!(
                "--bind and --no-deliver are options of serve: lead-server [serve] [--bind ADDR] [--no-deliver]"
            )
        }
        Some(command) => command,
    };
    match command {
        Command::Serve(serve) => {
            if let Some(bind) = serve.bind {
                config.server.bind = bind;
            }
            if serve.no_deliver {
                config.outbox.enabled = false;
            }
            logging::init(&config.log.level, config.log.format)?;
            serve::serve(&config, Store::open(&config.store())?)
        }
        command => {
            // Operator commands stay quiet: what went wrong is their one line on stderr (the
            // connection pool would log every failed attempt on its own), whatever RUST_LOG
            // says for the server; `--verbose` logs (at info, or as RUST_LOG says).
            if cli.verbose {
                logging::init("info", config.log.format)?;
            }
            if let Command::Status { json } = command {
                // No database is "cannot be reached" to monitoring: exit status 2.
                refuse_the_default_database_if_missing(&config, &command).map_err(|error| status::Attention {
                    code: 2,
                    summary: format!("error: {error}"),
                })?;
                return status::run(&config, json);
            }
            refuse_the_default_database_if_missing(&config, &command)?;
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

/// An operator command on the built-in default database, run where there is none (another
/// folder than the server's): stop, rather than make a new empty database there and answer
/// from it.
fn refuse_the_default_database_if_missing(config: &Config, command: &Command) -> anyhow::Result<()> {
    if config.database_named || matches!(command, Command::Serve(_)) {
        return Ok(());
    }
    let Ok(path) = lead_store::sqlite_path(&config.database.url) else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    let shown = std::path::absolute(&path).unwrap_or(path);
    anyhow::bail!(
        "no database at {} (the built-in default, relative to this folder): point at the server's with --config FILE, LEAD_CONFIG or --database-url",
        shown.display()
    )
}
