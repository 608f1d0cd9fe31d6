//! `company`, `key`, `employee` and `customer`: who may send leads and who works them.

use std::io::BufRead;

use anyhow::{bail, Context};
use lead_auth::{ApiKey, EmployeeToken};
use lead_store::{Company, Scope, Store};

use super::list_rows;
use crate::cli::{CompanyCommand, EmployeeCommand, KeyCommand};
use crate::config::Config;
use crate::output::{CompanyRow, EmployeeRow, KeyRow, TokenRow};

pub(super) fn company(command: CompanyCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        CompanyCommand::Add { name } => {
            let id = store.access().add_company(&name)?;
            eprintln!("Added company {:?}.", name.trim());
            println!("{id}");
        }
        CompanyCommand::List(list) => list_rows(store.access().list_companies()?, &list, CompanyRow::from)?,
        CompanyCommand::Deactivate { company } => set_company_active(store, &company, false)?,
        CompanyCommand::Activate { company } => set_company_active(store, &company, true)?,
        CompanyCommand::AutoCustomers { company, mode } => {
            let company = store.access().find_company(&company)?;
            let mode: lead_store::AutoCustomers = mode.parse().map_err(|_| anyhow::anyhow!("off, orders or all"))?;
            store.access().set_auto_customers(company.id, mode)?;
            eprintln!("Company {:?}: new senders get a customer file: {mode}.", company.name);
        }
        CompanyCommand::Mailbox {
            company,
            imap,
            from,
            smtp,
            move_to,
            off,
        } => {
            let company = store.access().find_company(&company)?;
            let change = match (imap, off) {
                (Some(imap), _) => {
                    // `-`: from standard input, a line each (the IMAP URL first).
                    let imap = if imap == "-" { read_stdin_line()? } else { imap };
                    let smtp = match smtp.as_deref() {
                        Some("-") => Some(read_stdin_line()?),
                        _ => smtp,
                    };
                    super::mailbox::Change::Set {
                        imap,
                        from: from.unwrap_or_default(),
                        smtp,
                        move_to,
                    }
                }
                (None, true) => super::mailbox::Change::Off,
                (None, false) => super::mailbox::Change::Show,
            };
            super::mailbox::mailbox(store, config, &company, change)?;
        }
    }
    Ok(())
}

fn set_company_active(store: &Store, selector: &str, active: bool) -> anyhow::Result<()> {
    let company = store.access().find_company(selector)?;
    store.access().set_company_active(company.id, active)?;
    let what = if active {
        "activated: its keys work"
    } else {
        "deactivated: its keys stop working"
    };
    eprintln!("Company {} ({:?}) {what}.", company.id, company.name);
    Ok(())
}

pub(super) fn key(command: KeyCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    match command {
        KeyCommand::Issue { company, label } => {
            let company = store.access().find_company(&company)?;
            let key = ApiKey::generate()?;
            let id = store.access().add_key(company.id, &key, &label)?;
            warn_if_inactive(&company);
            eprintln!(
                "Issued key {id} ({}) for company {:?}. It is shown only now; store it safely:",
                key.display_prefix(),
                company.name
            );
            println!("{}", key.expose());
        }
        KeyCommand::Import { company, key, label } => {
            let company = store.access().find_company(&company)?;
            let text = if key == "-" { read_stdin_line()? } else { key };
            let key = ApiKey::import(&text)?;
            let id = store.access().add_key(company.id, &key, &label)?;
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
            let company_id = company
                .map(|c| store.access().find_company(&c))
                .transpose()?
                .map(|c| c.id);
            list_rows(store.access().list_keys(company_id)?, &list, KeyRow::from)?;
        }
        KeyCommand::Origins { key, origins } => {
            let info = store.access().find_key(&key)?;
            let origins: Vec<String> = match origins.as_slice() {
                [any] if any == "any" => Vec::new(),
                list => list
                    .iter()
                    .map(|o| lead_http::parse_origin(o))
                    .collect::<Result<_, _>>()?,
            };
            store.access().set_key_origins(Scope::Everyone, info.id, &origins)?;
            if origins.is_empty() {
                eprintln!(
                    "Key {} ({}): usable from any website; no form redirects.",
                    info.id, info.prefix
                );
            } else {
                eprintln!("Key {} ({}): usable from {}.", info.id, info.prefix, origins.join(", "));
            }
        }
        KeyCommand::Route { key, employees } => {
            let info = store.access().find_key(&key)?;
            let employees: Vec<lead_store::EmployeeId> =
                employees.into_iter().map(lead_store::EmployeeId::new).collect();
            store.access().set_key_route(Scope::Everyone, info.id, &employees)?;
            let said = match employees.len() {
                0 => "its new leads have no owner".to_owned(),
                1 => format!("its new leads go to employee {}", employees[0]),
                n => format!("its new leads go in turn to {n} employees"),
            };
            eprintln!("Key {} ({}): {said}.", info.id, info.prefix);
        }
        KeyCommand::ConsentText { key, text, off: _ } => {
            let info = store.access().find_key(&key)?;
            store
                .access()
                .set_key_consent_text(Scope::Everyone, info.id, text.as_deref())?;
            match text {
                Some(text) => eprintln!(
                    "Key {} ({}): its leads record consent to „{}“.",
                    info.id,
                    info.prefix,
                    text.trim()
                ),
                None => eprintln!("Key {} ({}): no consent text.", info.id, info.prefix),
            }
        }
        KeyCommand::Challenge { key, state } => {
            let info = store.access().find_key(&key)?;
            store.access().set_key_challenge(Scope::Everyone, info.id, state.on())?;
            match state.on() {
                true => eprintln!(
                    "Key {} ({}): its leads must bring a proof of work (the form needs the widget: docs/api.md); \
                     one without is held as spam.",
                    info.id, info.prefix
                ),
                false => eprintln!("Key {} ({}): no proof of work required.", info.id, info.prefix),
            }
        }
        KeyCommand::Confirm { key, state } => {
            let info = store.access().find_key(&key)?;
            store.access().set_key_confirm(Scope::Everyone, info.id, state.on())?;
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
            let info = store.access().find_key(&key)?;
            let cap = match cap.trim() {
                "off" => None,
                number => Some(number.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    anyhow::anyhow!("the cap must be a number of leads (0 or more) or `off`, not {number:?}")
                })?),
            };
            store.access().set_daily_cap(Scope::Everyone, info.id, cap)?;
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
            let by_hash = store.access().find_key_by_hash(&ApiKey::presented(key.trim()).hash())?;
            let info = match by_hash {
                Some(found) => store.access().key(found.tenant.key_id)?,
                None => store.access().find_key(&key)?,
            };
            store.access().revoke_key(Scope::Everyone, info.id)?;
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

pub(super) fn read_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    let key = line.trim_end_matches(['\r', '\n']).to_owned();
    if key.is_empty() {
        bail!("nothing on standard input");
    }
    Ok(key)
}

pub(super) fn employee(command: EmployeeCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        EmployeeCommand::Add {
            company,
            name,
            email,
            admin,
        } => {
            let company = store.access().find_company(&company)?;
            let id = store.access().add_employee(company.id, &name, &email)?;
            if admin {
                store
                    .access()
                    .set_employee_role(lead_store::Scope::Everyone, id, lead_store::Role::Admin)?;
            }
            let what = if admin { "admin" } else { "employee" };
            eprintln!("Added {what} {:?} to company {:?}.", name.trim(), company.name);
            println!("{id}");
        }
        EmployeeCommand::Role { employee, role } => {
            store
                .access()
                .set_employee_role(lead_store::Scope::Everyone, employee, role)?;
            eprintln!(
                "Employee {employee} is now {} of their company.",
                match role {
                    lead_store::Role::Admin => "an admin",
                    lead_store::Role::Member => "a member",
                }
            );
        }
        EmployeeCommand::List { company, list } => {
            let company = store.access().find_company(&company)?;
            list_rows(store.access().list_employees(company.id)?, &list, EmployeeRow::from)?;
        }
        EmployeeCommand::Deactivate { employee } => {
            store
                .access()
                .set_employee_active(lead_store::Scope::Everyone, employee, false)?;
            eprintln!("Employee {employee} deactivated: no further notifications.");
        }
        EmployeeCommand::Notify { employee, email, push } => {
            store
                .access()
                .set_employee_notify(employee, email.map(|s| s.on()), push.map(|s| s.on()))?;
            let (email, push) = store.access().employee_notify(employee)?;
            let state = |on: bool| if on { "gets" } else { "gets no" };
            eprintln!(
                "Employee {employee} {} e-mail and {} push messages per new order and ticket.",
                state(email),
                state(push)
            );
        }
        EmployeeCommand::Activate { employee } => {
            store
                .access()
                .set_employee_active(lead_store::Scope::Everyone, employee, true)?;
            eprintln!("Employee {employee} activated.");
        }
        EmployeeCommand::Password { employee } => {
            let found = store.access().find_employee(employee)?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let company = store
                .access()
                .list_companies()?
                .into_iter()
                .find(|c| c.id == found.company_id);
            let mut known = vec![found.name.as_str(), found.email.as_str()];
            known.extend(company.as_ref().map(|c| c.name.as_str()));
            lead_auth::check_new_password(password, &known)?;
            let hash = lead_auth::hash_password(password)?;
            store.access().set_employee_password(found.id, Some(&hash))?;
            eprintln!(
                "Employee {} ({}) can now log in at /app with {} and this password.",
                found.id, found.name, found.email
            );
        }
        EmployeeCommand::Token { employee } => {
            let found = store.access().find_employee(employee)?;
            let token = EmployeeToken::generate()?;
            let id = store.access().add_employee_token(found.id, &token)?;
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
            list_rows(store.access().list_employee_tokens(employee)?, &list, TokenRow::from)?;
        }
        EmployeeCommand::TokenRevoke { token } => {
            let by_hash = store
                .access()
                .find_token_by_hash(&EmployeeToken::presented(token.trim()).hash())?;
            let info = match by_hash {
                Some(found) => store.access().find_employee_token(&found.member.token_id.to_string())?,
                None => store.access().find_employee_token(&token)?,
            };
            store.access().revoke_employee_token(info.id)?;
            eprintln!(
                "Revoked token {} ({}) of employee {}: it no longer works.",
                info.id, info.prefix, info.employee_id
            );
        }
    }
    Ok(())
}
