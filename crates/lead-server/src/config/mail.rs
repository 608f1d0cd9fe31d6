//! `[mail]`: how the companies' mailboxes are read.

use serde::Deserialize;

use super::Config;

/// `[mail]`: the companies' mailboxes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Seconds between two readings of a mailbox.
    pub poll_secs: u64,
    /// E-mails larger than this are filed cut.
    pub max_message_bytes: u64,
}

impl Config {
    /// How the companies' mailboxes are read: every `[mail] poll_secs`, each check at most
    /// `[outbox] timeout_secs`, mail servers on private networks as `[outbox]
    /// allow_private_targets` says.
    pub fn mail_reader(&self) -> anyhow::Result<lead_mailbox::ReaderConfig> {
        if self.mail.poll_secs == 0 {
            anyhow::bail!("[mail] poll_secs must be at least 1");
        }
        if self.mail.max_message_bytes < 64 * 1024 {
            anyhow::bail!("[mail] max_message_bytes must be at least 65536 (64 KiB)");
        }
        Ok(lead_mailbox::ReaderConfig {
            poll: std::time::Duration::from_secs(self.mail.poll_secs),
            timeout: std::time::Duration::from_secs(self.outbox.timeout_secs),
            allow_private: self.outbox.allow_private_targets,
            max_message_bytes: self.mail.max_message_bytes,
            scanner: self.attachments.clamd()?.is_some(),
            attachments: self.attachments.limits(),
        })
    }
}
