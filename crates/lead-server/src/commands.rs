//! The operator's subcommands. Ids and keys go alone on the last line of stdout; everything
//! said to a human goes to stderr.

use std::io::BufRead;

use anyhow::{bail, Context};
use lead_auth::{ApiKey, EmployeeToken};
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{Channel, Company, DeliveryFilter, DeliveryStatus, Event, Hold, NewWebhook, Store, WebhookFormat};

use crate::cli::{
    AuditCommand, Command, CompanyCommand, CustomerCommand, EmployeeCommand, HeldArgs, KeyCommand, ListArgs,
    NotificationsCommand, OrdersCommand, OutboxCommand, PersonCommand, PushCommand, SubmissionsCommand, TicketsCommand,
    WebhookCommand,
};
use crate::config::Config;
use crate::output::{
    print_rows, AuditRow, CompanyRow, CustomerRow, DeliveryRow, EmployeeRow, KeyRow, NotificationRow, OrderRow, Row,
    SubmissionRow, TicketRow, TokenRow, WebhookRow,
};

impl HeldArgs {
    /// Which held-back leads a list asks for: `None` for the team's view, `Some(None)` for
    /// every held lead, `Some(Some(hold))` for those held for one reason.
    fn filter(&self) -> Option<Option<Hold>> {
        match (self.quarantined, self.spam, self.held) {
            (true, _, _) => Some(Some(Hold::Quarantine)),
            (_, true, _) => Some(Some(Hold::Spam)),
            (_, _, true) => Some(None),
            _ => None,
        }
    }
}

/// Runs one operator command against `store`.
pub fn run(command: Command, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Webhook(command) => webhook(command, store, config),
        Command::Outbox(command) => outbox(command, store),
        Command::Push(command) => push(command, store, config),
        Command::Person(command) => person(command, store, config),
        Command::Serve { .. } => unreachable!("serve is not an operator command"),
        Command::Company(command) => company(command, store),
        Command::Key(command) => key(command, store, config),
        Command::Employee(command) => employee(command, store),
        Command::Customer(command) => customer(command, store),
        Command::Orders(OrdersCommand::Export(args)) => export(store, config, &args, lead_http::export::Kind::Orders),
        Command::Tickets(TicketsCommand::Export(args)) => {
            export(store, config, &args, lead_http::export::Kind::Tickets)
        }
        Command::Orders(OrdersCommand::List {
            company,
            status,
            held,
            list,
        }) => {
            let company = store.find_company(&company)?;
            let status = status.map(|s| s.parse::<OrderStatus>()).transpose()?;
            let orders = match held.filter() {
                Some(hold) => store.list_held_orders(company.id, hold, limit(&list))?,
                None => store.list_orders(company.id, status, None, limit(&list))?,
            };
            list_rows(orders, &list, OrderRow::from)
        }
        Command::Orders(OrdersCommand::Release { id }) => {
            let order = store.release_order(id)?;
            eprintln!(
                "Released order {}: it is in the inbox, and the team was notified.",
                order.id
            );
            Ok(())
        }
        Command::Tickets(TicketsCommand::List {
            company,
            status,
            held,
            list,
        }) => {
            let company = store.find_company(&company)?;
            let status = status.map(|s| s.parse::<TicketStatus>()).transpose()?;
            let tickets = match held.filter() {
                Some(hold) => store.list_held_tickets(company.id, hold, limit(&list))?,
                None => store.list_tickets(company.id, status, None, limit(&list))?,
            };
            list_rows(tickets, &list, TicketRow::from)
        }
        Command::Tickets(TicketsCommand::Release { id }) => {
            let ticket = store.release_ticket(id)?;
            eprintln!(
                "Released ticket {}: it is in the ticket system, and the team was notified.",
                ticket.id
            );
            Ok(())
        }
        Command::CopyTo { target } => copy_to(store, &target),
        Command::Backup { file } => backup(store, &config.database.url, &file),
        Command::Purge { dry_run } => purge(store, config, dry_run),
        Command::Submissions(SubmissionsCommand::List {
            company,
            key,
            failed,
            list,
        }) => {
            let filter = lead_store::SubmissionFilter {
                company_id: company.map(|c| store.find_company(&c)).transpose()?.map(|c| c.id),
                key_prefix: key,
                failed_only: failed,
                before: None,
                limit: limit(&list),
                ..Default::default()
            };
            list_rows(store.list_submissions(&filter)?, &list, SubmissionRow::from)
        }
        Command::Audit(AuditCommand::List(list)) => list_rows(store.list_audit(limit(&list))?, &list, AuditRow::from),
        Command::Notifications(NotificationsCommand::List { employee, list }) => list_rows(
            store.list_notifications(employee, false, None, limit(&list))?,
            &list,
            NotificationRow::from,
        ),
    }
}

fn limit(list: &ListArgs) -> Option<i64> {
    list.limit.map(i64::from)
}

fn list_rows<T, R: Row>(items: Vec<T>, list: &ListArgs, row: impl Fn(T) -> R) -> anyhow::Result<()> {
    let mut rows: Vec<R> = items.into_iter().map(row).collect();
    if let Some(limit) = list.limit {
        rows.truncate(limit as usize);
    }
    print_rows(&rows, list.json)
}

fn company(command: CompanyCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        CompanyCommand::Add { name } => {
            let id = store.add_company(&name)?;
            eprintln!("Added company {:?}.", name.trim());
            println!("{id}");
        }
        CompanyCommand::List(list) => list_rows(store.list_companies()?, &list, CompanyRow::from)?,
        CompanyCommand::Deactivate { company } => set_company_active(store, &company, false)?,
        CompanyCommand::Activate { company } => set_company_active(store, &company, true)?,
    }
    Ok(())
}

fn set_company_active(store: &Store, selector: &str, active: bool) -> anyhow::Result<()> {
    let company = store.find_company(selector)?;
    store.set_company_active(company.id, active)?;
    let what = if active {
        "activated: its keys work"
    } else {
        "deactivated: its keys stop working"
    };
    eprintln!("Company {} ({:?}) {what}.", company.id, company.name);
    Ok(())
}

fn key(command: KeyCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        KeyCommand::Issue { company, label } => {
            let company = store.find_company(&company)?;
            let key = ApiKey::generate()?;
            let id = store.add_key(company.id, &key, &label)?;
            warn_if_inactive(&company);
            eprintln!(
                "Issued key {id} ({}) for company {:?}. It is shown only now; store it safely:",
                key.display_prefix(),
                company.name
            );
            println!("{}", key.expose());
        }
        KeyCommand::Import { company, key, label } => {
            let company = store.find_company(&company)?;
            let text = if key == "-" { read_stdin_line()? } else { key };
            let key = ApiKey::import(&text)?;
            let id = store.add_key(company.id, &key, &label)?;
            warn_if_inactive(&company);
            if text.len() < 24 {
                eprintln!(
                    "warning: this key has only {} characters; consider issuing a new one soon.",
                    text.len()
                );
            }
            eprintln!(
                "Imported key {id} ({}) for company {:?}.",
                key.display_prefix(),
                company.name
            );
            println!("{id}");
        }
        KeyCommand::List { company, list } => {
            let company_id = company.map(|c| store.find_company(&c)).transpose()?.map(|c| c.id);
            list_rows(store.list_keys(company_id)?, &list, KeyRow::from)?;
        }
        KeyCommand::Origins { key, origins } => {
            let info = store.find_key(&key)?;
            let origins: Vec<String> = match origins.as_slice() {
                [any] if any == "any" => Vec::new(),
                list => list
                    .iter()
                    .map(|o| lead_http::parse_origin(o))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)?,
            };
            store.set_key_origins(info.id, &origins)?;
            if origins.is_empty() {
                eprintln!(
                    "Key {} ({}): usable from any website; no form redirects.",
                    info.id, info.prefix
                );
            } else {
                eprintln!("Key {} ({}): usable from {}.", info.id, info.prefix, origins.join(", "));
            }
        }
        KeyCommand::Confirm { key, state } => {
            let info = store.find_key(&key)?;
            store.set_key_confirm(info.id, state.on())?;
            if state.on() {
                eprintln!(
                    "Key {} ({}): the sender of each lead gets a confirmation e-mail (at most {} a day).",
                    info.id, info.prefix, config.smtp.confirmations_per_key_per_day
                );
                if config.smtp.url.trim().is_empty() {
                    eprintln!("Note: no [smtp] url is configured, so no e-mail is sent at all yet.");
                }
            } else {
                eprintln!("Key {} ({}): no confirmation e-mails.", info.id, info.prefix);
            }
        }
        KeyCommand::Cap { key, cap } => {
            let info = store.find_key(&key)?;
            let cap = match cap.trim() {
                "off" => None,
                number => Some(number.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    anyhow::anyhow!("the cap must be a number of leads (0 or more) or `off`, not {number:?}")
                })?),
            };
            store.set_daily_cap(info.id, cap)?;
            match cap {
                Some(cap) => eprintln!(
                    "Key {} ({}): at most {cap} leads a day (UTC) reach the team; further ones are quarantined.",
                    info.id, info.prefix
                ),
                None => eprintln!("Key {} ({}): no daily cap.", info.id, info.prefix),
            }
        }
        KeyCommand::Revoke { key } => {
            // The full key works too: an operator who only has the key at hand can revoke it.
            let by_hash = store.find_key_by_hash(&ApiKey::presented(key.trim()).hash())?;
            let info = match by_hash {
                Some(found) => store.find_key(&found.tenant.key_id.to_string())?,
                None => store.find_key(&key)?,
            };
            store.revoke_key(info.id)?;
            if info.active {
                eprintln!("Revoked key {} ({}): it no longer works.", info.id, info.prefix);
            } else {
                eprintln!("Key {} ({}) was already revoked.", info.id, info.prefix);
            }
        }
    }
    Ok(())
}

fn warn_if_inactive(company: &Company) {
    if !company.active {
        eprintln!(
            "warning: company {:?} is deactivated; its keys work only once it is activated.",
            company.name
        );
    }
}

fn read_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the key from standard input")?;
    let key = line.trim_end_matches(['\r', '\n']).to_owned();
    if key.is_empty() {
        bail!("no key on standard input");
    }
    Ok(key)
}

fn employee(command: EmployeeCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        EmployeeCommand::Add {
            company,
            name,
            email,
            admin,
        } => {
            let company = store.find_company(&company)?;
            let id = store.add_employee(company.id, &name, &email)?;
            if admin {
                store.set_employee_role(id, lead_store::Role::Admin)?;
            }
            let what = if admin { "admin" } else { "employee" };
            eprintln!("Added {what} {:?} to company {:?}.", name.trim(), company.name);
            println!("{id}");
        }
        EmployeeCommand::Role { employee, role } => {
            store.set_employee_role(employee, role)?;
            eprintln!(
                "Employee {employee} is now {} of their company.",
                match role {
                    lead_store::Role::Admin => "an admin",
                    lead_store::Role::Member => "a member",
                }
            );
        }
        EmployeeCommand::List { company, list } => {
            let company = store.find_company(&company)?;
            list_rows(store.list_employees(company.id)?, &list, EmployeeRow::from)?;
        }
        EmployeeCommand::Deactivate { employee } => {
            store.set_employee_active(employee, false)?;
            eprintln!("Employee {employee} deactivated: no further notifications.");
        }
        EmployeeCommand::Notify { employee, email, push } => {
            store.set_employee_notify(employee, email.map(|s| s.on()), push.map(|s| s.on()))?;
            let (email, push) = store.employee_notify(employee)?;
            let state = |on: bool| if on { "gets" } else { "gets no" };
            eprintln!(
                "Employee {employee} {} e-mail and {} push messages per new order and ticket.",
                state(email),
                state(push)
            );
        }
        EmployeeCommand::Activate { employee } => {
            store.set_employee_active(employee, true)?;
            eprintln!("Employee {employee} activated.");
        }
        EmployeeCommand::Password { employee } => {
            let found = store.find_employee(employee)?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let company = store.list_companies()?.into_iter().find(|c| c.id == found.company_id);
            let mut known = vec![found.name.as_str(), found.email.as_str()];
            known.extend(company.as_ref().map(|c| c.name.as_str()));
            lead_auth::check_new_password(password, &known)?;
            let hash = lead_auth::hash_password(password)?;
            store.set_employee_password(found.id, Some(&hash))?;
            eprintln!(
                "Employee {} ({}) can now log in at /app with {} and this password.",
                found.id, found.name, found.email
            );
        }
        EmployeeCommand::Token { employee } => {
            let found = store.find_employee(employee)?;
            let token = EmployeeToken::generate()?;
            let id = store.add_employee_token(found.id, &token)?;
            if !found.active {
                eprintln!(
                    "warning: employee {} is deactivated; the token works only once it is activated.",
                    found.id
                );
            }
            eprintln!(
                "Issued token {id} ({}) for employee {} ({:?}). It is shown only now; use it as \"Authorization: Bearer <token>\":",
                token.display_prefix(),
                found.id,
                found.name
            );
            println!("{}", token.expose());
        }
        EmployeeCommand::TokenList { employee, list } => {
            list_rows(store.list_employee_tokens(employee)?, &list, TokenRow::from)?;
        }
        EmployeeCommand::TokenRevoke { token } => {
            let by_hash = store.find_token_by_hash(&EmployeeToken::presented(token.trim()).hash())?;
            let info = match by_hash {
                Some(found) => store.find_employee_token(&found.member.token_id.to_string())?,
                None => store.find_employee_token(&token)?,
            };
            store.revoke_employee_token(info.id)?;
            eprintln!(
                "Revoked token {} ({}) of employee {}: it no longer works.",
                info.id, info.prefix, info.employee_id
            );
        }
    }
    Ok(())
}

fn customer(command: CustomerCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        CustomerCommand::Add { company, name, email } => {
            let company = store.find_company(&company)?;
            let id = store.add_customer(company.id, &name, &email)?.id;
            eprintln!("Added customer {:?} to company {:?}.", name.trim(), company.name);
            println!("{id}");
        }
        CustomerCommand::List { company, list } => {
            let company = store.find_company(&company)?;
            list_rows(
                store.list_customers(company.id, None, None, limit(&list))?,
                &list,
                CustomerRow::from,
            )?;
        }
    }
    Ok(())
}

fn copy_to(store: &Store, target_url: &str) -> anyhow::Result<()> {
    let shown = lead_store::redact_password(target_url);
    let target = Store::open(&lead_store::StoreConfig::new(target_url))
        .with_context(|| format!("cannot open the target {shown}"))?;
    let report = store
        .copy_to(&target)
        .with_context(|| format!("copying to {shown} failed; nothing was copied"))?;
    for (table, rows) in &report.tables {
        eprintln!("{table:<16} {rows:>10} rows");
    }
    let total: i64 = report.tables.iter().map(|(_, rows)| rows).sum();
    println!("copied and verified {total} rows into {shown}");
    Ok(())
}

/// `orders export` / `tickets export`: the filtered list, 500 records at a time, to stdout.
fn export(
    store: &Store,
    config: &Config,
    args: &crate::cli::ExportArgs,
    kind: lead_http::export::Kind,
) -> anyhow::Result<()> {
    use lead_http::export::{self, Dialect, Kind};
    use std::io::Write as _;
    let company = store.find_company(&args.company)?;
    let zone = config.time_zone()?;
    let day = |text: &Option<String>, name: &str, following: bool| -> anyhow::Result<Option<lead_domain::Timestamp>> {
        text.as_deref()
            .map(|text| {
                lead_domain::Timestamp::day_starts(text, &zone, following)
                    .ok_or_else(|| anyhow::anyhow!("--{name} must be a date like 2026-12-01, got {text:?}"))
            })
            .transpose()
    };
    let search = lead_store::Search {
        text: args.q.clone().filter(|q| !q.trim().is_empty()),
        since: day(&args.since, "since", false)?,
        until: day(&args.until, "until", true)?,
    };
    let dialect = match args.format.as_str() {
        "csv" => Some(Dialect::Excel),
        "rfc4180" => Some(Dialect::Rfc4180),
        "jsonl" => None,
        other => bail!("--format must be csv, rfc4180 or jsonl, got {other:?}"),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(dialect) = dialect {
        out.write_all(&export::head(kind, dialect))?;
    }
    let mut before: Option<i64> = None;
    let mut written = 0usize;
    loop {
        let (bytes, last, n) = match kind {
            Kind::Orders => {
                let status = args
                    .status
                    .as_deref()
                    .map(str::parse::<OrderStatus>)
                    .transpose()
                    .map_err(anyhow::Error::msg)?;
                let found =
                    store.find_orders(company.id, status, &search, before.map(lead_store::OrderId::new), 500)?;
                let bytes = match dialect {
                    Some(dialect) => export::orders(&found, dialect, &zone),
                    None => jsonl(found.iter().map(|o| lead_store::views::OrderView::new(o.clone(), true)))?,
                };
                (bytes, found.last().map(|o| o.id.get()), found.len())
            }
            Kind::Tickets => {
                let status = args
                    .status
                    .as_deref()
                    .map(str::parse::<TicketStatus>)
                    .transpose()
                    .map_err(anyhow::Error::msg)?;
                let found =
                    store.find_tickets(company.id, status, &search, before.map(lead_store::TicketId::new), 500)?;
                let bytes = match dialect {
                    Some(dialect) => export::tickets(&found, dialect, &zone),
                    None => jsonl(
                        found
                            .iter()
                            .map(|t| lead_store::views::TicketView::new(t.clone(), true)),
                    )?,
                };
                (bytes, found.last().map(|t| t.id.get()), found.len())
            }
        };
        out.write_all(&bytes)?;
        written += n;
        before = last;
        if n < 500 {
            break;
        }
    }
    out.flush()?;
    eprintln!("{written} records exported.");
    Ok(())
}

/// One JSON object per line.
fn jsonl<T: serde::Serialize>(records: impl Iterator<Item = T>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, &record)?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// `purge [--dry-run]`
fn purge(store: &Store, config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let retention = config.retention();
    let report = store.purge(&retention, dry_run, &std::sync::atomic::AtomicBool::new(false))?;
    if report.skipped {
        bail!("another instance is purging right now; nothing was deleted — try again in a while");
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    for purged in &report.kinds {
        match purged.days {
            0 => println!("{:<24} {:>10}   kept forever", purged.kind, "-"),
            1 => println!("{:<24} {:>10}   older than 1 day", purged.kind, purged.rows),
            days => println!("{:<24} {:>10}   older than {days} days", purged.kind, purged.rows),
        }
    }
    eprintln!("{verb} {} rows in all", report.total());
    Ok(())
}

/// `backup FILE`
fn backup(store: &Store, url: &str, file: &std::path::Path) -> anyhow::Result<()> {
    if store.backend() == lead_store::Backend::Postgres {
        bail!(
            "backup copies SQLite databases; for PostgreSQL use its own tool while the server runs, \
             e.g. pg_dump --format=custom --file=leads.dump \"$DATABASE_URL\" (restore with pg_restore; \
             see docs/operations.md)"
        );
    }
    let database = lead_store::sqlite_path(url)?;
    let report = lead_store::backup_sqlite(&database, file)
        .with_context(|| format!("no backup was written to {}", file.display()))?;
    for (table, rows) in &report.tables {
        eprintln!("{table:<28} {rows:>10} rows");
    }
    eprintln!("integrity_check: ok");
    println!("backed up and verified {} bytes into {}", report.bytes, file.display());
    Ok(())
}

/// `webhook …`
fn webhook(command: WebhookCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    let allow_private = config.outbox.allow_private_targets;
    match command {
        WebhookCommand::Add {
            company,
            url,
            events,
            format,
        } => {
            let company = store.find_company(&company)?;
            let url = url.trim();
            on_runtime(lead_deliver::check_target(url, allow_private))?
                .with_context(|| format!("cannot send webhooks to {url}"))?;
            let events = if events.is_empty() {
                Event::WEBHOOK_EVENTS.to_vec()
            } else {
                let mut parsed = Vec::new();
                for event in &events {
                    let event: Event = event.trim().parse().map_err(anyhow::Error::msg)?;
                    if !Event::WEBHOOK_EVENTS.contains(&event) {
                        bail!("{event} is not an event a webhook can receive");
                    }
                    if !parsed.contains(&event) {
                        parsed.push(event);
                    }
                }
                parsed
            };
            let format: WebhookFormat = format.parse().map_err(anyhow::Error::msg)?;
            let secret = lead_deliver::generate_secret()?;
            let id = store.add_webhook(&NewWebhook {
                company_id: company.id,
                url,
                events: &events,
                format,
                secret: &secret,
            })?;
            if format == WebhookFormat::Slack {
                eprintln!("Added webhook {id} for {}: posts to {url} (unsigned).", company.name);
            } else {
                eprintln!(
                    "Added webhook {id} for {}. Its signing secret, shown only now (the receiver verifies every request with it):",
                    company.name
                );
            }
            println!("{secret}");
            Ok(())
        }
        WebhookCommand::List { company, list } => {
            let company_id = company.map(|c| store.find_company(&c)).transpose()?.map(|c| c.id);
            list_rows(store.list_webhooks(company_id)?, &list, WebhookRow::from)
        }
        WebhookCommand::Remove { id } => {
            store.remove_webhook(id)?;
            eprintln!("Removed webhook {id}; its pending deliveries failed.");
            Ok(())
        }
        WebhookCommand::Enable { id } => {
            store.enable_webhook(id)?;
            eprintln!("Enabled webhook {id}. Failed deliveries stay failed: `outbox retry ID` sends one again.");
            Ok(())
        }
        WebhookCommand::RotateSecret { id } => {
            let secret = lead_deliver::generate_secret()?;
            store.rotate_webhook_secret(id, &secret)?;
            eprintln!(
                "New secret of webhook {id}, shown only now. For 24 hours every request is signed with the old secret too."
            );
            println!("{secret}");
            Ok(())
        }
        WebhookCommand::Test { id } => {
            let (webhook, target) = store.find_webhook(id)?;
            let client = lead_deliver::WebhookClient::new(
                std::time::Duration::from_secs(config.outbox.timeout_secs),
                allow_private,
            )
            .map_err(anyhow::Error::msg)?;
            let answer = on_runtime(async move { lead_deliver::ping(&client, &target).await })?;
            let took = answer.duration.as_millis();
            match (answer.status, answer.error) {
                (Some(status), None) => {
                    println!("{} answered {status} in {took} ms", webhook.url);
                    Ok(())
                }
                (_, Some(error)) => bail!("{} did not take the ping ({took} ms): {error}", webhook.url),
                (None, None) => bail!("{} gave no answer", webhook.url),
            }
        }
    }
}

/// `outbox …`
fn push(command: PushCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        PushCommand::PublicKey => {
            let keys = store.vapid_keys_or_make(lead_deliver::Vapid::generate)?;
            if config.push_subject()?.is_none() {
                eprintln!("Push is not enabled: set [push] subject (or LEAD_PUSH_SUBJECT) and restart the server.");
            }
            println!("{}", keys.public_key);
        }
    }
    Ok(())
}

/// `person export|erase`
fn person(command: PersonCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        PersonCommand::Export { company, email } => {
            let company = store.find_company(&company)?;
            let document = store.export_person(company.id, &email)?;
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
        PersonCommand::Erase { company, email, yes } => {
            if !yes {
                bail!("this erases everything stored about {email} and cannot be undone: add --yes");
            }
            let company = store.find_company(&company)?;
            let keep_orders = config.retention.anonymise_erased_orders;
            let erased = store.erase_person(company.id, &email, keep_orders)?;
            eprintln!(
                "Erased: {} customer records, {} orders{}, {} tickets, {} submission log entries, \
                 {} notifications and {} deliveries besides those, {} wrong-password counts. The audit \
                 log records it without the address. Backups still hold it until they are replaced.",
                erased.customers,
                erased.orders,
                match erased.orders_anonymised {
                    0 => String::new(),
                    n => format!(" ({n} kept anonymised)"),
                },
                erased.tickets,
                erased.submissions,
                erased.notifications,
                erased.deliveries,
                erased.login_failures
            );
        }
    }
    Ok(())
}

fn outbox(command: OutboxCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List {
            company,
            channel,
            status,
            list,
        } => {
            let filter = DeliveryFilter {
                company_id: company.map(|c| store.find_company(&c)).transpose()?.map(|c| c.id),
                channel: channel
                    .map(|c| c.parse::<Channel>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                status: status
                    .map(|s| s.parse::<DeliveryStatus>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                before: None,
                limit: limit(&list),
            };
            list_rows(store.list_deliveries(&filter)?, &list, DeliveryRow::from)
        }
        OutboxCommand::Retry { id } => {
            store.retry_delivery(id)?;
            eprintln!("Delivery {id} is due now; a running server sends it within a second.");
            Ok(())
        }
    }
}

/// Runs `work` (network calls) to its end on a runtime of its own.
fn on_runtime<T>(work: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start an async runtime")?;
    Ok(runtime.block_on(work))
}
