//! Reading the dashboard's pages over raw HTTP: the cookies they set, their forms' CSRF token.

use lead_testkit::Response;

/// The value of the cookie `name` a response sets.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(header, _)| header == "set-cookie")
        .find_map(|(_, value)| value.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

/// The CSRF token of a dashboard page's forms.
pub fn hidden_csrf(page: &Response) -> String {
    let text = page.text();
    let start = text.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    text[start..].split('"').next().unwrap().to_owned()
}
