//! The files leads come with, over HTTP: what the lead endpoint takes (`[attachments]`), the
//! virus scan before a lead is stored, and the download — with an employee's token, or with a
//! webhook's signed link — always as an attachment the browser will not run.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_domain::{AttachmentLimits, Upload};
use lead_store::{AttachmentFile, AttachmentId, Scan, Store};

use crate::error::ErrorBody;
use crate::request::{blocking, record_id};
use crate::scan::{Clamd, ScanError, Verdict};
use crate::{ApiError, TeamMember};

/// What the lead endpoint does with files (`[attachments]` in the server's config).
#[derive(Debug, Clone)]
pub struct AttachmentSettings {
    /// How many and how big.
    pub limits: AttachmentLimits,
    /// The virus scanner, if one is configured.
    pub clamd: Option<Clamd>,
    /// How long one file's scan may take before it is left for later („nicht geprüft“).
    pub scan_timeout: Duration,
    /// The longest a request with files may take to arrive (a minute more for each 4 MiB
    /// declared, up to this; the others have `[server] request_timeout_secs`).
    pub upload_timeout: Duration,
    /// What the requests with files may hold in memory together while they arrive and are
    /// stored; beyond, `503` (retry after a second).
    pub budget: crate::lead::UploadBudget,
    /// The key that signs webhooks' download links, the same on every instance.
    pub link_key: String,
    /// Until when (Unix milliseconds) clamd is taken to be down after it did not answer: leads
    /// meanwhile do not wait for it (their files are scanned later).
    pub(crate) down_until: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// How long clamd is left alone after it did not answer.
const DOWN_FOR_MS: i64 = 30_000;

impl Default for AttachmentSettings {
    fn default() -> Self {
        AttachmentSettings {
            limits: AttachmentLimits::default(),
            clamd: None,
            scan_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(300),
            budget: crate::lead::UploadBudget::new(128 << 20),
            link_key: lead_auth::generate_signing_key().expect("the operating system gives random bytes"),
            down_until: Default::default(),
        }
    }
}

impl AttachmentSettings {
    /// The most a lead request with files may carry besides `body_limit` (the rest of the
    /// body): every file in base64 (a third more than its bytes), with room for each part's
    /// headers. Nothing when files are off (`max_files = 0`).
    pub(crate) fn allowance(&self) -> usize {
        match self.limits.max_files {
            0 => 0,
            files => self.limits.max_total_bytes.div_ceil(3) * 4 + files * 1024,
        }
    }

    /// What the scanner says of each of `uploads`, in order: `off` without a scanner; for a
    /// type no lead may carry (it is not stored), `off` too; `pending` when the scanner does
    /// not judge it — the lead is never refused for it, its files are scanned later. A clamd
    /// that does not answer at all is left alone for a while: leads meanwhile do not wait.
    pub(crate) async fn scan(&self, uploads: &[Upload]) -> Vec<Scan> {
        use std::sync::atomic::Ordering;
        let Some(clamd) = &self.clamd else {
            return Vec::new();
        };
        let now = || lead_domain::Timestamp::now().millis();
        let mut verdicts = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let verdict = match upload.accepted_type() {
                None => Scan::Off,
                Some(_) if now() < self.down_until.load(Ordering::Relaxed) => Scan::Pending,
                Some(_) => match clamd.scan(&upload.data, self.scan_timeout).await {
                    Ok(verdict) => {
                        if let Verdict::Infected(signature) = &verdict {
                            log::warn!("a lead's file {:?} is infected: {signature}", upload.filename);
                        }
                        verdict.scan()
                    }
                    Err(error) => {
                        log::warn!("{error} (the file is scanned later)");
                        if matches!(error, ScanError::Unreachable(_)) {
                            self.down_until.store(now() + DOWN_FOR_MS, Ordering::Relaxed);
                        }
                        Scan::Pending
                    }
                },
            };
            verdicts.push(verdict);
        }
        verdicts
    }
}

/// Offers clamd the files it has not judged (it did not answer when they came), every `every`,
/// a few at a time, for as long as the server runs — in turn, so that a file clamd never judges
/// (too large for it, too slow) does not hold up the others. Malware found now holds its lead
/// back.
pub async fn rescan(store: Store, clamd: Clamd, timeout: Duration, every: Duration) {
    let store = web::Data::new(store);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut after: Option<AttachmentId> = None;
    loop {
        ticks.tick().await;
        let waiting = match blocking(&store, move |s| s.intake().unscanned(after, 16)).await {
            Ok(waiting) => waiting,
            Err(error) => {
                log::warn!("files waiting for clamd could not be read (next try later): {error}");
                continue;
            }
        };
        // Round again from the first next time.
        after = waiting.last().copied();
        for id in waiting {
            // One file's bytes at a time.
            let data = match blocking(&store, move |s| s.intake().unscanned_data(id)).await {
                Ok(Some(data)) => data,
                Ok(None) => continue,
                Err(error) => {
                    log::warn!("attachment {id} could not be read for clamd (next try later): {error}");
                    continue;
                }
            };
            let verdict = match clamd.scan(&data, timeout).await {
                Ok(verdict) => verdict,
                Err(error @ ScanError::Unreachable(_)) => {
                    log::warn!("{error} (next try in {} s)", every.as_secs());
                    after = None;
                    break;
                }
                Err(error) => {
                    log::warn!("attachment {id}: {error} (tried again in turn)");
                    continue;
                }
            };
            if let Verdict::Infected(signature) = &verdict {
                log::warn!("attachment {id} is infected ({signature}): its lead is held as malware");
            }
            let scan = verdict.scan();
            if let Err(error) = blocking(&store, move |s| s.intake().record_scan(id, scan)).await {
                log::warn!("the scan of attachment {id} was not recorded (scanned again later): {error}");
            }
        }
    }
}

/// The answer that hands out `file`: as an attachment (never shown by the browser as a page,
/// never sniffed, sandboxed if opened anyway) — inline only where `inline` asks for it and it
/// is a raster image. A file the scanner has not passed is not served (`409`).
pub(crate) fn download(file: AttachmentFile, inline: bool) -> Result<HttpResponse, ApiError> {
    let attachment = &file.attachment;
    if !attachment.scan.servable() {
        return Err(ApiError::Conflict(match attachment.scan {
            Scan::Infected => "Diese Datei enthält Schadsoftware und wird nicht ausgeliefert.".into(),
            _ => "Diese Datei ist noch nicht auf Viren geprüft; sie wird ausgeliefert, sobald sie geprüft ist.".into(),
        }));
    }
    let inline = inline && lead_domain::previewable(&attachment.content_type);
    let disposition = header::ContentDisposition {
        disposition: match inline {
            true => header::DispositionType::Inline,
            false => header::DispositionType::Attachment,
        },
        parameters: vec![
            // An ASCII fallback for old clients, and the name itself (RFC 6266, RFC 8187).
            header::DispositionParam::Filename(ascii_name(&attachment.filename)),
            header::DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: attachment.filename.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, attachment.content_type.as_str()))
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(file.data))
}

/// `name` with anything but printable ASCII as `_` (and no quotes or backslashes).
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect()
}

/// The query of a signed link.
#[derive(serde::Deserialize)]
struct Signed {
    expires: i64,
    signature: String,
}

/// Download a lead's file.
///
/// With an employee's bearer token (a file of the caller's company), or with the `expires` and
/// `signature` of the link a webhook carries (no token). Always `Content-Disposition:
/// attachment`, `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "team", security(("bearer" = []), ()),
    params(("id" = i64, Path, description = "The file's id (`attachments[].id` of a lead)"),
        ("expires" = Option<i64>, Query, description = "A webhook's link: until when it works (Unix seconds)"),
        ("signature" = Option<String>, Query, description = "A webhook's link: its signature")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A link whose signature is wrong or that has expired", body = ErrorBody),
        (status = 404, description = "No such file in your company", body = ErrorBody),
        (status = 409, description = "Not served: not yet scanned for viruses (`pending`), or malware (`infected`)", body = ErrorBody)))]
pub(crate) async fn get_attachment(
    req: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
    config: web::Data<crate::HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let settings = &config.attachments;
    let id: AttachmentId = record_id(&path)?;
    let file = match web::Query::<Signed>::from_query(req.query_string()) {
        Ok(signed) => {
            let now = lead_domain::Timestamp::now().millis() / 1000;
            if !lead_auth::link_valid(&settings.link_key, id.get(), signed.expires, &signed.signature, now) {
                return Err(ApiError::InvalidLink);
            }
            blocking(&store, move |s| s.team().attachment_by_link(id)).await?
        }
        Err(_) => {
            let member = <TeamMember as actix_web::FromRequest>::extract(&req).await?;
            let company = member.0.company_id;
            blocking(&store, move |s| s.team().attachment(company, id)).await?
        }
    };
    download(file, false)
}

/// Registers the download route.
pub(crate) fn register(cfg: &mut web::ServiceConfig, routes: &mut crate::Routes) {
    cfg.service(
        routes
            .allow_only(["/api/v1/attachments/{id}"], "GET")
            .route(web::get().to(get_attachment)),
    );
}
