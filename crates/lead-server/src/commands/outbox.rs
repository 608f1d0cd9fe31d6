//! What leaves the building: `webhook`, `outbox` and `push`.

use anyhow::{bail, Context};
use lead_store::{DeliveryFilter, Event, NewWebhook, Store, WebhookFormat};

use super::{limit, list_rows};
use crate::cli::{OutboxCommand, PushCommand, WebhookCommand};
use crate::config::Config;
use crate::output::{DeliveryRow, WebhookRow};

/// `webhook …`
pub(super) fn webhook(command: WebhookCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    let allow_private = config.outbox.allow_private_targets;
    match command {
        WebhookCommand::Add {
            company,
            url,
            events,
            format,
        } => {
            let company = store.access().find_company(&company)?;
            let url = url.trim();
            on_runtime(lead_deliver::check_target(url, allow_private))?
                .with_context(|| format!("cannot send webhooks to {url}"))?;
            let events = if events.is_empty() {
                Event::WEBHOOK_EVENTS.to_vec()
            } else {
                let mut parsed = Vec::new();
                for event in events {
                    if !Event::WEBHOOK_EVENTS.contains(&event) {
                        bail!("{event} is not an event a webhook can receive");
                    }
                    if !parsed.contains(&event) {
                        parsed.push(event);
                    }
                }
                parsed
            };
            let secret = lead_deliver::generate_secret()?;
            let id = store.outbox().add_webhook(&NewWebhook {
                company_id: company.id,
                url,
                events: &events,
                format,
                secret: &secret,
            })?;
            match format {
                // A chat tool's incoming webhook checks no signature: nothing to show but the id.
                WebhookFormat::Slack => {
                    eprintln!("Added webhook {id} for {}: posts to {url}, unsigned.", company.name);
                    println!("{id}");
                }
                WebhookFormat::Standard => {
                    eprintln!(
                        "Added webhook {id} for {}. Its signing secret, shown only now (the receiver verifies every request with it):",
                        company.name
                    );
                    println!("{secret}");
                }
            }
            Ok(())
        }
        WebhookCommand::List { company, list } => {
            let company_id = company
                .map(|c| store.access().find_company(&c))
                .transpose()?
                .map(|c| c.id);
            list_rows(store.outbox().list_webhooks(company_id)?, &list, WebhookRow::from)
        }
        WebhookCommand::Remove { id } => {
            store.outbox().remove_webhook(lead_store::Scope::Everyone, id)?;
            eprintln!("Removed webhook {id}; its pending deliveries failed.");
            Ok(())
        }
        WebhookCommand::Enable { id } => {
            store.outbox().enable_webhook(lead_store::Scope::Everyone, id)?;
            eprintln!("Enabled webhook {id}. Failed deliveries stay failed: `outbox retry ID` sends one again.");
            Ok(())
        }
        WebhookCommand::RotateSecret { id } => {
            let secret = lead_deliver::generate_secret()?;
            store.outbox().rotate_webhook_secret(id, &secret)?;
            eprintln!(
                "New secret of webhook {id}, shown only now. For 24 hours every request is signed with the old secret too."
            );
            println!("{secret}");
            Ok(())
        }
        WebhookCommand::Test { id } => {
            let (webhook, target) = store.outbox().find_webhook(lead_store::Scope::Everyone, id)?;
            let client = lead_deliver::WebhookClient::new(
                std::time::Duration::from_secs(config.outbox.timeout_secs),
                allow_private,
            )?;
            let answer = on_runtime(async move { lead_deliver::ping(&client, &target).await })?;
            let took = answer.duration.as_millis();
            let told = lead_present::ping::told(
                &webhook.url,
                answer.status,
                answer.error.as_deref(),
                took,
                lead_present::ping::Language::English,
            );
            println!("{}", told.map_err(anyhow::Error::msg)?);
            Ok(())
        }
    }
}

/// `outbox …`
pub(super) fn push(command: PushCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        PushCommand::PublicKey => {
            // The key pair is made by the first server started with push on: never here for
            // nothing.
            if config.push_subject()?.is_none() {
                bail!("push is off: set [push] subject (or LEAD_PUSH_SUBJECT) for the server and this command, and start the server");
            }
            let keys = store.outbox().vapid_keys_or_make(lead_deliver::Vapid::generate)?;
            println!("{}", keys.public_key);
        }
    }
    Ok(())
}

pub(super) fn outbox(command: OutboxCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List {
            company,
            channel,
            status,
            list,
        } => {
            let filter = DeliveryFilter {
                company_id: company
                    .map(|c| store.access().find_company(&c))
                    .transpose()?
                    .map(|c| c.id),
                channel,
                status,
                before: None,
                limit: limit(&list),
            };
            list_rows(store.deliveries().list_deliveries(&filter)?, &list, DeliveryRow::from)
        }
        OutboxCommand::Retry { id } => {
            store.deliveries().retry_delivery(lead_store::Scope::Everyone, id)?;
            eprintln!("Delivery {id} is due now; a running server sends it within a second.");
            Ok(())
        }
    }
}

/// Runs `work` (network calls) to its end on a runtime of its own.
fn on_runtime<T>(work: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start an async runtime")?;
    Ok(runtime.block_on(work))
}
