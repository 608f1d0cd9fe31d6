//! The first start on an empty database: the `Demo` company, its key and its employee's
//! password, shown once.

use std::net::SocketAddr;

use lead_auth::ApiKey;
use lead_store::Store;

use crate::config::Config;

/// On an empty database: the `Demo` company, one employee with a dashboard password, and a
/// key — key and password shown once.
pub(super) fn bootstrap_demo(store: &Store) -> anyhow::Result<Option<(ApiKey, String)>> {
    let key = ApiKey::generate()?;
    let Some(demo) = store.access().create_demo_if_empty(&key)? else {
        return Ok(None);
    };
    let password = lead_auth::generate_password()?;
    store
        .access()
        .set_employee_password(demo.employee_id, Some(&lead_auth::hash_password(&password)?))?;
    Ok(Some((key, password)))
}

/// How the operator runs this binary again: `cargo run --release --` under cargo (which
/// says so in the environment), otherwise the path it was started by.
fn operator_command() -> String {
    let program = std::env::args().next().unwrap_or_else(|| "lead-server".into());
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some_and(|dir| !dir.is_empty()) {
        let release = program.contains("/release/") || program.contains("\\release\\");
        return if release {
            "cargo run --release --"
        } else {
            "cargo run --"
        }
        .into();
    }
    if program.contains(char::is_whitespace) {
        format!("'{program}'")
    } else {
        program
    }
}

/// The one deliberate print of a key besides `key issue`: to stdout, never to the log. Links
/// use `server.public_url` where set; a database URL is shown without its password.
pub(super) fn print_demo_banner(key: &ApiKey, password: &str, addr: SocketAddr, config: &Config) {
    let base = match config.server.public_url.trim() {
        "" => format!(
            "http://{}",
            match addr {
                SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
                SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
                other => other.to_string(),
            }
        ),
        _ => config.public_url(),
    };
    // How an operator command finds this server's database: the same config file, or the
    // same URL (whose password the operator knows).
    let database = match (&config.file, config.database_named) {
        (Some(file), _) => format!(" --config '{}'", file.display()),
        (None, true) => format!(
            " --database-url '{}'",
            lead_store::redact_password(&config.database.url)
        ),
        (None, false) => String::new(),
    };
    let key = key.expose();
    let command = operator_command();
    println!(
        "\n\
================================================================================\n\
First start: created the company \"Demo\" with one employee and this API key.\n\
The key is shown only this once - keep it:\n\n    {key}\n\n\
Send a first lead:\n\n\
curl -X POST '{base}/api/v1/lead.php' -H 'X-API-KEY: {key}' -H 'Content-Type: application/json' -d '{{\"type\":\"order\",\"email\":\"kunde@example.com\",\"subject\":\"Testbestellung\",\"total\":49.90}}'\n\n\
Then see it (from another terminal):\n\n\
{command} orders list --company Demo{database}\n\n\
or in the team's dashboard: {base}/app/ - log in as team@demo.example\n\
with the password (also shown only this once):\n\n    {password}\n\
================================================================================\n"
    );
}
