//! Settings: the built-in `config/default.toml`, an optional file over it, then environment
//! and command-line flags (applied by the caller).

use std::path::Path;

use anyhow::{bail, Context};
use lead_store::{Durability, StoreConfig};
use serde::Deserialize;

/// The documented defaults, compiled in so the binary runs anywhere.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

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
    /// `[submissions]`
    pub submissions: SubmissionsConfig,
    /// `[retention]`
    pub retention: RetentionSettings,
    /// `[dashboard]`
    pub dashboard: DashboardSettings,
    /// `[outbox]`
    pub outbox: OutboxConfig,
    /// `[smtp]`
    pub smtp: SmtpSettings,
    /// `[push]`
    pub push: PushSettings,
    /// `[log]`
    pub log: LogConfig,
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
}

impl Config {
    /// The defaults, overlaid with `file` if given.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut table: toml::Table = DEFAULT_TOML
            .parse()
            .context("the built-in config/default.toml is broken")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let overlay: toml::Table = text
                .parse()
                .map_err(|e| anyhow::anyhow!("{} is not valid TOML: {}", path.display(), toml_error(&e, &text)))?;
            merge(&mut table, overlay);
        }
        let config: Config = table.try_into().with_context(|| {
            format!(
                "invalid configuration{}",
                file.map(|p| format!(" in {}", p.display())).unwrap_or_default()
            )
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.server.body_limit_bytes == 0 {
            bail!("server.body_limit_bytes must be above 0");
        }
        if self.server.request_timeout_secs == 0 || self.server.keep_alive_secs == 0 {
            bail!("server.request_timeout_secs and server.keep_alive_secs must be at least 1");
        }
        if self.server.max_connections == 0 {
            bail!("server.max_connections must be at least 1");
        }
        if self.server.streams_per_employee == 0 || self.server.stream_max_age_secs == 0 {
            bail!("server.streams_per_employee and server.stream_max_age_secs must be at least 1");
        }
        if self.server.max_streams >= self.server.max_connections {
            bail!("server.max_streams must be below server.max_connections, or streams could take every connection leads need");
        }
        if self.server.sse_heartbeat_secs == 0 || self.server.sse_recheck_secs == 0 {
            bail!("server.sse_heartbeat_secs and server.sse_recheck_secs must be at least 1");
        }
        if self.database.write_queue == 0 {
            bail!("database.write_queue must be at least 1");
        }
        if self.database.write_queue_bytes < self.server.body_limit_bytes {
            bail!("database.write_queue_bytes must hold at least one body of server.body_limit_bytes");
        }
        if self.dashboard.session_hours == 0
            || self.dashboard.max_failed_logins == 0
            || self.dashboard.account_max_failed == 0
            || self.dashboard.lockout_minutes == 0
        {
            bail!(
                "dashboard.session_hours, max_failed_logins, account_max_failed and lockout_minutes must be at least 1"
            );
        }
        if self.submissions.retention_days == Some(0) {
            bail!("submissions.retention_days must be at least 1 (or use [retention] submissions, where 0 keeps entries forever)");
        }
        if self.database.pool_timeout_ms == 0 {
            bail!("database.pool_timeout_ms must be at least 1");
        }
        if self.database.read_pool_size == 0 {
            bail!("database.read_pool_size must be at least 1");
        }
        self.time_zone()?;
        self.outbox_schedule()?;
        self.smtp()?;
        self.push_subject()?;
        if self.outbox.timeout_secs == 0 || self.outbox.concurrency == 0 || self.outbox.per_target == 0 {
            bail!("outbox.timeout_secs, outbox.concurrency and outbox.per_target must be at least 1");
        }
        if self.outbox.disable_failing_after_secs == 0 {
            bail!("outbox.disable_failing_after_secs must be at least 1");
        }
        let public_url = self.server.public_url.trim();
        let web = public_url.starts_with("https://") || public_url.starts_with("http://");
        if !public_url.is_empty() && !web {
            bail!("server.public_url must start with https:// or http://, got {public_url:?}");
        }
        Ok(())
    }

    fn outbox_schedule(&self) -> anyhow::Result<lead_deliver::Schedule> {
        lead_deliver::Schedule::from_secs(&self.outbox.retry_schedule_secs)
            .map_err(|error| anyhow::anyhow!("outbox.retry_schedule_secs: {error}"))
    }

    /// Where the team opens the dashboard: `server.public_url`, or this server's own address.
    pub fn public_url(&self) -> String {
        match self.server.public_url.trim() {
            "" => format!("http://{}", self.server.bind),
            url => url.trim_end_matches('/').to_owned(),
        }
    }

    /// Where e-mail goes out, if anywhere: `[smtp] url` (or `LEAD_SMTP_URL`) and `from`.
    pub fn smtp(&self) -> anyhow::Result<Option<lead_deliver::SmtpConfig>> {
        if self.smtp.url.trim().is_empty() {
            return Ok(None);
        }
        if self.smtp.from.trim().is_empty() {
            bail!("smtp.from must name the sender (like \"CRM <crm@example.de>\") when smtp.url is set");
        }
        let config = lead_deliver::SmtpConfig {
            url: self.smtp.url.trim().to_owned(),
            from: self.smtp.from.trim().to_owned(),
        };
        lead_deliver::SmtpConfig::check(&config)?;
        Ok(Some(config))
    }

    /// Who push services may contact about this server's messages, if push is enabled:
    /// `[push] subject` (or `LEAD_PUSH_SUBJECT`), a `mailto:` or `https:` URL.
    pub fn push_subject(&self) -> anyhow::Result<Option<String>> {
        let subject = self.push.subject.trim();
        if subject.is_empty() {
            return Ok(None);
        }
        let contact = subject
            .strip_prefix("mailto:")
            .map(|address| address.contains('@'))
            .or_else(|| subject.strip_prefix("https://").map(|host| !host.is_empty()));
        if contact != Some(true) {
            bail!("push.subject must be a mailto: address or an https:// URL (like \"mailto:it@example.de\"), got {subject:?}");
        }
        Ok(Some(subject.to_owned()))
    }

    /// How the delivery workers deliver (push: set when the server starts, from the keys in
    /// the database).
    pub fn deliver(&self) -> anyhow::Result<lead_deliver::DeliverConfig> {
        Ok(lead_deliver::DeliverConfig {
            schedule: self.outbox_schedule()?,
            timeout: std::time::Duration::from_secs(self.outbox.timeout_secs),
            concurrency: self.outbox.concurrency,
            per_target: self.outbox.per_target,
            allow_private: self.outbox.allow_private_targets,
            disable_after: std::time::Duration::from_secs(self.outbox.disable_failing_after_secs),
            public_url: self.public_url(),
            poll: std::time::Duration::from_millis(500),
            smtp: self.smtp()?,
            push: None,
            drain: std::time::Duration::from_secs(self.server.shutdown_timeout_secs),
            time_zone: self.time_zone()?,
        })
    }

    /// Settings of the HTTP layer.
    pub fn http(&self) -> lead_http::HttpConfig {
        lead_http::HttpConfig {
            body_limit: self.server.body_limit_bytes,
            body_timeout: std::time::Duration::from_secs(self.server.request_timeout_secs),
            sse_heartbeat: std::time::Duration::from_secs(self.server.sse_heartbeat_secs),
            rate_limits: lead_http::RateLimitConfig {
                per_ip: self.limits.per_ip,
                per_key: self.limits.per_key,
                trusted_proxies: self.limits.trusted_proxies.clone(),
            },
            honeypot: Some(self.forms.honeypot.trim().to_owned()).filter(|name| !name.is_empty()),
            key_cache: std::time::Duration::from_millis(self.intake.key_cache_ms),
            dashboard: lead_http::DashboardConfig {
                session: std::time::Duration::from_secs(self.dashboard.session_hours * 3600),
                logins: lead_store::LoginLimits {
                    per_client: self.dashboard.max_failed_logins,
                    lockout_ms: i64::try_from(self.dashboard.lockout_minutes.saturating_mul(60_000))
                        .unwrap_or(i64::MAX),
                    per_account: self.dashboard.account_max_failed,
                },
                // Secure unless the server is private to this machine (bound to loopback, as
                // by default) or told otherwise — or always, if so configured.
                always_secure_cookies: self.dashboard.always_secure_cookies
                    || (!self.dashboard.insecure_cookies && !bound_to_loopback(&self.server.bind)),
                // Checked when the configuration was read.
                time_zone: self.time_zone().unwrap_or(lead_domain::TimeZone::UTC),
            },
            // Set when the server starts, from the keys in the database.
            push_public_key: None,
            keep_erased_orders: self.retention.anonymise_erased_orders,
            webhooks: lead_http::WebhookSettings {
                allow_private: self.outbox.allow_private_targets,
                secret: || lead_deliver::generate_secret().map_err(|error| error.to_string()),
                ping: self.ping(),
            },
            streams: lead_http::Streams::new(lead_http::StreamLimits {
                per_employee: self.server.streams_per_employee,
                total: match self.server.max_streams {
                    0 => (self.server.max_connections / 2).max(1),
                    n => n,
                },
                max_age: std::time::Duration::from_secs(self.server.stream_max_age_secs),
            }),
        }
    }

    /// Applies `LEAD_RATE_LIMIT_PER_IP`, `LEAD_RATE_LIMIT_PER_KEY`, `LEAD_SMTP_URL`,
    /// `LEAD_PUSH_SUBJECT`, `LEAD_OUTBOX_RETRY_SCHEDULE` and `LEAD_OUTBOX_ALLOW_PRIVATE` from
    /// the environment.
    pub fn apply_env(&mut self) -> anyhow::Result<()> {
        if let Ok(text) = std::env::var("LEAD_OUTBOX_RETRY_SCHEDULE") {
            self.outbox.retry_schedule_secs = text
                .split(',')
                .map(|part| part.trim().parse::<u64>())
                .collect::<Result<_, _>>()
                .with_context(|| {
                    format!("LEAD_OUTBOX_RETRY_SCHEDULE is comma-separated seconds (like 0,5,300), got {text:?}")
                })?;
            self.outbox_schedule().context("LEAD_OUTBOX_RETRY_SCHEDULE")?;
        }
        if let Ok(url) = std::env::var("LEAD_SMTP_URL") {
            self.smtp.url = url;
            self.smtp()?;
        }
        if let Ok(subject) = std::env::var("LEAD_PUSH_SUBJECT") {
            self.push.subject = subject;
            self.push_subject().context("LEAD_PUSH_SUBJECT")?;
        }
        if let Ok(text) = std::env::var("LEAD_OUTBOX_ALLOW_PRIVATE") {
            self.outbox.allow_private_targets = match text.trim() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                other => bail!("LEAD_OUTBOX_ALLOW_PRIVATE must be 1 or 0, got {other:?}"),
            };
        }
        for (name, value) in [
            ("LEAD_RATE_LIMIT_PER_IP", &mut self.limits.per_ip),
            ("LEAD_RATE_LIMIT_PER_KEY", &mut self.limits.per_key),
        ] {
            if let Ok(text) = std::env::var(name) {
                *value = text
                    .trim()
                    .parse()
                    .with_context(|| format!("{name} must be a whole number of requests per second, got {text:?}"))?;
            }
        }
        Ok(())
    }

    /// The team's time zone.
    pub fn time_zone(&self) -> anyhow::Result<lead_domain::TimeZone> {
        let name = self.dashboard.time_zone.trim();
        lead_domain::TimeZone::get(name).map_err(|_| {
            anyhow::anyhow!(
                "dashboard.time_zone: {name:?} is not a time zone; use an IANA name such as \"Europe/Berlin\""
            )
        })
    }

    /// The dashboard's „Test senden“ for a webhook: a `ping` now, through the delivery
    /// worker's client (the same SSRF guard, timeout and signature).
    fn ping(&self) -> lead_http::Ping {
        let client = lead_deliver::WebhookClient::new(
            std::time::Duration::from_secs(self.outbox.timeout_secs),
            self.outbox.allow_private_targets,
        );
        std::sync::Arc::new(move |target| {
            let client = client.clone();
            Box::pin(async move {
                let client = client?;
                let answer = lead_deliver::ping(&client, &target).await;
                let took = answer.duration.as_millis();
                match (answer.status, answer.error) {
                    (Some(status), None) => Ok(format!("{} antwortete {status} in {took} ms.", target.url)),
                    (_, Some(error)) => Err(format!("{} nahm den Test nicht an ({took} ms): {error}", target.url)),
                    (None, None) => Err(format!("{} gab keine Antwort.", target.url)),
                }
            })
        })
    }

    /// What the purge deletes after how long.
    pub fn retention(&self) -> lead_store::Retention {
        let r = &self.retention;
        lead_store::Retention {
            submissions: self.submissions.retention_days.unwrap_or(r.submissions),
            read_notifications: r.read_notifications,
            unread_notifications: r.unread_notifications,
            spam: r.spam,
            held: r.held,
            idempotency_keys: r.idempotency_keys,
            login_failures: r.login_failures,
            delivered: r.delivered,
            failed: r.failed,
            expired_sessions: r.expired_sessions,
            orders: r.orders,
            tickets: r.tickets,
        }
    }

    /// How to open the store.
    pub fn store(&self) -> StoreConfig {
        let mut store = StoreConfig::new(self.database.url.clone());
        store.read_pool_size = self.database.read_pool_size;
        store.postgres_writers = self.database.postgres_writers;
        store.durability = self.database.synchronous;
        store.busy_timeout = std::time::Duration::from_millis(self.database.busy_timeout_ms);
        store.connection_timeout = std::time::Duration::from_millis(self.database.pool_timeout_ms);
        store.write_queue = self.database.write_queue;
        store.write_queue_bytes = self.database.write_queue_bytes;
        store.duplicate_window = std::time::Duration::from_secs(self.intake.duplicate_window_secs);
        store.email_deliveries = !self.smtp.url.trim().is_empty();
        store.confirmations_per_key_per_day = self.smtp.confirmations_per_key_per_day;
        store.push_deliveries = !self.push.subject.trim().is_empty();
        store.private_targets = self.outbox.allow_private_targets;
        store
    }
}

/// Whether `bind` (`HOST:PORT`) is a loopback address: only this machine can connect.
fn bound_to_loopback(bind: &str) -> bool {
    match bind.parse::<std::net::SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => bind
            .rsplit_once(':')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
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

/// Overlays `overlay` onto `base`, table by table, so a file may set single keys.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
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

    #[test]
    fn the_built_in_defaults_parse() {
        let config = Config::load(None).unwrap();
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
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.database.synchronous, Durability::Normal);
        assert_eq!(config.database.url, "sqlite://data/leads.db");
    }

    #[test]
    fn debug_output_never_shows_the_database_password() {
        let mut config = Config::load(None).unwrap();
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
        assert!(format!("{:#}", Config::load(Some(&path)).unwrap_err()).contains("bnd"));
        std::fs::write(&path, "[database]\nsynchronous = \"sometimes\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
    }
}
