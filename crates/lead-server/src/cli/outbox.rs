//! `webhook`, `outbox` and `push`.

use clap::Subcommand;
use lead_store::{Channel, DeliveryId, DeliveryStatus, Event, WebhookFormat, WebhookId};

use super::ListArgs;

/// `push …`
#[derive(Debug, Subcommand)]
pub enum PushCommand {
    /// Print the server's VAPID public key (browsers subscribe with it); made now if push has
    /// never been enabled.
    PublicKey,
}

/// `webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint for a company's events; prints its signing secret (shown only now).
    Add {
        /// Id or exact name of the company.
        #[arg(long)]
        company: String,
        /// Where to send: https://… (http:// and private addresses only with
        /// [outbox] allow_private_targets).
        #[arg(long)]
        url: String,
        /// Comma-separated events (default: all): order.created, ticket.created,
        /// order.accepted, order.rejected, ticket.closed, ticket.reopened, ticket.pending,
        /// order.owner_changed, ticket.owner_changed.
        #[arg(long, value_delimiter = ',')]
        events: Vec<Event>,
        /// standard (signed JSON events) or slack (`{"text": …}` for Slack, Mattermost,
        /// Rocket.Chat and Teams incoming webhooks, unsigned).
        #[arg(long, default_value = "standard")]
        format: WebhookFormat,
    },
    /// List endpoints (never their secrets).
    List {
        /// Only this company's (id or exact name).
        #[arg(long)]
        company: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Remove an endpoint: it is sent nothing more; its pending deliveries fail.
    Remove {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Enable a disabled endpoint again.
    Enable {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Give an endpoint a new secret (printed); for 24 hours requests carry a signature with
    /// the old one too.
    RotateSecret {
        /// The endpoint's id.
        id: WebhookId,
    },
    /// Send a `ping` event to an endpoint now and print its answer.
    Test {
        /// The endpoint's id.
        id: WebhookId,
    },
}

/// `outbox …`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first.
    List {
        /// Only this company's (id or exact name).
        #[arg(long)]
        company: Option<String>,
        /// Only this channel: webhook, email or push.
        #[arg(long)]
        channel: Option<Channel>,
        /// Only this status: pending, delivered or failed.
        #[arg(long)]
        status: Option<DeliveryStatus>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Try a delivery again now (a failed one too).
    Retry {
        /// The delivery's id.
        id: DeliveryId,
    },
}
