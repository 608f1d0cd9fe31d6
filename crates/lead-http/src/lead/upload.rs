//! Reading a lead request's body: within the body limit — or, where files may come (JSON and
//! multipart), within what `[attachments]` allows them, in a time that grows with the size
//! declared, and only while the bytes all such requests hold together fit the upload budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest};

use crate::form::BodyKind;
use crate::request::read_limited;
use crate::{ApiError, HttpConfig};

/// The least speed a request with files is allowed (a phone on a poor connection manages it).
const SLOWEST_BYTES_PER_SEC: u64 = 64 * 1024;

/// What the requests with files that are arriving or being stored may hold in memory together.
#[derive(Debug, Clone)]
pub struct UploadBudget {
    used: Arc<AtomicUsize>,
    max: usize,
}

impl UploadBudget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> UploadBudget {
        UploadBudget {
            used: Arc::default(),
            max,
        }
    }

    /// `bytes` of the budget until the guard is dropped; `None` when they do not fit now.
    fn take(&self, bytes: usize) -> Option<Reserved> {
        let mut used = self.used.load(Ordering::SeqCst);
        loop {
            // One request alone always fits (else no file over the budget could ever come).
            if used > 0 && used + bytes > self.max {
                return None;
            }
            match self
                .used
                .compare_exchange(used, used + bytes, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    return Some(Reserved {
                        used: Arc::clone(&self.used),
                        bytes,
                    })
                }
                Err(now) => used = now,
            }
        }
    }
}

/// Bytes of the [`UploadBudget`], given back when dropped.
#[derive(Debug)]
pub(super) struct Reserved {
    used: Arc<AtomicUsize>,
    bytes: usize,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// A lead request's body, and the budget it holds while it is handled (`None`: within the body
/// limit, which every request may hold). Past the body limit: `503` while the budget is spent
/// (retry after a second), and a time to arrive that grows with the size declared.
pub(super) async fn read_lead_body(
    req: &HttpRequest,
    body: web::Payload,
    config: &HttpConfig,
    kind: BodyKind,
) -> Result<(web::Bytes, Option<Reserved>), ApiError> {
    let limit = match kind {
        BodyKind::UrlEncoded => config.body_limit,
        BodyKind::Json | BodyKind::Multipart => config.body_limit + config.attachments.allowance(),
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let small = declared.is_some_and(|length| length <= config.body_limit as u64) || limit == config.body_limit;
    let reserved = match small {
        true => None,
        false => {
            // Chunked: as much as it may become.
            let bytes = declared.map_or(limit, |length| (length as usize).min(limit));
            Some(config.attachments.budget.take(bytes).ok_or(ApiError::Busy)?)
        }
    };
    let bytes = read_limited(req, body, limit, |declared| match (small, declared) {
        (true, _) => config.body_timeout,
        (false, Some(length)) => config
            .attachments
            .upload_timeout
            .min(config.body_timeout + Duration::from_secs(length / SLOWEST_BYTES_PER_SEC)),
        (false, None) => config.attachments.upload_timeout,
    })
    .await?;
    Ok((bytes, reserved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_takes_one_request_always_and_more_while_they_fit() {
        let budget = UploadBudget::new(100);
        let big = budget.take(150).expect("alone, anything fits");
        assert!(budget.take(1).is_none(), "spent");
        drop(big);
        let a = budget.take(60).unwrap();
        let b = budget.take(40).unwrap();
        assert!(budget.take(1).is_none());
        drop((a, b));
        assert_eq!(budget.used.load(Ordering::SeqCst), 0, "all given back");
    }
}
