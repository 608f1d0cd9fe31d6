//! `lead-server status`: whether this installation needs attention — the database and its
//! migrations, what the outbox owes and how it fares, disabled webhook endpoints, free disk.
//! Lines for a person, or one JSON object; the exit status for monitoring: 0 all well, 1
//! something needs attention, 2 the database cannot be reached. It changes nothing (a
//! pending migration is reported, not applied).

use std::path::Path;

use lead_domain::Timestamp;
use lead_store::{Backlog, Store};
use serde::Serialize;

use crate::config::Config;

/// The exit status and one-line reason of a `status` that found something.
#[derive(Debug)]
pub struct Attention {
    /// 1: needs attention; 2: the database cannot be reached.
    pub code: u8,
    /// What, in one line.
    pub summary: String,
}

impl std::fmt::Display for Attention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Attention {}

/// A pending delivery failing for longer than this needs attention.
const FAILING_FOR_MS: i64 = 10 * 60 * 1000;
/// Free disk below this share, or below [`LOW_DISK_BYTES`], needs attention.
const LOW_DISK_SHARE: f64 = 0.10;
const LOW_DISK_BYTES: u64 = 1 << 30;

#[derive(Serialize)]
struct Report {
    database: String,
    migrations_applied: usize,
    migrations_pending: Vec<String>,
    outbox: Vec<ChannelReport>,
    disabled_webhooks: Vec<String>,
    disk: Option<Disk>,
    attention: Vec<String>,
}

#[derive(Serialize)]
struct ChannelReport {
    channel: &'static str,
    pending: i64,
    oldest_pending: Option<String>,
    retrying: i64,
    oldest_retrying: Option<String>,
    overdue: i64,
    last_error: Option<String>,
    last_delivered: Option<String>,
    failed_last_day: i64,
}

#[derive(Serialize)]
struct Disk {
    folder: String,
    free_bytes: u64,
    total_bytes: u64,
}

/// Runs `status`; an [`Attention`] error when something needs it.
pub fn run(config: &Config, json: bool) -> anyhow::Result<()> {
    let database = lead_store::redact_password(&config.database.url);
    let unreachable = |error: &dyn std::fmt::Display| Attention {
        code: 2,
        summary: format!("the database {database} cannot be reached: {error}"),
    };
    let inspection = lead_store::inspect(&config.database.url).map_err(|e| unreachable(&e))?;
    let mut report = Report {
        database: database.clone(),
        migrations_applied: inspection.applied,
        migrations_pending: inspection.pending,
        outbox: Vec::new(),
        disabled_webhooks: Vec::new(),
        disk: None,
        attention: Vec::new(),
    };
    if !report.migrations_pending.is_empty() {
        report.attention.push(format!(
            "{} migrations of this version are not applied yet: start the server of this version (it applies them)",
            report.migrations_pending.len()
        ));
    } else {
        // Opened as a store only when that changes nothing (it would migrate).
        let store = Store::open(&config.store()).map_err(|e| unreachable(&e))?;
        let now = Timestamp::now();
        for backlog in store.intake().outbox_backlog().map_err(|e| unreachable(&e))? {
            report.attention.extend(attention_of(&backlog, now));
            report.outbox.push(channel_report(backlog, now));
        }
        for webhook in store
            .outbox()
            .list_webhooks(None)
            .map_err(|e| unreachable(&e))?
            .iter()
            .filter(|webhook| !webhook.active)
        {
            let why = webhook.disabled_reason.clone().unwrap_or_else(|| "disabled".into());
            report
                .disabled_webhooks
                .push(format!("#{} {}: {why}", webhook.id, webhook.url));
        }
        if !report.disabled_webhooks.is_empty() {
            report.attention.push(format!(
                "{} webhook endpoints are disabled (webhook list; webhook enable ID)",
                report.disabled_webhooks.len()
            ));
        }
    }
    if let Ok(path) = lead_store::sqlite_path(&config.database.url) {
        let folder = std::path::absolute(&path)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        match rustix::fs::statvfs(&folder) {
            Ok(stats) => {
                let disk = Disk {
                    folder: folder.display().to_string(),
                    free_bytes: stats.f_bavail.saturating_mul(stats.f_frsize),
                    total_bytes: stats.f_blocks.saturating_mul(stats.f_frsize),
                };
                let share = disk.free_bytes as f64 / disk.total_bytes.max(1) as f64;
                if share < LOW_DISK_SHARE || disk.free_bytes < LOW_DISK_BYTES {
                    report
                        .attention
                        .push(format!("only {} free at {}", bytes(disk.free_bytes), disk.folder));
                }
                report.disk = Some(disk);
            }
            Err(error) => report
                .attention
                .push(format!("the free disk at {} cannot be read: {error}", folder.display())),
        }
    }
    match json {
        true => println!("{}", serde_json::to_string(&report)?),
        false => print_lines(&report),
    }
    match report.attention.is_empty() {
        true => Ok(()),
        false => Err(Attention {
            code: 1,
            summary: format!("needs attention: {}", report.attention.join("; ")),
        }
        .into()),
    }
}

/// What in one channel's backlog needs attention.
fn attention_of(backlog: &Backlog, now: Timestamp) -> Vec<String> {
    let pending = &backlog.pending;
    let channel = pending.channel;
    let mut found = Vec::new();
    if pending.overdue > 0 {
        found.push(format!(
            "{} {channel} deliveries are overdue: no server sends them (none running, or one with --no-deliver)",
            pending.overdue
        ));
    }
    if let Some(since) = pending
        .oldest_retrying
        .filter(|since| now.millis() - since.millis() > FAILING_FOR_MS)
    {
        found.push(format!(
            "{} {channel} deliveries are failing, the oldest for {} (last error: {})",
            pending.retrying,
            age(since, now),
            backlog.last_error.as_deref().unwrap_or("none recorded")
        ));
    }
    if backlog.failed_last_day > 0 {
        found.push(format!(
            "{} {channel} deliveries failed for good in the last 24 h (outbox list --status failed)",
            backlog.failed_last_day
        ));
    }
    found
}

fn channel_report(backlog: Backlog, now: Timestamp) -> ChannelReport {
    let pending = backlog.pending;
    ChannelReport {
        channel: pending.channel.as_str(),
        pending: pending.pending,
        oldest_pending: pending.oldest.map(|at| at.to_string()),
        retrying: pending.retrying,
        oldest_retrying: pending.oldest_retrying.map(|at| at.to_string()),
        overdue: pending.overdue,
        last_error: backlog.last_error,
        last_delivered: backlog.last_delivered.map(|at| format!("{at} ({} ago)", age(at, now))),
        failed_last_day: backlog.failed_last_day,
    }
}

fn print_lines(report: &Report) {
    let migrations = match report.migrations_pending.len() {
        0 => format!("{} migrations applied, none pending", report.migrations_applied),
        n => format!("{} migrations applied, {n} pending", report.migrations_applied),
    };
    println!("database   {}: reachable, {migrations}", report.database);
    for channel in &report.outbox {
        let mut line = format!("{:<7}    {} pending", channel.channel, channel.pending);
        if let Some(oldest) = &channel.oldest_pending {
            line.push_str(&format!(" (oldest owed {oldest})"));
        }
        if channel.retrying > 0 {
            line.push_str(&format!(", {} retrying", channel.retrying));
        }
        if channel.overdue > 0 {
            line.push_str(&format!(", {} overdue", channel.overdue));
        }
        line.push_str(&format!(
            "; last delivered: {}; failed in 24 h: {}",
            channel
                .last_delivered
                .as_deref()
                .unwrap_or("never (among the newest 100,000)"),
            channel.failed_last_day
        ));
        println!("{line}");
    }
    for webhook in &report.disabled_webhooks {
        println!("webhook    disabled {webhook}");
    }
    if let Some(disk) = &report.disk {
        println!(
            "disk       {} free of {} at {}",
            bytes(disk.free_bytes),
            bytes(disk.total_bytes),
            disk.folder
        );
    }
    match report.attention.is_empty() {
        true => println!("status     ok"),
        false => {
            for item in &report.attention {
                println!("attention  {item}");
            }
        }
    }
}

/// How long ago `then` was, in the largest unit that fits.
fn age(then: Timestamp, now: Timestamp) -> String {
    let secs = (now.millis() - then.millis()).max(0) / 1000;
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// Bytes in GiB or MiB.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n => format!("{:.0} MiB", n as f64 / (1u64 << 20) as f64),
    }
}
