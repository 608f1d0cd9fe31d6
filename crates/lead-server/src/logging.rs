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

/// Checks a log filter: comma-separated directives, each a level (`info`) or a target and its
/// level (`actix_web=warn`). A bare word that is no level is refused: env_logger would read it
/// as a target and log nothing else.
pub fn check_filter(filter: &str) -> Result<(), String> {
    let directives = filter.split_once('/').map_or(filter, |(directives, _regex)| directives);
    for directive in directives.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = directive.rsplit_once('=').map_or(
            directive,
            |(target, level)| {
                if target.trim().is_empty() {
                    ""
                } else {
                    level
                }
            },
        );
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
            check_filter(&filter).map_err(|why| anyhow::anyhow!("RUST_LOG: {why}"))?;
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

/// `text` with the password of every URL in it (`scheme://user:password@host`) replaced by
/// `***`.
pub fn redact_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, the query, whitespace or a quote.
        let end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rsplit_once('@') {
            Some((credentials, host)) if credentials.contains(':') => {
                let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
                out.push_str(user);
                out.push_str(":***@");
                out.push_str(host);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
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
        assert!(matches!(redact_urls("GET /api/v1/lead.php 200"), Cow::Borrowed(_)));
    }
}
