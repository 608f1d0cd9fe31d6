//! Answers for people: a plain HTML form, posted by a browser, shows its answer to the
//! visitor — so it gets a small German page instead of a JSON document, with the same
//! status code. Scripts (`fetch`, curl, PHP) keep getting JSON.

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use maud::{html, Markup};

use crate::dashboard::standalone;
use crate::lead::Accepted;
use crate::ApiError;

/// Whether the `Accept` header prefers `text/html` to JSON, as a browser's does when it
/// submits a form (`text/html,…,*/*;q=0.8`). curl's `*/*`, `fetch`'s default and no header
/// at all rank both the same: JSON.
pub(crate) fn prefers_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    quality(&accept, "text", "html") > quality(&accept, "application", "json")
}

/// The quality `accept` gives `kind/subtype`: that of the most specific range that matches
/// (`text/html` before `text/*` before `*/*`), 0 when none does (RFC 9110, 12.5.1).
fn quality(accept: &str, kind: &str, subtype: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let Some((range_kind, range_subtype)) = parts.next().and_then(|media| media.trim().split_once('/')) else {
            continue;
        };
        let specificity = match (range_kind.trim(), range_subtype.trim()) {
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(subtype) => 2,
            (k, "*") if k.eq_ignore_ascii_case(kind) => 1,
            ("*", "*") => 0,
            _ => continue,
        };
        let q = parts
            .filter_map(|param| param.trim().split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, value)| value.trim().parse::<f32>().ok())
            .map_or(1.0, |q| q.clamp(0.0, 1.0));
        if best.is_none_or(|(seen, _)| specificity > seen) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// The page the form was on (`Referer`), when it is on one of the key's websites: the answer
/// may link back to it. Never a link to anywhere else.
pub(crate) fn back_link(req: &HttpRequest, origins: &[String]) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?.trim();
    crate::origin::is_on(referer, origins).then(|| referer.to_owned())
}

/// `200` with „Vielen Dank“: the lead is stored.
pub(crate) fn thanks(accepted: &Accepted, back: Option<&str>) -> HttpResponse {
    let what = match accepted.lead_type {
        "order" => "Ihre Bestellung",
        _ => "Ihre Anfrage",
    };
    let body = html! {
        h1 { "Vielen Dank!" }
        p { (what) " ist bei uns eingegangen (Nummer " (accepted.id) ")." }
        (link_back(back, "Zurück zur Website"))
    };
    crate::html(StatusCode::OK, standalone("Vielen Dank", body))
}

/// The error's status and headers (`Retry-After`, …) with a page that says what went wrong.
pub(crate) fn sorry(error: &ApiError, back: Option<&str>) -> HttpResponse {
    let again = match error.status_code() {
        status if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
            "Bitte versuchen Sie es in einem Moment noch einmal."
        }
        _ => "Bitte prüfen Sie Ihre Angaben und senden Sie das Formular noch einmal.",
    };
    let body = html! {
        h1 { "Das hat leider nicht geklappt" }
        p class="error" { (error.message()) }
        p { (again) }
        @if back.is_none() {
            p { "Mit der Zurück-Taste Ihres Browsers kommen Sie zum Formular zurück; Ihre Eingaben sind dort meist noch da." }
        }
        (link_back(back, "Zurück zur Website"))
    };
    // The status and headers of the JSON answer (Retry-After, Allow, …), this page as body.
    let mut response = error
        .error_response()
        .set_body(standalone("Nicht gesendet", body).into_string())
        .map_into_boxed_body();
    crate::html_headers(response.headers_mut());
    response
}

fn link_back(back: Option<&str>, label: &str) -> Markup {
    html! {
        @if let Some(back) = back {
            p { a href=(back) { (label) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, header::HeaderValue::from_str(value).unwrap());
        prefers_html(&headers)
    }

    #[test]
    fn browsers_prefer_html_and_scripts_do_not() {
        // Chromium, Firefox and Safari submitting a form.
        assert!(accepts(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
        ));
        assert!(accepts(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(accepts("text/*, application/json;q=0.5"));
        // curl, fetch(), PHP, explicit JSON, and no header at all.
        assert!(!accepts("*/*"));
        assert!(!accepts("application/json"));
        assert!(!accepts("application/json, text/html"));
        assert!(!accepts("text/html;q=0.5, application/json"));
        assert!(!accepts("text/html;q=0, */*"));
        assert!(!accepts("nonsense"));
        assert!(!prefers_html(&HeaderMap::new()));
    }
}
