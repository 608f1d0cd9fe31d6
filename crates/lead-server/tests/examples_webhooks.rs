//! The webhook examples in docs/examples/, run against the real server: the shop webhook relay
//! with Node.js, and the receivers of the server's own webhooks in Node.js, PHP and Python.
//! Each test is skipped, saying so, where its tool is not installed (`.ci/run` installs them,
//! and sets `LEAD_TEST_REQUIRE_TOOLS` so that there a missing tool fails instead).

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};

use common::browser::{installed, wait_for};
use common::examples::example;
use common::{cli, TestApp};
use serde_json::{json, Value};

/// HMAC-SHA256 (RFC 2104) of `message` under `key`, in base64: how shops sign webhooks.
fn hmac_sha256_base64(key: &[u8], message: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::digest([pad(0x36).as_slice(), message].concat());
    let mac = Sha256::digest([pad(0x5c).as_slice(), inner.as_slice()].concat());
    base64(&mac)
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let sextet = (n >> (18 - 6 * i)) as usize & 63;
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[sextet])
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn the_shop_webhook_relay_forwards_each_order_once() {
    if !installed("node") {
        return;
    }
    let app = TestApp::spawn();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let secret = "the-shops-webhook-secret";
    let mut relay = Command::new("node")
        .arg(example("shop-webhook.mjs"))
        .env("LEAD_URL", format!("http://{}/api/v1/lead", app.server.addr))
        .env("LEAD_KEY", &app.acme.key)
        .env("SHOP_SECRET", secret)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for("the relay", || TcpStream::connect(addr).ok());
    // How shops sign a delivery: base64 of the HMAC-SHA256 of the body, in their header.
    let send = |body: &str, content_type: &str, signature: Option<(&str, String)>| {
        let header = signature
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .unwrap_or_default();
        let raw = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\n{header}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        common::try_send(addr, raw.as_bytes()).unwrap()
    };
    // The signing itself, checked against RFC 4231's second test case.
    assert_eq!(
        hmac_sha256_base64(b"Jefe", b"what do ya want for nothing?"),
        "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    );
    let woocommerce = |body: &str| {
        Some((
            "X-WC-Webhook-Signature",
            hmac_sha256_base64(secret.as_bytes(), body.as_bytes()),
        ))
    };
    let deliver = |order: &Value| {
        let body = order.to_string();
        send(&body, "application/json", woocommerce(&body))
    };
    // Saving the webhook, WooCommerce tests it with an unsigned ping, which must get 200.
    assert_eq!(
        send("webhook_id=7", "application/x-www-form-urlencoded", None).status,
        200
    );
    let paid = json!({"number": 1001, "total": "99.90", "billing": {"email": "kunde@beispiel.de"},
                      "line_items": [{"sku": "A-1", "quantity": 2}]});
    // Shops deliver a webhook again when in doubt.
    assert_eq!(deliver(&paid).status, 200);
    assert_eq!(deliver(&paid).status, 200);
    // A Shopify order, signed Shopify's way.
    let shopify = json!({"id": 450789469, "name": "#1003", "email": "bob@beispiel.de", "total_price": "12.30",
                         "line_items": [{"sku": "S-9", "quantity": 1}]})
    .to_string();
    let signature = hmac_sha256_base64(secret.as_bytes(), shopify.as_bytes());
    assert_eq!(
        send(&shopify, "application/json", Some(("X-Shopify-Hmac-Sha256", signature))).status,
        200
    );
    // What no retry can fix is refused for good (422): no email, no amount, not an order.
    for broken in [
        json!({"number": 1002, "total": "5", "billing": {}}).to_string(),
        json!({"number": 1004, "billing": {"email": "a@b.de"}}).to_string(),
        "null".to_owned(),
        "not json!".to_owned(),
    ] {
        assert_eq!(
            send(&broken, "application/json", woocommerce(&broken)).status,
            422,
            "{broken}"
        );
    }
    // Without the shop's signature, or with another one: refused, nothing stored.
    let forged = json!({"number": 666, "total": "1", "billing": {"email": "x@evil.example"}}).to_string();
    assert_eq!(send(&forged, "application/json", None).status, 401);
    let guessed = hmac_sha256_base64(b"guess", forged.as_bytes());
    assert_eq!(
        send(&forged, "application/json", Some(("X-WC-Webhook-Signature", guessed))).status,
        401
    );
    // A delivery over 1 MiB is refused before its signature is computed.
    let huge = "x".repeat(1024 * 1024 + 1);
    assert_eq!(send(&huge, "application/json", woocommerce(&huge)).status, 413);
    let _ = relay.kill();
    let _ = relay.wait();

    let orders = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        (
            orders[0].total.cents(),
            orders[0].title.as_str(),
            orders[0].email.as_str()
        ),
        (1230, "Bestellung #1003", "bob@beispiel.de")
    );
    assert_eq!(
        (orders[1].total.cents(), orders[1].title.as_str()),
        (9990, "Bestellung 1001")
    );
    assert_eq!(
        lead_domain::extra_fields(&orders[1].payload)["items"],
        json!([{"sku": "A-1", "quantity": 2}])
    );
}

/// A receiver example running as a child process, and everything it printed.
struct ReceiverProcess {
    child: std::process::Child,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl ReceiverProcess {
    fn start(mut command: Command) -> ReceiverProcess {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push_str(&(line + "\n"));
                }
            });
        }
        ReceiverProcess { child, output }
    }

    /// The JSON lines it printed (the example's own; a server's log lines are left out).
    fn events(&self) -> Vec<Value> {
        self.output
            .lock()
            .unwrap()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(Value::is_object)
            .collect()
    }
}

impl Drop for ReceiverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A delivery as lead-server signs it, sent by hand: `age` seconds old, with `id`.
fn signed_delivery(addr: SocketAddr, secret: &str, id: &str, age: i64, body: &str) -> u16 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let timestamp = now - age;
    let signature = lead_deliver::signature(&[secret.to_owned()], id, timestamp, body).unwrap();
    let raw = format!(
        "POST /hooks/crm HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         webhook-id: {id}\r\nwebhook-timestamp: {timestamp}\r\nwebhook-signature: {signature}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    common::try_send(addr, raw.as_bytes()).unwrap().status
}

/// Each receiver example, with lead-server's real deliveries: verified, handled once, and a
/// forged, stale or replayed request refused or recognised.
#[test]
fn the_webhook_receivers_verify_and_handle_each_delivery_once() {
    for (tool, name) in [
        ("node", "webhook-receiver.mjs"),
        ("python3", "webhook-receiver.py"),
        ("php", "webhook-receiver.php"),
    ] {
        if !installed(tool) {
            continue;
        }
        let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0, 1, 1]\n");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let url = format!("http://{addr}/hooks/crm");
        let added = lead_testkit::cli_with_env(
            &app.db.url,
            &["webhook", "add", "--company", "Acme", "--url", &url],
            &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")],
        );
        let secret = lead_testkit::last_line(&added);
        let seen = tempfile::tempdir().unwrap();
        let mut command = Command::new(tool);
        match tool {
            "php" => command.args(["-S", &addr.to_string(), example(name).to_str().unwrap()]),
            _ => command.arg(example(name)),
        };
        command
            .env("WEBHOOK_SECRET", &secret)
            .env("PORT", port.to_string())
            .env("WEBHOOK_SEEN_DIR", seen.path());
        let receiver = ReceiverProcess::start(command);
        wait_for(&format!("{name} listening"), || TcpStream::connect(addr).ok());

        // A real lead, delivered by the server.
        let order = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#);
        let order = order.json()["id"].as_i64().unwrap();
        let first = wait_for(&format!("{name} handled the order"), || {
            receiver.events().into_iter().find(|e| e["processed"].is_string())
        });
        assert_eq!(
            (first["type"].as_str(), first["record"].as_i64()),
            (Some("order.created"), Some(order)),
            "{name}"
        );
        wait_for("the delivery recorded", || {
            let list = lead_testkit::last_line(&cli(&app.db.url, &["outbox", "list", "--json"]));
            let list: Vec<Value> = serde_json::from_str(&list).unwrap();
            (list[0]["status"] == "delivered").then_some(())
        });

        // The same delivery again: answered 200, not handled twice.
        let body = r#"{"type":"ticket.created","timestamp":"2026-12-01T00:00:00.000Z","data":{"id":99}}"#;
        assert_eq!(signed_delivery(addr, &secret, "msg_replayed", 0, body), 200, "{name}");
        assert_eq!(signed_delivery(addr, &secret, "msg_replayed", 0, body), 200, "{name}");
        // Forged, or too old to be fresh: refused.
        assert_eq!(
            signed_delivery(
                addr,
                "whsec_Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0",
                "msg_forged",
                0,
                body
            ),
            401,
            "{name}"
        );
        assert_eq!(signed_delivery(addr, &secret, "msg_stale", 600, body), 401, "{name}");

        let events = wait_for(&format!("{name} saw the replay"), || {
            let events = receiver.events();
            events
                .iter()
                .any(|e| e["duplicate"] == "msg_replayed")
                .then_some(events)
        });
        let handled: Vec<&Value> = events.iter().filter(|e| e["processed"].is_string()).collect();
        assert_eq!(
            handled.len(),
            2,
            "{name}: the order and the replayed ticket, once each: {events:?}"
        );
        assert!(handled
            .iter()
            .all(|e| e["processed"] != "msg_forged" && e["processed"] != "msg_stale"));
    }
}
