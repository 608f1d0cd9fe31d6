//! What the submission log keeps of a lead request (never a key), gathered while the request
//! is handled.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest};
use lead_auth::{ApiKey, Credentials};
use lead_store::NewSubmission;

use crate::form;

/// The largest part of a failed request's body the submission log keeps.
const LOGGED_BODY_BYTES: usize = 8 * 1024;

/// What is kept of a body beyond that, so that a key cut at its end is still whole when it is
/// redacted (the cut to [`LOGGED_BODY_BYTES`] comes after).
const KEY_ROOM: usize = 1024;

/// What the submission log keeps of a request, and what its answer needs to know, gathered
/// while it is handled.
#[derive(Default)]
pub(super) struct Trace {
    /// The key as presented: only to redact it from the logged body, never logged itself.
    pub(super) presented: Option<String>,
    pub(super) company_id: Option<lead_store::CompanyId>,
    /// The start of the body (what the log may keep of it, with room for a key to redact at
    /// its end), and its whole size.
    body: Option<web::Bytes>,
    size: Option<usize>,
    /// A form's fields as the JSON that was checked: what is logged instead of the raw form,
    /// which may carry the key in a hidden field.
    pub(super) form: Option<String>,
    /// The body is a urlencoded form: read raw, its `key` parameter is redacted whatever its
    /// spelling.
    pub(super) urlencoded: bool,
    /// The error code, also of a failure answered with a redirect.
    pub(super) code: Option<&'static str>,
    /// Why the answer is not what the request asked for (a redirect that was not followed), or
    /// the lead is held (no valid proof of work).
    note: Option<String>,
    /// The page a browser came from, when it is one of the key's websites: an HTML answer
    /// links back to it.
    pub(super) back: Option<String>,
    /// What became of the lead, for the metrics.
    pub(super) outcome: crate::metrics::LeadOutcome,
}

impl Trace {
    /// Keeps what the log may need of `body`: its size and its start — a copy, so that the
    /// body's megabytes of files are not held for the log.
    pub(super) fn keep_body(&mut self, body: &web::Bytes) {
        let start = body.len().min(LOGGED_BODY_BYTES + KEY_ROOM);
        self.body = Some(web::Bytes::copy_from_slice(&body[..start]));
        self.size = Some(body.len());
    }

    /// Adds why the answer or the lead is not what the request asked for.
    pub(super) fn add_note(&mut self, note: String) {
        self.note = Some(match self.note.take() {
            Some(before) => format!("{before}; {note}"),
            None => note,
        });
    }

    pub(super) fn present(&mut self, credentials: &Credentials) {
        if let Credentials::Presented(key) = credentials {
            self.presented = Some(key.expose().to_owned());
        }
    }

    /// The log entry of the request, answered with `status`.
    pub(super) fn entry(self, req: &HttpRequest, status: StatusCode) -> NewSubmission {
        let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
        let size = match self.size {
            Some(size) => size as i64,
            None => header(header::CONTENT_LENGTH).and_then(|v| v.parse().ok()).unwrap_or(0),
        };
        let client_ip = crate::request::client_ip(req);
        // Only what a valid key sent is kept, and not when it was over its rate: the log is
        // no free storage for strangers or floods. Keys are redacted before the cut, so no
        // half key is left at the end; NUL, which PostgreSQL's text cannot hold, becomes U+FFFD.
        let keep = self.code.is_some_and(|code| code != "rate_limited") && self.company_id.is_some();
        let body = match (keep, &self.form, &self.body) {
            (true, Some(form), _) => Some(form.clone()),
            (true, None, Some(body)) => {
                let text = String::from_utf8_lossy(body);
                Some(match self.urlencoded && !form::looks_like_json(body) {
                    true => lead_auth::redact_query(&text).into_owned(),
                    false => text.into_owned(),
                })
            }
            _ => None,
        }
        .map(|text| {
            let text = lead_auth::redact_secrets(&text, self.presented.as_deref()).replace('\0', "\u{FFFD}");
            let mut end = text.len().min(LOGGED_BODY_BYTES);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_owned()
        });
        NewSubmission {
            at: lead_domain::Timestamp::now(),
            company_id: self.company_id,
            key_prefix: self
                .presented
                .as_deref()
                .map(|key| ApiKey::presented(key).display_prefix()),
            origin: header(header::ORIGIN).map(str::to_owned),
            client_ip: client_ip.map(|ip| ip.to_string()),
            status: i32::from(status.as_u16()),
            code: self.code.map(str::to_owned),
            size,
            body,
            // It may quote a URL the form sent: a key in it is redacted like in a body.
            note: self
                .note
                .map(|note| lead_auth::redact_secrets(&note, self.presented.as_deref())),
        }
    }
}
