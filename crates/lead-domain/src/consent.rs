//! Consent as a form sends it (DSGVO Art. 7(1): the controller must be able to show that a
//! person consented): the checkbox `consent` and the sentence the visitor saw, `consent_text`.

use crate::members::Fields;

/// The longest consent text kept, in characters (the whole of it stays in the lead's body).
pub const MAX_CONSENT_TEXT_CHARS: usize = 2000;

/// What a lead's body says about consent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentConsent {
    /// The checkbox: given (`on`, `true`, `1`, `ja`, `yes`, in any case, or JSON `true` or `1`),
    /// not given (anything else), or not sent at all (`None` — an unticked checkbox sends
    /// nothing).
    pub given: Option<bool>,
    /// The sentence the visitor saw, trimmed, at most [`MAX_CONSENT_TEXT_CHARS`].
    pub text: Option<String>,
}

impl SentConsent {
    /// Whether the body says anything about consent.
    pub fn is_sent(&self) -> bool {
        self.given.is_some() || self.text.is_some()
    }
}

/// What `fields` say about consent.
pub(crate) fn read(fields: &Fields<'_>) -> SentConsent {
    let raw = |name: &str| {
        fields
            .members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, value)| value.get())
            .filter(|value| *value != "null")
    };
    let given = raw("consent").map(|value| match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Bool(given)) => given,
        Ok(serde_json::Value::Number(number)) => number.as_f64() == Some(1.0),
        Ok(serde_json::Value::String(text)) => {
            matches!(text.trim().to_lowercase().as_str(), "on" | "true" | "1" | "ja" | "yes")
        }
        _ => false,
    });
    let text = raw("consent_text")
        .and_then(|value| serde_json::from_str::<String>(value).ok())
        .map(|text| text.trim().chars().take(MAX_CONSENT_TEXT_CHARS).collect::<String>())
        .filter(|text| !text.is_empty());
    SentConsent { given, text }
}

#[cfg(test)]
mod tests {
    use crate::LeadBody;

    fn consent(extra: &str) -> super::SentConsent {
        let text = format!(r#"{{"type":"ticket","email":"a@b.de","message":"m"{extra}}}"#);
        LeadBody::parse(text).unwrap().consent().clone()
    }

    #[test]
    fn a_checkbox_is_given_as_forms_and_scripts_send_it() {
        for given in [r#""on""#, r#""true""#, r#""1""#, r#"" Ja ""#, r#""YES""#, "true", "1"] {
            assert_eq!(consent(&format!(r#","consent":{given}"#)).given, Some(true), "{given}");
        }
        for not in [r#""off""#, r#""nein""#, r#""0""#, r#""""#, "false", "0", "[]"] {
            assert_eq!(consent(&format!(r#","consent":{not}"#)).given, Some(false), "{not}");
        }
        assert_eq!(consent("").given, None, "an unticked checkbox sends nothing");
        assert_eq!(consent(r#","consent":null"#).given, None);
    }

    #[test]
    fn the_text_is_kept_trimmed_and_bounded() {
        let sent = consent(r#","consent_text":"  Ich bin einverstanden.  ""#);
        assert_eq!(sent.text.as_deref(), Some("Ich bin einverstanden."));
        assert!(sent.is_sent());
        assert_eq!(consent(r#","consent_text":"   ""#).text, None);
        assert_eq!(consent(r#","consent_text":7"#).text, None, "not text");
        let long = consent(&format!(r#","consent_text":"{}""#, "ä".repeat(3000)));
        assert_eq!(long.text.unwrap().chars().count(), super::MAX_CONSENT_TEXT_CHARS);
        assert!(!consent("").is_sent());
    }
}
