//! What the other crates are given, worked out from the settings: the store's, the HTTP
//! layer's and the delivery workers' configurations, and the checks that settings fit together.

use anyhow::bail;
use lead_store::StoreConfig;

use super::Config;

impl Config {
    /// Refuses settings that cannot work together, or at all.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        crate::logging::check_filter(&self.log.level).map_err(|why| anyhow::anyhow!("log.level: {why}"))?;
        if self.metrics.enabled && !self.metrics.bind.trim().is_empty() {
            self.metrics.bind.trim().parse::<std::net::SocketAddr>().map_err(|_| {
                anyhow::anyhow!(
                    "metrics.bind must be an address and port like 127.0.0.1:9464, got {:?}",
                    self.metrics.bind
                )
            })?;
        }
        self.attachments.check()?;
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
        if self.dashboard.exports == 0 {
            bail!("dashboard.exports must be at least 1");
        }
        if self.notes.per_record == 0 {
            bail!("notes.per_record must be at least 1");
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
            // Set when the server starts: the installation's, from the store.
            link_key: String::new(),
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
                per_token_writes: self.limits.per_token_writes,
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
                // Set when the server starts: the installation's, from the store.
                login_key: lead_http::LoginKey::default(),
                exports: lead_http::ExportBudget::new(self.dashboard.exports),
                password_checks: lead_http::PasswordChecks::new(
                    self.dashboard.password_checks,
                    self.dashboard.password_line,
                ),
            },
            // Set when the server starts, from the keys in the database.
            push_public_key: None,
            keep_erased_orders: self.retention.anonymise_erased_orders,
            attachments: self.attachments.settings(),
            truncate_ips: self.privacy.truncate_ips,
            // Set when the server starts: the installation's, from the store.
            challenge_key: String::new(),
            webhooks: lead_http::WebhookSettings {
                allow_private: self.outbox.allow_private_targets,
                secret: || lead_deliver::generate_secret().map_err(|error| error.to_string()),
                ping: self.ping(),
                check: {
                    let allow_private = self.outbox.allow_private_targets;
                    std::sync::Arc::new(move |url| {
                        Box::pin(async move {
                            lead_deliver::check_target(&url, allow_private)
                                .await
                                .map(|_| ())
                                .map_err(|error| error.to_string())
                        })
                    })
                },
            },
            streams: lead_http::Streams::new(lead_http::StreamLimits {
                per_employee: self.server.streams_per_employee,
                total: match self.server.max_streams {
                    0 => (self.server.max_connections / 2).max(1),
                    n => n,
                },
                max_age: std::time::Duration::from_secs(self.server.stream_max_age_secs),
            }),
            lifecycle: lead_http::Lifecycle::default(),
            // Set when the server starts, with the recorder.
            metrics: None,
        }
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
        if !self.outbox.enabled {
            return std::sync::Arc::new(|_| {
                Box::pin(async {
                    Err("Dieser Server sendet nichts: Zustellungen sind ausgeschaltet (serve --no-deliver).".into())
                })
            });
        }
        // Told to the admin who tests a webhook: the reason, as text.
        let client = lead_deliver::WebhookClient::new(
            std::time::Duration::from_secs(self.outbox.timeout_secs),
            self.outbox.allow_private_targets,
        )
        .map_err(|error| error.to_string());
        std::sync::Arc::new(move |target| {
            let client = client.clone();
            Box::pin(async move {
                let client = client?;
                let answer = lead_deliver::ping(&client, &target).await;
                let took = answer.duration.as_millis();
                lead_present::ping::told(
                    &target.url,
                    answer.status,
                    answer.error.as_deref(),
                    took,
                    lead_present::ping::Language::German,
                )
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
        store.long_read_pool_size = u32::try_from(self.dashboard.exports.max(1)).unwrap_or(u32::MAX);
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
        store.notes_per_record = self.notes.per_record;
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
