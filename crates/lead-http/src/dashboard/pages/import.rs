//! „Kunden importieren“: the upload form, and the report of a check or an import.

use lead_present::german::import_skip;
use lead_present::import::CustomerList;
use lead_store::ImportReport;
use maud::{html, Markup};

/// The most skipped lines a report lists one by one.
const LISTED: usize = 200;

/// What an upload came to: the list read and its report, or why it was no list.
pub(crate) enum Outcome {
    /// Checked (`dry_run`) or imported.
    Done {
        list: CustomerList,
        report: ImportReport,
        dry_run: bool,
    },
    /// Not a customer list, or no file: the sentence why.
    Refused(String),
}

/// The import page: what a list may look like, the upload form, and the last outcome.
pub(crate) fn customer_import(csrf: &str, outcome: Option<&Outcome>) -> Markup {
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Kunden importieren" }
        @if let Some(outcome) = outcome {
            (report(outcome))
        }
        p {
            "Eine CSV-Datei, wie Excel sie speichert („CSV UTF-8“ oder „CSV (Trennzeichen-getrennt)“), oder mit Kommas (RFC 4180). "
            "Die erste Zeile nennt die Spalten: " strong { "E-Mail" } " (nötig), Name – oder Vorname und Nachname –, Firma, "
            "Telefon, Straße, Hausnummer, PLZ, Ort, Land, Weitere E-Mail-Adressen; auch auf Englisch. "
            "Ein Kunde, den es mit einer der Adressen schon gibt, wird ergänzt, nicht doppelt angelegt; leere Zellen ändern nichts. "
            "Der Kunden-Export lässt sich so wieder einlesen."
        }
        form method="post" action="/app/admin/kunden-import" enctype="multipart/form-data" id="customer-import" {
            input type="hidden" name="csrf" value=(csrf);
            label for="file" { "CSV-Datei" }
            input type="file" id="file" name="file" accept=".csv,.txt,text/csv" required;
            div class="actions" {
                button type="submit" name="mode" value="check" { "Prüfen" }
                " "
                button type="submit" name="mode" value="import" class="primary" { "Importieren" }
            }
            p class="meta" { "„Prüfen“ zeigt, was der Import täte, und ändert nichts." }
        }
    }
}

fn report(outcome: &Outcome) -> Markup {
    let (list, report, dry_run) = match outcome {
        Outcome::Refused(why) => {
            return html! { div role="alert" class="notice error" id="import-report" { p { (why) } } }
        }
        Outcome::Done { list, report, dry_run } => (list, report, *dry_run),
    };
    let (created, updated) = match dry_run {
        true => ("würden angelegt", "würden ergänzt"),
        false => ("angelegt", "ergänzt"),
    };
    html! {
        div role="status" class="notice" id="import-report" {
            p {
                strong { @if dry_run { "Geprüft – noch nichts geändert: " } @else { "Importiert: " } }
                (report.created) " Kunden " (created) ", " (report.updated) " " (updated) ", "
                (report.unchanged) " unverändert, " (report.skipped.len()) " Zeilen übersprungen."
            }
            @if let Some(filed) = report.filed.filter(|f| f.orders + f.tickets > 0) {
                p { (filed.orders) " Bestellungen und " (filed.tickets) " Tickets wurden den Kunden zugeordnet." }
            }
            p class="meta" {
                "Gelesen als " (list.encoding) ", getrennt durch „"
                @if list.separator == '\t' { "Tabulator" } @else { (list.separator) }
                "“."
                @if !list.ignored.is_empty() {
                    " Nicht übernommene Spalten: " (list.ignored.join(", ")) "."
                }
            }
            @if !report.skipped.is_empty() {
                table id="import-skipped" {
                    thead { tr { th { "Zeile" } th { "Übersprungen, weil" } } }
                    tbody {
                        @for (line, why) in report.skipped.iter().take(LISTED) {
                            tr { td { (line) } td { (import_skip(why)) } }
                        }
                    }
                }
                @if report.skipped.len() > LISTED {
                    p class="meta" { "… und " (report.skipped.len() - LISTED) " weitere (die Kommandozeile nennt alle)." }
                }
            }
        }
    }
}
