//! The docs, followed literally: every `curl` command in README.md, docs/api.md and
//! docs/team-api.md runs against a real server, with only what the text tells a reader to
//! replace (the server's address, the key, the token, the ids of the reader's own records),
//! and where the text shows the answer, the answer must be exactly that. The PHP and
//! JavaScript examples of docs/api.md run as they stand, with PHP and Node.js, and its German
//! and English halves must show the same examples.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::installed;
use common::{binary, token_for, Receiver, Server, TestApp, TestDb};
use serde_json::Value;

fn doc(path: &str) -> String {
    let file: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(file).unwrap()
}

/// A command as the text shows it (continuation lines joined, a trailing comment dropped),
/// with the answer shown right after it (`# {…}`), if any.
#[derive(Debug)]
struct Shown {
    command: String,
    answer: Option<String>,
}

/// The fenced code blocks of `markdown` in `language` ("" for a fence without one), in order.
fn code_blocks(markdown: &str, language: &str) -> Vec<String> {
    enum State {
        Outside,
        Taking(String),
        Passing,
    }
    let mut blocks = Vec::new();
    let mut state = State::Outside;
    for line in markdown.lines() {
        let fence = line.trim_end().strip_prefix("```");
        state = match (state, fence) {
            (State::Outside, Some(kind)) if kind == language => State::Taking(String::new()),
            (State::Outside, Some(_)) => State::Passing,
            (State::Taking(block), Some("")) => {
                blocks.push(block);
                State::Outside
            }
            (State::Passing, Some("")) => State::Outside,
            (State::Taking(mut block), _) => {
                block.push_str(line);
                block.push('\n');
                State::Taking(block)
            }
            (state, _) => state,
        };
    }
    blocks
}

/// The shell commands of the ```sh blocks of `markdown`, in order.
fn shell_commands(markdown: &str) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    for block in code_blocks(markdown, "sh") {
        let mut pending = String::new();
        for line in block.lines().map(str::trim) {
            if let Some(answer) = line.strip_prefix("# {") {
                let answer = format!("{{{}", answer.split("   (").next().unwrap_or(answer).trim_end());
                shown.last_mut().expect("an answer follows its command").answer = Some(answer);
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(start) => {
                    pending.push_str(start);
                    pending.push(' ');
                }
                None => {
                    pending.push_str(without_comment(line));
                    shown.push(Shown {
                        command: std::mem::take(&mut pending),
                        answer: None,
                    });
                }
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
#[derive(Debug)]
struct Ran {
    command: String,
    status: Option<u16>,
    body: String,
}

/// Runs `command` (after `prelude`, the variables set before it) in bash and asserts that it
/// succeeds. A `curl` gets `-sS` and the HTTP status appended to its output, and a time
/// limit: a generous one, and two seconds for a live stream (`-N`), which stays open.
fn run(prelude: &str, command: &str) -> Ran {
    let is_curl = command.starts_with("curl ");
    let stream = command.starts_with("curl -N");
    let full = match (is_curl, stream) {
        (true, true) => format!("{command} -sS --max-time 2 -w '\\n%{{http_code}}'"),
        (true, false) => format!("{command} -sS --max-time 30 -w '\\n%{{http_code}}'"),
        (false, _) => command.to_owned(),
    };
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("{prelude}\n{full}"))
        .env_remove("LEAD_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // curl's 28 is its time limit: how a live stream ends here.
    let ended_well = output.status.success() || (stream && output.status.code() == Some(28));
    assert!(
        ended_well,
        "{command}\nprinted {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, status) = match is_curl {
        true => {
            let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
            (body.to_owned(), status.trim().parse().ok())
        }
        false => (stdout, None),
    };
    Ran {
        command: command.to_owned(),
        status,
        body,
    }
}

/// The status of a documented answer: 200 for a success, the error's status otherwise.
fn status_of(answer: &Value) -> u16 {
    match answer["code"].as_str() {
        None => 200,
        Some("missing_api_key") => 401,
        Some("invalid_api_key" | "origin_not_allowed") => 403,
        Some("payload_too_large") => 413,
        Some("idempotency_conflict") => 422,
        Some("rate_limited") => 429,
        Some("internal_error") => 500,
        Some(_) => 400,
    }
}

/// Runs every shown command of `markdown` that `runnable` picks, in order, with
/// `replacements`. A variable setting is kept for the commands after it; a `curl` must get the
/// documented answer exactly where one is shown (and its status), `success` otherwise.
fn follow(
    markdown: &str,
    replacements: &[(&str, String)],
    runnable: impl Fn(&str) -> bool,
    success: impl Fn(&str) -> u16,
) -> Vec<Ran> {
    let mut prelude = String::new();
    let mut ran = Vec::new();
    for shown in shell_commands(markdown) {
        if !runnable(&shown.command) {
            continue;
        }
        let command = replacements
            .iter()
            .fold(shown.command.clone(), |command, (from, to)| command.replace(from, to));
        // A variable set for the commands after it (T=…; A=…, TOKEN=$(…)).
        let first = command.split_whitespace().next().unwrap_or_default();
        if first
            .split_once('=')
            .is_some_and(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            prelude.push_str(&command);
            prelude.push('\n');
            continue;
        }
        let result = run(&prelude, &command);
        let documented: Option<Value> = shown
            .answer
            .as_deref()
            .map(|answer| serde_json::from_str(answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}")));
        if let Some(status) = result.status {
            let expected = documented.as_ref().map_or_else(|| success(&shown.command), status_of);
            assert_eq!(status, expected, "{command}\nanswered {}", result.body);
        }
        if let Some(documented) = documented {
            let answered: Value = serde_json::from_str(result.body.trim())
                .unwrap_or_else(|e| panic!("{command}: not JSON ({e}): {}", result.body));
            assert_eq!(answered, documented, "{command}");
        }
        ran.push(result);
    }
    ran
}

#[test]
fn the_readme_followed_literally() {
    if !installed("curl") {
        return;
    }
    // The Quickstart: a first start on an empty database prints a key, a curl command and how
    // to see the order (started as the built binary, so it names the binary).
    let db = TestDb::new();
    let server = Server::start(&db.url, &[("CARGO_MANIFEST_DIR", "")]);
    let banner = server.wait_for_output("orders list --company Demo");
    let key = banner
        .split_whitespace()
        .find(|word| word.starts_with("lgw_") && word.len() == 47)
        .unwrap()
        .to_owned();
    let line = |start: &str| banner.lines().find(|line| line.contains(start)).unwrap().to_owned();
    let sent = run("", &line("curl -X POST"));
    assert_eq!(sent.status, Some(200), "{}", sent.body);
    // The banner names the database where it is not the default.
    let listed = run("", &line("orders list --company Demo"));
    assert!(listed.body.contains("Testbestellung"), "{}", listed.body);

    let cli = format!("{} --database-url {}", binary().display(), db.url);
    let replacements = [
        ("http://127.0.0.1:8080", format!("http://{}", server.addr)),
        ("lgw_…", key),
        ("cargo run --release --", cli),
    ];
    // Every curl, and the operator commands the text walks a reader through — not the
    // reference list of every command (`lead-server …`, with <PLACEHOLDERS> to fill), nor
    // starting the server or the benchmark.
    let runnable = |command: &str| {
        command.starts_with("curl ")
            || command.starts_with("TOKEN=")
            || (command.contains("cargo run --release --")
                && !command.contains('<')
                && !command.contains("-p lead-bench"))
    };
    let ran = follow(&doc("README.md"), &replacements, runnable, |_| 200);
    let what: Vec<&str> = ran.iter().map(|r| r.command.as_str()).collect();
    assert_eq!(ran.len(), 6, "{what:#?}");
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
    // The same ticket in both languages: the second is a duplicate, answered with the first's id.
    let ran = follow(&api, &replacements, |command| command.starts_with("curl "), |_| 200);
    assert_eq!(ran.len(), 10, "five curl examples in each language");

    // Both halves show the same examples: equal but for the placeholders' language, the
    // comments, and what the scripts print for a person.
    let (german, english) = api.split_once("## English").unwrap();
    for language in ["sh", "js", "php"] {
        let examples =
            |half: &str| -> Vec<String> { code_blocks(half, language).iter().map(|code| neutral(code)).collect() };
        assert_eq!(
            examples(german),
            examples(english),
            "the {language} examples of both halves"
        );
    }

    // The PHP and JavaScript examples, as they stand.
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for (language, program, extension) in [("php", "php", "php"), ("js", "node", "mjs")] {
        if !installed(program) {
            continue;
        }
        let blocks = code_blocks(&api, language);
        assert_eq!(blocks.len(), 2, "a {language} example in each language");
        for (n, code) in blocks.into_iter().enumerate() {
            let code = replacements
                .iter()
                .fold(code, |code, (from, to)| code.replace(from, to));
            let script = dir.path().join(format!("example{n}.{extension}"));
            std::fs::write(&script, code).unwrap();
            runs.push(Command::new(program).arg(&script).output().unwrap());
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
    // Each run sent an order of its own (a random Idempotency-Key per submission), its float
    // sum 30.279999999999998 rounded to 30,28 €.
    let orders = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(orders.len(), runs.len());
    assert!(orders.iter().all(|o| o.total.cents() == 3028), "{orders:?}");
}

/// An example without what differs by language: placeholders, comments, and the texts printed
/// for a person.
fn neutral(code: &str) -> String {
    const WORDS: [(&str, &str); 5] = [
        ("IHR-SERVER", "YOUR-SERVER"),
        ("IHR_API_KEY", "YOUR_API_KEY"),
        ("gespeichert als Nr.", "stored as no."),
        ("abgelehnt", "refused"),
        ("keine Antwort", "no answer"),
    ];
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| {
            let line = match line.find(" // ") {
                Some(at) => &line[..at],
                None => line,
            };
            WORDS
                .iter()
                .fold(line.trim_end().to_owned(), |line, (de, en)| line.replace(de, en))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_team_api_docs_followed_literally() {
    if !installed("curl") {
        return;
    }
    // Push on, its messages to a push service on this machine instead of Google's.
    let push_service = Receiver::start(vec![]);
    let app =
        TestApp::spawn_with("[outbox]\nallow_private_targets = true\n[push]\nsubject = \"mailto:it@acme.example\"\n");
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
        .team()
        .add_customer(app.acme.id, "Max Müller", "max@mueller.de")
        .unwrap()
        .id;
    // The file the text merges into the customer's.
    let twin = app
        .store
        .team()
        .add_customer(app.acme.id, "Max Müller (privat)", "max@privat.example")
        .unwrap()
        .id;
    // The employee's notifications, newest first: resuming after the oldest brings the next.
    let notes = app
        .store
        .team()
        .list_notifications(employee, false, None, None)
        .unwrap();
    let (notification, next) = (notes[2].id, notes[1].id);
    // The company's mailbox, its replies to an SMTP sink on this machine.
    let sink = lead_testkit::SmtpSink::start(vec![]);
    common::team::set_mailbox(&app, &["--smtp", &sink.url]);
    let replacements = [
        ("lgt_…", token),
        ("http://127.0.0.1:8080", format!("http://{}", app.server.addr)),
        ("/orders/12/reject", format!("/orders/{rejected}/reject")),
        ("/orders/12", format!("/orders/{accepted}")),
        ("cursor=41", format!("cursor={rejected}")),
        ("/tickets/9", format!("/tickets/{ticket}")),
        (r#""customer_id": 7"#, format!(r#""customer_id": {customer}"#)),
        ("/customers/7", format!("/customers/{customer}")),
        (r#""from": 8"#, format!(r#""from": {twin}"#)),
        (
            r#""employee_id": 3"#,
            format!(r#""employee_id": {}"#, app.acme.employees[1]),
        ),
        ("/notifications/57", format!("/notifications/{notification}")),
        ("Last-Event-ID: 57", format!("Last-Event-ID: {notification}")),
        (
            "https://fcm.googleapis.com/fcm/send/dG9rZW4",
            format!("{}/docs", push_service.url),
        ),
        // The device the text subscribes is the first.
        ("/push/subscriptions/3", "/push/subscriptions/1".to_owned()),
    ];
    let team = doc("docs/team-api.md");
    let created = |command: &str| {
        if command.contains("-X POST $A/customers -d")
            || command.contains("-X POST $A/push/subscriptions -d")
            || command.contains("/notes -d")
            || command.contains("/messages -d")
            || command.ends_with("/customer")
            || command.contains("/customer ")
        {
            201
        } else if command.contains("-X DELETE") {
            204
        } else {
            200
        }
    };
    let ran = follow(
        &team,
        &replacements,
        |c| c.starts_with("curl ") || c.starts_with("T="),
        created,
    );
    assert_eq!(ran.len(), 39, "every route");
    // The test message was owed to the device the text subscribed (and removed right after).
    let pushes = app
        .store
        .deliveries()
        .list_deliveries(&lead_store::DeliveryFilter {
            channel: Some(lead_store::Channel::Push),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0].event, lead_store::Event::PushTest);
    assert_eq!(
        app.store
            .team()
            .lead::<lead_store::OrderRecord>(app.acme.id, lead_store::OrderId::new(accepted))
            .unwrap()
            .status,
        lead_domain::OrderStatus::Accepted
    );

    // The shapes the text shows: an order and a notification, member for member.
    let shapes = code_blocks(&team, "json");
    let keys = |value: &Value| {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let shown = |member: &str| {
        let shape = shapes.iter().find(|shape| shape.contains(member)).unwrap();
        serde_json::from_str::<Value>(shape).unwrap()
    };
    // The commands' answers, found by what the command says.
    let ran_with = |part: &str| ran.iter().find(|r| r.command.contains(part)).unwrap();
    let order = ran
        .iter()
        .find(|r| r.command.ends_with(&format!("$A/orders/{accepted}")))
        .unwrap();
    let order_body: Value = serde_json::from_str(&order.body).unwrap();
    assert_eq!(keys(&order_body), keys(&shown("\"total_cents\"")), "{}", order.command);
    let listed = ran_with("notifications?unread=true");
    let notes: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(keys(&notes["items"][0]), keys(&shown("\"kind\"")), "{}", listed.command);
    // The live stream's frames as the text shows them: retry first, then id, event, data.
    let resumed = ran_with("Last-Event-ID");
    assert!(resumed.command.contains("Last-Event-ID"), "{}", resumed.command);
    assert!(resumed.body.starts_with("retry: 3000\n"), "{:?}", resumed.body);
    let frame = format!("id: {next}\nevent: notification\ndata: {{");
    assert!(resumed.body.contains(&frame), "{frame:?} in {:?}", resumed.body);
    let frame_shown = code_blocks(&team, "")
        .into_iter()
        .find(|block| block.contains("event: notification"))
        .unwrap();
    assert!(
        frame_shown.starts_with("id: 57\nevent: notification\ndata: {"),
        "{frame_shown}"
    );
}
