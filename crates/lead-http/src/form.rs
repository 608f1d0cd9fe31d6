//! Plain HTML forms: `application/x-www-form-urlencoded` and `multipart/form-data` bodies
//! become the same JSON object a script would send, so one parser and one set of rules apply.

use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use futures_util::StreamExt;

use crate::ApiError;

/// The hidden field that may carry the API key (instead of `?key=` in the form's action).
pub const KEY_FIELD: &str = "key";
/// The optional field naming where the browser goes afterwards.
pub const REDIRECT_FIELD: &str = "redirect";

/// How a body is to be read, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Anything else: JSON, whatever the type says (the published behaviour).
    Json,
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
}

impl BodyKind {
    /// The kind of the request's body.
    pub fn of(headers: &HeaderMap) -> BodyKind {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .trim_start()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            BodyKind::UrlEncoded
        } else if content_type.starts_with("multipart/form-data") {
            BodyKind::Multipart
        } else {
            BodyKind::Json
        }
    }
}

/// The fields of a submitted form, in order (a name may repeat, as with checkboxes).
#[derive(Debug, Default)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Reads a form body of `kind`. `None` for a urlencoded body that is really JSON (`curl
    /// -d '{…}'` sends that type by default): such bodies stay JSON, as published.
    pub async fn read(kind: BodyKind, headers: &HeaderMap, body: &Bytes) -> Result<Option<Form>, ApiError> {
        match kind {
            BodyKind::Json => Ok(None),
            BodyKind::UrlEncoded if looks_like_json(body) => Ok(None),
            BodyKind::UrlEncoded => Ok(Some(Form {
                fields: form_urlencoded::parse(body).into_owned().collect(),
            })),
            BodyKind::Multipart => multipart(headers, body.clone()).await.map(Some),
        }
    }

    /// The first non-blank value of `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, value)| field == name && !value.trim().is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// The form as a JSON object: every field but the key and the redirect, a repeated name as
    /// an array, `total` as a number when its text is one (a form has only text), an empty
    /// field as absent. This is what is parsed, checked and stored.
    pub fn to_json(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.fields {
            if !names.contains(&name.as_str()) && name != KEY_FIELD && name != REDIRECT_FIELD {
                names.push(name);
            }
        }
        let members: Vec<String> = names
            .into_iter()
            .map(|name| {
                let values: Vec<&str> = self
                    .fields
                    .iter()
                    .filter(|(field, _)| field == name)
                    .map(|(_, value)| value.as_str())
                    .collect();
                let value = match values.as_slice() {
                    [one] => scalar(name, one),
                    many => format!(
                        "[{}]",
                        many.iter().map(|v| scalar(name, v)).collect::<Vec<_>>().join(",")
                    ),
                };
                format!("{}:{value}", serde_json::Value::from(name))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// One form value as JSON: `total` as the number it spells (if it is one), blank as `null`.
fn scalar(name: &str, value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        "null".to_owned()
    } else if name == "total" && is_json_number(trimmed) {
        trimmed.to_owned()
    } else {
        serde_json::Value::from(value).to_string()
    }
}

/// Whether `text` is a JSON number exactly (`49.90`, `1e2`; not `49,90`, `.5` or `0x10`).
fn is_json_number(text: &str) -> bool {
    matches!(
        serde_json::from_str::<serde_json::Value>(text),
        Ok(serde_json::Value::Number(_))
    )
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

/// The text fields of a multipart body; file uploads are skipped (nothing stores files).
async fn multipart(headers: &HeaderMap, body: Bytes) -> Result<Form, ApiError> {
    let stream = futures_util::stream::once(async move { Ok(body) });
    let mut parts = actix_multipart::Multipart::new(headers, stream);
    let mut form = Form::default();
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| ApiError::UnreadableBody)?;
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = part
            .content_disposition()
            .is_some_and(|disposition| disposition.get_filename().is_some());
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            value.extend_from_slice(&chunk.map_err(|_| ApiError::UnreadableBody)?);
        }
        if is_file || name.is_empty() {
            continue;
        }
        let value = String::from_utf8(value).map_err(|_| ApiError::UnreadableBody)?;
        form.fields.push((name, value));
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Form {
        Form {
            fields: fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn a_form_becomes_the_json_a_script_would_send() {
        let f = form(&[
            ("type", "order"),
            ("email", "a@b.de"),
            ("total", "49.90"),
            ("key", "lgw_secret"),
            ("redirect", "https://x.de/danke"),
            ("interest", "a"),
            ("interest", "b"),
            ("subject", ""),
        ]);
        assert_eq!(
            f.to_json(),
            r#"{"type":"order","email":"a@b.de","total":49.90,"interest":["a","b"],"subject":null}"#
        );
        assert_eq!(f.value("key"), Some("lgw_secret"));
        assert_eq!(form(&[("total", "49,90")]).to_json(), r#"{"total":"49,90"}"#);
        assert_eq!(
            form(&[("note", "12")]).to_json(),
            r#"{"note":"12"}"#,
            "only total is a number"
        );
    }

    #[test]
    fn urlencoded_json_stays_json() {
        assert!(looks_like_json(b" {\"type\":\"order\"}"));
        assert!(!looks_like_json(b"type=order"));
    }
}
