//! Where settings come from, lowest first: the built-in defaults, a config file, the
//! environment. Each is a TOML table laid over the one below, so a layer sets single keys;
//! the result is read into [`Config`](super::Config) once. A value is typed by the default it
//! replaces, so an environment variable is read as the setting needs it (a number, a switch, a
//! list), and anything unknown or malformed stops with a message naming the variable.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use anyhow::{anyhow, bail, Context};

/// The documented defaults, compiled in so the binary runs anywhere.
pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");

/// The environment's names for settings: `LEAD__<SECTION>__<KEY>`, e.g.
/// `LEAD__DASHBOARD__TIME_ZONE`; with `_FILE` after the key, the value is read from that file.
pub const PREFIX: &str = "LEAD__";

/// The short names of earlier versions, still read, and the setting each stands for.
pub const SHORT_NAMES: &[(&str, &str, &str)] = &[
    ("LEAD_BIND", "server", "bind"),
    ("LEAD_RATE_LIMIT_PER_IP", "limits", "per_ip"),
    ("LEAD_RATE_LIMIT_PER_KEY", "limits", "per_key"),
    ("LEAD_SMTP_URL", "smtp", "url"),
    ("LEAD_PUSH_SUBJECT", "push", "subject"),
    ("LEAD_OUTBOX_RETRY_SCHEDULE", "outbox", "retry_schedule_secs"),
    ("LEAD_OUTBOX_ALLOW_PRIVATE", "outbox", "allow_private_targets"),
    ("LEAD_LOG_FORMAT", "log", "format"),
];

/// Settings that have no default (and so are absent from the defaults), with one of their
/// kind of value: still read when set.
fn optional_setting(section: &str, key: &str) -> Option<toml::Value> {
    match (section, key) {
        ("submissions", "retention_days") => Some(toml::Value::Integer(0)),
        _ => None,
    }
}

/// The built-in defaults.
pub fn defaults() -> anyhow::Result<toml::Table> {
    DEFAULT_TOML
        .parse()
        .context("the built-in config/default.toml is broken")
}

/// The settings of the file at `path`. A relative SQLite path in it is relative to the file's
/// folder (so a service started from anywhere finds the same database).
pub fn file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e| anyhow!("{} is not valid TOML: {}", path.display(), toml_error(&e, &text)))?;
    let folder = std::path::absolute(path)
        .ok()
        .and_then(|path| path.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    if let Some(toml::Value::Table(database)) = table.get_mut("database") {
        if let Some(toml::Value::String(url)) = database.get_mut("url") {
            let resolved = relative_to(url, &folder);
            refuse_a_moved_database(url, &resolved, path)?;
            *url = resolved;
        }
    }
    Ok(table)
}

/// Earlier versions took a relative SQLite path in a config file relative to the working
/// folder. Where that finds a database and the file's folder finds none, the server would
/// start on a new empty one and the leads would seem gone: stop and say so instead.
fn refuse_a_moved_database(written: &str, resolved: &str, file: &Path) -> anyhow::Result<()> {
    let (Ok(before), Ok(now)) = (lead_store::sqlite_path(written), lead_store::sqlite_path(resolved)) else {
        return Ok(());
    };
    if before.is_relative() && before.is_file() && !now.exists() {
        bail!(
            "database.url {written:?} in {} is relative to that file's folder, so it names {}, which does not exist — \
             while {} in the working folder does (earlier versions read it from there): write its absolute path, \
             sqlite://{}",
            file.display(),
            now.display(),
            before.display(),
            std::path::absolute(&before).unwrap_or(before.clone()).display()
        );
    }
    Ok(())
}

/// `sqlite://REL` with REL relative to `folder`; every other URL as it is.
fn relative_to(url: &str, folder: &Path) -> String {
    match lead_store::sqlite_path(url) {
        Ok(path) if path.is_relative() => format!("sqlite://{}", folder.join(path).display()),
        _ => url.to_owned(),
    }
}

/// The settings the environment `vars` set (see [`PREFIX`] and [`SHORT_NAMES`]), typed by
/// `defaults`, and which variable set each (`section.key` → name). Other variables are ignored.
pub fn environment(
    defaults: &toml::Table,
    vars: impl IntoIterator<Item = (OsString, OsString)>,
) -> anyhow::Result<(toml::Table, BTreeMap<String, String>)> {
    let mut overlay = toml::Table::new();
    // Which variable set each setting, to refuse two that disagree.
    let mut set_by: BTreeMap<(String, String), (String, toml::Value)> = BTreeMap::new();
    for (name, value) in vars {
        let Some(name) = name.to_str().map(str::to_owned) else {
            continue;
        };
        let Some((section, key, from_file)) = setting_named(&name)? else {
            continue;
        };
        let value = value.into_string().map_err(|_| anyhow!("{name} is not valid UTF-8"))?;
        let text = match from_file {
            false => value,
            true => read_secret(&value).with_context(|| name.clone())?,
        };
        let like = defaults
            .get(&section)
            .and_then(toml::Value::as_table)
            .ok_or_else(|| anyhow!("{name}: there is no section [{section}]"))?
            .get(&key)
            .cloned()
            .or_else(|| optional_setting(&section, &key))
            .ok_or_else(|| anyhow!("{name}: [{section}] has no setting {key:?}"))?;
        let typed = value_like(&like, &text).map_err(|why| anyhow!("{name} {why}, got {text:?}"))?;
        if let Some((other, earlier)) = set_by.get(&(section.clone(), key.clone())) {
            if *earlier != typed {
                bail!("{other} and {name} both set {section}.{key}, differently: keep one");
            }
        }
        set_by.insert((section.clone(), key.clone()), (name.clone(), typed.clone()));
        if let toml::Value::Table(table) = overlay
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        {
            table.insert(key, typed);
        }
    }
    let names = set_by
        .into_iter()
        .map(|((section, key), (name, _))| (format!("{section}.{key}"), name))
        .collect();
    Ok((overlay, names))
}

/// The setting an environment variable names — `(section, key, from a file)` —, or `None`
/// when it is not one of ours.
fn setting_named(name: &str) -> anyhow::Result<Option<(String, String, bool)>> {
    if let Some(&(_, section, key)) = SHORT_NAMES.iter().find(|(short, _, _)| *short == name) {
        return Ok(Some((section.into(), key.into(), false)));
    }
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    let Some((section, key)) = rest.split_once("__").filter(|(s, k)| !s.is_empty() && !k.is_empty()) else {
        bail!("{name}: settings are named {PREFIX}<SECTION>__<KEY>, like LEAD__DASHBOARD__TIME_ZONE");
    };
    let key = key.to_ascii_lowercase();
    let (key, from_file) = match key.strip_suffix("_file") {
        Some(stripped) => (stripped.to_owned(), true),
        None => (key, false),
    };
    Ok(Some((section.to_ascii_lowercase(), key, from_file)))
}

/// A secret from the file at `path` (Docker and systemd credentials): its text without the
/// line break at the end.
fn read_secret(path: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    Ok(text
        .strip_suffix('\n')
        .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t))
        .to_owned())
}

/// `text` read as a value of the same kind as `like`; why not, when it cannot be.
fn value_like(like: &toml::Value, text: &str) -> Result<toml::Value, String> {
    match like {
        toml::Value::String(_) => Ok(toml::Value::String(text.to_owned())),
        toml::Value::Integer(_) => text
            .trim()
            .parse()
            .map(toml::Value::Integer)
            .map_err(|_| "must be a whole number".to_owned()),
        toml::Value::Float(_) => text
            .trim()
            .parse()
            .map(toml::Value::Float)
            .map_err(|_| "must be a number".to_owned()),
        toml::Value::Boolean(_) => parse_bool(text)
            .map(toml::Value::Boolean)
            .ok_or_else(|| "must be true or false (also 1/0, yes/no, on/off)".to_owned()),
        toml::Value::Array(items) => {
            let trimmed = text.trim();
            if trimmed.starts_with('[') {
                let table: toml::Table = format!("v = {trimmed}")
                    .parse()
                    .map_err(|_| "must be a list, like a,b or [\"a\", \"b\"]".to_owned())?;
                return Ok(table["v"].clone());
            }
            let item = items.first().cloned().unwrap_or(toml::Value::String(String::new()));
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| value_like(&item, part))
                .collect::<Result<Vec<_>, _>>()
                .map(toml::Value::Array)
                .map_err(|why| {
                    format!(
                        "is a comma-separated list whose items each {}",
                        why.trim_start_matches("must ")
                    )
                })
        }
        toml::Value::Datetime(_) | toml::Value::Table(_) => Err("cannot be set from the environment".to_owned()),
    }
}

/// A switch, read the same way wherever one is: `true`/`false`, `1`/`0`, `yes`/`no`,
/// `on`/`off`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A TOML syntax error in one line: where (line and column) and what.
fn toml_error(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().split_whitespace().collect::<Vec<_>>().join(" ");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Overlays `overlay` onto `base`, table by table, so a layer may set single keys.
pub fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over)) => merge(inner, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> anyhow::Result<toml::Table> {
        environment(
            &defaults().unwrap(),
            vars.iter().map(|(n, v)| (OsString::from(n), OsString::from(v))),
        )
        .map(|(table, _)| table)
    }

    fn setting(table: &toml::Table, section: &str, key: &str) -> toml::Value {
        table[section][key].clone()
    }

    #[test]
    fn every_setting_is_read_from_the_environment_typed_by_its_default() {
        let table = env(&[
            ("LEAD__DASHBOARD__TIME_ZONE", "Europe/Vienna"),
            ("LEAD__SERVER__WORKERS", " 3 "),
            ("LEAD__OUTBOX__ALLOW_PRIVATE_TARGETS", "On"),
            ("LEAD__LIMITS__TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ("LEAD__OUTBOX__RETRY_SCHEDULE_SECS", "[0, 5]"),
            ("LEAD__SUBMISSIONS__RETENTION_DAYS", "7"),
            ("PATH", "/usr/bin"),
            ("LEAD_TEST_POSTGRES_URL", "not ours"),
        ])
        .unwrap();
        assert_eq!(
            setting(&table, "dashboard", "time_zone").as_str(),
            Some("Europe/Vienna")
        );
        assert_eq!(setting(&table, "server", "workers").as_integer(), Some(3));
        assert_eq!(setting(&table, "outbox", "allow_private_targets").as_bool(), Some(true));
        assert_eq!(
            setting(&table, "limits", "trusted_proxies"),
            toml::Value::Array(vec!["127.0.0.1".into(), "::1".into()])
        );
        assert_eq!(
            setting(&table, "outbox", "retry_schedule_secs"),
            toml::Value::Array(vec![0.into(), 5.into()])
        );
        assert_eq!(setting(&table, "submissions", "retention_days").as_integer(), Some(7));
        assert_eq!(table.len(), 5, "nothing else: {table:?}");
    }

    #[test]
    fn the_short_names_still_work_and_read_switches_the_same_way() {
        for (text, on) in [
            ("on", true),
            ("yes", true),
            ("1", true),
            ("TRUE", true),
            ("off", false),
            ("0", false),
        ] {
            let table = env(&[("LEAD_OUTBOX_ALLOW_PRIVATE", text)]).unwrap();
            assert_eq!(
                setting(&table, "outbox", "allow_private_targets").as_bool(),
                Some(on),
                "{text}"
            );
        }
        let table = env(&[("LEAD_OUTBOX_RETRY_SCHEDULE", "0,5,300"), ("LEAD_BIND", "0.0.0.0:9")]).unwrap();
        assert_eq!(
            setting(&table, "outbox", "retry_schedule_secs"),
            toml::Value::Array(vec![0.into(), 5.into(), 300.into()])
        );
        assert_eq!(setting(&table, "server", "bind").as_str(), Some("0.0.0.0:9"));
    }

    #[test]
    fn unknown_or_malformed_variables_are_named() {
        let message = |vars: &[(&str, &str)]| format!("{:#}", env(vars).unwrap_err());
        assert!(message(&[("LEAD__SERVER__BND", "x")]).contains("LEAD__SERVER__BND: [server] has no setting \"bnd\""));
        assert!(message(&[("LEAD__SERVR__BIND", "x")]).contains("no section [servr]"));
        assert!(message(&[("LEAD__BIND", "x")]).contains("LEAD__<SECTION>__<KEY>"));
        assert!(message(&[("LEAD__SERVER__WORKERS", "many")]).contains("LEAD__SERVER__WORKERS must be a whole number"));
        assert!(message(&[("LEAD_OUTBOX_ALLOW_PRIVATE", "maybe")]).contains("must be true or false"));
        assert!(message(&[("LEAD__OUTBOX__RETRY_SCHEDULE_SECS", "0,soon")]).contains("whole number"));
        assert!(message(&[("LEAD_BIND", "a:1"), ("LEAD__SERVER__BIND", "b:2")]).contains("differently"));
        assert!(env(&[("LEAD_BIND", "a:1"), ("LEAD__SERVER__BIND", "a:1")]).is_ok());
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("smtp");
        std::fs::write(&secret, "smtps://crm:pa55@mail.example.de:465\n").unwrap();
        let table = env(&[("LEAD__SMTP__URL_FILE", secret.to_str().unwrap())]).unwrap();
        assert_eq!(
            setting(&table, "smtp", "url").as_str(),
            Some("smtps://crm:pa55@mail.example.de:465")
        );
        let missing = format!(
            "{:#}",
            env(&[("LEAD__SMTP__URL_FILE", "/nonexistent/smtp")]).unwrap_err()
        );
        assert!(
            missing.contains("LEAD__SMTP__URL_FILE: cannot read /nonexistent/smtp"),
            "{missing}"
        );
    }

    #[test]
    fn a_relative_database_path_in_a_file_is_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lead-server.toml");
        std::fs::write(&path, "[database]\nurl = \"sqlite://data/leads.db\"\n").unwrap();
        let table = file(&path).unwrap();
        let expected = format!("sqlite://{}", dir.path().join("data/leads.db").display());
        assert_eq!(setting(&table, "database", "url").as_str(), Some(expected.as_str()));
        for kept in ["sqlite:///var/lib/leads.db", "postgres://u@h/db"] {
            std::fs::write(&path, format!("[database]\nurl = \"{kept}\"\n")).unwrap();
            assert_eq!(setting(&file(&path).unwrap(), "database", "url").as_str(), Some(kept));
        }
    }

    #[test]
    fn a_database_the_working_folder_has_and_the_files_folder_has_not_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lead-server.toml");
        // A path that exists relative to this test's working folder (the crate's), not to the
        // file's: the Cargo manifest stands in for a database.
        std::fs::write(&path, "[database]\nurl = \"sqlite://Cargo.toml\"\n").unwrap();
        let said = format!("{:#}", file(&path).unwrap_err());
        assert!(
            said.contains("earlier versions read it from there") && said.contains("absolute path"),
            "{said}"
        );
    }
}
