//! The server's log: to standard error, one line per entry, as text or as JSON objects, with
//! any password in a URL replaced by `***` whatever wrote the line. The level comes from
//! `log.level`, or `RUST_LOG`; both are checked, so a misspelt level stops the start instead of
//! silencing the log.

use std::borrow::Cow;
use std::io::Write;

use serde::Deserialize;

/// How each line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `[2026-12-06T10:00:00Z INFO  target] message`
    #[default]
    Text,
    /// `{"time":"…","level":"INFO","target":"…","message":"…"}`
    Json,
}

/// The levels a filter may name.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Checks `log.level`: comma-separated directives, each a level (`info`) or a target and its
/// level (`actix_web=warn`). A bare word that is no level is refused: env_logger would read it
/// as a target and log nothing else — `verbose` would silence the log.
pub fn check_filter(filter: &str) -> Result<(), String> {
    check_directives(filter, false)
}

/// Checks `RUST_LOG` as env_logger reads it: bare targets are allowed there (`lead_store`: all
/// of that module), a level that is no level is not.
fn check_rust_log(filter: &str) -> Result<(), String> {
    check_directives(filter, true)
}

fn check_directives(filter: &str, bare_targets: bool) -> Result<(), String> {
    let directives = filter.split_once('/').map_or(filter, |(directives, _regex)| directives);
    for directive in directives.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((target, _)) if target.trim().is_empty() => "",
            Some((_, level)) => level,
            None if bare_targets => continue,
            None => directive,
        };
        if !LEVELS.iter().any(|known| known.eq_ignore_ascii_case(level.trim())) {
            return Err(format!(
                "{directive:?} is not a level: use one of {} (or TARGET=LEVEL, like actix_web=warn)",
                LEVELS.join(", ")
            ));
        }
    }
    Ok(())
}

/// Starts logging at `default_filter` (or as `RUST_LOG` says) in `format`. Fails, naming it,
/// when `RUST_LOG` holds something that is not a filter.
pub fn init(default_filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.trim().is_empty() => {
            check_rust_log(&filter).map_err(|why| anyhow::anyhow!("RUST_LOG: {why}"))?;
            filter
        }
        _ => default_filter.to_owned(),
    };
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&filter);
    match format {
        LogFormat::Text => builder.format(|out, record| {
            writeln!(
                out,
                "[{} {:<5} {}] {}",
                out.timestamp(),
                record.level(),
                record.target(),
                redact_urls(&record.args().to_string())
            )
        }),
        LogFormat::Json => builder.format(|out, record| {
            let line = serde_json::json!({
                "time": out.timestamp_millis().to_string(),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": redact_urls(&record.args().to_string()),
            });
            writeln!(out, "{line}")
        }),
    };
    // A second start in one process (tests, the benchmark) keeps the first logger.
    let _ = builder.try_init();
    Ok(())
}

/// `text` with the password of every URL in it (`scheme://user:password@host`, or
/// `?password=…`) replaced by `***` (see [`lead_store::redact_password`]).
pub fn redact_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // The URL: its scheme before `://`, up to whitespace or a double quote after it (a
        // password may hold an apostrophe).
        let start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |before| before + 1);
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || c == '"')
            .map_or(rest.len(), |end| at + end);
        out.push_str(&rest[..start]);
        out.push_str(&lead_store::redact_password(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_target_levels_pass_and_anything_else_is_named() {
        for good in [
            "info",
            "WARN",
            "info,actix_web=warn",
            "lead_store=debug, trace",
            "off",
            "debug/foo",
            "",
        ] {
            assert_eq!(check_filter(good), Ok(()), "{good}");
        }
        for bad in ["verbose", "info,lead_store", "lead=loud", "=info"] {
            let why = check_filter(bad).unwrap_err();
            assert!(why.contains("is not a level"), "{bad}: {why}");
        }
        // RUST_LOG as env_logger reads it: a bare target is all of that module.
        for good in ["lead_store", "info,lead_store", "hyper"] {
            assert_eq!(check_rust_log(good), Ok(()), "{good}");
        }
        assert!(check_rust_log("lead_store=loud").is_err());
    }

    #[test]
    fn passwords_in_urls_are_redacted_anywhere_in_a_line() {
        assert_eq!(
            redact_urls("cannot connect to postgres://lead:s3cr3t@db:5432/leads: refused"),
            "cannot connect to postgres://lead:***@db:5432/leads: refused"
        );
        assert_eq!(
            redact_urls("smtp smtps://crm%40x.de:p@ss@mail.example.de:465 and https://example.de/x"),
            "smtp smtps://crm%40x.de:***@mail.example.de:465 and https://example.de/x"
        );
        assert_eq!(redact_urls("postgres://lead@db/leads"), "postgres://lead@db/leads");
        assert_eq!(
            redact_urls("'postgres://lead:it's-pw@db/x' and \"smtps://u:p@h?password=q\""),
            "'postgres://lead:***@db/x' and \"smtps://u:***@h?password=***\""
        );
        assert!(matches!(redact_urls("GET /api/v1/lead.php 200"), Cow::Borrowed(_)));
    }
}
