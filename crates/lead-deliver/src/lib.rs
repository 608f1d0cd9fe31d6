//! Outbound delivery: the workers that take due rows from lead-store's outbox and send them —
//! signed webhooks (Standard Webhooks), Slack-style posts and e-mail (SMTP; the team's replies
//! by a company's own SMTP server, at an address checked like a webhook's) — with retries on
//! a schedule,
//! `Retry-After` honoured, bounded concurrency per target and in all, timeouts, and an SSRF
//! guard on every attempt.
//!
//! A delivery is claimed in one short transaction, sent outside any transaction, and its
//! attempt recorded in another: a worker never holds the database (SQLite's one writer above
//! all) while it waits on the network. Each delivery is sent at least once: a process that
//! dies after sending and before recording sends it again after its claim runs out (SQLite:
//! at its next start). Receivers deduplicate by the `webhook-id` header.
//!
//! Knows no HTTP routes; lead-server starts the workers ([`Deliverer::start`]).

mod attempt;
mod deliverer;
mod guard;
mod mail;
mod notice;
mod push;
mod reply;
mod schedule;
mod sign;
mod webhook;
mod worker;

pub use deliverer::{DeliverConfig, Deliverer, StartError};
pub use guard::{check_target, mail_server_address, GuardError};
pub use mail::{MailError, Mailer, SmtpConfig};
pub use push::{Message, Vapid, VapidError, TIME_TO_LIVE};
pub use schedule::{Schedule, ScheduleError};
pub use sign::{generate_secret, signature, SecretError};
pub use webhook::{ping, Answer, ClientError, WebhookClient};
