//! The company's API keys: issue, limit to websites, cap, confirm, route, revoke.

use std::collections::HashMap;

use maud::{html, Markup};

use super::{post_form, when};

/// Who each key's new leads go to, and who they could go to.
pub(crate) struct Routing {
    /// Each routed key's employees.
    pub routes: HashMap<lead_store::KeyId, Vec<lead_store::EmployeeRef>>,
    /// The company's active employees.
    pub employees: Vec<lead_store::EmployeeRef>,
}

/// The form of who a key's new leads go to: nobody, one employee always, several in turn.
fn route_form(key: lead_store::KeyId, routing: &Routing, csrf: &str) -> Markup {
    let routed = routing.routes.get(&key).map_or(&[][..], Vec::as_slice);
    html! {
        form method="post" action={ "/app/admin/keys/" (key) "/route" } class="route" {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { "Zuständig für neue Anfragen (eine Person: immer sie; mehrere: abwechselnd)" }
                @for employee in &routing.employees {
                    div class="check" {
                        input type="checkbox" id={ "route-" (key) "-" (employee.id) } name="employee" value=(employee.id)
                            checked[routed.iter().any(|e| e.id == employee.id)];
                        label for={ "route-" (key) "-" (employee.id) } { (employee.name) }
                    }
                }
            }
            button type="submit" { "Zuständige speichern" }
        }
    }
}

/// What a form needs for a key that requires a proof of work: the widget, served by this
/// server, and its challenge for the key.
const WIDGET_SNIPPET: &str = "<script src=\"https://IHR-SERVER/altcha/altcha.js\" defer></script>\n\
    <altcha-widget challenge=\"https://IHR-SERVER/api/v1/challenge?key=IHR-SCHLÜSSEL\" language=\"de\" auto=\"onsubmit\"></altcha-widget>";

/// The company's API keys; `issued` a key just issued, shown this once with a form and a
/// `fetch` that use it.
pub(crate) fn admin_keys(
    keys: &[lead_store::KeyInfo],
    routing: &Routing,
    csrf: &str,
    issued: Option<&str>,
    zone: &lead_domain::TimeZone,
) -> Markup {
    let action = |id: lead_store::KeyId, what: &str| format!("/app/admin/keys/{id}/{what}");
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "API-Schlüssel" }
        @if let Some(key) = issued {
            div role="status" class="notice" id="issued-key" {
                p { strong { "Neuer Schlüssel – nur jetzt sichtbar:" } }
                p { code id="new-key" { (key) } }
                p { "So bindet ein HTML-Formular ihn ein:" }
                pre class="snippet" { (format!(
                    "<form method=\"post\" action=\"https://IHR-SERVER/api/v1/lead\">\n  <input type=\"hidden\" name=\"key\" value=\"{key}\">\n  <input type=\"hidden\" name=\"type\" value=\"ticket\">\n  <input type=\"email\" name=\"email\" required>\n  <textarea name=\"message\" required></textarea>\n  <button>Senden</button>\n</form>"
                )) }
                p { "… oder ein Skript:" }
                pre class="snippet" { (format!(
                    "await fetch(\"https://IHR-SERVER/api/v1/lead\", {{\n  method: \"POST\",\n  headers: {{ \"X-API-KEY\": \"{key}\", \"Content-Type\": \"application/json\" }},\n  body: JSON.stringify({{ type: \"order\", email, total }}),\n}});"
                )) }
            }
        }
        @if keys.is_empty() {
            p class="empty" { "Noch keine Schlüssel. Ihre Website braucht einen, um Bestellungen und Tickets zu senden." }
        }
        @for key in keys {
            section class="key" aria-label={ "Schlüssel " (key.prefix) } {
                h2 { code { (key.prefix) "…" } " " (key.label) @if !key.active { " – widerrufen" } }
                p class="meta" {
                    "Ausgegeben " (when(key.created_at, zone))
                    @if let Some(at) = key.last_used_at { " · zuletzt benutzt " (when(at, zone)) } @else { " · noch nie benutzt" }
                }
                @if key.active {
                    form method="post" action=(action(key.id, "origins")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "origins-" (key.id) } { "Websites (eine je Zeile, z. B. https://shop.example.de; leer: jede)" }
                        textarea id={ "origins-" (key.id) } name="origins" rows="2" { (key.origins.join("\n")) }
                        button type="submit" { "Websites speichern" }
                    }
                    form method="post" action=(action(key.id, "cap")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "cap-" (key.id) } { "Tagesgrenze (Leads je Tag; leer: keine)" }
                        input type="number" min="0" id={ "cap-" (key.id) } name="cap" value=[key.daily_cap];
                        button type="submit" { "Grenze speichern" }
                    }
                    form method="post" action=(action(key.id, "confirm")) {
                        input type="hidden" name="csrf" value=(csrf);
                        div class="check" {
                            input type="checkbox" id={ "confirm-" (key.id) } name="confirm" value="on" checked[key.confirm_sender];
                            label for={ "confirm-" (key.id) } { "Absendern eine Bestätigungs-E-Mail schicken" }
                        }
                        button type="submit" { "Speichern" }
                    }
                    form method="post" action=(action(key.id, "challenge")) {
                        input type="hidden" name="csrf" value=(csrf);
                        div class="check" {
                            input type="checkbox" id={ "challenge-" (key.id) } name="challenge" value="on" checked[key.challenge];
                            label for={ "challenge-" (key.id) } {
                                "Rechenaufgabe gegen Spam verlangen (ALTCHA, ohne Dritte und ohne Cookie; Anfragen ohne gültige Lösung landen im Spam)"
                            }
                        }
                        button type="submit" { "Speichern" }
                    }
                    @if key.challenge {
                        p {
                            "Dafür gehört in das Formular der Website, vor den Absende-Knopf (IHR-SCHLÜSSEL: der ganze Schlüssel, der mit "
                            code { (key.prefix) } " beginnt):"
                        }
                        pre class="snippet" { (WIDGET_SNIPPET) }
                    }
                    form method="post" action=(action(key.id, "consent-text")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "consent-" (key.id) } {
                            "Einwilligungstext des Formulars (mit jeder Anfrage gespeichert, die keinen eigenen sendet; leer: keiner)"
                        }
                        textarea id={ "consent-" (key.id) } name="consent_text" rows="2" maxlength="2000" {
                            (key.consent_text.as_deref().unwrap_or_default())
                        }
                        button type="submit" { "Einwilligungstext speichern" }
                    }
                    (route_form(key.id, routing, csrf))
                    (post_form(&action(key.id, "revoke"), csrf, "Widerrufen", "reject"))
                }
            }
        }
        h2 { "Neuen Schlüssel ausgeben" }
        form method="post" action="/app/admin/keys/issue" {
            input type="hidden" name="csrf" value=(csrf);
            label for="label" { "Bezeichnung (z. B. die Website)" }
            input type="text" id="label" name="label" maxlength="200";
            button type="submit" { "Ausgeben" }
        }
    }
}
