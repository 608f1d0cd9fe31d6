//! `[attachments]`: the files a form sends with its lead — their limits, how long an upload
//! may take, and the virus scanner.

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

/// `[attachments]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    /// The most files a lead carries (0: none).
    pub max_files: usize,
    /// All of a lead's files together, in bytes.
    pub max_total_bytes: usize,
    /// The longest a request with files may take to arrive.
    pub upload_timeout_secs: u64,
    /// What requests with files may hold in memory together.
    pub upload_budget_bytes: usize,
    /// clamd's address ("": no scanner).
    pub clamd: String,
    /// How long one scan may take.
    pub scan_timeout_secs: u64,
    /// How often files clamd did not judge are offered to it again.
    pub scan_retry_secs: u64,
}

impl AttachmentsConfig {
    /// Refuses limits that cannot work, and a scanner address that is none.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if self.max_files > 0 && (self.max_file_bytes == 0 || self.max_total_bytes == 0) {
            bail!("attachments.max_file_bytes and attachments.max_total_bytes must be above 0 (or set max_files = 0)");
        }
        if self.upload_budget_bytes == 0 {
            bail!("attachments.upload_budget_bytes must be above 0");
        }
        if self.upload_timeout_secs == 0 || self.scan_timeout_secs == 0 || self.scan_retry_secs == 0 {
            bail!("attachments.upload_timeout_secs, scan_timeout_secs and scan_retry_secs must be at least 1");
        }
        self.clamd()?;
        Ok(())
    }

    /// The scanner, if one is configured.
    pub fn clamd(&self) -> anyhow::Result<Option<lead_http::Clamd>> {
        match self.clamd.trim() {
            "" => Ok(None),
            address => lead_http::Clamd::parse(address)
                .map(Some)
                .map_err(|why| anyhow::anyhow!("attachments.clamd: {why}")),
        }
    }

    /// How many files, and how large, a lead keeps.
    pub fn limits(&self) -> lead_domain::AttachmentLimits {
        lead_domain::AttachmentLimits {
            max_file_bytes: self.max_file_bytes,
            max_files: self.max_files,
            max_total_bytes: self.max_total_bytes,
        }
    }

    /// What the HTTP layer is given (the link key is set when the server starts).
    pub fn settings(&self) -> lead_http::AttachmentSettings {
        let mut settings = lead_http::AttachmentSettings::default();
        settings.limits = self.limits();
        // Checked when the configuration was read.
        settings.clamd = self.clamd().ok().flatten();
        settings.scan_timeout = Duration::from_secs(self.scan_timeout_secs);
        settings.upload_timeout = Duration::from_secs(self.upload_timeout_secs);
        settings.budget = lead_http::UploadBudget::new(self.upload_budget_bytes);
        settings
    }
}
