//! What a test delivery to a webhook endpoint („Test senden“, `webhook test`) answered, told
//! to whoever asked: a company's admin in German, the operator in English.

/// Who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A company's admin, in the dashboard.
    German,
    /// The operator, on the command line.
    English,
}

/// What the endpoint at `url` answered: its `status` within `took_ms`, or the `error` that
/// came first. `Ok` when it took the test, `Err` when not — each a sentence in `language`.
pub fn told(
    url: &str,
    status: Option<u16>,
    error: Option<&str>,
    took_ms: u128,
    language: Language,
) -> Result<String, String> {
    match (status, error, language) {
        (Some(status), None, Language::German) => Ok(format!("{url} antwortete {status} in {took_ms} ms.")),
        (Some(status), None, Language::English) => Ok(format!("{url} answered {status} in {took_ms} ms")),
        (_, Some(error), Language::German) => Err(format!("{url} nahm den Test nicht an ({took_ms} ms): {error}")),
        (_, Some(error), Language::English) => Err(format!("{url} did not take the ping ({took_ms} ms): {error}")),
        (None, None, Language::German) => Err(format!("{url} gab keine Antwort.")),
        (None, None, Language::English) => Err(format!("{url} gave no answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_face_is_told_the_same_outcome_in_its_language() {
        let url = "https://hooks.example/x";
        assert_eq!(
            told(url, Some(204), None, 12, Language::German),
            Ok("https://hooks.example/x antwortete 204 in 12 ms.".into())
        );
        assert_eq!(
            told(url, Some(204), None, 12, Language::English),
            Ok("https://hooks.example/x answered 204 in 12 ms".into())
        );
        assert!(told(url, Some(500), Some("status 500"), 3, Language::German)
            .unwrap_err()
            .contains("nahm den Test nicht an"));
        assert_eq!(
            told(url, None, None, 3, Language::English),
            Err("https://hooks.example/x gave no answer".into())
        );
    }
}
