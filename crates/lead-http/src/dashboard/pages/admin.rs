//! The admin pages: employees, keys, webhooks, audit log, submission log, Datenschutz.

use maud::{html, Markup};

use super::{post_form, when};

/// The admin pages, as a list; and which new senders get a customer file (`auto`).
pub(crate) fn admin_index(auto: lead_store::AutoCustomers, csrf: &str) -> Markup {
    use lead_store::AutoCustomers;
    let choices = [
        (AutoCustomers::Off, "Nein – nur bestehende Kunden werden zugeordnet"),
        (AutoCustomers::Orders, "Für Bestellungen"),
        (AutoCustomers::All, "Für Bestellungen und Tickets"),
    ];
    html! {
        h1 { "Verwaltung" }
        p { "Diese Seiten sehen nur die Administratoren Ihrer Firma. Jede Änderung steht mit Ihrem Namen im Audit-Log." }
        form method="post" action="/app/admin/kunden-automatisch" id="auto-customers" {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { "Neue Absender automatisch als Kunden anlegen" }
                @for (value, label) in choices {
                    div class="check" {
                        input type="radio" id={ "auto-" (value) } name="auto" value=(value) checked[auto == value];
                        label for={ "auto-" (value) } { (label) }
                    }
                }
            }
            button type="submit" { "Speichern" }
        }
        ul class="plain" {
            li { a href="/app/admin/mitarbeiter" { "Mitarbeiter" } " – hinzufügen, deaktivieren, Rolle, Einmal-Passwort, Sperre aufheben" }
            li { a href="/app/admin/keys" { "API-Schlüssel" } " – für Ihre Websites ausgeben und widerrufen, Websites, Tagesgrenze, Bestätigungs-E-Mails" }
            li { a href="/app/admin/kunden-import" { "Kunden importieren" } " – Ihre Kundenliste aus Excel oder dem Shop einlesen" }
            li { a href="/app/admin/protokoll" { "Formular-Protokoll" } " – jede Anfrage Ihrer Formulare, und warum eine fehlschlug" }
            li { a href="/app/admin/webhooks" { "Webhooks & Zustellungen" } " – Ihre Systeme benachrichtigen, und ob es ankam" }
            li { a href="/app/admin/postfach" { "E-Mail-Postfach" } " – Anfragen per E-Mail beantworten: Absender, Postfach und Postausgang" }
            li { a href="/app/admin/audit" { "Audit-Log" } " – wer wann was an Zugängen, Schlüsseln und Daten geändert hat" }
            li { a href="/app/admin/datenschutz" { "Datenschutz" } " – Auskunft über die Daten einer Person und ihre Löschung (DSGVO Art. 15 und 17)" }
        }
    }
}

/// The company's employees, with what an admin can do to each.
pub(crate) fn admin_employees(
    employees: &[lead_store::Employee],
    me: lead_store::EmployeeId,
    csrf: &str,
    password: Option<(&lead_store::Employee, &str)>,
) -> Markup {
    let action = |id: lead_store::EmployeeId, what: &str, label: &str, class: &str| {
        post_form(&format!("/app/admin/mitarbeiter/{id}/{what}"), csrf, label, class)
    };
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Mitarbeiter" }
        @if let Some((employee, password)) = password {
            div role="status" class="notice" id="one-time-password" {
                p { "Einmal-Passwort für " strong { (employee.name) } " (" (employee.email) "): " }
                p { code { (password) } }
                p class="meta" { "Nur jetzt sichtbar. Geben Sie es persönlich weiter; bisherige Anmeldungen dieses Mitarbeiters sind beendet." }
            }
        }
        div class="scroll" {
            table id="employees" {
                thead { tr { th { "Name" } th { "E-Mail" } th { "Rolle" } th { "Status" } th { span class="sr" { "Aktionen" } } } }
                tbody {
                    @for employee in employees {
                        tr {
                            td { (employee.name) @if employee.id == me { " (Sie)" } }
                            td { (employee.email) }
                            td { (if employee.role == lead_store::Role::Admin { "Administrator" } else { "Mitarbeiter" }) }
                            td { (if employee.active { "aktiv" } else { "deaktiviert" }) }
                            td class="actions" {
                                @if employee.id != me {
                                    @if employee.active { (action(employee.id, "deactivate", "Deaktivieren", "reject")) }
                                    @else { (action(employee.id, "activate", "Aktivieren", "accept")) }
                                    @if employee.role == lead_store::Role::Admin { (action(employee.id, "member", "Verwaltung entziehen", "link")) }
                                    @else { (action(employee.id, "admin", "Zum Administrator machen", "link")) }
                                }
                                (action(employee.id, "password", "Einmal-Passwort setzen", "link"))
                                (action(employee.id, "unlock", "Sperre aufheben", "link"))
                            }
                        }
                    }
                }
            }
        }
        h2 { "Mitarbeiter hinzufügen" }
        form method="post" action="/app/admin/mitarbeiter/add" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { "Name" }
            input type="text" id="new-name" name="name" required maxlength="200";
            label for="new-email" { "E-Mail-Adresse" }
            input type="email" id="new-email" name="email" required;
            div class="check" {
                input type="checkbox" id="new-admin" name="admin" value="on";
                label for="new-admin" { "Administrator (darf diese Seiten nutzen)" }
            }
            button type="submit" { "Hinzufügen" }
        }
    }
}

/// The company's webhook endpoints and deliveries; `secret` a new endpoint's signing secret,
/// shown this once.
pub(crate) fn admin_webhooks(
    endpoints: &[lead_store::Webhook],
    deliveries: &[lead_store::Delivery],
    status: Option<lead_store::DeliveryStatus>,
    csrf: &str,
    secret: Option<&str>,
    tested: Option<&str>,
    zone: &lead_domain::TimeZone,
) -> Markup {
    use lead_store::DeliveryStatus;
    let status_label = lead_present::german::delivery;
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Webhooks & Zustellungen" }
        @if let Some(secret) = secret {
            div role="status" class="notice" id="new-secret" {
                p { strong { "Signatur-Schlüssel des neuen Webhooks – nur jetzt sichtbar:" } }
                p { code { (secret) } }
                p class="meta" { "Ihr System prüft damit jede Anfrage (Standard Webhooks: webhook-signature)." }
            }
        }
        @if let Some(tested) = tested {
            p role="status" class="notice" id="tested" { "Test: " (tested) }
        }
        h2 { "Webhooks" }
        @if endpoints.is_empty() { p class="empty" { "Noch keine Webhooks. Mit einem erfährt Ihr System (CRM, Slack, Teams) sofort von jeder Bestellung und jedem Ticket." } }
        @else {
            div class="scroll" {
                table id="webhooks" {
                    thead { tr { th { "Adresse" } th { "Format" } th { "Zustand" } th { "Zuletzt zugestellt" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for endpoint in endpoints {
                            tr {
                                td { code { (endpoint.url) } }
                                td { (endpoint.format.as_str()) }
                                td {
                                    @if endpoint.active { "aktiv" }
                                    @else { "abgeschaltet" @if let Some(reason) = &endpoint.disabled_reason { ": " (reason) } }
                                }
                                td { @if let Some(at) = endpoint.last_success_at { (when(at, zone)) } @else { "noch nie" } }
                                td class="actions" {
                                    (post_form(&format!("/app/admin/webhooks/{}/test", endpoint.id), csrf, "Test senden", "link"))
                                    @if !endpoint.active { (post_form(&format!("/app/admin/webhooks/{}/enable", endpoint.id), csrf, "Wieder einschalten", "link")) }
                                    (post_form(&format!("/app/admin/webhooks/{}/remove", endpoint.id), csrf, "Entfernen", "link"))
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/app/admin/webhooks/add" {
            input type="hidden" name="csrf" value=(csrf);
            label for="webhook-url" { "Neuer Webhook: Adresse (https://…)" }
            input type="url" id="webhook-url" name="url" required;
            label for="webhook-format" { "Format" }
            select id="webhook-format" name="format" {
                option value="standard" { "Standard Webhooks (JSON, signiert)" }
                option value="slack" { "Slack, Teams, Mattermost (Text)" }
            }
            button type="submit" { "Hinzufügen" }
        }
        h2 { "Zustellungen" }
        nav class="filter" aria-label="Nach Zustand filtern" {
            a href="/app/admin/webhooks" aria-current=[status.is_none().then_some("true")] { "Alle" }
            @for each in DeliveryStatus::ALL {
                a href={ "/app/admin/webhooks?status=" (each.as_str()) } aria-current=[(status == Some(*each)).then_some("true")] { (status_label(*each)) }
            }
        }
        @if deliveries.is_empty() { p class="empty" { "Keine Zustellungen." } }
        @else {
            div class="scroll" {
                table id="deliveries" {
                    thead { tr { th { "Angelegt" } th { "Weg" } th { "Ziel" } th { "Ereignis" } th { "Versuche" } th { "Zustand" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for delivery in deliveries {
                            tr {
                                td { (when(delivery.created_at, zone)) }
                                td { (delivery.channel.as_str()) }
                                td { code { (delivery.target) } }
                                td { (delivery.event.as_str()) }
                                td { (delivery.attempts) }
                                td {
                                    (status_label(delivery.status))
                                    @if let Some(code) = delivery.last_status { " · HTTP " (code) }
                                    @if let Some(error) = &delivery.last_error { br; span class="meta" { (error) } }
                                }
                                td class="actions" {
                                    @if delivery.status == DeliveryStatus::Failed {
                                        (post_form(&format!("/app/admin/deliveries/{}/retry", delivery.id), csrf, "Erneut versuchen", "link"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The company's audit log, newest first.
pub(crate) fn admin_audit(
    entries: &[lead_store::AuditEntry],
    older: Option<i64>,
    zone: &lead_domain::TimeZone,
) -> Markup {
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Audit-Log" }
        @if entries.is_empty() { p class="empty" { "Noch keine Einträge." } }
        @else {
            div class="scroll" {
                table id="audit" {
                    thead { tr { th { "Zeit" } th { "Wer" } th { "Was" } th { "Woran" } } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (when(entry.at, zone)) }
                                td { (entry.actor) }
                                td { code { (entry.action) } }
                                td { (entry.subject) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(older) = older {
            p class="pager" { a rel="next" href={ "/app/admin/audit?before=" (older) } { "Ältere →" } }
        }
    }
}

/// The submission log of the company's keys: every request, and why one failed.
pub(crate) fn admin_submissions(
    entries: &[lead_store::Submission],
    key: &str,
    failed: bool,
    (since, until): (&str, &str),
    older: Option<i64>,
    zone: &lead_domain::TimeZone,
) -> Markup {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("key", key),
        ("failed", if failed { "on" } else { "" }),
        ("since", since),
        ("until", until),
    ] {
        if !value.is_empty() {
            query.append_pair(name, value);
        }
    }
    let query = query.finish();
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Formular-Protokoll" }
        form method="get" action="/app/admin/protokoll" class="search" {
            label for="key" { "Schlüssel (Anfang)" }
            input type="search" id="key" name="key" value=(key) placeholder="lgw_…";
            div class="check" {
                input type="checkbox" id="failed" name="failed" value="on" checked[failed];
                label for="failed" { "nur fehlgeschlagene" }
            }
            label for="since" { "von" }
            input type="date" id="since" name="since" value=(since);
            label for="until" { "bis" }
            input type="date" id="until" name="until" value=(until);
            button type="submit" { "Filtern" }
        }
        @if entries.is_empty() {
            p class="empty" { "Keine Anfragen." }
        } @else {
            div class="scroll" {
                table id="submissions" {
                    thead { tr { th { "Zeit" } th { "Schlüssel" } th { "Website" } th { "Antwort" } th { "Inhalt" } } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (when(entry.at, zone)) }
                                td { code { (entry.key_prefix.as_deref().unwrap_or("–")) } }
                                td { (entry.origin.as_deref().unwrap_or("–")) }
                                td { (entry.status) @if let Some(code) = &entry.code { " " code { (code) } } }
                                td {
                                    @if let Some(body) = &entry.body {
                                        details { summary { "Gesendet" } pre { (body) } }
                                    }
                                    @if let Some(note) = &entry.note { p class="meta" { (note) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(older) = older {
            p class="pager" { a rel="next" href={ "/app/admin/protokoll?" (query) (if query.is_empty() { "" } else { "&" }) "before=" (older) } { "Ältere →" } }
        }
    }
}

/// What the Datenschutz page shows besides its forms.
pub(crate) struct Privacy<'a> {
    pub csrf: &'a str,
    /// Whether an erasure keeps orders, anonymised.
    pub keep_orders: bool,
    /// What an erasure just did.
    pub erased: Option<&'a lead_store::Erased>,
    /// In how many places a redaction just replaced the address.
    pub redacted: Option<usize>,
    /// An address, and the records of others that mention it.
    pub mentions: Option<(&'a str, &'a [lead_store::Mention])>,
}

impl<'a> Privacy<'a> {
    /// Just the forms.
    pub(crate) fn new(csrf: &'a str, keep_orders: bool) -> Privacy<'a> {
        Privacy {
            csrf,
            keep_orders,
            erased: None,
            redacted: None,
            mentions: None,
        }
    }
}

/// Where a record of others mentions an address, in words, with a link to the record.
fn mention(mention: &lead_store::Mention) -> Markup {
    let (path, record) = match mention.record {
        "order" => ("orders", "Bestellung"),
        "ticket" => ("tickets", "Ticket"),
        _ => ("customers", "Kundenakte"),
    };
    let field = match mention.field {
        "title" => "im Titel",
        "message" => "in der Nachricht",
        "payload" => "in den übermittelten Feldern",
        "name" => "im Namen",
        _ => "in einer Notiz",
    };
    html! { a href={ "/app/" (path) "/" (mention.id) } { (record) " " (mention.id) } " – " (field) }
}

/// A person's data on request: the export, the erasure, and the records of others that still
/// mention the address, with the one step that redacts them.
pub(crate) fn privacy(shown: &Privacy) -> Markup {
    let csrf = shown.csrf;
    html! {
        h1 { "Datenschutz" }
        @if let Some(erased) = shown.erased {
            div role="status" class="notice" {
                p { strong { "Gelöscht." } " "
                    (erased.customers) " Kundenakten, " (erased.orders) " Bestellungen"
                    @if erased.orders_anonymised > 0 { " (" (erased.orders_anonymised) " anonymisiert aufbewahrt)" }
                    ", " (erased.tickets) " Tickets, " (erased.submissions) " Einträge im Formular-Protokoll, "
                    (erased.notifications) " weitere Benachrichtigungen, " (erased.deliveries) " weitere Zustellungen. "
                    "Das Audit-Log vermerkt die Löschung ohne die Adresse." }
            }
        }
        @if let Some(places) = shown.redacted {
            div role="status" class="notice" {
                p { strong { "Ersetzt." } " An " (places) " Stellen steht jetzt „" (lead_store::REDACTED) "“. Das Audit-Log vermerkt es ohne die Adresse." }
            }
        }
        @if let Some((email, mentions)) = shown.mentions {
            section aria-labelledby="mentions-title" id="mentions" {
                h2 id="mentions-title" { "Erwähnungen in Einträgen anderer" }
                @if mentions.is_empty() {
                    p { "Kein Eintrag anderer nennt " strong { (email) } "." }
                } @else {
                    p { "Diese Einträge anderer nennen " strong { (email) } " noch – etwa das Ticket einer Kollegin, das die Adresse erwähnt:" }
                    ul class="plain" {
                        @for found in mentions { li { (mention(found)) } }
                    }
                    form method="post" action="/app/admin/datenschutz/redact" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="email" value=(email);
                        label for="redact-confirm" { "Zur Bestätigung die Adresse noch einmal" }
                        input type="email" id="redact-confirm" name="confirm" required autocomplete="off";
                        button type="submit" class="reject" { "Überall durch „" (lead_store::REDACTED) "“ ersetzen" }
                    }
                }
            }
        }
        section aria-labelledby="export-title" {
            h2 id="export-title" { "Auskunft (Art. 15 DSGVO)" }
            p { "Alles, was zu einer E-Mail-Adresse in Ihrer Firma gespeichert ist – Kundenakte, Bestellungen und Tickets mit allen übermittelten Feldern, Benachrichtigungen, Zustellungen, Einträge im Formular-Protokoll, und welche Einträge anderer sie erwähnen –, als eine JSON-Datei." }
            form method="post" action="/app/admin/datenschutz/export" {
                input type="hidden" name="csrf" value=(csrf);
                label for="export-email" { "E-Mail-Adresse" }
                input type="email" id="export-email" name="email" required autocomplete="off";
                button type="submit" { "Daten herunterladen" }
            }
        }
        section aria-labelledby="erase-title" {
            h2 id="erase-title" { "Löschung (Art. 17 DSGVO)" }
            p { "Löscht alles, was zu der Adresse in Ihrer Firma gespeichert ist, auf einmal. Das lässt sich nicht rückgängig machen. Einträge anderer, die die Adresse nur erwähnen, zeigen wir danach an; Sie können sie dort in einem Schritt bereinigen." }
            p class="meta" {
                @if shown.keep_orders {
                    "Bestellungen bleiben als Geschäftsunterlagen erhalten – Betrag, Status, Datum –, aber ohne jedes persönliche Feld."
                } @else {
                    "Bestellungen werden mitgelöscht."
                }
                " Datensicherungen enthalten die Daten weiter, bis sie ersetzt werden."
            }
            form method="post" action="/app/admin/datenschutz/erase" {
                input type="hidden" name="csrf" value=(csrf);
                label for="erase-email" { "E-Mail-Adresse" }
                input type="email" id="erase-email" name="email" required autocomplete="off";
                label for="erase-confirm" { "Zur Bestätigung noch einmal" }
                input type="email" id="erase-confirm" name="confirm" required autocomplete="off";
                button type="submit" class="reject" { "Endgültig löschen" }
            }
        }
        section aria-labelledby="check-title" {
            h2 id="check-title" { "Erwähnungen suchen" }
            p { "Welche Einträge anderer eine Adresse nennen – ohne etwas zu ändern." }
            form method="post" action="/app/admin/datenschutz" {
                input type="hidden" name="csrf" value=(csrf);
                label for="check-email" { "E-Mail-Adresse" }
                input type="email" id="check-email" name="email" required autocomplete="off";
                button type="submit" { "Suchen" }
            }
        }
    }
}
