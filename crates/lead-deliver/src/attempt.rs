//! One attempt of one delivery, by channel: a webhook request, an e-mail, a push message —
//! and what it leaves behind: its outcome for the store, its count, and a warning in the log
//! when it failed.

use std::time::Duration;

use lead_domain::Timestamp;
use lead_store::{Attempt, Channel, DueDelivery, Endpoint, Event, Outcome, WebhookTarget};

use crate::push;
use crate::webhook;
use crate::worker::Senders;
use crate::DeliverConfig;

/// Makes one attempt of `delivery`.
pub(crate) async fn attempt(delivery: DueDelivery, senders: &Senders, config: &DeliverConfig) -> Attempt {
    let at = Timestamp::now();
    let attempt = match (delivery.channel, &delivery.webhook, &senders.mailer) {
        (Channel::Webhook, Some(target), _) => webhook_attempt(&delivery, target, senders, config, at).await,
        (Channel::Webhook, None, _) => not_sent(&delivery, at, "the endpoint is disabled or removed".into()),
        (Channel::Push, ..) => push_attempt(&delivery, senders, config, at).await,
        (Channel::Email, ..) if delivery.event == Event::Reply => reply_attempt(&delivery, senders, config, at).await,
        (Channel::Email, _, Some(mailer)) => {
            let send = mailer.send(&delivery, &config.public_url, &config.time_zone);
            mail_attempt(&delivery, send, config, at).await
        }
        (channel, _, _) => not_sent(
            &delivery,
            at,
            format!("this server is not set up to send {channel} deliveries"),
        ),
    };
    report(&delivery, &attempt, config);
    attempt
}

/// Counts the attempt, and logs a warning when it failed: to where (scheme and host only — a
/// URL may carry a credential), which attempt, why, and what happens next.
fn report(delivery: &DueDelivery, attempt: &Attempt, config: &DeliverConfig) {
    let result = match attempt.outcome {
        Outcome::Delivered => "delivered",
        Outcome::RetryAt(_) => "retry",
        Outcome::Failed => "failed",
        Outcome::Gone => "gone",
    };
    metrics::counter!("lead_delivery_attempts_total", "channel" => delivery.channel.as_str(), "result" => result)
        .increment(1);
    if attempt.outcome == Outcome::Delivered {
        return;
    }
    let to = match (delivery.channel, &delivery.webhook, &delivery.push) {
        (Channel::Webhook, Some(target), _) => origin(&target.url),
        (Channel::Push, _, Some(device)) => origin(&device.endpoint),
        (Channel::Email, ..) => match (
            delivery.reply.as_ref().and_then(|reply| reply.smtp_url.as_ref()),
            &config.smtp,
        ) {
            (Some(company), _) => origin(company),
            (None, Some(smtp)) => origin(&smtp.url),
            (None, None) => "no SMTP server".into(),
        },
        _ => "nowhere".into(),
    };
    let why = match (&attempt.error, attempt.status) {
        (Some(error), _) => error.clone(),
        (None, Some(status)) => format!("answered {status}"),
        (None, None) => "no answer".into(),
    };
    let next = match attempt.outcome {
        Outcome::RetryAt(at) => format!(
            "next attempt in {} s",
            ((at.millis() - Timestamp::now().millis()).max(0) as u64).div_ceil(1000)
        ),
        Outcome::Gone => "the endpoint is gone: it is disabled".into(),
        _ => "failed for good".into(),
    };
    log::warn!(
        "{} delivery {} to {to} failed (attempt {}): {why}; {next}",
        delivery.channel,
        delivery.id,
        delivery.attempts + 1
    );
}

/// `scheme://host[:port]` of a URL, nothing of its user, path or query.
fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
            (Some(host), None) => format!("{}://{host}", url.scheme()),
            (None, _) => format!("{}:", url.scheme()),
        },
        Err(_) => "an address that is no URL".into(),
    }
}

/// An attempt that sent nothing and never will: it fails for good, saying `why`.
fn not_sent(delivery: &DueDelivery, at: Timestamp, why: String) -> Attempt {
    Attempt {
        id: delivery.id,
        endpoint: None,
        at,
        duration: Duration::ZERO,
        status: None,
        error: Some(why),
        body: None,
        outcome: Outcome::Failed,
    }
}

/// After a failed attempt made `at`: the next one, on the schedule (or after `retry_after`),
/// or none — the schedule ran out.
fn retry_or_fail(
    delivery: &DueDelivery,
    config: &DeliverConfig,
    at: Timestamp,
    retry_after: Option<Duration>,
) -> Outcome {
    match config.schedule.next_delay(delivery.attempts + 1, retry_after) {
        Some(delay) => Outcome::RetryAt(Timestamp::from_millis(
            at.millis() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
        )),
        None => Outcome::Failed,
    }
}

/// What this attempt sends: what the first one sent, or — the first — `make`'s, with `true`
/// (to be kept for the retries). `None`: the record it is about is gone.
fn fixed_body(delivery: &DueDelivery, make: impl FnOnce() -> Option<String>) -> Option<(String, bool)> {
    match &delivery.body {
        Some(body) => Some((body.clone(), false)),
        None => make().map(|body| (body, true)),
    }
}

/// A reply of the team, by the company's SMTP server (at an address checked like a webhook's
/// target) or the server's.
async fn reply_attempt(delivery: &DueDelivery, senders: &Senders, config: &DeliverConfig, at: Timestamp) -> Attempt {
    let Some(reply) = &delivery.reply else {
        return not_sent(delivery, at, "the reply or its lead is gone".into());
    };
    let mailer = match &reply.smtp_url {
        Some(url) => match crate::reply::company_mailer(url, config).await {
            Ok(mailer) => mailer,
            Err(refused) => return mail_attempt(delivery, std::future::ready(refused), config, at).await,
        },
        None => match &senders.mailer {
            Some(mailer) => mailer.clone(),
            None => {
                return not_sent(
                    delivery,
                    at,
                    "neither the company's mailbox nor this server has an SMTP server".into(),
                )
            }
        },
    };
    let send = mailer.send_reply(reply, &config.time_zone);
    mail_attempt(delivery, send, config, at).await
}

/// An e-mail, made anew from the record at every attempt, sent by `send`. The whole
/// conversation gets a deadline (lettre's own timeout covers only each connect). A 4xx is
/// retried, a 5xx fails.
async fn mail_attempt(
    delivery: &DueDelivery,
    send: impl std::future::Future<Output = crate::mail::MailAnswer>,
    config: &DeliverConfig,
    at: Timestamp,
) -> Attempt {
    let answer = match tokio::time::timeout(config.timeout, send).await {
        Ok(answer) => answer,
        Err(_) => crate::mail::MailAnswer {
            code: None,
            error: Some(format!(
                "the SMTP server took longer than {} s",
                config.timeout.as_secs()
            )),
            permanent: false,
            duration: config.timeout,
        },
    };
    let outcome = match (&answer.error, answer.permanent) {
        (None, _) => Outcome::Delivered,
        (Some(_), true) => Outcome::Failed,
        (Some(_), false) => retry_or_fail(delivery, config, at, None),
    };
    Attempt {
        id: delivery.id,
        endpoint: None,
        at,
        duration: answer.duration,
        status: answer.code,
        error: answer.error,
        body: None,
        outcome,
    }
}

/// A webhook request: `410` disables the endpoint, any other failure is retried.
async fn webhook_attempt(
    delivery: &DueDelivery,
    target: &WebhookTarget,
    senders: &Senders,
    config: &DeliverConfig,
    at: Timestamp,
) -> Attempt {
    let Some((body, new_body)) = fixed_body(delivery, || {
        webhook::body(delivery, target.format, &config.public_url, &config.link_key)
    }) else {
        return not_sent(delivery, at, "the record it is about is gone".into());
    };
    let answer = senders.client.send(target, webhook::message_id(delivery), &body).await;
    let outcome = if answer.delivered() {
        Outcome::Delivered
    } else if answer.gone() {
        Outcome::Gone
    } else {
        retry_or_fail(delivery, config, at, answer.retry_after)
    };
    Attempt {
        id: delivery.id,
        endpoint: Some(Endpoint::Webhook(target.id)),
        at,
        duration: answer.duration,
        status: answer.status.map(i32::from),
        error: answer.error,
        body: new_body.then_some(body),
        outcome,
    }
}

/// A push message: `404`/`410` mean the device is gone (its subscription is deleted), `429`
/// and server errors are retried (after `Retry-After` if given), other refusals fail for good.
async fn push_attempt(delivery: &DueDelivery, senders: &Senders, config: &DeliverConfig, at: Timestamp) -> Attempt {
    let (Some(vapid), Some(target)) = (&config.push, &delivery.push) else {
        let why = if config.push.is_none() {
            "this server is not set up to send push messages ([push] subject)"
        } else {
            "the device is no longer subscribed, or its employee is inactive or turned push off"
        };
        return not_sent(delivery, at, why.into());
    };
    let made = || push::message(delivery).map(|message| serde_json::to_string(&message).expect("a message serialises"));
    let Some((body, new_body)) = fixed_body(delivery, made) else {
        return not_sent(delivery, at, "the record it is about is gone".into());
    };
    let answer = match push::send(&senders.client, vapid, target, &body).await {
        Ok(answer) => answer,
        Err(why) => return not_sent(delivery, at, why),
    };
    let outcome = if answer.delivered() {
        Outcome::Delivered
    } else if push::gone(&answer) {
        Outcome::Gone
    } else if push::retryable(&answer) {
        retry_or_fail(delivery, config, at, answer.retry_after)
    } else {
        Outcome::Failed
    };
    Attempt {
        id: delivery.id,
        endpoint: Some(Endpoint::Push(target.id)),
        at,
        duration: answer.duration,
        status: answer.status.map(i32::from),
        error: answer.error,
        body: new_body.then_some(body),
        outcome,
    }
}
