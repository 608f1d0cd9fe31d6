//! The files of a lead's body: a form's file parts, and JSON's `attachments` member
//! (`[{"filename": "…", "content_type": "…", "data": "<base64>"}]`), taken out of the body —
//! which then names each file (name, size, SHA-256) instead of holding its bytes.

use base64::Engine as _;

use crate::attachment::Upload;
use crate::error::{Field, Invalid, LeadError};
use crate::members::TopLevel;

/// The member that carries files.
const NAME: &str = "attachments";

/// `text` as it is kept, and every file of the lead: `files` (a form's), then those of its
/// `attachments` member, whose bytes give way to what identifies them. A member of another
/// shape (`"siehe E-Mail"`, a list of links) is no files: it stays what the website sent. A body
/// that names no such member (nearly every one) is not read here at all.
///
/// Refused (`400 invalid_field`, field `attachments`): a list of files whose `data` is not
/// base64, or whose entries name a `filename` or `data` but are not files.
pub fn take_files(text: String, mut files: Vec<Upload>) -> Result<(String, Vec<Upload>), LeadError> {
    if files.is_empty() && !may_name_files(&text) {
        return Ok((text, files));
    }
    // No nesting check over the whole body here (a byte at a time over megabytes of base64 was
    // a fifth of the server's time): serde_json stops at its own depth limit, and the lead's
    // reading checks what is kept.
    let Ok(TopLevel::Object(members)) = serde_json::from_str::<TopLevel<'_>>(&text) else {
        return Ok((text, files));
    };
    let mut sent = members.iter().filter(|(name, _)| name == NAME);
    if let Some((_, raw)) = sent.next() {
        if sent.next().is_some() {
            return Ok((text, files)); // the lead's reading reports the duplicate member
        }
        files.extend(sent_files(raw.get())?);
    }
    if files.is_empty() {
        return Ok((text, files));
    }
    let summary: Vec<String> = files
        .iter()
        .map(|file| {
            let name = serde_json::Value::from(file.filename.as_str());
            format!(
                r#"{{"filename":{name},"size":{},"sha256":"{}"}}"#,
                file.data.len(),
                file.sha256
            )
        })
        .collect();
    let mut out = String::with_capacity(text.len().min(64 << 10));
    out.push('{');
    for (name, raw) in members.iter().filter(|(name, _)| name != NAME) {
        out.push_str(&serde_json::Value::from(name.as_str()).to_string());
        out.push(':');
        out.push_str(raw.get());
        out.push(',');
    }
    out.push_str(&format!(r#""{NAME}":[{}]}}"#, summary.join(",")));
    Ok((out, files))
}

/// Whether the JSON `text` may have an `attachments` member — a quick look, no reading: the
/// name as such, or any escape (`"attachment\u0073"` is the same name). A body for which this
/// is false carries no files.
pub fn may_name_files(text: &str) -> bool {
    text.contains("\"attachments\"") || text.contains("\\u")
}

/// One file of a JSON body's `attachments`.
#[derive(serde::Deserialize)]
struct SentFile {
    filename: Option<String>,
    data: String,
}

/// The files an `attachments` member's raw JSON holds: none for `null`, `[]` or a member of
/// another shape.
fn sent_files(raw: &str) -> Result<Vec<Upload>, LeadError> {
    let invalid = || LeadError::invalid(Field::Attachments, Invalid::Attachments);
    let listed = match serde_json::from_str::<Option<Vec<SentFile>>>(raw) {
        Ok(listed) => listed.unwrap_or_default(),
        Err(_) => {
            // Meant as files (an entry names a file or its data) but not files: said so.
            type Entry = serde_json::Map<String, serde_json::Value>;
            let names_a_file = |entry: &Entry| entry.contains_key("data") || entry.contains_key("filename");
            let meant = serde_json::from_str::<Vec<Entry>>(raw).is_ok_and(|entries| entries.iter().any(names_a_file))
                || serde_json::from_str::<Entry>(raw).is_ok_and(|entry| names_a_file(&entry));
            return match meant {
                true => Err(invalid()),
                false => Ok(Vec::new()),
            };
        }
    };
    listed
        .into_iter()
        .map(|file| {
            let bytes = decode(&file.data).ok_or_else(invalid)?;
            Ok(Upload::new(file.filename.as_deref().unwrap_or_default(), bytes))
        })
        .collect()
}

/// `data` in base64 — standard or URL-safe, padded or not, with line breaks (as MIME and PHP's
/// `chunk_split` write it) — or a `data:` URL (as a browser's `FileReader` gives it).
fn decode(data: &str) -> Option<Vec<u8>> {
    let data = data.split_once(";base64,").map_or(data, |(_, data)| data);
    let joined: String;
    let data = match data.bytes().any(|b| b.is_ascii_whitespace()) {
        true => {
            joined = data.split_ascii_whitespace().collect();
            joined.as_str()
        }
        false => data,
    };
    STANDARD.decode(data).or_else(|_| URL_SAFE.decode(data)).ok()
}

/// Padded or not.
const LENIENT: base64::engine::GeneralPurposeConfig = base64::engine::GeneralPurposeConfig::new()
    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
const STANDARD: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_encoders_write_it() {
        for data in ["SGFsbG8=", "SGFsbG8", "SGFs\r\nbG8=", "data:text/plain;base64,SGFsbG8="] {
            assert_eq!(decode(data).as_deref(), Some(&b"Hallo"[..]), "{data}");
        }
        assert_eq!(decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]), "URL-safe");
        assert_eq!(decode("***"), None);
    }

    #[test]
    fn a_member_of_another_shape_is_no_files_and_stays() {
        for other in [
            r#""siehe E-Mail""#,
            r#"["https://x.de/a.pdf"]"#,
            r#"[{"url":"https://x.de"}]"#,
            "3",
        ] {
            let text = format!(r#"{{"type":"ticket","attachments":{other}}}"#);
            let (kept, files) = take_files(text.clone(), Vec::new()).unwrap();
            assert!(files.is_empty(), "{other}");
            assert_eq!(kept, text);
        }
        for meant in [
            r#"[{"filename":"a.pdf"}]"#,
            r#"[{"data":7}]"#,
            r#"[{"data":"***"}]"#,
            r#"{"data":"SGFsbG8="}"#,
        ] {
            let text = format!(r#"{{"type":"ticket","attachments":{meant}}}"#);
            let error = take_files(text, Vec::new()).unwrap_err();
            assert_eq!(error.field(), Some(Field::Attachments), "{meant}");
        }
    }

    #[test]
    fn a_name_spelled_with_escapes_is_the_same_name() {
        let text = r#"{"type":"ticket","attachment\u0073":[{"filename":"a.txt","data":"SGFsbG8="}]}"#.to_owned();
        assert!(may_name_files(&text));
        assert!(!may_name_files(r#"{"type":"ticket","message":"the attachments"}"#));
        let (kept, files) = take_files(text, Vec::new()).unwrap();
        assert_eq!(files.len(), 1);
        assert!(!kept.contains("SGFsbG8"), "{kept}");
    }
}
