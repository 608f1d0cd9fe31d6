//! The examples in docs/examples/, for the tests that run them: found, and their placeholders
//! filled in.

use std::path::{Path, PathBuf};

use lead_testkit::{cli, TestApp};

/// The example called `name`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

/// The example's text with its placeholders replaced.
pub fn filled(name: &str, replacements: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(example(name)).unwrap();
    for (placeholder, value) in replacements {
        assert!(text.contains(placeholder), "{name} has no {placeholder}");
        text = text.replace(placeholder, value);
    }
    text
}

/// Lets Acme's key be used from `origin`.
pub fn set_origins(app: &TestApp, origin: &str) {
    let output = cli(&app.db.url, &["key", "origins", &app.acme.key_id.to_string(), origin]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
