//! Settings: the built-in `config/default.toml`, an optional file over it, then the
//! environment (`layers.rs`), then command-line flags (applied by the caller); what the other
//! crates are given is worked out from them in `settings.rs`.

mod attachments;
mod layers;
mod mail;
mod settings;

use std::ffi::OsString;
use std::path::Path;

use anyhow::Context;
use lead_store::Durability;
use serde::Deserialize;

/// Every setting of the server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[database]`
    pub database: DatabaseConfig,
    /// `[limits]`
    pub limits: LimitsConfig,
    /// `[intake]`
    pub intake: IntakeConfig,
    /// `[forms]`
    pub forms: FormsConfig,
    /// `[attachments]`
    pub attachments: attachments::AttachmentsConfig,
    /// `[submissions]`
    pub submissions: SubmissionsConfig,
    /// `[retention]`
    pub retention: RetentionSettings,
    /// `[dashboard]`
    pub dashboard: DashboardSettings,
    /// `[notes]`
    pub notes: NotesConfig,
    /// `[privacy]`
    pub privacy: PrivacySettings,
    /// `[outbox]`
    pub outbox: OutboxConfig,
    /// `[mail]`
    pub mail: mail::MailConfig,
    /// `[smtp]`
    pub smtp: SmtpSettings,
    /// `[push]`
    pub push: PushSettings,
    /// `[log]`
    pub log: LogConfig,
    /// `[metrics]`
    pub metrics: MetricsConfig,
    /// Whether the database was named (by the file, the environment or a flag), rather than
    /// the built-in default taken.
    #[serde(skip)]
    pub database_named: bool,
    /// The config file read, if any (absolute): what operator commands need too.
    #[serde(skip)]
    pub file: Option<std::path::PathBuf>,
}

/// `[smtp]`: sending e-mail.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// lettre's URL ("": no e-mail).
    pub url: String,
    /// The sender.
    pub from: String,
    /// Confirmation e-mails per key and day at most.
    pub confirmations_per_key_per_day: u32,
}

impl std::fmt::Debug for SmtpSettings {
    /// Like the derived one, but a password in the URL is shown as `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &lead_store::redact_password(&self.url))
            .field("from", &self.from)
            .field("confirmations_per_key_per_day", &self.confirmations_per_key_per_day)
            .finish()
    }
}

/// `[push]`: Web Push to the team's devices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// The contact push services may write to (`mailto:…` or `https://…`; "": no push).
    pub subject: String,
}

/// `[outbox]`: delivering webhooks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Seconds before each attempt; the first is 0.
    pub retry_schedule_secs: Vec<u64>,
    /// Seconds one request may take.
    pub timeout_secs: u64,
    /// Deliveries in flight at most, all endpoints together.
    pub concurrency: usize,
    /// Deliveries in flight at most to one endpoint.
    pub per_target: usize,
    /// Allow targets on loopback and private networks, and http://.
    pub allow_private_targets: bool,
    /// Seconds of nothing but failures after which an endpoint is disabled.
    pub disable_failing_after_secs: u64,
    /// Send what is owed (false: the server records deliveries but sends none, as with
    /// `serve --no-deliver`).
    pub enabled: bool,
}

/// `[dashboard]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSettings {
    /// Hours a login lasts.
    pub session_hours: u64,
    /// Wrong passwords in a row from one client address that lock it out of the account.
    pub max_failed_logins: u32,
    /// Minutes such a lock lasts; also the longest wait of the account throttle.
    pub lockout_minutes: u64,
    /// Wrong passwords on one account from all addresses together before each further one
    /// makes it wait (1 s, doubling up to lockout_minutes).
    pub account_max_failed: u32,
    /// Mark the session cookie Secure always.
    pub always_secure_cookies: bool,
    /// Do not mark it Secure by default (a server on a non-loopback address without TLS).
    pub insecure_cookies: bool,
    /// The team's time zone (IANA name): times in the dashboard, e-mails and exports.
    pub time_zone: String,
    /// Threads that check passwords (argon2, 19 MiB each while busy); 0: one per core.
    pub password_checks: usize,
    /// Logins that may wait for them; beyond, 429 at once.
    pub password_line: usize,
    /// CSV exports at once on this instance (each with its own database connection).
    pub exports: usize,
}

/// `[submissions]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionsConfig {
    /// Before `[retention] submissions`: still read, and then wins over it.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// `[retention]`: days each kind of row is kept (0: forever), and the purge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub submissions: u32,
    pub read_notifications: u32,
    pub unread_notifications: u32,
    pub spam: u32,
    pub held: u32,
    pub idempotency_keys: u32,
    pub login_failures: u32,
    pub delivered: u32,
    pub failed: u32,
    pub expired_sessions: u32,
    pub orders: u32,
    pub tickets: u32,
    /// `person erase`: keep the person's orders with their personal fields anonymised.
    pub anonymise_erased_orders: bool,
    /// Seconds between two purges (0: only `lead-server purge`).
    pub purge_every_secs: u64,
}

/// `[intake]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    /// Seconds within which the same body with the same key is a duplicate (0: off).
    pub duplicate_window_secs: u64,
    /// Milliseconds a key looked up is reused for further leads (0: every lead looks it up).
    pub key_cache_ms: u64,
}

/// `[forms]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormsConfig {
    /// The honeypot field's name ("": none).
    pub honeypot: String,
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Requests per second per client IP (0: off).
    pub per_ip: u32,
    /// Requests per second per API key (0: off).
    pub per_key: u32,
    /// Proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Writes per second per employee token (team API) or session (dashboard) (0: off).
    pub per_token_writes: u32,
}

/// `[privacy]`: what is kept of people beyond what they sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// A lead's consent records the visitor's network, not their address.
    pub truncate_ips: bool,
}

/// `[notes]`: the team's internal notes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotesConfig {
    /// The most notes one order, ticket or customer holds.
    pub per_record: u32,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub bind: String,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// Seconds a client has to send the headers, and then the body, of a request.
    pub request_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// Open connections at most, all workers together.
    pub max_connections: usize,
    /// Seconds between heartbeat comments on an idle notification stream.
    pub sse_heartbeat_secs: u64,
    /// Seconds between a stream's safety-net re-reads of the database.
    pub sse_recheck_secs: u64,
    /// Live streams of one employee at most (a new one closes the oldest).
    pub streams_per_employee: usize,
    /// Live streams in all at most (0: half of max_connections).
    pub max_streams: usize,
    /// Seconds a live stream stays open at most (the client then resumes).
    pub stream_max_age_secs: u64,
    /// Seconds a stop (SIGTERM, SIGINT) waits for the requests in flight.
    pub shutdown_timeout_secs: u64,
    /// Seconds a stop keeps serving (`/readyz` 503, answers with `Connection: close`) before
    /// it stops accepting, so a load balancer notices first.
    pub drain_secs: u64,
    /// Where the team opens the dashboard, for links in webhooks ("": http://<bind>).
    pub public_url: String,
}

/// `[database]`
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH`.
    pub url: String,
    /// Read connections.
    pub read_pool_size: u32,
    /// PostgreSQL: parallel lead writers.
    pub postgres_writers: u32,
    /// `synchronous`.
    pub synchronous: Durability,
    /// SQLite lock wait in milliseconds.
    pub busy_timeout_ms: u64,
    /// Wait for a database connection in milliseconds.
    pub pool_timeout_ms: u64,
    /// Leads that may wait for the writer.
    pub write_queue: usize,
    /// Bytes of leads that may wait for the writer.
    pub write_queue_bytes: usize,
}

impl std::fmt::Debug for DatabaseConfig {
    /// Like the derived one, but a password in the URL is shown as `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &lead_store::redact_password(&self.url))
            .field("read_pool_size", &self.read_pool_size)
            .field("postgres_writers", &self.postgres_writers)
            .field("synchronous", &self.synchronous)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("pool_timeout_ms", &self.pool_timeout_ms)
            .field("write_queue", &self.write_queue)
            .field("write_queue_bytes", &self.write_queue_bytes)
            .finish()
    }
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Default log filter.
    pub level: String,
    /// `text` or `json` (one object per line).
    pub format: crate::logging::LogFormat,
}

/// `[metrics]`: `GET /metrics` for Prometheus.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve them at all.
    pub enabled: bool,
    /// The bearer token a scraper must send ("": none).
    pub token: String,
    /// A listen address of their own ("": the server's).
    pub bind: String,
}

impl std::fmt::Debug for MetricsConfig {
    /// Like the derived one, but the token is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("enabled", &self.enabled)
            .field("token", &if self.token.is_empty() { "" } else { "***" })
            .field("bind", &self.bind)
            .finish()
    }
}

impl Config {
    /// The defaults, overlaid with `file` if given and then with what the environment `vars`
    /// set; checked whole.
    pub fn load(file: Option<&Path>, vars: impl IntoIterator<Item = (OsString, OsString)>) -> anyhow::Result<Config> {
        let defaults = layers::defaults()?;
        let mut table = defaults.clone();
        let mut named = false;
        if let Some(path) = file {
            let overlay = layers::file(path)?;
            named |= sets_database(&overlay);
            layers::merge(&mut table, overlay);
            // Read once without the environment, so that a mistake in the file is named as one.
            Config::read(table.clone()).with_context(|| format!("invalid configuration in {}", path.display()))?;
        }
        let (overlay, set_by) = layers::environment(&defaults, vars)?;
        named |= sets_database(&overlay);
        layers::merge(&mut table, overlay);
        let mut config = Config::read(table).context("invalid configuration in the environment")?;
        config.database_named = named;
        config.file = file.map(|path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned()));
        config.check().map_err(|error| {
            // Name the variable behind a setting the check refused.
            let text = error.to_string();
            let names: Vec<&str> = set_by
                .iter()
                .filter(|(setting, _)| text.contains(setting.as_str()))
                .map(|(_, name)| name.as_str())
                .collect();
            match names.is_empty() {
                true => error,
                false => error.context(format!("set by {}", names.join(", "))),
            }
        })?;
        Ok(config)
    }

    /// The built-in defaults alone.
    #[cfg(test)]
    pub fn defaults() -> anyhow::Result<Config> {
        Config::load(None, std::iter::empty())
    }

    fn read(table: toml::Table) -> anyhow::Result<Config> {
        // One line: serde's message has the key's path on a line of its own.
        table.try_into().map_err(|e: toml::de::Error| {
            anyhow::anyhow!("{}", e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
        })
    }
}

/// Whether a layer names the database.
fn sets_database(layer: &toml::Table) -> bool {
    layer
        .get("database")
        .and_then(toml::Value::as_table)
        .is_some_and(|database| database.contains_key("url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_defaults_parse() {
        let config = Config::defaults().unwrap();
        assert_eq!(config.server.bind, "127.0.0.1:8080");
        assert_eq!(config.server.body_limit_bytes, 65_536);
        assert_eq!(config.database.url, "sqlite://data/leads.db");
        assert_eq!(config.database.synchronous, Durability::Full);
        assert_eq!(config.log.level, "info");
        assert_eq!(config.intake.duplicate_window_secs, 600);
        assert_eq!(config.store().duplicate_window, std::time::Duration::from_secs(600));
    }

    #[test]
    fn a_file_overrides_single_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.toml");
        std::fs::write(&path, "[database]\nsynchronous = \"normal\"\n").unwrap();
        let config = Config::load(Some(&path), std::iter::empty()).unwrap();
        assert_eq!(config.database.synchronous, Durability::Normal);
        assert_eq!(config.database.url, "sqlite://data/leads.db");
    }

    #[test]
    fn debug_output_never_shows_the_database_password() {
        let mut config = Config::defaults().unwrap();
        config.database.url = "postgres://lead:s3cr3t-pw@db.internal:5432/leads".into();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(shown.contains("postgres://lead:***@db.internal:5432/leads"), "{shown}");
        assert!(shown.contains("127.0.0.1:8080"), "the default binds to loopback only");
    }

    #[test]
    fn unknown_or_wrong_settings_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[server]\nbnd = \"x\"\n").unwrap();
        assert!(format!("{:#}", Config::load(Some(&path), std::iter::empty()).unwrap_err()).contains("bnd"));
        std::fs::write(&path, "[database]\nsynchronous = \"sometimes\"\n").unwrap();
        assert!(Config::load(Some(&path), std::iter::empty()).is_err());
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(n, v)| (OsString::from(n), OsString::from(v)))
            .collect()
    }

    #[test]
    fn the_environment_wins_over_the_file_and_names_what_it_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lead.toml");
        std::fs::write(
            &path,
            "[dashboard]\ntime_zone = \"Europe/Berlin\"\n[server]\nworkers = 2\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), vars(&[("LEAD__DASHBOARD__TIME_ZONE", "Europe/Vienna")])).unwrap();
        assert_eq!(config.dashboard.time_zone, "Europe/Vienna");
        assert_eq!(config.server.workers, 2);
        assert!(!config.database_named);
        let wrong = Config::load(Some(&path), vars(&[("LEAD__DASHBOARD__TIME_ZONE", "Mars/Olympus")])).unwrap_err();
        let said = format!("{wrong:#}");
        assert!(
            said.contains("LEAD__DASHBOARD__TIME_ZONE") && said.contains("Mars/Olympus"),
            "{said}"
        );
        let negative = format!(
            "{:#}",
            Config::load(None, vars(&[("LEAD__SERVER__WORKERS", "-1")])).unwrap_err()
        );
        assert!(
            negative.contains("environment") && negative.contains("-1"),
            "{negative}"
        );
    }

    #[test]
    fn a_level_that_is_no_level_stops_the_start() {
        let said = format!(
            "{:#}",
            Config::load(None, vars(&[("LEAD__LOG__LEVEL", "verbose")])).unwrap_err()
        );
        assert!(
            said.contains("log.level") && said.contains("\"verbose\" is not a level"),
            "{said}"
        );
        let json = Config::load(None, vars(&[("LEAD_LOG_FORMAT", "json")])).unwrap();
        assert_eq!(json.log.format, crate::logging::LogFormat::Json);
        assert!(Config::load(None, vars(&[("LEAD_LOG_FORMAT", "xml")])).is_err());
    }

    #[test]
    fn a_database_named_anywhere_is_named() {
        let config = Config::load(None, vars(&[("LEAD__DATABASE__URL", "sqlite:///var/lib/leads.db")])).unwrap();
        assert!(config.database_named);
        assert_eq!(config.database.url, "sqlite:///var/lib/leads.db");
        let metrics = Config::load(
            None,
            vars(&[("LEAD__METRICS__ENABLED", "yes"), ("LEAD__METRICS__BIND", "nowhere")]),
        );
        assert!(format!("{:#}", metrics.unwrap_err()).contains("metrics.bind"));
    }
}
