//! The docs, followed literally: every `curl` command in README.md, docs/api.md and
//! docs/team-api.md runs against a real server, with only what the text tells a reader to
//! replace (the server's address, the key, the token, the ids of the reader's own records),
//! and where the text shows the answer, the answer must be that (ids aside). The PHP and
//! JavaScript examples of docs/api.md run as they stand, with PHP and Node.js.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::installed;
use common::{binary, token_for, Server, TestApp, TestDb};
use serde_json::Value;

fn doc(path: &str) -> String {
    let file: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(file).unwrap()
}

/// A command as the text shows it (continuation lines joined), with the answer shown right
/// after it (`# {…}`), if any.
#[derive(Debug)]
struct Shown {
    command: String,
    answer: Option<String>,
}

/// The shell commands of the ```sh blocks of `markdown`, in order.
fn shell_commands(markdown: &str) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_shell = !in_shell && line.trim() == "```sh";
            continue;
        }
        if !in_shell {
            continue;
        }
        let trimmed = line.trim();
        if let Some(answer) = trimmed.strip_prefix("# {") {
            let answer = format!("{{{}", answer.split("   (").next().unwrap_or(answer).trim_end());
            if let Some(last) = shown.last_mut() {
                last.answer = Some(answer);
            }
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                pending.push_str(start);
                pending.push(' ');
            }
            None => {
                pending.push_str(without_comment(trimmed));
                shown.push(Shown {
                    command: std::mem::take(&mut pending),
                    answer: None,
                });
            }
        }
    }
    shown
}

/// `line` without a trailing `# comment` (outside quotes).
fn without_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    for (at, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && line[..at].ends_with(char::is_whitespace) => return line[..at].trim_end(),
            _ => {}
        }
    }
    line
}

/// What a command printed and how it ended.
struct Ran {
    status: Option<u16>,
    body: String,
    success: bool,
}

/// Runs `command` (after `prelude`, the block's variable settings) in bash. A `curl` gets
/// `-sS`, a time limit and the HTTP status appended to its output.
fn run(prelude: &str, command: &str) -> Ran {
    let is_curl = command.starts_with("curl ");
    let command = match is_curl {
        // The time limit ends the live stream, which stays open by design.
        true => format!("{command} -sS --max-time 2 -w '\\n%{{http_code}}'"),
        false => command.to_owned(),
    };
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("{prelude}\n{command}"))
        .env_remove("LEAD_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stream_cut = output.status.code() == Some(28) && command.contains("curl -N");
    if !is_curl {
        return Ran {
            status: None,
            body: stdout,
            success: output.status.success(),
        };
    }
    let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    Ran {
        status: status.trim().parse().ok(),
        body: body.to_owned(),
        success: output.status.success() || stream_cut,
    }
}

/// `answer` with its `id` replaced: ids depend on what ran before.
fn without_id(answer: &str) -> Value {
    let mut value: Value = serde_json::from_str(answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"));
    if let Some(id) = value.get_mut("id") {
        assert!(id.is_i64(), "{answer}");
        *id = Value::from(0);
    }
    value
}

/// Runs every shown command of `markdown` that `runnable` picks, with `replacements`, and
/// checks each: it succeeds, a `curl` gets no error status unless `expected_status` says
/// otherwise, and a shown answer is the answer.
fn follow(
    markdown: &str,
    replacements: &[(&str, String)],
    runnable: impl Fn(&str) -> bool,
    expected_status: impl Fn(&str) -> u16,
) -> usize {
    let mut prelude = String::new();
    let mut ran = 0;
    for shown in shell_commands(markdown) {
        if !runnable(&shown.command) {
            continue;
        }
        let mut command = shown.command.clone();
        for (from, to) in replacements {
            command = command.replace(from, to);
        }
        // A variable set for the commands after it (T=…; A=…, TOKEN=$(…)).
        if command.split_whitespace().next().is_some_and(|word| {
            word.split_once('=')
                .is_some_and(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()))
        }) {
            prelude.push_str(&command);
            prelude.push('\n');
            continue;
        }
        let result = run(&prelude, &command);
        assert!(result.success, "{command}\nprinted {}", result.body);
        if let Some(status) = result.status {
            assert_eq!(
                status,
                expected_status(&shown.command),
                "{command}\nanswered {}",
                result.body
            );
        }
        if let Some(answer) = &shown.answer {
            assert_eq!(without_id(result.body.trim()), without_id(answer), "{command}");
        }
        ran += 1;
    }
    ran
}

/// The status a lead command is documented to get: an error example shows its error.
fn lead_status(command: &str) -> u16 {
    match command.contains(r#"-d '{"type":"ticket","email":"max.mustermann@beispiel.de"}'"#) {
        true => 400,
        false => 200,
    }
}

#[test]
fn the_readme_followed_literally() {
    if !installed("curl") {
        return;
    }
    // The Quickstart: a first start on an empty database prints a key and a curl command.
    let db = TestDb::new();
    let server = Server::start(&db.url, &[]);
    let banner = server.wait_for_output("curl -X POST");
    let key = banner
        .split_whitespace()
        .find(|word| word.starts_with("lgw_") && word.len() == 47)
        .unwrap()
        .to_owned();
    let curl = banner.lines().find(|line| line.starts_with("curl -X POST")).unwrap();
    let sent = run("", curl);
    assert_eq!(sent.status, Some(200), "{}", sent.body);
    let cli = format!("{} --database-url {}", binary(), db.url);
    let replacements = [
        ("http://127.0.0.1:8080", format!("http://{}", server.addr)),
        ("lgw_…", key),
        ("cargo run --release --", cli),
    ];
    // Every curl, and the operator commands the text walks a reader through (not the
    // reference list of every command, whose <PLACEHOLDERS> are the reader's to fill).
    let runnable = |command: &str| {
        command.starts_with("curl ")
            || command.starts_with("TOKEN=")
            || (command.contains("cargo run --release --")
                && !command.contains('<')
                && !command.contains("-p lead-bench"))
    };
    let ran = follow(&doc("README.md"), &replacements, runnable, |_| 200);
    assert!(ran >= 6, "only {ran} commands ran");
}

#[test]
fn the_api_docs_followed_literally_in_both_languages() {
    if !installed("curl") {
        return;
    }
    let app = TestApp::spawn();
    let server = format!("http://{}", app.server.addr);
    let api = doc("docs/api.md");
    let replacements = [
        ("https://IHR-SERVER", server.clone()),
        ("https://YOUR-SERVER", server.clone()),
        ("IHR_API_KEY", app.acme.key.clone()),
        ("YOUR_API_KEY", app.acme.key.clone()),
    ];
    let ran = follow(&api, &replacements, |command| command.starts_with("curl "), lead_status);
    assert_eq!(ran, 4, "two curl examples in each language");

    // The PHP and JavaScript examples, as they stand, in both languages.
    let blocks = |language: &str| -> Vec<String> {
        api.split(&format!("```{language}\n"))
            .skip(1)
            .map(|rest| rest.split("```").next().unwrap().to_owned())
            .map(|code| {
                replacements
                    .iter()
                    .fold(code, |code, (from, to)| code.replace(from, to))
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    if installed("php") {
        for (n, code) in blocks("php").into_iter().enumerate() {
            let script = dir.path().join(format!("example{n}.php"));
            std::fs::write(&script, code).unwrap();
            runs.push(Command::new("php").arg(&script).output().unwrap());
        }
        assert_eq!(runs.len(), 2);
    }
    if installed("node") {
        for (n, code) in blocks("js").into_iter().enumerate() {
            let script = dir.path().join(format!("example{n}.mjs"));
            std::fs::write(&script, code).unwrap();
            runs.push(Command::new("node").arg(&script).output().unwrap());
        }
    }
    for output in &runs {
        let printed = String::from_utf8_lossy(&output.stdout);
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{printed}{errors}");
        assert!(errors.is_empty(), "no warnings: {errors}");
        let stored = printed.starts_with("gespeichert als Nr. ") || printed.starts_with("stored as no. ");
        assert!(stored, "{printed}");
    }
    // Each run sent an order of its own (a random Idempotency-Key per submission), with the
    // amount rounded to cents: 2 * 24.95 is 49.9 in JavaScript.
    let orders = app.store.list_orders(app.acme.id, None, None, None).unwrap();
    assert_eq!(orders.len(), runs.len());
    assert!(orders.iter().all(|o| o.total_cents == 4990), "{orders:?}");
}

#[test]
fn the_team_api_docs_followed_literally() {
    if !installed("curl") {
        return;
    }
    let app = TestApp::spawn();
    let employee = app.acme.employees[0];
    let token = token_for(&app.store, employee);
    // The reader's own records, for the ids the text uses as examples.
    let post = |body: &str| -> i64 {
        let response = app.post_lead(&app.acme.key, body);
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["id"].as_i64().unwrap()
    };
    let accepted = post(r#"{"type":"order","email":"kunde@beispiel.de","total":49.90,"sku":"A-1"}"#);
    let rejected = post(r#"{"type":"order","email":"kunde@beispiel.de","total":12}"#);
    let ticket = post(r#"{"type":"ticket","email":"privat@web.de","subject":"Frage","message":"Hallo"}"#);
    let customer = app
        .store
        .add_customer(app.acme.id, "Max Müller", "max@mueller.de")
        .unwrap()
        .id;
    let notification = app.store.list_notifications(employee, false, None, None).unwrap()[0].id;
    let replacements = [
        ("lgt_…", token),
        ("http://127.0.0.1:8080", format!("http://{}", app.server.addr)),
        ("/orders/12/reject", format!("/orders/{rejected}/reject")),
        ("/orders/12", format!("/orders/{accepted}")),
        ("cursor=41", format!("cursor={rejected}")),
        ("/tickets/9", format!("/tickets/{ticket}")),
        (r#""customer_id": 7"#, format!(r#""customer_id": {customer}"#)),
        ("/customers/7", format!("/customers/{customer}")),
        ("/notifications/57", format!("/notifications/{notification}")),
        ("Last-Event-ID: 57", format!("Last-Event-ID: {notification}")),
    ];
    let expected = |command: &str| {
        if command.contains("-X POST $A/customers -d") {
            201
        } else {
            200
        }
    };
    let ran = follow(
        &doc("docs/team-api.md"),
        &replacements,
        |c| c.starts_with("curl ") || c.starts_with("T="),
        expected,
    );
    assert_eq!(ran, 21, "every route");
    let decided = app.store.get_order(app.acme.id, accepted).unwrap();
    assert_eq!(decided.status, "accepted");
}
