//! lead-store's folders import downward only, as docs/architecture.md draws them: the database
//! (`db/`) under who may act (`access/`), under what is owed to the outside (`outbox/`), under
//! the team's records (`team/`), under the three that use them — the way in (`intake/`),
//! sending (`deliveries/`) and a person's data (`privacy/`), which use none of each other. The
//! files at the top (ids, errors, rows, the schema) use no folder. Read from the sources: a
//! path into a folder (`crate::team::…`), a topic's handle (`.team()`), or a name the crate
//! re-exports from a folder (`crate::Event`) counts as a use of that folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each folder, and the folders it may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("db", &[]),
    ("access", &["db"]),
    ("outbox", &["db", "access"]),
    ("team", &["db", "access", "outbox"]),
    ("intake", &["db", "access", "outbox", "team"]),
    ("deliveries", &["db", "access", "outbox", "team"]),
    ("privacy", &["db", "access", "outbox", "team"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The folder a source file is in, or `None` for the files at the top.
fn folder_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).expect("under src");
    let mut parts = relative.components();
    let first = parts.next()?.as_os_str().to_str()?.to_owned();
    parts.next().map(|_| first)
}

/// The names lib.rs re-exports from each folder (`pub use team::records::{LeadKind, …};`).
fn reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let mut names = BTreeMap::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let folder: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !ALLOWED.iter().any(|(name, _)| *name == folder) {
            continue;
        }
        let listed = match path.split_once('{') {
            Some((_, group)) => group.trim_end_matches('}').to_owned(),
            None => path.rsplit("::").next().unwrap_or_default().to_owned(),
        };
        for item in listed.split(',') {
            // `verify as verify_backup`: the crate's name for it is the last word.
            if let Some(name) = item.split_whitespace().last() {
                names.insert(name.to_owned(), folder.clone());
            }
        }
    }
    names
}

/// Every identifier-like word right after `prefix` in `text`.
fn words_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// What one file uses: folders by path or handle, and re-exported names by the crate's root.
fn uses(text: &str, reexported: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut used = BTreeMap::new();
    let folders: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    for word in words_after(text, "crate::") {
        if folders.contains(&word) {
            used.entry(word.to_owned()).or_insert_with(|| format!("crate::{word}"));
        } else if let Some(folder) = reexported.get(word) {
            used.entry(folder.clone()).or_insert_with(|| format!("crate::{word}"));
        }
    }
    // `use crate::{Result, Scope, Store};`: each name in the group.
    for (at, _) in text.match_indices("crate::{") {
        let group = &text[at + "crate::{".len()..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        for name in group.split(',').map(str::trim) {
            if let Some(folder) = reexported.get(name) {
                used.entry(folder.clone())
                    .or_insert_with(|| format!("crate::{{{name}}}"));
            }
        }
    }
    for folder in &folders {
        if text.contains(&format!(".{folder}()")) {
            used.entry((*folder).to_owned())
                .or_insert_with(|| format!(".{folder}()"));
        }
    }
    used
}

#[test]
fn folders_use_only_the_folders_below_them() {
    let reexported = reexports();
    assert!(
        reexported.get("LeadKind").is_some_and(|folder| folder == "team"),
        "lib.rs's re-exports were not read: {reexported:?}"
    );
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        if path == src().join("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        // Code only: a link in a comment uses nothing.
        let text: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(|line| [line, "\n"])
            .collect();
        let own = folder_of(&path);
        let allowed: &[&str] = match &own {
            Some(folder) => {
                ALLOWED
                    .iter()
                    .find(|(name, _)| name == folder)
                    .unwrap_or_else(|| panic!("{folder}/ is a folder this test does not know: add it to ALLOWED"))
                    .1
            }
            None => &[],
        };
        for (folder, how) in uses(&text, &reexported) {
            if own.as_deref() == Some(folder.as_str()) {
                continue;
            }
            seen.entry(own.clone().unwrap_or_else(|| "(top)".into()))
                .or_default()
                .insert(folder.clone());
            if !allowed.contains(&folder.as_str()) {
                wrong.push(format!("{} uses {folder}/ ({how})", path.display()));
            }
        }
    }
    println!("folders and what they use: {seen:?}");
    assert!(wrong.is_empty(), "imports against the layering:\n{}", wrong.join("\n"));
    // The test sees uses at all: the team's records owe deliveries.
    assert!(seen.get("team").is_some_and(|used| used.contains("outbox")), "{seen:?}");
}
