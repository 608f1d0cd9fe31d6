//! Web origins (`https://www.example.de`): the websites a key may be used from, and the
//! targets a form's `redirect` may go to.

/// The origin of an absolute `http(s)` URL, normalised: lowercase scheme and host, no default
/// port, no path. `None` for anything else — relative URLs, other schemes, user names in the
/// address (`https://good.de@evil.de`), or no host.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let authority = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if authority.is_empty() || !authority.chars().all(valid) || authority.starts_with(':') {
        return None;
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// Whether `url` is an absolute `http(s)` URL on one of `origins` that may be sent back to a
/// browser as it is (in a `Location` header or a link): no control characters, so no line
/// break can split a header and nothing hides in an attribute.
pub(crate) fn is_on(url: &str, origins: &[String]) -> bool {
    !url.chars().any(char::is_control) && origin_of(url).is_some_and(|origin| origins.contains(&origin))
}

/// An origin as the operator writes it (`https://www.example.de`, a trailing `/` is fine),
/// normalised; [`NotAnOrigin`] for anything with a path, query or another scheme.
pub fn parse_origin(text: &str) -> Result<String, NotAnOrigin> {
    let trimmed = text.trim().trim_end_matches('/');
    let after_scheme = trimmed.split_once("://").map_or("", |(_, rest)| rest);
    match origin_of(trimmed) {
        Some(origin) if !after_scheme.contains(['/', '?', '#']) => Ok(origin),
        _ => Err(NotAnOrigin { given: text.to_owned() }),
    }
}

/// Text that is no origin (scheme and host, nothing after them): said in English for the
/// operator, and in German for a company's admin ([`NotAnOrigin::german`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnOrigin {
    /// What was given.
    pub given: String,
}

impl NotAnOrigin {
    /// What is wrong, in German (for the dashboard).
    pub fn german(&self) -> String {
        format!(
            "„{}“ ist keine Website-Adresse: bitte wie https://www.example.de angeben (Schema und Host, ohne Pfad).",
            self.given
        )
    }
}

impl std::fmt::Display for NotAnOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} is not an origin: write it like https://www.example.de (scheme and host, no path)",
            self.given
        )
    }
}

impl std::error::Error for NotAnOrigin {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("https://www.Example.de/danke?x=1").as_deref(),
            Some("https://www.example.de")
        );
        assert_eq!(origin_of("HTTPS://shop.de:443/").as_deref(), Some("https://shop.de"));
        assert_eq!(
            origin_of("http://localhost:8080#top").as_deref(),
            Some("http://localhost:8080")
        );
        for bad in [
            "/danke",
            "javascript:alert(1)",
            "https://good.de@evil.de/",
            "ftp://x.de",
            "https://",
            "//x.de",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_printable_urls_on_the_keys_websites_go_back_to_a_browser() {
        let origins = vec!["https://www.example.de".to_owned()];
        assert!(is_on("https://www.example.de/danke?x=1#top", &origins));
        assert!(is_on("HTTPS://WWW.example.de:443/", &origins));
        for elsewhere in [
            "https://evil.de/",
            "https://www.example.de@evil.de/",
            "https://www.example.de/a\r\nSet-Cookie: x=1",
            "https://www.example.de/\u{85}",
            "/danke",
            "javascript:alert(1)",
        ] {
            assert!(!is_on(elsewhere, &origins), "{elsewhere:?}");
        }
        assert!(!is_on("https://www.example.de/", &[]), "no websites, no links");
    }

    #[test]
    fn operators_write_origins_without_paths() {
        assert_eq!(
            parse_origin("https://www.example.de/").unwrap(),
            "https://www.example.de"
        );
        assert_eq!(parse_origin(" HTTP://Shop.de:8080 ").unwrap(), "http://shop.de:8080");
        assert!(parse_origin("https://www.example.de/kontakt").is_err());
        assert!(parse_origin("www.example.de").is_err());
        let wrong = parse_origin("https://shop.de/danke").unwrap_err();
        assert!(wrong.to_string().contains("is not an origin"), "{wrong}");
        assert!(
            wrong
                .german()
                .starts_with("„https://shop.de/danke“ ist keine Website-Adresse"),
            "{}",
            wrong.german()
        );
    }
}
