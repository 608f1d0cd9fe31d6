//! Keeping keys and tokens out of logs: query strings, paths and request bodies.

use std::borrow::Cow;

use crate::{GENERATED_PREFIX, QUERY_PARAMETER, TOKEN_PREFIX};

/// Query parameters whose value is treated as a secret in logs, whatever it looks like: the
/// API key's own `key`, and the names clients commonly (and wrongly) use for tokens.
const SECRET_PARAMETERS: [&str; 8] = [
    QUERY_PARAMETER,
    "token",
    "access_token",
    "api_key",
    "apikey",
    "x-api-key",
    "authorization",
    "password",
];

/// Whether `text` holds something shaped like one of our keys or tokens.
fn holds_secret(text: &str) -> bool {
    text.contains(GENERATED_PREFIX) || text.contains(TOKEN_PREFIX)
}

/// The query string for access logs: the value of every secret parameter (`key`, `token`,
/// `access_token`, …) becomes `REDACTED`, and so does any parameter holding something shaped
/// like a key or token. Names are compared after percent-decoding and case-insensitively, so
/// no spelling slips through.
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let redacted = |part: &str| -> Option<String> {
        let (name, value) = form_urlencoded::parse(part.as_bytes()).next()?;
        let name = name.to_ascii_lowercase();
        if SECRET_PARAMETERS.contains(&name.as_str()) {
            Some(format!("{name}=REDACTED"))
        } else if holds_secret(&name) || holds_secret(&value) {
            Some("REDACTED".into())
        } else {
            None
        }
    };
    if !query.split('&').any(|part| redacted(part).is_some()) {
        return Cow::Borrowed(query);
    }
    let parts: Vec<String> = query
        .split('&')
        .map(|part| redacted(part).unwrap_or_else(|| part.to_owned()))
        .collect();
    Cow::Owned(parts.join("&"))
}

/// `text` (a request body kept for the submission log) with every key or token in it replaced
/// by `REDACTED`: the `presented` key wherever it appears, and anything shaped like one of
/// our keys or tokens (`lgw_…`, `lgt_…`).
pub fn redact_secrets(text: &str, presented: Option<&str>) -> String {
    let mut text = match presented.map(str::trim).filter(|key| key.len() >= 4) {
        Some(key) => text.replace(key, "REDACTED"),
        None => text.to_owned(),
    };
    for prefix in [GENERATED_PREFIX, TOKEN_PREFIX] {
        text = redact_runs(&text, prefix);
    }
    text
}

/// `text` with every `prefix` and the letters and digits after it replaced by `REDACTED`, in
/// one pass (replacing in place moved the rest of the text for every match: a body full of
/// prefixes cost quadratic time).
fn redact_runs(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at]);
        out.push_str("REDACTED");
        let after = &rest[at + prefix.len()..];
        let end = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The request path for access logs, with any segment shaped like a key or token (someone
/// pasted one into the address) replaced by `REDACTED`.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    let decoded = |segment: &str| {
        form_urlencoded::parse(format!("x={segment}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let secret = |segment: &str| holds_secret(segment) || decoded(segment).is_some_and(|s| holds_secret(&s));
    if !path.split('/').any(secret) {
        return Cow::Borrowed(path);
    }
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| if secret(segment) { "REDACTED" } else { segment })
        .collect();
    Cow::Owned(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_every_spelling_of_key() {
        assert_eq!(redact_query("key=secret"), "key=REDACTED");
        assert_eq!(redact_query("a=1&key=secret&b=2"), "a=1&key=REDACTED&b=2");
        assert_eq!(
            redact_query("%6Bey=secret&KEY=s2&k%65y=s3"),
            "key=REDACTED&key=REDACTED&key=REDACTED"
        );
        assert_eq!(redact_query("key"), "key=REDACTED");
        assert_eq!(redact_query("a=1&monkey=ok"), "a=1&monkey=ok");
        assert!(matches!(redact_query("a=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_in_bodies_are_redacted() {
        assert_eq!(
            redact_secrets(
                "type=order&key=lgw_Abc123&x=lgt_Z9 and legacy-key-1",
                Some("legacy-key-1")
            ),
            "type=order&key=REDACTED&x=REDACTED and REDACTED"
        );
        assert_eq!(redact_secrets("nothing here", None), "nothing here");
        assert_eq!(redact_secrets("lgw_", None), "REDACTED");
        assert_eq!(redact_secrets("xlgw_ab-lgt_", None), "xREDACTED-REDACTED");
    }

    #[test]
    fn a_body_full_of_prefixes_is_redacted_in_one_pass() {
        // 64 KiB of `lgw_,` (13,107 matches): each match used to move the rest of the text.
        let body = "lgw_,".repeat(13_107);
        assert_eq!(redact_secrets(&body, None), "REDACTED,".repeat(13_107));
        let body = "lgw_a lgt_b ".repeat(5 * 1024);
        assert_eq!(redact_secrets(&body, None), "REDACTED REDACTED ".repeat(5 * 1024));
    }

    #[test]
    fn redaction_hides_tokens_and_anything_shaped_like_a_secret() {
        assert_eq!(
            redact_query("token=t&Access_Token=u&password=p&limit=5"),
            "token=REDACTED&access_token=REDACTED&password=REDACTED&limit=5"
        );
        assert_eq!(
            redact_query("q=lgt_abc&lgw_abc&x=%6Cgw_abc"),
            "REDACTED&REDACTED&REDACTED"
        );
        assert_eq!(redact_path("/api/v1/lgw_abc/x"), "/api/v1/REDACTED/x");
        assert_eq!(redact_path("/api/v1/%6Cgt_abc"), "/api/v1/REDACTED");
        assert!(matches!(redact_path("/api/v1/lead.php"), Cow::Borrowed(_)));
    }
}
