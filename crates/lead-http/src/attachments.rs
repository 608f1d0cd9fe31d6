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
use crate::scan::{Clamd, Verdict};
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
    /// How long a request with files may take to arrive (the body timeout of the others is
    /// `[server] body_timeout_secs`).
    pub upload_timeout: Duration,
    /// The key that signs webhooks' download links, the same on every instance.
    pub link_key: String,
}

impl Default for AttachmentSettings {
    fn default() -> Self {
        AttachmentSettings {
            limits: AttachmentLimits::default(),
            clamd: None,
            scan_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(300),
            link_key: lead_auth::generate_signing_key().expect("the operating system gives random bytes"),
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
    /// not answer — the lead is never refused for it, its files are scanned later (and once it
    /// has not answered, the lead's other files are not offered to it: one wait is enough).
    pub(crate) async fn scan(&self, uploads: &[Upload]) -> Vec<Scan> {
        let Some(clamd) = &self.clamd else {
            return Vec::new();
        };
        let mut verdicts = Vec::with_capacity(uploads.len());
        let mut answering = true;
        for upload in uploads {
            let verdict = match upload.accepted_type() {
                None => Scan::Off,
                Some(_) if !answering => Scan::Pending,
                Some(_) => match clamd.scan(&upload.data, self.scan_timeout).await {
                    Ok(verdict) => {
                        if let Verdict::Infected(signature) = &verdict {
                            log::warn!("a lead's file {:?} is infected: {signature}", upload.filename);
                        }
                        verdict.scan()
                    }
                    Err(error) => {
                        log::warn!("clamd did not scan a lead's file (scanned later): {error}");
                        answering = false;
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
/// a few at a time, for as long as the server runs. Malware found now holds its lead back.
pub async fn rescan(store: Store, clamd: Clamd, timeout: Duration, every: Duration) {
    let store = web::Data::new(store);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let waiting = match blocking(&store, |s| s.intake().unscanned(16)).await {
            Ok(waiting) => waiting,
            Err(error) => {
                log::warn!("files waiting for clamd could not be read (next try later): {error}");
                continue;
            }
        };
        for (id, data) in waiting {
            let verdict = match clamd.scan(&data, timeout).await {
                Ok(verdict) => verdict,
                Err(error) => {
                    log::warn!("clamd still does not scan (next try in {} s): {error}", every.as_secs());
                    break;
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
