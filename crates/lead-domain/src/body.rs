//! A lead's request body, read once: the lead, the body's canonical spelling (to tell a
//! duplicate) and which members it fills (to tell a bot that filled a honeypot).

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
}

impl LeadBody {
    /// Reads `text` as [`Lead::parse`] does, in the same single pass over it.
    pub fn parse(text: String) -> Result<LeadBody, LeadError> {
        let (lead, fields) = read(text.as_bytes())?;
        let canonical = crate::canonical::canonical_members(&fields.members)
            .ok_or(LeadError::InvalidJson(crate::JsonProblem::Syntax))?;
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
        })
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

    /// The lead and the body as it was sent.
    pub fn into_parts(self) -> (Lead, String) {
        (self.lead, self.text)
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
