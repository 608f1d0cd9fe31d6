//! The crates' layering, as docs/architecture.md draws it: the domain depends on nothing of
//! ours; authentication on the domain alone; the store never on the presentation, HTTP, the
//! server or the deliveries; the presentation never on HTTP, the server or the deliveries; HTTP
//! never on the server or the deliveries; the deliveries never on HTTP or the server. Read from `cargo metadata`, so a new dependency that breaks it fails here.

use std::collections::BTreeMap;

/// For each crate, ours it must not depend on (normal or build dependencies; tests may use
/// anything).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "lead-domain",
        &[
            "lead-auth",
            "lead-store",
            "lead-present",
            "lead-http",
            "lead-deliver",
            "lead-mailbox",
            "lead-server",
            "lead-testkit",
        ],
    ),
    (
        "lead-auth",
        &[
            "lead-store",
            "lead-present",
            "lead-http",
            "lead-deliver",
            "lead-mailbox",
            "lead-server",
            "lead-testkit",
        ],
    ),
    (
        "lead-store",
        &[
            "lead-present",
            "lead-http",
            "lead-deliver",
            "lead-mailbox",
            "lead-server",
            "lead-testkit",
        ],
    ),
    (
        "lead-present",
        &[
            "lead-http",
            "lead-deliver",
            "lead-mailbox",
            "lead-server",
            "lead-testkit",
        ],
    ),
    (
        "lead-http",
        &["lead-deliver", "lead-mailbox", "lead-server", "lead-testkit"],
    ),
    (
        "lead-deliver",
        &["lead-http", "lead-mailbox", "lead-server", "lead-testkit"],
    ),
    // The mailboxes are read beside the deliveries, and shown by nothing but the store's words.
    (
        "lead-mailbox",
        &[
            "lead-http",
            "lead-deliver",
            "lead-present",
            "lead-server",
            "lead-testkit",
        ],
    ),
];

/// Each workspace crate's dependencies that are not only for its tests.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
            workspace,
        ])
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let used = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dependency| dependency["kind"].as_str() != Some("dev"))
                .map(|dependency| dependency["name"].as_str().unwrap().to_owned())
                .collect();
            (package["name"].as_str().unwrap().to_owned(), used)
        })
        .collect()
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let dependencies = dependencies();
    let mut broken = Vec::new();
    for (krate, forbidden) in FORBIDDEN {
        let used = dependencies
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is in the workspace"));
        broken.extend(
            used.iter()
                .filter(|name| forbidden.contains(&name.as_str()))
                .map(|name| format!("{krate} → {name}")),
        );
    }
    assert!(broken.is_empty(), "dependencies against the layering: {broken:?}");
    // The rule is read from what cargo says: a crate that depends on ours at all is seen.
    assert!(dependencies["lead-http"].contains(&"lead-store".to_owned()));
    // What shows a lead is one crate that every face of the product reaches.
    for face in ["lead-http", "lead-deliver", "lead-server"] {
        assert!(dependencies[face].contains(&"lead-present".to_owned()), "{face}");
    }
}
