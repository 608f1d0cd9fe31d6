//! Plain HTML forms: `application/x-www-form-urlencoded` and `multipart/form-data` bodies
//! become the same JSON object a script would send, so one parser and one set of rules apply.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;

use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use futures_util::StreamExt;

use crate::ApiError;

/// The hidden field that may carry the API key (instead of `?key=` in the form's action).
pub const KEY_FIELD: &str = "key";
/// The optional field naming where the browser goes afterwards.
pub const REDIRECT_FIELD: &str = "redirect";
/// The most fields a form may have; one with more is refused before it is parsed further.
pub const MAX_FIELDS: usize = 1000;

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

/// The fields of a submitted form, in order (a name may repeat, as with checkboxes), and the
/// files it sent (a multipart form's file parts: an empty file input sends none).
#[derive(Debug, Default)]
pub struct Form {
    fields: Vec<(String, String)>,
    files: Vec<lead_domain::Upload>,
}

impl Form {
    /// Reads a form body of `kind`. `None` for a urlencoded body that is really JSON (`curl
    /// -d '{…}'` sends that type by default): such bodies stay JSON, as published. More than
    /// [`MAX_FIELDS`] fields are refused before they are decoded.
    pub async fn read(kind: BodyKind, headers: &HeaderMap, body: &Bytes) -> Result<Option<Form>, ApiError> {
        match kind {
            BodyKind::Json => Ok(None),
            BodyKind::UrlEncoded if looks_like_json(body) => Ok(None),
            BodyKind::UrlEncoded => {
                // What form_urlencoded yields: one field per non-empty `&`-separated part.
                let fields = body.split(|&b| b == b'&').filter(|part| !part.is_empty());
                if fields.take(MAX_FIELDS + 1).count() > MAX_FIELDS {
                    return Err(ApiError::TooManyFields(MAX_FIELDS));
                }
                Ok(Some(Form {
                    fields: form_urlencoded::parse(body).into_owned().collect(),
                    files: Vec::new(),
                }))
            }
            BodyKind::Multipart => {
                let parts = multipart(headers, body.clone()).await?;
                let files = parts
                    .files
                    .into_iter()
                    // What a browser sends for a file input left empty.
                    .filter(|file| !(file.filename.is_empty() && file.data.is_empty()))
                    .map(|file| lead_domain::Upload::new(&file.filename, file.data))
                    .collect();
                Ok(Some(Form {
                    fields: parts.fields,
                    files,
                }))
            }
        }
    }

    /// Its files, taken out of it.
    pub fn take_files(&mut self) -> Vec<lead_domain::Upload> {
        std::mem::take(&mut self.files)
    }

    /// The first non-blank value of `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, value)| field == name && !value.trim().is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// The form as a JSON object: every field but the key and the redirect, in the order of
    /// first appearance, a repeated name as an array, an empty field as absent (`null`). Every
    /// value stays text — `total` too, which is read as an amount people write (`49,90`).
    /// This is what is parsed, checked and stored. Linear in the number of fields.
    pub fn to_json(&self) -> String {
        let fields = self
            .fields
            .iter()
            .filter(|(name, _)| name != KEY_FIELD && name != REDIRECT_FIELD)
            .map(|(name, value)| (name.as_str(), value.as_str()));
        let members: Vec<String> = group_by_name(fields)
            .into_iter()
            .map(|(name, values)| {
                let value = match values.as_slice() {
                    [one] => scalar(one),
                    many => format!("[{}]", many.iter().map(|v| scalar(v)).collect::<Vec<_>>().join(",")),
                };
                format!("{}:{value}", serde_json::Value::from(name))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// The values of each name, the names in the order they first appear: one hash lookup per
/// field, so the widest form costs linear time (comparing every name with every other made
/// 17,000 fields cost a second of CPU).
fn group_by_name<K: Hash + Eq + Copy, V>(fields: impl IntoIterator<Item = (K, V)>) -> Vec<(K, Vec<V>)> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut groups: Vec<(K, Vec<V>)> = Vec::new();
    for (name, value) in fields {
        match index.entry(name) {
            Entry::Occupied(at) => groups[*at.get()].1.push(value),
            Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push((name, vec![value]));
            }
        }
    }
    groups
}

/// One form value as JSON: text, or `null` when blank.
fn scalar(value: &str) -> String {
    if value.trim().is_empty() {
        "null".to_owned()
    } else {
        serde_json::Value::from(value).to_string()
    }
}

/// Whether a body declared as a form is really JSON (it starts with `{` or `[`).
pub(crate) fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

/// The parts of a multipart body: its text fields, and its files.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// Each text field's name and value, in order.
    pub(crate) fields: Vec<(String, String)>,
    /// Each file, in order.
    pub(crate) files: Vec<FilePart>,
}

/// A file part of a multipart body.
#[derive(Debug)]
pub(crate) struct FilePart {
    /// The form field's name.
    pub(crate) name: String,
    /// The file's name as the browser sent it (perhaps a whole path, perhaps empty).
    pub(crate) filename: String,
    /// Its bytes.
    pub(crate) data: Vec<u8>,
}

/// The text fields and files of a multipart body; more than [`MAX_FIELDS`] parts are refused.
pub(crate) async fn multipart(headers: &HeaderMap, body: Bytes) -> Result<Parts, ApiError> {
    let stream = futures_util::stream::once(async move { Ok(body) });
    let mut parts = actix_multipart::Multipart::new(headers, stream);
    let mut form = Parts::default();
    let mut count = 0;
    while let Some(part) = parts.next().await {
        count += 1;
        if count > MAX_FIELDS {
            return Err(ApiError::TooManyFields(MAX_FIELDS));
        }
        let mut part = part.map_err(|_| ApiError::UnreadableBody)?;
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(str::to_owned);
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            value.extend_from_slice(&chunk.map_err(|_| ApiError::UnreadableBody)?);
        }
        if name.is_empty() {
            continue;
        }
        if let Some(filename) = filename {
            form.files.push(FilePart {
                name,
                filename,
                data: value,
            });
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
            files: Vec::new(),
        }
    }

    #[test]
    fn a_form_becomes_the_json_a_script_would_send() {
        let f = form(&[
            ("type", "order"),
            ("email", "a@b.de"),
            ("total", "49,90"),
            ("key", "lgw_secret"),
            ("redirect", "https://x.de/danke"),
            ("interest", "a"),
            ("interest", "b"),
            ("subject", ""),
        ]);
        assert_eq!(
            f.to_json(),
            r#"{"type":"order","email":"a@b.de","total":"49,90","interest":["a","b"],"subject":null}"#
        );
        assert_eq!(f.value("key"), Some("lgw_secret"));
        assert_eq!(form(&[("note", "12")]).to_json(), r#"{"note":"12"}"#);
        assert_eq!(form(&[]).to_json(), "{}");
    }

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    fn read(kind: BodyKind, content_type: &str, body: String) -> Result<Option<Form>, ApiError> {
        futures_util::FutureExt::now_or_never(Form::read(kind, &headers(content_type), &Bytes::from(body)))
            .expect("reading a form in memory never waits")
    }

    #[test]
    fn a_form_of_up_to_a_thousand_fields_is_read_and_more_are_refused() {
        let fields = |n: usize| (0..n).map(|i| format!("f{i}=v")).collect::<Vec<_>>().join("&");
        let form = read(
            BodyKind::UrlEncoded,
            "application/x-www-form-urlencoded",
            fields(MAX_FIELDS),
        );
        assert_eq!(form.unwrap().unwrap().fields.len(), MAX_FIELDS);
        // Empty parts are no fields (form_urlencoded skips them too).
        let sparse = format!("&&{}&&", fields(MAX_FIELDS));
        assert!(read(BodyKind::UrlEncoded, "application/x-www-form-urlencoded", sparse).is_ok());
        let refused = read(
            BodyKind::UrlEncoded,
            "application/x-www-form-urlencoded",
            fields(MAX_FIELDS + 1),
        );
        assert!(matches!(refused, Err(ApiError::TooManyFields(MAX_FIELDS))));

        let part = |i: usize| format!("--b\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n");
        let multipart = |n: usize| (0..n).map(part).collect::<String>() + "--b--\r\n";
        let form = read(
            BodyKind::Multipart,
            "multipart/form-data; boundary=b",
            multipart(MAX_FIELDS),
        );
        assert_eq!(form.unwrap().unwrap().fields.len(), MAX_FIELDS);
        let refused = read(
            BodyKind::Multipart,
            "multipart/form-data; boundary=b",
            multipart(MAX_FIELDS + 1),
        );
        assert!(matches!(refused, Err(ApiError::TooManyFields(MAX_FIELDS))));
    }

    /// A field name that counts how often it is compared or hashed.
    #[derive(Clone, Copy)]
    struct Counted<'a>(&'a str, &'a std::cell::Cell<usize>);

    impl PartialEq for Counted<'_> {
        fn eq(&self, other: &Self) -> bool {
            self.1.set(self.1.get() + 1);
            self.0 == other.0
        }
    }
    impl Eq for Counted<'_> {}
    impl Hash for Counted<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.1.set(self.1.get() + 1);
            self.0.hash(state);
        }
    }

    #[test]
    fn grouping_a_form_costs_linear_work() {
        // 17,000 short names fit into 64 KiB: comparing every name with every other made that
        // 144 million comparisons (~0.9 s of CPU per request). Now each field costs one hash
        // and about one comparison, distinct names or repeated ones.
        let operations = |names: &[String]| {
            let work = std::cell::Cell::new(0);
            let groups = group_by_name(names.iter().map(|name| (Counted(name, &work), ())));
            (groups.len(), work.get())
        };
        let distinct: Vec<String> = (0..17_000).map(|i| format!("f{i}")).collect();
        let (groups, work) = operations(&distinct);
        assert_eq!(groups, 17_000);
        assert!(work <= 3 * 17_000, "{work} operations for 17,000 fields");
        let repeated: Vec<String> = (0..17_000).map(|i| format!("f{}", i % 3)).collect();
        let (groups, work) = operations(&repeated);
        assert_eq!(groups, 3);
        assert!(work <= 3 * 17_000, "{work} operations for 17,000 fields");
    }

    #[test]
    fn the_widest_form_becomes_json_with_every_field() {
        let f = Form {
            fields: (0..17_000).map(|i| (format!("f{i}"), "v".to_owned())).collect(),
            files: Vec::new(),
        };
        let wide: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(wide.len(), 17_000);
        let f = Form {
            fields: (0..17_000).map(|_| ("x".to_owned(), "v".to_owned())).collect(),
            files: Vec::new(),
        };
        let same: serde_json::Value = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(same["x"].as_array().unwrap().len(), 17_000);
    }

    #[test]
    fn urlencoded_json_stays_json() {
        assert!(looks_like_json(b" {\"type\":\"order\"}"));
        assert!(!looks_like_json(b"type=order"));
    }
}
