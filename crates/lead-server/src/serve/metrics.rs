//! `[metrics]`: the Prometheus recorder behind the libraries' `metrics` facade, and the gauges
//! read when a scraper asks (what the write queue holds, open streams, what the outbox owes).

use std::sync::{Arc, OnceLock};

use lead_http::{MetricsEndpoint, Streams};
use lead_store::Store;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::config::Config;

/// Seconds: from a millisecond to ten seconds.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Leads per writer batch, up to the most one takes (512).
const BATCH_SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The endpoint `/metrics` serves, when `[metrics] enabled`: the process's recorder (installed
/// by the first call) and the gauges of `store` and `streams`.
pub fn endpoint(config: &Config, store: &Store, streams: &Streams) -> anyhow::Result<Option<MetricsEndpoint>> {
    if !config.metrics.enabled {
        return Ok(None);
    }
    let handle = recorder()?;
    let (store, streams) = (store.clone(), streams.clone());
    let render = move || {
        scrape_gauges(&store, &streams);
        handle.run_upkeep();
        handle.render()
    };
    Ok(Some(MetricsEndpoint {
        token: Some(config.metrics.token.trim().to_owned()).filter(|token| !token.is_empty()),
        render: Arc::new(render),
    }))
}

/// The Prometheus recorder, installed as the process's global one the first time.
fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Full("lead_writer_batch_size".into()), BATCH_SIZES)?
        .install_recorder()
        .map_err(|error| anyhow::anyhow!("cannot start the metrics: {error}"))?;
    describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The `# HELP` line of every metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "lead_leads_total",
        "Lead requests by type (order, ticket; unknown: refused before the body was read as a lead) and outcome: stored, replayed (a retry or duplicate), held (reason spam, quarantine, conflict, malware), refused (reason: the error code)"
    );
    describe_histogram!(
        "lead_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request (to its headers), by route group (lead, team, dashboard, stream, operations, other) and status class"
    );
    describe_histogram!(
        "lead_attachment_scan_seconds",
        Unit::Seconds,
        "Time clamd took to scan one of a lead's files (those it answered)"
    );
    describe_histogram!(
        "lead_writer_batch_size",
        "Leads committed together by one writer transaction"
    );
    describe_gauge!("lead_writer_queue_leads", "Leads waiting for the writer");
    describe_gauge!(
        "lead_writer_queue_bytes",
        Unit::Bytes,
        "Bytes of the leads waiting for the writer"
    );
    describe_gauge!("lead_outbox_pending", "Deliveries owed and not made yet, by channel");
    describe_gauge!(
        "lead_outbox_oldest_pending_age_seconds",
        Unit::Seconds,
        "Age of the oldest delivery not made yet, by channel (0: none)"
    );
    describe_gauge!(
        "lead_outbox_retrying",
        "Pending deliveries that failed at least once, by channel"
    );
    describe_gauge!(
        "lead_outbox_overdue",
        "Pending deliveries due for over two minutes that no worker has claimed"
    );
    describe_counter!(
        "lead_delivery_attempts_total",
        "Delivery attempts by channel (webhook, email, push) and result (delivered, retry, failed, gone)"
    );
    describe_gauge!("lead_streams_open", "Live notification streams open on this instance");
    describe_histogram!(
        "lead_db_pool_wait_seconds",
        Unit::Seconds,
        "Time taken to get a database connection, by pool (writer, readers)"
    );
    describe_counter!(
        "lead_db_pool_timeouts_total",
        "Requests for a database connection that gave up, by pool"
    );
}

/// Sets the gauges that are read, not counted (a blocking call: the outbox is a query).
fn scrape_gauges(store: &Store, streams: &Streams) {
    let queue = store.intake().queue_load();
    metrics::gauge!("lead_writer_queue_leads").set(queue.leads as f64);
    metrics::gauge!("lead_writer_queue_bytes").set(queue.bytes as f64);
    metrics::gauge!("lead_streams_open").set(streams.open_count() as f64);
    match store.intake().outbox_pending() {
        Ok(channels) => {
            let now = lead_domain::Timestamp::now().millis();
            for pending in channels {
                let channel = pending.channel.as_str();
                let age = pending
                    .oldest
                    .map_or(0.0, |at| (now - at.millis()).max(0) as f64 / 1000.0);
                metrics::gauge!("lead_outbox_pending", "channel" => channel).set(pending.pending as f64);
                metrics::gauge!("lead_outbox_oldest_pending_age_seconds", "channel" => channel).set(age);
                metrics::gauge!("lead_outbox_retrying", "channel" => channel).set(pending.retrying as f64);
                metrics::gauge!("lead_outbox_overdue", "channel" => channel).set(pending.overdue as f64);
            }
        }
        // The gauges keep their last values; the scrape still answers.
        Err(error) => log::warn!("the outbox could not be read for the metrics: {error}"),
    }
}
