//! A lead's request body, read once: the lead, the body's canonical spelling (to tell a
//! duplicate) and which members it fills (to tell a bot that filled a honeypot).

use crate::attachment::Upload;
use crate::error::LeadError;
use crate::lead::{read, Lead};

/// A request body read once: the [`Lead`] it carries, the body itself, its canonical spelling
/// (as [`canonical_json`](crate::canonical_json) gives it) and the members it fills.
///
/// ```
/// use lead_domain::LeadBody;
///
/// let body = LeadBody::parse(r#"{ "type": "ticket", "email": "a@b.de", "message": "Hallo", "_gotcha": "" }"#.into())?;
/// assert_eq!(body.lead().email().as_str(), "a@b.de");
/// assert_eq!(body.canonical(), r#"{"_gotcha":"","email":"a@b.de","message":"Hallo","type":"ticket"}"#);
/// assert!(body.fills("message"));
/// assert!(!body.fills("_gotcha"), "blank");
/// # Ok::<(), lead_domain::LeadError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadBody {
    text: String,
    lead: Lead,
    canonical: String,
    /// The members whose value is neither `null` nor blank text.
    filled: Vec<String>,
    /// The files it carries.
    uploads: Vec<Upload>,
    /// What it says about consent.
    consent: crate::consent::SentConsent,
}

impl LeadBody {
    /// Reads `text` as [`Lead::parse`] does, in the same single pass over it — and its files,
    /// if it has an `attachments` member (see [`LeadBody::with_files`]).
    pub fn parse(text: String) -> Result<LeadBody, LeadError> {
        LeadBody::with_files(text, Vec::new())
    }

    /// Reads `text` with `files` (a form's file parts) and the files of its `attachments`
    /// member, as [`take_files`](crate::take_files) takes them out of it.
    ///
    /// ```
    /// use lead_domain::{LeadBody, Upload};
    ///
    /// let body = LeadBody::with_files(
    ///     r#"{"type":"ticket","email":"a@b.de","message":"Foto anbei"}"#.into(),
    ///     vec![Upload::new("paket.txt", b"kaputt".to_vec())],
    /// )?;
    /// assert_eq!(body.uploads().len(), 1);
    /// assert!(body.text().contains(r#""attachments":[{"filename":"paket.txt","size":6,"sha256":""#));
    /// # Ok::<(), lead_domain::LeadError>(())
    /// ```
    pub fn with_files(text: String, files: Vec<Upload>) -> Result<LeadBody, LeadError> {
        let (text, uploads) = crate::files::take_files(text, files)?;
        LeadBody::taken(text, uploads)
    }

    /// Reads `text`, whose files [`take_files`](crate::take_files) took out already: `uploads`.
    /// (A caller that measures the files and the rest before it reads the lead: a limit's
    /// `413` comes before a field's `400`.)
    pub fn taken(text: String, uploads: Vec<Upload>) -> Result<LeadBody, LeadError> {
        let (lead, fields) = read(text.as_bytes())?;
        let canonical = crate::canonical::canonical_members(&fields.members)
            .ok_or(LeadError::InvalidJson(crate::JsonProblem::Syntax))?;
        let consent = crate::consent::read(&fields);
        let filled = fields
            .members
            .into_iter()
            .filter(|(_, value)| crate::lead::is_filled(value.get()))
            .map(|(name, _)| name)
            .collect();
        Ok(LeadBody {
            text,
            lead,
            canonical,
            filled,
            uploads,
            consent,
        })
    }

    /// What it says about consent (`consent`, `consent_text`).
    pub fn consent(&self) -> &crate::consent::SentConsent {
        &self.consent
    }

    /// The files it carries, in the order they came.
    pub fn uploads(&self) -> &[Upload] {
        &self.uploads
    }

    /// The lead.
    pub fn lead(&self) -> &Lead {
        &self.lead
    }

    /// The body as it was sent.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The body's canonical spelling: whitespace, the order of the members and escapes do
    /// not count.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Whether the body has a member `name` that is neither `null` nor blank text.
    pub fn fills(&self, name: &str) -> bool {
        self.filled.iter().any(|filled| filled == name)
    }

    /// The lead, the body as it is kept, and its files.
    pub fn into_parts(self) -> (Lead, String, Vec<Upload>) {
        (self.lead, self.text, self.uploads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_json;

    #[test]
    fn one_reading_gives_the_lead_the_canonical_spelling_and_the_filled_members() {
        for text in [
            r#"{"type":"order","email":"a@b.de","total":"1.234,50 €","cart":[{"sku":"A","qty":2}],"x":null}"#,
            "{ \"message\" : \"Zeile\\nzwei \\u00fc\", \"type\":\"ticket\",\n \"email\":\"A@B.de\" ,\"_gotcha\":\"  \"}",
            r#"{"z":{"b":1,"a":[true,false,null]},"type":" Order ","email":"a@b.de","n":1.50}"#,
        ] {
            let body = LeadBody::parse(text.to_owned()).unwrap();
            assert_eq!(body.lead(), &Lead::parse(text.as_bytes()).unwrap());
            assert_eq!(Some(body.canonical()), canonical_json(text).as_deref(), "{text}");
            assert_eq!(body.text(), text);
        }
        let body = LeadBody::parse(
            r#"{"type":"ticket","email":"a@b.de","message":"m","a":null,"b":" ","c":0,"d":false,"e":[],"f":"x"}"#
                .into(),
        )
        .unwrap();
        let filled: Vec<_> = ["type", "message", "a", "b", "c", "d", "e", "f", "g"]
            .into_iter()
            .filter(|name| body.fills(name))
            .collect();
        assert_eq!(filled, ["type", "message", "c", "d", "e", "f"]);
    }

    #[test]
    fn files_in_json_leave_only_what_identifies_them_in_the_body() {
        let body = LeadBody::parse(
            r#"{"type":"ticket","attachments":[{"filename":"../a.txt","content_type":"image/png","data":"SGFsbG8="},
                {"filename":"b","data":"data:text/plain;base64,SGFsbG8"}],"email":"a@b.de","message":"m"}"#
                .into(),
        )
        .unwrap();
        let names: Vec<_> = body
            .uploads()
            .iter()
            .map(|u| (u.filename.as_str(), u.data.as_slice()))
            .collect();
        assert_eq!(names, [("a.txt", &b"Hallo"[..]), ("b", &b"Hallo"[..])]);
        let hash = &body.uploads()[0].sha256;
        assert_eq!(hash, "753692ec36adb4c794c973945eb2a99c1649703ea6f76bf259abb4fb838e013e");
        assert_eq!(
            body.text(),
            format!(
                r#"{{"type":"ticket","email":"a@b.de","message":"m","attachments":[{{"filename":"a.txt","size":5,"sha256":"{hash}"}},{{"filename":"b","size":5,"sha256":"{hash}"}}]}}"#
            )
        );
        assert!(body.canonical().contains(hash.as_str()), "another file is another body");
        assert!(!body.text().contains("SGFsbG8"));

        for bad in [r#"[{"filename":"a"}]"#, r#"[{"data":"***"}]"#, r#"{"data":"SGFsbG8="}"#] {
            let text = format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","attachments":{bad}}}"#);
            let error = LeadBody::parse(text).unwrap_err();
            assert_eq!(error.field(), Some(crate::Field::Attachments), "{bad}");
            assert_eq!(error.code(), "invalid_field");
        }
        // None, or something else a website calls so: no files, and it stays as it was sent.
        for none in ["null", "[]", r#""siehe E-Mail""#, "[1]"] {
            let text = format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","attachments":{none}}}"#);
            let body = LeadBody::parse(text.clone()).unwrap();
            assert!(body.uploads().is_empty());
            assert_eq!(body.text(), text);
        }
        // Nested past any sense, inside or beside the files: refused, never a stack overflow.
        for depth in [65, 100_000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            for text in [
                format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","attachments":{deep}}}"#),
                format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","x":{deep},"attachments":[]}}"#),
            ] {
                assert!(LeadBody::parse(text).is_err(), "{depth}");
            }
        }
        let plain = r#"{"type":"ticket","email":"a@b.de","message":"the word \"attachments\" alone"}"#;
        assert_eq!(LeadBody::parse(plain.into()).unwrap().text(), plain);
    }

    #[test]
    fn a_forms_files_are_added_to_its_body() {
        let body = LeadBody::with_files(
            r#"{"type":"order","email":"a@b.de"}"#.into(),
            vec![crate::Upload::new("C:\\x\\Foto.jpg", vec![0xFF, 0xD8, 0xFF])],
        )
        .unwrap();
        assert_eq!(body.uploads()[0].filename, "Foto.jpg");
        assert!(body
            .text()
            .starts_with(r#"{"type":"order","email":"a@b.de","attachments":[{"filename":"Foto.jpg","size":3,"#));
        assert!(body.fills("attachments"));
    }

    #[test]
    fn what_lead_parse_refuses_is_refused_the_same_way() {
        for text in [
            "{",
            "[]",
            r#"{"type":"order"}"#,
            r#"{"type":"x","email":"a@b.de"}"#,
            r#"{"a":1,"a":2}"#,
        ] {
            assert_eq!(
                LeadBody::parse(text.into()).unwrap_err(),
                Lead::parse(text.as_bytes()).unwrap_err(),
                "{text}"
            );
        }
    }
}
